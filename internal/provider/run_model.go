package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// The results of a run, shared by the codepipeline_run resource and data source.

var (
	runArtifactType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"name": types.StringType, "bucket": types.StringType, "key": types.StringType, "version_id": types.StringType,
	}}
	runActionType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"name": types.StringType, "status": types.StringType, "attempt": types.Int64Type,
		"started": types.StringType, "finished": types.StringType,
		"output_artifacts": types.ListType{ElemType: runArtifactType},
		"output_variables": types.MapType{ElemType: types.StringType},
		"summary":          types.StringType, "error": types.StringType,
	}}
	runRuleType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"name": types.StringType, "status": types.StringType, "summary": types.StringType, "error": types.StringType,
	}}
	runConditionType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"type": types.StringType, "status": types.StringType, "result": types.StringType, "summary": types.StringType,
		"rules": types.ListType{ElemType: runRuleType},
	}}
	runStageType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"name": types.StringType, "status": types.StringType, "actions": types.ListType{ElemType: runActionType},
		"conditions": types.ListType{ElemType: runConditionType},
	}}
)

// runResultsModel holds the computed results of a run.
type runResultsModel struct {
	ExecutionID     types.String `tfsdk:"execution_id"`
	Status          types.String `tfsdk:"status"`
	StatusReason    types.String `tfsdk:"status_reason"`
	PipelineVersion types.Int64  `tfsdk:"pipeline_version"`
	SourceRevisions types.Map    `tfsdk:"source_revisions"`
	Stages          types.List   `tfsdk:"stages"`
}

func (m *runResultsModel) fromDomain(ctx context.Context, r *backend.Run) diag.Diagnostics {
	var diags diag.Diagnostics
	m.ExecutionID = types.StringValue(r.ID)
	m.Status = types.StringValue(r.Status)
	m.StatusReason = types.StringValue(r.StatusReason)
	m.PipelineVersion = types.Int64Value(int64(r.PipelineVersion))
	revisions, d := types.MapValueFrom(ctx, types.StringType, nonNilMap(r.SourceRevisions))
	diags.Append(d...)
	m.SourceRevisions = revisions
	stages := make([]attr.Value, 0, len(r.Stages))
	for _, st := range r.Stages {
		actions := make([]attr.Value, 0, len(st.Actions))
		for _, a := range st.Actions {
			outs := make([]attr.Value, 0, len(a.Outputs))
			for _, o := range a.Outputs {
				v, d := types.ObjectValue(runArtifactType.AttrTypes, map[string]attr.Value{
					"name": types.StringValue(o.Name), "bucket": types.StringValue(o.Bucket),
					"key": types.StringValue(o.Key), "version_id": types.StringValue(o.VersionID),
				})
				diags.Append(d...)
				outs = append(outs, v)
			}
			vars, d := types.MapValueFrom(ctx, types.StringType, a.OutputVariables)
			diags.Append(d...)
			if a.OutputVariables == nil {
				vars = types.MapValueMust(types.StringType, map[string]attr.Value{})
			}
			v, d := types.ObjectValue(runActionType.AttrTypes, map[string]attr.Value{
				"name": types.StringValue(a.Name), "status": types.StringValue(a.Status), "attempt": types.Int64Value(int64(a.Attempt)),
				"started": timeString(a.Started), "finished": timeString(a.Ended),
				"output_artifacts": types.ListValueMust(runArtifactType, outs), "output_variables": vars,
				"summary": types.StringValue(a.Summary), "error": types.StringValue(a.Error),
			})
			diags.Append(d...)
			actions = append(actions, v)
		}
		conditions := make([]attr.Value, 0, len(st.Conditions))
		for _, c := range st.Conditions {
			rules := make([]attr.Value, 0, len(c.Rules))
			for _, r := range c.Rules {
				v, d := types.ObjectValue(runRuleType.AttrTypes, map[string]attr.Value{
					"name": types.StringValue(r.Name), "status": types.StringValue(r.Status),
					"summary": types.StringValue(r.Summary), "error": types.StringValue(r.Error),
				})
				diags.Append(d...)
				rules = append(rules, v)
			}
			v, d := types.ObjectValue(runConditionType.AttrTypes, map[string]attr.Value{
				"type": types.StringValue(c.Type), "status": types.StringValue(c.Status), "result": types.StringValue(c.Result),
				"summary": types.StringValue(c.Summary), "rules": types.ListValueMust(runRuleType, rules),
			})
			diags.Append(d...)
			conditions = append(conditions, v)
		}
		v, d := types.ObjectValue(runStageType.AttrTypes, map[string]attr.Value{
			"name": types.StringValue(st.Name), "status": types.StringValue(st.Status),
			"actions":    types.ListValueMust(runActionType, actions),
			"conditions": types.ListValueMust(runConditionType, conditions),
		})
		diags.Append(d...)
		stages = append(stages, v)
	}
	m.Stages = types.ListValueMust(runStageType, stages)
	return diags
}

// timeString renders a time as RFC 3339 ("" when zero).
func timeString(t time.Time) types.String {
	if t.IsZero() {
		return types.StringValue("")
	}
	return types.StringValue(t.UTC().Format(time.RFC3339Nano))
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
