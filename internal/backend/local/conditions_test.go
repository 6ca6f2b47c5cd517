package local

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Stage conditions, automatic retries and rollbacks as the local executor runs them: a
// passing, a failing and a skipping condition of each rule type, the deployment window on the
// injectable clock, overrides, retries in both modes, and rollbacks (automatic and manual).

// ruleOf is a rule of a provider with its configuration.
func ruleOf(name, provider string, cfg map[string]string) pipeline.ConditionRule {
	return pipeline.ConditionRule{Name: name, RuleTypeID: pipeline.RuleTypeID{Category: "Rule", Owner: "AWS", Provider: provider, Version: "1"},
		Configuration: cfg}
}

// varCheck is a VariableCheck rule.
func varCheck(name, variable, op, value string) pipeline.ConditionRule {
	return ruleOf(name, pipeline.RuleVariableCheck, map[string]string{"Variable": variable, "Operator": op, "Value": value})
}

// commandsRule is a Commands rule reading src.
func commandsRule(name string, commands ...string) pipeline.ConditionRule {
	r := ruleOf(name, pipeline.RuleCommands, nil)
	r.Commands, r.InputArtifacts = commands, []string{"src"}
	return r
}

// withInputs gives a rule input artifacts.
func withInputs(r pipeline.ConditionRule, inputs ...string) pipeline.ConditionRule {
	r.InputArtifacts = inputs
	return r
}

// deployTo is a Deploy/S3 action extracting the artifact into bucket.
func deployTo(bucket, artifact string) pipeline.Action {
	return pipeline.Action{Name: "Publish", Category: "Deploy", Owner: "AWS", Provider: "S3", Version: "1",
		Configuration: map[string]string{"BucketName": bucket, "Extract": "true"}, InputArtifacts: []string{artifact}}
}

// conditionPipeline is Source → Build (a shell step) → Deploy (publishing src into
// NAME-site), with a pipeline variable "ok" (default "yes").
func conditionPipeline(t *testing.T, a *Account, name string, edit func(p *pipeline.Pipeline)) *pipeline.Pipeline {
	t.Helper()
	p := shellPipeline(name, "", stage("Build", shell("Make", 1, "true")), stage("Deploy", deployTo(name+"-site", "src")))
	p.Variables = []pipeline.Variable{{Name: "ok", DefaultValue: "yes"}}
	if edit != nil {
		edit(p)
	}
	if _, err := a.CreateBucket(context.Background(), backend.Bucket{Name: name + "-site", Versioning: true}); err != nil {
		t.Fatal(err)
	}
	setupShellPipeline(t, a, p, nil)
	return p
}

// stageOf returns the named stage of a run.
func stageOf(t *testing.T, run *backend.Run, name string) *backend.StageRun {
	t.Helper()
	i := run.StageIndex(name)
	if i < 0 {
		t.Fatalf("run has no stage %s", name)
	}
	return &run.Stages[i]
}

// conditionOf returns a stage's condition state, failing the test when there is none.
func conditionOf(t *testing.T, run *backend.Run, stageName, conditionType string) *backend.ConditionRun {
	t.Helper()
	c := stageOf(t, run, stageName).Condition(conditionType)
	if c == nil {
		t.Fatalf("stage %s has no %s condition state: %+v", stageName, conditionType, stageOf(t, run, stageName))
	}
	return c
}

