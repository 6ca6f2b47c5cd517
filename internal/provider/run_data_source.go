package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

var _ datasource.DataSourceWithConfigure = (*runDataSource)(nil)

// NewRunDataSource returns the codepipeline_run data source.
func NewRunDataSource() datasource.DataSource { return &runDataSource{} }

// runDataSource reads an execution of a pipeline: a given one, or the latest (for example one
// a trigger started).
type runDataSource struct {
	backend backend.Backend
}

type runDataSourceModel struct {
	ID       types.String `tfsdk:"id"`
	Pipeline types.String `tfsdk:"pipeline"`
	runResultsModel
}

func (d *runDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_run"
}

func (d *runDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := map[string]schema.Attribute{
		"id":       schema.StringAttribute{Computed: true, Description: "The execution id."},
		"pipeline": schema.StringAttribute{Required: true, Description: "Name of the pipeline."},
		"execution_id": schema.StringAttribute{Optional: true, Computed: true,
			Description: runResultsDocs["execution_id"] + " Unset: the pipeline's latest execution."},
		"status":           schema.StringAttribute{Computed: true, Description: runResultsDocs["status"]},
		"status_reason":    schema.StringAttribute{Computed: true, Description: runResultsDocs["status_reason"]},
		"pipeline_version": schema.Int64Attribute{Computed: true, Description: runResultsDocs["pipeline_version"]},
		"source_revisions": schema.MapAttribute{Computed: true, ElementType: types.StringType, Description: runResultsDocs["source_revisions"]},
		"stages":           schema.ListAttribute{Computed: true, ElementType: runStageType, Description: runResultsDocs["stages"]},
	}
	resp.Schema = schema.Schema{
		Description: "An execution of a pipeline: the one named by `execution_id`, or the latest.",
		Attributes:  attrs,
	}
}

func (d *runDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if pd := providerDataOf(req.ProviderData, &resp.Diagnostics); pd != nil {
		d.backend = pd.Backend
	}
}

func (d *runDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !requireBackend(d.backend, &resp.Diagnostics) {
		return
	}
	runner, err := backend.RunsOf(d.backend)
	if err != nil {
		addUnsupported(&resp.Diagnostics, err)
		return
	}
	var m runDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	run, err := runner.GetRun(ctx, m.Pipeline.ValueString(), m.ExecutionID.ValueString())
	if err != nil {
		addBackendError(&resp.Diagnostics, "read", fmt.Sprintf("a run of pipeline %q", m.Pipeline.ValueString()), err)
		return
	}
	m.ID = types.StringValue(run.ID)
	resp.Diagnostics.Append(m.fromDomain(ctx, run)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
