package backend

import (
	"context"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Runner starts, drives and inspects pipeline executions: the runs capability (RunsOf).
type Runner interface {
	// ActionTypes are the action types this backend executes, in the order of
	// pipeline.ActionTypes: the one list of them. A run that reaches another type fails at
	// that action, saying so.
	ActionTypes() []pipeline.ActionTypeID
	// StartRun records a new execution of a pipeline of this account and region, with the
	// pipeline's current definition; it does not run anything yet.
	StartRun(ctx context.Context, req RunRequest) (*Run, error)
	// ExecuteRun drives an execution in this process until it ends (or ctx ends: the run is
	// then marked Stopped). Only one process drives a run at a time.
	ExecuteRun(ctx context.Context, pipeline, id string) (*Run, error)
	// GetRun returns an execution; id "" is the pipeline's latest.
	GetRun(ctx context.Context, pipeline, id string) (*Run, error)
	// ListRuns returns the pipeline's executions, newest first, at most limit (0 = all).
	ListRuns(ctx context.Context, pipeline string, limit int) ([]*Run, error)
	// StopRun asks an execution to stop: abandon stops its running actions at once, otherwise
	// they finish first ("Stop and wait").
	StopRun(ctx context.Context, pipeline, id string, abandon bool, reason string) error
	// RetryStage makes a failed stage of the pipeline's latest execution run again: its failed
	// actions only, or all of its actions. The caller then drives it with ExecuteRun.
	RetryStage(ctx context.Context, pipeline, id, stage string, allActions bool) (*Run, error)
	// PutApprovalResult approves or rejects a manual approval action that is waiting.
	PutApprovalResult(ctx context.Context, pipeline, id, stage, action string, approved bool, summary string) error
	// ActionLog returns what an action printed in an execution (size-capped); while the action
	// runs, what it printed so far (a second or so behind).
	ActionLog(ctx context.Context, pipeline, id, stage, action string) ([]byte, error)
}

// Execution, stage and action statuses, as CodePipeline names them.
const (
	StatusInProgress = "InProgress"
	StatusSucceeded  = "Succeeded"
	StatusFailed     = "Failed"
	StatusStopping   = "Stopping"
	StatusStopped    = "Stopped"
	StatusSuperseded = "Superseded"
	StatusAbandoned  = "Abandoned" // an action whose run was stopped and abandoned
	StatusCancelled  = "Cancelled" // a stage that an ended run never entered
)

// RunEnded reports whether status is final for an execution.
func RunEnded(status string) bool {
	switch status {
	case StatusSucceeded, StatusFailed, StatusStopped, StatusSuperseded:
		return true
	}
	return false
}

// RunRequest asks for a new execution.
type RunRequest struct {
	Pipeline string
	// Variables override the pipeline's variable defaults; each must be declared.
	Variables map[string]string
	// Trigger says what started the run: StartPipelineExecution (manual), Webhook,
	// CloudWatchEvent, PollForSourceChanges, ...
	Trigger       string
	TriggerDetail string
	// SourceRevisions pins source actions (by name) to the revision that triggered the run:
	// a git commit, or an S3 object version id. An unpinned source takes its latest revision.
	SourceRevisions map[string]string
}

// Run is one execution of a pipeline.
type Run struct {
	ID              string
	Pipeline        string
	PipelineVersion int
	ExecutionMode   string
	Status          string
	StatusReason    string
	Trigger         string
	TriggerDetail   string
	Variables       map[string]string
	SourceRevisions map[string]string
	Started         time.Time
	Ended           time.Time
	Stages          []StageRun
}

// StageRun is a stage of an execution.
type StageRun struct {
	Name   string
	Status string // "" when not reached
	// WaitingSince is when the run began to wait for another run to leave the stage (its
	// execution mode lets one run at a time in a stage); zero when it never waited. Entered
	// is when the run entered the stage; zero when it has not.
	WaitingSince time.Time
	Entered      time.Time
	Actions      []ActionRun
}

// ActionRun is an action of an execution.
type ActionRun struct {
	Name            string
	Status          string // "" when not reached
	Attempt         int
	Started         time.Time
	Ended           time.Time
	Outputs         []ArtifactRef
	OutputVariables map[string]string
	Summary         string
	Error           string
}

// ArtifactRef is an output artifact: an object version in an artifact store.
type ArtifactRef struct {
	Name      string
	Bucket    string
	Key       string
	VersionID string
}

// Failed returns the first failed action of the run (stage and action), if any.
func (r *Run) Failed() (stage *StageRun, action *ActionRun) {
	for i := range r.Stages {
		for j := range r.Stages[i].Actions {
			if r.Stages[i].Actions[j].Status == StatusFailed {
				return &r.Stages[i], &r.Stages[i].Actions[j]
			}
		}
	}
	return nil, nil
}

// StageIndex returns the index of the named stage, or -1.
func (r *Run) StageIndex(name string) int {
	for i := range r.Stages {
		if r.Stages[i].Name == name {
			return i
		}
	}
	return -1
}

// Action returns the named action of the named stage, or nil.
func (r *Run) Action(stage, action string) *ActionRun {
	i := r.StageIndex(stage)
	if i < 0 {
		return nil
	}
	for j := range r.Stages[i].Actions {
		if r.Stages[i].Actions[j].Name == action {
			return &r.Stages[i].Actions[j]
		}
	}
	return nil
}
