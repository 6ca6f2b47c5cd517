package provider

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	// The backend kinds of the provider binary, registered as main registers them.
	_ "github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/backends"
)

// testAccProtoV6ProviderFactories runs the provider in-process for acceptance tests, as the
// binary serves it: the framework provider and the protocol-level codepipeline_pipeline,
// combined.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"codepipeline": func() (tfprotov6.ProviderServer, error) { return NewServer(context.Background(), "test") },
}

// testAccPreCheck fails early with a clear message when the harness is not set up; `make
// testacc` sets it up.
func testAccPreCheck(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		t.Log("TF_ACC_TERRAFORM_PATH is not set: terraform-plugin-testing will look for terraform on PATH (make testacc builds one)")
	}
}

// testStateDir gives each test its own local cloud.
func testStateDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("CODEPIPELINE_STATE_DIR", dir)
	return dir
}

var (
	providerBinaryOnce sync.Once
	providerBinaryDir  string
	providerBinaryErr  error
)

// useProviderBinary makes terraform run the provider as a real plugin binary, built once per
// test process, through a dev_overrides CLI configuration. Tests need it when a configuration
// has several provider blocks (aliases for two accounts): in the in-process mode of
// ProtoV6ProviderFactories every alias reattaches to one shared server, so the last Configure
// would win; as a binary, Terraform starts one plugin process per provider configuration, as
// it does for users. The configuration must name the provider by its source address (see
// requiredProvidersBlock).
func useProviderBinary(t *testing.T) {
	t.Helper()
	providerBinaryOnce.Do(func() {
		providerBinaryDir, providerBinaryErr = os.MkdirTemp("", "codepipeline-provider-")
		if providerBinaryErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(providerBinaryDir, "terraform-provider-codepipeline"), "../..")
		if out, err := cmd.CombinedOutput(); err != nil {
			providerBinaryErr = fmt.Errorf("go build of the provider: %w\n%s", err, out)
		}
	})
	if providerBinaryErr != nil {
		t.Fatal(providerBinaryErr)
	}
	rc := filepath.Join(t.TempDir(), "terraformrc")
	content := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n", providerSource, providerBinaryDir)
	if err := os.WriteFile(rc, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TF_CLI_CONFIG_FILE", rc)
}

// providerSource is the provider's source address as configurations write it.
const providerSource = "pipelinekit/codepipeline"

// requiredProvidersBlock names the provider by its source address, for useProviderBinary.
const requiredProvidersBlock = `
terraform {
  required_providers {
    codepipeline = {
      source = "` + providerSource + `"
    }
  }
}
`

// testBackend acts on a test's state directory as account, the way another process (or a
// change "outside Terraform") would.
func testBackend(t *testing.T, dir, account string) backend.Backend {
	t.Helper()
	return testBackendErr(dir, account)
}

func testBackendErr(dir, account string) backend.Backend {
	if b, ok, err := awsBackendOf(dir, account); ok {
		if err != nil {
			panic(err)
		}
		return b
	}
	b, err := backend.Open(context.Background(), backend.Config{Kind: backend.KindLocal, AccountID: account, Region: backend.DefaultRegion, StateDir: dir})
	if err != nil {
		panic(err)
	}
	return b
}

// TestMain lets the test binary stand in for the provider binary when a codepipeline_run with
// wait = false re-executes it to drive the run in the background.
func TestMain(m *testing.M) {
	if ExecuteRunMain(os.Args[1:]) {
		os.Exit(0)
	}
	code := m.Run()
	if providerBinaryDir != "" {
		_ = os.RemoveAll(providerBinaryDir)
	}
	os.Exit(code)
}
