package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/buildspec"
)

func init() {
	registerProvider(pipeline.CategoryBuild, pipeline.OwnerAWS, "CodeBuild", runCodeBuild)
	registerProvider(pipeline.CategoryTest, pipeline.OwnerAWS, "CodeBuild", runCodeBuild)
	registerProvider(pipeline.CategoryBuild, pipeline.OwnerAWS, "Commands", runCommands)
	registerProvider(pipeline.CategoryCompute, pipeline.OwnerAWS, "Commands", runCommands)
}

// defaultBuildspec is the file CodeBuild reads from the primary source when no buildspec is
// given.
const defaultBuildspec = "buildspec.yml"

// runCodeBuild runs a buildspec (version 0.2) in the primary input's directory: the BuildSpec
// configuration value (inline YAML, or a path in the primary source), else buildspec.yml of the
// primary source. With one output artifact, the buildspec's artifacts section is its content;
// with several, each output artifact is the secondary artifact of the same identifier (the
// CodeBuild action reference). With BatchEnabled, the buildspec's batch runs (runBatch).
func runCodeBuild(ctx context.Context, job *actionJob) (*providerResult, error) {
	cfg := job.action.Configuration
	primary, _, err := buildSources(job)
	if err != nil {
		return nil, err
	}
	spec, err := loadBuildspec(cfg["BuildSpec"], primary)
	if err != nil {
		return nil, err
	}
	vars, secretVars, err := codeBuildEnvironment(cfg["EnvironmentVariables"])
	if err != nil {
		return nil, err
	}
	batch, combine, err := batchSettings(cfg)
	if err != nil {
		return nil, err
	}
	cb := &codeBuild{job: job, project: cfg["ProjectName"], vars: vars, secretVars: secretVars}
	if batch {
		return cb.runBatch(ctx, spec, combine)
	}
	var extra []string
	if spec.Batch != nil {
		extra = append(extra, "batch: ignored: the action's BatchEnabled is not \"true\", so the buildspec runs as one build")
	}
	b, err := cb.build(ctx, spec, buildOpts{warnings: extra})
	if err != nil || !b.res.Succeeded {
		return cb.failed(b, err)
	}
	out, err := cb.outputs(b)
	if err != nil {
		return cb.failed(b, err)
	}
	return &providerResult{outputs: out, variables: b.res.ExportedVariables, summary: cb.summary("build succeeded", b)}, nil
}

// runCommands runs the action's commands (its commands list, or the lines of the deprecated
// Commands configuration key) as the build phase of a buildspec in the primary input's
// directory; its output_variables are the build's exported variables. Its output artifact
// holds the files matching OutputPaths (comma- or line-separated patterns, default everything)
// after the commands ran.
func runCommands(ctx context.Context, job *actionJob) (*providerResult, error) {
	cfg := job.action.Configuration
	spec := &buildspec.Spec{Version: "0.2", Shell: "bash", HasPhases: true, Phases: map[buildspec.PhaseName]*buildspec.Phase{
		buildspec.Build: {Commands: pipeline.ActionCommands(&job.action)},
	}, ExportedVariables: job.action.OutputVariables}
	if len(job.action.OutputArtifacts) > 0 {
		files := splitList(cfg["OutputPaths"], ",\n")
		if len(files) == 0 {
			files = []string{"**/*"}
		}
		spec.Artifacts = &buildspec.ArtifactSpec{Files: files}
	}
	cb := &codeBuild{job: job}
	b, err := cb.build(ctx, spec, buildOpts{})
	if err != nil || !b.res.Succeeded {
		return cb.failed(b, err)
	}
	out, err := cb.outputs(b)
	if err != nil {
		return cb.failed(b, err)
	}
	return &providerResult{outputs: out, variables: b.res.ExportedVariables, summary: cb.summary("build succeeded", b)}, nil
}

// codeBuild is one CodeBuild (or Commands) action being executed.
type codeBuild struct {
	job *actionJob
	// project is the ProjectName (empty for a Commands action): it names the builds.
	project    string
	vars       map[string]string
	secretVars []buildspec.SecretVar
}

// builtBuild is one build that ran: its result, its artifacts and reports, and its warnings.
type builtBuild struct {
	id        string // batch build identifier, "" for a single build
	dirs      buildspec.Dirs
	res       *buildspec.Result
	artifacts *buildspec.Artifacts
	reports   []*buildspec.Report
	warnings  []string
}

