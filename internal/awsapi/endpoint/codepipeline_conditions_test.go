package endpoint_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// conditionsScenario drives RollbackStage, OverrideStageCondition, ListRuleExecutions and
// ListRuleTypes (TestSDK) on a V2 pipeline whose Gate stage has a before_entry VariableCheck
// (gate EQ open, result FAIL) and whose Freeze stage waits for a deployment window that never
// opens: the run with the default gate=closed fails at the gate, a run with gate=open is let
// past the window by an override and succeeds (GetPipelineState shows both conditions), and
// Gate is rolled back to the run that passed it.
func conditionsScenario(t *testing.T, a *clients) {
	ctx := context.Background()
	cp := a.cp
	for _, b := range []string{"cond-source", "cond-artifacts", "cond-site"} {
		must[*s3.CreateBucketOutput](t)(a.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}))
		must[*s3.PutBucketVersioningOutput](t)(a.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}))
	}
	must[*s3.PutObjectOutput](t)(a.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cond-source"), Key: aws.String("app.zip"), Body: bytes.NewReader(zipped(t, "index.html", "v1"))}))

	types := must[*codepipeline.ListRuleTypesOutput](t)(cp.ListRuleTypes(ctx, &codepipeline.ListRuleTypesInput{RuleOwnerFilter: cptypes.RuleOwnerAws}))
	var window *cptypes.RuleType
	for i, rt := range types.RuleTypes {
		if aws.ToString(rt.Id.Provider) == "DeploymentWindow" {
			window = &types.RuleTypes[i]
		}
	}
	if len(types.RuleTypes) != 6 || window == nil || aws.ToString(window.RuleConfigurationProperties[0].Name) != "Cron" || !window.RuleConfigurationProperties[0].Required {
		t.Errorf("ListRuleTypes: %d types, DeploymentWindow %+v; want the 6 of the rule reference, DeploymentWindow requiring Cron", len(types.RuleTypes), window)
	}
	_, err := cp.ListRuleTypes(ctx, &codepipeline.ListRuleTypesInput{RuleOwnerFilter: "Custom"})
	wantCode(t, "ListRuleTypes of owner Custom", err, "ValidationException")

	rule := func(name, provider string, cfg map[string]string) cptypes.RuleDeclaration {
		return cptypes.RuleDeclaration{Name: aws.String(name), Configuration: cfg,
			RuleTypeId: &cptypes.RuleTypeId{Category: cptypes.RuleCategoryRule, Owner: cptypes.RuleOwnerAws, Provider: aws.String(provider), Version: aws.String("1")}}
	}
	deploy := func(name string) []cptypes.ActionDeclaration {
		return []cptypes.ActionDeclaration{{Name: aws.String(name),
			ActionTypeId:   &cptypes.ActionTypeId{Category: cptypes.ActionCategoryDeploy, Owner: cptypes.ActionOwnerAws, Provider: aws.String("S3"), Version: aws.String("1")},
			Configuration:  map[string]string{"BucketName": "cond-site", "Extract": "true"},
			InputArtifacts: []cptypes.InputArtifact{{Name: aws.String("app")}}}}
	}
	const name = "gated"
	must[*codepipeline.CreatePipelineOutput](t)(cp.CreatePipeline(ctx, &codepipeline.CreatePipelineInput{Pipeline: &cptypes.PipelineDeclaration{
		Name: aws.String(name), RoleArn: aws.String("arn:aws:iam::111111111111:role/service"),
		PipelineType: cptypes.PipelineTypeV2, ExecutionMode: cptypes.ExecutionModeQueued,
		ArtifactStore: &cptypes.ArtifactStore{Type: cptypes.ArtifactStoreTypeS3, Location: aws.String("cond-artifacts")},
		Variables:     []cptypes.PipelineVariableDeclaration{{Name: aws.String("gate"), DefaultValue: aws.String("closed")}},
		Stages: []cptypes.StageDeclaration{
			{Name: aws.String("Source"), Actions: []cptypes.ActionDeclaration{{Name: aws.String("Source"),
				ActionTypeId:    &cptypes.ActionTypeId{Category: cptypes.ActionCategorySource, Owner: cptypes.ActionOwnerAws, Provider: aws.String("S3"), Version: aws.String("1")},
				Configuration:   map[string]string{"S3Bucket": "cond-source", "S3ObjectKey": "app.zip", "PollForSourceChanges": "false"},
				OutputArtifacts: []cptypes.OutputArtifact{{Name: aws.String("app")}}}}},
			{Name: aws.String("Gate"), Actions: deploy("Site"), BeforeEntry: &cptypes.BeforeEntryConditions{Conditions: []cptypes.Condition{{Result: cptypes.ResultFail,
				Rules: []cptypes.RuleDeclaration{rule("GateOpen", "VariableCheck", map[string]string{"Variable": "#{variables.gate}", "Operator": "EQ", "Value": "open"})}}}}},
			{Name: aws.String("Freeze"), Actions: deploy("Again"), BeforeEntry: &cptypes.BeforeEntryConditions{Conditions: []cptypes.Condition{{
				Rules: []cptypes.RuleDeclaration{rule("Never", "DeploymentWindow", map[string]string{"Cron": "* * * ? * * 1999"})}}}}},
		},
	}}))

	// The run of the creation fails at the gate (gate=closed); a run with gate=open waits at
	// the window, where it is let past by an override.
	override := func(stage, execution string) error {
		_, err := cp.OverrideStageCondition(ctx, &codepipeline.OverrideStageConditionInput{PipelineName: aws.String(name), StageName: aws.String(stage),
			PipelineExecutionId: aws.String(execution), ConditionType: cptypes.ConditionTypeBeforeEntry})
		return err
	}
	created := latestExecution(t, cp, name)
	if x := waitForEnd(t, cp, name, created); x.Status != cptypes.PipelineExecutionStatusFailed {
		t.Errorf("the run with gate=closed ended %s, want Failed", x.Status)
	}
	if gate := stageStateOf(t, cp, name, "Gate"); gate.BeforeEntryConditionState == nil || gate.BeforeEntryConditionState.LatestExecution.Status != cptypes.ConditionExecutionStatusFailed ||
		gate.LatestExecution == nil || gate.LatestExecution.Status != cptypes.StageExecutionStatusFailed {
		t.Errorf("GetPipelineState of the gate that failed: %+v", gate)
	}
	var notOverridable *cptypes.ConditionNotOverridableException
	if err := override("Gate", created); !errors.As(err, &notOverridable) || !strings.Contains(err.Error(), "Failed") {
		t.Errorf("overriding the gate that failed: %v, want ConditionNotOverridableException saying it failed", err)
	}
	open := aws.ToString(must[*codepipeline.StartPipelineExecutionOutput](t)(cp.StartPipelineExecution(ctx, &codepipeline.StartPipelineExecutionInput{Name: aws.String(name),
		Variables: []cptypes.PipelineVariable{{Name: aws.String("gate"), Value: aws.String("open")}}})).PipelineExecutionId)
	waiting := waitForRule(t, cp, name, open, "Never", cptypes.RuleExecutionStatusInProgress)
	if waiting.Input == nil || aws.ToString(waiting.Input.RuleTypeId.Provider) != "DeploymentWindow" || waiting.Input.Configuration["Cron"] != "* * * ? * * 1999" {
		t.Errorf("the waiting rule's input: %+v", waiting.Input)
	}
	freeze := stageStateOf(t, cp, name, "Freeze")
	if c := freeze.BeforeEntryConditionState; c == nil || c.LatestExecution.Status != cptypes.ConditionExecutionStatusInProgress ||
		aws.ToString(c.ConditionStates[0].RuleStates[0].RuleName) != "Never" || freeze.LatestExecution.Status != cptypes.StageExecutionStatusInProgress ||
		aws.ToString(freeze.LatestExecution.PipelineExecutionId) != open {
		t.Errorf("GetPipelineState of the stage waiting for its window: %+v", freeze)
	}
	if err := override("Gate", open); !errors.As(err, &notOverridable) {
		t.Errorf("overriding the gate that let the run in: %v, want ConditionNotOverridableException", err)
	}
	var noStage *cptypes.StageNotFoundException
	if err := override("Nowhere", open); !errors.As(err, &noStage) {
		t.Errorf("overriding a condition of a stage the pipeline lacks: %v, want StageNotFoundException", err)
	}
	if err := override("Freeze", open); err != nil {
		t.Fatalf("OverrideStageCondition of the window being waited for: %v", err)
	}
	if x := waitForEnd(t, cp, name, open); x.Status != cptypes.PipelineExecutionStatusSucceeded || x.ExecutionType != cptypes.ExecutionTypeStandard {
		t.Errorf("the overridden run ended %s (%s), type %s", x.Status, aws.ToString(x.StatusSummary), x.ExecutionType)
	}
	var notLatest *cptypes.NotLatestPipelineExecutionException
	if err := override("Gate", created); !errors.As(err, &notLatest) {
		t.Errorf("overriding the gate of a run a later one passed: %v, want NotLatestPipelineExecutionException", err)
	}

	// Rule executions: newest first, by one, across executions; one execution's alone.
	var statuses []string
	for p := codepipeline.NewListRuleExecutionsPaginator(cp, &codepipeline.ListRuleExecutionsInput{PipelineName: aws.String(name), MaxResults: aws.Int32(1)}); p.HasMorePages(); {
		for _, d := range must[*codepipeline.ListRuleExecutionsOutput](t)(p.NextPage(ctx)).RuleExecutionDetails {
			statuses = append(statuses, aws.ToString(d.RuleName)+"="+string(d.Status))
		}
	}
	if got := strings.Join(statuses, " "); got != "Never=Abandoned GateOpen=Succeeded GateOpen=Failed" {
		t.Errorf("ListRuleExecutions by 1: %s, want Never=Abandoned GateOpen=Succeeded GateOpen=Failed", got)
	}
	failed := must[*codepipeline.ListRuleExecutionsOutput](t)(cp.ListRuleExecutions(ctx, &codepipeline.ListRuleExecutionsInput{PipelineName: aws.String(name),
		Filter: &cptypes.RuleExecutionFilter{LatestInPipelineExecution: &cptypes.LatestInPipelineExecutionFilter{PipelineExecutionId: aws.String(created), StartTimeRange: cptypes.StartTimeRangeLatest}}}))
	if d := failed.RuleExecutionDetails; len(d) != 1 || d[0].Output == nil || d[0].Output.ExecutionResult == nil || d[0].Output.ExecutionResult.ErrorDetails == nil ||
		d[0].Input.ResolvedConfiguration["Variable"] != "closed" {
		t.Errorf("the failed gate's rule execution: %+v", d)
	}
	_, err = cp.ListRuleExecutions(ctx, &codepipeline.ListRuleExecutionsInput{PipelineName: aws.String(name),
		Filter: &cptypes.RuleExecutionFilter{PipelineExecutionId: aws.String("00000000-0000-0000-0000-000000000000")}})
	var noExec *cptypes.PipelineExecutionNotFoundException
	if !errors.As(err, &noExec) {
		t.Errorf("ListRuleExecutions of a missing execution: %v, want PipelineExecutionNotFoundException", err)
	}

	// Gate rolls back to the run that succeeded in it, not to the one that failed at its entry.
	rollback := func(stage, target string) (*codepipeline.RollbackStageOutput, error) {
		return cp.RollbackStage(ctx, &codepipeline.RollbackStageInput{PipelineName: aws.String(name), StageName: aws.String(stage), TargetPipelineExecutionId: aws.String(target)})
	}
	var unable *cptypes.UnableToRollbackStageException
	if _, err := rollback("Gate", created); !errors.As(err, &unable) {
		t.Errorf("rolling back to the run that failed at the gate: %v, want UnableToRollbackStageException", err)
	}
	if _, err := rollback("Nowhere", open); !errors.As(err, &noStage) {
		t.Errorf("rolling back a stage the pipeline lacks: %v, want StageNotFoundException", err)
	}
	if _, err := rollback("Gate", "00000000-0000-0000-0000-000000000000"); !errors.As(err, &noExec) {
		t.Errorf("rolling back to a missing execution: %v, want PipelineExecutionNotFoundException", err)
	}
	rb := aws.ToString(must[*codepipeline.RollbackStageOutput](t)(rollback("Gate", open)).PipelineExecutionId)
	x := waitForEnd(t, cp, name, rb)
	if x.Status != cptypes.PipelineExecutionStatusSucceeded || x.ExecutionType != cptypes.ExecutionTypeRollback || x.RollbackMetadata == nil ||
		aws.ToString(x.RollbackMetadata.RollbackTargetPipelineExecutionId) != open || x.Trigger.TriggerType != cptypes.TriggerTypeManualRollback {
		t.Errorf("the rollback ended %s (%s), type %s, metadata %+v, trigger %s", x.Status, aws.ToString(x.StatusSummary), x.ExecutionType, x.RollbackMetadata, x.Trigger.TriggerType)
	}
	summaries := must[*codepipeline.ListPipelineExecutionsOutput](t)(cp.ListPipelineExecutions(ctx, &codepipeline.ListPipelineExecutionsInput{PipelineName: aws.String(name), MaxResults: aws.Int32(1)}))
	if s := summaries.PipelineExecutionSummaries; len(s) != 1 || s[0].ExecutionType != cptypes.ExecutionTypeRollback || s[0].RollbackMetadata == nil {
		t.Errorf("the newest execution summary: %+v, want the rollback", s)
	}
	must[*codepipeline.DeletePipelineOutput](t)(cp.DeletePipeline(ctx, &codepipeline.DeletePipelineInput{Name: aws.String(name)}))
}

