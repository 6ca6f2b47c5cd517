package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

const testWebhookURL = "http://127.0.0.1:8477/webhooks/111111111111/us-east-1/github-push"

// webhookConfig is a GITHUB_HMAC webhook whose second filter is match.
func webhookConfig(secret, match string) string {
	return fmt.Sprintf(`
resource "codepipeline_webhook" "test" {
  name            = "github-push"
  authentication  = "GITHUB_HMAC"
  target_pipeline = "app"
  target_action   = "Source"

  authentication_configuration {
    secret_token = %q
  }

  filter {
    json_path    = "$.ref"
    match_equals = "refs/heads/{Branch}"
  }
  filter {
    json_path    = "$.repository.name"
    match_equals = %q
  }

  tags = { team = "platform" }
}

output "url" {
  value = codepipeline_webhook.test.url
}
`, secret, match)
}

func TestAccWebhook_lifecycle(t *testing.T) {
	dir := testStateDir(t)
	const res = "codepipeline_webhook.test"
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			_, err := testWebhooks(t, dir).GetWebhook(context.Background(), "github-push")
			if !errors.Is(err, backend.ErrNotFound) {
				return fmt.Errorf("webhook still stored after destroy: %w", err)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: webhookConfig("s3cret-1", "app"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionCreate),
					// The URL is known at plan: a Git host can be configured from it before apply.
					plancheck.ExpectKnownValue(res, tfjsonpath.New("url"), knownvalue.StringExact(testWebhookURL)),
					plancheck.ExpectKnownOutputValue("url", knownvalue.StringExact(testWebhookURL)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("id"), knownvalue.StringExact("github-push")),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("arn"),
						knownvalue.StringExact("arn:aws:codepipeline:us-east-1:111111111111:webhook:github-push")),
					statecheck.ExpectKnownOutputValue("url", knownvalue.StringExact(testWebhookURL)),
				},
				Check: checkStoredWebhook(t, dir, "s3cret-1", "app"),
			},
			{
				Config:           webhookConfig("s3cret-1", "app"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// A new secret and filter update the webhook in place; the URL stays.
				Config: webhookConfig("s3cret-2", "app-2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				Check: checkStoredWebhook(t, dir, "s3cret-2", "app-2"),
			},
			{
				ResourceName: res, ImportState: true, ImportStateVerify: true,
				// The token is never read back, as with aws_codepipeline_webhook.
				ImportStateVerifyIgnore: []string{"authentication_configuration"},
			},
			{
				ResourceName: res, ImportState: true, ImportStateVerify: true,
				ImportStateId:           "arn:aws:codepipeline:us-east-1:111111111111:webhook:github-push",
				ImportStateVerifyIgnore: []string{"authentication_configuration"},
			},
			{
				// Deleted outside Terraform: the plan recreates it.
				PreConfig: func() {
					if err := testWebhooks(t, dir).DeleteWebhook(context.Background(), "github-push"); err != nil {
						t.Fatal(err)
					}
				},
				Config: webhookConfig("s3cret-2", "app-2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionCreate),
				}},
			},
		},
	})
}

func checkStoredWebhook(t *testing.T, dir, secret, match string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		w, err := testWebhooks(t, dir).GetWebhook(context.Background(), "github-push")
		if err != nil {
			return err
		}
		if w.SecretToken != secret || len(w.Filters) != 2 || w.Filters[1].MatchEquals != match || w.Tags["team"] != "platform" {
			return fmt.Errorf("stored webhook: auth %s, %d filters %+v, tags %v (secret matches: %t)",
				w.Authentication, len(w.Filters), w.Filters, w.Tags, w.SecretToken == secret)
		}
		return nil
	}
}

func TestAccWebhook_authRule(t *testing.T) {
	testStateDir(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
resource "codepipeline_webhook" "test" {
  name            = "office"
  authentication  = "IP"
  target_pipeline = "app"
  target_action   = "Source"
  authentication_configuration {
    allowed_ip_range = "10.0.0.0"
  }
  filter {
    json_path    = "$.ref"
    match_equals = "refs/heads/main"
  }
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`\[webhook-auth\][\s\S]*allowed_ip_range`),
			},
			{
				Config: `
resource "codepipeline_webhook" "test" {
  name            = "github"
  authentication  = "GITHUB_HMAC"
  target_pipeline = "app"
  target_action   = "Source"
  filter {
    json_path    = "$.ref"
    match_equals = "refs/heads/main"
  }
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`\[webhook-auth\][\s\S]*secret token`),
			},
		},
	})
}

// triggerPipelineConfig is a V2 pipeline with a connection source and the given trigger block.
func triggerPipelineConfig(sourceExtra, trigger string) string {
	return fmt.Sprintf(`
resource "codepipeline_pipeline" "app" {
  name     = "app"
  role_arn = "arn:aws:iam::111111111111:role/pipeline"

  artifact_store {
    location = "app-artifacts"
    type     = "S3"
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["src"]
      configuration = {
        ConnectionArn    = "arn:aws:codestar-connections:us-east-1:111111111111:connection/local"
        FullRepositoryId = "app"
        BranchName       = "main"
        %s
      }
    }
  }

  stage {
    name = "Build"
    action {
      name            = "Build"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["src"]
      configuration = {
        ProjectName = "app"
      }
    }
  }

  %s
}
`, sourceExtra, trigger)
}

func TestAccPipeline_triggerRules(t *testing.T) {
	testStateDir(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: triggerPipelineConfig("", `
  trigger {
    provider_type = "CodeStarSourceConnection"
    git_configuration {
      source_action_name = "Checkout"
      push {
        branches {
          includes = ["main"]
        }
      }
    }
  }`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`\[trigger-source\][\s\S]*source_action_name`),
			},
			{
				Config: triggerPipelineConfig("", `
  trigger {
    provider_type = "CodeStarSourceConnection"
    git_configuration {
      source_action_name = "Source"
      push {
        file_paths {
          includes = ["src/**"]
        }
      }
    }
  }`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`\[trigger-filters\][\s\S]*push`),
			},
		},
	})
}

// TestAccPipeline_pollingWarning plans a polling source with the real terraform binary and
// checks that the plan shows the [polling-deprecated] warning (the test framework does not
// expose warnings) and still succeeds.
func TestAccPipeline_pollingWarning(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	testStateDir(t)
	useProviderBinary(t)
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		tf = "terraform"
	}
	work := t.TempDir()
	cfg := requiredProvidersBlock + strings.Replace(triggerPipelineConfig("", ""), `provider         = "CodeStarSourceConnection"`, `provider         = "CodeCommit"`, 1)
	cfg = strings.Replace(cfg, `ConnectionArn    = "arn:aws:codestar-connections:us-east-1:111111111111:connection/local"
        FullRepositoryId = "app"`, `RepositoryName       = "app"
        PollForSourceChanges = "true"`, 1)
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tf, "plan", "-no-color", "-input=false")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("terraform plan failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Warning: [polling-deprecated]") || !strings.Contains(string(out), "PollForSourceChanges") {
		t.Fatalf("the plan does not warn [polling-deprecated]:\n%s", out)
	}
}

// testWebhooks is the webhooks of the default account of the local cloud in dir.
func testWebhooks(t *testing.T, dir string) backend.Webhooks {
	t.Helper()
	w, err := backend.WebhooksOf(testBackend(t, dir, backend.DefaultAccountID))
	if err != nil {
		t.Fatal(err)
	}
	return w
}
