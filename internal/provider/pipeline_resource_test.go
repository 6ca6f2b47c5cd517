package provider

import (
	"context"
	"errors"
	"fmt"
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

// pipelineConfig is a store and a three-stage pipeline (CodeCommit source, CodeBuild build,
// S3 deploy); buildExtra is spliced into the build stage's action.
func pipelineConfig(buildExtra string) string { return pipelineConfigReading(buildExtra, "src") }

// pipelineConfigReading is pipelineConfig whose build action reads the artifact buildInput.
func pipelineConfigReading(buildExtra, buildInput string) string {
	return fmt.Sprintf(`
resource "codepipeline_artifact_store" "store" {
  bucket = "app-artifacts"
}

resource "codepipeline_pipeline" "app" {
  name     = "app"
  role_arn = "arn:aws:iam::111111111111:role/pipeline"

  artifact_store {
    location = codepipeline_artifact_store.store.bucket
    type     = "S3"
  }

  stage {
    name = "Source"
    action {
      name             = "Checkout"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      output_artifacts = ["src"]
      configuration = {
        RepositoryName = "app"
        BranchName     = "main"
      }
    }
  }

  stage {
    name = "Build"
    action {
      name             = "Compile"
      category         = "Build"
      owner            = "AWS"
      provider         = "CodeBuild"
      version          = "1"
      input_artifacts  = [%q]
      output_artifacts = ["bin"]
      configuration = {
        ProjectName = "app"
      }
      %s
    }
  }

  stage {
    name = "Deploy"
    action {
      name            = "Upload"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "S3"
      version         = "1"
      input_artifacts = ["bin"]
      configuration = {
        BucketName = "site"
        Extract    = "true"
      }
    }
  }
}
`, buildInput, buildExtra)
}

func TestAccPipeline_lifecycle(t *testing.T) {
	dir := testStateDir(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkPipelineGone(dir, "app"),
		Steps: []resource.TestStep{
			{
				Config: pipelineConfig(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("codepipeline_pipeline.app", tfjsonpath.New("arn"), knownvalue.StringExact("arn:aws:codepipeline:us-east-1:111111111111:app")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("codepipeline_pipeline.app", tfjsonpath.New("version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue("codepipeline_pipeline.app", tfjsonpath.New("pipeline_type"), knownvalue.StringExact("V2")),
					statecheck.ExpectKnownValue("codepipeline_pipeline.app", tfjsonpath.New("execution_mode"), knownvalue.StringExact("SUPERSEDED")),
					statecheck.ExpectKnownValue("codepipeline_pipeline.app",
						tfjsonpath.New("stage").AtSliceIndex(1).AtMapKey("action").AtSliceIndex(0).AtMapKey("run_order"), knownvalue.Int64Exact(1)),
				},
			},
			{
				Config:           pipelineConfig(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// An update is in place and increments the version, as in CodePipeline.
				Config: pipelineConfig(`namespace = "BuildVariables"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("codepipeline_pipeline.app", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("codepipeline_pipeline.app", tfjsonpath.New("version"), knownvalue.Int64Exact(2)),
				},
			},
			{ResourceName: "codepipeline_pipeline.app", ImportState: true, ImportStateVerify: true},
			{ResourceName: "codepipeline_pipeline.app", ImportState: true, ImportStateVerify: true,
				ImportStateId: "arn:aws:codepipeline:us-east-1:111111111111:app"},
		},
	})
}

func TestAccPipeline_drift(t *testing.T) {
	dir := testStateDir(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: pipelineConfig("")},
			{
				// Someone edits the definition outside Terraform: the next plan puts it back.
				PreConfig: func() {
					b := testBackend(t, dir, "111111111111")
					rec, err := b.GetPipeline(context.Background(), "app")
					if err != nil {
						t.Fatal(err)
					}
					rec.Definition.Stages[1].Actions[0].Configuration["ProjectName"] = "other"
					if _, err := b.UpdatePipeline(context.Background(), rec.Definition); err != nil {
						t.Fatal(err)
					}
				},
				Config: pipelineConfig(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("codepipeline_pipeline.app", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("codepipeline_pipeline.app", tfjsonpath.New("version"), knownvalue.Int64Exact(3)),
				},
			},
		},
	})
}

// TestAccPipeline_rules fails a plan for each rule that the configuration alone breaks, with
// the rule ID and the attribute path in the diagnostic.
func TestAccPipeline_rules(t *testing.T) {
	testStateDir(t)
	cases := map[string]struct {
		extra, input string
		want         string
	}{
		// The build reads its own output: produced by the consumer itself, not before it.
		"artifact-produced-before": {"", "bin", `\[artifact-produced-before\].*stage\[1\]\.action\[0\]\.input_artifacts\[0\]`},
		// cfgRequiredEdit removes the build's ProjectName.
		"config-required":       {"", "src", `\[config-required\].*stage\[1\]\.action\[0\]\.configuration`},
		"timeout-approval-only": {`timeout_in_minutes = 10`, "src", `\[timeout-approval-only\].*stage\[1\]\.action\[0\]\.timeout_in_minutes`},
		"run-order":             {`run_order = 1000`, "src", `\[run-order\].*stage\[1\]\.action\[0\]\.run_order`},
		// Written explicitly, 0 is not the default: CodePipeline accepts 1 to 999.
		"run-order-0": {`run_order = 0`, "src", `\[run-order\].*stage\[1\]\.action\[0\]\.run_order`},
		"name-format": {`namespace = "bad.namespace"`, "src", `\[name-format\].*stage\[1\]\.action\[0\]\.namespace`},
		// cfgRequiredEdit puts a NUL in the build's ProjectName.
		"config-nul": {"", "src", `\[config-nul\].*stage\[1\]\.action\[0\]\.configuration\["ProjectName"\]`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				PreCheck:                 func() { testAccPreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      strings.Replace(pipelineConfigReading(tc.extra, tc.input), `ProjectName = "app"`, cfgRequiredEdit(name), 1),
					ExpectError: regexp.MustCompile(`(?s)` + tc.want),
				}},
			})
		})
	}
}

// cfgRequiredEdit is what the config-required case puts in place of the build's ProjectName.
func cfgRequiredEdit(caseName string) string {
	switch caseName {
	case "config-required":
		return `EnvironmentVariables = "[]"`
	case "config-nul":
		return `ProjectName = "app\u0000"`
	}
	return `ProjectName = "app"`
}

func checkPipelineGone(dir, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		_, err := testBackendErr(dir, "111111111111").GetPipeline(context.Background(), name)
		if !errors.Is(err, backend.ErrNotFound) {
			return fmt.Errorf("pipeline %q still exists after destroy (err=%w)", name, err)
		}
		return nil
	}
}
