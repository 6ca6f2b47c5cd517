package check

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// providerPlanCases are the configurations of testdata/provider-plans and what `check` finds in
// them, the same in their plan JSON and in the .tf directory itself.
var providerPlanCases = []struct {
	name             string
	want             []want
	exit, strictExit int // of `codepipeline check` on the plan, without and with --strict
}{
	{name: "clean", exit: 0, strictExit: 0},
	{
		name: "findings",
		want: []want{
			{"key-rotation", providerPlanKey, "enable_key_rotation"},
			{"key-rotation", providerPlanRelease, "artifact_store[0].encryption_key[0].id"},
			{"polling-deprecated", providerPlanRelease, `stage[0].action[0].configuration["PollForSourceChanges"]`},
		},
		exit: 0, strictExit: 1,
	},
	{
		// The provider cannot see this one at plan (the store, key and role are created in
		// the same apply); the plan succeeds and the apply fails on it.
		name:       "xacct-bucket-policy",
		want:       []want{{"xacct-bucket-policy", providerPlanRelease, "stage[1].action[0].role_arn"}},
		exit:       1,
		strictExit: 1,
	},
	{
		// The role's generated policy names another key; neither key's ARN is known at plan.
		name:       "xacct-role-decrypt",
		want:       []want{{"xacct-role-decrypt", providerPlanRelease, "stage[1].action[0].role_arn"}},
		exit:       1,
		strictExit: 1,
	},
}

const (
	providerPlanRelease = "codepipeline_pipeline.release"
	providerPlanKey     = "codepipeline_cross_account_key.artifacts"
)

// TestProviderPlanDirectories checks the configurations of testdata/provider-plans as .tf
// directories, where the computed attributes of this provider's resources (the role's
// generated policy, the keys' ARNs) are not in the input at all and must be derived or left
// unknown, never read as empty.
func TestProviderPlanDirectories(t *testing.T) {
	for _, tc := range providerPlanCases {
		t.Run(tc.name, func(t *testing.T) {
			fs, sup := got(t, filepath.Join("testdata", "provider-plans", tc.name), Options{})
			if diff := cmp.Diff(tc.want, fs); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if len(sup) != 0 {
				t.Errorf("unexpected suppressions: %v", sup)
			}
		})
	}
}

// TestProviderPlans runs `check` on plans that the real terraform binary makes with the
// locally built provider from the configurations in testdata/provider-plans, and holds the
// checker to what the provider itself says: every rule the provider reports at plan, the
// checker reports too (at the same resource and path), and `terraform apply` of the plan fails
// exactly on the checker's errors. The checker may see more at plan than the provider, since the
// plan JSON links resources that do not exist in the backend until apply.
func TestProviderPlans(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("TF_ACC is not set: this test runs terraform plan/show/apply with the locally built provider " +
			"(make test sets TF_ACC=1 and TF_ACC_TERRAFORM_PATH)")
	}
	terraform := terraformBinary(t)
	bin := buildBinaries(t)

	for _, tc := range providerPlanCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newTerraformWorkdir(t, terraform, bin.providerDir, filepath.Join("testdata", "provider-plans", tc.name))

			planDiags := w.run(true, "plan", "-json", "-input=false", "-out=plan.out")
			planJSON := filepath.Join(w.dir, "plan.json")
			if err := os.WriteFile(planJSON, w.output("show", "-json", "plan.out"), 0o600); err != nil {
				t.Fatal(err)
			}

			// The package API.
			inv, err := Load(planJSON)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if inv.Kind != "plan" {
				t.Errorf("input kind = %q, want plan", inv.Kind)
			}
			rep, err := Check(inv, Options{})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if diff := cmp.Diff(tc.want, wantsOf(rep.Findings, "")); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if len(rep.Suppressed) != 0 {
				t.Errorf("suppressed findings in a plan: %v", rep.Suppressed)
			}

			// What the provider reports at plan, the checker reports too.
			checked := map[want]bool{}
			for _, f := range wantsOf(rep.Findings, "") {
				checked[f] = true
			}
			for _, d := range ruleDiagnostics(t, planDiags, "warning") {
				if !checked[d] {
					t.Errorf("terraform plan reported %v, check did not", d)
				}
			}

			// The CLI's code path: flags, output and exit status.
			for _, strict := range []bool{false, true} {
				args := []string{"check", "-format", "json", planJSON}
				wantExit := tc.exit
				if strict {
					args = append(args, "--strict")
					wantExit = tc.strictExit
				}
				stdout, exit := runCLI(t, bin.cli, args...)
				if exit != wantExit {
					t.Errorf("codepipeline %s: exit %d, want %d", strings.Join(args, " "), exit, wantExit)
				}
				var out struct {
					Findings []Result `json:"findings"`
				}
				if err := json.Unmarshal(stdout, &out); err != nil {
					t.Fatalf("codepipeline %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, stdout)
				}
				if diff := cmp.Diff(rep.Findings, out.Findings, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("codepipeline %s: findings differ from the package API's (-api +cli):\n%s", strings.Join(args, " "), diff)
				}
			}

			// The provider agrees at apply: it fails exactly on the checker's errors.
			applyDiags := w.run(rep.Errors() == 0, "apply", "-json", "-input=false", "plan.out")
			if diff := cmp.Diff(wantsOf(rep.Findings, "error"), ruleDiagnostics(t, applyDiags, "error")); diff != "" {
				t.Errorf("errors of terraform apply (-check +apply):\n%s", diff)
			}
		})
	}
}

// providerBinaries are the binaries the test builds from the module: the provider, in a
// directory that a dev_overrides entry can name, and the CLI.
type providerBinaries struct {
	providerDir string
	cli         string
}

