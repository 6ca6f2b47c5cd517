// Package provider is the Terraform glue of the CodePipeline provider: schemas, tfsdk models,
// conversion to the domain model of internal/pipeline, and diagnostics. It holds no business
// rules of its own.
package provider

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// RegistryAddress is the provider's source address.
const RegistryAddress = "registry.terraform.io/pipelinekit/codepipeline"

var (
	_ provider.Provider                   = (*codepipelineProvider)(nil)
	_ provider.ProviderWithFunctions      = (*codepipelineProvider)(nil)
	_ provider.ProviderWithValidateConfig = (*codepipelineProvider)(nil)
)

// New returns a constructor of the provider at the given version.
func New(version string, opts ...Option) func() provider.Provider {
	return func() provider.Provider {
		p := &codepipelineProvider{version: version}
		for _, o := range opts {
			o(p)
		}
		return p
	}
}

// Option tunes the provider.
type Option func(*codepipelineProvider)

// RecordWorkdir makes Configure record the local backend's configuration in Terraform's data
// directory of the working directory (backend.AddToWorkdirRecord), where the CLI finds it. The
// provider binary sets it; tests that serve the provider in their own process do not, since
// their working directory is the package's, not a configuration's.
func RecordWorkdir() Option { return func(p *codepipelineProvider) { p.recordWorkdir = true } }

type codepipelineProvider struct {
	version       string
	recordWorkdir bool
	// configured receives the provider data Configure builds, for the servers beside this one
	// (pipelineServer); nil when the provider serves alone.
	configured *atomic.Pointer[providerData]
}

// providerData is the one immutable value Configure builds and hands to every resource and
// data source.
type providerData struct {
	Config  backend.Config
	Backend backend.Backend
}

type providerModel struct {
	Backend   types.String `tfsdk:"backend"`
	AccountID types.String `tfsdk:"account_id"`
	Region    types.String `tfsdk:"region"`
	StateDir  types.String `tfsdk:"state_dir"`
	// Local backend: where git sources and Invoke/Lambda handlers are found.
	RepositoriesDir types.String `tfsdk:"repositories_dir"`
	FunctionsDir    types.String `tfsdk:"functions_dir"`
	AWS             *awsModel    `tfsdk:"aws"`
}

type awsModel struct {
	Profile    types.String     `tfsdk:"profile"`
	AssumeRole *assumeRoleModel `tfsdk:"assume_role"`
	Endpoints  *endpointsModel  `tfsdk:"endpoints"`
}

type assumeRoleModel struct {
	RoleARN     types.String `tfsdk:"role_arn"`
	SessionName types.String `tfsdk:"session_name"`
	ExternalID  types.String `tfsdk:"external_id"`
}

type endpointsModel struct {
	CodePipeline types.String `tfsdk:"codepipeline"`
	S3           types.String `tfsdk:"s3"`
	KMS          types.String `tfsdk:"kms"`
	IAM          types.String `tfsdk:"iam"`
	STS          types.String `tfsdk:"sts"`
}

func (p *codepipelineProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "codepipeline"
	resp.Version = p.version
}

