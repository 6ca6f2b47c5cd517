package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// open resolves cfg as the AWS SDKs do — environment, shared config and credentials files,
// the profile, SSO and credential_process, instance roles — then assumes aws.assume_role when
// set, and asks STS who the credentials are. An account_id that is not the credentials' is
// refused naming both, before anything is changed.
func open(ctx context.Context, cfg backend.Config) (*Backend, error) {
	if err := unknownEndpoints(cfg.AWS.Endpoints); err != nil {
		return nil, &backend.ConfigError{Attribute: "aws.endpoints", Summary: "Unknown Service", Err: err,
			Detail: err.Error() + ".\n\nFix: name the endpoints by service: " + strings.Join(backend.AWSServices, ", ") + "."}
	}
	// The SDK's own warnings (a skipped checksum validation) are not the user's business.
	opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.AWS.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.AWS.Profile))
	}
	if len(cfg.AWS.SharedConfigFiles) > 0 {
		opts = append(opts, config.WithSharedConfigFiles(cfg.AWS.SharedConfigFiles))
	}
	if len(cfg.AWS.SharedCredentialsFiles) > 0 {
		opts = append(opts, config.WithSharedCredentialsFiles(cfg.AWS.SharedCredentialsFiles))
	}
	base, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, &backend.ConfigError{Attribute: "aws", Summary: "AWS Configuration Not Loaded", Err: err,
			Detail: fmt.Sprintf("the AWS configuration (environment, shared files, profile %q) does not load: %v.\n\nFix: check AWS_PROFILE, the profile and the files it names.", cfg.AWS.Profile, err)}
	}
	if base.Region == "" {
		return nil, &backend.ConfigError{Attribute: "region", Summary: "No AWS Region",
			Detail: "neither the provider configuration nor the AWS configuration (AWS_REGION, the profile's region) names a region.\n\nFix: set region in the provider block, or AWS_REGION."}
	}
	b := &Backend{base: base, conf: cfg.AWS}
	if ar := cfg.AWS.AssumeRole; ar != nil && ar.RoleARN != "" {
		first := b.newClients(base)
		b.base.Credentials = awssdk.NewCredentialsCache(stscreds.NewAssumeRoleProvider(first.sts, ar.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = orDefault(ar.SessionName, "terraform-provider-codepipeline")
			if ar.ExternalID != "" {
				o.ExternalID = awssdk.String(ar.ExternalID)
			}
		}))
	}
	b.clients = b.newClients(b.base)
	who, err := b.clients.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, &backend.ConfigError{Attribute: "aws", Summary: "AWS Credentials Not Usable", Err: err,
			Detail: fmt.Sprintf("sts:GetCallerIdentity with the AWS credentials found (profile %q%s) failed: %v.\n\nFix: provide credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, aws { profile }) that STS accepts.",
				cfg.AWS.Profile, assumeNote(cfg.AWS.AssumeRole), err)}
	}
	account := awssdk.ToString(who.Account)
	if cfg.AccountID != "" && cfg.AccountID != account {
		return nil, &backend.ConfigError{Attribute: "account_id", Summary: "Credentials Of Another Account",
			Detail: fmt.Sprintf("account_id is %s, but the AWS credentials are %s of account %s.\n\nFix: use credentials of account %s (a profile, or aws { assume_role }), or set account_id to %s.",
				cfg.AccountID, awssdk.ToString(who.Arn), account, cfg.AccountID, account)}
	}
	b.caller = awssdk.ToString(who.Arn)
	b.id = backend.Identity{Kind: backend.KindAWS, AccountID: account, Region: b.base.Region}
	b.as = newPrincipals(b)
	return b, nil
}

func assumeNote(ar *backend.AssumeRole) string {
	if ar == nil || ar.RoleARN == "" {
		return ""
	}
	return ", assuming " + ar.RoleARN
}

// newClients makes the clients of one set of credentials, each at the endpoint the aws
// block's endpoints names for its service; AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>
// (and a profile's endpoint_url) are the SDK's own. S3 is addressed path-style whenever its
// endpoint is not AWS's (an emulator has no per-bucket host names).
func (b *Backend) newClients(cfg awssdk.Config) *clients {
	ep := func(service string) *string {
		if u := b.conf.Endpoints[service]; u != "" {
			return awssdk.String(u)
		}
		return nil
	}
	cfg.APIOptions = append(append([]func(*middleware.Stack) error{}, cfg.APIOptions...), addCheckOperation)
	return &clients{
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			if u := ep("s3"); u != nil {
				o.BaseEndpoint = u
			}
			if o.BaseEndpoint != nil {
				o.UsePathStyle = true
			}
		}),
		kms: kms.NewFromConfig(cfg, func(o *kms.Options) {
			if u := ep("kms"); u != nil {
				o.BaseEndpoint = u
			}
		}),
		iam: iam.NewFromConfig(cfg, func(o *iam.Options) {
			if u := ep("iam"); u != nil {
				o.BaseEndpoint = u
			}
		}),
		sts: sts.NewFromConfig(cfg, func(o *sts.Options) {
			if u := ep("sts"); u != nil {
				o.BaseEndpoint = u
			}
		}),
		cp: codepipeline.NewFromConfig(cfg, func(o *codepipeline.Options) {
			if u := ep("codepipeline"); u != nil {
				o.BaseEndpoint = u
			}
		}),
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// unknownEndpoints says which names of aws.endpoints are not services this backend calls.
func unknownEndpoints(m map[string]string) error {
	var bad []string
	for name := range m {
		known := false
		for _, s := range backend.AWSServices {
			known = known || s == name
		}
		if !known {
			bad = append(bad, name)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return errors.New("aws.endpoints names " + strings.Join(bad, ", ") + ", not one of " + strings.Join(backend.AWSServices, ", "))
}
