package endpoint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sort"
	"strconv"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Executions over backend.Runner: runs started through the endpoint are driven by
// Config.Drive (the serve daemon) or by the endpoint itself.

// start records a run and has it driven.
func (e *Endpoint) start(ctx context.Context, acct backend.CloudAccount, rr backend.RunRequest) (*backend.Run, error) {
	run, err := acct.StartRun(ctx, rr)
	if err != nil {
		return nil, err
	}
	e.drive(acct, run.Pipeline, run.ID)
	return run, nil
}

// drive has a run executed until it ends.
func (e *Endpoint) drive(acct backend.Runner, pipelineName, id string) {
	if e.cfg.Drive != nil {
		e.cfg.Drive(acct, pipelineName, id)
		return
	}
	e.runs.Add(1)
	go func() {
		defer e.runs.Done()
		if _, err := acct.ExecuteRun(e.runCtx, pipelineName, id); err != nil && e.runCtx.Err() == nil {
			e.cfg.Logf("endpoint: run %s of pipeline %s: %v", id, pipelineName, err)
		}
	}()
}

// uuidOf is a stable UUID-shaped id derived from parts (action execution ids, approval tokens).
func uuidOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	s := hex.EncodeToString(h.Sum(nil))
	return s[0:8] + "-" + s[8:12] + "-4" + s[13:16] + "-a" + s[17:20] + "-" + s[20:32]
}

func actionExecutionID(runID, stage, action string, attempt int) string {
	return uuidOf("action-execution", runID, stage, action, strconv.Itoa(attempt))
}

func approvalToken(runID, stage, action string, attempt int) string {
	return uuidOf("approval-token", runID, stage, action, strconv.Itoa(attempt))
}

func epochOf(t time.Time) *wire.EpochSeconds {
	if t.IsZero() {
		return nil
	}
	return wire.Epoch(t)
}

// triggerType is a run's trigger as CodePipeline's enum names it.
func triggerType(t string) string {
	switch t {
	case backend.TriggerRetry, "":
		return backend.TriggerManual
	}
	return t
}

// stageStatus is a stage's status in CodePipeline's enum.
func stageStatus(s string) string {
	switch s {
	case backend.StatusSuperseded:
		return backend.StatusCancelled
	case "": // not entered yet: its entry condition is being evaluated
		return backend.StatusInProgress
	}
	return s
}

type executionTrigger struct {
	TriggerType   string `json:"triggerType"`
	TriggerDetail string `json:"triggerDetail,omitempty"`
}

type sourceRevision struct {
	ActionName      string `json:"actionName"`
	RevisionId      string `json:"revisionId,omitempty"` //nolint:revive // the API's member name
	RevisionSummary string `json:"revisionSummary,omitempty"`
}

// sourceRevisions are the revisions the run's source actions took.
func sourceRevisions(def *pipeline.Pipeline, run *backend.Run) []sourceRevision {
	var out []sourceRevision
	if def == nil || len(def.Stages) == 0 {
		return nil
	}
	for _, a := range def.Stages[0].Actions {
		rev := run.SourceRevisions[a.Name]
		if ar := run.Action(def.Stages[0].Name, a.Name); ar != nil {
			for _, v := range []string{"VersionId", "CommitId"} {
				if ar.OutputVariables[v] != "" {
					rev = ar.OutputVariables[v]
				}
			}
			if rev == "" && ar.Status == "" {
				continue
			}
			out = append(out, sourceRevision{ActionName: a.Name, RevisionId: rev, RevisionSummary: ar.Summary})
		}
	}
	return out
}

// ---- StartPipelineExecution ----

