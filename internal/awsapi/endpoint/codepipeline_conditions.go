package endpoint

import (
	"context"
	"errors"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Stage conditions, rollbacks and rule executions (issue 19's model) over backend.Runner:
// RollbackStage, OverrideStageCondition, ListRuleExecutions, and what GetPipelineState and
// GetPipelineExecution tell of them.

func registerCodePipelineConditions(e *Endpoint) {
	for op, h := range map[string]awsapi.Handler{
		"RollbackStage":          awsapi.Handle(e.rollbackStage),
		"OverrideStageCondition": awsapi.Handle(e.overrideStageCondition),
		"ListRuleExecutions":     awsapi.Handle(e.listRuleExecutions),
	} {
		e.Register("codepipeline", op, h)
	}
}

type rollbackInput struct {
	PipelineName              string `json:"pipelineName"`
	StageName                 string `json:"stageName"`
	TargetPipelineExecutionID string `json:"targetPipelineExecutionId"`
}

func (e *Endpoint) rollbackStage(ctx context.Context, req *awsapi.Request, in *rollbackInput) (*executionIDOutput, error) {
	rec, err := e.pipelineRecord(ctx, req, in.PipelineName, "codepipeline:RollbackStage")
	if err != nil {
		return nil, err
	}
	if !hasStage(rec.Definition, in.StageName) {
		return nil, wire.NewError(400, "StageNotFoundException", "Stage %s is not found in pipeline %s", in.StageName, rec.Name)
	}
	acct := e.account(req)
	run, err := acct.RollbackStage(ctx, rec.Name, in.StageName, in.TargetPipelineExecutionID)
	switch {
	case errors.Is(err, backend.ErrUnableToRollbackStage):
		return nil, wire.NewError(400, "UnableToRollbackStageException", "%s", err.Error())
	case err != nil:
		return nil, e.cpError(req, err)
	}
	e.drive(acct, run.Pipeline, run.ID)
	return &executionIDOutput{PipelineExecutionID: run.ID}, nil
}

type overrideInput struct {
	PipelineName        string `json:"pipelineName"`
	StageName           string `json:"stageName"`
	PipelineExecutionID string `json:"pipelineExecutionId"`
	ConditionType       string `json:"conditionType"`
}

func (e *Endpoint) overrideStageCondition(ctx context.Context, req *awsapi.Request, in *overrideInput) (*struct{}, error) {
	run, err := e.execution(ctx, req, in.PipelineName, in.PipelineExecutionID, "codepipeline:OverrideStageCondition")
	if err != nil {
		return nil, err
	}
	switch in.ConditionType {
	case pipeline.ConditionBeforeEntry, pipeline.ConditionOnSuccess:
	default:
		return nil, wire.Validation(req.Service, "1 validation error detected: Value '%s' at 'conditionType' failed to satisfy constraint: Member must satisfy enum value set: [BEFORE_ENTRY, ON_SUCCESS]", in.ConditionType)
	}
	if run.StageIndex(in.StageName) < 0 {
		return nil, wire.NewError(400, "StageNotFoundException", "Stage %s is not found in pipeline %s", in.StageName, run.Pipeline)
	}
	err = e.account(req).OverrideStageCondition(ctx, run.Pipeline, in.StageName, run.ID, in.ConditionType)
	switch {
	case errors.Is(err, backend.ErrConditionNotOverridable):
		return nil, wire.NewError(400, "ConditionNotOverridableException", "%s", err.Error())
	case errors.Is(err, backend.ErrNotLatestExecution):
		return nil, wire.NewError(400, "NotLatestPipelineExecutionException", "%s", err.Error())
	case err != nil:
		return nil, e.cpError(req, err)
	}
	return &struct{}{}, nil
}

type listRuleExecutionsInput struct {
	PipelineName string `json:"pipelineName"`
	Filter       *struct {
		PipelineExecutionID string `json:"pipelineExecutionId"`
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
	Configuration         map[string]string `json:"configuration"`
	ResolvedConfiguration map[string]string `json:"resolvedConfiguration"`
	RoleArn               string            `json:"roleArn,omitempty"`
	Region                string            `json:"region,omitempty"`
	InputArtifacts        []artifactDetail  `json:"inputArtifacts"`
}

type ruleExecutionResult struct {
	ExternalExecutionID      string        `json:"externalExecutionId,omitempty"`
	ExternalExecutionSummary string        `json:"externalExecutionSummary,omitempty"`
	ErrorDetails             *errorDetails `json:"errorDetails,omitempty"`
}

type ruleExecutionOutput struct {
	ExecutionResult *ruleExecutionResult `json:"executionResult,omitempty"`
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

func (e *Endpoint) listRuleExecutions(ctx context.Context, req *awsapi.Request, in *listRuleExecutionsInput) (*listRuleExecutionsOutput, error) {
	rec, err := e.pipelineRecord(ctx, req, in.PipelineName, "codepipeline:ListRuleExecutions")
	if err != nil {
		return nil, err
	}
	id := ""
	if in.Filter != nil {
		id = in.Filter.PipelineExecutionID
	}
	execs, err := e.account(req).ListRuleExecutions(ctx, rec.Name, id)
	if err != nil {
		return nil, e.cpError(req, err)
	}
	details := make([]ruleExecutionDetail, 0, len(execs))
	for _, x := range execs {
		d := ruleExecutionDetail{PipelineExecutionID: x.PipelineExecutionID, RuleExecutionID: x.RuleExecutionID, PipelineVersion: x.PipelineVersion,
			StageName: x.Stage, RuleName: x.Rule, StartTime: epochOf(x.Started), LastUpdateTime: epochOf(x.Updated), Status: x.Status,
			Input: &ruleExecutionInput{RuleTypeID: ruleTypeID{Category: x.RuleTypeID.Category, Owner: orDefault(x.RuleTypeID.Owner, pipeline.RuleOwnerAWS),
				Provider: x.RuleTypeID.Provider, Version: orDefault(x.RuleTypeID.Version, "1")},
				Configuration: orEmpty(x.Configuration), ResolvedConfiguration: orEmpty(x.ResolvedConfiguration), RoleArn: x.RoleARN,
				Region: orDefault(x.Region, req.Region), InputArtifacts: []artifactDetail{}}}
		for _, a := range x.Inputs {
			d.Input.InputArtifacts = append(d.Input.InputArtifacts, artifactDetail{Name: a.Name, S3Location: &s3Location{Bucket: a.Bucket, Key: a.Key}})
		}
		if x.Summary != "" || x.Error != "" {
			d.Output = &ruleExecutionOutput{ExecutionResult: &ruleExecutionResult{ExternalExecutionID: x.RuleExecutionID, ExternalExecutionSummary: x.Summary}}
			if x.Error != "" {
				d.Output.ExecutionResult.ErrorDetails = &errorDetails{Code: "RuleFailed", Message: x.Error}
			}
		}
		details = append(details, d)
	}
	from, to, next, err := cpPage(req, in.NextToken, in.MaxResults, 100, len(details))
	if err != nil {
		return nil, err
	}
	return &listRuleExecutionsOutput{RuleExecutionDetails: details[from:to], NextToken: next}, nil
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// Stage condition states and retry metadata, as GetPipelineState tells them.

type conditionExecution struct {
	Status  string `json:"status,omitempty"`
	Summary string `json:"summary,omitempty"`
}

type ruleStateExecution struct {
	RuleExecutionID  string             `json:"ruleExecutionId,omitempty"`
	Status           string             `json:"status,omitempty"`
	Summary          string             `json:"summary,omitempty"`
	LastStatusChange *wire.EpochSeconds `json:"lastStatusChange,omitempty"`
	ErrorDetails     *errorDetails      `json:"errorDetails,omitempty"`
}

type ruleState struct {
	RuleName        string              `json:"ruleName"`
	LatestExecution *ruleStateExecution `json:"latestExecution,omitempty"`
}

type conditionStateOf struct {
	LatestExecution *conditionExecution `json:"latestExecution,omitempty"`
	RuleStates      []ruleState         `json:"ruleStates"`
}

type stageConditionState struct {
	LatestExecution *conditionExecution `json:"latestExecution,omitempty"`
	ConditionStates []conditionStateOf  `json:"conditionStates"`
}

type retryStageMetadata struct {
	AutoStageRetryAttempt   int    `json:"autoStageRetryAttempt"`
	ManualStageRetryAttempt int    `json:"manualStageRetryAttempt"`
	LatestRetryTrigger      string `json:"latestRetryTrigger,omitempty"`
}

// conditionStates sets the stage state's condition states and retry metadata from a run's stage.
func conditionStates(ss *stageState, sr *backend.StageRun) {
	for _, c := range sr.Conditions {
		cs := &stageConditionState{LatestExecution: &conditionExecution{Status: c.Status, Summary: c.Summary},
			ConditionStates: []conditionStateOf{{LatestExecution: &conditionExecution{Status: c.Status, Summary: c.Summary}, RuleStates: []ruleState{}}}}
		for _, r := range c.Rules {
			rs := ruleState{RuleName: r.Name, LatestExecution: &ruleStateExecution{RuleExecutionID: r.ExecutionID, Status: r.Status, Summary: r.Summary,
				LastStatusChange: epochOf(maxTime(r.Started, r.Ended))}}
			if r.Error != "" {
				rs.LatestExecution.ErrorDetails = &errorDetails{Code: "RuleFailed", Message: r.Error}
			}
			cs.ConditionStates[0].RuleStates = append(cs.ConditionStates[0].RuleStates, rs)
		}
		switch c.Type {
		case pipeline.ConditionBeforeEntry:
			ss.BeforeEntryConditionState = cs
		case pipeline.ConditionOnSuccess:
			ss.OnSuccessConditionState = cs
		case pipeline.ConditionOnFailure:
			ss.OnFailureConditionState = cs
		}
	}
	if r := sr.Retry; r != nil {
		ss.RetryStageMetadata = &retryStageMetadata{AutoStageRetryAttempt: r.AutoAttempts, ManualStageRetryAttempt: r.ManualAttempts, LatestRetryTrigger: r.LatestTrigger}
	}
}

type rollbackMetadata struct {
	RollbackTargetPipelineExecutionID string `json:"rollbackTargetPipelineExecutionId,omitempty"`
}

// executionTypeOf is a run's execution type in CodePipeline's enum.
func executionTypeOf(run *backend.Run) string {
	if run.ExecutionType == "" {
		return backend.ExecutionStandard
	}
	return run.ExecutionType
}

func rollbackOf(run *backend.Run) *rollbackMetadata {
	if run.RollbackTarget == "" {
		return nil
	}
	return &rollbackMetadata{RollbackTargetPipelineExecutionID: run.RollbackTarget}
}

func hasStage(p *pipeline.Pipeline, name string) bool {
	for _, st := range p.Stages {
		if st.Name == name {
			return true
		}
	}
	return false
}
