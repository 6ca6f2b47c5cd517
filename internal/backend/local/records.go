package local

import (
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// The JSON of what the database keeps besides pipeline definitions (pipelines.go): a run's
// header (executions.state), each of its stages (execution_stages.state) and a webhook's
// filters. Their field names are fixed here, with the names schema 6 wrote, so that renaming
// a field of backend.Run or pipeline.WebhookFilter changes nothing stored.

type runRecord struct {
	ID              string            `json:"ID"`
	Pipeline        string            `json:"Pipeline"`
	PipelineVersion int               `json:"PipelineVersion"`
	ExecutionMode   string            `json:"ExecutionMode"`
	ExecutionType   string            `json:"ExecutionType,omitempty"`
	RollbackTarget  string            `json:"RollbackTarget,omitempty"`
	RollbackStage   string            `json:"RollbackStage,omitempty"`
	Status          string            `json:"Status"`
	StatusReason    string            `json:"StatusReason"`
	Trigger         string            `json:"Trigger"`
	TriggerDetail   string            `json:"TriggerDetail"`
	Variables       map[string]string `json:"Variables"`
	SourceRevisions map[string]string `json:"SourceRevisions"`
	Started         time.Time         `json:"Started"`
	Ended           time.Time         `json:"Ended"`
	// Stages are in the header of runs stored before execution_stages existed (schema 5).
	Stages []stageRecord `json:"Stages"`
}

type stageRecord struct {
	Name         string            `json:"Name"`
	Status       string            `json:"Status"`
	WaitingSince *time.Time        `json:"WaitingSince,omitempty"`
	Entered      *time.Time        `json:"Entered,omitempty"`
	Actions      []actionRecord    `json:"Actions"`
	Conditions   []conditionRecord `json:"Conditions,omitempty"`
	Retry        *retryRecord      `json:"Retry,omitempty"`
}

type conditionRecord struct {
	Type    string       `json:"Type"`
	Status  string       `json:"Status"`
	Result  string       `json:"Result,omitempty"`
	Summary string       `json:"Summary,omitempty"`
	Started time.Time    `json:"Started"`
	Ended   time.Time    `json:"Ended"`
	Rules   []ruleRecord `json:"Rules"`
}

type ruleRecord struct {
	Name                  string            `json:"Name"`
	ExecutionID           string            `json:"ExecutionID"`
	Status                string            `json:"Status"`
	Started               time.Time         `json:"Started"`
	Ended                 time.Time         `json:"Ended"`
	ResolvedConfiguration map[string]string `json:"ResolvedConfiguration,omitempty"`
	Inputs                []artifactRecord  `json:"Inputs,omitempty"`
	Summary               string            `json:"Summary,omitempty"`
	Error                 string            `json:"Error,omitempty"`
}

type retryRecord struct {
	AutoAttempts   int    `json:"AutoAttempts"`
	ManualAttempts int    `json:"ManualAttempts"`
	LatestTrigger  string `json:"LatestTrigger"`
}

type actionRecord struct {
	Name            string            `json:"Name"`
	Status          string            `json:"Status"`
	Attempt         int               `json:"Attempt"`
	Started         time.Time         `json:"Started"`
	Ended           time.Time         `json:"Ended"`
	Outputs         []artifactRecord  `json:"Outputs"`
	OutputVariables map[string]string `json:"OutputVariables"`
	Summary         string            `json:"Summary"`
	Error           string            `json:"Error"`
}

type artifactRecord struct {
	Name      string `json:"Name"`
	Bucket    string `json:"Bucket"`
	Key       string `json:"Key"`
	VersionID string `json:"VersionID"`
}

type webhookFilterRecord struct {
	JSONPath    string `json:"JSONPath"`
	MatchEquals string `json:"MatchEquals"`
}

// runHeaderRecord is the record of run without its stages.
func runHeaderRecord(run *backend.Run) runRecord {
	return runRecord{
		ID: run.ID, Pipeline: run.Pipeline, PipelineVersion: run.PipelineVersion, ExecutionMode: run.ExecutionMode,
		ExecutionType: run.ExecutionType, RollbackTarget: run.RollbackTarget, RollbackStage: run.RollbackStage,
		Status: run.Status, StatusReason: run.StatusReason, Trigger: run.Trigger, TriggerDetail: run.TriggerDetail,
		Variables: run.Variables, SourceRevisions: run.SourceRevisions, Started: run.Started, Ended: run.Ended,
	}
}

func (r runRecord) toRun() backend.Run {
	run := backend.Run{
		ID: r.ID, Pipeline: r.Pipeline, PipelineVersion: r.PipelineVersion, ExecutionMode: r.ExecutionMode,
		ExecutionType: r.ExecutionType, RollbackTarget: r.RollbackTarget, RollbackStage: r.RollbackStage,
		Status: r.Status, StatusReason: r.StatusReason, Trigger: r.Trigger, TriggerDetail: r.TriggerDetail,
		Variables: r.Variables, SourceRevisions: r.SourceRevisions, Started: r.Started, Ended: r.Ended,
	}
	for _, st := range r.Stages {
		run.Stages = append(run.Stages, st.toStage())
	}
	return run
}

func stageRecordOf(st backend.StageRun) stageRecord {
	out := stageRecord{Name: st.Name, Status: st.Status, WaitingSince: timeOrNil(st.WaitingSince), Entered: timeOrNil(st.Entered)}
	for _, a := range st.Actions {
		ar := actionRecord{Name: a.Name, Status: a.Status, Attempt: a.Attempt, Started: a.Started, Ended: a.Ended,
			OutputVariables: a.OutputVariables, Summary: a.Summary, Error: a.Error}
		for _, o := range a.Outputs {
			ar.Outputs = append(ar.Outputs, artifactRecord(o))
		}
		out.Actions = append(out.Actions, ar)
	}
	for _, c := range st.Conditions {
		cr := conditionRecord{Type: c.Type, Status: c.Status, Result: c.Result, Summary: c.Summary, Started: c.Started, Ended: c.Ended,
			Rules: make([]ruleRecord, 0, len(c.Rules))}
		for _, r := range c.Rules {
			rr := ruleRecord{Name: r.Name, ExecutionID: r.ExecutionID, Status: r.Status, Started: r.Started, Ended: r.Ended,
				ResolvedConfiguration: r.ResolvedConfiguration, Summary: r.Summary, Error: r.Error}
			for _, o := range r.Inputs {
				rr.Inputs = append(rr.Inputs, artifactRecord(o))
			}
			cr.Rules = append(cr.Rules, rr)
		}
		out.Conditions = append(out.Conditions, cr)
	}
	if st.Retry != nil {
		out.Retry = &retryRecord{AutoAttempts: st.Retry.AutoAttempts, ManualAttempts: st.Retry.ManualAttempts, LatestTrigger: st.Retry.LatestTrigger}
	}
	return out
}

func (s stageRecord) toStage() backend.StageRun {
	out := backend.StageRun{Name: s.Name, Status: s.Status}
	if s.WaitingSince != nil {
		out.WaitingSince = *s.WaitingSince
	}
	if s.Entered != nil {
		out.Entered = *s.Entered
	}
	for _, a := range s.Actions {
		ar := backend.ActionRun{Name: a.Name, Status: a.Status, Attempt: a.Attempt, Started: a.Started, Ended: a.Ended,
			OutputVariables: a.OutputVariables, Summary: a.Summary, Error: a.Error}
		for _, o := range a.Outputs {
			ar.Outputs = append(ar.Outputs, backend.ArtifactRef(o))
		}
		out.Actions = append(out.Actions, ar)
	}
	for _, c := range s.Conditions {
		cr := backend.ConditionRun{Type: c.Type, Status: c.Status, Result: c.Result, Summary: c.Summary, Started: c.Started, Ended: c.Ended}
		for _, r := range c.Rules {
			rr := backend.RuleRun{Name: r.Name, ExecutionID: r.ExecutionID, Status: r.Status, Started: r.Started, Ended: r.Ended,
				ResolvedConfiguration: r.ResolvedConfiguration, Summary: r.Summary, Error: r.Error}
			for _, o := range r.Inputs {
				rr.Inputs = append(rr.Inputs, backend.ArtifactRef(o))
			}
			cr.Rules = append(cr.Rules, rr)
		}
		out.Conditions = append(out.Conditions, cr)
	}
	if s.Retry != nil {
		out.Retry = &backend.StageRetry{AutoAttempts: s.Retry.AutoAttempts, ManualAttempts: s.Retry.ManualAttempts, LatestTrigger: s.Retry.LatestTrigger}
	}
	return out
}

// timeOrNil leaves a zero time out of a record (a field schema 6 did not write).
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func webhookFilterRecords(fs []pipeline.WebhookFilter) []webhookFilterRecord {
	out := make([]webhookFilterRecord, 0, len(fs))
	for _, f := range fs {
		out = append(out, webhookFilterRecord(f))
	}
	return out
}

func webhookFilters(rs []webhookFilterRecord) []pipeline.WebhookFilter {
	var out []pipeline.WebhookFilter
	for _, r := range rs {
		out = append(out, pipeline.WebhookFilter(r))
	}
	return out
}
