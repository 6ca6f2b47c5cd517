package provider

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// s3PipelineConfig is a pipeline that copies a source zip from one bucket and deploys it,
// extracted, into another; run adds a codepipeline_run of it.
func s3PipelineConfig(deployBucket, run string) string {
	return fmt.Sprintf(`
resource "codepipeline_artifact_store" "artifacts" {
  bucket        = "web-artifacts"
  force_destroy = true
}
resource "codepipeline_artifact_store" "source" {
  bucket        = "web-source"
  force_destroy = true
}
resource "codepipeline_artifact_store" "site" {
  bucket        = "web-site"
  force_destroy = true
}

resource "codepipeline_pipeline" "web" {
  name     = "web"
  role_arn = "arn:aws:iam::111111111111:role/pipeline"
  artifact_store {
    location = codepipeline_artifact_store.artifacts.bucket
    type     = "S3"
  }
  stage {
    name = "Source"
    action {
      name             = "Fetch"
      category         = "Source"
      owner            = "AWS"
      provider         = "S3"
      version          = "1"
      output_artifacts = ["site"]
      configuration = {
        S3Bucket             = codepipeline_artifact_store.source.bucket
        S3ObjectKey          = "site.zip"
        PollForSourceChanges = "false"
      }
    }
  }
  stage {
    name = "Deploy"
    action {
      name            = "Publish"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "S3"
      version         = "1"
      input_artifacts = ["site"]
      configuration = {
        BucketName = %q
        Extract    = "true"
        ObjectKey  = "www"
      }
    }
  }
}
%s
`, deployBucket, run)
}

const runBlock = `
resource "codepipeline_run" "web" {
  pipeline = codepipeline_pipeline.web.name
  triggers = { version = codepipeline_pipeline.web.version }
}
`

// putSourceZip uploads the source of the web pipeline "outside Terraform".
func putSourceZip(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	a := testBackend(t, dir, "111111111111")
	if _, err := a.PutObject(context.Background(), "", "web-source", "site.zip", &buf); err != nil {
		t.Fatal(err)
	}
}

func TestAccRun_deploysTheSource(t *testing.T) {
	dir := testStateDir(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: s3PipelineConfig("web-site", "")},
			{
				PreConfig: func() { putSourceZip(t, dir, map[string]string{"index.html": "<h1>v1</h1>"}) },
				Config:    s3PipelineConfig("web-site", runBlock),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("codepipeline_run.web", tfjsonpath.New("status"), knownvalue.StringExact("Succeeded")),
					statecheck.ExpectKnownValue("codepipeline_run.web", tfjsonpath.New("stages").AtSliceIndex(1).AtMapKey("status"), knownvalue.StringExact("Succeeded")),
					statecheck.ExpectKnownValue("codepipeline_run.web",
						tfjsonpath.New("stages").AtSliceIndex(0).AtMapKey("actions").AtSliceIndex(0).AtMapKey("output_artifacts").AtSliceIndex(0).AtMapKey("bucket"),
						knownvalue.StringExact("web-artifacts")),
				},
				Check: checkDeployedObject(dir, "web-site", "www/index.html", "<h1>v1</h1>"),
			},
			{
				// The data source reads the latest run.
				Config: s3PipelineConfig("web-site", runBlock) + `
data "codepipeline_run" "latest" {
  pipeline   = codepipeline_pipeline.web.name
  depends_on = [codepipeline_run.web]
}`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.CompareValuePairs("data.codepipeline_run.latest", tfjsonpath.New("execution_id"),
						"codepipeline_run.web", tfjsonpath.New("execution_id"), compare.ValuesSame()),
					statecheck.ExpectKnownValue("data.codepipeline_run.latest", tfjsonpath.New("status"), knownvalue.StringExact("Succeeded")),
				},
			},
			{ResourceName: "codepipeline_run.web", ImportState: true, ImportStateVerify: true,
				ImportStateIdFunc:                    importRunID,
				ImportStateVerifyIgnore:              []string{"triggers", "variables", "timeouts"},
				ImportStateVerifyIdentifierAttribute: "id"},
		},
	})
}

