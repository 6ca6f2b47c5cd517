package local

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/artifact"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Glue to internal/runner (artifact packing, variables, process control).

var errRunnerPending = errors.New("variables are not wired yet")

// unzipArtifact unpacks an artifact, refusing what would escape dir (zip-slip, symlinks).
func unzipArtifact(zipPath, dir string) error {
	_, err := artifact.UnzipFile(zipPath, dir, artifact.DefaultLimits)
	return err
}

// zipArtifact packs a whole directory as an artifact.
func zipArtifact(dir, zipPath string) (err error) {
	f, err := os.Create(zipPath)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = artifact.Zip(f, dir, nil, artifact.Options{})
	return err
}

// resolveConfiguration is the action's configuration with variables resolved.
func (x *executor) resolveConfiguration(a pipeline.Action) (map[string]string, error) {
	for _, v := range a.Configuration {
		if strings.Contains(v, "#{") {
			return nil, fmt.Errorf("variables: %w", errRunnerPending)
		}
	}
	return a.Configuration, nil
}
