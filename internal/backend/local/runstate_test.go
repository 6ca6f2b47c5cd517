package local

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// TestRunsStoredWholeStillReadAndRun: a run stored before stage rows (its stages inside
// executions.state) reads the same, is driven to its end, and is then stored in rows.
func TestRunsStoredWholeStillReadAndRun(t *testing.T) {
	ctx := context.Background()
	c, a, _ := accounts(t)
	setupShellPipeline(t, a, shellPipeline("legacy", "", stage("Build", shell("Make", 1, "true"), shell("Lint", 2, "true"))), nil)
	run := must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "legacy"}))
	whole := must[[]byte](t)(json.Marshal(run))
	if _, err := c.writer.Exec(`UPDATE executions SET state = ? WHERE id = ?`, string(whole), run.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.writer.Exec(`DELETE FROM execution_stages WHERE execution_id = ?`, run.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(run, must[*backend.Run](t)(a.GetRun(ctx, "legacy", run.ID))); diff != "" {
		t.Fatalf("a run stored whole reads differently (-stored +read):\n%s", diff)
	}

	done := must[*backend.Run](t)(a.ExecuteRun(ctx, "legacy", run.ID))
	if done.Status != backend.StatusSucceeded {
		t.Fatalf("run = %s (%s)", done.Status, done.StatusReason)
	}
	var rows int
	if err := c.reader.QueryRow(`SELECT count(*) FROM execution_stages WHERE execution_id = ?`, run.ID).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(done.Stages) {
		t.Errorf("stage rows after the run: %d, want %d", rows, len(done.Stages))
	}
	if diff := cmp.Diff(done, must[*backend.Run](t)(a.GetRun(ctx, "legacy", run.ID))); diff != "" {
		t.Errorf("stored run differs from the driver's (-driver +stored):\n%s", diff)
	}
	listed := must[[]*backend.Run](t)(a.ListRuns(ctx, "legacy", 10))
	if len(listed) != 1 || listed[0].Stages[1].Actions[1].Status != backend.StatusSucceeded {
		t.Errorf("ListRuns = %+v", listed)
	}
}

// TestStagesAreStoredAsTheyChange: each save writes only the stages marked changed, so a
// reader during the run must see every change: the stage in progress, the action that ended
// and the one still running. At the end the stored run is the driver's.
func TestStagesAreStoredAsTheyChange(t *testing.T) {
	ctx := context.Background()
	_, a, _ := accounts(t)
	gate := filepath.Join(t.TempDir(), "go")
	setupShellPipeline(t, a, shellPipeline("rows", "",
		stage("Build", shell("Quick", 1, "true"), shell("Slow", 1, "while [ ! -f "+gate+" ]; do sleep 0.05; done")),
		stage("Ship", shell("Last", 1, "true"))), nil)
	run := must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "rows"}))
	done := drive(a, "rows", run.ID)
	eventually(t, "Quick succeeded while Slow runs", func() bool {
		r := must[*backend.Run](t)(a.GetRun(ctx, "rows", run.ID))
		return r.Action("Build", "Quick").Status == backend.StatusSucceeded && r.Action("Build", "Slow").Status == backend.StatusInProgress
	})
	r := must[*backend.Run](t)(a.GetRun(ctx, "rows", run.ID))
	if st := r.Stages[r.StageIndex("Build")].Status; st != backend.StatusInProgress {
		t.Errorf("stored stage Build = %q while it runs, want InProgress", st)
	}
	if st := r.Stages[r.StageIndex("Source")].Status; st != backend.StatusSucceeded {
		t.Errorf("stored stage Source = %q, want Succeeded", st)
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	final := ended(t, done)
	if final.Status != backend.StatusSucceeded {
		t.Fatalf("run = %s (%s)", final.Status, final.StatusReason)
	}
	if diff := cmp.Diff(final, must[*backend.Run](t)(a.GetRun(ctx, "rows", run.ID))); diff != "" {
		t.Errorf("stored run (-driver +stored):\n%s", diff)
	}
}
