package local

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/artifact"
)

// zipMethods maps each file entry of a stored artifact to its compression method.
func zipMethods(t *testing.T, a *Account, ref backend.ArtifactRef) map[string]uint16 {
	t.Helper()
	body, _ := must2(t)(a.GetObject(context.Background(), "", ref.Bucket, ref.Key, ref.VersionID))
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint16{}
	for _, f := range zr.File {
		if !f.FileInfo().IsDir() {
			out[f.Name] = f.Method
		}
	}
	return out
}

// TestArtifactsCrossInlineAndChunkSizesThroughARun: an output of several chunks (a file
// body) and a small one (inline) are zipped into the store and unpacked in place by the next
// action, byte for byte, with the configured compression.
func TestArtifactsCrossInlineAndChunkSizesThroughARun(t *testing.T) {
	for _, tc := range []struct {
		name        string
		compression artifact.Compression
		method      uint16
	}{
		{"none", artifact.CompressNone, zip.Store},
		{"fast", artifact.CompressFast, zip.Deflate},
		{"best", artifact.CompressBest, zip.Deflate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, a, _ := accounts(t, WithArtifactCompression(tc.compression))
			build := shell("Make", 1,
				"mkdir -p out",
				"head -c 3145739 /dev/urandom > out/big.bin",
				"yes compressible | head -c 300000 > out/text.txt",
				"sha256sum out/big.bin out/text.txt > out/SUMS")
			build.OutputArtifacts = []string{"made"}
			build.Configuration["OutputPaths"] = "out/**/*"
			small := shell("Small", 1, "echo tiny > note.txt")
			small.OutputArtifacts = []string{"note"}
			small.Configuration["OutputPaths"] = "note.txt"
			check := shell("Check", 1, "sha256sum -c out/SUMS", "grep -qx tiny \"$CODEBUILD_SRC_DIR_note/note.txt\"")
			check.InputArtifacts = []string{"made", "note"}
			check.Configuration["PrimarySource"] = "made"
			setupShellPipeline(t, a, shellPipeline("sizes", "", stage("Build", build, small), stage("Verify", check)), nil)

			run := startAndRun(t, a, "sizes", nil)
			if run.Status != backend.StatusSucceeded {
				t.Fatalf("run = %s (%s)", run.Status, run.StatusReason)
			}
			made := run.Action("Build", "Make").Outputs[0]
			methods := zipMethods(t, a, made)
			for _, name := range []string{"out/big.bin", "out/text.txt", "out/SUMS"} {
				if methods[name] != tc.method {
					t.Errorf("%s stored with method %d, want %d", name, methods[name], tc.method)
				}
			}
			o := must[*objectRow](t)(a.c.objectVersion(context.Background(), a.c.reader, made.Bucket, made.Key, made.VersionID))
			n := must[*objectRow](t)(a.c.objectVersion(context.Background(), a.c.reader, "sizes-artifacts", run.Action("Build", "Small").Outputs[0].Key, ""))
			if o.blob == "" || n.blob != "" {
				t.Errorf("the 3 MiB artifact is in a file: %v (want true); the small one inline: %v (want true)", o.blob != "", n.blob == "")
			}
		})
	}
}

// TestArtifactCompressionFromTheEnvironment: the variable sets the compression; a value it
// does not know stops Open with a message naming the variable and the accepted values.
func TestArtifactCompressionFromTheEnvironment(t *testing.T) {
	for value, want := range map[string]artifact.Compression{"": artifact.CompressNone, "none": artifact.CompressNone, "fast": artifact.CompressFast, "BEST": artifact.CompressBest} {
		t.Setenv(ArtifactCompressionEnv, value)
		if c := openCloud(t, ""); c.compression != want {
			t.Errorf("%s=%q: compression %d, want %d", ArtifactCompressionEnv, value, c.compression, want)
		}
	}
	t.Setenv(ArtifactCompressionEnv, "zstd")
	_, err := Open(backend.Config{Kind: backend.KindLocal, StateDir: t.TempDir()})
	if !errors.Is(err, backend.ErrInvalid) || !strings.Contains(err.Error(), ArtifactCompressionEnv+`="zstd"`) || !strings.Contains(err.Error(), "none, fast or best") {
		t.Errorf("unknown compression: %v", err)
	}
}

