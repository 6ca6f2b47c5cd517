package provider

import (
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

type pipelineResourceModel struct {
	ID            types.String              `tfsdk:"id"`
	Name          types.String              `tfsdk:"name"`
	RoleARN       types.String              `tfsdk:"role_arn"`
	PipelineType  types.String              `tfsdk:"pipeline_type"`
	ExecutionMode types.String              `tfsdk:"execution_mode"`
	Tags          types.Map                 `tfsdk:"tags"`
	ARN           types.String              `tfsdk:"arn"`
	Version       types.Int64               `tfsdk:"version"`
	ArtifactStore []artifactStoreBlockModel `tfsdk:"artifact_store"`
	Stage         []stageModel              `tfsdk:"stage"`
	Trigger       []triggerModel            `tfsdk:"trigger"`
	Variable      []variableModel           `tfsdk:"variable"`
}

type artifactStoreBlockModel struct {
	Location      types.String         `tfsdk:"location"`
	Type          types.String         `tfsdk:"type"`
	Region        types.String         `tfsdk:"region"`
	EncryptionKey []encryptionKeyModel `tfsdk:"encryption_key"`
}

type encryptionKeyModel struct {
	ID   types.String `tfsdk:"id"`
	Type types.String `tfsdk:"type"`
}

type stageModel struct {
	Name        types.String      `tfsdk:"name"`
	BeforeEntry []conditionsModel `tfsdk:"before_entry"`
	OnSuccess   []conditionsModel `tfsdk:"on_success"`
	OnFailure   []onFailureModel  `tfsdk:"on_failure"`
	Action      []actionModel     `tfsdk:"action"`
}

type conditionsModel struct {
	Condition []conditionModel `tfsdk:"condition"`
}

type onFailureModel struct {
	Result             types.String              `tfsdk:"result"`
	Condition          []conditionModel          `tfsdk:"condition"`
	RetryConfiguration []retryConfigurationModel `tfsdk:"retry_configuration"`
}

type retryConfigurationModel struct {
	RetryMode types.String `tfsdk:"retry_mode"`
}

type conditionModel struct {
	Result types.String `tfsdk:"result"`
	Rule   []ruleModel  `tfsdk:"rule"`
}

type ruleModel struct {
	Name             types.String      `tfsdk:"name"`
	RuleTypeID       []ruleTypeIDModel `tfsdk:"rule_type_id"`
	Configuration    types.Map         `tfsdk:"configuration"`
	InputArtifacts   types.List        `tfsdk:"input_artifacts"`
	Commands         types.List        `tfsdk:"commands"`
	Region           types.String      `tfsdk:"region"`
	RoleARN          types.String      `tfsdk:"role_arn"`
	TimeoutInMinutes types.Int64       `tfsdk:"timeout_in_minutes"`
}

type ruleTypeIDModel struct {
	Category types.String `tfsdk:"category"`
	Owner    types.String `tfsdk:"owner"`
	Provider types.String `tfsdk:"provider"`
	Version  types.String `tfsdk:"version"`
}

type actionModel struct {
	Name             types.String `tfsdk:"name"`
	Category         types.String `tfsdk:"category"`
	Owner            types.String `tfsdk:"owner"`
	Provider         types.String `tfsdk:"provider"`
	Version          types.String `tfsdk:"version"`
	RunOrder         types.Int64  `tfsdk:"run_order"`
	Configuration    types.Map    `tfsdk:"configuration"`
	InputArtifacts   types.List   `tfsdk:"input_artifacts"`
	OutputArtifacts  types.List   `tfsdk:"output_artifacts"`
	RoleARN          types.String `tfsdk:"role_arn"`
	Region           types.String `tfsdk:"region"`
	Namespace        types.String `tfsdk:"namespace"`
	TimeoutInMinutes types.Int64  `tfsdk:"timeout_in_minutes"`
	Commands         types.List   `tfsdk:"commands"`
	OutputVariables  types.List   `tfsdk:"output_variables"`
}

type triggerModel struct {
	ProviderType     types.String            `tfsdk:"provider_type"`
	GitConfiguration []gitConfigurationModel `tfsdk:"git_configuration"`
}

type gitConfigurationModel struct {
	SourceActionName types.String          `tfsdk:"source_action_name"`
	Push             []gitPushModel        `tfsdk:"push"`
	PullRequest      []gitPullRequestModel `tfsdk:"pull_request"`
}

type gitPushModel struct {
	Branches  []globFilterModel `tfsdk:"branches"`
	Tags      []globFilterModel `tfsdk:"tags"`
	FilePaths []globFilterModel `tfsdk:"file_paths"`
}

type gitPullRequestModel struct {
	Events    types.List        `tfsdk:"events"`
	Branches  []globFilterModel `tfsdk:"branches"`
	FilePaths []globFilterModel `tfsdk:"file_paths"`
}

type globFilterModel struct {
	Includes types.List `tfsdk:"includes"`
	Excludes types.List `tfsdk:"excludes"`
}

type variableModel struct {
	Name         types.String `tfsdk:"name"`
	DefaultValue types.String `tfsdk:"default_value"`
	Description  types.String `tfsdk:"description"`
}

// conditionModelsOf is the block list of a domain condition (nil for none).
func conditionModelsOf(c *pipeline.Condition) []conditionModel {
	if c == nil {
		return nil
	}
	m := conditionModel{Result: nullableString(c.Result)}
	for _, r := range c.Rules {
		m.Rule = append(m.Rule, ruleModel{
			Name: types.StringValue(r.Name),
			RuleTypeID: []ruleTypeIDModel{{Category: types.StringValue(r.RuleTypeID.Category), Owner: nullableString(r.RuleTypeID.Owner),
				Provider: types.StringValue(r.RuleTypeID.Provider), Version: nullableString(r.RuleTypeID.Version)}},
			Configuration: mapOrNull(r.Configuration), InputArtifacts: listOrNull(r.InputArtifacts), Commands: listOrNull(r.Commands),
			Region: nullableString(r.Region), RoleARN: nullableString(r.RoleARN), TimeoutInMinutes: int64OrNull(r.TimeoutInMinutes),
		})
	}
	return []conditionModel{m}
}

// fromDomain sets the model from a stored definition (import, and drift).
func (m *pipelineResourceModel) fromDomain(p *pipeline.Pipeline) {
	m.Name = types.StringValue(p.Name)
	m.ID = types.StringValue(p.Name)
	m.RoleARN = types.StringValue(p.RoleARN)
	m.PipelineType = types.StringValue(p.Type())
	m.ExecutionMode = types.StringValue(p.Mode())
	m.Tags = mapOrNull(p.Tags)
	m.ArtifactStore = nil
	for _, s := range p.ArtifactStores {
		b := artifactStoreBlockModel{Location: types.StringValue(s.Location), Type: types.StringValue(s.Type), Region: nullableString(s.Region)}
		if s.EncryptionKey != nil {
			b.EncryptionKey = []encryptionKeyModel{{ID: types.StringValue(s.EncryptionKey.ID), Type: types.StringValue(s.EncryptionKey.Type)}}
		}
		m.ArtifactStore = append(m.ArtifactStore, b)
	}
	m.Stage = nil
	for _, s := range p.Stages {
		st := stageModel{Name: types.StringValue(s.Name)}
		if s.BeforeEntry != nil {
			st.BeforeEntry = []conditionsModel{{Condition: conditionModelsOf(s.BeforeEntry)}}
		}
		if s.OnSuccess != nil {
			st.OnSuccess = []conditionsModel{{Condition: conditionModelsOf(s.OnSuccess)}}
		}
		if f := s.OnFailure; f != nil {
			fm := onFailureModel{Result: nullableString(f.Result), Condition: conditionModelsOf(f.Condition)}
			if f.RetryConfiguration != nil {
				fm.RetryConfiguration = []retryConfigurationModel{{RetryMode: nullableString(f.RetryConfiguration.RetryMode)}}
			}
			st.OnFailure = []onFailureModel{fm}
		}
		for _, a := range s.Actions {
			st.Action = append(st.Action, actionModel{
				Name: types.StringValue(a.Name), Category: types.StringValue(a.Category), Owner: types.StringValue(a.Owner),
				Provider: types.StringValue(a.Provider), Version: types.StringValue(a.Version),
				RunOrder: types.Int64Value(int64(a.Order())), Configuration: mapOrNull(a.Configuration),
				InputArtifacts: listOrNull(a.InputArtifacts), OutputArtifacts: listOrNull(a.OutputArtifacts),
				RoleARN: nullableString(a.RoleARN), Region: nullableString(a.Region), Namespace: nullableString(a.Namespace),
				TimeoutInMinutes: int64OrNull(a.TimeoutInMinutes),
				Commands:         listOrNull(a.Commands), OutputVariables: listOrNull(a.OutputVariables),
			})
		}
		m.Stage = append(m.Stage, st)
	}
	m.Trigger = nil
	for _, t := range p.Triggers {
		g := gitConfigurationModel{SourceActionName: types.StringValue(t.SourceActionName)}
		for _, f := range t.Push {
			g.Push = append(g.Push, gitPushModel{Branches: globModelOf(f.Branches), Tags: globModelOf(f.Tags), FilePaths: globModelOf(f.FilePaths)})
		}
		for _, f := range t.PullRequest {
			g.PullRequest = append(g.PullRequest, gitPullRequestModel{Events: listOrNull(f.Events), Branches: globModelOf(f.Branches), FilePaths: globModelOf(f.FilePaths)})
		}
		m.Trigger = append(m.Trigger, triggerModel{ProviderType: types.StringValue(t.ProviderType), GitConfiguration: []gitConfigurationModel{g}})
	}
	m.Variable = nil
	for _, v := range p.Variables {
		m.Variable = append(m.Variable, variableModel{
			Name: types.StringValue(v.Name), DefaultValue: nullableString(v.DefaultValue), Description: nullableString(v.Description),
		})
	}
}

func globModelOf(g *pipeline.GlobFilter) []globFilterModel {
	if g == nil {
		return nil
	}
	return []globFilterModel{{Includes: listOrNull(g.Includes), Excludes: listOrNull(g.Excludes)}}
}

func int64OrNull(n int) types.Int64 {
	if n == 0 {
		return types.Int64Null()
	}
	return types.Int64Value(int64(n))
}

func mapOrNull(m map[string]string) types.Map {
	if m == nil {
		return types.MapNull(types.StringType)
	}
	elems := make(map[string]attr.Value, len(m))
	for k, v := range m {
		elems[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, elems)
}

func listOrNull(ss []string) types.List {
	if ss == nil {
		return types.ListNull(types.StringType)
	}
	elems := make([]attr.Value, len(ss))
	for i, s := range ss {
		elems[i] = types.StringValue(s)
	}
	return types.ListValueMust(types.StringType, elems)
}

func (m *pipelineResourceModel) setComputed(rec *backend.PipelineRecord) {
	m.ID = types.StringValue(rec.Name)
	m.ARN = types.StringValue(rec.ARN)
	m.Version = types.Int64Value(int64(rec.Version))
}

// sameDefinition compares two definitions, empty and absent being the same.
func sameDefinition(a, b *pipeline.Pipeline) bool {
	return cmp.Equal(a, b, cmpopts.EquateEmpty())
}

func pipelineARN(id backend.Identity, name string) string {
	return arn.Pipeline(id.Region, id.AccountID, name)
}
