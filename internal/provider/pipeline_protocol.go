package provider

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// pipelineTypeName is the resource served at the protocol level.
const pipelineTypeName = "codepipeline_pipeline"

var _ tfprotov6.ProviderServer = (*pipelineServer)(nil)

// pipelineServer serves codepipeline_pipeline at the protocol level (terraform-plugin-go),
// beside the framework provider that serves everything else (NewServer combines them). It
// behaves as the framework resource it replaced, to the byte (TestPipelineProtocolDifferential):
// the schema, defaults and computed values, plan modifiers, validators and rule diagnostics come
// from pipelineSchema() and the rules catalogue; what changes is the cost. A request's value is
// decoded once into the domain model (decodePipeline) and the schema's defaults and validators
// are applied in one walk of the value, with a path made only for what is reported.
type pipelineServer struct {
	schema *protocolSchema
	// configured is the provider data the framework provider's Configure built: one backend
	// for both servers. Nil before Configure (validation runs unconfigured).
	configured *atomic.Pointer[providerData]
}

var (
	pipelineSchemaOnce sync.Once
	pipelineSchemaVal  *protocolSchema
	pipelineSchemaErr  error
)

// pipelineProtocolSchema derives the protocol schema from the framework schema, once per process.
func pipelineProtocolSchema() (*protocolSchema, error) {
	pipelineSchemaOnce.Do(func() {
		pipelineSchemaVal, pipelineSchemaErr = newProtocolSchema(context.Background(), pipelineSchema())
	})
	return pipelineSchemaVal, pipelineSchemaErr
}

func (s *pipelineServer) backend() backend.Backend {
	if pd := s.configured.Load(); pd != nil {
		return pd.Backend
	}
	return nil
}

func (s *pipelineServer) typ() tftypes.Object { return s.schema.root.typ }

// decode reads a request's value; a nil one is the null object, as the framework takes it.
func (s *pipelineServer) decode(dv *tfprotov6.DynamicValue, what string, diags *diag.Diagnostics) tftypes.Value {
	if dv == nil {
		return tftypes.NewValue(s.typ(), nil)
	}
	v, err := dv.Unmarshal(s.typ())
	if err != nil {
		diags.AddError("Unable to Convert "+what, "An unexpected error was encountered when converting the "+what+" from the protocol type.\n\n"+
			"Unable to unmarshal DynamicValue: "+err.Error())
		return tftypes.NewValue(s.typ(), nil)
	}
	return v
}

// encode answers v, its null block lists made empty as Terraform expects them.
func (s *pipelineServer) encode(v tftypes.Value, diags *diag.Diagnostics) *tfprotov6.DynamicValue {
	v, _ = s.schema.root.reify(v)
	dv, err := tfprotov6.NewDynamicValue(s.typ(), v)
	if err != nil {
		diags.AddError("Unable to Convert State", "An unexpected error was encountered when converting the state to the protocol type.\n\n"+
			"Unable to create DynamicValue: "+err.Error())
		return nil
	}
	return &dv
}

func (s *pipelineServer) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	return &tfprotov6.GetMetadataResponse{
		ServerCapabilities: serverCapabilities(),
		Resources:          []tfprotov6.ResourceMetadata{{TypeName: pipelineTypeName}},
		DataSources:        []tfprotov6.DataSourceMetadata{},
		Functions:          []tfprotov6.FunctionMetadata{},
		EphemeralResources: []tfprotov6.EphemeralResourceMetadata{},
	}, nil
}

// serverCapabilities are the framework's, so that the combined server promises what both keep.
func serverCapabilities() *tfprotov6.ServerCapabilities {
	return &tfprotov6.ServerCapabilities{GetProviderSchemaOptional: true, MoveResourceState: true, PlanDestroy: true}
}

// GetProviderSchema answers the resource's schema only: the provider's own schema is the
// framework provider's (tf6muxserver takes it from there).
func (s *pipelineServer) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return &tfprotov6.GetProviderSchemaResponse{
		ServerCapabilities:       serverCapabilities(),
		ResourceSchemas:          map[string]*tfprotov6.Schema{pipelineTypeName: s.schema.proto},
		DataSourceSchemas:        map[string]*tfprotov6.Schema{},
		Functions:                map[string]*tfprotov6.Function{},
		EphemeralResourceSchemas: map[string]*tfprotov6.Schema{},
		ListResourceSchemas:      map[string]*tfprotov6.Schema{},
		ActionSchemas:            map[string]*tfprotov6.ActionSchema{},
	}, nil
}

