package endpoint_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// ssmScenario: parameters written and read as the SDK does it, versions, SecureString
// decryption, GetParameters' invalid names, and the typed exceptions.
func ssmScenario(t *testing.T, a *clients) {
	ctx := context.Background()
	put := func(name, value string, typ ssmtypes.ParameterType, overwrite bool) (*ssm.PutParameterOutput, error) {
		return a.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: typ, Overwrite: aws.Bool(overwrite)})
	}
	if v := must[*ssm.PutParameterOutput](t)(put("/app/region", "eu-west-1", ssmtypes.ParameterTypeString, false)); v.Version != 1 {
		t.Errorf("first version %d", v.Version)
	}
	var exists *ssmtypes.ParameterAlreadyExists
	if _, err := put("/app/region", "eu-west-2", ssmtypes.ParameterTypeString, false); !errors.As(err, &exists) {
		t.Errorf("put without overwrite: %v, want ParameterAlreadyExists", err)
	}
	if v := must[*ssm.PutParameterOutput](t)(put("/app/region", "eu-central-1", "", true)); v.Version != 2 {
		t.Errorf("overwrite made version %d", v.Version)
	}
	must[*ssm.PutParameterOutput](t)(put("/app/token", "t0ken", ssmtypes.ParameterTypeSecureString, false))
	got := must[*ssm.GetParameterOutput](t)(a.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/token"), WithDecryption: aws.Bool(true)}))
	if aws.ToString(got.Parameter.Value) != "t0ken" || got.Parameter.Type != ssmtypes.ParameterTypeSecureString ||
		aws.ToString(got.Parameter.ARN) != "arn:aws:ssm:us-east-1:111111111111:parameter/app/token" {
		t.Errorf("GetParameter with decryption: %+v", got.Parameter)
	}
	enc := must[*ssm.GetParameterOutput](t)(a.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/token")}))
	if aws.ToString(enc.Parameter.Value) == "t0ken" {
		t.Error("a SecureString read without decryption shows its value")
	}
	many := must[*ssm.GetParametersOutput](t)(a.ssm.GetParameters(ctx, &ssm.GetParametersInput{
		Names: []string{"/app/region:1", "/app/token", "/app/missing"}, WithDecryption: aws.Bool(true)}))
	if len(many.Parameters) != 2 || aws.ToString(many.Parameters[0].Value) != "eu-west-1" || !slices.Equal(many.InvalidParameters, []string{"/app/missing"}) {
		t.Errorf("GetParameters: %+v invalid %v", many.Parameters, many.InvalidParameters)
	}
	must[*ssm.DeleteParameterOutput](t)(a.ssm.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/app/region")}))
	var notFound *ssmtypes.ParameterNotFound
	if _, err := a.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/region")}); !errors.As(err, &notFound) {
		t.Errorf("a deleted parameter: %v, want ParameterNotFound", err)
	}
}

// secretsManagerScenario: a secret created, given a new version, read by stage and version id,
// refused to another account, and deleted, with the typed exceptions.
func secretsManagerScenario(t *testing.T, a, other *clients) {
	ctx := context.Background()
	created := must[*secretsmanager.CreateSecretOutput](t)(a.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("prod/db"), SecretString: aws.String(`{"password":"one"}`)}))
	var exists *smtypes.ResourceExistsException
	if _, err := a.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String("x")}); !errors.As(err, &exists) {
		t.Errorf("second CreateSecret: %v, want ResourceExistsException", err)
	}
	second := must[*secretsmanager.PutSecretValueOutput](t)(a.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: created.ARN, SecretString: aws.String(`{"password":"two"}`)}))
	if !slices.Equal(second.VersionStages, []string{"AWSCURRENT"}) {
		t.Errorf("new version's stages %v", second.VersionStages)
	}
	for _, c := range []struct {
		in   secretsmanager.GetSecretValueInput
		want string
	}{
		{secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/db")}, "two"},
		{secretsmanager.GetSecretValueInput{SecretId: created.ARN, VersionStage: aws.String("AWSPREVIOUS")}, "one"},
		{secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/db"), VersionId: created.VersionId}, "one"},
	} {
		got := must[*secretsmanager.GetSecretValueOutput](t)(a.sm.GetSecretValue(ctx, &c.in))
		if aws.ToString(got.SecretString) != `{"password":"`+c.want+`"}` || aws.ToString(got.ARN) != aws.ToString(created.ARN) {
			t.Errorf("GetSecretValue(%+v) = %s", c.in, aws.ToString(got.SecretString))
		}
	}
	var missing *smtypes.ResourceNotFoundException
	if _, err := other.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: created.ARN}); !errors.As(err, &missing) {
		t.Errorf("another account's GetSecretValue by ARN: %v, want ResourceNotFoundException", err)
	}
	if _, err := a.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("nope"), SecretString: aws.String("x")}); !errors.As(err, &missing) {
		t.Errorf("PutSecretValue of no secret: %v, want ResourceNotFoundException", err)
	}
	must[*secretsmanager.DeleteSecretOutput](t)(a.sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("prod/db"), ForceDeleteWithoutRecovery: aws.Bool(true)}))
	if _, err := a.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/db")}); !errors.As(err, &missing) {
		t.Errorf("a deleted secret: %v, want ResourceNotFoundException", err)
	}
}
