package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// gatedPipeline is Source → Hold (waits for the run's gate file, the variable "gate") →
// Deploy, in the given execution mode. Each run gets its own gate, so a test decides when
// each run leaves Hold.
func gatedPipeline(t *testing.T, a *Account, name, mode string) {
	t.Helper()
	p := shellPipeline(name, mode,
		stage("Hold", shell("Wait", 1, gateCommand("#{variables.gate}"))),
		stage("Deploy", shell("Ship", 1, "true")),
	)
	p.PipelineType = pipeline.PipelineTypeV2
	p.Variables = []pipeline.Variable{{Name: "gate", DefaultValue: "/nonexistent"}}
	setupShellPipeline(t, a, p, nil)
}

// gatedRun starts a run of a gated pipeline with its own gate file, and returns the run and
// the gate.
func gatedRun(t *testing.T, a *Account, name string, n int) (*backend.Run, string) {
	t.Helper()
	gate := filepath.Join(t.TempDir(), "gate-"+string(rune('0'+n)))
	run := must[*backend.Run](t)(a.StartRun(context.Background(), backend.RunRequest{Pipeline: name, Variables: map[string]string{"gate": gate}}))
	return run, gate
}

func TestSupersededModeNewerWaitingRunReplacesOlderOne(t *testing.T) {
	_, a, _ := accounts(t)
	gatedPipeline(t, a, "super", pipeline.ExecutionModeSuperseded)
	run1, gate1 := gatedRun(t, a, "super", 1)
	run2, _ := gatedRun(t, a, "super", 2)
	run3, gate3 := gatedRun(t, a, "super", 3)

	done1 := drive(a, "super", run1.ID)
	eventually(t, "run 1 in Hold", func() bool { return actionStatus(t, a, "super", run1.ID, "Hold", "Wait") == backend.StatusInProgress })
	done2 := drive(a, "super", run2.ID)
	eventually(t, "run 2 waiting for Hold", func() bool { return waitingStage(t, a, run2.ID) == "Hold" })
	done3 := drive(a, "super", run3.ID)
	// Run 3 waiting for the same stage supersedes run 2, which ends without entering it.
	r2 := ended(t, done2)
	release(t, gate1)
	release(t, gate3)
	r1, r3 := ended(t, done1), ended(t, done3)

	got := []string{r1.Status, r2.Status, r3.Status, r2.Stages[1].Status, r2.Stages[2].Status}
	want := []string{backend.StatusSucceeded, backend.StatusSuperseded, backend.StatusSucceeded, "", backend.StatusCancelled}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("run 1, 2, 3 statuses, run 2's Hold and Deploy (-want +got):\n%s", diff)
	}
	if !strings.Contains(r2.StatusReason, run3.ID) {
		t.Errorf("run 2 reason = %q, want it to name run 3", r2.StatusReason)
	}
	if w := r2.Action("Hold", "Wait"); w.Attempt != 0 {
		t.Errorf("superseded run 2 ran Hold: %+v", w)
	}
	// Run 3 entered Hold only once run 1 had left it.
	if h1, h3 := r1.Action("Hold", "Wait"), r3.Action("Hold", "Wait"); h3.Started.Before(h1.Ended) {
		t.Errorf("run 3 entered Hold at %s, before run 1 left it at %s", h3.Started, h1.Ended)
	}
}

func TestSupersededRunDoesNotTakeAFreedStage(t *testing.T) {
	_, a, _ := accounts(t)
	gatedPipeline(t, a, "freed", pipeline.ExecutionModeSuperseded)
	older, _ := gatedRun(t, a, "freed", 1)
	newer, gate := gatedRun(t, a, "freed", 2)
	// As if the newer run had superseded the older one while it waited, and the stage it
	// waited for was freed just before the older run looked again.
	if _, err := a.c.writer.Exec(`UPDATE executions SET superseded_by = ? WHERE id = ?`, newer.ID, older.ID); err != nil {
		t.Fatal(err)
	}
	r := ended(t, drive(a, "freed", older.ID))
	if r.Status != backend.StatusSuperseded || r.Action("Source", "Fetch").Attempt != 0 {
		t.Fatalf("superseded run = %s (%s), source attempt %d: want Superseded, nothing run",
			r.Status, r.StatusReason, r.Action("Source", "Fetch").Attempt)
	}
	release(t, gate)
	if r := ended(t, drive(a, "freed", newer.ID)); r.Status != backend.StatusSucceeded {
		t.Fatalf("newer run = %s (%s)", r.Status, r.StatusReason)
	}
}

