package check

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// awsConditionsConfig is an aws_codepipeline with the stage-condition blocks of the AWS
// provider 5.x, breaking three rules that provider lets through: an entry condition that
// rolls back, a Unix cron for a deployment window, and RETRY without a retry configuration.
const awsConditionsConfig = `
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "AKIAEXAMPLE"
  secret_key                  = "example"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

resource "aws_codepipeline" "release" {
  name          = "release"
  role_arn      = "arn:aws:iam::111111111111:role/codepipeline-service"
  pipeline_type = "V2"
  artifact_store {
    location = "release-artifacts"
    type     = "S3"
  }
  stage {
    name = "Source"
    action {
      name             = "Checkout"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["source"]
      configuration = {
        ConnectionArn    = "arn:aws:codestar-connections:eu-west-1:111111111111:connection/x"
        FullRepositoryId = "acme/app"
        BranchName       = "main"
      }
    }
  }
  stage {
    name = "Deploy"
    before_entry {
      condition {
        result = "ROLLBACK"
        rule {
          name = "OfficeHours"
          rule_type_id {
            category = "Rule"
            provider = "DeploymentWindow"
          }
          configuration = {
            Cron = "* 9-16 * * 1-5"
          }
        }
      }
    }
    on_success {
      condition {
        rule {
          name = "Healthy"
          rule_type_id {
            category = "Rule"
            owner    = "AWS"
            provider = "VariableCheck"
            version  = "1"
          }
          configuration = {
            Variable = "#{variables.healthy}"
            Operator = "EQ"
            Value    = "yes"
          }
        }
      }
    }
    on_failure {
      result = "RETRY"
    }
    action {
      name            = "Publish"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "S3"
      version         = "1"
      input_artifacts = ["source"]
      configuration = {
        BucketName = "site"
        Extract    = "true"
      }
    }
  }
}
`

var awsConditionsWant = []want{
	{"condition-result", pipe, "stage[1].before_entry[0].condition[0].result"},
	{"condition-rule-config", pipe, `stage[1].before_entry[0].condition[0].rule[0].configuration["Cron"]`},
	{"stage-retry", pipe, "stage[1].on_failure[0]"},
}

// TestAccAWSCodePipelineConditions checks an aws_codepipeline with stage conditions as a .tf
// directory and as the plan the AWS provider 5.100 itself makes of it (offline, from a
// filesystem mirror): both find the same three problems at the same attributes, which also
// proves that the blocks are the AWS provider's.
func TestAccAWSCodePipelineConditions(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (it runs terraform with the AWS provider)")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(awsConditionsConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	fs, _ := got(t, dir, Options{})
	if diff := cmp.Diff(awsConditionsWant, fs); diff != "" {
		t.Errorf(".tf findings (-want +got):\n%s", diff)
	}

	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		tf = "terraform"
	}
	mirror := awsProviderMirror(t)
	rc := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(rc, []byte("provider_installation {\n  filesystem_mirror {\n    path = \""+mirror+"\"\n  }\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) []byte {
		cmd := exec.Command(tf, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
				stderr = ee.Stderr
			}
			t.Fatalf("terraform %v: %v\n%s%s", args, err, out, stderr)
		}
		return out
	}
	run("init", "-input=false", "-no-color")
	run("plan", "-input=false", "-no-color", "-out=plan.bin")
	plan := run("show", "-json", "plan.bin")
	if err := os.WriteFile(filepath.Join(dir, "plan.json"), plan, 0o600); err != nil {
		t.Fatal(err)
	}
	fs, _ = got(t, filepath.Join(dir, "plan.json"), Options{})
	if diff := cmp.Diff(awsConditionsWant, fs); diff != "" {
		t.Errorf("plan findings (-want +got):\n%s", diff)
	}
}

// awsProviderMirror is the filesystem mirror holding the AWS provider 5.100.0:
// CODEPIPELINE_TF_PLUGIN_MIRROR, else the places the machine images put it. Without one the
// test fails, saying where to put it.
func awsProviderMirror(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("CODEPIPELINE_TF_PLUGIN_MIRROR"), "/opt/tf-plugins"}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".terraform.d", "plugins"))
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(c, "registry.terraform.io", "hashicorp", "aws", "5.100.0")); err == nil {
			return c
		}
	}
	t.Fatalf("no filesystem mirror holds registry.terraform.io/hashicorp/aws/5.100.0 (looked in %q): set CODEPIPELINE_TF_PLUGIN_MIRROR to one", candidates)
	return ""
}
