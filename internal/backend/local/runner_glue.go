package local

import (
	"os"
	"path/filepath"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/artifact"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/buildspec"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/variables"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Glue to internal/runner: artifact packing and variable resolution.

// unzipArtifact unpacks an artifact, refusing what would escape dir (zip-slip, symlinks).
func unzipArtifact(zipPath, dir string) error {
	_, err := artifact.UnzipFile(zipPath, dir, artifact.DefaultLimits)
	return err
}

// zipArtifact packs a whole directory as an artifact.
func zipArtifact(dir, zipPath string) error { return writeZip(zipPath, dir, nil) }

// zipSelection packs the files a buildspec selected.
func zipSelection(sel *buildspec.Output, zipPath string) error {
	return writeZip(zipPath, sel.Dir, sel.Entries)
}

func writeZip(zipPath, dir string, entries []artifact.Entry) (err error) {
	if err := os.MkdirAll(filepath.Dir(zipPath), 0o700); err != nil {
		return err
	}
	f, err := os.Create(zipPath)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = artifact.Zip(f, dir, entries, artifact.Options{})
	return err
}

// resolveConfiguration is the action's configuration with #{variables.x},
// #{codepipeline.PipelineExecutionId} and #{Namespace.Variable} resolved: the run's variables
// and the output variables of the actions of this run that declared a namespace.
func (x *executor) resolveConfiguration(a pipeline.Action) (map[string]string, error) {
	values := variables.Values{
		"variables":    x.run.Variables,
		"codepipeline": {"PipelineExecutionId": x.run.ID},
	}
	x.mu.Lock()
	for si, st := range x.def.Stages {
		for j, act := range st.Actions {
			if act.Namespace != "" && x.run.Stages[si].Actions[j].Status == backend.StatusSucceeded {
				values[act.Namespace] = x.run.Stages[si].Actions[j].OutputVariables
			}
		}
	}
	x.mu.Unlock()
	return variables.Resolve(a.Configuration, values.Lookup)
}