func (s *pipelineServer) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{IdentitySchemas: map[string]*tfprotov6.ResourceIdentitySchema{}}, nil
}

// ValidateProviderConfig and ConfigureProvider are the framework provider's: its Configure
// hands this server the backend through configured.
func (s *pipelineServer) ValidateProviderConfig(_ context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: req.Config}, nil
}

func (s *pipelineServer) ConfigureProvider(context.Context, *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	return &tfprotov6.ConfigureProviderResponse{}, nil
}

func (s *pipelineServer) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

// ValidateResourceConfig runs the rules that need nothing but the configuration, then the
// schema's declarative checks, as the framework did (ValidateConfig, then SchemaValidate).
func (s *pipelineServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	var diags diag.Diagnostics
	if req.Config == nil {
		return &tfprotov6.ValidateResourceConfigResponse{}, nil
	}
	config := s.decode(req.Config, "Configuration", &diags)
	if diags.HasError() {
		return &tfprotov6.ValidateResourceConfigResponse{Diagnostics: toProtoDiagnostics(diags)}, nil
	}
	if p, ok := decodePipeline(config); ok {
		addFindings(&diags, pipeline.ValidateWith(pipeline.Input{Pipeline: p}, pipeline.Options{At: pipeline.AtPlan}))
	}
	s.schema.root.validate(ctx, config, path.Empty(), &diags)
	return &tfprotov6.ValidateResourceConfigResponse{Diagnostics: toProtoDiagnostics(diags)}, nil
}

// PlanResourceChange plans as the framework did: defaults where the configuration is null,
// computed values unknown when something changes, the attributes' plan modifiers (id kept from
// the state, a new name replaces the pipeline), then the known ARN and the rules that need the
// backend's facts.
func (s *pipelineServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	var diags diag.Diagnostics
	resp := &tfprotov6.PlanResourceChangeResponse{}
	config := s.decode(req.Config, "Configuration", &diags)
	planned := s.decode(req.ProposedNewState, "Plan", &diags)
	prior := s.decode(req.PriorState, "Prior State", &diags)
	if diags.HasError() {
		resp.Diagnostics = toProtoDiagnostics(diags)
		return resp, nil
	}
	root := s.schema.root
	var requiresReplace []*tftypes.AttributePath
	if !planned.IsNull() {
		planned = root.applyDefaults(ctx, planned, config, path.Empty(), &diags)
		if !diags.HasError() && !root.equalValues(planned, prior) {
			planned = s.markComputedUnknown(planned, config)
		}
		if !diags.HasError() {
			planned, requiresReplace = s.modifyAttributePlans(ctx, config, planned, prior, &diags)
		}
	}
	if !diags.HasError() {
		planned = s.modifyPlan(ctx, planned, &diags)
	}
	resp.PlannedState = s.encode(planned, &diags)
	resp.RequiresReplace = requiresReplace
	resp.PlannedPrivate = nonEmpty(req.PriorPrivate)
	resp.Diagnostics = toProtoDiagnostics(diags)
	return resp, nil
}

// markComputedUnknown makes unknown the computed top-level attributes without a default whose
// configuration is null (the framework's MarkComputedNilsAsUnknown; the schema has no nested
// ones, which newProtocolSchema would have to walk).
func (s *pipelineServer) markComputedUnknown(planned, config tftypes.Value) tftypes.Value {
	m, cfg := fieldsCopy(planned), fields(config)
	for _, a := range s.schema.root.attrs {
		if !a.computed || a.hasDefault() || (cfg != nil && !cfg[a.name].IsNull()) {
			continue
		}
		m[a.name] = tftypes.NewValue(a.typ, tftypes.UnknownValue)
	}
	return tftypes.NewValue(s.typ(), m)
}

