package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

var (
	_ resource.ResourceWithConfigure      = (*artifactStoreResource)(nil)
	_ resource.ResourceWithImportState    = (*artifactStoreResource)(nil)
	_ resource.ResourceWithValidateConfig = (*artifactStoreResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*artifactStoreResource)(nil)
)

// NewArtifactStoreResource returns the codepipeline_artifact_store resource.
func NewArtifactStoreResource() resource.Resource { return &artifactStoreResource{} }

// artifactStoreResource is a dedicated, versioned artifact bucket whose generated policy grants
// the cross-account roles.
type artifactStoreResource struct {
	backend backend.Backend
}

type artifactStoreResourceModel struct {
	ID                types.String `tfsdk:"id"`
	Bucket            types.String `tfsdk:"bucket"`
	Versioning        types.Bool   `tfsdk:"versioning"`
	EncryptionKeyARN  types.String `tfsdk:"encryption_key_arn"`
	CrossAccountRoles types.Set    `tfsdk:"cross_account_roles"`
	ForceDestroy      types.Bool   `tfsdk:"force_destroy"`
	ARN               types.String `tfsdk:"arn"`
	AccountID         types.String `tfsdk:"account_id"`
	Region            types.String `tfsdk:"region"`
	Policy            types.String `tfsdk:"policy"`
}

// toDomain converts the model; unknown values become pipeline.Unknown (or, for versioning,
// true: the rule runs again at apply, when the value is known).
func (m *artifactStoreResourceModel) toDomain(id backend.Identity) *pipeline.ArtifactStore {
	roles, _ := stringsOf(m.CrossAccountRoles)
	s := &pipeline.ArtifactStore{
		Bucket:            stringOrUnknown(m.Bucket),
		AccountID:         id.AccountID,
		Region:            id.Region,
		Versioning:        m.Versioning.IsUnknown() || m.Versioning.IsNull() || m.Versioning.ValueBool(),
		EncryptionKeyARN:  stringOrUnknown(m.EncryptionKeyARN),
		CrossAccountRoles: roles,
	}
	if m.Policy.IsUnknown() {
		s.Policy = pipeline.Unknown
	}
	return s
}

// generatedPolicy is the bucket policy the store's inputs produce, or ok=false while they are
// not all known. Its ARNs are those of partition p.
func (m *artifactStoreResourceModel) generatedPolicy(p arn.Partition) (string, bool) {
	roles, ok := stringsOf(m.CrossAccountRoles)
	if !ok || m.Bucket.IsUnknown() {
		return "", false
	}
	return policy.BucketPolicy(p, m.Bucket.ValueString(), roles).JSON(), true
}

// fromDomain sets the model from what the backend holds; force_destroy is Terraform's own
// setting and is kept as it is.
func (m *artifactStoreResourceModel) fromDomain(b *backend.Bucket) error {
	m.ID = types.StringValue(b.Name)
	m.Bucket = types.StringValue(b.Name)
	m.Versioning = types.BoolValue(b.Versioning)
	m.EncryptionKeyARN = nullableString(b.EncryptionKeyARN)
	m.ARN = types.StringValue(b.ARN)
	m.AccountID = types.StringValue(b.AccountID)
	m.Region = types.StringValue(b.Region)
	doc, err := canonicalPolicy(b.Policy)
	if err != nil {
		return err
	}
	m.Policy = types.StringValue(doc)
	// On import there is no declared set: recover it from the generated statement. Otherwise
	// keep what the user declared, so that drift in the policy shows as a policy change.
	if m.CrossAccountRoles.IsNull() || m.CrossAccountRoles.IsUnknown() {
		m.CrossAccountRoles = setOfStrings(grantedRoles(b.Policy, policy.SidObjectAccess))
	}
	if m.ForceDestroy.IsNull() || m.ForceDestroy.IsUnknown() {
		m.ForceDestroy = types.BoolValue(false)
	}
	return nil
}

