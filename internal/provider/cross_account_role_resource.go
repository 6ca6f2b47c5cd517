package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

var (
	_ resource.ResourceWithConfigure   = (*crossAccountRoleResource)(nil)
	_ resource.ResourceWithImportState = (*crossAccountRoleResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*crossAccountRoleResource)(nil)
)

// NewCrossAccountRoleResource returns the codepipeline_cross_account_role resource.
func NewCrossAccountRoleResource() resource.Resource { return &crossAccountRoleResource{} }

// crossAccountRoleResource is the role a pipeline's actions assume in a target account: it
// trusts the pipeline account and may use the artifact bucket and key that live there.
type crossAccountRoleResource struct {
	backend backend.Backend
}

type crossAccountRoleResourceModel struct {
	ID                types.String `tfsdk:"id"`
	Name              types.String `tfsdk:"name"`
	TrustedAccountID  types.String `tfsdk:"trusted_account_id"`
	ArtifactBucketARN types.String `tfsdk:"artifact_bucket_arn"`
	KeyARN            types.String `tfsdk:"key_arn"`
	DeployBucketARNs  types.Set    `tfsdk:"deploy_bucket_arns"`
	ARN               types.String `tfsdk:"arn"`
	Policy            types.String `tfsdk:"policy"`
	TrustPolicy       types.String `tfsdk:"trust_policy"`
}

// artifactPolicyName is the name of the role's inline policy that this resource manages.
const artifactPolicyName = "codepipeline-artifacts"

// generatedPolicies are the role's identity and trust policies, with the ARNs of partition p,
// or ok=false while their inputs are not all known.
func (m *crossAccountRoleResourceModel) generatedPolicies(p arn.Partition) (identity, trust string, ok bool) {
	deployARNs, known := stringsOf(m.DeployBucketARNs)
	if !known || m.ArtifactBucketARN.IsUnknown() || m.KeyARN.IsUnknown() || m.TrustedAccountID.IsUnknown() {
		return "", "", false
	}
	bucket := bucketOfARN(m.ArtifactBucketARN.ValueString())
	deploy := make([]string, len(deployARNs))
	for i, a := range deployARNs {
		deploy[i] = bucketOfARN(a)
	}
	return policy.TargetRolePolicy(p, bucket, m.KeyARN.ValueString(), deploy...).JSON(),
		policy.TrustPolicy(p, m.TrustedAccountID.ValueString()).JSON(), true
}

// bucketOfARN is the bucket a (validated) bucket ARN names.
func bucketOfARN(s string) string {
	if name, err := arn.BucketName(s); err == nil {
		return name
	}
	return s
}

func (m *crossAccountRoleResourceModel) toRole(p arn.Partition) backend.Role {
	identity, trust, _ := m.generatedPolicies(p)
	return backend.Role{
		Name: m.Name.ValueString(), TrustPolicy: trust,
		Policies: map[string]string{artifactPolicyName: identity},
	}
}

// fromDomain sets the model from the backend's role. On import the inputs are recovered from
// the generated documents.
func (m *crossAccountRoleResourceModel) fromDomain(r *backend.Role) error {
	m.ID = types.StringValue(r.Name)
	m.Name = types.StringValue(r.Name)
	m.ARN = types.StringValue(r.ARN)
	identity, err := canonicalPolicy(r.Policies[artifactPolicyName])
	if err != nil {
		return err
	}
	trust, err := canonicalPolicy(r.TrustPolicy)
	if err != nil {
		return err
	}
	m.Policy = types.StringValue(identity)
	m.TrustPolicy = types.StringValue(trust)
	if m.TrustedAccountID.IsNull() {
		if roots := grantedRoles(r.TrustPolicy, policy.SidTrust); len(roots) == 1 {
			m.TrustedAccountID = types.StringValue(policy.AccountOf(roots[0]))
		}
	}
	if m.ArtifactBucketARN.IsNull() || m.KeyARN.IsNull() {
		bucket, key, deploy := targetsOf(r.Policies[artifactPolicyName])
		m.ArtifactBucketARN, m.KeyARN = nullableString(bucket), nullableString(key)
		m.DeployBucketARNs = setOfStrings(deploy)
	}
	return nil
}

// targetsOf recovers the bucket ARN, key ARN and deploy bucket ARNs a generated role policy
// names (on import).
func targetsOf(doc string) (bucketARN, keyARN string, deployBucketARNs []string) {
	d, err := policy.Parse(doc)
	if err != nil {
		return "", "", nil
	}
	for _, s := range d.Statement {
		switch s.Sid {
		case policy.SidRoleListBucket:
			if len(s.Resource) == 1 {
				bucketARN = s.Resource[0]
			}
		case policy.SidRoleKeyUse:
			if len(s.Resource) == 1 {
				keyARN = s.Resource[0]
			}
		case policy.SidDeployListBucket:
			deployBucketARNs = append(deployBucketARNs, s.Resource...)
		}
	}
	return bucketARN, keyARN, deployBucketARNs
}

func (r *crossAccountRoleResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_cross_account_role"
}