func TestEntryConditionPassesFailsAndSkips(t *testing.T) {
	_, a, _ := accounts(t)
	conditionPipeline(t, a, "gate", func(p *pipeline.Pipeline) {
		p.Stages[2].BeforeEntry = &pipeline.Condition{Result: pipeline.ResultFail, Rules: []pipeline.ConditionRule{
			varCheck("Healthy", "#{variables.ok}", "EQ", "yes"),
			varCheck("NotFrozen", "#{codepipeline.PipelineExecutionId}", "NE", "frozen"),
		}}
	})
	conditionPipeline(t, a, "skip", func(p *pipeline.Pipeline) {
		p.Stages[1].BeforeEntry = &pipeline.Condition{Result: pipeline.ResultSkip, Rules: []pipeline.ConditionRule{
			varCheck("Wanted", "#{variables.ok}", "MATCHES", "y.s"),
		}}
	})

	run := startAndRun(t, a, "gate", nil)
	if run.Status != backend.StatusSucceeded {
		t.Fatalf("passing condition: run %s (%s)", run.Status, run.StatusReason)
	}
	c := conditionOf(t, run, "Deploy", pipeline.ConditionBeforeEntry)
	if c.Status != backend.StatusSucceeded || len(c.Rules) != 2 || c.Rules[0].Status != backend.StatusSucceeded || c.Rules[0].ExecutionID == "" ||
		c.Rules[0].ResolvedConfiguration["Variable"] != "yes" || !strings.Contains(c.Rules[0].Summary, `"yes" equals "yes"`) {
		t.Errorf("passing condition state = %+v", c)
	}

	run = startAndRun(t, a, "gate", map[string]string{"ok": "no"})
	if run.Status != backend.StatusFailed || stageOf(t, run, "Deploy").Status != backend.StatusFailed ||
		!strings.Contains(run.StatusReason, "before_entry condition of stage Deploy failed") || !strings.Contains(run.StatusReason, "Healthy") {
		t.Fatalf("failing condition: run %s (%s)", run.Status, run.StatusReason)
	}
	c = conditionOf(t, run, "Deploy", pipeline.ConditionBeforeEntry)
	if c.Status != backend.StatusFailed || c.Result != pipeline.ResultFail || c.Rules[0].Status != backend.StatusFailed {
		t.Errorf("failing condition state = %+v", c)
	}
	if act := run.Action("Deploy", "Publish"); act.Status != "" {
		t.Errorf("the stage's action ran after its entry condition failed: %s", act.Status)
	}

	run = startAndRun(t, a, "skip", map[string]string{"ok": "nope"})
	if run.Status != backend.StatusSucceeded || stageOf(t, run, "Build").Status != backend.StatusSkipped ||
		stageOf(t, run, "Deploy").Status != backend.StatusSucceeded || run.Action("Build", "Make").Status != "" {
		t.Fatalf("skipped stage: run %s (%s), stages %+v", run.Status, run.StatusReason, run.Stages)
	}
	c = conditionOf(t, run, "Build", pipeline.ConditionBeforeEntry)
	if c.Status != backend.StatusFailed || c.Result != pipeline.ResultSkip {
		t.Errorf("skipping condition state = %+v", c)
	}
	// Stored, and read back the same.
	again := must[*backend.Run](t)(a.GetRun(context.Background(), "skip", run.ID))
	if got := conditionOf(t, again, "Build", pipeline.ConditionBeforeEntry); got.Result != pipeline.ResultSkip || got.Rules[0].ExecutionID != c.Rules[0].ExecutionID {
		t.Errorf("stored condition state = %+v", got)
	}
}

func TestRuleTypesLocally(t *testing.T) {
	_, a, _ := accounts(t)
	writeHandler(t, a, "healthy", `cat > "$PWD/job.json"; grep -q '"UserParameters":"deep"' "$PWD/job.json" || exit 3; echo checked`)
	writeHandler(t, a, "sick", `echo "the service answers 503" >&2; exit 1`)
	cases := []struct {
		name   string
		rule   pipeline.ConditionRule
		pass   bool
		detail string // in the rule's summary or error
	}{
		{"lambda passes", ruleOf("Probe", pipeline.RuleLambdaInvoke, map[string]string{"FunctionName": "healthy", "UserParameters": "deep"}), true, "function healthy succeeded"},
		{"lambda fails", ruleOf("Probe", pipeline.RuleLambdaInvoke, map[string]string{"FunctionName": "sick"}), false, "exit status 1"},
		{"commands pass", commandsRule("Smoke", "test -f index.html", "grep -q hello index.html"), true, "succeeded"},
		{"commands fail", commandsRule("Smoke", "grep -q goodbye index.html"), false, "failed"},
		{"commands see variables", commandsRule("Vars", `test "#{variables.ok}" = yes`), true, "succeeded"},
		{"contains passes", varCheck("Branch", "#{variables.ok}", "CONTAINS", "es"), true, "contains"},
		{"an unknown variable fails", varCheck("Branch", "#{Nope.Branch}", "EQ", "main"), false, "#{Nope.Branch}"},
		{"codebuild passes", withInputs(ruleOf("Build", pipeline.RuleCodeBuild, map[string]string{"ProjectName": "checks",
			"BuildSpec": "version: 0.2\nphases:\n  build:\n    commands:\n      - grep -q hello index.html\n"}), "src"), true, "build succeeded"},
		{"cloudwatch is not available", ruleOf("Alarm", pipeline.RuleCloudWatchAlarm, map[string]string{"AlarmName": "errors"}), false, "no CloudWatch alarms"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := "rules" + string(rune('a'+i))
			conditionPipeline(t, a, name, func(p *pipeline.Pipeline) {
				p.Stages[2].OnSuccess = &pipeline.Condition{Rules: []pipeline.ConditionRule{tc.rule}}
			})
			run := startAndRun(t, a, name, nil)
			c := conditionOf(t, run, "Deploy", pipeline.ConditionOnSuccess)
			r := c.Rules[0]
			if tc.pass != (run.Status == backend.StatusSucceeded) || tc.pass != (r.Status == backend.StatusSucceeded) {
				t.Fatalf("run %s (%s), rule %s (%s / %s), want pass=%v", run.Status, run.StatusReason, r.Status, r.Summary, r.Error, tc.pass)
			}
			if !strings.Contains(r.Summary+" "+r.Error, tc.detail) {
				t.Errorf("rule summary %q, error %q: want %q in them", r.Summary, r.Error, tc.detail)
			}
			if !tc.pass && (stageOf(t, run, "Deploy").Status != backend.StatusFailed || c.Result != pipeline.ResultFail ||
				!strings.Contains(run.StatusReason, "on_success condition of stage Deploy failed")) {
				t.Errorf("a failed on_success condition: stage %s, result %q, reason %q", stageOf(t, run, "Deploy").Status, c.Result, run.StatusReason)
			}
			if tc.rule.RuleTypeID.Provider == pipeline.RuleCommands {
				log := must[[]byte](t)(a.ActionLog(context.Background(), name, run.ID, "Deploy", backend.RuleLogName(pipeline.ConditionOnSuccess, tc.rule.Name)))
				if !bytes.Contains(log, []byte(tc.rule.Commands[0][:6])) {
					t.Errorf("the rule's log does not show its commands:\n%s", log)
				}
			}
		})
	}
}