func TestSupersededModeOlderRunArrivingAfterANewerWaitingOneIsSuperseded(t *testing.T) {
	_, a, _ := accounts(t)
	gatedPipeline(t, a, "late", pipeline.ExecutionModeSuperseded)
	run1, gate1 := gatedRun(t, a, "late", 1)
	run2, gate2 := gatedRun(t, a, "late", 2)
	run3, gate3 := gatedRun(t, a, "late", 3)

	done1 := drive(a, "late", run1.ID)
	eventually(t, "run 1 in Hold", func() bool { return actionStatus(t, a, "late", run1.ID, "Hold", "Wait") == backend.StatusInProgress })
	// Run 3 overtakes run 2 through Source (SUPERSEDED allows it) and waits for Hold first.
	done3 := drive(a, "late", run3.ID)
	eventually(t, "run 3 waiting for Hold", func() bool { return waitingStage(t, a, run3.ID) == "Hold" })
	done2 := drive(a, "late", run2.ID)
	// Older than a run already waiting for Hold, run 2 must not go through it after run 3
	// has been chosen: it is superseded, wherever it is.
	r2 := ended(t, done2)
	release(t, gate1)
	release(t, gate2)
	release(t, gate3)
	r1, r3 := ended(t, done1), ended(t, done3)
	got := []string{r1.Status, r2.Status, r3.Status}
	want := []string{backend.StatusSucceeded, backend.StatusSuperseded, backend.StatusSucceeded}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("run 1, 2, 3 statuses (-want +got):\n%s", diff)
	}
}

func TestQueuedModeRunsEnterEachStageInStartOrder(t *testing.T) {
	_, a, _ := accounts(t)
	gatedPipeline(t, a, "queue", pipeline.ExecutionModeQueued)
	var runs []*backend.Run
	for n := 1; n <= 3; n++ {
		r, g := gatedRun(t, a, "queue", n)
		runs = append(runs, r)
		release(t, g) // every run may leave Hold at once: only the queue orders them
	}
	// Driven newest first and concurrently: the start order, not the driving order, decides.
	var done []<-chan runResult
	for i := len(runs) - 1; i >= 0; i-- {
		done = append([]<-chan runResult{drive(a, "queue", runs[i].ID)}, done...)
	}
	var results []*backend.Run
	for _, d := range done {
		results = append(results, ended(t, d))
	}
	for i, r := range results {
		if r.Status != backend.StatusSucceeded {
			t.Fatalf("run %d = %s (%s)", i+1, r.Status, r.StatusReason)
		}
	}
	for _, st := range []struct{ stage, action string }{{"Source", "Fetch"}, {"Hold", "Wait"}, {"Deploy", "Ship"}} {
		for i := 1; i < len(results); i++ {
			prev, cur := results[i-1].Action(st.stage, st.action), results[i].Action(st.stage, st.action)
			if cur.Started.Before(prev.Ended) {
				t.Errorf("stage %s: run %d entered at %s, before run %d left at %s", st.stage, i+1, cur.Started, i, prev.Ended)
			}
		}
	}
}

func TestParallelModeRunsOverlap(t *testing.T) {
	_, a, _ := accounts(t)
	gatedPipeline(t, a, "para", pipeline.ExecutionModeParallel)
	run1, gate1 := gatedRun(t, a, "para", 1)
	run2, gate2 := gatedRun(t, a, "para", 2)
	done1, done2 := drive(a, "para", run1.ID), drive(a, "para", run2.ID)
	// Both runs are inside Hold at the same time; neither waits for the other.
	eventually(t, "both runs in Hold", func() bool {
		return actionStatus(t, a, "para", run1.ID, "Hold", "Wait") == backend.StatusInProgress &&
			actionStatus(t, a, "para", run2.ID, "Hold", "Wait") == backend.StatusInProgress
	})
	release(t, gate2)
	r2 := ended(t, done2)
	release(t, gate1)
	r1 := ended(t, done1)
	if r1.Status != backend.StatusSucceeded || r2.Status != backend.StatusSucceeded {
		t.Fatalf("runs = %s, %s", r1.Status, r2.Status)
	}
	if !overlap(r1.Action("Hold", "Wait"), r2.Action("Hold", "Wait")) {
		t.Errorf("PARALLEL runs did not overlap in Hold")
	}
	if !r2.Ended.Before(r1.Ended) {
		t.Errorf("run 2 could not finish before run 1")
	}
}

