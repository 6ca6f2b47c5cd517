package endpoint

import (
	"context"
	"errors"
	"sort"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Stage conditions and rollbacks over backend.Runner: RollbackStage, OverrideStageCondition,
// ListRuleExecutions and ListRuleTypes, and the conditions and retries of GetPipelineState's
// stages. The runner decides (which target a stage may roll back
// to, when a condition can be overridden); these handlers check the request's shape, authorize
// it and answer the runner's refusals with CodePipeline's exceptions.

func registerCodePipelineConditions(e *Endpoint) {
	for op, h := range map[string]awsapi.Handler{
		"RollbackStage":          awsapi.Handle(e.rollbackStage),
		"OverrideStageCondition": awsapi.Handle(e.overrideStageCondition),
		"ListRuleExecutions":     awsapi.Handle(e.listRuleExecutions),
		"ListRuleTypes":          awsapi.Handle(e.listRuleTypes),
	} {
		e.Register("codepipeline", op, h)
	}
}

// conditionError answers a runner's refusal of a rollback or an override in CodePipeline's
// words; anything else as cpError does.
func (e *Endpoint) conditionError(req *awsapi.Request, pipelineName string, err error) error {
	var nf *backend.NotFound
	switch {
	case errors.Is(err, backend.ErrUnableToRollbackStage):
		return wire.NewError(400, "UnableToRollbackStageException", "%s", err.Error())
	case errors.Is(err, backend.ErrConditionNotOverridable):
		return wire.NewError(400, "ConditionNotOverridableException", "%s", err.Error())
	case errors.Is(err, backend.ErrNotLatestExecution):
		return wire.NewError(400, "NotLatestPipelineExecutionException", "%s", err.Error())
	case errors.As(err, &nf) && nf.Kind == backend.KindStage:
		return stageNotFound(nf.Name, pipelineName)
	}
	return e.cpError(req, err)
}

func stageNotFound(stage, pipelineName string) error {
	return wire.NewError(400, "StageNotFoundException", "Stage %s is not found in pipeline %s", stage, pipelineName)
}

// hasStage reports whether the pipeline's current definition has the stage.
func hasStage(def *pipeline.Pipeline, stage string) bool {
	for i := range def.Stages {
		if def.Stages[i].Name == stage {
			return true
		}
	}
	return false
}

// executionTypeOf is a run's execution type as the API names it (a run stored before
// rollbacks existed has none: it is a standard one).
func executionTypeOf(run *backend.Run) string {
	if run.ExecutionType == "" {
		return backend.ExecutionStandard
	}
	return run.ExecutionType
}

type rollbackMetadata struct {
	RollbackTargetPipelineExecutionID string `json:"rollbackTargetPipelineExecutionId,omitempty"`
}

// rollbackMetadataOf is the execution a rollback run rolls back to; nil for a standard run.
func rollbackMetadataOf(run *backend.Run) *rollbackMetadata {
	if run.ExecutionType != backend.ExecutionRollback || run.RollbackTarget == "" {
		return nil
	}
	return &rollbackMetadata{RollbackTargetPipelineExecutionID: run.RollbackTarget}
}

// ---- RollbackStage ----

type rollbackStageInput struct {
	PipelineName              string `json:"pipelineName"`
	StageName                 string `json:"stageName"`
	TargetPipelineExecutionID string `json:"targetPipelineExecutionId"`
}

func (e *Endpoint) rollbackStage(ctx context.Context, req *awsapi.Request, in *rollbackStageInput) (*executionIDOutput, error) {
	switch {
	case in.PipelineName == "":
		return nil, wire.MissingParameter(req.Service, "pipelineName")
	case in.StageName == "":
		return nil, wire.MissingParameter(req.Service, "stageName")
	case in.TargetPipelineExecutionID == "":
		return nil, wire.MissingParameter(req.Service, "targetPipelineExecutionId")
	}
	rec, err := e.pipelineRecord(ctx, req, in.PipelineName, "codepipeline:RollbackStage")
	if err != nil {
		return nil, err
	}
	if !hasStage(rec.Definition, in.StageName) {
		return nil, stageNotFound(in.StageName, rec.Name)
	}
	acct := e.account(req)
	run, err := acct.RollbackStage(ctx, rec.Name, in.StageName, in.TargetPipelineExecutionID)
	if err != nil {
		return nil, e.conditionError(req, rec.Name, err)
	}
	e.drive(acct, run.Pipeline, run.ID)
	return &executionIDOutput{PipelineExecutionID: run.ID}, nil
}

// ---- OverrideStageCondition ----

type overrideStageConditionInput struct {
	PipelineName        string `json:"pipelineName"`
	StageName           string `json:"stageName"`
	PipelineExecutionID string `json:"pipelineExecutionId"`
	ConditionType       string `json:"conditionType"`
}

func (e *Endpoint) overrideStageCondition(ctx context.Context, req *awsapi.Request, in *overrideStageConditionInput) (*struct{}, error) {
	switch {
	case in.PipelineName == "":
		return nil, wire.MissingParameter(req.Service, "pipelineName")
	case in.StageName == "":
		return nil, wire.MissingParameter(req.Service, "stageName")
	case in.PipelineExecutionID == "":
		return nil, wire.MissingParameter(req.Service, "pipelineExecutionId")
	case in.ConditionType == "":
		return nil, wire.MissingParameter(req.Service, "conditionType")
	case in.ConditionType != pipeline.ConditionBeforeEntry && in.ConditionType != pipeline.ConditionOnSuccess:
		return nil, wire.Validation(req.Service, "1 validation error detected: Value '%s' at 'conditionType' failed to satisfy constraint: Member must satisfy enum value set: [BEFORE_ENTRY, ON_SUCCESS]", in.ConditionType)
	}
	rec, err := e.pipelineRecord(ctx, req, in.PipelineName, "codepipeline:OverrideStageCondition")
	if err != nil {
		return nil, err
	}
	if !hasStage(rec.Definition, in.StageName) {
		return nil, stageNotFound(in.StageName, rec.Name)
	}
	if err := e.account(req).OverrideStageCondition(ctx, rec.Name, in.StageName, in.PipelineExecutionID, in.ConditionType); err != nil {
		return nil, e.conditionError(req, rec.Name, err)
	}
	return nil, nil
}

// ---- ListRuleExecutions ----

type listRuleExecutionsInput struct {
	PipelineName string `json:"pipelineName"`
	Filter       *struct {
		PipelineExecutionID       string `json:"pipelineExecutionId"`
		LatestInPipelineExecution *struct {
			PipelineExecutionID string `json:"pipelineExecutionId"`
			StartTimeRange      string `json:"startTimeRange"`
		} `json:"latestInPipelineExecution"`
	} `json:"filter"`
	MaxResults int    `json:"maxResults"`
	NextToken  string `json:"nextToken"`
}

type ruleTypeID struct {
	Category string `json:"category"`
	Owner    string `json:"owner,omitempty"`
	Provider string `json:"provider"`
	Version  string `json:"version,omitempty"`
}

type ruleExecutionInput struct {
	RuleTypeID            ruleTypeID        `json:"ruleTypeId"`
	Configuration         map[string]string `json:"configuration,omitempty"`
	ResolvedConfiguration map[string]string `json:"resolvedConfiguration,omitempty"`
	RoleArn               string            `json:"roleArn,omitempty"`
	Region                string            `json:"region"`
	InputArtifacts        []artifactDetail  `json:"inputArtifacts"`
}

type ruleExecutionOutput struct {
	ExecutionResult *executionResult `json:"executionResult,omitempty"`
}

type ruleExecutionDetail struct {
	PipelineExecutionID string               `json:"pipelineExecutionId"`
	RuleExecutionID     string               `json:"ruleExecutionId"`
	PipelineVersion     int                  `json:"pipelineVersion"`
	StageName           string               `json:"stageName"`
	RuleName            string               `json:"ruleName"`
	StartTime           *wire.EpochSeconds   `json:"startTime,omitempty"`
	LastUpdateTime      *wire.EpochSeconds   `json:"lastUpdateTime,omitempty"`
	Status              string               `json:"status"`
	Input               *ruleExecutionInput  `json:"input,omitempty"`
	Output              *ruleExecutionOutput `json:"output,omitempty"`
}

type listRuleExecutionsOutput struct {
	RuleExecutionDetails []ruleExecutionDetail `json:"ruleExecutionDetails"`
	NextToken            string                `json:"nextToken,omitempty"`
}

// maxErrorMessage is the longest ErrorDetails message the API model allows.
const maxErrorMessage = 5000

func (e *Endpoint) listRuleExecutions(ctx context.Context, req *awsapi.Request, in *listRuleExecutionsInput) (*listRuleExecutionsOutput, error) {
	rec, err := e.pipelineRecord(ctx, req, in.PipelineName, "codepipeline:ListRuleExecutions")
	if err != nil {
		return nil, err
	}
	if in.MaxResults < 0 || in.MaxResults > 100 {
		return nil, wire.Validation(req.Service, "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100", in.MaxResults)
	}
	id := ""
	if f := in.Filter; f != nil {
		id = f.PipelineExecutionID
		if l := f.LatestInPipelineExecution; l != nil {
			switch {
			case l.PipelineExecutionID == "":
				return nil, wire.MissingParameter(req.Service, "filter.latestInPipelineExecution.pipelineExecutionId")
			case l.StartTimeRange != "Latest" && l.StartTimeRange != "All":
				return nil, wire.Validation(req.Service, "1 validation error detected: Value '%s' at 'filter.latestInPipelineExecution.startTimeRange' failed to satisfy constraint: Member must satisfy enum value set: [Latest, All]", l.StartTimeRange)
			case id != "" && id != l.PipelineExecutionID:
				return nil, wire.Validation(req.Service, "filter: pipelineExecutionId %s and latestInPipelineExecution.pipelineExecutionId %s name different executions", id, l.PipelineExecutionID)
			}
			// An execution's state keeps the latest evaluation of each condition (a stage
			// retried evaluates its conditions again, in place): Latest and All are the same.
			id = l.PipelineExecutionID
		}
	}
	acct := e.account(req)
	execs, err := acct.ListRuleExecutions(ctx, rec.Name, id)
	if err != nil {
		return nil, e.cpError(req, err)
	}
	details := make([]ruleExecutionDetail, 0, len(execs))
	for i := range execs {
		details = append(details, ruleDetail(req, &execs[i]))
	}
	sort.SliceStable(details, func(i, j int) bool {
		a, b := details[i].StartTime, details[j].StartTime
		return a != nil && b != nil && a.Time().After(b.Time())
	})
	from, to, next, err := cpPage(req, in.NextToken, in.MaxResults, 100, len(details))
	if err != nil {
		return nil, err
	}
	return &listRuleExecutionsOutput{RuleExecutionDetails: append([]ruleExecutionDetail{}, details[from:to]...), NextToken: next}, nil
}

func ruleDetail(req *awsapi.Request, x *backend.RuleExecution) ruleExecutionDetail {
	d := ruleExecutionDetail{PipelineExecutionID: x.PipelineExecutionID, RuleExecutionID: x.RuleExecutionID,
		PipelineVersion: x.PipelineVersion, StageName: x.Stage, RuleName: x.Rule,
		StartTime: epochOf(x.Started), LastUpdateTime: epochOf(maxTime(x.Started, x.Updated)), Status: x.Status}
	if x.RuleTypeID.Provider != "" {
		in := &ruleExecutionInput{
			RuleTypeID:    ruleTypeID{Category: x.RuleTypeID.Category, Owner: x.RuleTypeID.Owner, Provider: x.RuleTypeID.Provider, Version: x.RuleTypeID.Version},
			Configuration: nonEmptyValues(x.Configuration), ResolvedConfiguration: x.ResolvedConfiguration,
			RoleArn: x.RoleARN, Region: orDefault(x.Region, req.Region), InputArtifacts: []artifactDetail{},
		}
		for _, a := range x.Inputs {
			ad := artifactDetail{Name: a.Name}
			if a.Bucket != "" {
				ad.S3Location = &s3Location{Bucket: a.Bucket, Key: a.Key}
			}
			in.InputArtifacts = append(in.InputArtifacts, ad)
		}
		d.Input = in
	}
	out := &ruleExecutionOutput{}
	if x.Summary != "" || x.Error != "" {
		out.ExecutionResult = &executionResult{ExternalExecutionID: x.RuleExecutionID, ExternalExecutionSummary: x.Summary}
		if x.Error != "" {
			msg := x.Error
			if len(msg) > maxErrorMessage {
				msg = msg[:maxErrorMessage]
			}
			out.ExecutionResult.ErrorDetails = &errorDetails{Code: "RuleFailed", Message: msg}
		}
	}
	d.Output = out
	return d
}

// nonEmptyValues is a configuration without its empty values, which the API's
// RuleConfigurationValue (at least one character) cannot carry.
func nonEmptyValues(m map[string]string) map[string]string {
	var out map[string]string
	for k, v := range m {
		if v == "" {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}

// ---- ListRuleTypes ----

type listRuleTypesInput struct {
	RuleOwnerFilter string `json:"ruleOwnerFilter"`
	RegionFilter    string `json:"regionFilter"`
}

type ruleConfigurationProperty struct {
	Name        string `json:"name"`
	Required    bool   `json:"required"`
	Key         bool   `json:"key"`
	Secret      bool   `json:"secret"`
	Queryable   bool   `json:"queryable"`
	Description string `json:"description,omitempty"`
	Type        string `json:"type"`
}

type artifactCounts struct {
	MinimumCount int `json:"minimumCount"`
	MaximumCount int `json:"maximumCount"`
}

type ruleTypeOutput struct {
	ID                          ruleTypeID                  `json:"id"`
	RuleConfigurationProperties []ruleConfigurationProperty `json:"ruleConfigurationProperties"`
	InputArtifactDetails        artifactCounts              `json:"inputArtifactDetails"`
}

type listRuleTypesOutput struct {
	RuleTypes []ruleTypeOutput `json:"ruleTypes"`
}

// maxDescription is the longest property description the API model allows.
const maxDescription = 160

func (e *Endpoint) listRuleTypes(ctx context.Context, req *awsapi.Request, in *listRuleTypesInput) (*listRuleTypesOutput, error) {
	if in.RuleOwnerFilter != "" && in.RuleOwnerFilter != pipeline.RuleOwnerAWS {
		return nil, wire.Validation(req.Service, "1 validation error detected: Value '%s' at 'ruleOwnerFilter' failed to satisfy constraint: Member must satisfy enum value set: [AWS]", in.RuleOwnerFilter)
	}
	if err := e.authorize(ctx, req, "codepipeline:ListRuleTypes", "*"); err != nil {
		return nil, err
	}
	// Every rule type exists in every region of the local cloud: regionFilter narrows nothing.
	types, err := e.account(req).ListRuleTypes(ctx)
	if err != nil {
		return nil, e.cpError(req, err)
	}
	out := &listRuleTypesOutput{RuleTypes: []ruleTypeOutput{}}
	for _, t := range types {
		rt := ruleTypeOutput{
			ID:                          ruleTypeID{Category: t.ID.Category, Owner: t.ID.Owner, Provider: t.ID.Provider, Version: t.ID.Version},
			RuleConfigurationProperties: []ruleConfigurationProperty{},
			// The API model's bounds: a rule takes up to MaxRuleInputArtifacts input artifacts.
			InputArtifactDetails: artifactCounts{MinimumCount: 0, MaximumCount: pipeline.MaxRuleInputArtifacts},
		}
		for _, k := range t.Config {
			doc := k.Doc
			if len(doc) > maxDescription {
				doc = doc[:maxDescription]
			}
			rt.RuleConfigurationProperties = append(rt.RuleConfigurationProperties, ruleConfigurationProperty{
				Name: k.Name, Required: k.Required, Key: k.Required, Description: doc, Type: "String"})
		}
		out.RuleTypes = append(out.RuleTypes, rt)
	}
	return out, nil
}

// ---- GetPipelineState: a stage's conditions and retries ----

type stageConditionsExecution struct {
	Status  string `json:"status"`
	Summary string `json:"summary,omitempty"`
}

type ruleExecutionState struct {
	RuleExecutionID     string             `json:"ruleExecutionId,omitempty"`
	Status              string             `json:"status"`
	Summary             string             `json:"summary,omitempty"`
	LastStatusChange    *wire.EpochSeconds `json:"lastStatusChange,omitempty"`
	ExternalExecutionID string             `json:"externalExecutionId,omitempty"`
	ErrorDetails        *errorDetails      `json:"errorDetails,omitempty"`
}

type ruleState struct {
	RuleName        string              `json:"ruleName"`
	LatestExecution *ruleExecutionState `json:"latestExecution,omitempty"`
}

type conditionExecution struct {
	Status           string             `json:"status"`
	Summary          string             `json:"summary,omitempty"`
	LastStatusChange *wire.EpochSeconds `json:"lastStatusChange,omitempty"`
}

type conditionState struct {
	LatestExecution *conditionExecution `json:"latestExecution,omitempty"`
	RuleStates      []ruleState         `json:"ruleStates"`
}

type stageConditionState struct {
	LatestExecution *stageConditionsExecution `json:"latestExecution,omitempty"`
	ConditionStates []conditionState          `json:"conditionStates"`
}

type retryStageMetadata struct {
	AutoStageRetryAttempt   int    `json:"autoStageRetryAttempt"`
	ManualStageRetryAttempt int    `json:"manualStageRetryAttempt"`
	LatestRetryTrigger      string `json:"latestRetryTrigger,omitempty"`
}

// maxSummary is the longest ExecutionSummary the API model allows.
const maxSummary = 2048

func truncated(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// conditionStateOf is a stage's evaluation of one of its conditions in a run, nil when the run
// has not met it.
func conditionStateOf(st *backend.StageRun, conditionType string) *stageConditionState {
	c := st.Condition(conditionType)
	if c == nil {
		return nil
	}
	summary := truncated(c.Summary, maxSummary)
	cs := conditionState{LatestExecution: &conditionExecution{Status: c.Status, Summary: summary, LastStatusChange: epochOf(maxTime(c.Started, c.Ended))},
		RuleStates: []ruleState{}}
	for _, r := range c.Rules {
		x := &ruleExecutionState{RuleExecutionID: r.ExecutionID, Status: r.Status, Summary: truncated(r.Summary, maxSummary),
			LastStatusChange: epochOf(maxTime(r.Started, r.Ended)), ExternalExecutionID: r.ExecutionID}
		if r.Error != "" {
			x.ErrorDetails = &errorDetails{Code: "RuleFailed", Message: truncated(r.Error, maxErrorMessage)}
		}
		cs.RuleStates = append(cs.RuleStates, ruleState{RuleName: r.Name, LatestExecution: x})
	}
	return &stageConditionState{LatestExecution: &stageConditionsExecution{Status: c.Status, Summary: summary}, ConditionStates: []conditionState{cs}}
}

// stageConditionsOf fills a stage state's conditions and retries from the run that is its
// latest execution.
func stageConditionsOf(ss *stageState, run *backend.Run, i int) {
	st := &run.Stages[i]
	ss.BeforeEntryConditionState = conditionStateOf(st, pipeline.ConditionBeforeEntry)
	ss.OnSuccessConditionState = conditionStateOf(st, pipeline.ConditionOnSuccess)
	ss.OnFailureConditionState = conditionStateOf(st, pipeline.ConditionOnFailure)
	if r := st.Retry; r != nil {
		ss.RetryStageMetadata = &retryStageMetadata{AutoStageRetryAttempt: r.AutoAttempts, ManualStageRetryAttempt: r.ManualAttempts, LatestRetryTrigger: r.LatestTrigger}
	}
}
