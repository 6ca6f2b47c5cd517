package console

import (
	"net/url"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// A run's stage conditions as its page shows them: each condition the stage has (or the run
// evaluated: a pipeline changed since keeps what its runs did), where it sits, the result it
// engages when it fails, its rules, and what the run made of each: status, the result engaged,
// the summary, each rule's status, resolved configuration, summary or error and log.

type conditionView struct {
	ID    string // the element's id on the page
	Type  string // pipeline.ConditionBeforeEntry, ...
	Block string // before_entry, on_success, on_failure
	Label string // "Entry condition", ...
	// Result is what the stage does when the condition fails, as defined (or as the run
	// recorded it when the definition no longer has the condition).
	Result string
	// OnlyResult: an on_failure block without a condition; Result is what a failure does.
	OnlyResult bool
	RetryMode  string // the on_failure block's retry mode, for a RETRY
	Status     string // the run's status of the condition ("" = not evaluated)
	Engaged    string // the result the run engaged (when the condition failed)
	Summary    string
	Started    string
	Duration   string
	Rules      []ruleView
}

type ruleView struct {
	Name, Type, Status string
	Duration           string
	Summary, Error     string
	Config             []kv
	LogURL             string
}

var conditionLabels = map[string]string{
	pipeline.ConditionBeforeEntry: "Entry condition",
	pipeline.ConditionOnSuccess:   "On-success condition",
	pipeline.ConditionOnFailure:   "On-failure condition",
}

// conditionViews puts together the conditions of a stage of a run. def is the stage of the
// pipeline's definition now (nil when it has no such stage any more).
func conditionViews(def *pipeline.Stage, st *backend.StageRun, runBase string) []conditionView {
	var out []conditionView
	seen := map[string]bool{}
	for _, t := range pipeline.ConditionTypes {
		var dc *pipeline.Condition
		if def != nil {
			dc = def.Condition(t)
		}
		rc := st.Condition(t)
		onlyResult := t == pipeline.ConditionOnFailure && def != nil && def.OnFailure != nil && def.OnFailure.Condition == nil && def.OnFailure.Result != ""
		if dc == nil && rc == nil && !onlyResult {
			continue
		}
		seen[t] = true
		cv := conditionView{ID: "cond-" + st.Name + "-" + pipeline.ConditionBlock(t), Type: t, Block: pipeline.ConditionBlock(t), Label: conditionLabels[t]}
		switch {
		case onlyResult:
			cv.OnlyResult, cv.Result, cv.Label = true, def.OnFailure.Result, "On failure"
		case dc != nil:
			cv.Result = dc.EffectiveResult(t)
		default:
			cv.Result = rc.Result
		}
		if t == pipeline.ConditionOnFailure && def != nil && def.OnFailure != nil && def.OnFailure.Result == pipeline.ResultRetry {
			cv.RetryMode = def.OnFailure.RetryConfiguration.Mode()
		}
		byName := map[string]*backend.RuleRun{}
		if rc != nil {
			cv.Status, cv.Engaged, cv.Summary = rc.Status, rc.Result, rc.Summary
			cv.Started, cv.Duration = when(rc.Started), duration(rc.Started, rc.Ended)
			for i := range rc.Rules {
				byName[rc.Rules[i].Name] = &rc.Rules[i]
			}
		}
		ruleView := func(name, provider string, rr *backend.RuleRun) ruleView {
			v := ruleView{Name: name, Type: provider}
			if rr != nil {
				v.Status, v.Duration, v.Summary, v.Error = rr.Status, duration(rr.Started, rr.Ended), rr.Summary, rr.Error
				v.Config = sortedKV(rr.ResolvedConfiguration)
				if rr.Status != "" {
					v.LogURL = runBase + "log/" + url.PathEscape(st.Name) + "/" + url.PathEscape(backend.RuleLogName(t, name))
				}
			}
			return v
		}
		if dc != nil {
			for _, r := range dc.Rules {
				cv.Rules = append(cv.Rules, ruleView(r.Name, r.RuleTypeID.Provider, byName[r.Name]))
				delete(byName, r.Name)
			}
		}
		if rc != nil {
			for i := range rc.Rules { // rules the definition no longer has, in the run's order
				if rr := byName[rc.Rules[i].Name]; rr != nil {
					cv.Rules = append(cv.Rules, ruleView(rr.Name, "", rr))
				}
			}
		}
		out = append(out, cv)
	}
	return out
}

// conditionStatus is the run's status of stage i's condition of type t ("" when not evaluated).
func conditionStatus(p *pipeline.Pipeline, run *backend.Run, i int, t string) string {
	if k := run.StageIndex(p.Stages[i].Name); k >= 0 {
		if c := run.Stages[k].Condition(t); c != nil {
			return c.Status
		}
	}
	return ""
}

// ruleOf finds a condition rule's execution by the name its log is kept under
// (backend.RuleLogName), as an action of the stage for the log page.
func ruleOf(run *backend.Run, stage, logName string) *backend.ActionRun {
	k := run.StageIndex(stage)
	if k < 0 {
		return nil
	}
	for _, c := range run.Stages[k].Conditions {
		for _, r := range c.Rules {
			if backend.RuleLogName(c.Type, r.Name) == logName {
				return &backend.ActionRun{Name: logName, Status: r.Status, Started: r.Started, Ended: r.Ended, Summary: r.Summary, Error: r.Error}
			}
		}
	}
	return nil
}
