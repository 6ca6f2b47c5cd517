package main

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// runsCloud is a state directory prepared outside the CLI, as the default account and
// region, which the CLI then opens with -state-dir.
type runsCloud struct {
	dir string
	a   runsAccount
}

// runsAccount is what the tests do to a state directory besides the CLI.
type runsAccount interface {
	backend.Backend
	backend.Runner
}

func newRunsCloud(t *testing.T) *runsCloud {
	t.Helper()
	dir := t.TempDir()
	cfg := backend.Config{Kind: backend.KindLocal, AccountID: backend.DefaultAccountID, Region: backend.DefaultRegion, StateDir: dir}
	// A connection of its own, as another process preparing the state would have.
	b, err := backend.Open(context.Background(), cfg, backend.Unshared())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	a, ok := b.(runsAccount)
	if !ok {
		t.Fatalf("the %s backend cannot run pipelines", cfg.Kind)
	}
	return &runsCloud{dir: dir, a: a}
}

// cli runs the CLI on the state directory; the output is never a terminal, so it must hold
// plain lines.
func (rc *runsCloud) cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	args = append(args, "-state-dir", rc.dir) // flags may follow the arguments
	code, out, errOut := runCLI(args...)
	if strings.Contains(out, "\x1b[") || strings.Contains(errOut, "\x1b[") {
		t.Errorf("%v: escape sequences in non-terminal output:\n%q", args, out+errOut)
	}
	return code, out, errOut
}

// createPipeline creates name: an S3 source stage ("Source"/"Fetch", artifact src) and the
// given stages, with its artifact and source buckets and the source zip.
func (rc *runsCloud) createPipeline(t *testing.T, name string, stages ...pipeline.Stage) {
	t.Helper()
	ctx := context.Background()
	for _, b := range []string{name + "-artifacts", name + "-source"} {
		if _, err := rc.a.CreateBucket(ctx, backend.Bucket{Name: b, Versioning: true}); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("index.html")
	if err == nil {
		_, err = w.Write([]byte("hello from the source"))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rc.a.PutObject(ctx, "", name+"-source", "app.zip", &buf); err != nil {
		t.Fatal(err)
	}
	p := &pipeline.Pipeline{
		Name: name, RoleARN: "arn:aws:iam::" + rc.a.Identity().AccountID + ":role/pipeline",
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: name + "-artifacts", Type: "S3"}},
		Stages: append([]pipeline.Stage{{Name: "Source", Actions: []pipeline.Action{{
			Name: "Fetch", Category: pipeline.CategorySource, Owner: "AWS", Provider: "S3", Version: "1",
			Configuration:   map[string]string{"S3Bucket": name + "-source", "S3ObjectKey": "app.zip"},
			OutputArtifacts: []string{"src"},
		}}}}, stages...),
	}
	if _, err := rc.a.CreatePipeline(ctx, p); err != nil {
		t.Fatal(err)
	}
}

// buildStage is a stage of one Build/Commands action running the commands in the source.
func buildStage(stageName, action string, cmds ...string) pipeline.Stage {
	return pipeline.Stage{Name: stageName, Actions: []pipeline.Action{{
		Name: action, Category: pipeline.CategoryBuild, Owner: "AWS", Provider: "Commands", Version: "1",
		Configuration:  map[string]string{"Commands": strings.Join(cmds, "\n")},
		InputArtifacts: []string{"src"},
	}}}
}

// approval is a stage of one Approval/Manual action.
func approval(stageName, action string) pipeline.Stage {
	return pipeline.Stage{Name: stageName, Actions: []pipeline.Action{{
		Name: action, Category: pipeline.CategoryApproval, Owner: "AWS", Provider: "Manual", Version: "1",
	}}}
}

// runID is the execution id from start's first line, "run ID of PIPELINE".
func runID(t *testing.T, out string) string {
	t.Helper()
	first, _, _ := strings.Cut(out, "\n")
	fields := strings.Fields(first)
	if len(fields) != 4 || fields[0] != "run" || fields[2] != "of" {
		t.Fatalf("first line %q is not \"run ID of PIPELINE\"", first)
	}
	return fields[1]
}

