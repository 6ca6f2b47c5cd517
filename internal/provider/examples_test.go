package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// examplesDir is the tfplugindocs examples tree, relative to this package.
const examplesDir = "../../examples"

// TestAccExamples checks every example configuration the docs show or users start from: each
// directory of .tf files under examples/ is formatted (terraform fmt -check) and valid
// (terraform validate, with the built provider binary). A resource or data
// source example is a fragment, so it is validated in a copy together with the
// required_providers block that examples/provider/provider.tf shows.
func TestAccExamples(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make testacc) to run terraform fmt and validate on the examples")
	}
	tf := terraformBinary(t)
	useProviderBinary(t)

	dirs := exampleDirs(t)
	if len(dirs) == 0 {
		t.Fatalf("no example found under %s", examplesDir)
	}
	for _, dir := range dirs {
		name, _ := filepath.Rel(examplesDir, dir)
		t.Run(filepath.ToSlash(name), func(t *testing.T) {
			if out, err := runTerraform(tf, dir, "fmt", "-check", "-diff"); err != nil {
				t.Errorf("example %s is not formatted (run terraform fmt):\n%s", name, out)
			}
			// No terraform init: with the dev_overrides of useProviderBinary, Terraform uses the
			// built provider directly, and init would look the provider up in the registry.
			// terraform get installs the local modules an example calls.
			work := copyExample(t, dir)
			if callsModules(t, work) {
				if out, err := runTerraform(tf, work, "get", "-no-color"); err != nil {
					t.Fatalf("terraform get in example %s:\n%s", name, out)
				}
			}
			out, _ := runTerraform(tf, work, "validate", "-json", "-no-color")
			if problems := validateProblems(t, out); len(problems) > 0 {
				t.Errorf("example %s is not valid:\n%s", name, strings.Join(problems, "\n"))
			}
		})
	}
}

// TestExamplesImportCommands checks each resource's import.sh against its example: it imports
// an address that the example declares, so the Import section of the docs can be pasted.
func TestExamplesImportCommands(t *testing.T) {
	importLine := regexp.MustCompile(`(?m)^terraform import ([a-z0-9_]+)\.([a-z0-9_]+) \S+$`)
	types, err := filepath.Glob(filepath.Join(examplesDir, "resources", "*"))
	if err != nil || len(types) == 0 {
		t.Fatalf("no resource examples under %s: %v", examplesDir, err)
	}
	for _, dir := range types {
		typ := filepath.Base(dir)
		script, err := os.ReadFile(filepath.Join(dir, "import.sh"))
		if err != nil {
			t.Errorf("resource %s has no import.sh: %v", typ, err)
			continue
		}
		example, err := os.ReadFile(filepath.Join(dir, "resource.tf"))
		if err != nil {
			t.Errorf("resource %s has no resource.tf: %v", typ, err)
			continue
		}
		m := importLine.FindStringSubmatch(string(script))
		switch {
		case m == nil:
			t.Errorf("%s/import.sh has no `terraform import %s.NAME ID` line", typ, typ)
		case m[1] != typ:
			t.Errorf("%s/import.sh imports a %s, not a %s", typ, m[1], typ)
		case !strings.Contains(string(example), fmt.Sprintf("resource %q %q", m[1], m[2])):
			t.Errorf("%s/import.sh imports %s.%s, which resource.tf does not declare", typ, m[1], m[2])
		}
	}
}

// terraformBinary is the terraform the acceptance tests use.
func terraformBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatal("no terraform: set TF_ACC_TERRAFORM_PATH or put terraform on PATH (make testacc does)")
	}
	return p
}