// modifyAttributePlans runs the top-level string attributes' plan modifiers, in name order;
// the paths whose change requires a replacement are returned.
func (s *pipelineServer) modifyAttributePlans(ctx context.Context, config, planned, prior tftypes.Value, diags *diag.Diagnostics) (tftypes.Value, []*tftypes.AttributePath) {
	var replace []*tftypes.AttributePath
	m, cfg, st := fieldsCopy(planned), fields(config), fields(prior)
	fwConfig := tfsdk.Config{Raw: config, Schema: s.schema.fw}
	fwPlan := tfsdk.Plan{Raw: planned, Schema: s.schema.fw}
	fwState := tfsdk.State{Raw: prior, Schema: s.schema.fw}
	changed := false
	for _, a := range s.schema.root.attrs {
		if len(a.stringPlanModifiers) == 0 {
			continue
		}
		p := path.Root(a.name)
		req := planmodifier.StringRequest{
			Path: p, PathExpression: p.Expression(), Config: fwConfig, Plan: fwPlan, State: fwState,
			ConfigValue: stringValue(cfg[a.name]), PlanValue: stringValue(m[a.name]),
			StateValue: stringValue(tftypes.NewValue(tftypes.String, nil)),
		}
		if st != nil {
			req.StateValue = stringValue(st[a.name])
		}
		for _, pm := range a.stringPlanModifiers {
			resp := planmodifier.StringResponse{PlanValue: req.PlanValue}
			pm.PlanModifyString(ctx, req, &resp)
			diags.Append(resp.Diagnostics...)
			if resp.RequiresReplace {
				replace = append(replace, tftypes.NewAttributePath().WithAttributeName(a.name))
			}
			if !resp.PlanValue.Equal(req.PlanValue) {
				v, _ := resp.PlanValue.ToTerraformValue(ctx)
				m[a.name], changed = v, true
			}
			req.PlanValue = resp.PlanValue
		}
	}
	if changed {
		planned = tftypes.NewValue(s.typ(), m)
	}
	return planned, replace
}

// modifyPlan is the resource's plan: the ARN known at plan, and the rules that need the
// backend's facts about the stores, keys and roles the pipeline names.
func (s *pipelineServer) modifyPlan(ctx context.Context, planned tftypes.Value, diags *diag.Diagnostics) tftypes.Value {
	b := s.backend()
	if planned.IsNull() || b == nil {
		return planned
	}
	p, ok := decodePipeline(planned)
	if !ok {
		return planned // blocks not known yet (dynamic blocks over unknown values): the preflight checks at apply
	}
	if m := fieldsCopy(planned); m["name"].IsKnown() {
		m["arn"] = tftypes.NewValue(tftypes.String, pipelineARN(b.Identity(), p.Name))
		planned = tftypes.NewValue(s.typ(), m)
	}
	facts, err := b.Facts(ctx, p)
	if err != nil {
		diags.AddWarning("Cannot Read Facts For Plan-Time Checks",
			fmt.Sprintf("The backend could not tell about the stores, keys and roles the pipeline names: %v. "+
				"The rules that need them run again before apply changes anything.", err))
		return planned
	}
	addFindings(diags, pipeline.FactFindings(pipeline.Input{Pipeline: p, Facts: facts}, pipeline.AtPlan))
	return planned
}

// ApplyResourceChange creates, updates or deletes the pipeline: the preflight runs the whole
// catalogue with the backend's facts on what is known now, then the definition is stored.
func (s *pipelineServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	var diags diag.Diagnostics
	resp := &tfprotov6.ApplyResourceChangeResponse{}
	planned := s.decode(req.PlannedState, "Plan", &diags)
	prior := s.decode(req.PriorState, "Prior State", &diags)
	if diags.HasError() {
		resp.Diagnostics = toProtoDiagnostics(diags)
		return resp, nil
	}
	b := s.backend()
	newState := tftypes.NewValue(s.typ(), nil)
	switch {
	case planned.IsNull(): // delete
		newState = prior
		if requireBackend(b, &diags) {
			id := decodeString(fields(prior)["id"])
			if err := b.DeletePipeline(ctx, id); err != nil && !errors.Is(err, backend.ErrNotFound) {
				addBackendError(&diags, "delete", fmt.Sprintf("pipeline %q", id), err)
			}
		}
		if !diags.HasError() {
			newState = tftypes.NewValue(s.typ(), nil)
		}
	case prior.IsNull(): // create
		if requireBackend(b, &diags) {
			newState = s.save(ctx, b, planned, newState, "create", b.CreatePipeline, &diags)
		}
	default: // update
		newState = prior
		if requireBackend(b, &diags) {
			newState = s.save(ctx, b, planned, prior, "update", b.UpdatePipeline, &diags)
		}
	}
	resp.NewState = s.encode(newState, &diags)
	resp.Diagnostics = toProtoDiagnostics(diags)
	return resp, nil
}