func TestDeploymentWindowWaitsForTheClock(t *testing.T) {
	clk := newClock() // Saturday 1 March 2025, 12:00 UTC
	_, a, _ := accounts(t, WithNow(clk.Now))
	conditionPipeline(t, a, "window", func(p *pipeline.Pipeline) {
		p.Stages[2].BeforeEntry = &pipeline.Condition{Rules: []pipeline.ConditionRule{
			ruleOf("OfficeHours", pipeline.RuleDeploymentWindow, map[string]string{"Cron": "* * 9-16 ? * MON-FRI", "TimeZone": "Europe/Paris"}),
		}}
	})
	run := must[*backend.Run](t)(a.StartRun(context.Background(), backend.RunRequest{Pipeline: "window"}))
	done := drive(a, "window", run.ID)
	var waiting string
	eventually(t, "the window rule to say when it opens", func() bool {
		r := must[*backend.Run](t)(a.GetRun(context.Background(), "window", run.ID))
		if c := r.Stages[2].Condition(pipeline.ConditionBeforeEntry); c != nil && len(c.Rules) == 1 {
			waiting = c.Rules[0].Summary
		}
		return strings.Contains(waiting, "opens at")
	})
	if !strings.Contains(waiting, "2025-03-03T09:00:00+01:00") {
		t.Errorf("waiting summary = %q, want the next opening on Monday 9:00 in Paris", waiting)
	}
	if got := actionStatus(t, a, "window", run.ID, "Deploy", "Publish"); got != "" {
		t.Fatalf("the deploy ran outside the window: %s", got)
	}
	clk.Advance(44*time.Hour + 30*time.Minute) // Monday 8:30 UTC, 9:30 in Paris
	end := ended(t, done)
	if end.Status != backend.StatusSucceeded {
		t.Fatalf("run after the window opened: %s (%s)", end.Status, end.StatusReason)
	}
	if c := conditionOf(t, end, "Deploy", pipeline.ConditionBeforeEntry); c.Status != backend.StatusSucceeded || !strings.Contains(c.Rules[0].Summary, "is open") {
		t.Errorf("condition = %+v", c)
	}
}

func TestDeploymentWindowTimesOutAndFails(t *testing.T) {
	defer func(m time.Duration) { timeoutMinute = m }(timeoutMinute)
	timeoutMinute = 20 * time.Millisecond
	clk := newClock()
	_, a, _ := accounts(t, WithNow(clk.Now))
	conditionPipeline(t, a, "closed", func(p *pipeline.Pipeline) {
		r := ruleOf("Never", pipeline.RuleDeploymentWindow, map[string]string{"Cron": "* * * ? * * 1999"})
		r.TimeoutInMinutes = 5
		p.Stages[2].BeforeEntry = &pipeline.Condition{Rules: []pipeline.ConditionRule{r}}
	})
	run := startAndRun(t, a, "closed", nil)
	c := conditionOf(t, run, "Deploy", pipeline.ConditionBeforeEntry)
	if run.Status != backend.StatusFailed || c.Status != backend.StatusFailed || !strings.Contains(c.Rules[0].Error, "timed out") ||
		!strings.Contains(c.Rules[0].Error, "never opens again") {
		t.Fatalf("run %s (%s), condition %+v", run.Status, run.StatusReason, c)
	}
}

