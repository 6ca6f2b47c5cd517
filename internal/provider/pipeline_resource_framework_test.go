package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

var (
	_ resource.ResourceWithConfigure      = (*pipelineResource)(nil)
	_ resource.ResourceWithImportState    = (*pipelineResource)(nil)
	_ resource.ResourceWithValidateConfig = (*pipelineResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*pipelineResource)(nil)
)

// The framework implementation of codepipeline_pipeline, as it was served before the protocol
// level one (pipelineServer, pipeline_protocol.go) replaced it. It is kept for the differential
// test only: both must answer the same requests with the same bytes.

// newFrameworkPipelineResource returns the framework's codepipeline_pipeline resource.
func newFrameworkPipelineResource() resource.Resource { return &pipelineResource{} }

// pipelineResource stores a pipeline definition, validated against the whole rules catalogue.
type pipelineResource struct {
	backend backend.Backend
}

func (r *pipelineResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_pipeline"
}

func (r *pipelineResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = pipelineSchema()
}

func (r *pipelineResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.backend = backendOf(req, resp)
}

// ValidateConfig runs the rules that need nothing but the configuration.
func (r *pipelineResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	p, ok := pipelineFrom(ctx, req.Config.Get, req.Config.Raw.IsFullyKnown(), &resp.Diagnostics)
	if !ok {
		return
	}
	addFindings(&resp.Diagnostics, pipeline.ValidateWith(pipeline.Input{Pipeline: p}, pipeline.Options{At: pipeline.AtPlan}))
}

// ModifyPlan makes the ARN known and runs the rules that need the backend's facts about the
// stores, keys and roles the pipeline names.
func (r *pipelineResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.backend == nil {
		return
	}
	var m pipelineResourceModel
	if diags := req.Plan.Get(ctx, &m); diags.HasError() {
		return // blocks not known yet (dynamic blocks over unknown values): the preflight checks at apply
	}
	id := r.backend.Identity()
	if !m.Name.IsUnknown() {
		m.ARN = types.StringValue(pipelineARN(id, m.Name.ValueString()))
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("arn"), m.ARN)...)
	}
	p := m.toDomain()
	facts, err := r.backend.Facts(ctx, p)
	if err != nil {
		resp.Diagnostics.AddWarning("Cannot Read Facts For Plan-Time Checks",
			fmt.Sprintf("The backend could not tell about the stores, keys and roles the pipeline names: %v. "+
				"The rules that need them run again before apply changes anything.", err))
		return
	}
	addFindings(&resp.Diagnostics, pipeline.FactFindings(pipeline.Input{Pipeline: p, Facts: facts}, pipeline.AtPlan))
}

func (r *pipelineResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if requireBackend(r.backend, &resp.Diagnostics) {
		r.save(ctx, req.Plan, &resp.State, &resp.Diagnostics, "create", r.backend.CreatePipeline)
	}
}

func (r *pipelineResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if requireBackend(r.backend, &resp.Diagnostics) {
		r.save(ctx, req.Plan, &resp.State, &resp.Diagnostics, "update", r.backend.UpdatePipeline)
	}
}

// save runs the preflight, then stores the planned definition with write (create or update).
func (r *pipelineResource) save(ctx context.Context, plan tfsdk.Plan, state *tfsdk.State, diags *diag.Diagnostics,
	op string, write func(context.Context, *pipeline.Pipeline) (*backend.PipelineRecord, error)) {
	var m pipelineResourceModel
	diags.Append(plan.Get(ctx, &m)...)
	if diags.HasError() {
		return
	}
	p := m.toDomain()
	if !r.preflight(ctx, p, diags) {
		return
	}
	rec, err := write(ctx, p)
	if err != nil {
		addBackendError(diags, op, fmt.Sprintf("pipeline %q", p.Name), err)
		return
	}
	m.setComputed(rec)
	diags.Append(state.Set(ctx, &m)...)
}

func (r *pipelineResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !requireBackend(r.backend, &resp.Diagnostics) {
		return
	}
	var m pipelineResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	rec, err := r.backend.GetPipeline(ctx, m.ID.ValueString())
	if errors.Is(err, backend.ErrNotFound) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addBackendError(&resp.Diagnostics, "read", fmt.Sprintf("pipeline %q", m.ID.ValueString()), err)
		return
	}
	// Keep the state as written when it still describes the stored definition: the domain
	// model does not keep null-versus-empty distinctions that the configuration may make.
	if !sameDefinition(m.toDomain(), rec.Definition) {
		m.fromDomain(rec.Definition)
	}
	m.setComputed(rec)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *pipelineResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !requireBackend(r.backend, &resp.Diagnostics) {
		return
	}
	var m pipelineResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.backend.DeletePipeline(ctx, m.ID.ValueString()); err != nil && !errors.Is(err, backend.ErrNotFound) {
		addBackendError(&resp.Diagnostics, "delete", fmt.Sprintf("pipeline %q", m.ID.ValueString()), err)
	}
}

