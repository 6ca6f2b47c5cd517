package tftest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCLIConfig(t *testing.T) {
	got := CLIConfig{Mirror: "/m", DevOverrides: map[string]string{"pipelinekit/codepipeline": "/bin"}}.String()
	want := `provider_installation {
  dev_overrides {
    "pipelinekit/codepipeline" = "/bin"
  }
  filesystem_mirror {
    path    = "/m"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
}
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CLI config (-want +got):\n%s", diff)
	}
}

func TestMirrorFromEnvironmentMustHoldTheProvider(t *testing.T) {
	t.Setenv(MirrorEnv, t.TempDir())
	if _, err := findAWSMirror(); err == nil || !strings.Contains(err.Error(), MirrorEnv) {
		t.Errorf("an empty %s was accepted (err = %v)", MirrorEnv, err)
	}
}

// TestOfflinePlan plans a configuration with the real AWS provider: two provider
// configurations acting as two accounts (allowed_account_ids, assume_role), data sources that
// ask STS who they are, a counted resource and a local module; the plan must name each.
func TestOfflinePlan(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("TF_ACC is not set: this test runs terraform plan with the AWS provider (make test sets TF_ACC=1)")
	}
	w := NewWorkdir(t, Options{Root: "testdata/offline", AWS: true})
	var plan struct {
		PlannedValues struct {
			Outputs map[string]struct {
				Value []string `json:"value"`
			} `json:"outputs"`
		} `json:"planned_values"`
		ResourceChanges []struct {
			Address string `json:"address"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(w.PlanJSON(), &plan); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"111111111111", "222222222222"}, plan.PlannedValues.Outputs["accounts"].Value); diff != "" {
		t.Errorf("caller identities (-want +got):\n%s", diff)
	}
	var addrs []string
	for _, rc := range plan.ResourceChanges {
		addrs = append(addrs, rc.Address)
	}
	sort.Strings(addrs)
	want := []string{"aws_s3_bucket.counted[0]", "aws_s3_bucket.counted[1]", "module.bucket.aws_s3_bucket.this"}
	if diff := cmp.Diff(want, addrs); diff != "" {
		t.Errorf("resource changes (-want +got):\n%s", diff)
	}
}

// TestSearchFindsAMirror lays out a mirror in a temporary directory and searches for it, as
// the discovery does on the root file system when no well-known directory holds one.
func TestSearchFindsAMirror(t *testing.T) {
	root := t.TempDir()
	mirror := filepath.Join(root, "deep", "plugins")
	bin := filepath.Join(mirror, filepath.FromSlash(awsProviderPath), "5.100.0", platform(), "terraform-provider-aws_v5.100.0_x5")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	// A registry directory without the AWS provider is passed over.
	if err := os.MkdirAll(filepath.Join(root, "a", "registry.terraform.io", "hashicorp", "null"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, ok := searchRoot(root)
	if !ok || got != mirror {
		t.Errorf("searchRoot = %q, %t; want %q", got, ok, mirror)
	}
	if _, ok := searchRoot(filepath.Join(root, "a")); ok {
		t.Error("found a mirror where there is none")
	}
}
