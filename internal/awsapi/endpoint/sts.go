package endpoint

import (
	"context"
	"errors"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

func registerSTS(e *Endpoint) {
	e.Register("sts", "GetCallerIdentity", e.getCallerIdentity)
	e.Register("sts", "AssumeRole", awsapi.Handle(e.assumeRole))
}

type callerIdentity struct {
	UserId, Account, Arn string //nolint:revive // the API's member names
}

// getCallerIdentity needs no permission, as in AWS.
func (e *Endpoint) getCallerIdentity(_ context.Context, req *awsapi.Request) (any, error) {
	if req.Principal.Anonymous {
		return nil, wire.NewError(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	return callerIdentity{Arn: req.Principal.ARN, UserId: req.Principal.UserID, Account: req.Principal.Account}, nil
}

type assumeRoleInput struct {
	RoleArn, RoleSessionName, ExternalId, Policy string //nolint:revive // the API's member names
	DurationSeconds                              int
	PolicyArns                                   []struct {
		Arn string `query:"arn"`
	}
}

type stsCredentials struct {
	AccessKeyId, SecretAccessKey, SessionToken string //nolint:revive // the API's member names
	Expiration                                 wire.ISO8601
}

type assumedRoleUser struct {
	AssumedRoleId, Arn string //nolint:revive // the API's member names
}

type assumeRoleOutput struct {
	Credentials     stsCredentials
	AssumedRoleUser assumedRoleUser
}

func (e *Endpoint) assumeRole(ctx context.Context, req *awsapi.Request, in *assumeRoleInput) (*assumeRoleOutput, error) {
	switch {
	case in.RoleArn == "":
		return nil, wire.MissingParameter(req.Service, "RoleArn")
	case in.RoleSessionName == "":
		return nil, wire.MissingParameter(req.Service, "RoleSessionName")
	case in.Policy != "" || len(in.PolicyArns) > 0:
		return nil, wire.Validation(req.Service, "session policies (Policy, PolicyArns) are not supported by the local cloud: assume the role without them")
	}
	k, err := e.cfg.Cloud.AssumeRole(ctx, backend.AssumeRoleRequest{
		Principal: req.Principal.ARN, RoleARN: in.RoleArn, SessionName: in.RoleSessionName, ExternalID: in.ExternalId,
		Duration: time.Duration(in.DurationSeconds) * time.Second,
	})
	if errors.Is(err, backend.ErrInvalid) {
		return nil, wire.Validation(req.Service, "%s", err.Error())
	}
	if err != nil {
		return nil, e.serviceError(req, err, nil)
	}
	return &assumeRoleOutput{
		Credentials:     stsCredentials{AccessKeyId: k.ID, SecretAccessKey: k.Secret, SessionToken: k.SessionToken, Expiration: wire.ISO8601(k.Expires)},
		AssumedRoleUser: assumedRoleUser{AssumedRoleId: k.RoleID + ":" + k.SessionName, Arn: k.Principal},
	}, nil
}