// exampleDirs lists the directories under examples/ that hold .tf files, sorted.
func exampleDirs(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(examplesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".terraform" || strings.HasPrefix(d.Name(), ".codepipeline")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".tf") {
			seen[filepath.Dir(path)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dirs := make([]string, 0, len(seen))
	for d := range seen {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs
}

// copyExample copies dir, with the files it reads (an app directory, scripts), into a fresh
// tree laid out as examples/ is, together with examples/modules, so that relative module
// sources resolve. It adds the required_providers block when the example has none, and, to a
// module that takes provider aliases (configuration_aliases), provider blocks for them, so
// that the module validates as a root.
func copyExample(t *testing.T, dir string) string {
	t.Helper()
	root := t.TempDir()
	rel, err := filepath.Rel(examplesDir, dir)
	if err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(root, rel)
	copyTree(t, dir, work)
	if modules := filepath.Join(examplesDir, "modules"); !strings.HasPrefix(filepath.ToSlash(rel), "modules/") {
		if _, err := os.Stat(modules); err == nil {
			copyTree(t, modules, filepath.Join(root, "modules"))
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		t.Fatal(err)
	}
	declares := false
	var aliases []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		declares = declares || bytes.Contains(data, []byte("required_providers"))
		for _, m := range configurationAliases.FindAllSubmatch(data, -1) {
			for _, a := range providerAlias.FindAllSubmatch(m[1], -1) {
				aliases = append(aliases, string(a[1]))
			}
		}
	}
	if !declares {
		if err := os.WriteFile(filepath.Join(work, "versions_test.tf"), []byte(requiredProvidersBlock), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if len(aliases) > 0 {
		var blocks strings.Builder
		for _, a := range aliases {
			fmt.Fprintf(&blocks, "provider \"codepipeline\" {\n  alias = %q\n}\n", a)
		}
		if err := os.WriteFile(filepath.Join(work, "aliases_test.tf"), []byte(blocks.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return work
}

// callsModules reports whether the configuration in dir has a module block.
func callsModules(t *testing.T, dir string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if moduleBlock.Match(data) {
			return true
		}
	}
	return false
}

var (
	moduleBlock          = regexp.MustCompile(`(?m)^\s*module\s+"`)
	configurationAliases = regexp.MustCompile(`configuration_aliases\s*=\s*\[([^\]]*)\]`)
	providerAlias        = regexp.MustCompile(`codepipeline\.([A-Za-z0-9_-]+)`)
)

// copyTree copies the files under src to dst, keeping their modes, and leaves out what a run
// by hand leaves behind (state, .terraform, the examples' .work directories).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && (name == ".terraform" || name == ".work" || strings.HasPrefix(name, ".codepipeline")) {
			return filepath.SkipDir
		}
		if strings.HasPrefix(name, "terraform.tfstate") || name == ".terraform.lock.hcl" {
			return nil
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

func runTerraform(tf, dir string, args ...string) (string, error) {
	cmd := exec.Command(tf, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// validateProblems returns the errors and warnings of `terraform validate -json` output, one
// line each with its location. The warning Terraform gives for the dev_overrides that the
// test itself sets up is not the example's.
func validateProblems(t *testing.T, out string) []string {
	t.Helper()
	var result struct {
		Valid       bool `json:"valid"`
		Diagnostics []struct {
			Severity string `json:"severity"`
			Summary  string `json:"summary"`
			Detail   string `json:"detail"`
			Range    *struct {
				Filename string `json:"filename"`
				Start    struct {
					Line int `json:"line"`
				} `json:"start"`
			} `json:"range"`
		} `json:"diagnostics"`
	}
	// Terraform prints the dev_overrides warning before the JSON document.
	start := strings.Index(out, "{")
	if start < 0 || json.Unmarshal([]byte(out[start:]), &result) != nil {
		t.Fatalf("terraform validate did not print JSON:\n%s", out)
	}
	var problems []string
	for _, d := range result.Diagnostics {
		if strings.Contains(d.Summary, "Provider development overrides") {
			continue
		}
		where := ""
		if d.Range != nil {
			where = fmt.Sprintf("%s:%d: ", d.Range.Filename, d.Range.Start.Line)
		}
		problems = append(problems, fmt.Sprintf("  %s%s: %s: %s", where, d.Severity, d.Summary, d.Detail))
	}
	if !result.Valid && len(problems) == 0 {
		problems = append(problems, "  terraform validate says the configuration is not valid, without a diagnostic")
	}
	return problems
}
