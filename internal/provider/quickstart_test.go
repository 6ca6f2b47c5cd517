package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline/graph"
)

// TestAccQuickstart applies the quickstart example as a user does (`make quickstart`): the
// real terraform and provider binaries, then checks the run's results in the outputs and that
// the deployed page holds the built content, and destroys it.
func TestAccQuickstart(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make test does)")
	}
	useProviderBinary(t)
	dir := filepath.Join(t.TempDir(), "quickstart")
	if out, err := exec.Command("cp", "-R", "../../examples/quickstart", dir).CombinedOutput(); err != nil {
		t.Fatalf("copying the example: %v\n%s", err, out)
	}
	// A checkout used by hand may hold state of its own: start from the example as committed.
	for _, leftover := range []string{".work", "terraform.tfstate", "terraform.tfstate.backup", ".terraform", ".terraform.lock.hcl"} {
		if err := os.RemoveAll(filepath.Join(dir, leftover)); err != nil {
			t.Fatal(err)
		}
	}
	tf := terraformPath(t)
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(tf, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	run("apply", "-auto-approve", "-input=false", "-no-color")
	defer run("destroy", "-auto-approve", "-input=false", "-no-color")

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
	// The stages in pipeline order, each once.
	want := []string{"Source: Succeeded", "Build: Succeeded", "Test: Succeeded", "Deploy: Succeeded"}
	if status != "Succeeded" || strings.Join(stages, ", ") != strings.Join(want, ", ") {
		t.Fatalf("run %s, stages %q; want Succeeded and %q", status, stages, want)
	}

	// The deployed page is the built one: the build stamped the commit it was built from.
	commit, err := exec.Command("git", "-C", filepath.Join(dir, ".work", "repos", "app"), "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	a := testBackendErr(filepath.Join(dir, ".work", "state"), "111111111111")
	page, _, err := a.GetObject(context.Background(), "", "quickstart-site", "index.html", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "Built from commit "+strings.TrimSpace(string(commit))) {
		t.Errorf("deployed index.html does not name commit %s:\n%s", commit, page)
	}

	// The README's picture of the quickstart is what `codepipeline graph quickstart` draws of
	// the applied pipeline.
	rec, err := a.GetPipeline(context.Background(), "quickstart")
	if err != nil {
		t.Fatal(err)
	}
	var svg bytes.Buffer
	if err := graph.Layout(rec.Definition).SVG(&svg, graph.SVGOptions{Standalone: true}); err != nil {
		t.Fatal(err)
	}
	const picture = "../../examples/quickstart/pipeline.svg"
	if os.Getenv("UPDATE_QUICKSTART_PICTURE") != "" {
		if err := os.WriteFile(picture, svg.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want, err := os.ReadFile(picture); err != nil || !bytes.Equal(want, svg.Bytes()) {
		t.Errorf("examples/quickstart/pipeline.svg is not the applied quickstart's picture (%v): "+
			"UPDATE_QUICKSTART_PICTURE=1 make testacc TESTARGS='-run TestAccQuickstart' redraws it", err)
	}
}

// terraformPath is the terraform binary the acceptance tests use.
func terraformPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatal("no terraform: set TF_ACC_TERRAFORM_PATH (make test does)")
	}
	return p
}