// stageStateOf is the pipeline state's stage.
func stageStateOf(t *testing.T, cp *codepipeline.Client, name, stage string) cptypes.StageState {
	t.Helper()
	st := must[*codepipeline.GetPipelineStateOutput](t)(cp.GetPipelineState(context.Background(), &codepipeline.GetPipelineStateInput{Name: aws.String(name)}))
	for _, s := range st.StageStates {
		if aws.ToString(s.StageName) == stage {
			return s
		}
	}
	t.Fatalf("GetPipelineState of %s has no stage %s", name, stage)
	return cptypes.StageState{}
}

// latestExecution is the id of the pipeline's newest execution.
func latestExecution(t *testing.T, cp *codepipeline.Client, name string) string {
	t.Helper()
	out := must[*codepipeline.ListPipelineExecutionsOutput](t)(cp.ListPipelineExecutions(context.Background(), &codepipeline.ListPipelineExecutionsInput{PipelineName: aws.String(name), MaxResults: aws.Int32(1)}))
	if len(out.PipelineExecutionSummaries) == 0 {
		t.Fatalf("pipeline %s has no execution", name)
	}
	return aws.ToString(out.PipelineExecutionSummaries[0].PipelineExecutionId)
}

// waitForRule waits until the rule execution of rule in execution id has status.
func waitForRule(t *testing.T, cp *codepipeline.Client, name, id, rule string, status cptypes.RuleExecutionStatus) cptypes.RuleExecutionDetail {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out := must[*codepipeline.ListRuleExecutionsOutput](t)(cp.ListRuleExecutions(context.Background(), &codepipeline.ListRuleExecutionsInput{PipelineName: aws.String(name),
			Filter: &cptypes.RuleExecutionFilter{PipelineExecutionId: aws.String(id)}}))
		for _, d := range out.RuleExecutionDetails {
			if aws.ToString(d.RuleName) == rule && d.Status == status {
				return d
			}
		}
	}
	t.Fatalf("rule %s of execution %s of %s never was %s", rule, id, name, status)
	return cptypes.RuleExecutionDetail{}
}
