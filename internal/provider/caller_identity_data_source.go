package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

var _ datasource.DataSourceWithConfigure = (*callerIdentityDataSource)(nil)

// NewCallerIdentityDataSource returns the codepipeline_caller_identity data source.
func NewCallerIdentityDataSource() datasource.DataSource { return &callerIdentityDataSource{} }

// callerIdentityDataSource tells which account and region a provider configuration acts as, so
// modules can build ARNs for the account of each provider alias (like aws_caller_identity).
type callerIdentityDataSource struct {
	data *providerData
}

type callerIdentityDataSourceModel struct {
	ID        types.String `tfsdk:"id"`
	AccountID types.String `tfsdk:"account_id"`
	Region    types.String `tfsdk:"region"`
	Backend   types.String `tfsdk:"backend"`
	StateDir  types.String `tfsdk:"state_dir"`
}

func (m *callerIdentityDataSourceModel) fromDomain(cfg backend.Config) {
	m.ID = types.StringValue(cfg.AccountID)
	m.AccountID = types.StringValue(cfg.AccountID)
	m.Region = types.StringValue(cfg.Region)
	m.Backend = types.StringValue(cfg.Kind)
	m.StateDir = types.StringValue(cfg.StateDir)
}

func (d *callerIdentityDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_caller_identity"
}

func (d *callerIdentityDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "The account, region and backend that this provider configuration acts as. " +
			"Use it in modules to build ARNs for each provider alias's account.",
		Attributes: map[string]schema.Attribute{
			"id":         schema.StringAttribute{Computed: true, Description: "The account id."},
			"account_id": schema.StringAttribute{Computed: true, Description: "The 12-digit account id the provider configuration acts as."},
			"region":     schema.StringAttribute{Computed: true, Description: "The region the provider configuration acts in."},
			"backend":    schema.StringAttribute{Computed: true, Description: fmt.Sprintf("The backend in use: one of %s.", quotedList(backend.Kinds))},
			"state_dir":  schema.StringAttribute{Computed: true, Description: "The local backend's state directory, as an absolute path."},
		},
	}
}

func (d *callerIdentityDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataOf(req.ProviderData, &resp.Diagnostics)
}

func (d *callerIdentityDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	if d.data == nil {
		resp.Diagnostics.AddError("Provider Not Configured", "The provider was not configured before reading. This is a bug in the provider: please report it.")
		return
	}
	var m callerIdentityDataSourceModel
	m.fromDomain(d.data.Config)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
