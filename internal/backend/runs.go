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
	// RunDefinition is the pipeline definition an execution runs: the pipeline's version when
	// it started.
	RunDefinition(ctx context.Context, pipeline, id string) (*pipeline.Pipeline, error)
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

	// Stage conditions, rollbacks and rule executions (runs_conditions.go).

	// RollbackStage starts a new execution of type ROLLBACK that runs the stage again with the
	// artifacts and variables of target, an earlier execution of the same pipeline version in
	// which the stage succeeded. The caller then drives it with ExecuteRun. Refused with
	// ErrUnableToRollbackStage when the stage is running, the target did not succeed in it or
	// ran another version of the pipeline, or the pipeline runs in PARALLEL mode.
	RollbackStage(ctx context.Context, pipeline, stage, target string) (*Run, error)
	// OverrideStageCondition lets execution id past the stage's condition of conditionType
	// (pipeline.ConditionBeforeEntry or ConditionOnSuccess) while the condition is being
	// evaluated (a deployment window not open yet): the condition ends Overridden and the run
	// goes on. Refused with ErrConditionNotOverridable when the condition is not in progress,
	// and ErrNotLatestExecution when a later execution has reached the stage.
	OverrideStageCondition(ctx context.Context, pipeline, stage, id, conditionType string) error
	// ListRuleExecutions returns the rule executions of the pipeline's executions, newest
	// first; id "" means every execution, otherwise only that one's.
	ListRuleExecutions(ctx context.Context, pipeline, id string) ([]RuleExecution, error)
	// ListRuleTypes returns the condition rule types, and which of them this backend evaluates.
	ListRuleTypes(ctx context.Context) ([]RuleType, error)
}

// ActionLogs are what actions printed: the local backend keeps them (ActionLogsOf). On AWS an
// action's output stays in the service that ran it (CodeBuild's in CloudWatch Logs), which the
// action's ExternalURL links to.
type ActionLogs interface {
	// ActionLog returns what an action printed in an execution (size-capped); while the action
	// runs, what it printed so far (a second or so behind). A condition rule's log is under
	// RuleLogName(conditionType, rule).
	ActionLog(ctx context.Context, pipeline, id, stage, action string) ([]byte, error)
}

// RemoteRuns is a Runner whose runs go on without this process: the service executes them
// (CodePipeline on AWS), and ExecuteRun only follows one to its end. Nothing needs to keep a
// process alive for a run started with codepipeline_run's wait = false.
type RemoteRuns interface {
	RunsExecuteRemotely() bool
}

// ExecutesRemotely reports whether r's runs go on without a process of this machine driving them.
func ExecutesRemotely(r Runner) bool {
	rr, ok := r.(RemoteRuns)
	return ok && rr.RunsExecuteRemotely()
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
	StatusSkipped    = "Skipped"   // a stage whose entry condition failed with result SKIP
	// Statuses of a condition besides the above (the API's ConditionExecutionStatus).
	StatusErrored    = "Errored"
	StatusOverridden = "Overridden"
)

// Execution types, as CodePipeline names them.
const (
	ExecutionStandard = "STANDARD"
	ExecutionRollback = "ROLLBACK"
)

// Stage retry triggers (the API's RetryTrigger).
const (
	RetryAutomated = "AutomatedStageRetry"
	RetryManual    = "ManualStageRetry"
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
	// ExecutionType is ExecutionStandard or ExecutionRollback ("" for a run stored before
	// rollbacks existed: a standard one). A rollback runs RollbackStage only, with the
	// artifacts and variables of the execution RollbackTarget.
	ExecutionType   string
	RollbackTarget  string
	RollbackStage   string
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
	// Conditions are the stage's conditions evaluated so far, in the order the run met them.
	Conditions []ConditionRun
	// Retry counts the stage's retries, nil when it was never retried.
	Retry *StageRetry
}

// ConditionRun is the evaluation of one of a stage's conditions.
type ConditionRun struct {
	Type    string // pipeline.ConditionBeforeEntry, ConditionOnSuccess, ConditionOnFailure
	Status  string // InProgress, Succeeded, Failed, Errored, Overridden, Cancelled, Abandoned
	Result  string // the result engaged when the condition failed (FAIL, SKIP, ROLLBACK)
	Summary string
	Started time.Time
	Ended   time.Time
	Rules   []RuleRun
}

// RuleRun is the execution of one rule of a condition.
type RuleRun struct {
	Name        string
	ExecutionID string
	Status      string // InProgress, Succeeded, Failed, Abandoned
	Started     time.Time
	Ended       time.Time
	// ResolvedConfiguration is the rule's configuration with its variables resolved.
	ResolvedConfiguration map[string]string
	Inputs                []ArtifactRef
	Summary               string
	Error                 string
}

// StageRetry is the retries of a stage in an execution (the API's RetryStageMetadata).
type StageRetry struct {
	AutoAttempts   int
	ManualAttempts int
	LatestTrigger  string // RetryAutomated, RetryManual
}

// Condition returns the stage's evaluation of the condition of conditionType, or nil.
func (s *StageRun) Condition(conditionType string) *ConditionRun {
	for i := range s.Conditions {
		if s.Conditions[i].Type == conditionType {
			return &s.Conditions[i]
		}
	}
	return nil
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
	// ExternalID and ExternalURL identify the action's execution in the service that ran it
	// (a CodeBuild build and its console page), when the backend knows them.
	ExternalID  string
	ExternalURL string
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
