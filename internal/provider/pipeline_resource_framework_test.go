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