// buildOpts are a build's own settings.
type buildOpts struct {
	batchID  string            // CODEBUILD_BATCH_BUILD_IDENTIFIER, "" outside a batch
	vars     map[string]string // a batch build's env.variables, over the action's
	log      io.Writer         // nil: the action's log
	dirs     *buildspec.Dirs   // nil: the action's input directories
	warnings []string          // more warnings to show
}

// build runs one build of spec: warnings first, then the phases, then (once the build reached
// UPLOAD_ARTIFACTS) its artifacts and reports. A build that fails returns its outcome too.
func (cb *codeBuild) build(ctx context.Context, spec *buildspec.Spec, o buildOpts) (*builtBuild, error) {
	job := cb.job
	log := o.log
	if log == nil {
		log = job.log
	}
	b := &builtBuild{id: o.batchID, warnings: append(append([]string(nil), spec.Warnings...), o.warnings...)}
	for _, w := range b.warnings {
		fmt.Fprintf(log, "[Container] Warning: %s\n", w)
	}
	if o.dirs != nil {
		b.dirs = *o.dirs
	} else {
		var err error
		if b.dirs, err = cb.stageInputs(ctx, spec, ""); err != nil {
			return b, err
		}
	}
	vars := map[string]string{}
	for k, v := range cb.vars {
		vars[k] = v
	}
	for k, v := range o.vars {
		vars[k] = v
	}
	builtin, err := cb.builtinVariables(ctx, b.dirs, o.batchID)
	if err != nil {
		return b, err
	}
	res, err := buildspec.Run(ctx, spec, buildspec.Env{
		PrimarySourceDir: b.dirs.Primary, SecondarySourceDirs: b.dirs.Secondary, Vars: vars,
		SecretVars: cb.secretVars, Secrets: job.x.a.secretResolver(), Builtin: builtin,
		Stdout: log, Stderr: log, OnProcess: job.trackProcessOf(o.batchID), TempDir: job.workDir, Wrap: job.isolate,
	})
	b.res = res
	if err != nil {
		return b, err
	}
	for _, w := range res.Warnings[len(spec.Warnings):] {
		b.warnings = append(b.warnings, w)
		fmt.Fprintf(log, "[Container] Warning: %s\n", w)
	}
	if res.Expanded == nil {
		return b, nil
	}
	b.reports = buildspec.CollectReports(res.Expanded, b.dirs)
	for _, r := range b.reports {
		fmt.Fprintf(log, "[Container] %s\n", r)
		if r.Tests != nil {
			for _, f := range r.Tests.Failures {
				fmt.Fprintf(log, "[Container]   failed: %s\n", f)
			}
		}
		for _, w := range r.Warnings {
			b.warnings = append(b.warnings, w)
			fmt.Fprintf(log, "[Container] Warning: %s\n", w)
		}
	}
	if res.Succeeded {
		b.artifacts, err = buildspec.CollectArtifacts(res.Expanded, b.dirs)
		if err != nil {
			return b, err
		}
		for _, o := range allOutputs(b.artifacts) {
			for _, w := range o.Warnings {
				b.warnings = append(b.warnings, w)
				fmt.Fprintf(log, "[Container] Warning: %s\n", w)
			}
		}
	}
	return b, nil
}

func allOutputs(a *buildspec.Artifacts) []*buildspec.Output {
	var out []*buildspec.Output
	if a == nil {
		return nil
	}
	if a.Primary != nil {
		out = append(out, a.Primary)
	}
	for _, k := range sortedStrings(a.Secondary) {
		out = append(out, a.Secondary[k])
	}
	return out
}

