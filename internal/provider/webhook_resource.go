package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

var (
	_ resource.ResourceWithConfigure      = (*webhookResource)(nil)
	_ resource.ResourceWithImportState    = (*webhookResource)(nil)
	_ resource.ResourceWithValidateConfig = (*webhookResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*webhookResource)(nil)
)

var webhookNamePattern = regexp.MustCompile(`^[A-Za-z0-9.@_-]+$`)

// NewWebhookResource returns the codepipeline_webhook resource.
func NewWebhookResource() resource.Resource { return &webhookResource{} }

// webhookResource is an HTTP endpoint, served by `codepipeline serve`, that starts a pipeline
// when a request passes its authentication and filters: aws_codepipeline_webhook's model.
type webhookResource struct {
	backend backend.Backend
}

type webhookResourceModel struct {
	ID             types.String `tfsdk:"id"`
	Name           types.String `tfsdk:"name"`
	Authentication types.String `tfsdk:"authentication"`
	// The blocks are lists, not Go slices: a `dynamic` block over a collection known only after
	// apply (or a variable, during validate) makes the whole block list unknown.
	AuthConfig     types.List   `tfsdk:"authentication_configuration"` // of webhookAuthModel
	Filters        types.List   `tfsdk:"filter"`                       // of webhookFilterModel
	TargetPipeline types.String `tfsdk:"target_pipeline"`
	TargetAction   types.String `tfsdk:"target_action"`
	URL            types.String `tfsdk:"url"`
	ARN            types.String `tfsdk:"arn"`
	Tags           types.Map    `tfsdk:"tags"`
}

type webhookAuthModel struct {
	SecretToken    types.String `tfsdk:"secret_token"`
	AllowedIPRange types.String `tfsdk:"allowed_ip_range"`
}

type webhookFilterModel struct {
	JSONPath    types.String `tfsdk:"json_path"`
	MatchEquals types.String `tfsdk:"match_equals"`
}

var (
	webhookAuthType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"secret_token": types.StringType, "allowed_ip_range": types.StringType}}
	webhookFilterType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"json_path": types.StringType, "match_equals": types.StringType}}
)

// authConfig is the authentication_configuration block; known is false while the block list is
// unknown (a dynamic block over a value known only after apply).
func (m *webhookResourceModel) authConfig(ctx context.Context, diags *diag.Diagnostics) (auth *webhookAuthModel, known bool) {
	if m.AuthConfig.IsUnknown() {
		return nil, false
	}
	var blocks []webhookAuthModel
	if !m.AuthConfig.IsNull() {
		diags.Append(m.AuthConfig.ElementsAs(ctx, &blocks, false)...)
	}
	if len(blocks) == 0 {
		return nil, true
	}
	return &blocks[0], true
}

// filters is the filter blocks; known as authConfig's.
func (m *webhookResourceModel) filters(ctx context.Context, diags *diag.Diagnostics) (filters []webhookFilterModel, known bool) {
	if m.Filters.IsUnknown() {
		return nil, false
	}
	if !m.Filters.IsNull() {
		diags.Append(m.Filters.ElementsAs(ctx, &filters, false)...)
	}
	return filters, true
}

// toDomain is the webhook as the rules see it; unknown values (and the values of unknown blocks)
// become pipeline.Unknown.
func (m *webhookResourceModel) toDomain(ctx context.Context, diags *diag.Diagnostics) *pipeline.Webhook {
	w := &pipeline.Webhook{
		Name: stringOrUnknown(m.Name), Authentication: stringOrUnknown(m.Authentication),
		TargetPipeline: stringOrUnknown(m.TargetPipeline), TargetAction: stringOrUnknown(m.TargetAction),
	}
	switch auth, known := m.authConfig(ctx, diags); {
	case !known:
		w.SecretToken, w.AllowedIPRange = pipeline.Unknown, pipeline.Unknown
	case auth != nil:
		w.SecretToken = stringOrUnknown(auth.SecretToken)
		w.AllowedIPRange = stringOrUnknown(auth.AllowedIPRange)
	}
	filters, _ := m.filters(ctx, diags)
	for _, f := range filters {
		w.Filters = append(w.Filters, pipeline.WebhookFilter{JSONPath: stringOrUnknown(f.JSONPath), MatchEquals: stringOrUnknown(f.MatchEquals)})
	}
	return w
}

