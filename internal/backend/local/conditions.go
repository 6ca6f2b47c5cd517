package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/proc"
)

// Stage conditions: the executor evaluates a condition's rules side by side; the condition
// succeeds when every rule succeeds, and fails as soon as one fails (the others are abandoned).
// While it is in progress, a stop request cancels it and an override (OverrideStageCondition,
// from any process) ends it Overridden.

// ruleProvider evaluates one rule: it returns a summary of what it found, and an error when
// the rule fails. progress updates the rule's summary while it runs (a window not open yet).
type ruleProvider func(ctx context.Context, job *actionJob, progress func(string)) (string, error)

// ruleProviders are the rule types the local backend evaluates, by provider.
var ruleProviders = map[string]ruleProvider{}

// ruleNotEvaluated says why a rule type is not evaluated locally, and what to do instead.
var ruleNotEvaluated = map[string]string{
	pipeline.RuleCloudWatchAlarm: "this machine has no CloudWatch alarms; use the AWS backend, or check what the alarm watches in a LambdaInvoke or Commands rule",
}

func registerRuleProvider(provider string, run ruleProvider) { ruleProviders[provider] = run }

// conditionOutcome is how a condition evaluation ended.
type conditionOutcome int

const (
	conditionPassed      conditionOutcome = iota // succeeded, or overridden
	conditionFailed                              // a rule failed: the condition's result engages
	conditionInterrupted                         // the run stopped, or its context ended
)

// evaluateCondition evaluates the condition of conditionType of stage si and records it in the
// stage's state. A condition that already succeeded or was overridden in this run (a stage
// retried after its entry) is not evaluated again.
func (x *executor) evaluateCondition(ctx context.Context, si int, conditionType string) (conditionOutcome, error) {
	cond := x.def.Stages[si].Condition(conditionType)
	x.mu.Lock()
	st := &x.run.Stages[si]
	if prev := st.Condition(conditionType); prev != nil && (prev.Status == backend.StatusSucceeded || prev.Status == backend.StatusOverridden) {
		x.mu.Unlock()
		return conditionPassed, nil
	}
	now := x.a.c.now().UTC()
	cr := backend.ConditionRun{Type: conditionType, Status: backend.StatusInProgress, Started: now}
	for _, r := range cond.Rules {
		cr.Rules = append(cr.Rules, backend.RuleRun{Name: r.Name, ExecutionID: newUUID(), Status: backend.StatusInProgress, Started: now})
	}
	setCondition(st, cr)
	x.touch(si)
	x.mu.Unlock()
	if err := x.save(ctx); err != nil {
		return conditionInterrupted, err
	}

	condCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	type ruleDone struct {
		k       int
		summary string
		err     error
	}
	done := make(chan ruleDone, len(cond.Rules))
	for k := range cond.Rules {
		go func(k int) {
			summary, err := x.runRule(condCtx, si, conditionType, k)
			done <- ruleDone{k, summary, err}
		}(k)
	}
	tick := time.NewTicker(controlPoll)
	defer tick.Stop()
	var failed, overridden, stopped bool
	var reason string
	ctxDone := ctx.Done()
	for pending := len(cond.Rules); pending > 0; {
		select {
		case d := <-done:
			pending--
			x.mu.Lock()
			rr := &x.run.Stages[si].Condition(conditionType).Rules[d.k]
			rr.Ended = x.a.c.now().UTC()
			switch {
			case d.err != nil && (failed || overridden || stopped) && condCtx.Err() != nil:
				rr.Status, rr.Error = backend.StatusAbandoned, "abandoned: "+abandonReason(failed, overridden, stopped)
			case d.err != nil:
				rr.Status, rr.Error = backend.StatusFailed, d.err.Error()
				if d.summary != "" {
					rr.Summary = d.summary
				}
				if !failed && !overridden && !stopped {
					failed = true
					reason = fmt.Sprintf("rule %s failed: %s", cond.Rules[d.k].Name, d.err)
					cancel()
				}
			default:
				rr.Status, rr.Summary = backend.StatusSucceeded, d.summary
			}
			x.touch(si)
			x.mu.Unlock()
			_ = x.save(ctx)
		case <-tick.C:
			if failed || overridden || stopped {
				continue
			}
			if c, err := x.readControl(ctx); err == nil && (c.stop || c.supersededBy != "") {
				stopped = true
				cancel()
				continue
			}
			if ok, err := x.overridden(ctx, x.def.Stages[si].Name, conditionType); err == nil && ok {
				overridden = true
				cancel()
			}
		case <-ctxDone:
			ctxDone = nil // once is enough: the rules end on condCtx
			if !failed && !overridden {
				stopped = true
			}
			cancel()
		}
	}

	x.mu.Lock()
	c := x.run.Stages[si].Condition(conditionType)
	c.Ended = x.a.c.now().UTC()
	outcome := conditionPassed
	switch {
	case overridden:
		c.Status, c.Summary = backend.StatusOverridden, "overridden: the run was let past the condition"
	case stopped:
		c.Status, c.Summary = backend.StatusCancelled, "cancelled: the run stopped"
		outcome = conditionInterrupted
	case failed:
		c.Status, c.Result, c.Summary = backend.StatusFailed, cond.EffectiveResult(conditionType), reason
		outcome = conditionFailed
	default:
		c.Status, c.Summary = backend.StatusSucceeded, fmt.Sprintf("%d of %d rules succeeded", len(c.Rules), len(c.Rules))
	}
	x.touch(si)
	x.mu.Unlock()
	return outcome, x.save(ctx)
}

