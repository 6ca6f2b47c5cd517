package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRoleKeyGrant checks xacct-role-decrypt on variants of the seed scenario
// (testdata/provider-plans/clean) where the key is created in the same configuration, so its
// ARN is not known before apply.
func TestRoleKeyGrant(t *testing.T) {
	clean := string(readFile(t, filepath.Join("testdata", "provider-plans", "clean", "main.tf")))
	const roleBlock = `resource "codepipeline_cross_account_role" "deploy" {
  provider = codepipeline.target

  name                = "deploy"
  trusted_account_id  = "111111111111"
  artifact_bucket_arn = codepipeline_artifact_store.artifacts.arn
  key_arn             = codepipeline_cross_account_key.artifacts.arn
}`
	if !strings.Contains(clean, roleBlock) {
		t.Fatal("the clean fixture's role resource is not as this test expects")
	}
	// iamRole replaces the role by the AWS provider's aws_iam_role "deploy" in the target
	// account, whose inline policy allows the key actions on keyResource.
	iamRole := func(keyResource string) string {
		return strings.ReplaceAll(strings.Replace(clean, roleBlock, `provider "aws" {
  alias               = "target"
  region              = "us-east-1"
  allowed_account_ids = ["222222222222"]
}

resource "aws_iam_role" "deploy" {
  provider = aws.target
  name     = "deploy"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::111111111111:root" } }]
  })
  inline_policy {
    name = "artifacts"
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [
        { Effect = "Allow", Action = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"], Resource = "`+keyResource+`" },
        { Effect = "Allow", Action = ["s3:Get*", "s3:Put*"], Resource = "arn:aws:s3:::release-artifacts/*" },
        { Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::release-artifacts" },
      ]
    })
  }
}`, 1), "codepipeline_cross_account_role.deploy.arn", "aws_iam_role.deploy.arn")
	}
	decrypt := []want{{"xacct-role-decrypt", "codepipeline_pipeline.release", "stage[1].action[0].role_arn"}}
	cases := []struct {
		name   string
		config string
		want   []want
	}{
		{
			// Not known even as a reference: the generated policy is unknown, not empty.
			name: "key_arn from a variable without a value",
			config: strings.Replace(clean, "key_arn             = codepipeline_cross_account_key.artifacts.arn",
				"key_arn             = var.deploy_key_arn", 1) + "\nvariable \"deploy_key_arn\" {\n  type = string\n}\n",
		},
		{
			// The key's ARN carries the account and region of its provider block (the
			// defaults of this provider: the block sets account_id only).
			name:   "aws_iam_role allowing the pipeline account's keys in its region",
			config: iamRole("arn:aws:kms:us-east-1:111111111111:key/*"),
		},
		{
			name:   "aws_iam_role allowing keys of another region",
			config: iamRole("arn:aws:kms:eu-west-1:111111111111:key/*"),
			want:   decrypt,
		},
		{
			name:   "aws_iam_role allowing keys of another account",
			config: iamRole("arn:aws:kms:us-east-1:222222222222:key/*"),
			want:   decrypt,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(tc.config), 0o600); err != nil {
				t.Fatal(err)
			}
			fs, _ := got(t, dir, Options{})
			if diff := cmp.Diff(tc.want, fs); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}
