package local

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

// TestTriggeredRunBuildsItsRevision: a run pinned to a source revision (as a trigger starts it)
// builds that revision even when the branch has moved on; an unpinned run builds the head.
func TestTriggeredRunBuildsItsRevision(t *testing.T) {
	_, a, _ := accounts(t)
	ctx := context.Background()
	repo, first := gitRepo(t)
	if err := os.WriteFile(filepath.Join(repo, "index.html"), []byte("second"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"add", "-A"}, {"commit", "-q", "-m", "second"}} {
		if out, err := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=T", "-c", "user.email=t@example.com"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	p := shellPipeline("pinned", "", stage("Build", shell("Show", 1, "cat index.html")))
	p.Stages[0].Actions[0] = pipeline.Action{
		Name: "Git", Category: "Source", Owner: "AWS", Provider: "CodeCommit", Version: "1",
		Configuration:   map[string]string{"RepositoryName": repo, "BranchName": "main"},
		OutputArtifacts: []string{"src"},
	}
	setupShellPipeline(t, a, p, nil)

	run := must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "pinned", SourceRevisions: map[string]string{"Git": first}}))
	run = must[*backend.Run](t)(a.ExecuteRun(ctx, "pinned", run.ID))
	if run.Status != backend.StatusSucceeded || run.Action("Source", "Git").OutputVariables["CommitId"] != first {
		t.Fatalf("pinned run = %s, built %q; want the first commit %s", run.Status, run.Action("Source", "Git").OutputVariables["CommitId"], first)
	}
	if log := string(must[[]byte](t)(a.ActionLog(ctx, "pinned", run.ID, "Build", "Show"))); !strings.Contains(log, "from git") {
		t.Errorf("the pinned run built other content:\n%s", log)
	}
	head := startAndRun(t, a, "pinned", nil)
	if got := head.Action("Source", "Git").OutputVariables["CommitId"]; got == first || got == "" {
		t.Errorf("an unpinned run built %q, want the branch head", got)
	}
}
