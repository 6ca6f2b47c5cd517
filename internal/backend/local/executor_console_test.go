package local

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// What the console shows of a run while it goes: the log of an action still running, and
// when a run waited for another run to leave a stage.

func TestActionLogCanBeReadWhileTheActionRuns(t *testing.T) {
	_, a, _ := accounts(t)
	ctx := context.Background()
	gate := filepath.Join(t.TempDir(), "gate")
	p := shellPipeline("follow", "", stage("Build", shell("Talk", 1, "echo FIRST-LINE", gateCommand(gate), "echo LAST-LINE")))
	setupShellPipeline(t, a, p, nil)
	run := must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "follow"}))
	done := drive(a, "follow", run.ID)
	eventually(t, "the running action's first line in its log", func() bool {
		log, err := a.ActionLog(ctx, "follow", run.ID, "Build", "Talk")
		return err == nil && bytes.Contains(log, []byte("FIRST-LINE"))
	})
	if s := actionStatus(t, a, "follow", run.ID, "Build", "Talk"); s != backend.StatusInProgress {
		t.Fatalf("the action is %s: the log was read after it ended, not while it ran", s)
	}
	release(t, gate)
	if r := ended(t, done); r.Status != backend.StatusSucceeded {
		t.Fatalf("run = %s (%s)", r.Status, r.StatusReason)
	}
	log := must[[]byte](t)(a.ActionLog(ctx, "follow", run.ID, "Build", "Talk"))
	if !bytes.Contains(log, []byte("FIRST-LINE")) || !bytes.Contains(log, []byte("LAST-LINE")) {
		t.Errorf("final log = %q, want both lines", log)
	}
}

func TestARunRecordsWhenItWaitedForAStageAndWhenItEnteredIt(t *testing.T) {
	_, a, _ := accounts(t)
	gatedPipeline(t, a, "waits", pipeline.ExecutionModeQueued)
	run1, gate1 := gatedRun(t, a, "waits", 1)
	run2, gate2 := gatedRun(t, a, "waits", 2)
	release(t, gate2)
	done1 := drive(a, "waits", run1.ID)
	eventually(t, "run 1 in Hold", func() bool {
		return actionStatus(t, a, "waits", run1.ID, "Hold", "Wait") == backend.StatusInProgress
	})
	done2 := drive(a, "waits", run2.ID)
	eventually(t, "run 2 waiting for Hold", func() bool { return waitingStage(t, a, run2.ID) == "Hold" })
	release(t, gate1)
	r1, r2 := ended(t, done1), ended(t, done2)
	if r1.Status != backend.StatusSucceeded || r2.Status != backend.StatusSucceeded {
		t.Fatalf("runs = %s, %s", r1.Status, r2.Status)
	}
	hold1, hold2 := r1.Stages[r1.StageIndex("Hold")], r2.Stages[r2.StageIndex("Hold")]
	if !hold1.WaitingSince.IsZero() || hold1.Entered.IsZero() {
		t.Errorf("run 1 never waited for Hold: WaitingSince %v, Entered %v", hold1.WaitingSince, hold1.Entered)
	}
	if hold2.WaitingSince.IsZero() || hold2.Entered.Before(hold2.WaitingSince) {
		t.Errorf("run 2 waited for Hold from %v and entered at %v", hold2.WaitingSince, hold2.Entered)
	}
	if left := r1.Action("Hold", "Wait").Ended; hold2.Entered.Before(left) {
		t.Errorf("run 2 entered Hold at %v, before run 1 left it at %v", hold2.Entered, left)
	}
	if deploy := r2.Stages[r2.StageIndex("Deploy")]; deploy.Entered.IsZero() {
		t.Errorf("Deploy has no entry time")
	}
}