// ImportState accepts the pipeline name or its ARN.
func (r *pipelineResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	name, err := arn.PipelineName(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid Import ID", err.Error()+"\n\nFix: import by the pipeline's name or its ARN.")
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), name)...)
}

// preflight runs the whole catalogue with the backend's facts on the values known now, before
// anything is created or changed: what was unknown at plan is checked here.
func (r *pipelineResource) preflight(ctx context.Context, p *pipeline.Pipeline, diags *diag.Diagnostics) bool {
	facts, err := r.backend.Facts(ctx, p)
	if err != nil {
		addBackendError(diags, "read the facts for", fmt.Sprintf("pipeline %q", p.Name), err)
		return false
	}
	addFindings(diags, pipeline.ValidateWith(pipeline.Input{Pipeline: p, Facts: facts}, pipeline.Options{At: pipeline.AtApply}))
	return !diags.HasError()
}

// pipelineFrom reads a pipeline from a configuration or plan. While blocks are not known yet
// (dynamic blocks over unknown values) it returns ok=false without an error: the checks run
// again once they are known.
func pipelineFrom(ctx context.Context, get func(context.Context, any) diag.Diagnostics, fullyKnown bool, diags *diag.Diagnostics) (*pipeline.Pipeline, bool) {
	var m pipelineResourceModel
	if d := get(ctx, &m); d.HasError() {
		if fullyKnown {
			diags.Append(d...)
		}
		return nil, false
	}
	return m.toDomain(), true
}

// The framework model's conversion to the domain, which decodePipeline replaced; the
// framework implementation above reads its values with it.

// toDomain converts the model to the domain pipeline. Values known only after apply become
// pipeline.Unknown (or are listed in Action.UnknownAttrs), so rules skip them at plan.
func (m *pipelineResourceModel) toDomain() *pipeline.Pipeline {
	p := &pipeline.Pipeline{
		Name:          stringOrUnknown(m.Name),
		RoleARN:       stringOrUnknown(m.RoleARN),
		PipelineType:  stringOrUnknown(m.PipelineType),
		ExecutionMode: stringOrUnknown(m.ExecutionMode),
		Tags:          stringMapOf(m.Tags),
	}
	for _, s := range m.ArtifactStore {
		ref := pipeline.ArtifactStoreRef{Location: stringOrUnknown(s.Location), Type: stringOrUnknown(s.Type), Region: stringOrUnknown(s.Region)}
		if len(s.EncryptionKey) > 0 {
			ref.EncryptionKey = &pipeline.EncryptionKey{ID: stringOrUnknown(s.EncryptionKey[0].ID), Type: stringOrUnknown(s.EncryptionKey[0].Type)}
		}
		p.ArtifactStores = append(p.ArtifactStores, ref)
	}
	for _, s := range m.Stage {
		st := pipeline.Stage{Name: stringOrUnknown(s.Name)}
		if len(s.BeforeEntry) > 0 {
			st.BeforeEntry = conditionOf(s.BeforeEntry[0].Condition)
		}
		if len(s.OnSuccess) > 0 {
			st.OnSuccess = conditionOf(s.OnSuccess[0].Condition)
		}
		if len(s.OnFailure) > 0 {
			f := s.OnFailure[0]
			st.OnFailure = &pipeline.FailureConditions{Result: stringOrUnknown(f.Result), Condition: conditionOf(f.Condition)}
			if len(f.RetryConfiguration) > 0 {
				st.OnFailure.RetryConfiguration = &pipeline.RetryConfiguration{RetryMode: stringOrUnknown(f.RetryConfiguration[0].RetryMode)}
			}
		}
		for _, a := range s.Action {
			st.Actions = append(st.Actions, a.toDomain())
		}
		p.Stages = append(p.Stages, st)
	}
	for _, t := range m.Trigger {
		tr := pipeline.Trigger{ProviderType: stringOrUnknown(t.ProviderType)}
		if len(t.GitConfiguration) > 0 {
			g := t.GitConfiguration[0]
			tr.SourceActionName = stringOrUnknown(g.SourceActionName)
			for _, f := range g.Push {
				tr.Push = append(tr.Push, pipeline.GitFilter{Branches: globOf(f.Branches), Tags: globOf(f.Tags), FilePaths: globOf(f.FilePaths)})
			}
			for _, f := range g.PullRequest {
				events, _ := stringsOf(f.Events)
				tr.PullRequest = append(tr.PullRequest, pipeline.GitFilter{Branches: globOf(f.Branches), FilePaths: globOf(f.FilePaths), Events: events})
			}
		}
		p.Triggers = append(p.Triggers, tr)
	}
	for _, v := range m.Variable {
		p.Variables = append(p.Variables, pipeline.Variable{
			Name: stringOrUnknown(v.Name), DefaultValue: stringOrUnknown(v.DefaultValue), Description: stringOrUnknown(v.Description),
		})
	}
	return p
}

