package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// TestWorkspacesAreUniquePerActionExecution runs, at the same time, two pipelines of two
// accounts whose stage is named ".." and whose actions share a name: when a workspace was built
// from those names, both resolved to one folder (work/Probe-1) shared by every run, pipeline
// and account, and one account's files ended up in the other's artifact. Each action writes
// its run's id, waits until both did, and checks that its own file is still its own; its
// output artifact must hold only its own file.
func TestWorkspacesAreUniquePerActionExecution(t *testing.T) {
	c, a, b := accounts(t)
	ctx := context.Background()
	gates := t.TempDir()
	gate := filepath.Join(gates, "go")
	probe := func() pipeline.Action {
		act := shell("Probe", 1,
			"echo #{codepipeline.PipelineExecutionId} > mine.txt",
			"pwd > "+gates+"/pwd-#{codepipeline.PipelineExecutionId}",
			"touch "+gates+"/ready-#{codepipeline.PipelineExecutionId}",
			gateCommand(gate),
			`test "$(cat mine.txt)" = "#{codepipeline.PipelineExecutionId}"`,
			"ls > listing.txt")
		act.Configuration["OutputPaths"] = "mine.txt,listing.txt"
		act.OutputArtifacts = []string{"probed"}
		return act
	}
	pa := shellPipeline("leak-a", pipeline.ExecutionModeParallel, stage("..", probe()))
	pb := shellPipeline("leak-b", pipeline.ExecutionModeParallel, stage("..", probe()))
	pb.RoleARN = "arn:aws:iam::" + acctB + ":role/pipeline"
	setupShellPipeline(t, a, pa, nil)
	setupShellPipeline(t, b, pb, nil)

	runA := must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "leak-a"}))
	runB := must[*backend.Run](t)(b.StartRun(ctx, backend.RunRequest{Pipeline: "leak-b"}))
	doneA, doneB := drive(a, "leak-a", runA.ID), drive(b, "leak-b", runB.ID)
	for _, r := range []struct {
		acct *Account
		name string
		id   string
	}{{a, "leak-a", runA.ID}, {b, "leak-b", runB.ID}} {
		eventually(t, "run "+r.id+" to reach its gate or end", func() bool {
			_, err := os.Stat(filepath.Join(gates, "ready-"+r.id))
			return err == nil || backend.RunEnded(must[*backend.Run](t)(r.acct.GetRun(ctx, r.name, r.id)).Status)
		})
	}
	release(t, gate)
	endA, endB := ended(t, doneA), ended(t, doneB)

	for _, tc := range []struct {
		acct *Account
		run  *backend.Run
		name string
	}{{a, endA, "leak-a"}, {b, endB, "leak-b"}} {
		act := tc.run.Action("..", "Probe")
		if tc.run.Status != backend.StatusSucceeded {
			t.Errorf("%s: run %s, action %s (%s): want both Succeeded", tc.name, tc.run.Status, act.Status, act.Error)
			continue
		}
		body, _, err := tc.acct.GetObject(ctx, "", act.Outputs[0].Bucket, act.Outputs[0].Key, act.Outputs[0].VersionID)
		if err != nil {
			t.Fatal(err)
		}
		files := unzipToMap(t, body)
		if got := strings.TrimSpace(files["mine.txt"]); got != tc.run.ID {
			t.Errorf("%s: artifact's mine.txt = %q, want its own run id %s", tc.name, got, tc.run.ID)
		}
		pwd, err := os.ReadFile(filepath.Join(gates, "pwd-"+tc.run.ID))
		if err != nil {
			t.Fatal(err)
		}
		ws := strings.TrimSpace(string(pwd))
		if inside(c.Dir(), ws) {
			t.Errorf("%s: the action ran in %s, inside the state directory %s", tc.name, ws, c.Dir())
		}
		if !strings.Contains(ws, tc.run.ID) {
			t.Errorf("%s: the workspace %s is not named by the run's id", tc.name, ws)
		}
	}
	// Nothing is left of either workspace once the runs ended.
	if entries, err := os.ReadDir(c.workRoot); err == nil && len(entries) != 0 {
		t.Errorf("workspaces left behind in %s: %v", c.workRoot, entries)
	}
}
