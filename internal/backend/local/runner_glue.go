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

// variableValues are the variables an action or rule of this run may refer to: the run's
// variables, its id, and the output variables of its actions with a namespace (for a
// rollback, also those of its target's actions before the rolled back stage).
func (x *executor) variableValues() variables.Values {
	values := variables.Values{
		"variables":    x.run.Variables,
		"codepipeline": {"PipelineExecutionId": x.run.ID},
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, run := range []*backend.Run{x.inherited, x.run} {
		if run == nil {
			continue
		}
		for si, st := range x.def.Stages {
			if si >= len(run.Stages) {
				break
			}
			for j, act := range st.Actions {
				if j < len(run.Stages[si].Actions) && act.Namespace != "" && run.Stages[si].Actions[j].Status == backend.StatusSucceeded {
					values[act.Namespace] = run.Stages[si].Actions[j].OutputVariables
				}
			}
		}
	}
	return values
}

// resolveWith resolves the variable references of a configuration.
func resolveWith(cfg map[string]string, values variables.Values) (map[string]string, error) {
	return variables.Resolve(cfg, values.Lookup)
}

// expandAll resolves the variable references of each command; one that does not resolve is an
// error naming it.
func expandAll(commands []string, values variables.Values) ([]string, error) {
	if len(commands) == 0 {
		return commands, nil
	}
	out := make([]string, len(commands))
	for i, c := range commands {
		v, unresolved := variables.Expand(c, values.Lookup)
		if len(unresolved) > 0 {
			return nil, fmt.Errorf("command %d: %w", i, &variables.UnresolvedError{Refs: unresolved})
		}
		out[i] = v
	}
	return out, nil
}
