package backendtest

import (
	"strings"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// The runs capability's stage conditions, retries and rollbacks: what every backend that runs
// pipelines does with them, as CodePipeline does.

// variableRule is a VariableCheck rule comparing the pipeline variable "ok" with want.
func variableRule(name, want string) pipeline.ConditionRule {
	return pipeline.ConditionRule{Name: name, RuleTypeID: pipeline.RuleTypeID{Category: "Rule", Owner: "AWS", Provider: "VariableCheck", Version: "1"},
		Configuration: map[string]string{"Variable": "#{variables.ok}", "Operator": "EQ", "Value": want}}
}

// withOK gives a pipeline the variable "ok", "yes" by default.
func withOK(p *pipeline.Pipeline) *pipeline.Pipeline {
	p.Variables = []pipeline.Variable{{Name: "ok", DefaultValue: "yes"}}
	return p
}

// runWith starts a run of the pipeline with the variable "ok" and drives it to its end.
func runWith(e *env, r backend.Runner, name, ok string) *backend.Run {
	e.t.Helper()
	started := must[*backend.Run](e.t)(r.StartRun(e.ctx, backend.RunRequest{Pipeline: name, Variables: map[string]string{"ok": ok}}))
	return must[*backend.Run](e.t)(r.ExecuteRun(e.ctx, name, started.ID))
}

var conditionCases = []Case{
	{"runs", "conditions: an entry condition lets the run in, fails the stage or skips it; the run shows each rule", func(e *env) {
		r := e.runs()
		if r == nil {
			return
		}
		gate := withOK(e.pipelineOf("gate", pipeline.Stage{Name: "Build", Actions: []pipeline.Action{commands("Make", 1, "true")},
			BeforeEntry: &pipeline.Condition{Result: pipeline.ResultFail, Rules: []pipeline.ConditionRule{variableRule("Healthy", "yes")}}}))
		e.setup(gate)
		run := runWith(e, r, "gate", "yes")
		mine := map[string]bool{run.ID: true}
		c := run.Stages[1].Condition(pipeline.ConditionBeforeEntry)
		if run.Status != backend.StatusSucceeded || c == nil || c.Status != backend.StatusSucceeded || len(c.Rules) != 1 ||
			c.Rules[0].Name != "Healthy" || c.Rules[0].Status != backend.StatusSucceeded {
			e.t.Fatalf("passing entry condition: run %s (%s), condition %+v", run.Status, run.StatusReason, c)
		}
		run = runWith(e, r, "gate", "no")
		mine[run.ID] = true
		c = run.Stages[1].Condition(pipeline.ConditionBeforeEntry)
		if run.Status != backend.StatusFailed || run.Stages[1].Status != backend.StatusFailed || c == nil || c.Status != backend.StatusFailed ||
			c.Result != pipeline.ResultFail || run.Action("Build", "Make").Status != "" {
			e.t.Fatalf("failing entry condition: run %s (%s), stage %s, condition %+v", run.Status, run.StatusReason, run.Stages[1].Status, c)
		}
		skip := withOK(e.pipelineOf("skip", pipeline.Stage{Name: "Build", Actions: []pipeline.Action{commands("Make", 1, "true")},
			BeforeEntry: &pipeline.Condition{Result: pipeline.ResultSkip, Rules: []pipeline.ConditionRule{variableRule("Wanted", "yes")}}},
			pipeline.Stage{Name: "After", Actions: []pipeline.Action{commands("Next", 1, "true")}}))
		e.setup(skip)
		run = runWith(e, r, "skip", "no")
		if run.Status != backend.StatusSucceeded || run.Stages[1].Status != backend.StatusSkipped || run.Stages[2].Status != backend.StatusSucceeded {
			e.t.Fatalf("skipped stage: run %s (%s), stages %+v", run.Status, run.StatusReason, run.Stages)
		}
		got := must[*backend.Run](e.t)(r.GetRun(e.ctx, "skip", run.ID))
		if c := got.Stages[1].Condition(pipeline.ConditionBeforeEntry); c == nil || c.Result != pipeline.ResultSkip {
			e.t.Errorf("stored condition = %+v", c)
		}
		// Only the two runs started here: on AWS, creating a pipeline starts a first run, which
		// the aws backend stops at once but which may have evaluated the condition already.
		var execs []backend.RuleExecution
		for _, x := range must[[]backend.RuleExecution](e.t)(r.ListRuleExecutions(e.ctx, "gate", "")) {
			if mine[x.PipelineExecutionID] {
				execs = append(execs, x)
			}
		}
		if len(execs) != 2 || execs[0].Status != backend.StatusFailed || execs[1].Status != backend.StatusSucceeded || execs[0].Rule != "Healthy" ||
			execs[0].RuleTypeID.Provider != "VariableCheck" || execs[0].ResolvedConfiguration["Variable"] != "no" {
			e.t.Errorf("ListRuleExecutions = %+v", execs)
		}
	}},
	{"runs", "conditions: a waiting entry condition is overridden; one not in progress cannot be", func(e *env) {
		r := e.runs()
		if r == nil {
			return
		}
		never := pipeline.ConditionRule{Name: "Freeze", RuleTypeID: pipeline.RuleTypeID{Category: "Rule", Provider: "DeploymentWindow"},
			Configuration: map[string]string{"Cron": "* * * ? * * 1999"}}
		e.setup(e.pipelineOf("hold", pipeline.Stage{Name: "Build", Actions: []pipeline.Action{commands("Make", 1, "true")},
			BeforeEntry: &pipeline.Condition{Rules: []pipeline.ConditionRule{never}}}))
		run := must[*backend.Run](e.t)(r.StartRun(e.ctx, backend.RunRequest{Pipeline: "hold"}))
		wantErr(e.t, "an override before the condition runs", r.OverrideStageCondition(e.ctx, "hold", "Build", run.ID, pipeline.ConditionBeforeEntry), backend.ErrConditionNotOverridable)
		done := drive(e, r, "hold", run.ID)
		deadline := time.Now().Add(waitFor)
		for {
			got := must[*backend.Run](e.t)(r.GetRun(e.ctx, "hold", run.ID))
			if c := got.Stages[1].Condition(pipeline.ConditionBeforeEntry); c != nil && c.Status == backend.StatusInProgress {
				break
			}
			if time.Now().After(deadline) {
				e.t.Fatalf("the entry condition is not in progress after %s", waitFor)
			}
			time.Sleep(20 * time.Millisecond)
		}
		wantErr(e.t, "an override of a condition the stage does not have", r.OverrideStageCondition(e.ctx, "hold", "Build", run.ID, pipeline.ConditionOnSuccess), backend.ErrConditionNotOverridable)
		ok(e.t, r.OverrideStageCondition(e.ctx, "hold", "Build", run.ID, pipeline.ConditionBeforeEntry))
		end := ended(e, done)
		if c := end.Stages[1].Condition(pipeline.ConditionBeforeEntry); end.Status != backend.StatusSucceeded || c == nil || c.Status != backend.StatusOverridden {
			e.t.Fatalf("after the override: run %s (%s), condition %+v", end.Status, end.StatusReason, c)
		}
	}},
	{"runs", "retry: a failed stage with on_failure RETRY runs again once, by itself", func(e *env) {
		r := e.runs()
		if r == nil {
			return
		}
		e.setup(e.pipelineOf("retry", pipeline.Stage{Name: "Build",
			OnFailure: &pipeline.FailureConditions{Result: pipeline.ResultRetry, RetryConfiguration: &pipeline.RetryConfiguration{RetryMode: pipeline.RetryAllActions}},
			Actions:   []pipeline.Action{commands("Fine", 1, "true"), commands("Broken", 1, "exit 3")}}))
		run := must[*backend.Run](e.t)(r.StartRun(e.ctx, backend.RunRequest{Pipeline: "retry"}))
		end := must[*backend.Run](e.t)(r.ExecuteRun(e.ctx, "retry", run.ID))
		st := end.Stages[1]
		if end.Status != backend.StatusFailed || st.Retry == nil || st.Retry.AutoAttempts != 1 || st.Retry.LatestTrigger != backend.RetryAutomated ||
			end.Action("Build", "Broken").Attempt != 2 || end.Action("Build", "Fine").Attempt != 2 {
			e.t.Fatalf("run %s, retry %+v, attempts %d and %d", end.Status, st.Retry, end.Action("Build", "Fine").Attempt, end.Action("Build", "Broken").Attempt)
		}
	}},
	{"runs", "rollback: a failure rolls the stage back to the last execution that succeeded in it, as a ROLLBACK execution", func(e *env) {
		r := e.runs()
		if r == nil {
			return
		}
		p := withOK(e.pipelineOf("rb", pipeline.Stage{Name: "Deploy", OnFailure: &pipeline.FailureConditions{Result: pipeline.ResultRollback},
			Actions: []pipeline.Action{commands("Check", 1, `test "#{variables.ok}" = yes`)}}))
		e.setup(p)
		good := runWith(e, r, "rb", "yes")
		bad := runWith(e, r, "rb", "no")
		if good.Status != backend.StatusSucceeded || bad.Status != backend.StatusFailed || !strings.Contains(bad.StatusReason, good.ID) {
			e.t.Fatalf("runs: %s, then %s (%s)", good.Status, bad.Status, bad.StatusReason)
		}
		rb := must[*backend.Run](e.t)(r.GetRun(e.ctx, "rb", ""))
		if backend.ExecutesRemotely(r) && rb.ExecutionType == backend.ExecutionRollback {
			// The service runs the rollback as an execution of its own after the failed one
			// ended: it is followed to its end.
			rb = must[*backend.Run](e.t)(r.ExecuteRun(e.ctx, "rb", rb.ID))
		}
		if rb.ExecutionType != backend.ExecutionRollback || rb.RollbackTarget != good.ID || rb.Trigger != backend.TriggerAutomatedRollback ||
			rb.Status != backend.StatusSucceeded || rb.Stages[1].Status != backend.StatusSucceeded {
			e.t.Fatalf("rollback execution = %+v", rb)
		}
		_, err := r.RollbackStage(e.ctx, "rb", "Deploy", bad.ID)
		wantErr(e.t, "a rollback to an execution that failed in the stage", err, backend.ErrUnableToRollbackStage)
		_, err = r.RollbackStage(e.ctx, "rb", "Nope", good.ID)
		wantErr(e.t, "a rollback of an unknown stage", err, backend.ErrNotFound)
		manual := must[*backend.Run](e.t)(r.RollbackStage(e.ctx, "rb", "Deploy", good.ID))
		end := must[*backend.Run](e.t)(r.ExecuteRun(e.ctx, "rb", manual.ID))
		if end.Status != backend.StatusSucceeded || end.Trigger != backend.TriggerManualRollback || end.Variables["ok"] != "yes" {
			e.t.Errorf("manual rollback = %s, trigger %s, variables %v", end.Status, end.Trigger, end.Variables)
		}
	}},
	{"runs", "rule types: every type of the rule reference, once, and which the backend evaluates", func(e *env) {
		r := e.runs()
		if r == nil {
			return
		}
		types := must[[]backend.RuleType](e.t)(r.ListRuleTypes(e.ctx))
		seen := map[string]bool{}
		for _, t := range types {
			if _, known := pipeline.LookupRuleType(t.ID); !known || seen[t.ID.Provider] {
				e.t.Errorf("ListRuleTypes lists %s twice, or a type the rules do not accept", t.ID)
			}
			seen[t.ID.Provider] = true
			if t.ID.Provider == pipeline.RuleVariableCheck && !t.Evaluated {
				e.t.Errorf("the backend does not evaluate VariableCheck, which the suite's conditions use")
			}
		}
		for _, p := range pipeline.RuleProviders() {
			if !seen[p] {
				e.t.Errorf("ListRuleTypes misses %s", p)
			}
		}
	}},
}