func abandonReason(failed, overridden, stopped bool) string {
	switch {
	case failed:
		return "another rule of the condition failed"
	case overridden:
		return "the condition was overridden"
	}
	return "the run stopped"
}

// setCondition puts cr in the stage's state, in place of an earlier evaluation of its type.
func setCondition(st *backend.StageRun, cr backend.ConditionRun) {
	if prev := st.Condition(cr.Type); prev != nil {
		*prev = cr
		return
	}
	st.Conditions = append(st.Conditions, cr)
}

// runRule evaluates rule k of a condition of stage si: its configuration and commands with
// variables resolved, its inputs unpacked in a workspace of its own, its provider run with the
// rule's timeout. What it printed is kept as the log of RuleLogName(conditionType, name).
func (x *executor) runRule(ctx context.Context, si int, conditionType string, k int) (string, error) {
	rule := x.def.Stages[si].Condition(conditionType).Rules[k]
	provider, ok := ruleProviders[rule.RuleTypeID.Provider]
	if !ok {
		why := ruleNotEvaluated[rule.RuleTypeID.Provider]
		if why == "" {
			why = "it evaluates " + strings.Join(evaluatedRuleTypes(), ", ")
		}
		return "", fmt.Errorf("rule type %s is not evaluated by the local backend: %s", rule.RuleTypeID, why)
	}
	logName := backend.RuleLogName(conditionType, rule.Name)
	act := pipeline.Action{Name: logName, Category: pipeline.RuleCategoryRule, Owner: pipeline.OwnerAWS, Provider: rule.RuleTypeID.Provider,
		Version: rule.RuleTypeID.Version, Configuration: rule.Configuration, InputArtifacts: rule.InputArtifacts,
		Commands: rule.Commands, RoleARN: rule.RoleARN, Region: rule.Region}
	values := x.variableValues()
	cfg, err := resolveWith(act.Configuration, values)
	if err != nil {
		return "", err
	}
	if act.Commands, err = expandAll(act.Commands, values); err != nil {
		return "", err
	}
	act.Configuration = cfg
	x.mu.Lock()
	rr := &x.run.Stages[si].Condition(conditionType).Rules[k]
	rr.ResolvedConfiguration = cfg
	x.mu.Unlock()

	dir, err := x.ruleWorkspace(si, conditionType, k)
	if err != nil {
		return "", err
	}
	defer func() { _ = removeAllWritable(dir) }()
	logw := proc.NewLog(maxLogBytes)
	stage := x.def.Stages[si].Name
	defer func() {
		x.mu.Lock()
		x.pendingLogs = append(x.pendingLogs, actionLog{stage: stage, action: logName, log: logw.Bytes()})
		x.mu.Unlock()
	}()
	job := &actionJob{x: x, stage: stage, action: act, principal: x.principalOf(&act),
		workDir: dir, inputs: map[string]string{}, inputRefs: map[string]backend.ArtifactRef{}, log: logw}
	// A Commands or LambdaInvoke rule runs the user's commands, sandboxed as an action's are.
	if job.isolate, err = x.isolation(dir, logw); err != nil {
		return "", err
	}
	defer func() {
		for _, f := range job.atEnd {
			f()
		}
	}()
	if err := x.fetchInputs(ctx, job); err != nil {
		return "", err
	}
	var inputs []backend.ArtifactRef
	for _, n := range act.InputArtifacts {
		inputs = append(inputs, job.inputRefs[n])
	}
	progress := func(summary string) {
		x.mu.Lock()
		x.run.Stages[si].Condition(conditionType).Rules[k].Summary = summary
		x.touch(si)
		x.mu.Unlock()
		_ = x.save(ctx)
	}
	x.mu.Lock()
	x.run.Stages[si].Condition(conditionType).Rules[k].Inputs = inputs
	x.mu.Unlock()

	runCtx := ctx
	if rule.TimeoutInMinutes > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, time.Duration(rule.TimeoutInMinutes)*timeoutMinute)
		defer cancel()
	} else if rule.RuleTypeID.Provider != pipeline.RuleDeploymentWindow {
		// A window waits until it opens (or the rule's own timeout); the others run commands
		// or handlers, bounded as an action is.
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, defaultActionTimeout)
		defer cancel()
	}
	summary, err := provider(runCtx, job, progress)
	job.untrackProcesses()
	if err != nil && errors.Is(runCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		err = fmt.Errorf("timed out: %w", err)
	}
	return summary, err
}