// save runs the preflight, then stores the planned definition with write (create or update);
// it returns the new state, or unchanged when it fails.
func (s *pipelineServer) save(ctx context.Context, b backend.Backend, planned, unchanged tftypes.Value, op string,
	write func(context.Context, *pipeline.Pipeline) (*backend.PipelineRecord, error), diags *diag.Diagnostics) tftypes.Value {
	p, ok := decodePipeline(planned)
	if !ok {
		diags.AddError("Value Conversion Error", "The planned pipeline has blocks that are not known: they must be known to apply it. "+
			"This is a bug in the provider: please report it.")
		return unchanged
	}
	facts, err := b.Facts(ctx, p)
	if err != nil {
		addBackendError(diags, "read the facts for", fmt.Sprintf("pipeline %q", p.Name), err)
		return unchanged
	}
	addFindings(diags, pipeline.ValidateWith(pipeline.Input{Pipeline: p, Facts: facts}, pipeline.Options{At: pipeline.AtApply}))
	if diags.HasError() {
		return unchanged
	}
	rec, err := write(ctx, p)
	if err != nil {
		addBackendError(diags, op, fmt.Sprintf("pipeline %q", p.Name), err)
		return unchanged
	}
	return s.withComputed(planned, rec)
}

// withComputed is v with the stored record's id, ARN and version.
func (s *pipelineServer) withComputed(v tftypes.Value, rec *backend.PipelineRecord) tftypes.Value {
	m := fieldsCopy(v)
	m["id"] = tftypes.NewValue(tftypes.String, rec.Name)
	m["arn"] = tftypes.NewValue(tftypes.String, rec.ARN)
	m["version"] = tftypes.NewValue(tftypes.Number, int64(rec.Version))
	return tftypes.NewValue(s.typ(), m)
}

// ReadResource refreshes the state from the stored definition: kept as written when it still
// describes the stored definition (the domain model does not keep null-versus-empty
// distinctions the configuration may make), rewritten from the definition on drift.
func (s *pipelineServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	var diags diag.Diagnostics
	resp := &tfprotov6.ReadResourceResponse{Private: nonEmpty(req.Private)}
	current := s.decode(req.CurrentState, "Current State", &diags)
	if diags.HasError() || current.IsNull() {
		resp.NewState = req.CurrentState
		resp.Diagnostics = toProtoDiagnostics(diags)
		return resp, nil
	}
	newState := current
	b := s.backend()
	if requireBackend(b, &diags) {
		newState = s.read(ctx, b, current, &diags)
	}
	resp.NewState = s.encode(newState, &diags)
	resp.Diagnostics = toProtoDiagnostics(diags)
	return resp, nil
}

func (s *pipelineServer) read(ctx context.Context, b backend.Backend, current tftypes.Value, diags *diag.Diagnostics) tftypes.Value {
	id := decodeString(fields(current)["id"])
	rec, err := b.GetPipeline(ctx, id)
	if errors.Is(err, backend.ErrNotFound) {
		return tftypes.NewValue(s.typ(), nil)
	}
	if err != nil {
		addBackendError(diags, "read", fmt.Sprintf("pipeline %q", id), err)
		return current
	}
	if p, ok := decodePipeline(current); ok && sameDefinition(p, rec.Definition) {
		return s.withComputed(current, rec)
	}
	// Drift (or an import): the state is the stored definition, through the model that the
	// data source shares.
	var m pipelineResourceModel
	m.fromDomain(rec.Definition)
	m.setComputed(rec)
	st := tfsdk.State{Schema: s.schema.fw, Raw: tftypes.NewValue(s.typ(), nil)}
	diags.Append(st.Set(ctx, &m)...)
	if diags.HasError() {
		return current
	}
	return st.Raw
}

