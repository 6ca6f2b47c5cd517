package check

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/tftest"
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
  region = "eu-west-1"
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
// directory and as the plan the AWS provider 5.100 itself makes of it (offline, from the
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
	plan := tftest.NewWorkdir(t, tftest.Options{Root: dir, AWS: true}).PlanJSON()
	planFile := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(planFile, plan, 0o600); err != nil {
		t.Fatal(err)
	}
	fs, _ = got(t, planFile, Options{})
	if diff := cmp.Diff(awsConditionsWant, fs); diff != "" {
		t.Errorf("plan findings (-want +got):\n%s", diff)
	}
}