// ruleWorkspace returns a fresh directory for one evaluation of rule k of the stage's
// condition, named by ids (see workspaces.go), never by the stage's or the rule's name.
func (x *executor) ruleWorkspace(si int, conditionType string, k int) (string, error) {
	return x.a.c.newWorkspace(x.run.ID, fmt.Sprintf("%d.%s.%d", si, strings.ToLower(conditionType), k))
}

// evaluatedRuleTypes lists the rule types the local backend evaluates, in table order.
func evaluatedRuleTypes() []string {
	var out []string
	for _, t := range pipeline.RuleTypes {
		if _, ok := ruleProviders[t.Provider]; ok {
			out = append(out, t.Provider)
		}
	}
	return out
}

// ListRuleTypes returns the rule types of the rule reference, and which the local backend
// evaluates.
func (a *Account) ListRuleTypes(context.Context) ([]backend.RuleType, error) {
	out := make([]backend.RuleType, 0, len(pipeline.RuleTypes))
	for i := range pipeline.RuleTypes {
		t := &pipeline.RuleTypes[i]
		_, evaluated := ruleProviders[t.Provider]
		out = append(out, backend.RuleType{ID: t.ID(), Doc: t.Doc, Config: append([]pipeline.RuleConfigKey(nil), t.Config...),
			Commands: t.Commands, Evaluated: evaluated})
	}
	return out, nil
}

// overridden reports whether an override of the condition was asked for this run.
func (x *executor) overridden(ctx context.Context, stage, conditionType string) (bool, error) {
	var n int
	err := x.a.c.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM condition_overrides WHERE execution_id = ? AND stage = ? AND condition_type = ?`,
		x.run.ID, stage, conditionType).Scan(&n)
	return n > 0, err
}

// OverrideStageCondition asks the driver of execution id to let it past the stage's condition
// being evaluated.
func (a *Account) OverrideStageCondition(ctx context.Context, pipelineName, stage, id, conditionType string) error {
	if conditionType != pipeline.ConditionBeforeEntry && conditionType != pipeline.ConditionOnSuccess {
		return fmt.Errorf("condition type %q: only %s conditions can be overridden: %w",
			conditionType, strings.Join(pipeline.OverridableConditions, " and "), backend.ErrInvalid)
	}
	if id == "" {
		return fmt.Errorf("no execution id: name the execution whose condition to override: %w", backend.ErrInvalid)
	}
	return a.c.write(ctx, func(tx *sql.Tx) error {
		e, err := a.loadExecution(ctx, tx, pipelineName, id)
		if err != nil {
			return err
		}
		si := e.run.StageIndex(stage)
		if si < 0 || si >= len(e.definition.Stages) {
			return backend.NotFoundError(backend.KindStage, stage)
		}
		if e.definition.Stages[si].Condition(conditionType) == nil {
			return fmt.Errorf("stage %q has no %s condition: %w: %w", stage, pipeline.ConditionBlock(conditionType), backend.ErrConditionNotOverridable, backend.ErrInvalid)
		}
		later, err := a.laterRunInStage(ctx, tx, pipelineName, e.seq, stage)
		if err != nil {
			return err
		}
		if later != "" {
			return fmt.Errorf("execution %s has reached stage %q since: %w: %w", later, stage, backend.ErrNotLatestExecution, backend.ErrInvalid)
		}
		c := e.run.Stages[si].Condition(conditionType)
		if c == nil || c.Status != backend.StatusInProgress {
			status := "not evaluated yet"
			if c != nil {
				status = c.Status
			}
			fix := ""
			if c != nil && c.Status == backend.StatusFailed {
				fix = "; retry the stage instead (`codepipeline runs retry`)"
			}
			return fmt.Errorf("the %s condition of stage %q in execution %s is %s, not in progress%s: %w: %w",
				pipeline.ConditionBlock(conditionType), stage, e.run.ID, status, fix, backend.ErrConditionNotOverridable, backend.ErrInvalid)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO condition_overrides (execution_id, stage, condition_type, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (execution_id, stage, condition_type) DO NOTHING`, e.run.ID, stage, conditionType, a.c.timestamp())
		return err
	})
}