func (r *crossAccountRoleResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		Description: "The role a pipeline's actions assume in a target account. Create it through the target account's " +
			"provider configuration (an alias). Its trust policy lets the pipeline account assume it; its generated policy " +
			"allows the KMS actions on the pipeline account's key and `s3:Get*`/`s3:Put*` on the artifact bucket's objects.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, Description: "The role name.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required: true, Description: "Name of the role (1–64 characters of `A-Za-z0-9+=,.@_-`). Changing it replaces the role.",
				Validators:    []validator.String{stringvalidator.RegexMatches(roleNamePattern, "must be 1-64 characters of A-Za-z0-9+=,.@_-")},
				PlanModifiers: replace,
			},
			"trusted_account_id": schema.StringAttribute{
				Required: true, Description: "The pipeline's account: the account allowed to assume this role.",
				Validators: []validator.String{stringvalidator.RegexMatches(accountIDPattern, "must be a 12-digit account id")},
			},
			"artifact_bucket_arn": schema.StringAttribute{
				Required: true, Description: "ARN of the pipeline's artifact bucket (`codepipeline_artifact_store.arn`).",
				Validators: []validator.String{stringvalidator.RegexMatches(bucketARNPattern, "must be an S3 bucket ARN (arn:aws:s3:::BUCKET)")},
			},
			"key_arn": schema.StringAttribute{
				Required: true, Description: "ARN of the customer-managed key that encrypts the artifacts (`codepipeline_cross_account_key.arn`).",
				Validators: []validator.String{stringvalidator.RegexMatches(keyARNPattern, "must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)")},
			},
			"deploy_bucket_arns": schema.SetAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "ARNs of buckets in the role's own account that its actions deploy into: the generated policy " +
					"allows `s3:Get*`/`s3:Put*` on their objects and `s3:ListBucket` on them.",
				Validators: []validator.Set{setvalidator.ValueStringsAre(
					stringvalidator.RegexMatches(bucketARNPattern, "must be an S3 bucket ARN (arn:aws:s3:::BUCKET)"))},
			},
			"arn": schema.StringAttribute{
				Computed: true, Description: "ARN of the role, known at plan: use it as an action's `role_arn`.",
			},
			"policy": schema.StringAttribute{
				Computed: true, Description: "The generated identity policy, as normalized JSON, known at plan whenever its inputs are.",
			},
			"trust_policy": schema.StringAttribute{
				Computed: true, Description: "The generated trust policy, as normalized JSON.",
			},
		},
	}
}

func (r *crossAccountRoleResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.backend = backendOf(req, resp)
}

// ModifyPlan makes the ARN and the generated policies known at plan.
func (r *crossAccountRoleResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.backend == nil {
		return
	}
	var m crossAccountRoleResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !m.Name.IsUnknown() {
		m.ARN = types.StringValue(r.backend.Identity().Partition().Role(r.backend.Identity().AccountID, m.Name.ValueString()))
	}
	if identity, trust, ok := m.generatedPolicies(r.backend.Identity().Partition()); ok {
		m.Policy, m.TrustPolicy = types.StringValue(identity), types.StringValue(trust)
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &m)...)
}

func (r *crossAccountRoleResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !requireBackend(r.backend, &resp.Diagnostics) {
		return
	}
	var m crossAccountRoleResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	role, err := r.backend.CreateRole(ctx, m.toRole(r.backend.Identity().Partition()))
	if err != nil {
		addBackendError(&resp.Diagnostics, "create", fmt.Sprintf("role %q", m.Name.ValueString()), err)
		return
	}
	setFromDomain(ctx, &m, role, resp.State.Set, &resp.Diagnostics, "Role Policy")
}

func (r *crossAccountRoleResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !requireBackend(r.backend, &resp.Diagnostics) {
		return
	}
	var m crossAccountRoleResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	role, err := r.backend.GetRole(ctx, m.ID.ValueString())
	if errors.Is(err, backend.ErrNotFound) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addBackendError(&resp.Diagnostics, "read", fmt.Sprintf("role %q", m.ID.ValueString()), err)
		return
	}
	setFromDomain(ctx, &m, role, resp.State.Set, &resp.Diagnostics, "Role Policy")
}

func (r *crossAccountRoleResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !requireBackend(r.backend, &resp.Diagnostics) {
		return
	}
	var m crossAccountRoleResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Only the trust policy and the artifacts policy are this resource's: inline policies
	// attached to the role by other means stay, as aws_iam_role_policy leaves them alone.
	want := m.toRole(r.backend.Identity().Partition())
	name := m.Name.ValueString()
	err := r.backend.UpdateAssumeRolePolicy(ctx, name, want.TrustPolicy)
	if err == nil {
		err = r.backend.PutRolePolicy(ctx, name, artifactPolicyName, want.Policies[artifactPolicyName])
	}
	var role *backend.Role
	if err == nil {
		role, err = r.backend.GetRole(ctx, name)
	}
	if err != nil {
		addBackendError(&resp.Diagnostics, "update", fmt.Sprintf("role %q", name), err)
		return
	}
	setFromDomain(ctx, &m, role, resp.State.Set, &resp.Diagnostics, "Role Policy")
}

func (r *crossAccountRoleResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !requireBackend(r.backend, &resp.Diagnostics) {
		return
	}
	var m crossAccountRoleResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.backend.DeleteRole(ctx, m.ID.ValueString()); err != nil && !errors.Is(err, backend.ErrNotFound) {
		addBackendError(&resp.Diagnostics, "delete", fmt.Sprintf("role %q", m.ID.ValueString()), err)
	}
}

// ImportState accepts the role name or its ARN.
func (r *crossAccountRoleResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	name := req.ID
	if i := strings.LastIndex(name, ":role/"); i >= 0 {
		name = name[i+len(":role/"):]
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), name)...)
}
