package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/proc"
)

func init() {
	registerProvider(pipeline.CategoryInvoke, pipeline.OwnerAWS, "Lambda", runLambda)
}

// lambdaJob is what a local Invoke/Lambda handler reads on stdin: the shape of CodePipeline's
// job event, with local paths where Lambda would get S3 locations.
type lambdaJob struct {
	Job struct {
		ID   string `json:"id"`
		Data struct {
			ActionConfiguration struct {
				Configuration map[string]string `json:"configuration"`
			} `json:"actionConfiguration"`
			InputArtifacts  []lambdaArtifact `json:"inputArtifacts"`
			OutputArtifacts []lambdaArtifact `json:"outputArtifacts"`
		} `json:"data"`
	} `json:"CodePipeline.job"`
	// ResultFile is where the handler may write {"summary": "...", "outputVariables": {...}}.
	ResultFile string `json:"resultFile"`
}

type lambdaArtifact struct {
	Name string `json:"name"`
	// Path is the unpacked input, or the directory whose content becomes the output.
	Path string `json:"path"`
}

type lambdaResult struct {
	Summary         string            `json:"summary"`
	OutputVariables map[string]string `json:"outputVariables"`
}

// runLambda runs the handler named by FunctionName: an executable under the functions
// directory (or an absolute path). It gets the job as JSON on stdin; exit 0 is success.
func runLambda(ctx context.Context, job *actionJob) (*providerResult, error) {
	name := job.action.Configuration["FunctionName"]
	handler := name
	if !filepath.IsAbs(handler) {
		if strings.Contains(name, "..") {
			return nil, fmt.Errorf("function %q leaves the functions directory", name)
		}
		handler = filepath.Join(job.x.dirs.functions, name)
	}
	if st, err := os.Stat(handler); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("function %q: no executable handler at %s (put one there, or set functions_dir)", name, handler)
	}
	var in lambdaJob
	in.Job.ID = job.x.run.ID + "/" + job.stage + "/" + job.action.Name
	in.Job.Data.ActionConfiguration.Configuration = job.action.Configuration
	for _, n := range job.action.InputArtifacts {
		in.Job.Data.InputArtifacts = append(in.Job.Data.InputArtifacts, lambdaArtifact{Name: n, Path: job.inputs[n]})
	}
	outputs := map[string]actionOutput{}
	for _, n := range job.action.OutputArtifacts {
		dir := filepath.Join(job.workDir, "outputs", n)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		in.Job.Data.OutputArtifacts = append(in.Job.Data.OutputArtifacts, lambdaArtifact{Name: n, Path: dir})
		outputs[n] = actionOutput{dir: dir}
	}
	in.ResultFile = filepath.Join(job.workDir, "result.json")
	stdin, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	res, err := proc.Run(ctx, job.isolate(proc.Command{Path: handler, Dir: job.workDir, Stdin: bytes.NewReader(stdin),
		Stdout: job.log, Stderr: job.log, OnStart: job.trackProcess}))
	if err != nil {
		return nil, fmt.Errorf("function %s: %w", name, err)
	}
	if !res.Success() {
		return nil, fmt.Errorf("function %s failed (exit status %d)", name, res.ExitCode)
	}
	var out lambdaResult
	if b, err := os.ReadFile(in.ResultFile); err == nil {
		if err := json.Unmarshal(b, &out); err != nil {
			return nil, fmt.Errorf("function %s wrote an unreadable result file: %w", name, err)
		}
	}
	if out.Summary == "" {
		out.Summary = "function " + name + " succeeded"
	}
	return &providerResult{outputs: outputs, variables: out.OutputVariables, summary: out.Summary}, nil
}