// TestAnOutputThatCannotBeZippedStoresNothing: an output holding a symlink out of the
// workspace fails its action with the zip's refusal (not a store error), and neither a
// version nor a file nor a temporary file is left in the store.
func TestAnOutputThatCannotBeZippedStoresNothing(t *testing.T) {
	c, a, _ := accounts(t)
	c.inlineMax = 0 // every body a file, so a leftover would show
	leak := shell("Leak", 1, "mkdir -p out", "head -c 3000000 /dev/urandom > out/a.bin", "ln -s /etc/passwd out/z-passwd")
	leak.OutputArtifacts = []string{"leaked"}
	leak.Configuration["OutputPaths"] = "out/**/*"
	setupShellPipeline(t, a, shellPipeline("leaky", "", stage("Build", leak)), nil)
	filesBefore := len(blobFiles(t, c))

	run := startAndRun(t, a, "leaky", nil)
	act := run.Action("Build", "Leak")
	if run.Status != backend.StatusFailed || !strings.Contains(act.Error, "refusing symlink") || !strings.Contains(act.Error, `output artifact "leaked"`) {
		t.Fatalf("run = %s, action error %q; want a failure naming the output and the refused symlink", run.Status, act.Error)
	}
	versions := must[[]backend.ObjectInfo](t)(a.ListObjectVersions(context.Background(), "", "leaky-artifacts", "leaky/leaked/"))
	if len(versions) != 0 {
		t.Errorf("versions of the refused output: %+v", versions)
	}
	// The source artifact's file was written by this run; nothing else.
	if got := len(blobFiles(t, c)); got != filesBefore+1 {
		t.Errorf("object files: %d, want %d (the source artifact only)", got, filesBefore+1)
	}
	entries, _ := os.ReadDir(filepath.Join(c.dir, objectsDir))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// TestS3SourceCopiesTheObjectAsIs: the source artifact is the source object's bytes, copied
// into the artifact store under the pipeline's key, and the action's variables describe the
// version it took (the ETag being the body's SHA-256).
func TestS3SourceCopiesTheObjectAsIs(t *testing.T) {
	ctx := context.Background()
	_, a, _ := accounts(t)
	setupShellPipeline(t, a, shellPipeline("copy", "", stage("Build", shell("Noop", 1, "true"))), nil)
	source, info := must2(t)(a.GetObject(ctx, "", "copy-source", "app.zip", ""))

	run := startAndRun(t, a, "copy", nil)
	if run.Status != backend.StatusSucceeded {
		t.Fatalf("run = %s (%s)", run.Status, run.StatusReason)
	}
	fetch := run.Action("Source", "Fetch")
	sum := sha256.Sum256(source)
	want := map[string]string{"VersionId": info.VersionID, "ETag": hex.EncodeToString(sum[:]), "BucketName": "copy-source", "ObjectKey": "app.zip"}
	if diff := cmp.Diff(want, fetch.OutputVariables); diff != "" {
		t.Errorf("source variables (-want +got):\n%s", diff)
	}
	ref := fetch.Outputs[0]
	if ref.Bucket != "copy-artifacts" {
		t.Errorf("the source artifact went to %s, not the artifact store", ref.Bucket)
	}
	if artifactBody, _ := must2(t)(a.GetObject(ctx, "", ref.Bucket, ref.Key, ref.VersionID)); !bytes.Equal(artifactBody, source) {
		t.Errorf("the source artifact (%d bytes) is not the source object (%d bytes)", len(artifactBody), len(source))
	}
}