func TestOverrideStageCondition(t *testing.T) {
	clk := newClock()
	_, a, _ := accounts(t, WithNow(clk.Now))
	conditionPipeline(t, a, "hold", func(p *pipeline.Pipeline) {
		p.Stages[2].BeforeEntry = &pipeline.Condition{Rules: []pipeline.ConditionRule{
			ruleOf("Freeze", pipeline.RuleDeploymentWindow, map[string]string{"Cron": "* * * ? * * 1999"}),
		}}
	})
	ctx := context.Background()
	run := must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "hold"}))
	// Before the run reaches the stage, there is nothing to override.
	err := a.OverrideStageCondition(ctx, "hold", "Deploy", run.ID, pipeline.ConditionBeforeEntry)
	if !errors.Is(err, backend.ErrConditionNotOverridable) || !errors.Is(err, backend.ErrInvalid) {
		t.Fatalf("override before the condition runs = %v, want ErrConditionNotOverridable", err)
	}
	done := drive(a, "hold", run.ID)
	eventually(t, "the entry condition to be in progress", func() bool {
		c := must[*backend.Run](t)(a.GetRun(ctx, "hold", run.ID)).Stages[2].Condition(pipeline.ConditionBeforeEntry)
		return c != nil && c.Status == backend.StatusInProgress
	})
	for _, bad := range []struct {
		stage, ct string
		want      error
	}{
		{"Deploy", pipeline.ConditionOnFailure, backend.ErrInvalid},
		{"Deploy", pipeline.ConditionOnSuccess, backend.ErrConditionNotOverridable},
		{"Nope", pipeline.ConditionBeforeEntry, backend.ErrNotFound},
	} {
		if err := a.OverrideStageCondition(ctx, "hold", bad.stage, run.ID, bad.ct); !errors.Is(err, bad.want) {
			t.Errorf("override of %s %s = %v, want %v", bad.stage, bad.ct, err, bad.want)
		}
	}
	if err := a.OverrideStageCondition(ctx, "hold", "Deploy", run.ID, pipeline.ConditionBeforeEntry); err != nil {
		t.Fatal(err)
	}
	end := ended(t, done)
	c := conditionOf(t, end, "Deploy", pipeline.ConditionBeforeEntry)
	if end.Status != backend.StatusSucceeded || c.Status != backend.StatusOverridden || c.Rules[0].Status != backend.StatusAbandoned {
		t.Fatalf("after the override: run %s (%s), condition %+v", end.Status, end.StatusReason, c)
	}
}

func TestStopWhileAConditionWaits(t *testing.T) {
	_, a, _ := accounts(t, WithNow(newClock().Now))
	conditionPipeline(t, a, "stopme", func(p *pipeline.Pipeline) {
		p.Stages[2].BeforeEntry = &pipeline.Condition{Rules: []pipeline.ConditionRule{
			ruleOf("Freeze", pipeline.RuleDeploymentWindow, map[string]string{"Cron": "* * * ? * * 1999"}),
		}}
	})
	ctx := context.Background()
	run := must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "stopme"}))
	done := drive(a, "stopme", run.ID)
	eventually(t, "the entry condition to be in progress", func() bool {
		c := must[*backend.Run](t)(a.GetRun(ctx, "stopme", run.ID)).Stages[2].Condition(pipeline.ConditionBeforeEntry)
		return c != nil && c.Status == backend.StatusInProgress
	})
	if err := a.StopRun(ctx, "stopme", run.ID, false, "change freeze"); err != nil {
		t.Fatal(err)
	}
	end := ended(t, done)
	c := conditionOf(t, end, "Deploy", pipeline.ConditionBeforeEntry)
	if end.Status != backend.StatusStopped || c.Status != backend.StatusCancelled || c.Rules[0].Status != backend.StatusAbandoned {
		t.Fatalf("stopped run %s (%s), condition %+v", end.Status, end.StatusReason, c)
	}
}

