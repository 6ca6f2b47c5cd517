package backend

import (
	"context"
	"time"
)

// Secrets is a small Systems Manager Parameter Store and Secrets Manager: what builds read
// through env.parameter-store and env.secrets-manager (and CodeBuild's PARAMETER_STORE and
// SECRETS_MANAGER environment variables). Values are secrets: stored sealed, never logged.
// Each account and region has its own; no grant lets another account read them.
type Secrets interface {
	// PutParameter stores a new version of a parameter (SSM PutParameter): the first is
	// version 1; an existing parameter needs overwrite, else ErrAlreadyExists.
	PutParameter(ctx context.Context, p *Parameter, overwrite bool) (*Parameter, error)
	// GetParameter returns a parameter with its value (SSM GetParameter with decryption): ref
	// is its name or ARN, optionally followed by ":VERSION" for an older version.
	GetParameter(ctx context.Context, ref string) (*Parameter, error)
	// ListParameters returns the latest version of every parameter, without values.
	ListParameters(ctx context.Context) ([]*Parameter, error)
	// DeleteParameter deletes a parameter and all its versions.
	DeleteParameter(ctx context.Context, ref string) error

	// PutSecretValue stores a new version of a secret, creating the secret on its first value
	// (Secrets Manager CreateSecret and PutSecretValue). stages default to AWSCURRENT; moving
	// AWSCURRENT to the new version moves AWSPREVIOUS to the version that had AWSCURRENT.
	PutSecretValue(ctx context.Context, name, value string, stages []string) (*Secret, error)
	// GetSecretValue returns a secret's version (Secrets Manager GetSecretValue): id is the
	// secret's name or ARN; versionID or versionStage choose the version, neither AWSCURRENT.
	GetSecretValue(ctx context.Context, id, versionStage, versionID string) (*Secret, error)
	// ListSecrets returns every secret with its current version's id and stages, without values.
	ListSecrets(ctx context.Context) ([]*Secret, error)
	// DeleteSecret deletes a secret and all its versions at once (no recovery window).
	DeleteSecret(ctx context.Context, id string) error
}

// Parameter types, as Systems Manager names them.
const (
	ParameterString       = "String"
	ParameterStringList   = "StringList"
	ParameterSecureString = "SecureString"
)

// ParameterTypes are the parameter types, in the order documentation lists them.
var ParameterTypes = []string{ParameterString, ParameterStringList, ParameterSecureString}

// Secret version stages Secrets Manager moves itself.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

// Parameter is one version of a Systems Manager parameter.
type Parameter struct {
	Name         string
	ARN          string
	Type         string // ParameterString, ParameterStringList or ParameterSecureString
	Value        string // "" in lists
	Description  string
	Version      int64
	LastModified time.Time
}

// Secret is one version of a Secrets Manager secret.
type Secret struct {
	Name      string
	ARN       string
	VersionID string
	Stages    []string
	Value     string // the SecretString; "" in lists
	Created   time.Time
}