// toWebhook is the webhook to store: every value is known (a plan at apply).
func (m *webhookResourceModel) toWebhook(ctx context.Context, diags *diag.Diagnostics) *backend.Webhook {
	w := &backend.Webhook{
		Name: m.Name.ValueString(), Authentication: m.Authentication.ValueString(),
		TargetPipeline: m.TargetPipeline.ValueString(), TargetAction: m.TargetAction.ValueString(),
	}
	if auth, _ := m.authConfig(ctx, diags); auth != nil {
		w.SecretToken = auth.SecretToken.ValueString()
		w.AllowedIPRange = auth.AllowedIPRange.ValueString()
	}
	filters, _ := m.filters(ctx, diags)
	for _, f := range filters {
		w.Filters = append(w.Filters, pipeline.WebhookFilter{JSONPath: f.JSONPath.ValueString(), MatchEquals: f.MatchEquals.ValueString()})
	}
	if !m.Tags.IsNull() && !m.Tags.IsUnknown() {
		diags.Append(m.Tags.ElementsAs(ctx, &w.Tags, false)...)
	}
	return w
}

// fromDomain sets the model from the backend. The secret token is never read back into state:
// it stays what the configuration set (on import it is unknown to Terraform, as with
// aws_codepipeline_webhook).
func (m *webhookResourceModel) fromDomain(ctx context.Context, w *backend.Webhook, diags *diag.Diagnostics) {
	m.ID = types.StringValue(w.Name)
	m.Name = types.StringValue(w.Name)
	m.Authentication = types.StringValue(w.Authentication)
	secret := types.StringNull()
	if auth, _ := m.authConfig(ctx, diags); auth != nil {
		secret = auth.SecretToken
	}
	auths := []webhookAuthModel{}
	if w.AllowedIPRange != "" || !secret.IsNull() {
		auths = []webhookAuthModel{{SecretToken: secret, AllowedIPRange: nullableString(w.AllowedIPRange)}}
	}
	filters := make([]webhookFilterModel, 0, len(w.Filters))
	for _, f := range w.Filters {
		filters = append(filters, webhookFilterModel{JSONPath: types.StringValue(f.JSONPath), MatchEquals: types.StringValue(f.MatchEquals)})
	}
	var d diag.Diagnostics
	m.AuthConfig, d = types.ListValueFrom(ctx, webhookAuthType, auths)
	diags.Append(d...)
	m.Filters, d = types.ListValueFrom(ctx, webhookFilterType, filters)
	diags.Append(d...)
	m.TargetPipeline = types.StringValue(w.TargetPipeline)
	m.TargetAction = types.StringValue(w.TargetAction)
	m.URL = types.StringValue(backend.WebhookURL("", w.AccountID, w.Region, w.Name))
	m.ARN = types.StringValue(w.ARN)
	if len(w.Tags) == 0 {
		m.Tags = types.MapNull(types.StringType)
	} else {
		tags, d := types.MapValueFrom(ctx, types.StringType, w.Tags)
		diags.Append(d...)
		m.Tags = tags
	}
}

func (r *webhookResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_webhook"
}

func (r *webhookResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "An HTTP endpoint that starts a pipeline when a request passes its authentication and filters, as " +
			"`aws_codepipeline_webhook`. On the local backend `codepipeline serve` serves it at `url`: point a Git host's " +
			"webhook (content type `application/json` or `application/x-www-form-urlencoded`) there.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, Description: "The webhook name.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required:    true,
				Description: "Name of the webhook: 1–100 characters of `A-Za-z0-9.@_-`, unique in the account and region. Changing it replaces the webhook (and its URL).",
				Validators: []validator.String{
					stringvalidator.LengthBetween(1, 100),
					stringvalidator.RegexMatches(webhookNamePattern, "must be letters, digits, '.', '@', '_' and '-'"),
				},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"authentication": schema.StringAttribute{
				Required: true,
				Description: fmt.Sprintf("How requests are authenticated: one of %s. `GITHUB_HMAC` checks the `X-Hub-Signature-256` "+
					"header against `secret_token`; `IP` accepts requests whose TCP peer is in `allowed_ip_range`; "+
					"`UNAUTHENTICATED` accepts any request.", quotedList(pipeline.WebhookAuthentications)),
				Validators: []validator.String{stringvalidator.OneOf(pipeline.WebhookAuthentications...)},
			},
			"target_pipeline": schema.StringAttribute{Required: true, Description: "Name of the pipeline a matching request starts."},
			"target_action": schema.StringAttribute{
				Required:    true,
				Description: "Name of the source action of the target pipeline whose configuration fills the `{Name}` placeholders of the filters.",
			},
			"url": schema.StringAttribute{
				Computed: true,
				Description: "The URL `codepipeline serve` serves the webhook at: `http://" + backend.DefaultServeAddr +
					"/webhooks/ACCOUNT/REGION/NAME` (the daemon's default address).",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"arn": schema.StringAttribute{
				Computed: true, Description: "ARN of the webhook.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"tags": schema.MapAttribute{ElementType: types.StringType, Optional: true, Description: "Tags of the webhook."},
		},
		Blocks: map[string]schema.Block{
			"authentication_configuration": schema.ListNestedBlock{
				Description: "The secret token (`GITHUB_HMAC`) or the allowed range (`IP`).",
				Validators:  []validator.List{listvalidator.SizeAtMost(1)},
				NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
					"secret_token": schema.StringAttribute{
						Optional: true, Sensitive: true,
						Description: "The shared secret of `GITHUB_HMAC` (at most 100 characters). Stored sealed; never read back or logged.",
						Validators:  []validator.String{stringvalidator.LengthBetween(1, backend.MaxWebhookSecretLength)},
					},
					"allowed_ip_range": schema.StringAttribute{
						Optional: true, Description: "The CIDR range requests must come from with `IP` authentication, for example `192.0.2.0/24`.",
					},
				}},
			},
			"filter": schema.ListNestedBlock{
				Description: "1 to 5 conditions on the JSON body, all of which must hold for a request to start the pipeline.",
				Validators:  []validator.List{listvalidator.SizeBetween(1, backend.MaxWebhookFilters)},
				NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
					"json_path": schema.StringAttribute{
						Required: true,
						Description: "A JSONPath into the request body: `$` followed by `.name`, `['name']` and `[index]` steps, " +
							"for example `$.ref` or `$['repository']['name']`.",
						Validators: []validator.String{stringvalidator.LengthBetween(1, 150)},
					},
					"match_equals": schema.StringAttribute{
						Required: true,
						Description: "The value the path must have. `{Name}` is replaced by the target action's configuration value " +
							"`Name`, for example `refs/heads/{BranchName}`; `{Branch}` falls back to `BranchName`.",
						Validators: []validator.String{stringvalidator.LengthBetween(1, 150)},
					},
				}},
			},
		},
	}
}