func TestAutomaticRetry(t *testing.T) {
	for _, mode := range []string{pipeline.RetryFailedActions, pipeline.RetryAllActions} {
		t.Run(mode, func(t *testing.T) {
			_, a, _ := accounts(t)
			marker := filepath.Join(t.TempDir(), "first-attempt-done")
			p := shellPipeline("retry", "", pipeline.Stage{Name: "Build",
				OnFailure: &pipeline.FailureConditions{Result: pipeline.ResultRetry, RetryConfiguration: &pipeline.RetryConfiguration{RetryMode: mode}},
				Actions: []pipeline.Action{
					shell("Steady", 1, "true"),
					// Fails the first time, succeeds when retried: a transient failure.
					shell("Flaky", 1, "if [ -e "+marker+" ]; then exit 0; fi; touch "+marker+"; exit 1"),
				}})
			setupShellPipeline(t, a, p, nil)
			run := startAndRun(t, a, "retry", nil)
			st := stageOf(t, run, "Build")
			if run.Status != backend.StatusSucceeded || st.Retry == nil || st.Retry.AutoAttempts != 1 || st.Retry.LatestTrigger != backend.RetryAutomated {
				t.Fatalf("run %s (%s), retry %+v", run.Status, run.StatusReason, st.Retry)
			}
			wantSteady := 1
			if mode == pipeline.RetryAllActions {
				wantSteady = 2
			}
			if got := run.Action("Build", "Steady").Attempt; got != wantSteady {
				t.Errorf("Steady ran %d times, want %d", got, wantSteady)
			}
			if got := run.Action("Build", "Flaky").Attempt; got != 2 {
				t.Errorf("Flaky ran %d times, want 2", got)
			}
		})
	}
	t.Run("once only", func(t *testing.T) {
		_, a, _ := accounts(t)
		p := shellPipeline("always", "", pipeline.Stage{Name: "Build",
			OnFailure: &pipeline.FailureConditions{Result: pipeline.ResultRetry, RetryConfiguration: &pipeline.RetryConfiguration{}},
			Actions:   []pipeline.Action{shell("Broken", 1, "exit 2")}})
		setupShellPipeline(t, a, p, nil)
		run := startAndRun(t, a, "always", nil)
		if run.Status != backend.StatusFailed || run.Action("Build", "Broken").Attempt != 2 || stageOf(t, run, "Build").Retry.AutoAttempts != 1 {
			t.Fatalf("run %s, attempts %d, retry %+v", run.Status, run.Action("Build", "Broken").Attempt, stageOf(t, run, "Build").Retry)
		}
		// A manual retry still works, and counts as such.
		retried := must[*backend.Run](t)(a.RetryStage(context.Background(), "always", run.ID, "Build", false))
		if r := stageOf(t, retried, "Build").Retry; r.ManualAttempts != 1 || r.LatestTrigger != backend.RetryManual || r.AutoAttempts != 1 {
			t.Errorf("after a manual retry: %+v", r)
		}
	})
}

