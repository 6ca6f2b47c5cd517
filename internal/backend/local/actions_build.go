package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
// primary source. The primary artifact becomes the first output artifact; secondary artifacts
// become the output artifacts of the same name.
func runCodeBuild(ctx context.Context, job *actionJob) (*providerResult, error) {
	cfg := job.action.Configuration
	primary, secondary, err := buildSources(job)
	if err != nil {
		return nil, err
	}
	spec, err := loadBuildspec(cfg["BuildSpec"], primary)
	if err != nil {
		return nil, err
	}
	vars, err := codeBuildEnvironment(cfg["EnvironmentVariables"])
	if err != nil {
		return nil, err
	}
	return runBuild(ctx, job, spec, primary, secondary, vars)
}

// runCommands runs the Commands configuration (one command per line) as the build phase of a
// buildspec in the primary input's directory. Its output artifact holds the files matching
// OutputPaths (comma- or line-separated patterns, default everything) after the commands ran.
func runCommands(ctx context.Context, job *actionJob) (*providerResult, error) {
	cfg := job.action.Configuration
	primary, secondary, err := buildSources(job)
	if err != nil {
		return nil, err
	}
	spec := &buildspec.Spec{Version: "0.2", Shell: "bash", Phases: map[buildspec.PhaseName]*buildspec.Phase{
		buildspec.Build: {Commands: splitList(cfg["Commands"], "\n")},
	}}
	if len(job.action.OutputArtifacts) > 0 {
		files := splitList(cfg["OutputPaths"], ",\n")
		if len(files) == 0 {
			files = []string{"**/*"}
		}
		spec.Artifacts = &buildspec.ArtifactSpec{Files: files}
	}
	return runBuild(ctx, job, spec, primary, secondary, nil)
}

// buildSources returns the primary input's directory (PrimarySource when there are several
// inputs) and the others by artifact name, the identifiers CodeBuild gives them.
func buildSources(job *actionJob) (string, map[string]string, error) {
	inputs := job.action.InputArtifacts
	if len(inputs) == 0 {
		return "", nil, errors.New("the action has no input artifact")
	}
	primaryName := inputs[0]
	if len(inputs) > 1 {
		primaryName = job.action.Configuration["PrimarySource"]
	}
	primary, ok := job.inputs[primaryName]
	if !ok {
		return "", nil, fmt.Errorf("PrimarySource %q is not an input artifact of the action", primaryName)
	}
	secondary := map[string]string{}
	for _, name := range inputs {
		if name != primaryName {
			secondary[name] = job.inputs[name]
		}
	}
	return primary, secondary, nil
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
// {name, value, type}); only PLAINTEXT values exist locally.
func codeBuildEnvironment(value string) (map[string]string, error) {
	if value == "" {
		return nil, nil
	}
	var list []struct {
		Name, Value, Type string
	}
	if err := json.Unmarshal([]byte(value), &list); err != nil {
		return nil, fmt.Errorf("EnvironmentVariables is not a JSON list of {name, value, type}: %w", err)
	}
	vars := map[string]string{}
	for _, v := range list {
		if v.Type != "" && v.Type != "PLAINTEXT" {
			return nil, fmt.Errorf("environment variable %s: type %s is not available on the local backend (only PLAINTEXT)", v.Name, v.Type)
		}
		vars[v.Name] = v.Value
	}
	return vars, nil
}

// runBuild runs spec and maps its artifacts to the action's output artifacts.
func runBuild(ctx context.Context, job *actionJob, spec *buildspec.Spec, primary string, secondary, vars map[string]string) (*providerResult, error) {
	res, err := buildspec.Run(ctx, spec, buildspec.Env{
		PrimarySourceDir: primary, SecondarySourceDirs: secondary, Vars: vars,
		Stdout: job.log, Stderr: job.log, OnProcess: job.trackProcess, TempDir: job.workDir, Wrap: job.isolate,
	})
	if err != nil {
		return nil, err
	}
	if !res.Succeeded {
		return nil, fmt.Errorf("build failed: %s", res.Failure())
	}
	out := &providerResult{outputs: map[string]actionOutput{}, variables: res.ExportedVariables, summary: "build succeeded"}
	if len(job.action.OutputArtifacts) == 0 {
		return out, nil
	}
	arts, err := buildspec.CollectArtifacts(spec, primary)
	if err != nil {
		return nil, err
	}
	for i, name := range job.action.OutputArtifacts {
		sel := arts.Secondary[name]
		if i == 0 && arts.Primary != nil {
			sel = arts.Primary
		}
		if sel == nil {
			return nil, fmt.Errorf("the buildspec declares no artifact for output artifact %q (add artifacts, or secondary-artifacts with identifier %s)", name, name)
		}
		out.outputs[name] = actionOutput{dir: sel.Dir, entries: sel.Entries}
	}
	return out, nil
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