// ImportResourceState accepts the pipeline name or its ARN: the state is the id, the next read
// fills in the rest.
func (s *pipelineServer) ImportResourceState(_ context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	var diags diag.Diagnostics
	resp := &tfprotov6.ImportResourceStateResponse{}
	name, err := arn.PipelineName(req.ID)
	if err != nil {
		diags.AddError("Invalid Import ID", err.Error()+"\n\nFix: import by the pipeline's name or its ARN.")
		resp.Diagnostics = toProtoDiagnostics(diags)
		return resp, nil
	}
	m := s.schema.root.emptyObject()
	m["id"] = tftypes.NewValue(tftypes.String, name)
	state := s.encode(tftypes.NewValue(s.typ(), m), &diags)
	resp.ImportedResources = []*tfprotov6.ImportedResource{{TypeName: pipelineTypeName, State: state}}
	resp.Diagnostics = toProtoDiagnostics(diags)
	return resp, nil
}

// UpgradeResourceState reads a state of the current schema version (0) as it is; the resource
// has had no other version.
func (s *pipelineServer) UpgradeResourceState(_ context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	var diags diag.Diagnostics
	resp := &tfprotov6.UpgradeResourceStateResponse{}
	if req.RawState == nil {
		return resp, nil
	}
	if req.Version != s.schema.proto.Version {
		diags.AddError("Unable to Upgrade Resource State",
			"This resource was implemented without an UpgradeState() method, "+
				fmt.Sprintf("however Terraform was expecting an implementation for version %d upgrade.\n\n", req.Version)+
				"This is always an issue with the Terraform Provider and should be reported to the provider developer.")
		resp.Diagnostics = toProtoDiagnostics(diags)
		return resp, nil
	}
	v, err := req.RawState.UnmarshalWithOpts(s.typ(), tfprotov6.UnmarshalOpts{
		ValueFromJSONOpts: tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true},
	})
	if err != nil {
		diags.AddError("Unable to Read Previously Saved State for UpgradeResourceState",
			"There was an error reading the saved resource state using the current resource schema.\n\n"+
				"If this resource state was last refreshed with Terraform CLI 0.11 and earlier, it must be refreshed or applied with an older provider version first. "+
				"If you manually modified the resource state, you will need to manually modify it to match the current resource schema. "+
				"Otherwise, please report this to the provider developer:\n\n"+err.Error())
		resp.Diagnostics = toProtoDiagnostics(diags)
		return resp, nil
	}
	resp.UpgradedState = s.encode(v, &diags)
	resp.Diagnostics = toProtoDiagnostics(diags)
	return resp, nil
}

func (s *pipelineServer) MoveResourceState(_ context.Context, req *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	var diags diag.Diagnostics
	diags.AddError("Unable to Move Resource State",
		"The target resource implementation does not include move resource state support. "+
			"The resource implementation can be updated by the provider developers to include this support with the ResourceWithMoveState interface.\n\n"+
			"Source Provider Address: "+req.SourceProviderAddress+"\n"+
			"Source Resource Type: "+req.SourceTypeName+"\n"+
			"Source Resource Schema Version: "+strconv.FormatInt(req.SourceSchemaVersion, 10)+"\n"+
			"Target Resource Type: "+req.TargetTypeName)
	return &tfprotov6.MoveResourceStateResponse{Diagnostics: toProtoDiagnostics(diags)}, nil
}

func (s *pipelineServer) UpgradeResourceIdentity(context.Context, *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	var diags diag.Diagnostics
	diags.AddError("Resource Identity Not Supported", pipelineTypeName+" has no resource identity.")
	return &tfprotov6.UpgradeResourceIdentityResponse{Diagnostics: toProtoDiagnostics(diags)}, nil
}

func (s *pipelineServer) GenerateResourceConfig(context.Context, *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	return nil, status.Error(codes.Unimplemented, "GenerateResourceConfig is not served for "+pipelineTypeName)
}

