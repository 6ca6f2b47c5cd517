// Package internal_test guards the layering of DESIGN.md: the domain packages decide and know
// nothing of Terraform or AWS; internal/provider converts and reports. golangci-lint's depguard
// rule says the same for direct imports; this test also catches transitive ones.
package internal_test

import (
	"os/exec"
	"strings"
	"testing"
)

func TestDomainPackagesImportNeitherTerraformNorAWS(t *testing.T) {
	forbidden := []string{"github.com/hashicorp/terraform-plugin", "github.com/aws/aws-sdk-go-v2"}
	for _, pkg := range []string{"./pipeline", "./policy"} {
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
