package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// windowStage is a build stage whose entry waits for a deployment window that never opens.
func windowStage() pipeline.Stage {
	st := buildStage("Build", "Make", "true")
	st.BeforeEntry = &pipeline.Condition{Rules: []pipeline.ConditionRule{{Name: "Freeze",
		RuleTypeID:    pipeline.RuleTypeID{Category: "Rule", Provider: "DeploymentWindow"},
		Configuration: map[string]string{"Cron": "* * * ? * * 1999"}}}}
	return st
}

func TestRunsOverrideCondition(t *testing.T) {
	rc := newRunsCloud(t)
	rc.createPipeline(t, "held", windowStage())
	ctx := context.Background()
	run, err := rc.a.StartRun(ctx, backend.RunRequest{Pipeline: "held"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *backend.Run, 1)
	go func() {
		r, _ := rc.a.ExecuteRun(ctx, "held", run.ID)
		done <- r
	}()
	deadline := time.Now().Add(time.Minute)
	for {
		r, err := rc.a.GetRun(ctx, "held", run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c := r.Stages[1].Condition(pipeline.ConditionBeforeEntry); c != nil && len(c.Rules) == 1 && strings.Contains(c.Rules[0].Summary, "never opens") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the run does not wait for its window")
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, out, _ := rc.cli(t, "runs", "show", "held", run.ID)
	if code != exitOK || !strings.Contains(out, "[before_entry]") || !strings.Contains(out, "Freeze") || !strings.Contains(out, "never opens again") {
		t.Fatalf("runs show (%d) does not show the waiting condition:\n%s", code, out)
	}
	code, _, errOut := rc.cli(t, "runs", "override-condition", "held", run.ID, "Build", "on-failure")
	if code == exitOK || !strings.Contains(errOut, "before-entry or on-success") {
		t.Errorf("override of on-failure: exit %d, %s", code, errOut)
	}
	code, out, errOut = rc.cli(t, "runs", "override-condition", "held", run.ID, "Build", "before-entry")
	if code != exitOK || !strings.Contains(out, "overridden") {
		t.Fatalf("override: exit %d\n%s%s", code, out, errOut)
	}
	select {
	case r := <-done:
		if r == nil || r.Status != backend.StatusSucceeded || r.Stages[1].Condition(pipeline.ConditionBeforeEntry).Status != backend.StatusOverridden {
			t.Fatalf("after the override: %+v", r)
		}
	case <-time.After(time.Minute):
		t.Fatal("the run did not go on after the override")
	}
	// Not in progress any more: refused, saying why.
	code, _, errOut = rc.cli(t, "runs", "override-condition", "held", run.ID, "Build", "BEFORE_ENTRY")
	if code == exitOK || !strings.Contains(errOut, "not in progress") {
		t.Errorf("a second override: exit %d, %s", code, errOut)
	}
}

func TestRunsRollback(t *testing.T) {
	rc := newRunsCloud(t)
	rc.createPipeline(t, "rb", buildStage("Build", "Make", "true"))
	code, out, errOut := rc.cli(t, "start", "rb")
	if code != exitOK {
		t.Fatalf("start: %d\n%s%s", code, out, errOut)
	}
	first := runID(t, out)
	code, out, errOut = rc.cli(t, "runs", "rollback", "rb", "Build", first)
	if code != exitOK || !strings.Contains(out, "Succeeded") {
		t.Fatalf("rollback: exit %d\n%s%s", code, out, errOut)
	}
	rb := runID(t, out)
	got, err := rc.a.GetRun(context.Background(), "rb", rb)
	if err != nil {
		t.Fatal(err)
	}
	if got.ExecutionType != backend.ExecutionRollback || got.RollbackTarget != first || got.Trigger != backend.TriggerManualRollback {
		t.Errorf("rollback run = %+v", got)
	}
	code, _, errOut = rc.cli(t, "runs", "rollback", "rb", "Nope", first)
	if code == exitOK || !strings.Contains(errOut, "Nope") {
		t.Errorf("rollback of an unknown stage: exit %d, %s", code, errOut)
	}
	code, _, _ = rc.cli(t, "runs", "rollback", "rb", "Build")
	if code != exitUsage {
		t.Errorf("rollback without a target: exit %d, want %d", code, exitUsage)
	}
}

func TestRunsShowRetries(t *testing.T) {
	rc := newRunsCloud(t)
	st := buildStage("Build", "Make", "exit 1")
	st.OnFailure = &pipeline.FailureConditions{Result: pipeline.ResultRetry, RetryConfiguration: &pipeline.RetryConfiguration{}}
	rc.createPipeline(t, "flaky", st)
	code, out, _ := rc.cli(t, "start", "flaky")
	if code == exitOK || !strings.Contains(out, "[retries]") || !strings.Contains(out, "1 automatic, 0 manual (latest: AutomatedStageRetry)") {
		t.Fatalf("start of a stage that retries (exit %d) does not show the retry:\n%s", code, out)
	}
}
