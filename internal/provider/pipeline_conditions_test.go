package provider

import (
	"context"
	"encoding/json"
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
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/codepipelinejson"
)

// conditionsPipeline is a V2 pipeline with every field of the CodePipeline model this
// provider has and aws_codepipeline 5.x does not all have: entry, success and failure
// conditions with rules of every kind of attribute, an automatic retry, a rollback, and a
// Commands action with commands and output variables.
const conditionsPipeline = `
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
      name             = "Checkout"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      namespace        = "SourceVariables"
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
      name             = "Make"
      category         = "Compute"
      owner            = "AWS"
      provider         = "Commands"
      version          = "1"
      namespace        = "Build"
      input_artifacts  = ["src"]
      output_artifacts = ["bin"]
      commands         = ["make", "export IMAGE_TAG=$(git rev-parse --short HEAD)"]
      output_variables = ["IMAGE_TAG"]
    }
    on_success {
      condition {
        result = "FAIL"
        rule {
          name               = "Smoke"
          input_artifacts    = ["bin"]
          commands           = ["./smoke.sh"]
          timeout_in_minutes = 10
          rule_type_id {
            category = "Rule"
            owner    = "AWS"
            provider = "Commands"
            version  = "1"
          }
        }
      }
    }
    on_failure {
      result = "RETRY"
      retry_configuration {
        retry_mode = "ALL_ACTIONS"
      }
    }
  }

  stage {
    name = "Deploy"
    before_entry {
      condition {
        result = "SKIP"
        rule {
          name = "OfficeHours"
          rule_type_id {
            category = "Rule"
            owner    = "AWS"
            provider = "DeploymentWindow"
            version  = "1"
          }
          configuration = {
            Cron     = "* * 9-16 ? * MON-FRI"
            TimeZone = "Europe/Paris"
          }
        }
        rule {
          name = "MainOnly"
          rule_type_id {
            category = "Rule"
            provider = "VariableCheck"
          }
          configuration = {
            Variable = "#{SourceVariables.BranchName}"
            Operator = "EQ"
            Value    = "main"
          }
        }
      }
    }
    on_failure {
      result = "ROLLBACK"
      condition {
        result = "ROLLBACK"
        rule {
          name     = "Health"
          role_arn = "arn:aws:iam::111111111111:role/checker"
          region   = "us-east-1"
          rule_type_id {
            category = "Rule"
            owner    = "AWS"
            provider = "LambdaInvoke"
            version  = "1"
          }
          configuration = {
            FunctionName   = "health-check"
            UserParameters = "#{Build.IMAGE_TAG}"
          }
        }
      }
    }
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
`

// conditionsPipelineJSON is the same pipeline as CodePipeline's get-pipeline prints it.
const conditionsPipelineJSON = `{
  "name": "app", "roleArn": "arn:aws:iam::111111111111:role/pipeline", "pipelineType": "V2", "executionMode": "SUPERSEDED",
  "artifactStore": {"type": "S3", "location": "app-artifacts"},
  "stages": [
    {"name": "Source", "actions": [{"name": "Checkout", "namespace": "SourceVariables",
      "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"}, "runOrder": 1,
      "configuration": {"RepositoryName": "app", "BranchName": "main"}, "outputArtifacts": [{"name": "src"}], "inputArtifacts": []}]},
    {"name": "Build", "actions": [{"name": "Make", "namespace": "Build",
      "actionTypeId": {"category": "Compute", "owner": "AWS", "provider": "Commands", "version": "1"}, "runOrder": 1,
      "commands": ["make", "export IMAGE_TAG=$(git rev-parse --short HEAD)"], "outputVariables": ["IMAGE_TAG"],
      "outputArtifacts": [{"name": "bin"}], "inputArtifacts": [{"name": "src"}]}],
     "onSuccess": {"conditions": [{"result": "FAIL", "rules": [{"name": "Smoke",
       "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": "Commands", "version": "1"},
       "commands": ["./smoke.sh"], "inputArtifacts": [{"name": "bin"}], "timeoutInMinutes": 10}]}]},
     "onFailure": {"result": "RETRY", "retryConfiguration": {"retryMode": "ALL_ACTIONS"}}},
    {"name": "Deploy", "actions": [{"name": "Upload",
      "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"}, "runOrder": 1,
      "configuration": {"BucketName": "site", "Extract": "true"}, "outputArtifacts": [], "inputArtifacts": [{"name": "bin"}]}],
     "beforeEntry": {"conditions": [{"result": "SKIP", "rules": [
       {"name": "OfficeHours", "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": "DeploymentWindow", "version": "1"},
        "configuration": {"Cron": "* * 9-16 ? * MON-FRI", "TimeZone": "Europe/Paris"}},
       {"name": "MainOnly", "ruleTypeId": {"category": "Rule", "provider": "VariableCheck"},
        "configuration": {"Variable": "#{SourceVariables.BranchName}", "Operator": "EQ", "Value": "main"}}]}]},
     "onFailure": {"result": "ROLLBACK", "conditions": [{"result": "ROLLBACK", "rules": [{"name": "Health",
       "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": "LambdaInvoke", "version": "1"},
       "configuration": {"FunctionName": "health-check", "UserParameters": "#{Build.IMAGE_TAG}"},
       "roleArn": "arn:aws:iam::111111111111:role/checker", "region": "us-east-1"}]}]}}
  ]
}`

