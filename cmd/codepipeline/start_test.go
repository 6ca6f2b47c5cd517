package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// gitRepoAt makes a git repository with one commit on main at dir.
func gitRepoAt(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "index.html"}, {"commit", "-q", "-m", "first"}} {
		if args[0] == "add" {
			if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("from git"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=Test", "-c", "user.email=test@example.com"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

// TestStartRunsAPipelineAsItsConfigurationWould: a pipeline created by a configuration with
// repositories_dir runs from the CLI without -repositories-dir, from any directory: the
// directory is kept with the pipeline. -repositories-dir still overrides it.
func TestStartRunsAPipelineAsItsConfigurationWould(t *testing.T) {
	root := t.TempDir()
	dir, repos := filepath.Join(root, "state"), filepath.Join(root, "repos")
	gitRepoAt(t, filepath.Join(repos, "app"))
	cfg := backend.Config{Kind: backend.KindLocal, AccountID: backend.DefaultAccountID, Region: backend.DefaultRegion, StateDir: dir, RepositoriesDir: repos}
	b, err := backend.Open(context.Background(), cfg, backend.Unshared())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if _, err := b.CreateBucket(ctx, backend.Bucket{Name: "app-artifacts", Versioning: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreatePipeline(ctx, &pipeline.Pipeline{
		Name: "app", RoleARN: "arn:aws:iam::" + backend.DefaultAccountID + ":role/pipeline",
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "app-artifacts", Type: "S3"}},
		Stages: []pipeline.Stage{{Name: "Source", Actions: []pipeline.Action{{
			Name: "Checkout", Category: pipeline.CategorySource, Owner: "AWS", Provider: "CodeCommit", Version: "1",
			Configuration:   map[string]string{"RepositoryName": "app", "BranchName": "main"},
			OutputArtifacts: []string{"src"},
		}}}, buildStage("Build", "Check", "test \"$(cat index.html)\" = 'from git'")},
	}); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir() // no record, no state here: only the flag names the state
	code, out, errOut := runCLIIn(elsewhere, nil, "start", "app", "-state-dir", dir)
	if code != exitOK || !strings.Contains(out, "app  ") || !strings.Contains(out, backend.StatusSucceeded) {
		t.Fatalf("start without -repositories-dir: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	empty := t.TempDir()
	code, out, _ = runCLIIn(elsewhere, nil, "start", "app", "-state-dir", dir, "-repositories-dir", empty)
	if code != exitFindings || !strings.Contains(out, "no git repository at "+filepath.Join(empty, "app")) || !strings.Contains(out, "-repositories-dir") {
		t.Errorf("start with -repositories-dir of an empty directory: exit %d\n%s", code, out)
	}
}