func TestAccRun_failureFailsTheApply(t *testing.T) {
	dir := testStateDir(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: s3PipelineConfig("no-such-bucket", ""),
			},
			{
				PreConfig: func() { putSourceZip(t, dir, map[string]string{"index.html": "x"}) },
				Config:    s3PipelineConfig("no-such-bucket", runBlock),
				// The hint to the whole log names the state directory exactly: it works from
				// any directory.
				ExpectError: regexp.MustCompile(`(?s)Pipeline Run Failed.*"Deploy",\s+action\s+"Publish".*no-such-bucket.*` +
					`codepipeline\s+runs\s+logs\s+web\s+\S+\s+Deploy\s+Publish\s+-state-dir\s+` + regexp.QuoteMeta(dir)),
			},
		},
	})
}

func importRunID(s *terraform.State) (string, error) {
	rs := s.RootModule().Resources["codepipeline_run.web"]
	return "web/" + rs.Primary.ID, nil
}

// checkDeployedObject proves the deploy wrote content at key in bucket.
func checkDeployedObject(dir, bucket, key, content string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		a := testBackendErr(dir, "111111111111")
		body, _, err := a.GetObject(context.Background(), "", bucket, key, "")
		if err != nil {
			return err
		}
		if string(body) != content {
			return fmt.Errorf("s3://%s/%s = %q, want %q", bucket, key, body, content)
		}
		return nil
	}
}

// TestRunPreflight: a run does not start when the pipeline breaks a rule as the backend stands
// now (here the artifact store's versioning was turned off outside Terraform).
func TestRunPreflight(t *testing.T) {
	dir := t.TempDir()
	b := testBackend(t, dir, "111111111111")
	ctx := context.Background()
	if _, err := b.CreateBucket(ctx, backend.Bucket{Name: "pre-artifacts", Versioning: true}); err != nil {
		t.Fatal(err)
	}
	p := &pipeline.Pipeline{
		Name: "pre", RoleARN: "arn:aws:iam::111111111111:role/p",
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "pre-artifacts", Type: "S3"}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{{Name: "S", Category: "Source", Owner: "AWS", Provider: "S3", Version: "1",
				Configuration: map[string]string{"S3Bucket": "x", "S3ObjectKey": "y"}, OutputArtifacts: []string{"src"}}}},
			{Name: "Gate", Actions: []pipeline.Action{{Name: "G", Category: "Approval", Owner: "AWS", Provider: "Manual", Version: "1"}}},
		},
	}
	if _, err := b.CreatePipeline(ctx, p); err != nil {
		t.Fatal(err)
	}
	r := &runResource{backend: b}
	var ok diag.Diagnostics
	if !r.preflight(ctx, "pre", &ok) || ok.HasError() {
		t.Fatalf("preflight of a sound pipeline failed: %v", ok)
	}
	if _, err := b.UpdateBucket(ctx, backend.Bucket{Name: "pre-artifacts", Versioning: false}); err != nil {
		t.Fatal(err)
	}
	var diags diag.Diagnostics
	if r.preflight(ctx, "pre", &diags) || len(diags) != 1 || diags[0].Summary() != "[store-versioning] Artifact Store Must Be Versioned" {
		t.Fatalf("preflight with versioning off = %v, want one [store-versioning] error", diags)
	}
}

// TestCLICommandIsExact: the CLI command a diagnostic suggests names the state directory, and
// the account and region when they are not the defaults, quoted for a shell.
func TestCLICommandIsExact(t *testing.T) {
	cfg := backend.Config{StateDir: "/work/my state", AccountID: "222222222222", Region: "eu-west-1"}
	got := cliCommand(cfg, "runs", "logs", "app", "0a1b", "Test", "Html's")
	want := `codepipeline runs logs app 0a1b Test 'Html'\''s' -state-dir '/work/my state' -account 222222222222 -region eu-west-1`
	if got != want {
		t.Errorf("cliCommand =\n%s\nwant\n%s", got, want)
	}
	cfg = backend.Config{StateDir: "/s", AccountID: backend.DefaultAccountID, Region: backend.DefaultRegion}
	if got := cliCommand(cfg, "runs", "show", "app"); got != "codepipeline runs show app -state-dir /s" {
		t.Errorf("cliCommand with the default account = %s", got)
	}
}