func (a *actionModel) toDomain() pipeline.Action {
	out := pipeline.Action{
		Name: stringOrUnknown(a.Name), Category: stringOrUnknown(a.Category), Owner: stringOrUnknown(a.Owner),
		Provider: stringOrUnknown(a.Provider), Version: stringOrUnknown(a.Version),
		RoleARN: stringOrUnknown(a.RoleARN), Region: stringOrUnknown(a.Region), Namespace: stringOrUnknown(a.Namespace),
		RunOrder: intOrUnknown(a.RunOrder), TimeoutInMinutes: intOrUnknown(a.TimeoutInMinutes),
		// Null in the configuration is an absent run_order (the default, 1); an explicit 0 is not.
		RunOrderSet: !a.RunOrder.IsNull() && !a.RunOrder.IsUnknown(),
	}
	if a.Configuration.IsUnknown() {
		out.UnknownAttrs = append(out.UnknownAttrs, "configuration")
	} else {
		out.Configuration = stringMapOf(a.Configuration)
	}
	out.InputArtifacts = listWithUnknowns(a.InputArtifacts, "input_artifacts", &out.UnknownAttrs)
	out.OutputArtifacts = listWithUnknowns(a.OutputArtifacts, "output_artifacts", &out.UnknownAttrs)
	out.Commands = listWithUnknowns(a.Commands, "commands", &out.UnknownAttrs)
	out.OutputVariables = listWithUnknowns(a.OutputVariables, "output_variables", &out.UnknownAttrs)
	return out
}

// conditionOf converts a condition block list (at most one block); nil when there is none.
func conditionOf(blocks []conditionModel) *pipeline.Condition {
	if len(blocks) == 0 {
		return nil
	}
	c := &pipeline.Condition{Result: stringOrUnknown(blocks[0].Result)}
	for _, r := range blocks[0].Rule {
		c.Rules = append(c.Rules, r.toDomain())
	}
	return c
}

func (r *ruleModel) toDomain() pipeline.ConditionRule {
	out := pipeline.ConditionRule{
		Name: stringOrUnknown(r.Name), Region: stringOrUnknown(r.Region), RoleARN: stringOrUnknown(r.RoleARN),
		TimeoutInMinutes: intOrUnknown(r.TimeoutInMinutes),
	}
	if len(r.RuleTypeID) > 0 {
		t := r.RuleTypeID[0]
		out.RuleTypeID = pipeline.RuleTypeID{Category: stringOrUnknown(t.Category), Owner: stringOrUnknown(t.Owner),
			Provider: stringOrUnknown(t.Provider), Version: stringOrUnknown(t.Version)}
	}
	if r.Configuration.IsUnknown() {
		out.UnknownAttrs = append(out.UnknownAttrs, "configuration")
	} else {
		out.Configuration = stringMapOf(r.Configuration)
	}
	out.InputArtifacts = listWithUnknowns(r.InputArtifacts, "input_artifacts", &out.UnknownAttrs)
	out.Commands = listWithUnknowns(r.Commands, "commands", &out.UnknownAttrs)
	return out
}

func globOf(blocks []globFilterModel) *pipeline.GlobFilter {
	if len(blocks) == 0 {
		return nil
	}
	inc, _ := stringsOf(blocks[0].Includes)
	exc, _ := stringsOf(blocks[0].Excludes)
	return &pipeline.GlobFilter{Includes: inc, Excludes: exc}
}

func intOrUnknown(v types.Int64) int {
	if v.IsUnknown() {
		return pipeline.UnknownInt
	}
	return int(v.ValueInt64())
}

// listWithUnknowns converts a list whose elements may be unknown: a wholly unknown list is
// recorded in unknownAttrs under attr, an unknown element becomes pipeline.Unknown.
func listWithUnknowns(l types.List, attr string, unknownAttrs *[]string) []string {
	if l.IsUnknown() {
		*unknownAttrs = append(*unknownAttrs, attr)
		return nil
	}
	if l.IsNull() {
		return nil
	}
	out := make([]string, 0, len(l.Elements()))
	for _, e := range l.Elements() {
		out = append(out, stringOrUnknown(e.(types.String)))
	}
	return out
}

// stringMapOf converts a map of strings; unknown elements become pipeline.Unknown.
func stringMapOf(m types.Map) map[string]string {
	if m.IsNull() || m.IsUnknown() {
		return nil
	}
	out := make(map[string]string, len(m.Elements()))
	for k, v := range m.Elements() {
		out[k] = stringOrUnknown(v.(types.String))
	}
	return out
}
