package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/artifact"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/variables"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Glue to internal/runner: artifact packing and variable resolution.

// ArtifactCompressionEnv names the environment variable that sets how output artifacts are
// zipped: "none" (stored, the default), "fast" (deflate, best speed) or "best" (deflate, best
// compression). Artifacts stay on this machine's disk, where compressing costs far more time
// than it saves (deflate runs at a few hundred MB/s, a stored zip at the speed of the disk);
// "fast" trades that time for disk space. Every zip reader reads all three.
const ArtifactCompressionEnv = "CODEPIPELINE_ARTIFACT_COMPRESSION"

var compressionNames = map[string]artifact.Compression{
	"none": artifact.CompressNone,
	"fast": artifact.CompressFast,
	"best": artifact.CompressBest,
}

// artifactCompression is the configured compression: the option, else the environment.
func artifactCompression(opt *artifact.Compression) (artifact.Compression, error) {
	if opt != nil {
		return *opt, nil
	}
	v := os.Getenv(ArtifactCompressionEnv)
	if v == "" {
		return artifact.CompressNone, nil
	}
	c, ok := compressionNames[strings.ToLower(v)]
	if !ok {
		return 0, fmt.Errorf("local backend: %s=%q: it must be none, fast or best: %w", ArtifactCompressionEnv, v, backend.ErrInvalid)
	}
	return c, nil
}

// unpackArtifact unpacks an input artifact version into dir straight from the store (read in
// place, decrypted as the zip reader goes), refusing what would escape dir (zip-slip, symlinks).
func (a *Account) unpackArtifact(ctx context.Context, principal string, ref backend.ArtifactRef, dir string) error {
	body, _, err := a.openObject(ctx, principal, ref.Bucket, ref.Key, ref.VersionID)
	if err != nil {
		return fmt.Errorf("reading input artifact %q: %w", ref.Name, err)
	}
	defer body.Close()
	if _, err = artifact.Unzip(ctx, body, body.Size(), dir, artifact.DefaultLimits); err != nil {
		return fmt.Errorf("unpacking input artifact %q: %w", ref.Name, err)
	}
	return nil
}

// packArtifact streams the zip of an output into put as it is written (no zip file on disk):
// the zipping and the encryption run side by side. A zip error wins over put's.
func (c *Cloud) packArtifact(o actionOutput, put func(io.Reader) error) error {
	pr, pw := io.Pipe()
	zipped := make(chan error, 1)
	go func() {
		_, err := artifact.Zip(pw, o.dir, o.entries, artifact.Options{Compression: c.compression})
		pw.CloseWithError(err)
		zipped <- err
	}()
	err := put(pr)
	pr.CloseWithError(errors.New("artifact store stopped reading"))
	if zerr := <-zipped; zerr != nil {
		return zerr
	}
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
