package local

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/artifact"
)

// benchNoopProvider is an in-process action type registered only in tests: it writes one tiny
// file as its output, so a benchmark of it measures the engine's own bookkeeping (state
// saves, workspace, log, artifact zip + encrypt + store) without spawning processes.
const benchNoopProvider = "BenchNoop"

func init() {
	registerProvider(pipeline.CategoryBuild, "Custom", benchNoopProvider, func(ctx context.Context, job *actionJob) (*providerResult, error) {
		out := filepath.Join(job.workDir, "out")
		if err := os.MkdirAll(out, 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(out, "stamp"), []byte(job.action.Name), 0o600); err != nil {
			return nil, err
		}
		res := &providerResult{outputs: map[string]actionOutput{}, summary: "noop"}
		for _, name := range job.action.OutputArtifacts {
			res.outputs[name] = actionOutput{dir: out}
		}
		return res, nil
	})
}

const (
	benchStages          = 50
	benchActionsPerStage = 10
)

func openBenchAccount(b *testing.B, opts ...Option) *Account {
	b.Helper()
	c, err := Open(backend.Config{Kind: backend.KindLocal, AccountID: acctA, Region: region, StateDir: b.TempDir()}, opts...)
	if err != nil {
		b.Fatal(err)
	}
	a := c.As(acctA, region)
	b.Cleanup(func() { a.Close(); c.Close() })
	return a
}

