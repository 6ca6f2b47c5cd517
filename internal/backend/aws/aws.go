// Package aws is the backend door (internal/backend) on AWS itself: S3, KMS, IAM, STS and
// CodePipeline through aws-sdk-go-v2, acting as the identity the standard credential chain
// (or the provider's aws { } block) gives. Only the wiring (internal/backend/backends) imports
// it; callers see backend's capabilities.
//
// The files follow the domain's seams: config.go (credentials, endpoints, the caller's
// identity), principals.go (acting as a role of an object call), stores.go and objects.go (S3),
// keys.go (KMS), roles.go (IAM), pipelines.go (CodePipeline definitions), facts.go (what the
// rules read), errors.go (AWS's error codes as backend's errors).
//
// What differs from the local cloud by nature, not by capability: a backend acting as one AWS
// identity reads what IAM and the resource policies let it read — another account's roles and
// key policies are left out of the facts (Facts.Unreadable says which) — and it cannot act as
// another account's root.
package aws

import (
	"context"
	"sync"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

var _ backend.Backend = (*Backend)(nil)

// Backend acts as one AWS identity in one region.
type Backend struct {
	id      backend.Identity
	base    awssdk.Config // the resolved configuration: credentials, region, retries
	conf    backend.AWSConfig
	caller  string // the caller's ARN (sts:GetCallerIdentity)
	clients *clients
	as      *principals
	// artifactVersions caches the version id of output artifacts' objects (bucket/key →
	// version): CodePipeline writes each artifact once, under a key of its own.
	artifactVersions sync.Map
}

// clients are the service clients of one set of credentials.
type clients struct {
	s3  *s3.Client
	kms *kms.Client
	iam *iam.Client
	sts *sts.Client
	cp  *codepipeline.Client
}

// Open is the aws kind's backend.Opener: it resolves the configuration and credentials, and
// checks with sts:GetCallerIdentity who they are (see config.go).
func Open(ctx context.Context, cfg backend.Config, _ backend.OpenOptions) (backend.Backend, error) {
	return open(ctx, cfg)
}

// Identity is the account of the credentials and the configured region.
func (b *Backend) Identity() backend.Identity { return b.id }

// Close releases nothing: the SDK's connections are released with the process.
func (b *Backend) Close() error { return nil }

// root is the ARN of the acting account's root.
func (b *Backend) root() string { return b.id.Partition().Root(b.id.AccountID) }
