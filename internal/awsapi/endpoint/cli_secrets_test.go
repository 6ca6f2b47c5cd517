package endpoint_test

import (
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/internal/awscli"
)

// TestAWSCLIParametersAndSecrets: the AWS CLI v1 writes and reads parameters and secrets as
// scripts do, and every response validates against the service models.
func TestAWSCLIParametersAndSecrets(t *testing.T) {
	bin := awscli.Find(t, "1")
	c := newCloud(t)
	k := c.key(acctA)
	cli := awscli.New(t, bin, c.srv.URL, k.ID, k.Secret)
	cli.OK(t, `"Version": 1`, "ssm", "put-parameter", "--name", "/ci/npm-token", "--value", "npm-s3cret", "--type", "SecureString")
	if out := cli.OK(t, "npm-s3cret", "ssm", "get-parameter", "--name", "/ci/npm-token", "--with-decryption",
		"--query", "Parameter.Value", "--output", "text"); strings.TrimSpace(out) != "npm-s3cret" {
		t.Errorf("get-parameter: %q", out)
	}
	cli.Fails(t, "ParameterAlreadyExists", "The parameter already exists", "ssm", "put-parameter", "--name", "/ci/npm-token", "--value", "x", "--type", "String")
	cli.OK(t, `"InvalidParameters": [`, "ssm", "get-parameters", "--names", "/ci/npm-token", "/ci/missing")
	cli.OK(t, "ci/dockerhub-", "secretsmanager", "create-secret", "--name", "ci/dockerhub", "--secret-string", `{"token":"one"}`)
	cli.OK(t, "AWSCURRENT", "secretsmanager", "put-secret-value", "--secret-id", "ci/dockerhub", "--secret-string", `{"token":"two"}`)
	if out := cli.OK(t, "one", "secretsmanager", "get-secret-value", "--secret-id", "ci/dockerhub", "--version-stage", "AWSPREVIOUS",
		"--query", "SecretString", "--output", "text"); strings.TrimSpace(out) != `{"token":"one"}` {
		t.Errorf("get-secret-value AWSPREVIOUS: %q", out)
	}
	cli.Fails(t, "ResourceNotFoundException", "can't find the specified secret", "secretsmanager", "get-secret-value", "--secret-id", "ci/none")
	cli.OK(t, "DeletionDate", "secretsmanager", "delete-secret", "--secret-id", "ci/dockerhub", "--force-delete-without-recovery")
	cli.OK(t, "", "ssm", "delete-parameter", "--name", "/ci/npm-token")
	if n := c.validate(t); n < 9 {
		t.Errorf("only %d responses validated", n)
	}
}
