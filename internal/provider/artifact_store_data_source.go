package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

var _ datasource.DataSourceWithConfigure = (*artifactStoreDataSource)(nil)

// NewArtifactStoreDataSource returns the codepipeline_artifact_store data source.
func NewArtifactStoreDataSource() datasource.DataSource { return &artifactStoreDataSource{} }

// artifactStoreDataSource reads an artifact bucket by name, for pipelines and target-account
// roles defined in another configuration than the store.
type artifactStoreDataSource struct {
	backend backend.Backend
}

type artifactStoreDataSourceModel struct {
	ID                types.String `tfsdk:"id"`
	Bucket            types.String `tfsdk:"bucket"`
	Versioning        types.Bool   `tfsdk:"versioning"`
	EncryptionKeyARN  types.String `tfsdk:"encryption_key_arn"`
	CrossAccountRoles types.Set    `tfsdk:"cross_account_roles"`
	ARN               types.String `tfsdk:"arn"`
	AccountID         types.String `tfsdk:"account_id"`
	Region            types.String `tfsdk:"region"`
	Policy            types.String `tfsdk:"policy"`
}

// fromDomain sets the model from the backend's bucket, with the same values the resource
// records for it.
func (m *artifactStoreDataSourceModel) fromDomain(b *backend.Bucket) error {
	doc, err := canonicalPolicy(b.Policy)
	if err != nil {
		return err
	}
	m.ID = types.StringValue(b.Name)
	m.Bucket = types.StringValue(b.Name)
	m.Versioning = types.BoolValue(b.Versioning)
	m.EncryptionKeyARN = nullableString(b.EncryptionKeyARN)
	m.CrossAccountRoles = setOfStrings(grantedRoles(b.Policy, policy.SidObjectAccess))
	m.ARN = types.StringValue(b.ARN)
	m.AccountID = types.StringValue(b.AccountID)
	m.Region = types.StringValue(b.Region)
	m.Policy = types.StringValue(doc)
	return nil
}

func (d *artifactStoreDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_artifact_store"
}

func (d *artifactStoreDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "An artifact bucket, read by name: its versioning, encryption key, the roles its bucket policy grants, " +
			"and the policy itself.",
		Attributes: map[string]schema.Attribute{
			"id":     schema.StringAttribute{Computed: true, Description: "The bucket name."},
			"bucket": schema.StringAttribute{Required: true, Description: "Name of the bucket to read (bucket names are global, as in S3)."},
			"versioning": schema.BoolAttribute{
				Computed: true, Description: "Whether object versioning is on (pipelines need it: `[store-versioning]`).",
			},
			"encryption_key_arn": schema.StringAttribute{
				Computed: true, Description: "ARN of the customer-managed key that encrypts the artifacts; null when the account's AWS-managed `aws/s3` key does.",
			},
			"cross_account_roles": schema.SetAttribute{
				Computed: true, ElementType: types.StringType,
				Description: "ARNs of the roles of other accounts that the bucket policy grants object access; null when none.",
			},
			"arn":        schema.StringAttribute{Computed: true, Description: "ARN of the bucket (`arn:aws:s3:::BUCKET`)."},
			"account_id": schema.StringAttribute{Computed: true, Description: "Account that owns the bucket."},
			"region":     schema.StringAttribute{Computed: true, Description: "Region of the bucket."},
			"policy":     schema.StringAttribute{Computed: true, Description: "The bucket policy, as normalized JSON."},
		},
	}
}

func (d *artifactStoreDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if pd := providerDataOf(req.ProviderData, &resp.Diagnostics); pd != nil {
		d.backend = pd.Backend
	}
}

func (d *artifactStoreDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !requireBackend(d.backend, &resp.Diagnostics) {
		return
	}
	var m artifactStoreDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := m.Bucket.ValueString()
	b, err := d.backend.GetBucket(ctx, name)
	if errors.Is(err, backend.ErrNotFound) {
		// Bucket names are global, as in S3: no account to name here.
		resp.Diagnostics.AddAttributeError(path.Root("bucket"), "Artifact Store Not Found",
			fmt.Sprintf("No artifact store (bucket) named %q exists in this state directory.\n\nFix: check the name.", name))
		return
	}
	if err != nil {
		addBackendError(&resp.Diagnostics, "read", fmt.Sprintf("artifact store %q", name), err)
		return
	}
	if err := m.fromDomain(b); err != nil {
		resp.Diagnostics.AddError("Unreadable Bucket Policy", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