// BenchmarkEngineOverheadPerAction runs a pipeline of 50 stages × 10 no-op actions, each
// producing a tiny output artifact, and reports the time per action: with the in-process
// no-op provider (the engine alone) and with Build/Commands running `true` (plus a bash, the
// source artifact unpacked and the output zipped), in the actions' sandbox and, for the
// sandbox's cost, without it. The in-process case also runs 5 stages, so that a per-action
// cost growing with the run's size would show.
func BenchmarkEngineOverheadPerAction(b *testing.B) {
	for _, tc := range []struct {
		kind   string
		stages int
	}{{"in-process", benchStages}, {"in-process", 5}, {"commands-true", benchStages}, {"commands-true-unsandboxed", benchStages}} {
		b.Run(fmt.Sprintf("%s/stages=%d", tc.kind, tc.stages), func(b *testing.B) {
			var opts []Option
			if tc.kind == "commands-true-unsandboxed" {
				opts = append(opts, WithActionSandbox(sandboxOff))
			}
			a := openBenchAccount(b, opts...)
			var stages []pipeline.Stage
			for s := range tc.stages {
				st := pipeline.Stage{Name: fmt.Sprintf("S%02d", s)}
				for j := range benchActionsPerStage {
					name := fmt.Sprintf("A%02d", j)
					act := shell(name, 1, "true")
					if tc.kind == "in-process" {
						act = pipeline.Action{Name: name, Category: pipeline.CategoryBuild, Owner: "Custom", Provider: benchNoopProvider, Version: "1"}
					}
					act.OutputArtifacts = []string{fmt.Sprintf("o%02d_%02d", s, j)}
					st.Actions = append(st.Actions, act)
				}
				stages = append(stages, st)
			}
			setupShellPipeline(b, a, shellPipeline("bench", pipeline.ExecutionModeParallel, stages...), nil)
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				run, err := a.StartRun(ctx, backend.RunRequest{Pipeline: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				if run, err = a.ExecuteRun(ctx, "bench", run.ID); err != nil || run.Status != backend.StatusSucceeded {
					b.Fatalf("run: %v %+v", err, run)
				}
			}
			perAction := time.Since(start) / time.Duration(b.N*tc.stages*benchActionsPerStage)
			b.ReportMetric(float64(perAction.Microseconds())/1000, "ms/action")
		})
	}
}

const (
	benchArtifactFiles = 16
	benchArtifactFile  = 64 << 20 // 16 × 64 MiB = 1 GiB
)

// writeArtifactTree writes 1 GiB shaped like build output: half incompressible, half text.
func writeArtifactTree(b *testing.B, dir string) int64 {
	b.Helper()
	rng := mrand.New(mrand.NewPCG(1, 2))
	words := []string{"func", "return", "error", "artifact", "pipeline", "stage", "build", "nil", "if", "err", "{", "}", "ctx", "string\n"}
	block := make([]byte, 1<<20)
	var total int64
	for i := range benchArtifactFiles {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("part-%02d.bin", i)))
		if err != nil {
			b.Fatal(err)
		}
		for written := 0; written < benchArtifactFile; written += len(block) {
			if i%2 == 0 {
				_, _ = rand.Read(block)
			} else {
				var buf bytes.Buffer
				for buf.Len() < len(block) {
					buf.WriteString(words[rng.IntN(len(words))])
					buf.WriteByte(' ')
				}
				copy(block, buf.Bytes())
			}
			if _, err := f.Write(block); err != nil {
				b.Fatal(err)
			}
			total += int64(len(block))
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	return total
}

// BenchmarkArtifactPath1GiB moves a 1 GiB artifact through the executor's path (zip streamed
// into encrypt and store, as storeOutput does; read, decrypt and unzip in place, as
// fetchInputs does) with the configured compression (CODEPIPELINE_ARTIFACT_COMPRESSION,
// stored by default) and, in the same run, the
// same bytes through `cp` and through AES-256-GCM alone, reporting MB/s of each and the
// engine's ratio to both. Run with -bench ArtifactPath1GiB -benchtime 3x: on a VM the first pass also pays for the
// guest's first touch of fresh page-cache memory (cp included), the later ones show the path.
func BenchmarkArtifactPath1GiB(b *testing.B) {
	if testing.Short() {
		b.Skip("1 GiB benchmark skipped with -short")
	}
	work := b.TempDir()
	src := filepath.Join(work, "src")
	if err := os.MkdirAll(src, 0o700); err != nil {
		b.Fatal(err)
	}
	size := writeArtifactTree(b, src)
	a := openBenchAccount(b)
	ctx := context.Background()
	if _, err := a.CreateBucket(ctx, backend.Bucket{Name: "bench-artifacts", Versioning: true}); err != nil {
		b.Fatal(err)
	}
	mbps := func(d time.Duration) float64 { return float64(size) / (1 << 20) / d.Seconds() }
	b.ResetTimer()
	for i := range b.N {
		// Each timed step starts with no dirty pages pending, so none pays for another's
		// writeback.
		syscall.Sync()
		// cp: the same bytes copied file to file.
		t0 := time.Now()
		if out, err := exec.Command("cp", "-r", src, filepath.Join(work, fmt.Sprintf("cp-%d", i))).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v %s", err, out)
		}
		cpTime := time.Since(t0)
		// cp's copy is in the page cache only; the store syncs what it writes, so the
		// durable reference is cp followed by sync.
		syscall.Sync()
		cpSyncTime := time.Since(t0)
		os.RemoveAll(filepath.Join(work, fmt.Sprintf("cp-%d", i)))

		// AES-256-GCM alone over the same bytes, in 1 MiB chunks, from memory.
		gcmTime := gcmOnly(b, src)

		// The engine's path, as storeOutput and fetchInputs take it: the zip streamed into
		// the encryption and the store (put), then unpacked in place from the store (get).
		syscall.Sync()
		t0 = time.Now()
		var version string
		err := a.c.packArtifact(actionOutput{dir: src}, func(r io.Reader) (err error) {
			version, err = a.putObject(ctx, "", "bench-artifacts", "bench/out/x", r, putOptions{kmsKeyID: managedS3Alias})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		tPut := time.Since(t0)
		dest := filepath.Join(work, "unzipped")
		if err := a.unpackArtifact(ctx, "", backend.ArtifactRef{Bucket: "bench-artifacts", Key: "bench/out/x", VersionID: version}, dest); err != nil {
			b.Fatal(err)
		}
		engine := time.Since(t0)
		tGet := engine - tPut
		info := must[[]backend.ObjectInfo](b)(a.ListObjectVersions(ctx, "", "bench-artifacts", "bench/out/x"))
		b.Logf("1 GiB (%s): zip+encrypt+store %s (%.0f MiB stored), read+decrypt+unzip %s; engine %s = %.0f MB/s; cp %s = %.0f MB/s; cp+sync %s = %.0f MB/s; AES-GCM %s = %.0f MB/s",
			compressionName(a.c.compression), tPut.Round(time.Millisecond), float64(info[0].Size)/(1<<20), tGet.Round(time.Millisecond),
			engine.Round(time.Millisecond), mbps(engine), cpTime.Round(time.Millisecond), mbps(cpTime),
			cpSyncTime.Round(time.Millisecond), mbps(cpSyncTime), gcmTime.Round(time.Millisecond), mbps(gcmTime))
		b.ReportMetric(mbps(engine), "engine-MB/s")
		b.ReportMetric(mbps(cpTime), "cp-MB/s")
		b.ReportMetric(mbps(gcmTime), "gcm-MB/s")
		b.ReportMetric(cpTime.Seconds()/engine.Seconds(), "engine/cp")
		b.ReportMetric(cpSyncTime.Seconds()/engine.Seconds(), "engine/cp+sync")
		b.ReportMetric(gcmTime.Seconds()/engine.Seconds(), "engine/gcm")
		os.RemoveAll(dest)
		if _, err := a.DeleteObject(ctx, "", "bench-artifacts", "bench/out/x", version); err != nil {
			b.Fatal(err)
		}
	}
}

// gcmOnly seals the files of dir with AES-256-GCM in 1 MiB chunks, reading them first (the
// reads are not timed), and returns the time the sealing took.
func gcmOnly(b *testing.B, dir string) time.Duration {
	b.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		b.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		b.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	nonce := make([]byte, gcm.NonceSize())
	out := make([]byte, 0, 1<<20+gcm.Overhead())
	var total time.Duration
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		for off := 0; off < len(data); off += 1 << 20 {
			_, _ = io.ReadFull(rand.Reader, nonce)
			out = gcm.Seal(out[:0], nonce, data[off:min(off+1<<20, len(data))], nil)
		}
		total += time.Since(t0)
	}
	return total
}

func compressionName(c artifact.Compression) string {
	for name, v := range compressionNames {
		if v == c {
			return name
		}
	}
	return "?"
}