func (m *artifactStoreResourceModel) toBucket(p arn.Partition) backend.Bucket {
	doc, _ := m.generatedPolicy(p)
	return backend.Bucket{
		Name:             m.Bucket.ValueString(),
		Versioning:       m.Versioning.ValueBool(),
		EncryptionKeyARN: m.EncryptionKeyARN.ValueString(),
		Policy:           doc,
	}
}

func (r *artifactStoreResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_artifact_store"
}

func (r *artifactStoreResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A dedicated artifact bucket for pipelines: versioned (mandatory here), encrypted with the account's " +
			"AWS-managed key or a customer-managed key, with a generated bucket policy that grants each cross-account role " +
			"`s3:Get*`/`s3:Put*` on the objects and `s3:ListBucket` on the bucket, and denies requests without TLS.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, Description: "The bucket name.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"bucket": schema.StringAttribute{
				Required:    true,
				Description: "Name of the bucket: 3–63 characters of lower-case letters, digits, `.` and `-`. Changing it replaces the store.",
				Validators: []validator.String{
					stringvalidator.LengthBetween(3, 63),
					stringvalidator.RegexMatches(bucketNamePattern, "must be lower-case letters, digits, '.' and '-', starting and ending with a letter or digit"),
				},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"versioning": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				Description: "Whether object versioning is on. Defaults to `true`; `false` fails the plan with `[store-versioning]`: " +
					"every artifact is a new object version here, so versioning is mandatory.",
			},
			"encryption_key_arn": schema.StringAttribute{
				Optional: true,
				Description: "ARN of the customer-managed KMS key that encrypts the artifacts. Unset means the account's AWS-managed " +
					"`aws/s3` key, which no other account can use: a store with `cross_account_roles` needs a customer-managed key " +
					"(`[xacct-cmk-required]`).",
				Validators: []validator.String{stringvalidator.RegexMatches(keyARNPattern, "must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)")},
			},
			"cross_account_roles": schema.SetAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "ARNs of roles in other accounts that the generated bucket policy grants `s3:Get*`, `s3:Put*` on the " +
					"objects and `s3:ListBucket` on the bucket.",
				Validators: []validator.Set{setvalidator.ValueStringsAre(stringvalidator.RegexMatches(roleARNPattern, "must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"))},
			},
			"force_destroy": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				Description: "Delete the bucket's objects with it. Without it, destroying a non-empty store fails and keeps every artifact.",
			},
			"arn": schema.StringAttribute{
				Computed: true, Description: "ARN of the bucket (`arn:aws:s3:::BUCKET`), known at plan.",
			},
			"account_id": schema.StringAttribute{
				Computed: true, Description: "Account that owns the bucket: the provider configuration's account.",
			},
			"region": schema.StringAttribute{
				Computed: true, Description: "Region of the bucket: the provider configuration's region.",
			},
			"policy": schema.StringAttribute{
				Computed: true,
				Description: "The generated bucket policy, as normalized JSON, known at plan whenever `bucket` and " +
					"`cross_account_roles` are: plan-JSON policy tools can read it.",
			},
		},
	}
}

func (r *artifactStoreResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.backend = backendOf(req, resp)
}

// ValidateConfig runs the rules that concern a store on its own.
func (r *artifactStoreResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m artifactStoreResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	addFindings(&resp.Diagnostics, pipeline.ValidateWith(pipeline.Input{Store: m.toDomain(backend.Identity{})}, pipeline.Options{At: pipeline.AtPlan}))
}