func sortedStrings[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// failed is the result of a failed build: the error, with the summary (warnings, reports)
// kept for the run's record.
func (cb *codeBuild) failed(b *builtBuild, err error) (*providerResult, error) {
	if b == nil {
		return nil, err
	}
	if err == nil {
		err = fmt.Errorf("build failed: %s", b.res.Failure())
	}
	return &providerResult{summary: cb.failedSummary("build failed", b)}, err
}

// failedSummary is a failed action's summary: empty unless it says more than the error does
// (reports, warnings).
func (cb *codeBuild) failedSummary(outcome string, builds ...*builtBuild) string {
	if s := cb.summary(outcome, builds...); s != outcome {
		return s
	}
	return ""
}

// summary is the action's one-line summary: the outcome, the reports, and the settings that
// had no local effect (each named by its field; the log has the whole warnings).
func (cb *codeBuild) summary(outcome string, builds ...*builtBuild) string {
	parts := []string{outcome}
	var fields []string
	seen := map[string]bool{}
	for _, b := range builds {
		if b == nil {
			continue
		}
		for _, r := range b.reports {
			s := strings.TrimPrefix(r.String(), "report ")
			if b.id != "" {
				s = b.id + ": " + s
			}
			parts = append(parts, s)
		}
		for _, w := range b.warnings {
			f, _, _ := strings.Cut(w, ": ")
			if !seen[f] {
				seen[f] = true
				fields = append(fields, f)
			}
		}
	}
	if len(fields) > 0 {
		parts = append(parts, "warnings about "+strings.Join(fields, ", ")+" (see the log)")
	}
	return strings.Join(parts, "; ")
}

// outputs maps a single build's artifacts to the action's output artifacts: one output is
// the primary artifact (the artifacts section); several are each the secondary artifact of
// the same identifier, the primary artifact then going nowhere, as in CodePipeline.
func (cb *codeBuild) outputs(b *builtBuild) (map[string]actionOutput, error) {
	names := cb.job.action.OutputArtifacts
	out := map[string]actionOutput{}
	if len(names) == 0 {
		return out, nil
	}
	arts := b.artifacts
	if arts == nil {
		arts = &buildspec.Artifacts{}
	}
	if len(names) == 1 {
		if arts.Primary == nil {
			return nil, fmt.Errorf("the buildspec has no artifacts section for output artifact %q: with one output artifact, artifacts.files selects its content", names[0])
		}
		out[names[0]] = actionOutput{dir: arts.Primary.Dir, entries: arts.Primary.Entries}
		return out, nil
	}
	for _, name := range names {
		sel := arts.Secondary[name]
		if sel == nil {
			return nil, fmt.Errorf("the buildspec has no secondary artifact %q: with several output artifacts, each is the artifacts.secondary-artifacts entry of the same identifier", name)
		}
		out[name] = actionOutput{dir: sel.Dir, entries: sel.Entries}
	}
	return out, nil
}

// buildSources returns the primary input's name (PrimarySource when there are several inputs).
func buildSources(job *actionJob) (string, []string, error) {
	inputs := job.action.InputArtifacts
	if len(inputs) == 0 {
		return "", nil, errors.New("the action has no input artifact")
	}
	primaryName := inputs[0]
	if len(inputs) > 1 {
		primaryName = job.action.Configuration["PrimarySource"]
	}
	if _, ok := job.inputs[primaryName]; !ok {
		return "", nil, fmt.Errorf("PrimarySource %q is not an input artifact of the action", primaryName)
	}
	var secondary []string
	for _, name := range inputs {
		if name != primaryName {
			secondary = append(secondary, name)
		}
	}
	return job.inputs[primaryName], secondary, nil
}

// stageInputs gives a build its input directories. A single build that runs as the user
// running the build uses the action's workspace as it is. Each build of a batch gets its own
// copies (as each CodeBuild build downloads its sources), unpacked again from the store under
// the workspace's sub directory. A build that runs commands as another user (run-as) gets its
// copies in a directory of its own under the system's temporary directory, removed when the
// action ends: that user cannot enter the private state directory the workspace lies in.
func (cb *codeBuild) stageInputs(ctx context.Context, spec *buildspec.Spec, sub string) (buildspec.Dirs, error) {
	job := cb.job
	primaryName := job.action.InputArtifacts[0]
	if len(job.action.InputArtifacts) > 1 {
		primaryName = job.action.Configuration["PrimarySource"]
	}
	dirsOf := func(paths map[string]string) buildspec.Dirs {
		d := buildspec.Dirs{Primary: paths[primaryName], Secondary: map[string]string{}}
		for name, p := range paths {
			if name != primaryName {
				d.Secondary[name] = p
			}
		}
		return d
	}
	switches, err := buildspec.SwitchesUser(spec)
	if err != nil {
		return buildspec.Dirs{}, err
	}
	if !switches && sub == "" {
		return dirsOf(job.inputs), nil
	}
	root := filepath.Join(job.workDir, sub)
	if switches {
		if root, err = os.MkdirTemp("", "codebuild-run-as-"); err != nil {
			return buildspec.Dirs{}, err
		}
		job.atEnd = append(job.atEnd, func() { _ = os.RemoveAll(root) })
	}
	paths := map[string]string{}
	for _, name := range job.action.InputArtifacts {
		dir := filepath.Join(root, "inputs", name)
		if err := job.x.a.unpackArtifact(ctx, job.principal, job.inputRefs[name], dir); err != nil {
			return buildspec.Dirs{}, err
		}
		paths[name] = dir
	}
	if switches {
		// The run-as user owns the inputs (the runner grants them); it must be able to reach them.
		for _, d := range []string{root, filepath.Join(root, "inputs")} {
			if err := os.Chmod(d, 0o711); err != nil {
				return buildspec.Dirs{}, err
			}
		}
	}
	return dirsOf(paths), nil
}

// loadBuildspec reads the buildspec: value is inline YAML, or a path in the primary source,
// or empty for buildspec.yml there.
func loadBuildspec(value, primary string) (*buildspec.Spec, error) {
	data := []byte(value)
	source := "the BuildSpec configuration"
	if !strings.Contains(value, "\n") {
		name := value
		if name == "" {
			name = defaultBuildspec
		}
		clean := filepath.Clean(name)
		if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return nil, fmt.Errorf("buildspec %q is outside the primary source", name)
		}
		var err error
		if data, err = os.ReadFile(filepath.Join(primary, clean)); err != nil {
			return nil, fmt.Errorf("no buildspec: %s is not in the primary source (add it, or set BuildSpec)", name)
		}
		source = name
	}
	spec, err := buildspec.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return spec, nil
}

