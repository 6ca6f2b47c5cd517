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
	Name         string         `json:"Name"`
	Status       string         `json:"Status"`
	WaitingSince *time.Time     `json:"WaitingSince,omitempty"`
	Entered      *time.Time     `json:"Entered,omitempty"`
	Actions      []actionRecord `json:"Actions"`
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
		Status: run.Status, StatusReason: run.StatusReason, Trigger: run.Trigger, TriggerDetail: run.TriggerDetail,
		Variables: run.Variables, SourceRevisions: run.SourceRevisions, Started: run.Started, Ended: run.Ended,
	}
}

func (r runRecord) toRun() backend.Run {
	run := backend.Run{
		ID: r.ID, Pipeline: r.Pipeline, PipelineVersion: r.PipelineVersion, ExecutionMode: r.ExecutionMode,
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