func (p *codepipelineProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	endpoint := func(service string) schema.StringAttribute {
		return schema.StringAttribute{
			Optional:    true,
			Description: fmt.Sprintf("URL of the %s endpoint to use instead of the default one.", service),
		}
	}
	resp.Schema = schema.Schema{
		Description: "Defines CI/CD pipelines in the AWS CodePipeline model, validates every rule of the catalogue at plan time, " +
			"and runs pipelines on an embedded local backend (the default) or on AWS.",
		Attributes: map[string]schema.Attribute{
			"backend": schema.StringAttribute{
				Optional: true,
				Description: fmt.Sprintf("Where resources live and runs execute: one of %s. Defaults to `%s`, the embedded local backend. "+
					"`%s` acts on AWS itself through aws-sdk-go-v2, with the credentials the AWS SDKs find (and the `aws` block); see the Real AWS guide.",
					quotedList(backend.Kinds), backend.KindLocal, backend.KindAWS),
				Validators: []validator.String{stringvalidator.OneOf(backend.Kinds...)},
			},
			"account_id": schema.StringAttribute{
				Optional: true,
				Description: fmt.Sprintf("The account this provider configuration acts as. Two provider aliases with different accounts over one "+
					"`state_dir` are two accounts of one local cloud. Defaults to `%s` on the local backend; on `aws`, to the credentials' account "+
					"(when set, it must be the credentials' account: sts:GetCallerIdentity checks it).", backend.DefaultAccountID),
				Validators: []validator.String{stringvalidator.RegexMatches(backend.AccountIDPattern(), "must be a 12-digit AWS account id")},
			},
			"region": schema.StringAttribute{
				Optional: true,
				Description: fmt.Sprintf("The region this provider configuration acts in. Defaults to `%s` on the local backend; on `aws`, to the AWS "+
					"configuration's (AWS_REGION, the profile's region).", backend.DefaultRegion),
				Validators: []validator.String{stringvalidator.RegexMatches(backend.RegionPattern(), "must be an AWS region name such as us-east-1")},
			},
			"state_dir": schema.StringAttribute{
				Optional: true,
				Description: fmt.Sprintf("Directory of the local backend's state (database and artifact objects). Defaults to the `%s` "+
					"environment variable when set, else `%s` under the working directory.", backend.StateDirEnv, backend.DefaultStateDir),
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"repositories_dir": schema.StringAttribute{
				Optional: true,
				Description: "Local backend: directory of the git repositories that CodeCommit and CodeStarSourceConnection source " +
					"actions read. `RepositoryName` (or `FullRepositoryId`) names a directory under it, or is an absolute path. " +
					"Defaults to `repositories` under `state_dir`.",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"functions_dir": schema.StringAttribute{
				Optional: true,
				Description: "Local backend: directory of the handlers of Invoke/Lambda actions: `FunctionName` names an executable " +
					"under it, which gets the job as JSON on stdin. Defaults to `functions` under `state_dir`.",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
		},
		Blocks: map[string]schema.Block{
			"aws": schema.SingleNestedBlock{
				Description: "Settings of the AWS backend (used only with `backend = \"aws\"`).",
				Attributes: map[string]schema.Attribute{
					"profile": schema.StringAttribute{Optional: true, Description: "Named profile of the shared AWS configuration files."},
				},
				Blocks: map[string]schema.Block{
					"assume_role": schema.SingleNestedBlock{
						Description: "A role to assume before acting, as in the AWS provider.",
						Attributes: map[string]schema.Attribute{
							"role_arn":     schema.StringAttribute{Optional: true, Description: "ARN of the role to assume."},
							"session_name": schema.StringAttribute{Optional: true, Description: "Session name of the assumed role."},
							"external_id":  schema.StringAttribute{Optional: true, Description: "External id the role's trust policy requires."},
						},
					},
					"endpoints": schema.SingleNestedBlock{
						Description: "Endpoint overrides, for example for a private endpoint or a test double.",
						Attributes: map[string]schema.Attribute{
							"codepipeline": endpoint("CodePipeline"),
							"s3":           endpoint("S3"),
							"kms":          endpoint("KMS"),
							"iam":          endpoint("IAM"),
							"sts":          endpoint("STS"),
						},
					},
				},
			},
		},
	}
}

// ValidateConfig reports at plan time what Configure would refuse, on the attribute at fault.
func (p *codepipelineProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// A kind this build does not include is refused at plan, by the
	// same check backend.Open makes.
	if kind := m.Backend.ValueString(); slices.Contains(backend.Kinds, kind) {
		addConfigError(&resp.Diagnostics, backend.Available(kind))
	}
}

func (p *codepipelineProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for name, v := range map[string]types.String{"backend": m.Backend, "account_id": m.AccountID, "region": m.Region, "state_dir": m.StateDir} {
		if v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Provider Setting Not Known Yet",
				fmt.Sprintf("%s depends on a value that is known only after apply, and the provider needs it to plan.\n\n"+
					"Fix: set %s from a variable or a value known at plan time.", name, name))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	cfg, err := backend.Resolve(m.settings(), os.Getenv)
	if err != nil {
		addConfigError(&resp.Diagnostics, err)
		return
	}
	b, err := backend.Open(ctx, cfg)
	if err != nil {
		addConfigError(&resp.Diagnostics, err)
		return
	}
	for _, w := range backend.Warnings(b) {
		resp.Diagnostics.AddAttributeWarning(path.Root("state_dir"), "Local State Directory Changed On Open", w)
	}
	if p.recordWorkdir && cfg.Kind == backend.KindLocal {
		p.record(ctx, cfg)
	}
	data := &providerData{Config: cfg, Backend: b}
	if p.configured != nil {
		p.configured.Store(data)
	}
	resp.DataSourceData = data
	resp.ResourceData = data
}

func (p *codepipelineProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewArtifactStoreResource,
		NewCrossAccountKeyResource,
		NewCrossAccountRoleResource,
		// codepipeline_pipeline is served at the protocol level: pipelineServer, NewServer.
		NewRunResource,
		NewWebhookResource,
	}
}

func (p *codepipelineProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewCallerIdentityDataSource,
		NewPipelineDataSource,
		NewArtifactStoreDataSource,
		NewRunDataSource,
	}
}

func (p *codepipelineProvider) Functions(context.Context) []func() function.Function {
	return nil
}

// settings converts the model to the backend's raw settings.
func (m providerModel) settings() backend.Settings {
	s := backend.Settings{
		Backend:   setting(m.Backend),
		AccountID: setting(m.AccountID),
		Region:    setting(m.Region),
		StateDir:  setting(m.StateDir),

		RepositoriesDir: setting(m.RepositoriesDir),
		FunctionsDir:    setting(m.FunctionsDir),
	}
	if m.AWS != nil {
		s.AWS.Profile = m.AWS.Profile.ValueString()
		if ar := m.AWS.AssumeRole; ar != nil {
			s.AWS.AssumeRole = &backend.AssumeRole{
				RoleARN: ar.RoleARN.ValueString(), SessionName: ar.SessionName.ValueString(), ExternalID: ar.ExternalID.ValueString(),
			}
		}
		if ep := m.AWS.Endpoints; ep != nil {
			s.AWS.Endpoints = map[string]string{}
			for name, v := range map[string]types.String{
				"codepipeline": ep.CodePipeline, "s3": ep.S3, "kms": ep.KMS, "iam": ep.IAM, "sts": ep.STS,
			} {
				if v.ValueString() != "" {
					s.AWS.Endpoints[name] = v.ValueString()
				}
			}
		}
	}
	return s
}

func setting(v types.String) backend.Setting {
	return backend.Setting{Value: v.ValueString(), Set: !v.IsNull() && !v.IsUnknown()}
}

func quotedList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = "`" + v + "`"
	}
	return strings.Join(q, ", ")
}

// record notes cfg in the working directory's record for the CLI. A record that cannot be
// written costs the CLI its guess, not the user their plan: it is logged, not reported.
func (p *codepipelineProvider) record(ctx context.Context, cfg backend.Config) {
	wd, err := os.Getwd()
	if err == nil {
		err = backend.AddToWorkdirRecord(backend.WorkdirRecordPath(wd, os.Getenv), backend.Configured(cfg, os.Getppid()))
	}
	if err != nil {
		tflog.Debug(ctx, "the working directory's record for the codepipeline CLI was not written", map[string]any{"error": err.Error()})
	}
}