// codeBuildEnvironment reads a CodeBuild action's EnvironmentVariables (a JSON list of
// {name, value, type}): PLAINTEXT values, and the PARAMETER_STORE and SECRETS_MANAGER ones the
// build reads through its secret resolver.
func codeBuildEnvironment(value string) (map[string]string, []buildspec.SecretVar, error) {
	if value == "" {
		return nil, nil, nil
	}
	var list []struct {
		Name, Value, Type string
	}
	if err := json.Unmarshal([]byte(value), &list); err != nil {
		return nil, nil, fmt.Errorf("EnvironmentVariables is not a JSON list of {name, value, type}: %w", err)
	}
	vars := map[string]string{}
	var secrets []buildspec.SecretVar
	for _, v := range list {
		switch kind := buildspec.SecretKind(v.Type); kind {
		case "", "PLAINTEXT":
			vars[v.Name] = v.Value
		case buildspec.ParameterStore, buildspec.SecretsManager:
			secrets = append(secrets, buildspec.SecretVar{Name: v.Name, Kind: kind, Ref: v.Value,
				Origin: fmt.Sprintf("EnvironmentVariables %s (%s)", v.Name, v.Type)})
		default:
			return nil, nil, fmt.Errorf("environment variable %s: type %q is not PLAINTEXT, PARAMETER_STORE or SECRETS_MANAGER", v.Name, v.Type)
		}
	}
	return vars, secrets, nil
}

// batchSettings reads BatchEnabled and CombineArtifacts ("true" or "false", any case).
func batchSettings(cfg map[string]string) (batch, combine bool, err error) {
	read := func(key string) (bool, error) {
		switch strings.ToLower(cfg[key]) {
		case "", "false":
			return false, nil
		case "true":
			return true, nil
		}
		return false, fmt.Errorf("%s is %q: it must be \"true\" or \"false\"", key, cfg[key])
	}
	if batch, err = read("BatchEnabled"); err != nil {
		return false, false, err
	}
	if combine, err = read("CombineArtifacts"); err != nil {
		return false, false, err
	}
	if combine && !batch {
		return false, false, errors.New("CombineArtifacts is \"true\" but BatchEnabled is not: combining artifacts needs a batch build")
	}
	return batch, combine, nil
}