func TestStopAndWaitLetsTheRunningActionFinish(t *testing.T) {
	_, a, _ := accounts(t)
	gate := filepath.Join(t.TempDir(), "gate")
	p := shellPipeline("stopwait", "",
		stage("Build", shell("Running", 1, gateCommand(gate)), shell("NextGroup", 2, "true")),
		stage("Deploy", shell("Ship", 1, "true")),
	)
	setupShellPipeline(t, a, p, nil)
	ctx := context.Background()
	run := must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "stopwait"}))
	done := drive(a, "stopwait", run.ID)
	eventually(t, "the action to run", func() bool {
		return actionStatus(t, a, "stopwait", run.ID, "Build", "Running") == backend.StatusInProgress
	})
	if err := a.StopRun(ctx, "stopwait", run.ID, false, "release freeze"); err != nil {
		t.Fatal(err)
	}
	if err := a.StopRun(ctx, "stopwait", run.ID, false, "again"); err != nil {
		t.Errorf("a second stop request while stopping: %v", err)
	}
	release(t, gate)
	r := ended(t, done)
	got := []string{r.Status, r.StatusReason, r.Stages[1].Status, r.Action("Build", "Running").Status,
		r.Action("Build", "NextGroup").Status, r.Stages[2].Status, r.Action("Deploy", "Ship").Status}
	want := []string{backend.StatusStopped, "again", backend.StatusStopped, backend.StatusSucceeded, "", backend.StatusCancelled, ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("stopped run: status, reason, Build, Running, NextGroup, Deploy, Ship (-want +got):\n%s", diff)
	}
	if err := a.StopRun(ctx, "stopwait", run.ID, false, ""); !errors.Is(err, backend.ErrInvalid) {
		t.Errorf("stopping an ended run: %v, want ErrInvalid", err)
	}
}