// siteContent reads index.html as deployed into a site bucket.
func siteContent(t *testing.T, a *Account, bucket string) string {
	t.Helper()
	body, _, err := a.GetObject(context.Background(), "", bucket, "index.html", "")
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// newSource puts a new version of the pipeline's source object.
func newSource(t *testing.T, a *Account, name, content string) {
	t.Helper()
	if _, err := a.PutObject(context.Background(), "", name+"-source", "app.zip", bytes.NewReader(zipFiles(t, map[string]string{"index.html": content}))); err != nil {
		t.Fatal(err)
	}
}

// latestRun is the pipeline's newest execution.
func latestRun(t *testing.T, a *Account, name string) *backend.Run {
	t.Helper()
	return must[*backend.Run](t)(a.GetRun(context.Background(), name, ""))
}

func TestRollbackOnFailure(t *testing.T) {
	cases := map[string]func(p *pipeline.Pipeline){
		// The deploy stage's own check fails: its on_failure result rolls it back.
		"on_failure result": func(p *pipeline.Pipeline) {
			p.Stages[2].Actions = append(p.Stages[2].Actions, shell("Verify", 2, `test "#{variables.ok}" = yes`))
			p.Stages[2].OnFailure = &pipeline.FailureConditions{Result: pipeline.ResultRollback}
		},
		// The deploy succeeds but its health check does not: the on_success condition rolls back.
		"on_success condition": func(p *pipeline.Pipeline) {
			p.Stages[2].OnSuccess = &pipeline.Condition{Result: pipeline.ResultRollback, Rules: []pipeline.ConditionRule{
				varCheck("Healthy", "#{variables.ok}", "EQ", "yes")}}
		},
		// The check fails, and the on_failure condition (a check that nothing else is wrong)
		// fails too: its result, ROLLBACK, engages.
		"on_failure condition": func(p *pipeline.Pipeline) {
			p.Stages[2].Actions = append(p.Stages[2].Actions, shell("Verify", 2, `test "#{variables.ok}" = yes`))
			p.Stages[2].OnFailure = &pipeline.FailureConditions{Condition: &pipeline.Condition{Rules: []pipeline.ConditionRule{
				varCheck("KeepIt", "#{variables.ok}", "EQ", "keep")}}}
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			_, a, _ := accounts(t)
			conditionPipeline(t, a, "rb", edit)
			good := startAndRun(t, a, "rb", nil)
			if good.Status != backend.StatusSucceeded || good.ExecutionType != backend.ExecutionStandard || siteContent(t, a, "rb-site") != sourceFiles["index.html"] {
				t.Fatalf("first run: %s (%s), type %q", good.Status, good.StatusReason, good.ExecutionType)
			}
			newSource(t, a, "rb", "the broken release")
			bad := startAndRun(t, a, "rb", map[string]string{"ok": "no"})
			if bad.Status != backend.StatusFailed || !strings.Contains(bad.StatusReason, "rolled back to execution "+good.ID) {
				t.Fatalf("failing run: %s (%s)", bad.Status, bad.StatusReason)
			}
			rb := latestRun(t, a, "rb")
			if rb.ID == bad.ID || rb.ExecutionType != backend.ExecutionRollback || rb.RollbackTarget != good.ID || rb.RollbackStage != "Deploy" ||
				rb.Trigger != backend.TriggerAutomatedRollback || rb.Status != backend.StatusSucceeded || rb.Variables["ok"] != "yes" {
				t.Fatalf("rollback execution = %+v", rb)
			}
			if stageOf(t, rb, "Source").Status != "" || stageOf(t, rb, "Build").Status != "" || stageOf(t, rb, "Deploy").Status != backend.StatusSucceeded {
				t.Errorf("a rollback runs its stage only: %+v", rb.Stages)
			}
			if got := siteContent(t, a, "rb-site"); got != sourceFiles["index.html"] {
				t.Errorf("after the rollback the site holds %q, want the first run's %q", got, sourceFiles["index.html"])
			}
		})
	}
	t.Run("nothing to roll back to", func(t *testing.T) {
		_, a, _ := accounts(t)
		conditionPipeline(t, a, "first", cases["on_failure result"])
		run := startAndRun(t, a, "first", map[string]string{"ok": "no"})
		if run.Status != backend.StatusFailed || !strings.Contains(run.StatusReason, "nothing to roll back to") || latestRun(t, a, "first").ID != run.ID {
			t.Fatalf("run %s (%s)", run.Status, run.StatusReason)
		}
	})
	t.Run("a passing on_failure condition does not roll back", func(t *testing.T) {
		_, a, _ := accounts(t)
		conditionPipeline(t, a, "keep", cases["on_failure condition"])
		startAndRun(t, a, "keep", nil)
		run := startAndRun(t, a, "keep", map[string]string{"ok": "keep"})
		if run.Status != backend.StatusFailed || strings.Contains(run.StatusReason, "rolled back") || latestRun(t, a, "keep").ID != run.ID {
			t.Fatalf("run %s (%s)", run.Status, run.StatusReason)
		}
		if c := conditionOf(t, run, "Deploy", pipeline.ConditionOnFailure); c.Status != backend.StatusSucceeded {
			t.Errorf("on_failure condition = %+v", c)
		}
	})
}