// builtinVariables are the build environment variables of CodeBuild's build environment
// reference that mean something here. A CodePipeline-started build sets no
// CODEBUILD_WEBHOOK_* (those come from CodeBuild's own webhooks), so none is set here either.
func (cb *codeBuild) builtinVariables(ctx context.Context, dirs buildspec.Dirs, batchID string) (map[string]string, error) {
	job := cb.job
	x := job.x
	region := job.action.Region
	if region == "" {
		region = x.a.id.Region
	}
	vars := map[string]string{"AWS_REGION": region, "AWS_DEFAULT_REGION": region}
	buildUUID := newUUID()
	// With the AWS endpoint of `serve` running, the build acts as its role there, in the
	// session CodeBuild's own would have.
	creds, err := x.roleCredentials(ctx, job.principal, "AWSCodeBuild-"+buildUUID)
	if err != nil {
		return nil, err
	}
	for k, v := range creds {
		vars[k] = v
	}
	if cb.project == "" {
		return vars, nil // a Commands action: no CodeBuild project
	}
	number, err := x.a.nextBuildNumber(ctx, region, cb.project)
	if err != nil {
		return nil, err
	}
	buildID := cb.project + ":" + buildUUID
	vars["CODEBUILD_BUILD_ID"] = buildID
	vars["CODEBUILD_BUILD_ARN"] = arn.Build(region, x.a.id.AccountID, buildID)
	vars["CODEBUILD_BUILD_NUMBER"] = strconv.FormatInt(number, 10)
	vars["CODEBUILD_INITIATOR"] = "codepipeline/" + x.def.Name
	vars["CODEBUILD_BUILD_IMAGE"] = "local"
	vars["CODEBUILD_LOG_PATH"] = buildUUID
	vars["CODEBUILD_START_TIME"] = strconv.FormatInt(x.a.c.now().UnixMilli(), 10)
	if batchID != "" {
		vars["CODEBUILD_BATCH_BUILD_IDENTIFIER"] = batchID
	}
	vars["CODEBUILD_KMS_KEY_ID"] = managedS3Alias
	if store, err := x.storeFor(&job.action); err == nil && store.EncryptionKey != nil {
		vars["CODEBUILD_KMS_KEY_ID"] = store.EncryptionKey.ID
	}
	// The sources come from CodePipeline: CODEBUILD_SOURCE_VERSION is the input artifact's
	// object, CODEBUILD_RESOLVED_SOURCE_VERSION the revision of the source action behind it.
	for _, name := range job.action.InputArtifacts {
		suffix := ""
		if dirs.Secondary[name] != "" {
			suffix = "_" + name
		}
		ref := job.inputRefs[name]
		vars["CODEBUILD_SOURCE_VERSION"+suffix] = arn.PartitionOf(region).Object(ref.Bucket, ref.Key)
		vars["CODEBUILD_SOURCE_REPO_URL"+suffix] = "s3://" + ref.Bucket + "/" + ref.Key
		if suffix == "" {
			if rev := x.sourceRevision(name); rev != "" {
				vars["CODEBUILD_RESOLVED_SOURCE_VERSION"] = rev
			}
		}
	}
	return vars, nil
}

// secretResolver reads the secret variables of builds (env.parameter-store,
// env.secrets-manager, PARAMETER_STORE and SECRETS_MANAGER environment variables) from the
// parameter and secret store of the pipeline's account and region (secrets.go); buildspec
// masks the values in the build's log.
func (a *Account) secretResolver() buildspec.SecretResolver { return accountSecrets{a} }

// accountSecrets is buildspec.SecretResolver over an account's store.
type accountSecrets struct{ a *Account }

func (s accountSecrets) Parameter(ctx context.Context, name string) (string, error) {
	p, err := s.a.GetParameter(ctx, name)
	if err != nil {
		return "", err
	}
	return p.Value, nil
}

func (s accountSecrets) Secret(ctx context.Context, id, versionStage, versionID string) (string, error) {
	v, err := s.a.GetSecretValue(ctx, id, versionStage, versionID)
	if err != nil {
		return "", err
	}
	return v.Value, nil
}

// sourceRevision is the revision a source action of this run produced the artifact from: its
// commit, or its object version; "" when the artifact is not a source action's output.
func (x *executor) sourceRevision(artifact string) string {
	x.mu.Lock()
	defer x.mu.Unlock()
	for si, st := range x.def.Stages {
		for j, act := range st.Actions {
			if act.Category != pipeline.CategorySource {
				continue
			}
			for _, o := range act.OutputArtifacts {
				if o != artifact {
					continue
				}
				vars := x.run.Stages[si].Actions[j].OutputVariables
				if c := vars["CommitId"]; c != "" {
					return c
				}
				return vars["VersionId"]
			}
		}
	}
	return ""
}

// nextBuildNumber gives the next CODEBUILD_BUILD_NUMBER of a project: 1, 2, 3, … per account,
// region and project, never reused.
func (a *Account) nextBuildNumber(ctx context.Context, region, project string) (int64, error) {
	var n int64
	err := a.c.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO codebuild_build_numbers (account_id, region, project, last_number) VALUES (?, ?, ?, 1)
			ON CONFLICT (account_id, region, project) DO UPDATE SET last_number = last_number + 1
			RETURNING last_number`, a.id.AccountID, region, project).Scan(&n)
	})
	return n, err
}

// splitList splits on any of seps and drops blanks.
func splitList(s, seps string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