type startInput struct {
	Name      string `json:"name"`
	Variables []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"variables"`
	ClientRequestToken string `json:"clientRequestToken"`
	SourceRevisions    []struct {
		ActionName    string `json:"actionName"`
		RevisionType  string `json:"revisionType"`
		RevisionValue string `json:"revisionValue"`
	} `json:"sourceRevisions"`
}

type executionIDOutput struct {
	PipelineExecutionID string `json:"pipelineExecutionId"`
}

func (e *Endpoint) startPipelineExecution(ctx context.Context, req *awsapi.Request, in *startInput) (*executionIDOutput, error) {
	rec, err := e.pipelineRecord(ctx, req, in.Name, "codepipeline:StartPipelineExecution")
	if err != nil {
		return nil, err
	}
	rr := backend.RunRequest{Pipeline: rec.Name, Trigger: backend.TriggerManual, TriggerDetail: req.Principal.ARN}
	if len(in.Variables) > 0 {
		if rec.Definition.Type() != pipeline.PipelineTypeV2 {
			return nil, wire.NewError(400, "ValidationException", "Pipeline variables are supported by V2 pipelines only: pipeline %s is %s", rec.Name, rec.Definition.Type())
		}
		rr.Variables = map[string]string{}
		for _, v := range in.Variables {
			rr.Variables[v.Name] = v.Value
		}
	}
	for _, s := range in.SourceRevisions {
		switch s.RevisionType {
		case "COMMIT_ID", "S3_OBJECT_VERSION_ID":
		default:
			return nil, wire.NewError(400, "ValidationException", "sourceRevisions: revisionType %s is not supported by the local cloud (COMMIT_ID, S3_OBJECT_VERSION_ID)", s.RevisionType)
		}
		if rr.SourceRevisions == nil {
			rr.SourceRevisions = map[string]string{}
		}
		rr.SourceRevisions[s.ActionName] = s.RevisionValue
	}
	run, err := e.start(ctx, e.account(req), rr)
	if err != nil {
		return nil, e.cpError(req, err)
	}
	return &executionIDOutput{PipelineExecutionID: run.ID}, nil
}

// ---- GetPipelineExecution, ListPipelineExecutions ----

type executionInput struct {
	PipelineName        string `json:"pipelineName"`
	PipelineExecutionID string `json:"pipelineExecutionId"`
	StageName           string `json:"stageName"`
	RetryMode           string `json:"retryMode"`
	Abandon             bool   `json:"abandon"`
	Reason              string `json:"reason"`
}

type resolvedVariable struct {
	Name          string `json:"name"`
	ResolvedValue string `json:"resolvedValue"`
}

type artifactRevision struct {
	Name            string `json:"name"`
	RevisionId      string `json:"revisionId,omitempty"` //nolint:revive // the API's member name
	RevisionSummary string `json:"revisionSummary,omitempty"`
}

type pipelineExecution struct {
	PipelineName        string             `json:"pipelineName"`
	PipelineVersion     int                `json:"pipelineVersion"`
	PipelineExecutionID string             `json:"pipelineExecutionId"`
	Status              string             `json:"status"`
	StatusSummary       string             `json:"statusSummary,omitempty"`
	ArtifactRevisions   []artifactRevision `json:"artifactRevisions"`
	Variables           []resolvedVariable `json:"variables,omitempty"`
	Trigger             executionTrigger   `json:"trigger"`
	ExecutionMode       string             `json:"executionMode"`
	ExecutionType       string             `json:"executionType"`
	RollbackMetadata    *rollbackMetadata  `json:"rollbackMetadata,omitempty"`
}

type getExecutionOutput struct {
	PipelineExecution pipelineExecution `json:"pipelineExecution"`
}

func variablesOf(run *backend.Run) []resolvedVariable {
	var out []resolvedVariable
	for _, k := range sortedKeys(run.Variables) {
		out = append(out, resolvedVariable{Name: k, ResolvedValue: run.Variables[k]})
	}
	return out
}

func (e *Endpoint) execution(ctx context.Context, req *awsapi.Request, pipelineName, id, action string) (*backend.Run, error) {
	if pipelineName == "" {
		return nil, wire.MissingParameter(req.Service, "pipelineName")
	}
	if err := e.authorize(ctx, req, action, pipelineARN(req, pipelineName)); err != nil {
		return nil, err
	}
	acct := e.account(req)
	if _, err := acct.GetPipeline(ctx, pipelineName); err != nil {
		return nil, e.cpError(req, err)
	}
	if id == "" {
		return nil, wire.MissingParameter(req.Service, "pipelineExecutionId")
	}
	run, err := acct.GetRun(ctx, pipelineName, id)
	if err != nil {
		return nil, e.cpError(req, err)
	}
	return run, nil
}

func (e *Endpoint) getPipelineExecution(ctx context.Context, req *awsapi.Request, in *executionInput) (*getExecutionOutput, error) {
	run, err := e.execution(ctx, req, in.PipelineName, in.PipelineExecutionID, "codepipeline:GetPipelineExecution")
	if err != nil {
		return nil, err
	}
	def, err := e.account(req).RunDefinition(ctx, run.Pipeline, run.ID)
	if err != nil {
		return nil, e.cpError(req, err)
	}
	out := pipelineExecution{PipelineName: run.Pipeline, PipelineVersion: run.PipelineVersion, PipelineExecutionID: run.ID,
		Status: run.Status, StatusSummary: run.StatusReason, ArtifactRevisions: []artifactRevision{}, Variables: variablesOf(run),
		Trigger:       executionTrigger{TriggerType: triggerType(run.Trigger), TriggerDetail: run.TriggerDetail},
		ExecutionMode: run.ExecutionMode, ExecutionType: executionTypeOf(run), RollbackMetadata: rollbackMetadataOf(run)}
	for _, s := range sourceRevisions(def, run) {
		if a := findAction(def, def.Stages[0].Name, s.ActionName); a != nil && len(a.OutputArtifacts) > 0 {
			out.ArtifactRevisions = append(out.ArtifactRevisions, artifactRevision{Name: a.OutputArtifacts[0], RevisionId: s.RevisionId, RevisionSummary: s.RevisionSummary})
		}
	}
	return &getExecutionOutput{PipelineExecution: out}, nil
}

func findAction(def *pipeline.Pipeline, stage, action string) *pipeline.Action {
	for i := range def.Stages {
		if def.Stages[i].Name != stage {
			continue
		}
		for j := range def.Stages[i].Actions {
			if def.Stages[i].Actions[j].Name == action {
				return &def.Stages[i].Actions[j]
			}
		}
	}
	return nil
}

type listExecutionsInput struct {
	PipelineName string `json:"pipelineName"`
	MaxResults   int    `json:"maxResults"`
	NextToken    string `json:"nextToken"`
	Filter       *struct {
		SucceededInStage *struct {
			StageName string `json:"stageName"`
		} `json:"succeededInStage"`
	} `json:"filter"`
}

type stopTrigger struct {
	Reason string `json:"reason,omitempty"`
}

type executionSummary struct {
	PipelineExecutionID string             `json:"pipelineExecutionId"`
	Status              string             `json:"status"`
	StatusSummary       string             `json:"statusSummary,omitempty"`
	StartTime           *wire.EpochSeconds `json:"startTime,omitempty"`
	LastUpdateTime      *wire.EpochSeconds `json:"lastUpdateTime,omitempty"`
	SourceRevisions     []sourceRevision   `json:"sourceRevisions"`
	Trigger             executionTrigger   `json:"trigger"`
	StopTrigger         *stopTrigger       `json:"stopTrigger,omitempty"`
	ExecutionMode       string             `json:"executionMode"`
	ExecutionType       string             `json:"executionType"`
	RollbackMetadata    *rollbackMetadata  `json:"rollbackMetadata,omitempty"`
}

type listExecutionsOutput struct {
	PipelineExecutionSummaries []executionSummary `json:"pipelineExecutionSummaries"`
	NextToken                  string             `json:"nextToken,omitempty"`
}

// lastUpdate is the latest moment something of the run changed.
func lastUpdate(run *backend.Run) time.Time {
	t := run.Started
	if run.Ended.After(t) {
		t = run.Ended
	}
	for _, st := range run.Stages {
		for _, a := range st.Actions {
			for _, at := range []time.Time{a.Started, a.Ended} {
				if at.After(t) {
					t = at
				}
			}
		}
	}
	return t
}

func (e *Endpoint) listPipelineExecutions(ctx context.Context, req *awsapi.Request, in *listExecutionsInput) (*listExecutionsOutput, error) {
	rec, err := e.pipelineRecord(ctx, req, in.PipelineName, "codepipeline:ListPipelineExecutions")
	if err != nil {
		return nil, err
	}
	acct := e.account(req)
	runs, err := acct.ListRuns(ctx, rec.Name, 0)
	if err != nil {
		return nil, e.cpError(req, err)
	}
	if in.Filter != nil && in.Filter.SucceededInStage != nil {
		var kept []*backend.Run
		for _, r := range runs {
			if i := r.StageIndex(in.Filter.SucceededInStage.StageName); i >= 0 && r.Stages[i].Status == backend.StatusSucceeded {
				kept = append(kept, r)
			}
		}
		runs = kept
	}
	from, to, next, err := cpPage(req, in.NextToken, in.MaxResults, 100, len(runs))
	if err != nil {
		return nil, err
	}
	out := &listExecutionsOutput{PipelineExecutionSummaries: []executionSummary{}, NextToken: next}
	for _, r := range runs[from:to] {
		def, err := acct.RunDefinition(ctx, rec.Name, r.ID)
		if err != nil {
			return nil, e.cpError(req, err)
		}
		s := executionSummary{PipelineExecutionID: r.ID, Status: r.Status, StatusSummary: r.StatusReason,
			StartTime: epochOf(r.Started), LastUpdateTime: epochOf(lastUpdate(r)), SourceRevisions: sourceRevisions(def, r),
			Trigger:       executionTrigger{TriggerType: triggerType(r.Trigger), TriggerDetail: r.TriggerDetail},
			ExecutionMode: r.ExecutionMode, ExecutionType: executionTypeOf(r), RollbackMetadata: rollbackMetadataOf(r)}
		if s.SourceRevisions == nil {
			s.SourceRevisions = []sourceRevision{}
		}
		if r.Status == backend.StatusStopped || r.Status == backend.StatusStopping {
			s.StopTrigger = &stopTrigger{Reason: r.StatusReason}
		}
		out.PipelineExecutionSummaries = append(out.PipelineExecutionSummaries, s)
	}
	return out, nil
}

// ---- StopPipelineExecution, RetryStageExecution ----

func (e *Endpoint) stopPipelineExecution(ctx context.Context, req *awsapi.Request, in *executionInput) (*executionIDOutput, error) {
	run, err := e.execution(ctx, req, in.PipelineName, in.PipelineExecutionID, "codepipeline:StopPipelineExecution")
	if err != nil {
		return nil, err
	}
	if backend.RunEnded(run.Status) {
		return nil, wire.NewError(400, "PipelineExecutionNotStoppableException", "Unable to stop pipeline execution %s: it is %s", run.ID, run.Status)
	}
	if run.Status == backend.StatusStopping && !in.Abandon {
		return nil, wire.NewError(400, "DuplicatedStopRequestException", "Pipeline execution %s is already stopping", run.ID)
	}
	if err := e.account(req).StopRun(ctx, run.Pipeline, run.ID, in.Abandon, in.Reason); err != nil {
		if errors.Is(err, backend.ErrInvalid) {
			return nil, wire.NewError(400, "PipelineExecutionNotStoppableException", "%s", err.Error())
		}
		return nil, e.cpError(req, err)
	}
	return &executionIDOutput{PipelineExecutionID: run.ID}, nil
}

func (e *Endpoint) retryStageExecution(ctx context.Context, req *awsapi.Request, in *executionInput) (*executionIDOutput, error) {
	run, err := e.execution(ctx, req, in.PipelineName, in.PipelineExecutionID, "codepipeline:RetryStageExecution")
	if err != nil {
		return nil, err
	}
	switch in.RetryMode {
	case "FAILED_ACTIONS", "ALL_ACTIONS":
	default:
		return nil, wire.Validation(req.Service, "1 validation error detected: Value '%s' at 'retryMode' failed to satisfy constraint: Member must satisfy enum value set: [FAILED_ACTIONS, ALL_ACTIONS]", in.RetryMode)
	}
	if run.StageIndex(in.StageName) < 0 {
		return nil, wire.NewError(400, "StageNotFoundException", "Stage %s is not found in pipeline %s", in.StageName, run.Pipeline)
	}
	acct := e.account(req)
	retried, err := acct.RetryStage(ctx, run.Pipeline, run.ID, in.StageName, in.RetryMode == "ALL_ACTIONS")
	if errors.Is(err, backend.ErrInvalid) {
		return nil, wire.NewError(400, "StageNotRetryableException", "%s", err.Error())
	}
	if err != nil {
		return nil, e.cpError(req, err)
	}
	e.drive(acct, retried.Pipeline, retried.ID)
	return &executionIDOutput{PipelineExecutionID: retried.ID}, nil
}

// ---- GetPipelineState ----

type errorDetails struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type actionExecution struct {
	ActionExecutionID string             `json:"actionExecutionId,omitempty"`
	Status            string             `json:"status,omitempty"`
	Summary           string             `json:"summary,omitempty"`
	LastStatusChange  *wire.EpochSeconds `json:"lastStatusChange,omitempty"`
	Token             string             `json:"token,omitempty"`
	ErrorDetails      *errorDetails      `json:"errorDetails,omitempty"`
}

type actionRevision struct {
	RevisionId       string             `json:"revisionId"`       //nolint:revive // the API's member name
	RevisionChangeId string             `json:"revisionChangeId"` //nolint:revive // the API's member name
	Created          *wire.EpochSeconds `json:"created"`
}

type actionState struct {
	ActionName      string           `json:"actionName"`
	CurrentRevision *actionRevision  `json:"currentRevision,omitempty"`
	LatestExecution *actionExecution `json:"latestExecution,omitempty"`
}

type stageExecution struct {
	PipelineExecutionID string `json:"pipelineExecutionId"`
	Status              string `json:"status"`
	Type                string `json:"type,omitempty"`
}

type transitionState struct {
	Enabled bool `json:"enabled"`
}

type stageState struct {
	StageName              string           `json:"stageName"`
	InboundTransitionState *transitionState `json:"inboundTransitionState,omitempty"`
	ActionStates           []actionState    `json:"actionStates"`
	LatestExecution        *stageExecution  `json:"latestExecution,omitempty"`
	// Conditions and retries: codepipeline_conditions.go.
	BeforeEntryConditionState *stageConditionState `json:"beforeEntryConditionState,omitempty"`
	OnSuccessConditionState   *stageConditionState `json:"onSuccessConditionState,omitempty"`
	OnFailureConditionState   *stageConditionState `json:"onFailureConditionState,omitempty"`
	RetryStageMetadata        *retryStageMetadata  `json:"retryStageMetadata,omitempty"`
}

type pipelineStateOutput struct {
	PipelineName    string             `json:"pipelineName"`
	PipelineVersion int                `json:"pipelineVersion"`
	StageStates     []stageState       `json:"stageStates"`
	Created         *wire.EpochSeconds `json:"created,omitempty"`
	Updated         *wire.EpochSeconds `json:"updated,omitempty"`
}

// actionExecutionOf is an action's latest execution in a run; a manual approval waiting for a
// decision carries the token PutApprovalResult needs.
func actionExecutionOf(def *pipeline.Pipeline, run *backend.Run, stage string, ar *backend.ActionRun) *actionExecution {
	x := &actionExecution{ActionExecutionID: actionExecutionID(run.ID, stage, ar.Name, ar.Attempt), Status: ar.Status,
		Summary: ar.Summary, LastStatusChange: epochOf(maxTime(ar.Started, ar.Ended))}
	if ar.Error != "" {
		x.ErrorDetails = &errorDetails{Code: "JobFailed", Message: ar.Error}
	}
	if a := findAction(def, stage, ar.Name); a != nil && a.Category == pipeline.CategoryApproval && ar.Status == backend.StatusInProgress {
		x.Token = approvalToken(run.ID, stage, ar.Name, ar.Attempt)
	}
	return x
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (e *Endpoint) getPipelineState(ctx context.Context, req *awsapi.Request, in *getPipelineInput) (*pipelineStateOutput, error) {
	rec, err := e.pipelineRecord(ctx, req, in.Name, "codepipeline:GetPipelineState")
	if err != nil {
		return nil, err
	}
	acct := e.account(req)
	runs, err := acct.ListRuns(ctx, rec.Name, 100)
	if err != nil {
		return nil, e.cpError(req, err)
	}
	defs := map[string]*pipeline.Pipeline{}
	definition := func(id string) *pipeline.Pipeline {
		if d, ok := defs[id]; ok {
			return d
		}
		d, err := acct.RunDefinition(ctx, rec.Name, id)
		if err != nil {
			d = rec.Definition
		}
		defs[id] = d
		return d
	}
	out := &pipelineStateOutput{PipelineName: rec.Name, PipelineVersion: rec.Version, StageStates: []stageState{},
		Created: epochOf(rec.Created), Updated: epochOf(rec.Updated)}
	for si, st := range rec.Definition.Stages {
		ss := stageState{StageName: st.Name, ActionStates: []actionState{}}
		if si > 0 {
			ss.InboundTransitionState = &transitionState{Enabled: true}
		}
		// The newest run that entered the stage, or met its entry condition, is its latest
		// execution.
		var latest *backend.Run
		for _, r := range runs {
			if i := r.StageIndex(st.Name); i >= 0 && ((r.Stages[i].Status != "" && r.Stages[i].Status != backend.StatusCancelled) || len(r.Stages[i].Conditions) > 0) {
				latest = r
				break
			}
		}
		if latest != nil {
			i := latest.StageIndex(st.Name)
			ss.LatestExecution = &stageExecution{PipelineExecutionID: latest.ID, Status: stageStatus(latest.Stages[i].Status), Type: executionTypeOf(latest)}
			stageConditionsOf(&ss, latest, i)
		}
		for _, a := range st.Actions {
			as := actionState{ActionName: a.Name}
			if latest != nil {
				if ar := latest.Action(st.Name, a.Name); ar != nil && ar.Status != "" {
					as.LatestExecution = actionExecutionOf(definition(latest.ID), latest, st.Name, ar)
					if si == 0 {
						for _, v := range []string{"VersionId", "CommitId"} {
							if rev := ar.OutputVariables[v]; rev != "" {
								as.CurrentRevision = &actionRevision{RevisionId: rev, RevisionChangeId: rev, Created: epochOf(ar.Ended)}
							}
						}
					}
				}
			}
			ss.ActionStates = append(ss.ActionStates, as)
		}
		out.StageStates = append(out.StageStates, ss)
	}
	return out, nil
}

// ---- PutApprovalResult ----

type approvalInput struct {
	PipelineName string `json:"pipelineName"`
	StageName    string `json:"stageName"`
	ActionName   string `json:"actionName"`
	Result       struct {
		Summary string `json:"summary"`
		Status  string `json:"status"`
	} `json:"result"`
	Token string `json:"token"`
}

type approvalOutput struct {
	ApprovedAt *wire.EpochSeconds `json:"approvedAt"`
}

func (e *Endpoint) putApprovalResult(ctx context.Context, req *awsapi.Request, in *approvalInput) (*approvalOutput, error) {
	switch {
	case in.PipelineName == "":
		return nil, wire.MissingParameter(req.Service, "pipelineName")
	case in.Token == "":
		return nil, wire.MissingParameter(req.Service, "token")
	case in.Result.Status != "Approved" && in.Result.Status != "Rejected":
		return nil, wire.Validation(req.Service, "1 validation error detected: Value '%s' at 'result.status' failed to satisfy constraint: Member must satisfy enum value set: [Approved, Rejected]", in.Result.Status)
	}
	if err := e.authorize(ctx, req, "codepipeline:PutApprovalResult", pipelineARN(req, in.PipelineName)+"/"+in.StageName+"/"+in.ActionName); err != nil {
		return nil, err
	}
	acct := e.account(req)
	rec, err := acct.GetPipeline(ctx, in.PipelineName)
	if err != nil {
		return nil, e.cpError(req, err)
	}
	stageFound := false
	for _, st := range rec.Definition.Stages {
		stageFound = stageFound || st.Name == in.StageName
	}
	if !stageFound {
		return nil, wire.NewError(400, "StageNotFoundException", "Stage %s is not found in pipeline %s", in.StageName, in.PipelineName)
	}
	if findAction(rec.Definition, in.StageName, in.ActionName) == nil {
		return nil, wire.NewError(400, "ActionNotFoundException", "Action %s is not found in stage %s of pipeline %s", in.ActionName, in.StageName, in.PipelineName)
	}
	runs, err := acct.ListRuns(ctx, rec.Name, 0)
	if err != nil {
		return nil, e.cpError(req, err)
	}
	for _, r := range runs {
		ar := r.Action(in.StageName, in.ActionName)
		if ar == nil || approvalToken(r.ID, in.StageName, in.ActionName, ar.Attempt) != in.Token {
			continue
		}
		if ar.Status != backend.StatusInProgress {
			return nil, wire.NewError(400, "ApprovalAlreadyCompletedException", "The approval request has already been approved or rejected")
		}
		err := acct.PutApprovalResult(ctx, rec.Name, r.ID, in.StageName, in.ActionName, in.Result.Status == "Approved", in.Result.Summary)
		switch {
		case errors.Is(err, backend.ErrAlreadyExists):
			return nil, wire.NewError(400, "ApprovalAlreadyCompletedException", "The approval request has already been approved or rejected")
		case err != nil:
			return nil, e.cpError(req, err)
		}
		return &approvalOutput{ApprovedAt: wire.Epoch(e.cfg.Now())}, nil
	}
	return nil, wire.NewError(400, "InvalidApprovalTokenException", "The approval action has already been approved or rejected, or the token %s is not valid for action %s of stage %s", in.Token, in.ActionName, in.StageName)
}

// ---- ListActionExecutions ----

type listActionExecutionsInput struct {
	PipelineName string `json:"pipelineName"`
	Filter       *struct {
		PipelineExecutionID string `json:"pipelineExecutionId"`
	} `json:"filter"`
	MaxResults int    `json:"maxResults"`
	NextToken  string `json:"nextToken"`
}

type s3Location struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

type artifactDetail struct {
	Name       string      `json:"name"`
	S3Location *s3Location `json:"s3location,omitempty"`
}

type actionTypeID struct {
	Category string `json:"category"`
	Owner    string `json:"owner"`
	Provider string `json:"provider"`
	Version  string `json:"version"`
}

type actionExecutionInput struct {
	ActionTypeID          actionTypeID      `json:"actionTypeId"`
	Configuration         map[string]string `json:"configuration"`
	ResolvedConfiguration map[string]string `json:"resolvedConfiguration"`
	RoleArn               string            `json:"roleArn,omitempty"`
	Region                string            `json:"region"`
	InputArtifacts        []artifactDetail  `json:"inputArtifacts"`
	Namespace             string            `json:"namespace,omitempty"`
}

type executionResult struct {
	ExternalExecutionID      string        `json:"externalExecutionId,omitempty"`
	ExternalExecutionSummary string        `json:"externalExecutionSummary,omitempty"`
	ErrorDetails             *errorDetails `json:"errorDetails,omitempty"`
}

type actionExecutionOutput struct {
	OutputArtifacts []artifactDetail  `json:"outputArtifacts"`
	ExecutionResult *executionResult  `json:"executionResult,omitempty"`
	OutputVariables map[string]string `json:"outputVariables,omitempty"`
}

type actionExecutionDetail struct {
	PipelineExecutionID string                 `json:"pipelineExecutionId"`
	ActionExecutionID   string                 `json:"actionExecutionId"`
	PipelineVersion     int                    `json:"pipelineVersion"`
	StageName           string                 `json:"stageName"`
	ActionName          string                 `json:"actionName"`
	StartTime           *wire.EpochSeconds     `json:"startTime,omitempty"`
	LastUpdateTime      *wire.EpochSeconds     `json:"lastUpdateTime,omitempty"`
	Status              string                 `json:"status,omitempty"` // unknown for an earlier attempt
	Input               *actionExecutionInput  `json:"input,omitempty"`
	Output              *actionExecutionOutput `json:"output,omitempty"`
}

type listActionExecutionsOutput struct {
	ActionExecutionDetails []actionExecutionDetail `json:"actionExecutionDetails"`
	NextToken              string                  `json:"nextToken,omitempty"`
}

func (e *Endpoint) listActionExecutions(ctx context.Context, req *awsapi.Request, in *listActionExecutionsInput) (*listActionExecutionsOutput, error) {
	rec, err := e.pipelineRecord(ctx, req, in.PipelineName, "codepipeline:ListActionExecutions")
	if err != nil {
		return nil, err
	}
	acct := e.account(req)
	var runs []*backend.Run
	if in.Filter != nil && in.Filter.PipelineExecutionID != "" {
		r, err := acct.GetRun(ctx, rec.Name, in.Filter.PipelineExecutionID)
		if err != nil {
			return nil, e.cpError(req, err)
		}
		runs = []*backend.Run{r}
	} else if runs, err = acct.ListRuns(ctx, rec.Name, 0); err != nil {
		return nil, e.cpError(req, err)
	}
	var details []actionExecutionDetail
	for _, r := range runs {
		def, err := acct.RunDefinition(ctx, rec.Name, r.ID)
		if err != nil {
			return nil, e.cpError(req, err)
		}
		produced := map[string]backend.ArtifactRef{}
		for _, st := range r.Stages {
			for _, a := range st.Actions {
				for _, o := range a.Outputs {
					produced[o.Name] = o
				}
			}
		}
		for _, st := range r.Stages {
			for _, ar := range st.Actions {
				if ar.Status == "" {
					continue
				}
				// The local cloud keeps an action's latest attempt only: an earlier one (a
				// retried stage) is listed with its id alone, as CodePipeline lists each attempt.
				for attempt := 1; attempt < ar.Attempt; attempt++ {
					details = append(details, actionExecutionDetail{PipelineExecutionID: r.ID, ActionExecutionID: actionExecutionID(r.ID, st.Name, ar.Name, attempt),
						PipelineVersion: r.PipelineVersion, StageName: st.Name, ActionName: ar.Name})
				}
				details = append(details, actionDetail(req, def, r, st.Name, ar, produced))
			}
		}
	}
	sort.SliceStable(details, func(i, j int) bool {
		a, b := details[i].StartTime, details[j].StartTime
		return a != nil && b != nil && a.Time().After(b.Time())
	})
	from, to, next, err := cpPage(req, in.NextToken, in.MaxResults, 100, len(details))
	if err != nil {
		return nil, err
	}
	return &listActionExecutionsOutput{ActionExecutionDetails: append([]actionExecutionDetail{}, details[from:to]...), NextToken: next}, nil
}

func actionDetail(req *awsapi.Request, def *pipeline.Pipeline, r *backend.Run, stage string, ar backend.ActionRun, produced map[string]backend.ArtifactRef) actionExecutionDetail {
	d := actionExecutionDetail{PipelineExecutionID: r.ID, ActionExecutionID: actionExecutionID(r.ID, stage, ar.Name, ar.Attempt),
		PipelineVersion: r.PipelineVersion, StageName: stage, ActionName: ar.Name, StartTime: epochOf(ar.Started),
		LastUpdateTime: epochOf(maxTime(ar.Started, ar.Ended)), Status: ar.Status}
	if a := findAction(def, stage, ar.Name); a != nil {
		in := &actionExecutionInput{ActionTypeID: actionTypeID{a.Category, a.Owner, a.Provider, a.Version},
			Configuration: a.Configuration, ResolvedConfiguration: a.Configuration, RoleArn: a.RoleARN,
			Region: orDefault(a.Region, req.Region), InputArtifacts: []artifactDetail{}, Namespace: a.Namespace}
		if in.Configuration == nil {
			in.Configuration, in.ResolvedConfiguration = map[string]string{}, map[string]string{}
		}
		for _, name := range a.InputArtifacts {
			ad := artifactDetail{Name: name}
			if ref, ok := produced[name]; ok {
				ad.S3Location = &s3Location{Bucket: ref.Bucket, Key: ref.Key}
			}
			in.InputArtifacts = append(in.InputArtifacts, ad)
		}
		d.Input = in
	}
	out := &actionExecutionOutput{OutputArtifacts: []artifactDetail{}, OutputVariables: ar.OutputVariables}
	for _, o := range ar.Outputs {
		out.OutputArtifacts = append(out.OutputArtifacts, artifactDetail{Name: o.Name, S3Location: &s3Location{Bucket: o.Bucket, Key: o.Key}})
	}
	if ar.Summary != "" || ar.Error != "" {
		out.ExecutionResult = &executionResult{ExternalExecutionID: d.ActionExecutionID, ExternalExecutionSummary: ar.Summary}
		if ar.Error != "" {
			out.ExecutionResult.ErrorDetails = &errorDetails{Code: "JobFailed", Message: ar.Error}
		}
	}
	d.Output = out
	return d
}
