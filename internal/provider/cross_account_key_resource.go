package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

var (
	_ resource.ResourceWithConfigure      = (*crossAccountKeyResource)(nil)
	_ resource.ResourceWithImportState    = (*crossAccountKeyResource)(nil)
	_ resource.ResourceWithValidateConfig = (*crossAccountKeyResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*crossAccountKeyResource)(nil)
)

// NewCrossAccountKeyResource returns the codepipeline_cross_account_key resource.
func NewCrossAccountKeyResource() resource.Resource { return &crossAccountKeyResource{} }

// crossAccountKeyResource is a customer-managed KMS key for artifacts, whose generated key
// policy grants the target-account roles.
type crossAccountKeyResource struct {
	backend backend.Backend
}

type crossAccountKeyResourceModel struct {
	ID                   types.String `tfsdk:"id"`
	Description          types.String `tfsdk:"description"`
	Alias                types.String `tfsdk:"alias"`
	GranteeRoles         types.Set    `tfsdk:"grantee_roles"`
	EnableKeyRotation    types.Bool   `tfsdk:"enable_key_rotation"`
	DeletionWindowInDays types.Int64  `tfsdk:"deletion_window_in_days"`
	ARN                  types.String `tfsdk:"arn"`
	KeyID                types.String `tfsdk:"key_id"`
	Policy               types.String `tfsdk:"policy"`
}

// minDeletionWindow and maxDeletionWindow bound deletion_window_in_days, as KMS does.
const (
	minDeletionWindow = 7
	maxDeletionWindow = 30
)

func (m *crossAccountKeyResourceModel) toDomain(id backend.Identity) *pipeline.Key {
	roles, _ := stringsOf(m.GranteeRoles)
	return &pipeline.Key{
		ARN: m.ARN.ValueString(), AccountID: id.AccountID, CustomerManaged: true,
		// Null in a configuration is the default, true.
		RotationEnabled: m.EnableKeyRotation.IsNull() || m.EnableKeyRotation.IsUnknown() || m.EnableKeyRotation.ValueBool(),
		GranteeRoles:    roles,
	}
}

// generatedPolicy is the key policy of a key of id's account, or ok=false while the grantee
// roles are not all known.
func (m *crossAccountKeyResourceModel) generatedPolicy(id backend.Identity) (string, bool) {
	roles, ok := stringsOf(m.GranteeRoles)
	if !ok {
		return "", false
	}
	return policy.KeyPolicy(id.Partition(), id.AccountID, roles).JSON(), true
}

func (m *crossAccountKeyResourceModel) toSpec(id backend.Identity) backend.KeySpec {
	doc, _ := m.generatedPolicy(id)
	return backend.KeySpec{
		Description: m.Description.ValueString(), Alias: m.Alias.ValueString(),
		Policy: doc, RotationEnabled: m.EnableKeyRotation.ValueBool(),
	}
}

func (m *crossAccountKeyResourceModel) fromDomain(k *backend.Key) error {
	m.ID = types.StringValue(k.KeyID)
	m.KeyID = types.StringValue(k.KeyID)
	m.ARN = types.StringValue(k.ARN)
	m.Description = types.StringValue(k.Description)
	m.EnableKeyRotation = types.BoolValue(k.RotationEnabled)
	if m.Alias.IsNull() || m.Alias.IsUnknown() || !contains(k.Aliases, m.Alias.ValueString()) {
		alias := ""
		if len(k.Aliases) > 0 {
			alias = k.Aliases[0]
		}
		m.Alias = nullableString(alias)
	}
	doc, err := canonicalPolicy(k.Policy)
	if err != nil {
		return err
	}
	m.Policy = types.StringValue(doc)
	if m.GranteeRoles.IsNull() || m.GranteeRoles.IsUnknown() {
		m.GranteeRoles = setOfStrings(grantedRoles(k.Policy, policy.SidKeyUse))
	}
	if m.DeletionWindowInDays.IsNull() || m.DeletionWindowInDays.IsUnknown() {
		m.DeletionWindowInDays = types.Int64Value(maxDeletionWindow)
	}
	return nil
}

func (r *crossAccountKeyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_cross_account_key"
}

func (r *crossAccountKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A customer-managed KMS key for pipeline artifacts. The AWS-managed `aws/s3` key cannot be used " +
			"across accounts; this key can: its generated policy keeps full administration for the key's own account and " +
			"grants each target-account role `kms:Decrypt`, `kms:DescribeKey`, `kms:Encrypt`, `kms:ReEncrypt*` and `kms:GenerateDataKey*`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, Description: "The key id.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"description": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString(""),
				Description: "What the key is for.", Validators: []validator.String{stringvalidator.LengthAtMost(8192)},
			},
			"alias": schema.StringAttribute{
				Optional:    true,
				Description: "An alias for the key, `alias/NAME`. Names starting with `alias/aws/` are reserved for AWS-managed keys.",
				Validators: []validator.String{
					stringvalidator.RegexMatches(aliasPattern, "must be alias/ followed by letters, digits, '/', '_' or '-'"),
					stringvalidator.NoneOfCaseInsensitive("alias/aws"),
				},
			},
			"grantee_roles": schema.SetAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "ARNs of the target-account roles the generated key policy grants the key's use.",
				Validators:  []validator.Set{setvalidator.ValueStringsAre(stringvalidator.RegexMatches(roleARNPattern, "must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"))},
			},
			"enable_key_rotation": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				Description: "Rotate the key material every year. Defaults to `true`; `false` warns with `[key-rotation]`. " +
					"Older artifacts still decrypt after a rotation.",
			},
			"deletion_window_in_days": schema.Int64Attribute{
				Optional: true, Computed: true, Default: int64default.StaticInt64(maxDeletionWindow),
				Description: fmt.Sprintf("Days between destroy and the key's deletion (%d–%d, default %d). "+
					"Until then the key is pending deletion: nothing new is encrypted with it.", minDeletionWindow, maxDeletionWindow, maxDeletionWindow),
				Validators: []validator.Int64{int64validator.Between(minDeletionWindow, maxDeletionWindow)},
			},
			"arn": schema.StringAttribute{
				Computed: true, Description: "ARN of the key: name the artifact store's key by this full ARN (`[xacct-key-by-arn]`).",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"key_id": schema.StringAttribute{
				Computed: true, Description: "The key id.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"policy": schema.StringAttribute{
				Computed:    true,
				Description: "The generated key policy, as normalized JSON, known at plan whenever `grantee_roles` is.",
			},
		},
	}
}

