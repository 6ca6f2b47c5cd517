package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

var (
	_ resource.ResourceWithConfigure   = (*runResource)(nil)
	_ resource.ResourceWithImportState = (*runResource)(nil)
)

// NewRunResource returns the codepipeline_run resource.
func NewRunResource() resource.Resource { return &runResource{} }

// runResource starts an execution of a pipeline on create (and on replace, when triggers or
// variables change) and, by default, waits for it to end.
type runResource struct {
	backend backend.Backend
	data    *providerData
}

// defaultRunTimeout bounds a waited-for run when no timeouts block says otherwise.
const defaultRunTimeout = time.Hour

// logTailLines is how much of a failed action's log a failed apply shows.
const logTailLines = 20

type runResourceModel struct {
	ID        types.String   `tfsdk:"id"`
	Pipeline  types.String   `tfsdk:"pipeline"`
	Triggers  types.Map      `tfsdk:"triggers"`
	Variables types.Map      `tfsdk:"variables"`
	Wait      types.Bool     `tfsdk:"wait"`
	Timeouts  timeouts.Value `tfsdk:"timeouts"`
	runResultsModel
}

func (r *runResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_run"
}

func (r *runResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.Map{mapplanmodifier.RequiresReplace()}
	attrs := map[string]schema.Attribute{
		"id": schema.StringAttribute{
			Computed: true, Description: "The execution id.",
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"pipeline": schema.StringAttribute{
			Required: true, Description: "Name of the pipeline to run. Changing it starts a run of the other pipeline.",
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
		},
		"triggers": schema.MapAttribute{
			Optional: true, ElementType: types.StringType, PlanModifiers: replace,
			Description: "Arbitrary values whose change starts a new run (for example the pipeline's `version`, or a source revision).",
		},
		"variables": schema.MapAttribute{
			Optional: true, ElementType: types.StringType, PlanModifiers: replace,
			Description: "Values of pipeline variables for this run, overriding their defaults. Changing them starts a new run.",
		},
		"wait": schema.BoolAttribute{
			Optional: true, Computed: true, Default: booldefault.StaticBool(true),
			Description: "Wait until the run ends; a failed run then fails the apply with the failing action and the end of its log. " +
				"With `false`, the run goes on in a background process after apply returns.",
		},
	}
	for name, a := range runResultsAttributes() {
		attrs[name] = a
	}
	resp.Schema = schema.Schema{
		Description: "A run (execution) of a pipeline. Creating it starts the run; the run's results are read back. " +
			"Destroying it only forgets it: executions are history and stay in the backend.",
		Attributes: attrs,
		Blocks:     map[string]schema.Block{"timeouts": runTimeoutsBlock(ctx)},
	}
}

// runTimeoutsBlock is the standard timeouts block, described.
func runTimeoutsBlock(ctx context.Context) schema.Block {
	b := timeouts.Block(ctx, timeouts.Opts{
		Create: true,
		CreateDescription: fmt.Sprintf("How long to wait for the run to end when `wait` is true (a duration such as \"30m\"; default %s). "+
			"When it passes, the run is stopped and the apply fails.", defaultRunTimeout),
	}).(schema.SingleNestedBlock)
	b.Description = "How long a waited-for run may take."
	return b
}

// runResultsDocs describes the computed results, for the resource and the data source.
var runResultsDocs = map[string]string{
	"execution_id":     "The execution id.",
	"status":           "Status of the run: InProgress, Stopping, Stopped, Succeeded, Superseded or Failed.",
	"status_reason":    "Why the run ended as it did, when it did not succeed.",
	"pipeline_version": "Version of the pipeline definition the run executes.",
	"source_revisions": "The revisions source actions were pinned to, by action name: the commit a webhook delivery or a git trigger " +
		"named, the object version of an S3 change. Empty for a manual run, whose sources read their latest revision.",
	"stages": "Per stage: `name`, `status` (`Skipped` when its entry condition skipped it), `actions` and `conditions`; per action: " +
		"`name`, `status`, `attempt`, `started`, `finished` (RFC 3339), `output_artifacts` (`name`, `bucket`, `key`, `version_id`), " +
		"`output_variables`, `summary` and `error`; per condition evaluated: `type` (BEFORE_ENTRY, ON_SUCCESS, ON_FAILURE), `status`, " +
		"`result` (the result it engaged when it failed), `summary` and `rules` (`name`, `status`, `summary`, `error`).",
}

// runResultsAttributes are the computed results in the resource's schema.
func runResultsAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"execution_id":     schema.StringAttribute{Computed: true, Description: runResultsDocs["execution_id"]},
		"status":           schema.StringAttribute{Computed: true, Description: runResultsDocs["status"]},
		"status_reason":    schema.StringAttribute{Computed: true, Description: runResultsDocs["status_reason"]},
		"pipeline_version": schema.Int64Attribute{Computed: true, Description: runResultsDocs["pipeline_version"]},
		"source_revisions": schema.MapAttribute{Computed: true, ElementType: types.StringType, Description: runResultsDocs["source_revisions"]},
		"stages":           schema.ListAttribute{Computed: true, ElementType: runStageType, Description: runResultsDocs["stages"]},
	}
}

