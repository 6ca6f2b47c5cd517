package local

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Helpers for the executor tests: pipelines made of an S3 source followed by Build/Commands
// stages running shell commands, driven with ExecuteRun, judged by the run's recorded
// statuses and timestamps.

// sourceFiles is the content of every test pipeline's source object.
var sourceFiles = map[string]string{"index.html": "hello from the source"}

// shellPipeline is pipeline name in account A: an S3 source stage ("Source", artifact "src")
// followed by stages. Its artifact store is NAME-artifacts, its source object NAME-source/app.zip.
func shellPipeline(name, mode string, stages ...pipeline.Stage) *pipeline.Pipeline {
	p := &pipeline.Pipeline{
		Name: name, RoleARN: "arn:aws:iam::" + acctA + ":role/pipeline", ExecutionMode: mode,
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: name + "-artifacts", Type: "S3"}},
		Stages: []pipeline.Stage{{Name: "Source", Actions: []pipeline.Action{{
			Name: "Fetch", Category: "Source", Owner: "AWS", Provider: "S3", Version: "1",
			Configuration:   map[string]string{"S3Bucket": name + "-source", "S3ObjectKey": "app.zip"},
			OutputArtifacts: []string{"src"},
		}}}},
	}
	p.Stages = append(p.Stages, stages...)
	return p
}

// stage is a stage of actions.
func stage(name string, actions ...pipeline.Action) pipeline.Stage {
	return pipeline.Stage{Name: name, Actions: actions}
}

// shell is a Build/Commands action at runOrder running the commands (one per line) in the
// unpacked source artifact.
func shell(name string, runOrder int, commands ...string) pipeline.Action {
	return pipeline.Action{
		Name: name, Category: "Build", Owner: "AWS", Provider: "Commands", Version: "1", RunOrder: runOrder,
		Configuration:  map[string]string{"Commands": strings.Join(commands, "\n")},
		InputArtifacts: []string{"src"},
	}
}

// setupShellPipeline creates p's artifact and source buckets (versioned), the source object
// (files, or sourceFiles when nil) and p itself.
func setupShellPipeline(t testing.TB, a *Account, p *pipeline.Pipeline, files map[string]string) {
	t.Helper()
	ctx := context.Background()
	for _, b := range []string{p.Name + "-artifacts", p.Name + "-source"} {
		if _, err := a.CreateBucket(ctx, backend.Bucket{Name: b, Versioning: true}); err != nil {
			t.Fatal(err)
		}
	}
	if files == nil {
		files = sourceFiles
	}
	if _, err := a.PutObject(ctx, "", p.Name+"-source", "app.zip", bytes.NewReader(zipFiles(t, files))); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreatePipeline(ctx, p); err != nil {
		t.Fatal(err)
	}
}

// zipFiles is a zip of name → content, for tests and benchmarks.
func zipFiles(tb testing.TB, files map[string]string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err == nil {
			_, err = w.Write([]byte(content))
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// runResult is how a driven run ended.
type runResult struct {
	run *backend.Run
	err error
}

// drive runs ExecuteRun in a goroutine; the result arrives on the channel.
func drive(a *Account, pipelineName, id string) <-chan runResult {
	done := make(chan runResult, 1)
	go func() {
		r, err := a.ExecuteRun(context.Background(), pipelineName, id)
		done <- runResult{r, err}
	}()
	return done
}

// ended waits for a driven run and fails the test when ExecuteRun failed.
func ended(t *testing.T, done <-chan runResult) *backend.Run {
	t.Helper()
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatalf("ExecuteRun: %v", res.err)
		}
		return res.run
	case <-time.After(2 * time.Minute):
		t.Fatal("the run did not end within 2 minutes")
		return nil
	}
}

// startAndRun starts a run of the pipeline with the variable overrides and drives it to its end.
func startAndRun(t *testing.T, a *Account, pipelineName string, vars map[string]string) *backend.Run {
	t.Helper()
	run := must[*backend.Run](t)(a.StartRun(context.Background(), backend.RunRequest{Pipeline: pipelineName, Variables: vars}))
	return ended(t, drive(a, pipelineName, run.ID))
}

// eventually polls cond until it holds, failing the test after a generous deadline; it waits
// for events of other goroutines and processes, it does not measure anything.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// actionStatus is the status of an action of a run as stored.
func actionStatus(t *testing.T, a *Account, pipelineName, id, stageName, action string) string {
	t.Helper()
	run := must[*backend.Run](t)(a.GetRun(context.Background(), pipelineName, id))
	if act := run.Action(stageName, action); act != nil {
		return act.Status
	}
	t.Fatalf("run %s has no action %s/%s", id, stageName, action)
	return ""
}

// waitingStage is the stage a run waits to enter ("" when not waiting).
func waitingStage(t *testing.T, a *Account, id string) string {
	t.Helper()
	var s string
	if err := a.c.reader.QueryRow(`SELECT waiting_stage FROM executions WHERE id = ?`, id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// overlap reports whether two actions ran at the same time: each started before the other ended.
func overlap(x, y *backend.ActionRun) bool {
	return x.Started.Before(y.Ended) && y.Started.Before(x.Ended)
}

// gateCommand is a command that waits until the file gate exists: tests release actions by
// creating files instead of guessing durations.
func gateCommand(gate string) string {
	return "while [ ! -e " + gate + " ]; do sleep 0.02; done"
}

// release creates the gate file.
func release(t *testing.T, gate string) {
	t.Helper()
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// processGone reports whether pid no longer runs (gone, or a zombie nobody reaped yet).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return true
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	// The state is the field after the parenthesised command name.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] == 'Z' || stat[i+2] == 'X'
	}
	return false
}

// processesWith lists the pids of this machine's live processes (zombies aside) whose command
// line holds s.
func processesWith(s string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(s)) || processGone(pid) {
			continue
		}
		out = append(out, pid)
	}
	return out
}
