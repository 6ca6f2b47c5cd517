package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// concurrentConfig is one team's configuration: n keys, stores and pipelines named after
// prefix, in the default account. Enough objects that terraform's parallel walk keeps the
// two processes writing to the state directory at the same time.
func concurrentConfig(prefix string, n int) string {
	var b strings.Builder
	b.WriteString(requiredProvidersBlock)
	b.WriteString("provider \"codepipeline\" {}\n")
	for i := range n {
		fmt.Fprintf(&b, `
resource "codepipeline_cross_account_key" "k%[2]d" {
  description = "%[1]s key %[2]d"
  alias       = "alias/%[1]s-%[2]d"
}

resource "codepipeline_artifact_store" "s%[2]d" {
  bucket             = "%[1]s-artifacts-%[2]d"
  encryption_key_arn = codepipeline_cross_account_key.k%[2]d.arn
}

resource "codepipeline_pipeline" "p%[2]d" {
  name     = "%[1]s-%[2]d"
  role_arn = "arn:aws:iam::111111111111:role/pipeline"

  artifact_store {
    location = codepipeline_artifact_store.s%[2]d.bucket
    type     = "S3"
    encryption_key {
      id   = codepipeline_cross_account_key.k%[2]d.arn
      type = "KMS"
    }
  }

  stage {
    name = "Source"
    action {
      name             = "Checkout"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      output_artifacts = ["src"]
      configuration = {
        RepositoryName = "%[1]s"
        BranchName     = "main"
      }
    }
  }

  stage {
    name = "Build"
    action {
      name            = "Compile"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["src"]
      configuration = {
        ProjectName = "%[1]s"
      }
    }
  }
}
`, prefix, i)
	}
	return b.String()
}

// TestAccConcurrentApply runs two terraform processes, each applying its own configuration,
// at the same time against one state directory: both succeed, every object of both exists,
// and neither sees a change afterwards.
func TestAccConcurrentApply(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make test and make testacc do)")
	}
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		if tf, _ = exec.LookPath("terraform"); tf == "" {
			t.Fatal("no terraform: set TF_ACC_TERRAFORM_PATH (make testacc does)")
		}
	}
	stateDir := testStateDir(t)
	useProviderBinary(t)
	cliConfig := providerMirrorConfig(t)

	const perConfig = 4
	prefixes := []string{"alpha", "beta"}
	dirs := make([]string, len(prefixes))
	for i, prefix := range prefixes {
		dirs[i] = t.TempDir()
		if err := os.WriteFile(filepath.Join(dirs[i], "main.tf"), []byte(concurrentConfig(prefix, perConfig)), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// Start both, then wait for both: init and apply of each directory overlap with the other's.
	errs := make([]error, len(dirs))
	var wg sync.WaitGroup
	for i, dir := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := terraformIn(tf, dir, cliConfig, "init", "-input=false", "-no-color"); err != nil {
				errs[i] = err
				return
			}
			_, errs[i] = terraformIn(tf, dir, cliConfig, "apply", "-auto-approve", "-input=false", "-no-color")
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s: %v", prefixes[i], err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	ctx := context.Background()
	b := testBackend(t, stateDir, "111111111111")
	for _, prefix := range prefixes {
		for i := range perConfig {
			if _, err := b.GetKey(ctx, fmt.Sprintf("alias/%s-%d", prefix, i)); err != nil {
				t.Errorf("key alias/%s-%d: %v", prefix, i, err)
			}
			if _, err := b.GetBucket(ctx, fmt.Sprintf("%s-artifacts-%d", prefix, i)); err != nil {
				t.Errorf("bucket %s-artifacts-%d: %v", prefix, i, err)
			}
			rec, err := b.GetPipeline(ctx, fmt.Sprintf("%s-%d", prefix, i))
			if err != nil {
				t.Errorf("pipeline %s-%d: %v", prefix, i, err)
			} else if rec.Version != 1 {
				t.Errorf("pipeline %s-%d: version %d, want 1", prefix, i, rec.Version)
			}
		}
	}

	// -detailed-exitcode: 0 no changes, 1 error, 2 changes.
	for i, dir := range dirs {
		if _, err := terraformIn(tf, dir, cliConfig, "plan", "-detailed-exitcode", "-input=false", "-no-color"); err != nil {
			t.Errorf("%s: the plan after the concurrent applies is not empty (exit 2) or failed: %v", prefixes[i], err)
		}
	}
}

// providerMirrorConfig returns a CLI configuration that installs the binary of
// useProviderBinary from a local filesystem mirror. useProviderBinary's dev_overrides suit
// terraform-plugin-testing, which does not run init; `terraform init` with dev_overrides
// still asks the registry for the provider, and there is no network here. From a mirror,
// init installs the provider as it does for users.
func providerMirrorConfig(t *testing.T) string {
	t.Helper()
	mirror := t.TempDir()
	platform := filepath.Join(mirror, "registry.terraform.io", providerSource, "0.0.1", runtime.GOOS+"_"+runtime.GOARCH)
	if err := os.MkdirAll(platform, 0o755); err != nil {
		t.Fatal(err)
	}
	const binary = "terraform-provider-codepipeline"
	if err := os.Symlink(filepath.Join(providerBinaryDir, binary), filepath.Join(platform, binary)); err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(t.TempDir(), "terraformrc")
	content := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [%q]\n  }\n}\n", mirror, providerSource)
	if err := os.WriteFile(rc, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return rc
}

// terraformIn runs terraform in dir with the test's environment (the state directory) and
// the CLI configuration cliConfig, and returns its output.
func terraformIn(tf, dir, cliConfig string, args ...string) (string, error) {
	cmd := exec.Command(tf, args...)
	cmd.Dir = dir
	// The last of duplicate variables wins: this TF_CLI_CONFIG_FILE replaces the test's.
	cmd.Env = append(os.Environ(), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE="+cliConfig)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return out.String(), fmt.Errorf("terraform %s exited with %d:\n%s", args[0], exit.ExitCode(), out.String())
	}
	if err != nil {
		return out.String(), fmt.Errorf("terraform %s: %w", args[0], err)
	}
	return out.String(), nil
}