func TestRollbackStage(t *testing.T) {
	_, a, _ := accounts(t)
	ctx := context.Background()
	conditionPipeline(t, a, "manual", nil)
	first := startAndRun(t, a, "manual", nil)
	newSource(t, a, "manual", "release two")
	second := startAndRun(t, a, "manual", nil)
	if siteContent(t, a, "manual-site") != "release two" {
		t.Fatal("the second release is not deployed")
	}

	for name, tc := range map[string]struct {
		stage, target string
		want          error
	}{
		"unknown stage":   {"Nope", first.ID, backend.ErrNotFound},
		"unknown target":  {"Deploy", "00000000-0000-0000-0000-000000000000", backend.ErrNotFound},
		"no target":       {"Deploy", "", backend.ErrInvalid},
		"stage not reach": {"Deploy", must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "manual"})).ID, backend.ErrUnableToRollbackStage},
	} {
		if _, err := a.RollbackStage(ctx, "manual", tc.stage, tc.target); !errors.Is(err, tc.want) {
			t.Errorf("%s: RollbackStage = %v, want %v", name, err, tc.want)
		}
	}
	rb := must[*backend.Run](t)(a.RollbackStage(ctx, "manual", "Deploy", first.ID))
	if rb.ExecutionType != backend.ExecutionRollback || rb.Trigger != backend.TriggerManualRollback || rb.RollbackTarget != first.ID {
		t.Fatalf("rollback = %+v", rb)
	}
	end := must[*backend.Run](t)(a.ExecuteRun(ctx, "manual", rb.ID))
	if end.Status != backend.StatusSucceeded || siteContent(t, a, "manual-site") != sourceFiles["index.html"] {
		t.Fatalf("rollback run %s (%s); site %q", end.Status, end.StatusReason, siteContent(t, a, "manual-site"))
	}
	// Rolling forward again, to the second release, is a rollback to it.
	end = must[*backend.Run](t)(a.ExecuteRun(ctx, "manual", must[*backend.Run](t)(a.RollbackStage(ctx, "manual", "Deploy", second.ID)).ID))
	if end.Status != backend.StatusSucceeded || siteContent(t, a, "manual-site") != "release two" {
		t.Fatalf("roll forward: %s; site %q", end.Status, siteContent(t, a, "manual-site"))
	}

	// A new version of the pipeline: the old executions are no targets any more.
	rec := must[*backend.PipelineRecord](t)(a.GetPipeline(ctx, "manual"))
	rec.Definition.Stages[1].Actions[0].Configuration["Commands"] = "true\ntrue"
	must[*backend.PipelineRecord](t)(a.UpdatePipeline(ctx, rec.Definition))
	if _, err := a.RollbackStage(ctx, "manual", "Deploy", first.ID); !errors.Is(err, backend.ErrUnableToRollbackStage) || !strings.Contains(err.Error(), "version") {
		t.Errorf("rollback across versions = %v", err)
	}
	// In PARALLEL mode nothing rolls back.
	rec.Definition.ExecutionMode = pipeline.ExecutionModeParallel
	must[*backend.PipelineRecord](t)(a.UpdatePipeline(ctx, rec.Definition))
	third := startAndRun(t, a, "manual", nil)
	if _, err := a.RollbackStage(ctx, "manual", "Deploy", third.ID); !errors.Is(err, backend.ErrUnableToRollbackStage) || !strings.Contains(err.Error(), "PARALLEL") {
		t.Errorf("rollback in PARALLEL mode = %v", err)
	}
}

func TestListRuleExecutionsAndTypes(t *testing.T) {
	_, a, _ := accounts(t)
	ctx := context.Background()
	conditionPipeline(t, a, "listed", func(p *pipeline.Pipeline) {
		p.Stages[2].BeforeEntry = &pipeline.Condition{Rules: []pipeline.ConditionRule{varCheck("Healthy", "#{variables.ok}", "EQ", "yes")}}
	})
	one := startAndRun(t, a, "listed", nil)
	two := startAndRun(t, a, "listed", map[string]string{"ok": "no"})
	all := must[[]backend.RuleExecution](t)(a.ListRuleExecutions(ctx, "listed", ""))
	if len(all) != 2 || all[0].PipelineExecutionID != two.ID || all[1].PipelineExecutionID != one.ID {
		t.Fatalf("rule executions = %+v", all)
	}
	re := all[0]
	if re.Status != backend.StatusFailed || re.Stage != "Deploy" || re.ConditionType != pipeline.ConditionBeforeEntry || re.Rule != "Healthy" ||
		re.RuleTypeID.Provider != pipeline.RuleVariableCheck || re.Configuration["Variable"] != "#{variables.ok}" || re.ResolvedConfiguration["Variable"] != "no" ||
		re.RuleExecutionID == "" || re.PipelineVersion != 1 || re.Updated.Before(re.Started) {
		t.Errorf("rule execution = %+v", re)
	}
	if one := must[[]backend.RuleExecution](t)(a.ListRuleExecutions(ctx, "listed", one.ID)); len(one) != 1 || one[0].Status != backend.StatusSucceeded {
		t.Errorf("rule executions of the first run = %+v", one)
	}
	if _, err := a.ListRuleExecutions(ctx, "nope", ""); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("rule executions of an unknown pipeline: %v", err)
	}
	types := must[[]backend.RuleType](t)(a.ListRuleTypes(ctx))
	evaluated := map[string]bool{}
	for _, rt := range types {
		evaluated[rt.ID.Provider] = rt.Evaluated
	}
	want := map[string]bool{"CloudWatchAlarm": false, "CodeBuild": true, "Commands": true, "DeploymentWindow": true, "LambdaInvoke": true, "VariableCheck": true}
	for p, w := range want {
		if got, ok := evaluated[p]; !ok || got != w {
			t.Errorf("rule type %s: evaluated = %v (listed %v), want %v", p, got, ok, w)
		}
	}
}