// latest is the pipeline's latest run as stored.
func (rc *runsCloud) latest(t *testing.T, name string) *backend.Run {
	t.Helper()
	run, err := rc.a.GetRun(context.Background(), name, "")
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// waitForStatus polls until the action of the latest run reaches status; it waits for the
// run's driver goroutine, it measures nothing.
func (rc *runsCloud) waitForStatus(t *testing.T, name, stageName, action, status string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if act := rc.latest(t, name).Action(stageName, action); act != nil && act.Status == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/%s never reached %s", stageName, action, status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// driveInBackground starts a run of name and drives it in a goroutine, as another process
// running `start` would; the ended run arrives on the channel.
func (rc *runsCloud) driveInBackground(t *testing.T, name string) (string, <-chan *backend.Run) {
	t.Helper()
	ctx := context.Background()
	run, err := rc.a.StartRun(ctx, backend.RunRequest{Pipeline: name})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *backend.Run, 1)
	go func() {
		ended, err := rc.a.ExecuteRun(ctx, name, run.ID)
		if err != nil {
			t.Errorf("ExecuteRun: %v", err)
		}
		done <- ended
	}()
	return run.ID, done
}

// waitEnded waits for a run driven in the background.
func waitEnded(t *testing.T, done <-chan *backend.Run) *backend.Run {
	t.Helper()
	select {
	case run := <-done:
		if run == nil {
			t.FailNow()
		}
		return run
	case <-time.After(2 * time.Minute):
		t.Fatal("the run did not end within 2 minutes")
		return nil
	}
}

func TestStartListShowLogs(t *testing.T) {
	rc := newRunsCloud(t)
	rc.createPipeline(t, "web", buildStage("Build", "Compile", "echo compiling $(cat index.html)"))

	code, out, errOut := rc.cli(t, "start", "web")
	if code != exitOK {
		t.Fatalf("start: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	id := runID(t, out)
	if run := rc.latest(t, "web"); run.ID != id || run.Status != backend.StatusSucceeded {
		t.Fatalf("stored latest run = %s %s, want %s Succeeded", run.ID, run.Status, id)
	}
	for _, want := range []string{"Source", "Build", "Compile", backend.StatusSucceeded} {
		if !strings.Contains(out, want) {
			t.Errorf("start output does not name %q:\n%s", want, out)
		}
	}

	code, out, _ = rc.cli(t, "runs", "list", "web")
	if code != exitOK || !strings.Contains(out, "EXECUTION") || !strings.Contains(out, id) || !strings.Contains(out, backend.StatusSucceeded) {
		t.Errorf("runs list: exit %d\n%s", code, out)
	}

	for _, args := range [][]string{{"runs", "show", "web"}, {"runs", "show", "web", id}} {
		code, out, _ = rc.cli(t, args...)
		first, _, _ := strings.Cut(out, "\n")
		if code != exitOK || !strings.HasPrefix(first, "web  "+id+"  "+backend.StatusSucceeded) {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
		if !strings.Contains(out, "Compile") {
			t.Errorf("%v does not list the actions:\n%s", args, out)
		}
	}

	code, out, _ = rc.cli(t, "runs", "logs", "web", id, "Build", "Compile")
	if code != exitOK || !strings.Contains(out, "compiling hello from the source\n") {
		t.Errorf("runs logs: exit %d\n%s", code, out)
	}

	// A second run: the list is newest first, show without an id is the newest.
	code, out, _ = rc.cli(t, "start", "web")
	if code != exitOK {
		t.Fatalf("second start: exit %d", code)
	}
	second := runID(t, out)
	_, out, _ = rc.cli(t, "runs", "list", "web")
	if i, j := strings.Index(out, second), strings.Index(out, id); i < 0 || j < 0 || i > j {
		t.Errorf("runs list is not newest first (%s then %s):\n%s", second, id, out)
	}
	if _, out, _ = rc.cli(t, "runs", "show", "web"); !strings.Contains(out, second) {
		t.Errorf("runs show without an id does not show the latest run %s:\n%s", second, out)
	}
}

func TestStartFailingCommandExitsOne(t *testing.T) {
	rc := newRunsCloud(t)
	rc.createPipeline(t, "broken", buildStage("Build", "Compile", "echo about to fail", "exit 7"))

	code, out, _ := rc.cli(t, "start", "broken")
	if code != exitFindings {
		t.Fatalf("start: exit %d, want %d\n%s", code, exitFindings, out)
	}
	if !strings.Contains(out, backend.StatusFailed) {
		t.Errorf("start output does not say Failed:\n%s", out)
	}
	if run := rc.latest(t, "broken"); run.Status != backend.StatusFailed {
		t.Errorf("stored run = %s, want Failed", run.Status)
	}
	if code, _, errOut := rc.cli(t, "start", "no-such-pipeline"); code != exitFindings || !strings.Contains(errOut, "no-such-pipeline") {
		t.Errorf("start of an unknown pipeline: exit %d, stderr %q", code, errOut)
	}
}

func TestRunsApproveAndReject(t *testing.T) {
	for _, tc := range []struct {
		sub, said, want string
	}{{"approve", "approved", backend.StatusSucceeded}, {"reject", "rejected", backend.StatusFailed}} {
		t.Run(tc.sub, func(t *testing.T) {
			rc := newRunsCloud(t)
			rc.createPipeline(t, "gated", approval("Approve", "Manual"), buildStage("Deploy", "Ship", "true"))
			id, done := rc.driveInBackground(t, "gated")
			rc.waitForStatus(t, "gated", "Approve", "Manual", backend.StatusInProgress)

			code, out, errOut := rc.cli(t, "runs", tc.sub, "-summary", "checked by the test", "gated", id, "Approve", "Manual")
			if code != exitOK || !strings.Contains(out, tc.said+" Approve/Manual of run "+id) {
				t.Fatalf("runs %s: exit %d\nstdout:\n%s\nstderr:\n%s", tc.sub, code, out, errOut)
			}
			run := waitEnded(t, done)
			if run.Status != tc.want {
				t.Fatalf("run = %s (%s), want %s", run.Status, run.StatusReason, tc.want)
			}
			act := run.Action("Approve", "Manual")
			if !strings.Contains(act.Summary+act.Error, "checked by the test") {
				t.Errorf("the decision's summary was not recorded: summary %q, error %q", act.Summary, act.Error)
			}

			// The action decided, a second decision is refused.
			if code, _, errOut := rc.cli(t, "runs", tc.sub, "gated", id, "Approve", "Manual"); code != exitFindings || errOut == "" {
				t.Errorf("second %s: exit %d, stderr %q; want 1 with an error", tc.sub, code, errOut)
			}
		})
	}
}

func TestRunsStopAbandonStopsAWaitingRun(t *testing.T) {
	rc := newRunsCloud(t)
	rc.createPipeline(t, "held", approval("Approve", "Manual"))
	id, done := rc.driveInBackground(t, "held")
	rc.waitForStatus(t, "held", "Approve", "Manual", backend.StatusInProgress)

	code, out, errOut := rc.cli(t, "runs", "stop", "-abandon", "-reason", "not today", "held", id)
	if code != exitOK || !strings.Contains(out, "abandoned") {
		t.Fatalf("runs stop: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	run := waitEnded(t, done)
	if run.Status != backend.StatusStopped {
		t.Fatalf("run = %s (%s), want Stopped", run.Status, run.StatusReason)
	}
	if st := run.Action("Approve", "Manual").Status; st != backend.StatusAbandoned {
		t.Errorf("waiting approval = %s, want Abandoned", st)
	}
	if code, _, _ := rc.cli(t, "runs", "stop", "held", id); code != exitFindings {
		t.Errorf("stopping an ended run: exit %d, want %d", code, exitFindings)
	}
}

func TestRunsRetryRerunsTheFailedStage(t *testing.T) {
	rc := newRunsCloud(t)
	flagFile := filepath.Join(t.TempDir(), "fail-while-present")
	if err := os.WriteFile(flagFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	rc.createPipeline(t, "flaky", buildStage("Build", "Compile", "test ! -e "+flagFile))

	code, out, _ := rc.cli(t, "start", "flaky")
	if code != exitFindings {
		t.Fatalf("start with the flag file: exit %d, want %d\n%s", code, exitFindings, out)
	}
	id := runID(t, out)
	// Retrying a stage that did not fail is refused.
	if code, _, errOut := rc.cli(t, "runs", "retry", "flaky", id, "Source"); code != exitFindings || !strings.Contains(errOut, "did not fail") {
		t.Errorf("retry of the Source stage: exit %d, stderr %q", code, errOut)
	}

	if err := os.Remove(flagFile); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := rc.cli(t, "runs", "retry", "flaky", id, "Build")
	if code != exitOK {
		t.Fatalf("retry: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if got := runID(t, out); got != id {
		t.Errorf("retry ran %s, want the same execution %s", got, id)
	}
	run := rc.latest(t, "flaky")
	if run.ID != id || run.Status != backend.StatusSucceeded {
		t.Fatalf("latest run = %s %s, want %s Succeeded", run.ID, run.Status, id)
	}
	if act := run.Action("Build", "Compile"); act.Attempt < 2 {
		t.Errorf("Compile attempt = %d, want a second attempt", act.Attempt)
	}
}

func TestRunsWrongArgumentsExitTwoWithUsage(t *testing.T) {
	rc := newRunsCloud(t)
	cases := [][]string{
		{"runs", "nope", "web"},
		{"runs", "list"},
		{"runs", "list", "web", "extra"},
		{"runs", "logs", "web", "id"},
		{"runs", "approve", "web", "id", "Stage"},
		{"runs", "retry", "web"},
		{"runs", "show", "-nope", "web"},
		{"start"},
		{"start", "a", "b"},
	}
	for _, args := range cases {
		if len(args) > 1 {
			args = append(args, "-state-dir", rc.dir)
		}
		code, out, errOut := runCLI(args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, exitUsage, out, errOut)
			continue
		}
		if !strings.Contains(errOut, "Usage:\n  codepipeline") {
			t.Errorf("%v: no usage on stderr:\n%s", args, errOut)
		}
	}
	if code, _, errOut := runCLI("start", "-var", "novalue", "-state-dir", rc.dir, "web"); code != exitUsage || !strings.Contains(errOut, "NAME=VALUE") {
		t.Errorf("start -var without '=': exit %d, stderr %q", code, errOut)
	}
}

// A failed build's test report is what its author wants to see: runs show prints the
// action's summary under its error.
func TestRunsShowPrintsAFailedBuildsReport(t *testing.T) {
	rc := newRunsCloud(t)
	spec := `version: 0.2
phases:
  build:
    commands:
      - printf '<testsuite><testcase classname="cart" name="adds"/><testcase classname="cart" name="totals"><failure message="12 != 13"/></testcase></testsuite>' > junit.xml
      - exit 1
reports:
  unit-tests:
    files: [junit.xml]
`
	rc.createPipeline(t, "tested", pipeline.Stage{Name: "Test", Actions: []pipeline.Action{{
		Name: "Unit", Category: pipeline.CategoryTest, Owner: "AWS", Provider: "CodeBuild", Version: "1",
		Configuration:  map[string]string{"ProjectName": "app", "BuildSpec": spec},
		InputArtifacts: []string{"src"},
	}}})
	if code, out, _ := rc.cli(t, "start", "tested"); code != exitFindings {
		t.Fatalf("start: exit %d\n%s", code, out)
	}
	_, out, _ := rc.cli(t, "runs", "show", "tested")
	for _, want := range []string{"build failed: phase BUILD", "build failed; unit-tests (JUNITXML): 2 tests, 1 passed, 1 failed, 0 skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("runs show does not say %q:\n%s", want, out)
		}
	}
	id := rc.latest(t, "tested").ID
	if _, out, _ = rc.cli(t, "runs", "logs", "tested", id, "Test", "Unit"); !strings.Contains(out, "failed: cart › totals: 12 != 13") {
		t.Errorf("runs logs does not list the failed test:\n%s", out)
	}
}
