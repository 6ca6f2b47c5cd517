package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// pipelineDataSourceConfig is pipelineConfig read back through the data source.
func pipelineDataSourceConfig(buildExtra string) string {
	return pipelineConfig(buildExtra) + `
data "codepipeline_pipeline" "app" {
  name = codepipeline_pipeline.app.name
}
`
}

// samePipelineValues says the data source reads back, attribute by attribute, what the
// resource recorded: the same shape, nested blocks included.
func samePipelineValues() []statecheck.StateCheck {
	var checks []statecheck.StateCheck
	for _, attr := range []string{"id", "name", "role_arn", "pipeline_type", "execution_mode", "tags", "arn", "version",
		"artifact_store", "stage", "trigger", "variable"} {
		checks = append(checks, statecheck.CompareValuePairs(
			"codepipeline_pipeline.app", tfjsonpath.New(attr),
			"data.codepipeline_pipeline.app", tfjsonpath.New(attr),
			compare.ValuesSame()))
	}
	return checks
}

func TestAccPipelineDataSource_basic(t *testing.T) {
	testStateDir(t)
	stageNames := knownvalue.ListExact([]knownvalue.Check{
		knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("Source")}),
		knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("Build")}),
		knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("Deploy")}),
	})
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: pipelineDataSourceConfig(""),
				ConfigStateChecks: append(samePipelineValues(),
					statecheck.ExpectKnownValue("data.codepipeline_pipeline.app", tfjsonpath.New("version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue("data.codepipeline_pipeline.app", tfjsonpath.New("arn"),
						knownvalue.StringExact("arn:aws:codepipeline:us-east-1:111111111111:app")),
					statecheck.ExpectKnownValue("data.codepipeline_pipeline.app", tfjsonpath.New("stage"), stageNames),
					statecheck.ExpectKnownValue("data.codepipeline_pipeline.app",
						tfjsonpath.New("stage").AtSliceIndex(1).AtMapKey("action").AtSliceIndex(0).AtMapKey("input_artifacts"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("src")})),
					statecheck.ExpectKnownValue("data.codepipeline_pipeline.app",
						tfjsonpath.New("artifact_store").AtSliceIndex(0).AtMapKey("location"), knownvalue.StringExact("app-artifacts")),
				),
			},
			{
				// After an update the data source reads the new definition and version.
				Config: pipelineDataSourceConfig(`namespace = "BuildVariables"`),
				ConfigStateChecks: append(samePipelineValues(),
					statecheck.ExpectKnownValue("data.codepipeline_pipeline.app", tfjsonpath.New("version"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue("data.codepipeline_pipeline.app",
						tfjsonpath.New("stage").AtSliceIndex(1).AtMapKey("action").AtSliceIndex(0).AtMapKey("namespace"),
						knownvalue.StringExact("BuildVariables")),
				),
			},
		},
	})
}

func TestAccPipelineDataSource_notFound(t *testing.T) {
	testStateDir(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      `data "codepipeline_pipeline" "missing" { name = "no-such-pipeline" }`,
			ExpectError: regexp.MustCompile(`Pipeline Not Found(?s).*"no-such-pipeline"`),
		}},
	})
}