// TestAccPipeline_conditions applies the pipeline with every condition field, plans again
// without changes, and imports it back attribute for attribute.
func TestAccPipeline_conditions(t *testing.T) {
	dir := testStateDir(t)
	build := tfjsonpath.New("stage").AtSliceIndex(1)
	deploy := tfjsonpath.New("stage").AtSliceIndex(2)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkPipelineGone(dir, "app"),
		Steps: []resource.TestStep{
			{
				Config: conditionsPipeline,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("codepipeline_pipeline.app", build.AtMapKey("action").AtSliceIndex(0).AtMapKey("commands"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("make"), knownvalue.StringExact("export IMAGE_TAG=$(git rev-parse --short HEAD)")})),
					statecheck.ExpectKnownValue("codepipeline_pipeline.app",
						build.AtMapKey("on_failure").AtSliceIndex(0).AtMapKey("retry_configuration").AtSliceIndex(0).AtMapKey("retry_mode"), knownvalue.StringExact("ALL_ACTIONS")),
					statecheck.ExpectKnownValue("codepipeline_pipeline.app",
						deploy.AtMapKey("before_entry").AtSliceIndex(0).AtMapKey("condition").AtSliceIndex(0).AtMapKey("rule").AtSliceIndex(0).
							AtMapKey("configuration").AtMapKey("TimeZone"), knownvalue.StringExact("Europe/Paris")),
					statecheck.ExpectKnownValue("codepipeline_pipeline.app",
						deploy.AtMapKey("on_failure").AtSliceIndex(0).AtMapKey("condition").AtSliceIndex(0).AtMapKey("rule").AtSliceIndex(0).AtMapKey("role_arn"),
						knownvalue.StringExact("arn:aws:iam::111111111111:role/checker")),
				},
			},
			{Config: conditionsPipeline, ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}},
			{ResourceName: "codepipeline_pipeline.app", ImportState: true, ImportStateVerify: true},
		},
	})
}

// TestAccPipeline_conditionsImport: a pipeline created outside Terraform from CodePipeline's
// own JSON (as get-pipeline prints it), with every condition field, imports with an import
// block and plans no change at all.
func TestAccPipeline_conditionsImport(t *testing.T) {
	dir := testStateDir(t)
	withImport := conditionsPipeline + `
import {
  to = codepipeline_pipeline.app
  id = "app"
}
`
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					var d codepipelinejson.PipelineDeclaration
					if err := json.Unmarshal([]byte(conditionsPipelineJSON), &d); err != nil {
						t.Fatal(err)
					}
					p, err := d.ToDomain()
					if err != nil {
						t.Fatal(err)
					}
					if _, err := testBackend(t, dir, "111111111111").CreatePipeline(context.Background(), p); err != nil {
						t.Fatal(err)
					}
				},
				Config: withImport,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("codepipeline_pipeline.app", plancheck.ResourceActionNoop),
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("codepipeline_pipeline.app", tfjsonpath.New("version"), knownvalue.Int64Exact(1)),
				},
			},
			{Config: conditionsPipeline, ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}},
		},
	})
}

// TestAccPipeline_conditionRules fails the plan for the rules of conditions and Commands
// actions, each with its rule ID and the attribute path.
func TestAccPipeline_conditionRules(t *testing.T) {
	testStateDir(t)
	cases := map[string]struct{ from, to, want string }{
		"condition-result": {`result = "SKIP"`, `result = "ROLLBACK"`,
			`\[condition-result\].*stage\[2\]\.before_entry\[0\]\.condition\[0\]\.result`},
		"stage-retry": {`retry_configuration {
        retry_mode = "ALL_ACTIONS"
      }`, ``, `\[stage-retry\].*stage\[1\]\.on_failure\[0\]`},
		"condition-rule-config": {`Cron     = "* * 9-16 ? * MON-FRI"`, `Cron     = "* 9-16 * * 1-5"`,
			`\[condition-rule-config\].*stage\[2\]\.before_entry\[0\]\.condition\[0\]\.rule\[0\]\.configuration\["Cron"\]`},
		"condition-rule-type": {`provider = "VariableCheck"`, `provider = "VariableChecker"`,
			`\[condition-rule-type\].*stage\[2\]\.before_entry\[0\]\.condition\[0\]\.rule\[1\]\.rule_type_id\[0\]\.provider`},
		"commands-action": {`output_variables = ["IMAGE_TAG"]`, `output_variables = ["IMAGE_TAG", "IMAGE_TAG"]`,
			`\[commands-action\].*stage\[1\]\.action\[0\]\.output_variables\[1\]`},
		"v2-only": {`role_arn = "arn:aws:iam::111111111111:role/pipeline"`, `role_arn = "arn:aws:iam::111111111111:role/pipeline"
  pipeline_type = "V1"`, `\[v2-only\].*stage\[1\]\.on_success`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := strings.Replace(conditionsPipeline, tc.from, tc.to, 1)
			if cfg == conditionsPipeline {
				t.Fatalf("the case changes nothing: %q not found", tc.from)
			}
			resource.Test(t, resource.TestCase{
				PreCheck:                 func() { testAccPreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: cfg, ExpectError: regexp.MustCompile(`(?s)` + tc.want)}},
			})
		})
	}
}