// The server offers no data source, function or ephemeral resource: the framework provider
// serves those, and tf6muxserver routes nothing else here.

func (s *pipelineServer) ValidateDataResourceConfig(context.Context, *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return nil, status.Error(codes.Unimplemented, "no data source is served here")
}

func (s *pipelineServer) ReadDataSource(context.Context, *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return nil, status.Error(codes.Unimplemented, "no data source is served here")
}

func (s *pipelineServer) CallFunction(context.Context, *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	return nil, status.Error(codes.Unimplemented, "no function is served here")
}

func (s *pipelineServer) GetFunctions(context.Context, *tfprotov6.GetFunctionsRequest) (*tfprotov6.GetFunctionsResponse, error) {
	return &tfprotov6.GetFunctionsResponse{Functions: map[string]*tfprotov6.Function{}}, nil
}

func (s *pipelineServer) ValidateEphemeralResourceConfig(context.Context, *tfprotov6.ValidateEphemeralResourceConfigRequest) (*tfprotov6.ValidateEphemeralResourceConfigResponse, error) {
	return nil, status.Error(codes.Unimplemented, "no ephemeral resource is served here")
}

func (s *pipelineServer) OpenEphemeralResource(context.Context, *tfprotov6.OpenEphemeralResourceRequest) (*tfprotov6.OpenEphemeralResourceResponse, error) {
	return nil, status.Error(codes.Unimplemented, "no ephemeral resource is served here")
}

func (s *pipelineServer) RenewEphemeralResource(context.Context, *tfprotov6.RenewEphemeralResourceRequest) (*tfprotov6.RenewEphemeralResourceResponse, error) {
	return nil, status.Error(codes.Unimplemented, "no ephemeral resource is served here")
}

func (s *pipelineServer) CloseEphemeralResource(context.Context, *tfprotov6.CloseEphemeralResourceRequest) (*tfprotov6.CloseEphemeralResourceResponse, error) {
	return nil, status.Error(codes.Unimplemented, "no ephemeral resource is served here")
}

// nonEmpty is private state passed on: the resource keeps none of its own, and the framework
// answered none for an empty one.
func nonEmpty(private []byte) []byte {
	if len(private) == 0 {
		return nil
	}
	return private
}

// decodeString is a string value; "" for null or unknown.
func decodeString(v tftypes.Value) string {
	var s string
	if v.IsKnown() && !v.IsNull() {
		_ = v.As(&s)
	}
	return s
}

// toProtoDiagnostics converts diagnostics as the framework sends them: an attribute
// diagnostic carries its path, even an empty one.
func toProtoDiagnostics(diags diag.Diagnostics) []*tfprotov6.Diagnostic {
	var out []*tfprotov6.Diagnostic
	for _, d := range diags {
		pd := &tfprotov6.Diagnostic{Summary: d.Summary(), Detail: d.Detail(), Severity: tfprotov6.DiagnosticSeverityInvalid}
		switch d.Severity() {
		case diag.SeverityError:
			pd.Severity = tfprotov6.DiagnosticSeverityError
		case diag.SeverityWarning:
			pd.Severity = tfprotov6.DiagnosticSeverityWarning
		}
		if dp, ok := d.(diag.DiagnosticWithPath); ok {
			pd.Attribute = toTFTypesPath(dp.Path())
		}
		out = append(out, pd)
	}
	return out
}

// toTFTypesPath converts a framework path to the protocol's.
func toTFTypesPath(p path.Path) *tftypes.AttributePath {
	var steps []tftypes.AttributePathStep
	for _, s := range p.Steps() {
		switch s := s.(type) {
		case path.PathStepAttributeName:
			steps = append(steps, tftypes.AttributeName(string(s)))
		case path.PathStepElementKeyInt:
			steps = append(steps, tftypes.ElementKeyInt(int64(s)))
		case path.PathStepElementKeyString:
			steps = append(steps, tftypes.ElementKeyString(string(s)))
		default:
			panic(fmt.Sprintf("path step %T: the pipeline schema has no sets", s))
		}
	}
	return tftypes.NewAttributePathWithSteps(steps)
}