// laterRunInStage returns a later execution of the pipeline (seq above seq) that has reached
// stage, "" for none.
func (a *Account) laterRunInStage(ctx context.Context, q querier, pipelineName string, seq int64, stage string) (string, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, state FROM executions WHERE account_id = ? AND region = ? AND pipeline = ? AND seq > ? ORDER BY seq`,
		a.id.AccountID, a.id.Region, pipelineName, seq)
	if err != nil {
		return "", err
	}
	type row struct{ id, state string }
	var later []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.state); err != nil {
			rows.Close()
			return "", err
		}
		later = append(later, r)
	}
	rows.Close()
	for _, r := range later {
		var run backend.Run
		if err := decodeRun(ctx, q, r.state, &run); err != nil {
			return "", err
		}
		if i := run.StageIndex(stage); i >= 0 && (run.Stages[i].Status != "" || len(run.Stages[i].Conditions) > 0) {
			return r.id, nil
		}
	}
	return "", nil
}

// ListRuleExecutions returns the rule executions of the pipeline's executions (or of one),
// newest execution first, in stage and condition order within one.
func (a *Account) ListRuleExecutions(ctx context.Context, pipelineName, id string) ([]backend.RuleExecution, error) {
	var execs []*execution
	if id != "" {
		e, err := a.loadExecution(ctx, a.c.reader, pipelineName, id)
		if err != nil {
			return nil, err
		}
		execs = append(execs, e)
	} else {
		if _, err := a.pipelineRecord(ctx, a.c.reader, pipelineName); err != nil {
			return nil, err
		}
		rows, err := a.c.reader.QueryContext(ctx, `SELECT id FROM executions WHERE account_id = ? AND region = ? AND pipeline = ? ORDER BY seq DESC LIMIT ?`,
			a.id.AccountID, a.id.Region, pipelineName, runsListLimit)
		if err != nil {
			return nil, err
		}
		var ids []string
		for rows.Next() {
			var x string
			if err := rows.Scan(&x); err != nil {
				rows.Close()
				return nil, err
			}
			ids = append(ids, x)
		}
		rows.Close()
		for _, x := range ids {
			e, err := a.loadExecution(ctx, a.c.reader, pipelineName, x)
			if err != nil {
				return nil, err
			}
			execs = append(execs, e)
		}
	}
	var out []backend.RuleExecution
	for _, e := range execs {
		for si, st := range e.run.Stages {
			if si >= len(e.definition.Stages) {
				break
			}
			for _, c := range st.Conditions {
				decl := e.definition.Stages[si].Condition(c.Type)
				for k, r := range c.Rules {
					re := backend.RuleExecution{
						PipelineExecutionID: e.run.ID, RuleExecutionID: r.ExecutionID, PipelineVersion: e.run.PipelineVersion,
						Stage: st.Name, ConditionType: c.Type, Rule: r.Name, Status: r.Status, Started: r.Started, Updated: lastUpdate(r),
						ResolvedConfiguration: r.ResolvedConfiguration, Inputs: r.Inputs, Summary: r.Summary, Error: r.Error,
					}
					if decl != nil && k < len(decl.Rules) {
						d := decl.Rules[k]
						re.RuleTypeID, re.Configuration, re.RoleARN, re.Region = d.RuleTypeID, d.Configuration, d.RoleARN, d.Region
					}
					out = append(out, re)
				}
			}
		}
	}
	return out, nil
}

func lastUpdate(r backend.RuleRun) time.Time {
	if !r.Ended.IsZero() {
		return r.Ended
	}
	return r.Started
}

// ---- the rule providers ----

func init() {
	registerRuleProvider(pipeline.RuleVariableCheck, runVariableCheck)
	registerRuleProvider(pipeline.RuleDeploymentWindow, runDeploymentWindow)
	registerRuleProvider(pipeline.RuleLambdaInvoke, runLambdaRule)
	registerRuleProvider(pipeline.RuleCommands, runCommandsRule)
	registerRuleProvider(pipeline.RuleCodeBuild, runCodeBuildRule)
}

// runVariableCheck compares the resolved Variable with Value.
func runVariableCheck(_ context.Context, job *actionJob, _ func(string)) (string, error) {
	cfg := job.action.Configuration
	ok, why, err := pipeline.VariableCheck(cfg["Operator"], cfg["Variable"], cfg["Value"])
	if err != nil {
		return "", err
	}
	if !ok {
		return why, errors.New(why)
	}
	return why, nil
}

// runDeploymentWindow succeeds once the current time is in the window, waiting for it (while
// the rule's context lasts) when it is not open yet.
func runDeploymentWindow(ctx context.Context, job *actionJob, progress func(string)) (string, error) {
	w, err := pipeline.ParseDeploymentWindow(job.action.Configuration)
	if err != nil {
		return "", err
	}
	clock := job.x.a.c.now
	waiting := ""
	for {
		now := clock()
		if w.Open(now) {
			return fmt.Sprintf("the deployment window %q is open (%s)", w.Schedule, now.In(w.Location).Format(time.RFC3339)), nil
		}
		msg := fmt.Sprintf("waiting for the deployment window %q (%s)", w.Schedule, w.Location)
		if next, ok := w.NextOpen(now); ok {
			msg += ": it opens at " + next.Format(time.RFC3339)
		} else {
			msg += ": it never opens again"
		}
		if msg != waiting {
			waiting = msg
			progress(msg)
		}
		select {
		case <-ctx.Done():
			return waiting, fmt.Errorf("%s: %w", waiting, ctx.Err())
		case <-time.After(controlPoll):
		}
	}
}

// runLambdaRule runs the rule's FunctionName as an Invoke/Lambda action runs its handler: the
// rule succeeds when the handler exits 0.
func runLambdaRule(ctx context.Context, job *actionJob, _ func(string)) (string, error) {
	res, err := runLambda(ctx, job)
	if err != nil {
		return "", err
	}
	res.close()
	return res.summary, nil
}

// runCommandsRule runs the rule's commands as a Commands action runs its own.
func runCommandsRule(ctx context.Context, job *actionJob, _ func(string)) (string, error) {
	res, err := runCommands(ctx, job)
	if res != nil {
		res.close()
	}
	if err != nil {
		return "", err
	}
	return res.summary, nil
}

// runCodeBuildRule runs a build as a CodeBuild action does: the rule succeeds when it does.
func runCodeBuildRule(ctx context.Context, job *actionJob, _ func(string)) (string, error) {
	res, err := runCodeBuild(ctx, job)
	if res != nil {
		res.close()
	}
	if err != nil {
		return "", err
	}
	return res.summary, nil
}

// ---- stage retries ----

// autoRetry resets stage si for its automatic retry: its failed actions, or all of them, as
// the retry mode says. It reports false when the stage has no automatic retry left.
func (x *executor) autoRetry(si int) bool {
	f := x.def.Stages[si].OnFailure
	if f == nil || f.Result != pipeline.ResultRetry {
		return false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	st := &x.run.Stages[si]
	if st.Retry != nil && st.Retry.AutoAttempts >= maxAutoRetries {
		return false
	}
	if st.Retry == nil {
		st.Retry = &backend.StageRetry{}
	}
	st.Retry.AutoAttempts++
	st.Retry.LatestTrigger = backend.RetryAutomated
	resetActions(st, f.RetryConfiguration.Mode() == pipeline.RetryAllActions)
	x.touch(si)
	return true
}

// maxAutoRetries is how often CodePipeline retries a failed stage by itself: once.
const maxAutoRetries = 1

// resetActions makes a stage's actions run again: all of them, or those that did not succeed.
func resetActions(st *backend.StageRun, all bool) {
	for j := range st.Actions {
		act := &st.Actions[j]
		if all || act.Status != backend.StatusSucceeded {
			*act = backend.ActionRun{Name: act.Name, Attempt: act.Attempt}
		}
	}
}

// ---- what a stage's conditions do to it ----

// checkEntry evaluates stage si's entry condition. It returns entered=false with the stage's
// outcome when the run does not enter the stage: Failed (result FAIL), Skipped (result SKIP)
// or Stopped; the stage's status and the run's reason are recorded.
func (x *executor) checkEntry(ctx context.Context, si int) (outcome string, entered bool, err error) {
	res, err := x.evaluateCondition(ctx, si, pipeline.ConditionBeforeEntry)
	if err != nil {
		return "", false, err
	}
	name := x.def.Stages[si].Name
	x.mu.Lock()
	st := &x.run.Stages[si]
	switch res {
	case conditionPassed:
		x.mu.Unlock()
		return "", true, nil
	case conditionInterrupted:
		x.mu.Unlock()
		if c, err := x.readControl(ctx); err == nil && (c.stop || c.supersededBy != "") {
			return x.stopped(c), false, nil
		}
		x.setReason(reasonCtxEnded)
		return backend.StatusStopped, false, nil
	}
	c := st.Condition(pipeline.ConditionBeforeEntry)
	if c.Result == pipeline.ResultSkip {
		st.Status = backend.StatusSkipped
	} else {
		st.Status = backend.StatusFailed
		x.run.StatusReason = fmt.Sprintf("the before_entry condition of stage %s failed: %s", name, c.Summary)
	}
	outcome = st.Status
	x.touch(si)
	x.mu.Unlock()
	return outcome, false, x.save(ctx)
}

// checkSuccess evaluates stage si's on-success condition once its actions succeeded: the
// stage succeeds when the condition passes, and fails otherwise, rolled back when the
// condition's result is ROLLBACK.
func (x *executor) checkSuccess(ctx context.Context, si int) (string, string, error) {
	res, err := x.evaluateCondition(ctx, si, pipeline.ConditionOnSuccess)
	if err != nil {
		return "", "", err
	}
	switch res {
	case conditionPassed:
		return backend.StatusSucceeded, "", nil
	case conditionInterrupted:
		if c, err := x.readControl(ctx); err == nil && (c.stop || c.supersededBy != "") {
			return x.stopped(c), "", nil
		}
		x.setReason(reasonCtxEnded)
		return backend.StatusStopped, "", nil
	}
	x.mu.Lock()
	c := x.run.Stages[si].Condition(pipeline.ConditionOnSuccess)
	reason := fmt.Sprintf("the on_success condition of stage %s failed: %s", x.def.Stages[si].Name, c.Summary)
	if c.Result == pipeline.ResultRollback {
		x.rollbackStage = si
	}
	x.mu.Unlock()
	return backend.StatusFailed, reason, nil
}

// checkFailure decides what stage si's failure engages once its automatic retry (if any) is
// spent: with an on-failure condition, a rollback when the condition fails; without one, a
// rollback when the on_failure result is ROLLBACK. It returns the run's reason.
func (x *executor) checkFailure(ctx context.Context, si int, reason string) (string, error) {
	f := x.def.Stages[si].OnFailure
	if f.Condition == nil {
		if f.Result == pipeline.ResultRollback {
			x.rollbackStage = si
		}
		return reason, nil
	}
	res, err := x.evaluateCondition(ctx, si, pipeline.ConditionOnFailure)
	if err != nil || res != conditionFailed {
		return reason, err
	}
	x.mu.Lock()
	if x.run.Stages[si].Condition(pipeline.ConditionOnFailure).Result == pipeline.ResultRollback {
		x.rollbackStage = si
	}
	x.mu.Unlock()
	return reason, nil
}

// endConditions ends the conditions of a stage still in progress (a run stopped or abandoned
// while a condition was evaluated): the condition with status, its running rules Abandoned.
func endConditions(st *backend.StageRun, status, reason string, now time.Time) {
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if c.Status != backend.StatusInProgress {
			continue
		}
		c.Status, c.Summary, c.Ended = status, reason, now
		for k := range c.Rules {
			if r := &c.Rules[k]; r.Status == backend.StatusInProgress {
				r.Status, r.Error, r.Ended = backend.StatusAbandoned, reason, now
			}
		}
	}
}

// retryConditions prepares a stage's conditions for a manual retry: the conditions the stage
// meets after its actions are evaluated again, and so is an entry condition that did not let
// the run in.
func retryConditions(st *backend.StageRun) {
	kept := st.Conditions[:0]
	for _, c := range st.Conditions {
		if c.Type == pipeline.ConditionBeforeEntry && (c.Status == backend.StatusSucceeded || c.Status == backend.StatusOverridden) {
			kept = append(kept, c)
		}
	}
	st.Conditions = kept
	if len(kept) == 0 {
		st.Conditions = nil
	}
}