func (r *webhookResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.backend = backendOf(req, resp)
}

// ValidateConfig runs the webhook rules of the catalogue ([webhook-auth]).
func (r *webhookResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m webhookResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	w := m.toDomain(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	addFindings(&resp.Diagnostics, pipeline.ValidateWith(pipeline.Input{Webhook: w}, pipeline.Options{At: pipeline.AtPlan}))
}

// ModifyPlan makes the URL and ARN known at plan, so other resources (or a Git host's
// configuration) can use them before apply.
func (r *webhookResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.backend == nil {
		return
	}
	var m webhookResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || m.Name.IsUnknown() {
		return
	}
	id := r.backend.Identity()
	m.URL = types.StringValue(backend.WebhookURL("", id.AccountID, id.Region, m.Name.ValueString()))
	m.ARN = types.StringValue(arn.Webhook(id.Region, id.AccountID, m.Name.ValueString()))
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &m)...)
}

func (r *webhookResource) store(diags *diag.Diagnostics) backend.Webhooks {
	if !requireBackend(r.backend, diags) {
		return nil
	}
	s, err := backend.WebhooksOf(r.backend)
	if err != nil {
		addUnsupported(diags, err)
		return nil
	}
	return s
}

func (r *webhookResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.put(ctx, req.Plan.Get, resp.State.Set, &resp.Diagnostics, false)
}

func (r *webhookResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.put(ctx, req.Plan.Get, resp.State.Set, &resp.Diagnostics, true)
}

func (r *webhookResource) put(ctx context.Context, get func(context.Context, any) diag.Diagnostics,
	set func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics, update bool) {
	s := r.store(diags)
	if s == nil {
		return
	}
	var m webhookResourceModel
	diags.Append(get(ctx, &m)...)
	if diags.HasError() {
		return
	}
	want := m.toWebhook(ctx, diags)
	if diags.HasError() {
		return
	}
	op := "create"
	if update {
		op = "update"
	}
	w, err := s.PutWebhook(ctx, want, update)
	if err != nil {
		addBackendError(diags, op, fmt.Sprintf("webhook %q", want.Name), err)
		return
	}
	m.fromDomain(ctx, w, diags)
	diags.Append(set(ctx, &m)...)
}

func (r *webhookResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	s := r.store(&resp.Diagnostics)
	if s == nil {
		return
	}
	var m webhookResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	w, err := s.GetWebhook(ctx, m.ID.ValueString())
	if errors.Is(err, backend.ErrNotFound) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addBackendError(&resp.Diagnostics, "read", fmt.Sprintf("webhook %q", m.ID.ValueString()), err)
		return
	}
	m.fromDomain(ctx, w, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *webhookResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	s := r.store(&resp.Diagnostics)
	if s == nil {
		return
	}
	var m webhookResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := s.DeleteWebhook(ctx, m.ID.ValueString()); err != nil && !errors.Is(err, backend.ErrNotFound) {
		addBackendError(&resp.Diagnostics, "delete", fmt.Sprintf("webhook %q", m.ID.ValueString()), err)
	}
}

// ImportState accepts the webhook name or its ARN.
func (r *webhookResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	name, err := arn.WebhookName(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid Import ID", err.Error()+"\n\nFix: import by the webhook's name or its ARN.")
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), name)...)
}