func TestRetryFailedStage(t *testing.T) {
	for _, all := range []bool{false, true} {
		name := map[bool]string{false: "failed actions", true: "all actions"}[all]
		t.Run(name, func(t *testing.T) {
			_, a, _ := accounts(t)
			ctx := context.Background()
			fixed := filepath.Join(t.TempDir(), "fixed")
			p := shellPipeline("retry", "",
				stage("Build", shell("Good", 1, "true"), shell("Flaky", 1, "test -e "+fixed), shell("After", 2, "true")),
				stage("Deploy", shell("Ship", 1, "true")),
			)
			setupShellPipeline(t, a, p, nil)
			failed := startAndRun(t, a, "retry", nil)
			if failed.Status != backend.StatusFailed || failed.Action("Build", "Flaky").Status != backend.StatusFailed {
				t.Fatalf("first attempt = %s (%s)", failed.Status, failed.StatusReason)
			}
			if _, err := a.RetryStage(ctx, "retry", failed.ID, "Source", all); !errors.Is(err, backend.ErrInvalid) {
				t.Errorf("retrying a stage that did not fail: %v, want ErrInvalid", err)
			}

			retried := must[*backend.Run](t)(a.RetryStage(ctx, "retry", failed.ID, "Build", all))
			if retried.Status != backend.StatusInProgress {
				t.Errorf("retried run = %s, want InProgress", retried.Status)
			}
			if err := os.WriteFile(fixed, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			r := ended(t, drive(a, "retry", failed.ID))
			if r.Status != backend.StatusSucceeded || r.Stages[2].Status != backend.StatusSucceeded {
				t.Fatalf("retried run = %s (%s), Deploy %s", r.Status, r.StatusReason, r.Stages[2].Status)
			}
			wantGood := 1
			if all {
				wantGood = 2
			}
			attempts := map[string]int{
				"Fetch": r.Action("Source", "Fetch").Attempt, "Good": r.Action("Build", "Good").Attempt,
				"Flaky": r.Action("Build", "Flaky").Attempt, "After": r.Action("Build", "After").Attempt,
				"Ship": r.Action("Deploy", "Ship").Attempt,
			}
			want := map[string]int{"Fetch": 1, "Good": wantGood, "Flaky": 2, "After": 1, "Ship": 1}
			if diff := cmp.Diff(want, attempts); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
			if !all && !r.Action("Build", "Good").Started.Equal(failed.Action("Build", "Good").Started) {
				t.Errorf("the succeeded action was run again")
			}
			if _, err := a.RetryStage(ctx, "retry", failed.ID, "Build", all); !errors.Is(err, backend.ErrInvalid) {
				t.Errorf("retrying a succeeded run: %v, want ErrInvalid", err)
			}
		})
	}
}

func TestRetryOnlyTheLatestExecution(t *testing.T) {
	_, a, _ := accounts(t)
	ctx := context.Background()
	p := shellPipeline("latest", "", stage("Build", shell("Fail", 1, "exit 1")))
	setupShellPipeline(t, a, p, nil)
	older := startAndRun(t, a, "latest", nil)
	newer := startAndRun(t, a, "latest", nil)
	if older.Status != backend.StatusFailed || newer.Status != backend.StatusFailed {
		t.Fatalf("runs = %s, %s", older.Status, newer.Status)
	}
	_, err := a.RetryStage(ctx, "latest", older.ID, "Build", false)
	if !errors.Is(err, backend.ErrInvalid) || !strings.Contains(err.Error(), newer.ID) {
		t.Errorf("retrying an older execution: %v, want ErrInvalid naming the latest", err)
	}
	must[*backend.Run](t)(a.RetryStage(ctx, "latest", newer.ID, "Build", false))
	r := ended(t, drive(a, "latest", newer.ID))
	if r.Status != backend.StatusFailed || r.Action("Build", "Fail").Attempt != 2 {
		t.Errorf("retried run = %s, attempt %d", r.Status, r.Action("Build", "Fail").Attempt)
	}
}

func TestEndedContextStopsTheRun(t *testing.T) {
	_, a, _ := accounts(t)
	gatedPipeline(t, a, "ctxend", pipeline.ExecutionModeSuperseded)
	run, _ := gatedRun(t, a, "ctxend", 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan runResult, 1)
	go func() {
		r, err := a.ExecuteRun(ctx, "ctxend", run.ID)
		done <- runResult{r, err}
	}()
	eventually(t, "run in Hold", func() bool { return actionStatus(t, a, "ctxend", run.ID, "Hold", "Wait") == backend.StatusInProgress })
	cancel()
	r := ended(t, done)
	stored := must[*backend.Run](t)(a.GetRun(context.Background(), "ctxend", run.ID))
	for _, got := range []*backend.Run{r, stored} {
		if got.Status != backend.StatusStopped || got.Stages[2].Status != backend.StatusCancelled {
			t.Errorf("run after its context ended = %s (%s), Deploy %s; want Stopped, Cancelled", got.Status, got.StatusReason, got.Stages[2].Status)
		}
	}
	// The stage is free again for the next run.
	next, gate := gatedRun(t, a, "ctxend", 2)
	release(t, gate)
	if r := ended(t, drive(a, "ctxend", next.ID)); r.Status != backend.StatusSucceeded {
		t.Errorf("next run = %s (%s)", r.Status, r.StatusReason)
	}
}

func TestStopOfARunNobodyDrivesStopsItAtOnce(t *testing.T) {
	_, a, _ := accounts(t)
	ctx := context.Background()
	gatedPipeline(t, a, "idle", pipeline.ExecutionModeQueued)
	idle, _ := gatedRun(t, a, "idle", 1)
	if err := a.StopRun(ctx, "idle", idle.ID, false, "not needed"); err != nil {
		t.Fatal(err)
	}
	got := must[*backend.Run](t)(a.GetRun(ctx, "idle", idle.ID))
	if got.Status != backend.StatusStopped || got.StatusReason != "not needed" || got.Stages[0].Status != backend.StatusCancelled || got.Ended.IsZero() {
		t.Fatalf("stopped idle run = %s (%s), Source %q, ended %s", got.Status, got.StatusReason, got.Stages[0].Status, got.Ended)
	}
	if _, err := a.ExecuteRun(ctx, "idle", idle.ID); !errors.Is(err, backend.ErrInvalid) {
		t.Errorf("driving a stopped run: %v, want ErrInvalid", err)
	}
	// A stopped run does not hold a QUEUED pipeline's next run back.
	next, gate := gatedRun(t, a, "idle", 2)
	release(t, gate)
	if r := ended(t, drive(a, "idle", next.ID)); r.Status != backend.StatusSucceeded {
		t.Errorf("next run = %s (%s)", r.Status, r.StatusReason)
	}
}

func TestRunDrivenByAnotherLiveProcessIsRefused(t *testing.T) {
	_, a, _ := accounts(t)
	ctx := context.Background()
	gatedPipeline(t, a, "owned", "")
	run, _ := gatedRun(t, a, "owned", 1)
	// Another driver in a live process (this one's pid, another token), with a fresh heartbeat.
	other := strings.Join(append(strings.Split(processOwner(), ":")[:2], "othertok"), ":")
	if _, err := a.c.writer.Exec(`UPDATE executions SET owner = ?, heartbeat_at = ? WHERE id = ?`, other, a.c.timestamp(), run.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExecuteRun(ctx, "owned", run.ID); !errors.Is(err, backend.ErrConflict) || !strings.Contains(err.Error(), other) {
		t.Fatalf("driving a run another process drives: %v, want ErrConflict naming it", err)
	}
}