func buildBinaries(t *testing.T) providerBinaries {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	dir := t.TempDir()
	bin := providerBinaries{providerDir: filepath.Join(dir, "plugins"), cli: filepath.Join(dir, "codepipeline")}
	for _, b := range []struct{ out, pkg string }{
		{filepath.Join(bin.providerDir, "terraform-provider-codepipeline"), "."},
		{bin.cli, "./cmd/codepipeline"},
	} {
		cmd := exec.CommandContext(t.Context(), "go", "build", "-buildvcs=false", "-o", b.out, b.pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return bin
}

// terraformBinary is TF_ACC_TERRAFORM_PATH, else terraform on PATH.
func terraformBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatal("TF_ACC is set but TF_ACC_TERRAFORM_PATH is not and there is no terraform on PATH (make test finds or builds one)")
	}
	return p
}

// terraformWorkdir is a copy of a fixture configuration, planned and applied on a local cloud
// of its own.
type terraformWorkdir struct {
	t         *testing.T
	terraform string
	dir       string
	env       []string
}

func newTerraformWorkdir(t *testing.T, terraform, providerDir, fixture string) *terraformWorkdir {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(fixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(fixture, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// dev_overrides makes `terraform init` unnecessary: the fixtures use no other provider.
	rc := filepath.Join(t.TempDir(), "terraformrc")
	content := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n", "pipelinekit/codepipeline", providerDir)
	if err := os.WriteFile(rc, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	// Set for the child processes only, so that the cases can run in parallel; later entries
	// win over inherited ones.
	env := append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+rc,
		"CODEPIPELINE_STATE_DIR="+t.TempDir(),
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
	)
	return &terraformWorkdir{t: t, terraform: terraform, dir: dir, env: env}
}

func (w *terraformWorkdir) command(args ...string) *exec.Cmd {
	cmd := exec.CommandContext(w.t.Context(), w.terraform, args...)
	cmd.Dir, cmd.Env = w.dir, w.env
	return cmd
}

// run runs a terraform command with -json, fails the test unless it succeeds when wantSuccess
// (and fails when not), and returns the diagnostics it printed.
func (w *terraformWorkdir) run(wantSuccess bool, args ...string) []tfDiagnostic {
	w.t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := w.command(args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		w.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
	}
	if (err == nil) != wantSuccess {
		w.t.Fatalf("terraform %s: err = %v, want success = %t\n%s%s", strings.Join(args, " "), err, wantSuccess, stdout.Bytes(), stderr.Bytes())
	}
	return parseDiagnostics(w.t, stdout.Bytes())
}

// output runs a terraform command that must succeed and returns its standard output.
func (w *terraformWorkdir) output(args ...string) []byte {
	w.t.Helper()
	var stderr bytes.Buffer
	cmd := w.command(args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		w.t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// tfDiagnostic is a diagnostic of terraform's machine-readable UI (-json), one per line.
type tfDiagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	Address  string `json:"address"`
}

func parseDiagnostics(t *testing.T, out []byte) []tfDiagnostic {
	t.Helper()
	var diags []tfDiagnostic
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		var msg struct {
			Type       string        `json:"type"`
			Diagnostic *tfDiagnostic `json:"diagnostic"`
		}
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil {
			t.Fatalf("terraform -json printed a line that is not JSON: %v\n%s", err, sc.Bytes())
		}
		if msg.Type == "diagnostic" && msg.Diagnostic != nil {
			diags = append(diags, *msg.Diagnostic)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return diags
}

// ruleSummary is the summary of a rule's diagnostic: "[rule-id] Title".
var ruleSummary = regexp.MustCompile(`^\[([a-z0-9-]+)\] `)

// ruleDiagnostics returns the rule findings among the diagnostics of the given severity as
// (rule, resource, path), once each (terraform validates the configuration more than once per
// command, so warnings repeat). Any other diagnostic of that severity fails the test, except
// the notice that dev_overrides are in effect.
func ruleDiagnostics(t *testing.T, diags []tfDiagnostic, severity string) []want {
	t.Helper()
	seen := map[want]bool{}
	var out []want
	for _, d := range diags {
		if d.Severity != severity || d.Summary == "Provider development overrides are in effect" {
			continue
		}
		m := ruleSummary.FindStringSubmatch(d.Summary)
		if m == nil {
			t.Errorf("terraform %s that is not a rule finding: %s: %s", severity, d.Summary, d.Detail)
			continue
		}
		// The detail starts "At <path>: " when the finding has a path.
		path := ""
		if rest, ok := strings.CutPrefix(d.Detail, "At "); ok {
			path, _, _ = strings.Cut(rest, ": ")
		}
		f := want{m[1], d.Address, path}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	sortWants(out)
	return out
}

// wantsOf returns the findings of a severity ("" for all) as (rule, resource, path).
func wantsOf(rs []Result, severity string) []want {
	var out []want
	for _, r := range rs {
		if severity == "" || r.Severity == severity {
			out = append(out, want{r.Rule, r.Resource, r.Path})
		}
	}
	sortWants(out)
	return out
}

// sortWants orders as the report does: by resource, path, then rule.
func sortWants(ws []want) {
	sort.Slice(ws, func(i, j int) bool {
		a, b := ws[i], ws[j]
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Rule < b.Rule
	})
}

// runCLI runs the codepipeline binary and returns its standard output and exit status.
func runCLI(t *testing.T, cli string, args ...string) ([]byte, int) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(t.Context(), cli, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return out, 0
	case errors.As(err, &exitErr):
		if stderr.Len() > 0 {
			t.Logf("codepipeline %s: stderr:\n%s", strings.Join(args, " "), stderr.Bytes())
		}
		return out, exitErr.ExitCode()
	}
	t.Fatalf("codepipeline %s: %v", strings.Join(args, " "), err)
	return nil, 0
}