func TestCommandsActionWithCommandsAndOutputVariables(t *testing.T) {
	_, a, _ := accounts(t)
	make := pipeline.Action{Name: "Make", Category: "Compute", Owner: "AWS", Provider: "Commands", Version: "1", Namespace: "MakeVars",
		InputArtifacts: []string{"src"}, Commands: []string{`export TAG="v-$(cat index.html | wc -c)"`, `echo "tag is $TAG"`, `export RUN="#{codepipeline.PipelineExecutionId}"`},
		OutputVariables: []string{"TAG", "RUN"}}
	p := shellPipeline("cmds", "", stage("Build", make), stage("Check", shell("Tag", 1, `test "#{MakeVars.TAG}" = v-21`)))
	setupShellPipeline(t, a, p, nil)
	run := startAndRun(t, a, "cmds", nil)
	if run.Status != backend.StatusSucceeded {
		t.Fatalf("run %s (%s)", run.Status, run.StatusReason)
	}
	if vars := run.Action("Build", "Make").OutputVariables; vars["TAG"] != "v-21" || vars["RUN"] != run.ID {
		t.Errorf("output variables = %v", vars)
	}
}

// TestConditionStateSurvivesReopen: the condition states are stored with the run (records.go)
// and read back the same by a new process.
func TestConditionStateSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	c := openCloud(t, dir)
	a := c.As(acctA, region)
	conditionPipeline(t, a, "kept", func(p *pipeline.Pipeline) {
		p.Stages[2].OnSuccess = &pipeline.Condition{Rules: []pipeline.ConditionRule{varCheck("Healthy", "#{variables.ok}", "EQ", "yes")}}
		p.Stages[1].OnFailure = &pipeline.FailureConditions{Result: pipeline.ResultRetry, RetryConfiguration: &pipeline.RetryConfiguration{}}
	})
	run := startAndRun(t, a, "kept", nil)
	a.Close()
	c.Close()
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	c2 := openCloud(t, dir)
	b := c2.As(acctA, region)
	defer b.Close()
	got := must[*backend.Run](t)(b.GetRun(context.Background(), "kept", run.ID))
	if c := conditionOf(t, got, "Deploy", pipeline.ConditionOnSuccess); c.Status != backend.StatusSucceeded || c.Rules[0].ResolvedConfiguration["Variable"] != "yes" {
		t.Errorf("stored condition = %+v", c)
	}
	if got.ExecutionType != backend.ExecutionStandard {
		t.Errorf("stored execution type = %q", got.ExecutionType)
	}
}

// TestGuideListsTheEvaluatedRuleTypes: the local backend guide's table of rule types
// evaluated locally is the executor's list, no more, no less; the rule types it does not
// evaluate are named under it.
func TestGuideListsTheEvaluatedRuleTypes(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "templates", "guides", "local-backend.md.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "#### Rule types evaluated locally")
	if !ok {
		t.Fatal("the guide has no section \"Rule types evaluated locally\"")
	}
	section, _, _ = strings.Cut(section, "\n### ")
	var listed []string
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || strings.Contains(cells[1], "---") || strings.TrimSpace(cells[1]) == "Rule type" {
			continue
		}
		listed = append(listed, strings.TrimSpace(cells[1]))
	}
	want := evaluatedRuleTypes()
	sort.Strings(listed)
	sort.Strings(want)
	if got, want := strings.Join(listed, ", "), strings.Join(want, ", "); got != want {
		t.Errorf("the guide lists %s; the executor evaluates %s", got, want)
	}
	for provider := range ruleNotEvaluated {
		if _, evaluated := ruleProviders[provider]; evaluated {
			t.Errorf("%s is evaluated and said not to be", provider)
		}
		if !strings.Contains(section, "`"+provider+"`") {
			t.Errorf("the guide does not say that %s is not evaluated locally", provider)
		}
	}
	for _, p := range pipeline.RuleProviders() {
		_, evaluated := ruleProviders[p]
		if _, why := ruleNotEvaluated[p]; !evaluated && !why {
			t.Errorf("rule type %s is neither evaluated locally nor said not to be", p)
		}
	}
}
