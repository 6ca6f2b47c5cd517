package provider

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// The names examples/cross-account gives the module.
const (
	xaPipeline       = "cross-account-app"
	xaArtifactBucket = "cross-account-app-artifacts"
	xaDeployBucket   = "cross-account-app-prod-site"
	xaTargetRole     = "arn:aws:iam::222222222222:role/cross-account-app-deployer"
)

// TestAccCrossAccountExample applies examples/cross-account — two accounts of one local cloud,
// the cross-account-pipeline module, a run — with the real terraform and provider binaries.
// The run must deploy the built page into the target account's bucket. Then, with the target
// role removed from the artifact bucket's policy outside Terraform, a new run must fail at the
// deploy stage with an AccessDenied naming the role; applying the store again restores the
// grant, and a run succeeds again.
//
// Not through ConfigDirectory: terraform-plugin-testing copies only the directory's top-level
// files, and the example needs its app/ directory, its executable init script and the module
// at ../modules. The example is copied with that layout and driven as a user drives it
// (terraform get, apply, destroy), with the provider binary, as several provider
// configurations require.
func TestAccCrossAccountExample(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make test does)")
	}
	useProviderBinary(t)
	examples := filepath.Join(t.TempDir(), "examples")
	for _, d := range []string{"cross-account", "modules"} {
		if err := os.MkdirAll(examples, 0o700); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("cp", "-R", filepath.Join(examplesDir, d), filepath.Join(examples, d)).CombinedOutput(); err != nil {
			t.Fatalf("copying examples/%s: %v\n%s", d, err, out)
		}
	}
	dir := filepath.Join(examples, "cross-account")
	// A checkout used by hand may hold state of its own: start from the example as committed.
	for _, leftover := range []string{".work", "terraform.tfstate", "terraform.tfstate.backup", ".terraform", ".terraform.lock.hcl"} {
		if err := os.RemoveAll(filepath.Join(dir, leftover)); err != nil {
			t.Fatal(err)
		}
	}
	tf := terraformPath(t)
	run := func(args ...string) []byte {
		t.Helper()
		out, err := runTerraform(tf, dir, args...)
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return []byte(out)
	}
	// terraform get installs the local module; init would also ask the registry for the
	// provider, which dev_overrides makes unnecessary (and is not reachable offline).
	run("get", "-no-color")
	run("apply", "-auto-approve", "-input=false", "-no-color")
	t.Cleanup(func() { run("destroy", "-auto-approve", "-input=false", "-no-color") })

	var outputs map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(run("output", "-json"), &outputs); err != nil {
		t.Fatal(err)
	}
	var status string
	var stages []string
	if err := json.Unmarshal(outputs["run_status"].Value, &status); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(outputs["stages"].Value, &stages); err != nil {
		t.Fatal(err)
	}
	// In pipeline order, each once.
	want := []string{"Source: Succeeded", "Build: Succeeded", "DeployProd: Succeeded"}
	if status != backend.StatusSucceeded || strings.Join(stages, ", ") != strings.Join(want, ", ") {
		t.Fatalf("run %s, stages %q; want Succeeded and %q", status, stages, want)
	}

	// The page is in the target account's bucket, as built from the repository's commit.
	ctx := context.Background()
	stateDir := filepath.Join(dir, ".work", "state")
	commit, err := exec.Command("git", "-C", filepath.Join(dir, ".work", "repos", "app"), "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	target := testBackend(t, stateDir, "222222222222")
	page, info, err := target.GetObject(ctx, "", xaDeployBucket, "index.html", "")
	if err != nil {
		t.Fatalf("the deployed page in account 222222222222: %v", err)
	}
	if !strings.Contains(string(page), "Built from commit "+strings.TrimSpace(string(commit))) {
		t.Errorf("deployed index.html (version %s) does not name commit %s:\n%s", info.VersionID, commit, page)
	}

	// Outside Terraform, the pipeline account drops the target role from the artifact bucket's
	// policy: the role may no longer read the build output it deploys.
	// It runs the pipeline the way its provider configuration does: with the example's
	// repositories directory.
	b, err := backend.Open(ctx, backend.Config{Kind: backend.KindLocal, AccountID: "111111111111", Region: backend.DefaultRegion,
		StateDir: stateDir, RepositoriesDir: filepath.Join(dir, ".work", "repos")})
	if err != nil {
		t.Fatal(err)
	}
	pipelineAccount, err := backend.RunsOf(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.PutBucketPolicy(ctx, xaArtifactBucket, policy.BucketPolicy(arn.AWS, xaArtifactBucket, nil).JSON()); err != nil {
		t.Fatal(err)
	}
	ended := runPipeline(t, pipelineAccount, xaPipeline)
	stage, action := ended.Failed()
	if ended.Status != backend.StatusFailed || stage == nil {
		t.Fatalf("run without the bucket grant: %s (%s); want Failed at an action", ended.Status, ended.StatusReason)
	}
	t.Logf("the deploy without the bucket grant: %s", action.Error)
	if stage.Name != "DeployProd" {
		t.Errorf("run without the bucket grant failed at stage %s, want DeployProd: %s", stage.Name, action.Error)
	}
	for _, part := range []string{"AccessDenied", xaTargetRole, "s3:GetObject"} {
		if !strings.Contains(action.Error, part) {
			t.Errorf("the deploy action's error does not name %q:\n%s", part, action.Error)
		}
	}

	// Terraform sees the drift and puts the grant back; a run succeeds again. Targeted: a full
	// plan fails on the pipeline, whose cross-account rules read the bucket's policy as it is
	// now, not as this same apply would restore it.
	run("apply", "-auto-approve", "-input=false", "-no-color", "-target=module.pipeline.codepipeline_artifact_store.artifacts")
	if again := runPipeline(t, pipelineAccount, xaPipeline); again.Status != backend.StatusSucceeded {
		_, action := again.Failed()
		t.Errorf("run after terraform restored the grant: %s (%s)", again.Status, errorOf(action))
	}
}

// runPipeline starts a run of the pipeline and drives it to its end in this process, as
// `codepipeline start` does.
func runPipeline(t *testing.T, a backend.Runner, pipelineName string) *backend.Run {
	t.Helper()
	ctx := context.Background()
	started, err := a.StartRun(ctx, backend.RunRequest{Pipeline: pipelineName, Trigger: "StartPipelineExecution", TriggerDetail: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ended, err := a.ExecuteRun(ctx, pipelineName, started.ID)
	if err != nil {
		t.Fatal(err)
	}
	return ended
}

func errorOf(a *backend.ActionRun) string {
	if a == nil {
		return ""
	}
	return a.Error
}
