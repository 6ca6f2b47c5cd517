package provider

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// Every resource with blocks is planned with `dynamic` blocks over a collection known only after
// apply (terraform_data's output): Terraform then sends the whole block list as unknown, which
// a model holding blocks as Go slices cannot take ("Value Conversion Error … Received unknown
// value"). The same configurations are then applied and planned again with no changes.

func TestAccWebhook_dynamicBlocksOverUnknown(t *testing.T) {
	dir := testStateDir(t)
	const res = "codepipeline_webhook.test"
	config := `
resource "terraform_data" "auth" {
  input = ["s3cret-dynamic"]
}

resource "terraform_data" "filters" {
  input = [
    { json_path = "$.ref", match_equals = "refs/heads/{Branch}" },
    { json_path = "$.repository.name", match_equals = "app" },
  ]
}

resource "codepipeline_webhook" "test" {
  name            = "github-push"
  authentication  = "GITHUB_HMAC"
  target_pipeline = "app"
  target_action   = "Source"

  dynamic "authentication_configuration" {
    for_each = terraform_data.auth.output
    content {
      secret_token = authentication_configuration.value
    }
  }

  dynamic "filter" {
    for_each = terraform_data.filters.output
    content {
      json_path    = filter.value.json_path
      match_equals = filter.value.match_equals
    }
  }

  tags = { team = "platform" }
}
`
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionCreate),
					plancheck.ExpectUnknownValue(res, tfjsonpath.New("filter")),
					plancheck.ExpectKnownValue(res, tfjsonpath.New("url"), knownvalue.StringExact(testWebhookURL)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("filter"), knownvalue.ListSizeExact(2)),
				},
				Check: checkStoredWebhook(t, dir, "s3cret-dynamic", "app"),
			},
			{
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// dynamicPipelineConfig is a pipeline whose encryption key, stages, actions, triggers and
// variables are dynamic blocks over terraform_data outputs.
const dynamicPipelineConfig = `
resource "terraform_data" "shape" {
  input = {
    keys      = []
    stages    = ["Build"]
    triggers  = ["main"]
    variables = { greeting = "hello" }
  }
}

resource "codepipeline_artifact_store" "store" {
  bucket = "app-artifacts"
}

resource "codepipeline_pipeline" "app" {
  name     = "app"
  role_arn = "arn:aws:iam::111111111111:role/pipeline"

  artifact_store {
    location = codepipeline_artifact_store.store.bucket
    type     = "S3"
    dynamic "encryption_key" {
      for_each = terraform_data.shape.output.keys
      content {
        id   = encryption_key.value
        type = "KMS"
      }
    }
  }

  stage {
    name = "Source"
    action {
      name             = "Checkout"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["src"]
      configuration = {
        ConnectionArn    = "arn:aws:codestar-connections:us-east-1:111111111111:connection/local"
        FullRepositoryId = "octo/app"
        BranchName       = "main"
      }
    }
  }

  dynamic "stage" {
    for_each = terraform_data.shape.output.stages
    content {
      name = stage.value
      dynamic "action" {
        for_each = [stage.value]
        content {
          name            = action.value
          category        = "Build"
          owner           = "AWS"
          provider        = "Commands"
          version         = "1"
          input_artifacts = ["src"]
          commands        = ["echo $greeting"]
        }
      }
    }
  }

  dynamic "trigger" {
    for_each = terraform_data.shape.output.triggers
    content {
      provider_type = "CodeStarSourceConnection"
      git_configuration {
        source_action_name = "Checkout"
        dynamic "push" {
          for_each = [trigger.value]
          content {
            branches {
              includes = [push.value]
            }
          }
        }
      }
    }
  }

  dynamic "variable" {
    for_each = terraform_data.shape.output.variables
    content {
      name          = variable.key
      default_value = variable.value
    }
  }
}
`

func TestAccPipeline_dynamicBlocksOverUnknown(t *testing.T) {
	testStateDir(t)
	const res = "codepipeline_pipeline.app"
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: dynamicPipelineConfig,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("stage"), knownvalue.ListSizeExact(2)),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("stage").AtSliceIndex(1).AtMapKey("action").AtSliceIndex(0).AtMapKey("name"),
						knownvalue.StringExact("Build")),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("trigger"), knownvalue.ListSizeExact(1)),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("variable").AtSliceIndex(0).AtMapKey("name"), knownvalue.StringExact("greeting")),
				},
			},
			{
				Config:           dynamicPipelineConfig,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// A rule broken only by the blocks known after apply is caught before apply
				// changes the pipeline: the dynamic stage repeats the name "Source".
				Config:      strings.Replace(dynamicPipelineConfig, `stages    = ["Build"]`, `stages    = ["Source"]`, 1),
				ExpectError: regexp.MustCompile(`stage-unique`),
			},
		},
	})
}

func TestAccRun_dynamicTimeoutsOverUnknown(t *testing.T) {
	dir := testStateDir(t)
	const res = "codepipeline_run.web"
	run := `
resource "terraform_data" "timeouts" {
  input = ["10m"]
}

resource "codepipeline_run" "web" {
  pipeline = codepipeline_pipeline.web.name
  dynamic "timeouts" {
    for_each = terraform_data.timeouts.output
    content {
      create = timeouts.value
    }
  }
}
`
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: s3PipelineConfig("web-site", "")},
			{
				PreConfig: func() { putSourceZip(t, dir, map[string]string{"index.html": "<h1>dynamic</h1>"}) },
				Config:    s3PipelineConfig("web-site", run),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectUnknownValue(res, tfjsonpath.New("timeouts").AtMapKey("create")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("status"), knownvalue.StringExact("Succeeded")),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("timeouts").AtMapKey("create"), knownvalue.StringExact("10m")),
					// A manual run pins no source.
					statecheck.ExpectKnownValue(res, tfjsonpath.New("source_revisions"), knownvalue.MapExact(map[string]knownvalue.Check{})),
				},
				Check: checkDeployedObject(dir, "web-site", "www/index.html", "<h1>dynamic</h1>"),
			},
			{
				Config:           s3PipelineConfig("web-site", run),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}
