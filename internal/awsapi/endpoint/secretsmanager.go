package endpoint

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// Secrets Manager (JSON 1.1): the secrets builds read through env.secrets-manager, over
// backend.Secrets. String secrets only; a secret exists from its first value.

func registerSecretsManager(e *Endpoint) {
	for op, h := range map[string]awsapi.Handler{
		"CreateSecret":   awsapi.Handle(e.createSecret),
		"PutSecretValue": awsapi.Handle(e.putSecretValue),
		"GetSecretValue": awsapi.Handle(e.getSecretValue),
		"DeleteSecret":   awsapi.Handle(e.deleteSecret),
	} {
		e.Register("secretsmanager", op, h)
	}
}

// secretsManagerError answers a backend error in Secrets Manager's words.
func (e *Endpoint) secretsManagerError(req *awsapi.Request, err error) error {
	return e.serviceError(req, err, func(nf *backend.NotFound) *wire.Error {
		if nf.Kind == backend.KindSecretVersion {
			return wire.NewError(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for %s.", nf.Name)
		}
		return wire.NewError(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	})
}

// secretResource is the ARN a request on a secret is authorized on: the secret's, or before it
// exists the ARN without its random suffix.
func secretResource(req *awsapi.Request, id string) string {
	if strings.HasPrefix(id, "arn:") {
		return id
	}
	return strings.TrimSuffix(arn.Secret(req.Region, req.Principal.Account, id, ""), "-")
}

type createSecretInput struct {
	Name, SecretString, Description string
	SecretBinary                    []byte
}

type secretVersionOutput struct {
	ARN           string
	Name          string
	VersionId     string
	VersionStages []string
}

type createSecretOutput struct {
	ARN       string
	Name      string
	VersionId string
}

func (e *Endpoint) createSecret(ctx context.Context, req *awsapi.Request, in *createSecretInput) (*createSecretOutput, error) {
	switch {
	case in.Name == "":
		return nil, wire.MissingParameter(req.Service, "name")
	case len(in.SecretBinary) > 0 || in.SecretString == "":
		return nil, wire.NewError(400, "InvalidParameterException", "The local secret store keeps string secrets only: give SecretString.")
	}
	s, err := e.secrets(req)
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, req, "secretsmanager:CreateSecret", secretResource(req, in.Name)); err != nil {
		return nil, err
	}
	if _, err := s.GetSecretValue(ctx, in.Name, "", ""); err == nil {
		return nil, wire.NewError(400, "ResourceExistsException", "The operation failed because the secret %s already exists.", in.Name)
	}
	v, err := s.PutSecretValue(ctx, in.Name, in.SecretString, nil)
	if err != nil {
		return nil, e.secretsManagerError(req, err)
	}
	return &createSecretOutput{ARN: v.ARN, Name: v.Name, VersionId: v.VersionID}, nil
}

type putSecretValueInput struct {
	SecretId      string
	SecretString  string
	SecretBinary  []byte
	VersionStages []string
}

func (e *Endpoint) putSecretValue(ctx context.Context, req *awsapi.Request, in *putSecretValueInput) (*secretVersionOutput, error) {
	switch {
	case in.SecretId == "":
		return nil, wire.MissingParameter(req.Service, "secretId")
	case len(in.SecretBinary) > 0 || in.SecretString == "":
		return nil, wire.NewError(400, "InvalidParameterException", "The local secret store keeps string secrets only: give SecretString.")
	}
	s, err := e.secrets(req)
	if err != nil {
		return nil, err
	}
	cur, err := s.GetSecretValue(ctx, in.SecretId, "", "")
	if err != nil && !errors.Is(err, backend.ErrNotFound) {
		return nil, e.secretsManagerError(req, err)
	}
	if cur == nil {
		return nil, wire.NewError(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	}
	if err := e.authorize(ctx, req, "secretsmanager:PutSecretValue", cur.ARN); err != nil {
		return nil, err
	}
	v, err := s.PutSecretValue(ctx, cur.Name, in.SecretString, in.VersionStages)
	if err != nil {
		return nil, e.secretsManagerError(req, err)
	}
	return &secretVersionOutput{ARN: v.ARN, Name: v.Name, VersionId: v.VersionID, VersionStages: v.Stages}, nil
}

type getSecretValueInput struct {
	SecretId     string
	VersionId    string
	VersionStage string
}

type getSecretValueOutput struct {
	ARN           string
	Name          string
	VersionId     string
	SecretString  string
	VersionStages []string
	CreatedDate   *wire.EpochSeconds
}

func (e *Endpoint) getSecretValue(ctx context.Context, req *awsapi.Request, in *getSecretValueInput) (*getSecretValueOutput, error) {
	if in.SecretId == "" {
		return nil, wire.MissingParameter(req.Service, "secretId")
	}
	s, err := e.secrets(req)
	if err != nil {
		return nil, err
	}
	v, err := s.GetSecretValue(ctx, in.SecretId, in.VersionStage, in.VersionId)
	if err != nil {
		return nil, e.secretsManagerError(req, err)
	}
	if err := e.authorize(ctx, req, "secretsmanager:GetSecretValue", v.ARN); err != nil {
		return nil, err
	}
	return &getSecretValueOutput{ARN: v.ARN, Name: v.Name, VersionId: v.VersionID, SecretString: v.Value,
		VersionStages: v.Stages, CreatedDate: epochOf(v.Created)}, nil
}

type deleteSecretInput struct {
	SecretId                   string
	ForceDeleteWithoutRecovery bool
	RecoveryWindowInDays       int64
}

type deleteSecretOutput struct {
	ARN          string
	Name         string
	DeletionDate *wire.EpochSeconds
}

// deleteSecret deletes at once: the local store has no recovery window.
func (e *Endpoint) deleteSecret(ctx context.Context, req *awsapi.Request, in *deleteSecretInput) (*deleteSecretOutput, error) {
	if in.SecretId == "" {
		return nil, wire.MissingParameter(req.Service, "secretId")
	}
	s, err := e.secrets(req)
	if err != nil {
		return nil, err
	}
	v, err := s.GetSecretValue(ctx, in.SecretId, "", "")
	if err != nil {
		return nil, e.secretsManagerError(req, err)
	}
	if err := e.authorize(ctx, req, "secretsmanager:DeleteSecret", v.ARN); err != nil {
		return nil, err
	}
	if err := s.DeleteSecret(ctx, v.ARN); err != nil {
		return nil, e.secretsManagerError(req, err)
	}
	return &deleteSecretOutput{ARN: v.ARN, Name: v.Name, DeletionDate: epochOf(time.Now())}, nil
}