func (r *runResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataOf(req.ProviderData, &resp.Diagnostics)
	if r.data != nil {
		r.backend = r.data.Backend
	}
}

func (r *runResource) runner(diags *diag.Diagnostics) backend.Runner {
	if !requireBackend(r.backend, diags) {
		return nil
	}
	runner, err := backend.RunsOf(r.backend)
	if err != nil {
		addUnsupported(diags, err)
		return nil
	}
	return runner
}

func (r *runResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	runner := r.runner(&resp.Diagnostics)
	if runner == nil {
		return
	}
	var m runResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	vars := map[string]string{}
	resp.Diagnostics.Append(m.Variables.ElementsAs(ctx, &vars, false)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !r.preflight(ctx, m.Pipeline.ValueString(), &resp.Diagnostics) {
		return
	}
	run, err := runner.StartRun(ctx, backend.RunRequest{Pipeline: m.Pipeline.ValueString(), Variables: vars, Trigger: backend.TriggerManual, TriggerDetail: "terraform"})
	if err != nil {
		addBackendError(&resp.Diagnostics, "start a run of", fmt.Sprintf("pipeline %q", m.Pipeline.ValueString()), err)
		return
	}
	if m.Wait.ValueBool() {
		timeout, d := m.Timeouts.Create(ctx, defaultRunTimeout)
		resp.Diagnostics.Append(d...)
		runCtx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if ended, err := runner.ExecuteRun(runCtx, run.Pipeline, run.ID); err != nil {
			addBackendError(&resp.Diagnostics, "run", fmt.Sprintf("pipeline %q", run.Pipeline), err)
		} else {
			run = ended
		}
	} else if backend.ExecutesRemotely(runner) {
		// The service runs it (CodePipeline on AWS): nothing to keep alive here.
	} else if err := startDetachedRun(r.data.Config, run.Pipeline, run.ID); err != nil {
		resp.Diagnostics.AddError("Cannot Start The Run In The Background", err.Error())
	}
	m.ID = types.StringValue(run.ID)
	resp.Diagnostics.Append(m.fromDomain(ctx, run)...)
	// The state is saved even for a failed run: Terraform marks it tainted, so the next apply
	// starts a new run.
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	if m.Wait.ValueBool() && run.Status != backend.StatusSucceeded {
		addRunFailure(ctx, &resp.Diagnostics, r.data.Config, r.backend, run)
	}
}

// preflight checks the pipeline against what the backend holds now, before a run starts: a
// grant removed since the pipeline was applied fails here with its rule, not minutes into the
// run with AccessDenied.
func (r *runResource) preflight(ctx context.Context, name string, diags *diag.Diagnostics) bool {
	rec, err := r.backend.GetPipeline(ctx, name)
	if err != nil {
		addBackendError(diags, "read", fmt.Sprintf("pipeline %q", name), err)
		return false
	}
	facts, err := r.backend.Facts(ctx, rec.Definition)
	if err != nil {
		addBackendError(diags, "read the facts for", fmt.Sprintf("pipeline %q", name), err)
		return false
	}
	var errs []pipeline.Finding
	for _, f := range pipeline.ValidateWith(pipeline.Input{Pipeline: rec.Definition, Facts: facts}, pipeline.Options{At: pipeline.AtRun}) {
		if f.Severity == pipeline.SeverityError {
			errs = append(errs, f)
		}
	}
	// The findings concern the pipeline, not this resource: report them without an attribute.
	for _, f := range errs {
		diags.AddError(f.Summary(), fmt.Sprintf("Pipeline %q cannot run as the backend stands: at %s: %s", name, f.Path, f.Detail()))
	}
	return len(errs) == 0
}

// addRunFailure fails the apply with the failing stage, action and error, and what tells more:
// the end of the action's log where the backend keeps logs, the action's page in the service
// that ran it (a CodeBuild build) where there is one.
func addRunFailure(ctx context.Context, diags *diag.Diagnostics, cfg backend.Config, b backend.Backend, run *backend.Run) {
	stage, action := run.Failed()
	if action == nil {
		diags.AddError(fmt.Sprintf("Pipeline Run %s", run.Status),
			fmt.Sprintf("Run %s of pipeline %q ended %s: %s", run.ID, run.Pipeline, run.Status, run.StatusReason))
		return
	}
	detail := fmt.Sprintf("Run %s of pipeline %q failed at stage %q, action %q:\n%s", run.ID, run.Pipeline, stage.Name, action.Name, action.Error)
	if action.ExternalURL != "" {
		detail += "\n\nThe action's execution: " + action.ExternalURL
	}
	if logs, err := backend.ActionLogsOf(b); err == nil {
		if log, err := logs.ActionLog(ctx, run.Pipeline, run.ID, stage.Name, action.Name); err == nil && len(log) > 0 {
			detail += "\n\nLast lines of the action's log:\n" + lastLines(string(log), logTailLines)
		}
		detail += fmt.Sprintf("\n\nThe run is kept; `%s` shows the whole log, from any directory. The next apply starts a new run.",
			cliCommand(cfg, "runs", "logs", run.Pipeline, run.ID, stage.Name, action.Name))
	} else {
		detail += fmt.Sprintf("\n\nThe run is kept; `%s` shows it, from any directory. The next apply starts a new run.",
			cliCommand(cfg, "runs", "show", run.Pipeline, run.ID))
	}
	diags.AddError("Pipeline Run Failed", detail)
}

// cliCommand is the codepipeline CLI command line that acts on cfg's backend, account and
// region, whatever directory it is run from: the flags are exact, never left to discovery.
func cliCommand(cfg backend.Config, args ...string) string {
	words := append([]string{"codepipeline"}, args...)
	if cfg.Kind == backend.KindAWS {
		words = append(words, "-backend", backend.KindAWS)
		if cfg.AWS.Profile != "" {
			words = append(words, "-profile", cfg.AWS.Profile)
		}
		words = append(words, "-account", cfg.AccountID, "-region", cfg.Region)
	} else {
		words = append(words, "-state-dir", cfg.StateDir)
		if cfg.AccountID != backend.DefaultAccountID {
			words = append(words, "-account", cfg.AccountID)
		}
		if cfg.Region != backend.DefaultRegion {
			words = append(words, "-region", cfg.Region)
		}
	}
	for i, w := range words {
		words[i] = shellQuote(w)
	}
	return strings.Join(words, " ")
}

// shellQuote quotes w for a POSIX shell when it needs it.
func shellQuote(w string) string {
	if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@=+,") == "" {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (r *runResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	runner := r.runner(&resp.Diagnostics)
	if runner == nil {
		return
	}
	var m runResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	run, err := runner.GetRun(ctx, m.Pipeline.ValueString(), m.ID.ValueString())
	if errors.Is(err, backend.ErrNotFound) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addBackendError(&resp.Diagnostics, "read", fmt.Sprintf("run %q", m.ID.ValueString()), err)
		return
	}
	resp.Diagnostics.Append(m.fromDomain(ctx, run)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Update changes only wait and timeouts, which concern future creates: nothing to do.
func (r *runResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m runResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Delete forgets the run: executions are history. A run still in progress is left running.
func (r *runResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

// ImportState accepts PIPELINE/EXECUTION_ID.
func (r *runResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	pipelineName, id, ok := strings.Cut(req.ID, "/")
	if !ok || pipelineName == "" || id == "" {
		resp.Diagnostics.AddError("Invalid Import ID", fmt.Sprintf("%q is not PIPELINE/EXECUTION_ID.", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("pipeline"), pipelineName)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("wait"), true)...)
}