// legacyCommandsPipeline is a Commands action with its commands in the deprecated
// configuration key, as earlier versions of the provider took them.
func commandsActionPipeline(commands string) string {
	return `
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
    name = "Test"
    action {
      name            = "Test"
      category        = "Build"
      owner           = "AWS"
      provider        = "Commands"
      version         = "1"
      input_artifacts = ["src"]
      ` + commands + `
    }
  }
}
`
}

// TestAccPipeline_commandsMigration: a pipeline whose Commands action still has
// configuration.Commands applies (with a warning, see TestAccPipeline_commandsWarning); moving
// the commands to the commands list is an update in place, without a moved block, and then
// plans no change.
func TestAccPipeline_commandsMigration(t *testing.T) {
	testStateDir(t)
	legacy := commandsActionPipeline(`configuration = {
        Commands = "make\nmake test"
      }`)
	current := commandsActionPipeline(`commands = ["make", "make test"]`)
	action := tfjsonpath.New("stage").AtSliceIndex(1).AtMapKey("action").AtSliceIndex(0)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: legacy, ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("codepipeline_pipeline.app", action.AtMapKey("configuration").AtMapKey("Commands"), knownvalue.StringExact("make\nmake test")),
			}},
			{
				Config: current,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("codepipeline_pipeline.app", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("codepipeline_pipeline.app", action.AtMapKey("configuration"), knownvalue.Null()),
					statecheck.ExpectKnownValue("codepipeline_pipeline.app", action.AtMapKey("commands"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("make"), knownvalue.StringExact("make test")})),
				},
			},
			{Config: current, ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}},
		},
	})
}

// TestAccPipeline_commandsWarning plans the deprecated key with the real terraform binary (the
// test framework does not expose warnings): the plan succeeds and the warning shows the
// commands list to write instead.
func TestAccPipeline_commandsWarning(t *testing.T) {
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
	cfg := requiredProvidersBlock + commandsActionPipeline(`configuration = {
        Commands = "make\nmake test"
      }`)
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
	for _, want := range []string{"Warning: [commands-in-configuration]", `commands = ["make", "make test"]`} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("the plan does not show %q:\n%s", want, out)
		}
	}
}

// TestAccRun_conditionResults: a codepipeline_run of a pipeline whose deploy stage has an entry
// condition that skips it shows the stage Skipped and the condition, its result and its rule.
func TestAccRun_conditionResults(t *testing.T) {
	dir := testStateDir(t)
	withCondition := func(run string) string {
		return strings.Replace(s3PipelineConfig("web-site", run), `  stage {
    name = "Deploy"`, `  stage {
    name = "Deploy"
    before_entry {
      condition {
        result = "SKIP"
        rule {
          name = "Frozen"
          rule_type_id {
            category = "Rule"
            provider = "VariableCheck"
          }
          configuration = {
            Variable = "#{codepipeline.PipelineExecutionId}"
            Operator = "EQ"
            Value    = "frozen"
          }
        }
      }
    }`, 1)
	}
	deploy := tfjsonpath.New("stages").AtSliceIndex(1)
	condition := deploy.AtMapKey("conditions").AtSliceIndex(0)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: withCondition("")},
			{
				PreConfig: func() { putSourceZip(t, dir, map[string]string{"index.html": "<h1>v1</h1>"}) },
				Config:    withCondition(runBlock),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("codepipeline_run.web", tfjsonpath.New("status"), knownvalue.StringExact("Succeeded")),
					statecheck.ExpectKnownValue("codepipeline_run.web", deploy.AtMapKey("status"), knownvalue.StringExact("Skipped")),
					statecheck.ExpectKnownValue("codepipeline_run.web", condition.AtMapKey("type"), knownvalue.StringExact("BEFORE_ENTRY")),
					statecheck.ExpectKnownValue("codepipeline_run.web", condition.AtMapKey("result"), knownvalue.StringExact("SKIP")),
					statecheck.ExpectKnownValue("codepipeline_run.web", condition.AtMapKey("rules").AtSliceIndex(0).AtMapKey("status"), knownvalue.StringExact("Failed")),
				},
			},
		},
	})
}