// ModifyPlan makes the ARN, account, region and generated policy known at plan, and checks the
// rules that need the backend (is the key customer-managed).
func (r *artifactStoreResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.backend == nil {
		return
	}
	var m artifactStoreResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := r.backend.Identity()
	if !m.Bucket.IsUnknown() {
		m.ARN = types.StringValue(id.Partition().Bucket(m.Bucket.ValueString()))
	}
	m.AccountID = types.StringValue(id.AccountID)
	m.Region = types.StringValue(id.Region)
	if doc, ok := m.generatedPolicy(id.Partition()); ok {
		m.Policy = types.StringValue(doc)
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &m)...)

	// The rules that need the backend: is the named key customer-managed, is it rotated.
	in := pipeline.Input{Store: m.toDomain(id), Facts: pipeline.Facts{AccountID: id.AccountID, Region: id.Region}}
	if arn := m.EncryptionKeyARN.ValueString(); arn != "" && !m.EncryptionKeyARN.IsUnknown() {
		if k, err := r.backend.GetKey(ctx, arn); err == nil {
			in.Facts.Keys = map[string]*pipeline.Key{arn: keyFacts(k)}
		}
	}
	addFindings(&resp.Diagnostics, pipeline.FactFindings(in, pipeline.AtPlan))
}

func (r *artifactStoreResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if requireBackend(r.backend, &resp.Diagnostics) {
		r.save(ctx, req.Plan, &resp.State, &resp.Diagnostics, "create", r.backend.CreateBucket)
	}
}

func (r *artifactStoreResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if requireBackend(r.backend, &resp.Diagnostics) {
		r.save(ctx, req.Plan, &resp.State, &resp.Diagnostics, "update", r.backend.UpdateBucket)
	}
}

// save runs the preflight, then writes the planned bucket with write (create or update) and
// records what the backend holds.
func (r *artifactStoreResource) save(ctx context.Context, plan tfsdk.Plan, state *tfsdk.State, diags *diag.Diagnostics,
	op string, write func(context.Context, backend.Bucket) (*backend.Bucket, error)) {
	var m artifactStoreResourceModel
	diags.Append(plan.Get(ctx, &m)...)
	if diags.HasError() {
		return
	}
	// Preflight: values unknown at plan are known now; nothing is written when a rule fails.
	addFindings(diags, pipeline.ValidateWith(pipeline.Input{Store: m.toDomain(r.backend.Identity())}, pipeline.Options{At: pipeline.AtApply}))
	if diags.HasError() {
		return
	}
	b, err := write(ctx, m.toBucket(r.backend.Identity().Partition()))
	if err != nil {
		addBackendError(diags, op, fmt.Sprintf("artifact store %q", m.Bucket.ValueString()), err)
		return
	}
	setFromDomain(ctx, &m, b, state.Set, diags, "Bucket Policy")
}

func (r *artifactStoreResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !requireBackend(r.backend, &resp.Diagnostics) {
		return
	}
	var m artifactStoreResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	b, err := r.backend.GetBucket(ctx, m.Bucket.ValueString())
	if errors.Is(err, backend.ErrNotFound) {
		resp.State.RemoveResource(ctx) // deleted outside Terraform: plan to create it again
		return
	}
	if err != nil {
		addBackendError(&resp.Diagnostics, "read", fmt.Sprintf("artifact store %q", m.Bucket.ValueString()), err)
		return
	}
	setFromDomain(ctx, &m, b, resp.State.Set, &resp.Diagnostics, "Bucket Policy")
}

func (r *artifactStoreResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !requireBackend(r.backend, &resp.Diagnostics) {
		return
	}
	var m artifactStoreResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.backend.DeleteBucket(ctx, m.Bucket.ValueString(), m.ForceDestroy.ValueBool())
	if err != nil && !errors.Is(err, backend.ErrNotFound) {
		addBackendError(&resp.Diagnostics, "delete", fmt.Sprintf("artifact store %q", m.Bucket.ValueString()), err)
	}
}

// ImportState accepts the bucket name or its ARN.
func (r *artifactStoreResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	name, err := arn.BucketName(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid Import ID", err.Error()+"\n\nFix: import by the bucket's name or its ARN.")
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("bucket"), name)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), name)...)
}