func (r *crossAccountKeyResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.backend = backendOf(req, resp)
}

func (r *crossAccountKeyResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m crossAccountKeyResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	addFindings(&resp.Diagnostics, pipeline.ValidateWith(pipeline.Input{Key: m.toDomain(backend.Identity{})}, pipeline.Options{At: pipeline.AtPlan}))
}

// ModifyPlan makes the generated key policy known at plan.
func (r *crossAccountKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.backend == nil {
		return
	}
	var m crossAccountKeyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if doc, ok := m.generatedPolicy(r.backend.Identity()); ok {
		m.Policy = types.StringValue(doc)
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &m)...)
}

func (r *crossAccountKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !requireBackend(r.backend, &resp.Diagnostics) {
		return
	}
	var m crossAccountKeyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !r.reclaimAlias(ctx, m.Alias.ValueString(), &resp.Diagnostics) {
		return
	}
	k, err := r.backend.CreateKey(ctx, m.toSpec(r.backend.Identity()))
	if err != nil {
		addBackendError(&resp.Diagnostics, "create", "key", err)
		return
	}
	setFromDomain(ctx, &m, k, resp.State.Set, &resp.Diagnostics, "Key Policy")
}

func (r *crossAccountKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !requireBackend(r.backend, &resp.Diagnostics) {
		return
	}
	var m crossAccountKeyResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	k, err := r.backend.GetKey(ctx, m.ID.ValueString())
	if errors.Is(err, backend.ErrNotFound) || (err == nil && k.State == backend.KeyStatePendingDeletion) {
		resp.State.RemoveResource(ctx) // gone, or going: plan a new key
		return
	}
	if err != nil {
		addBackendError(&resp.Diagnostics, "read", fmt.Sprintf("key %q", m.ID.ValueString()), err)
		return
	}
	setFromDomain(ctx, &m, k, resp.State.Set, &resp.Diagnostics, "Key Policy")
}

func (r *crossAccountKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !requireBackend(r.backend, &resp.Diagnostics) {
		return
	}
	var m crossAccountKeyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	k, err := r.backend.UpdateKey(ctx, m.ID.ValueString(), m.toSpec(r.backend.Identity()))
	if err != nil {
		addBackendError(&resp.Diagnostics, "update", fmt.Sprintf("key %q", m.ID.ValueString()), err)
		return
	}
	setFromDomain(ctx, &m, k, resp.State.Set, &resp.Diagnostics, "Key Policy")
}

func (r *crossAccountKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !requireBackend(r.backend, &resp.Diagnostics) {
		return
	}
	var m crossAccountKeyResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// The alias goes with the resource, as an aws_kms_alias is destroyed with its key: the
	// same configuration applied again can create a new key under the same alias.
	k, err := r.backend.GetKey(ctx, m.ID.ValueString())
	if errors.Is(err, backend.ErrNotFound) {
		return
	}
	if err == nil && len(k.Aliases) > 0 {
		err = releaseAliases(ctx, r.backend, k)
	}
	if err == nil {
		_, err = r.backend.ScheduleKeyDeletion(ctx, m.ID.ValueString(), int(m.DeletionWindowInDays.ValueInt64()))
	}
	if err != nil && !errors.Is(err, backend.ErrNotFound) {
		addBackendError(&resp.Diagnostics, "schedule the deletion of", fmt.Sprintf("key %q", m.ID.ValueString()), err)
	}
}

// reclaimAlias frees alias when it still names a key of this account that is pending
// deletion (scheduled outside Terraform, so Read dropped it from the state): such a key can
// no longer be used, and the replacement key takes its alias, as UpdateAlias would in AWS.
func (r *crossAccountKeyResource) reclaimAlias(ctx context.Context, alias string, diags *diag.Diagnostics) bool {
	if alias == "" {
		return true
	}
	k, err := r.backend.GetKey(ctx, alias)
	if err != nil || k.State != backend.KeyStatePendingDeletion || k.AccountID != r.backend.Identity().AccountID {
		return true // free, or in use: CreateKey reports the conflict
	}
	if err := releaseAliases(ctx, r.backend, k); err != nil {
		addBackendError(diags, "take over the alias of", fmt.Sprintf("key %q, which is pending deletion,", k.KeyID), err)
		return false
	}
	return true
}

// releaseAliases removes every alias of k and changes nothing else.
func releaseAliases(ctx context.Context, b backend.Backend, k *backend.Key) error {
	_, err := b.UpdateKey(ctx, k.KeyID, backend.KeySpec{Description: k.Description, Policy: k.Policy, RotationEnabled: k.RotationEnabled})
	return err
}

// ImportState accepts the key id or the key ARN.
func (r *crossAccountKeyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if r.backend == nil {
		resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
		return
	}
	k, err := r.backend.GetKey(ctx, req.ID)
	if err != nil {
		addBackendError(&resp.Diagnostics, "import", fmt.Sprintf("key %q", req.ID), err)
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), k.KeyID)...)
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
