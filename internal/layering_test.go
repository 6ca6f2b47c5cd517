// Package internal_test guards the layering: the domain packages decide and know nothing of
// Terraform or AWS; internal/provider converts and reports; every caller reaches a backend
// through internal/backend, and only the wiring imports a concrete backend. golangci-lint's
// depguard rules say the same for direct imports; these tests also catch transitive ones and
// test files.
package internal_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/pipelinekit/terraform-provider-codepipeline"

func TestDomainPackagesImportNeitherTerraformNorAWS(t *testing.T) {
	forbidden := []string{"github.com/hashicorp/terraform-plugin", "github.com/aws/aws-sdk-go-v2"}
	for _, pkg := range []string{"./pipeline", "./pipeline/graph", "./policy", "./arn", "./codepipelinejson"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if strings.HasPrefix(dep, f) {
					t.Errorf("%s depends on %s: the domain must not know %s", pkg, dep, f)
				}
			}
		}
	}
}

// The AWS endpoint is an adapter over the backend's capabilities: no Terraform, and no concrete
// backend (only the wiring imports one).
func TestAWSEndpointImportsNoTerraformNorConcreteBackend(t *testing.T) {
	forbidden := []string{"github.com/hashicorp/terraform-plugin",
		"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/local",
		"github.com/pipelinekit/terraform-provider-codepipeline/internal/provider"}
	out, err := exec.Command("go", "list", "-deps", "./awsapi/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps ./awsapi/...: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(dep, f) {
				t.Errorf("internal/awsapi depends on %s", dep)
			}
		}
	}
}

// TestOnlyTheWiringImportsABackend: no package of the module, tests included, imports a
// concrete backend but the wiring (internal/backend/backends) and the backend's own package.
func TestOnlyTheWiringImportsABackend(t *testing.T) {
	kinds := []string{module + "/internal/backend/local", module + "/internal/backend/aws"}
	allowed := map[string]bool{module + "/internal/backend/backends": true}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}`, "../...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		checked++
		for _, kind := range kinds {
			if pkg == kind || strings.HasPrefix(pkg, kind+"/") || allowed[pkg] {
				continue
			}
			for _, imp := range imports {
				if imp == kind || strings.HasPrefix(imp, kind+"/") {
					t.Errorf("%s imports %s: open backends with backend.Open and use internal/backend's capabilities", pkg, imp)
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("go list saw %d packages: the check did not look at the module", checked)
	}
}

// The console adapts the backend's capabilities to pages, as the CLI does to commands: no
// Terraform, no provider (only the wiring imports a concrete backend, checked above).
func TestConsoleImportsNoTerraformNorProvider(t *testing.T) {
	forbidden := []string{"github.com/hashicorp/terraform-plugin", module + "/internal/provider"}
	out, err := exec.Command("go", "list", "-deps", "./console/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps ./console/...: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(dep, f) {
				t.Errorf("internal/console depends on %s", dep)
			}
		}
	}
}
