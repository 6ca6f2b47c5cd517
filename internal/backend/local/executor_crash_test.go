package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Environment of the child process that drives a run for the crash test.
const (
	driveDirEnv      = "CODEPIPELINE_TEST_DRIVE_STATE_DIR"
	drivePipelineEnv = "CODEPIPELINE_TEST_DRIVE_PIPELINE"
	driveRunEnv      = "CODEPIPELINE_TEST_DRIVE_RUN"
)

// TestMain lets the test binary act as a run's driver process: with driveDirEnv set it drives
// the given run and exits instead of running tests, so a test can SIGKILL a real driver.
func TestMain(m *testing.M) {
	if dir := os.Getenv(driveDirEnv); dir != "" {
		os.Exit(driveRunChild(dir, os.Getenv(drivePipelineEnv), os.Getenv(driveRunEnv)))
	}
	os.Exit(m.Run())
}

func driveRunChild(dir, pipelineName, id string) int {
	c, err := Open(backend.Config{Kind: backend.KindLocal, AccountID: acctA, Region: region, StateDir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 2
	}
	defer c.Close()
	run, err := c.As(acctA, region).ExecuteRun(context.Background(), pipelineName, id)
	if err != nil {
		fmt.Fprintln(os.Stderr, "execute:", err)
		return 2
	}
	fmt.Println("run ended:", run.Status)
	return 0
}

func TestKilledDriverLeavesAnAbandonedRunAndIntactArtifacts(t *testing.T) {
	dir := t.TempDir()
	c := openCloud(t, dir)
	a := c.As(acctA, region)
	ctx := context.Background()
	pidFile := filepath.Join(t.TempDir(), "action.pid")
	build := shell("Make", 1, "mkdir -p out", "cp index.html out/", "echo built > out/stamp")
	build.OutputArtifacts = []string{"built"}
	hang := shell("Hang", 1, "echo $$ > "+pidFile, "sleep #{variables.hold}")
	hang.InputArtifacts = []string{"built"}
	p := shellPipeline("crash", pipeline.ExecutionModeSuperseded,
		stage("Build", build),
		stage("Hang", hang),
		stage("Deploy", shell("Ship", 1, "true")),
	)
	p.Variables = []pipeline.Variable{{Name: "hold", DefaultValue: "0"}}
	setupShellPipeline(t, a, p, nil)
	run := must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "crash", Variables: map[string]string{"hold": "1000"}}))

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	child := exec.Command(exe)
	child.Env = append(os.Environ(), driveDirEnv+"="+dir, drivePipelineEnv+"=crash", driveRunEnv+"="+run.ID)
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	// The action's process group outlives its killed driver until the recovery kills it;
	// should the test stop before, it is killed at the end. The group is the one the driver
	// recorded (the pid the action wrote is its pid inside its sandbox); the driver records it
	// after starting the action, so the action may be running a moment before its row exists.
	var actionGroup int
	eventually(t, "the child to run the Hang action and record its process group", func() bool {
		_, err := os.Stat(pidFile)
		if actionStatus(t, a, "crash", run.ID, "Hang", "Hang") != backend.StatusInProgress || err != nil {
			return false
		}
		err = c.reader.QueryRow(`SELECT pgid FROM action_processes WHERE execution_id = ?`, run.ID).Scan(&actionGroup)
		return err == nil && actionGroup > 1
	})
	t.Cleanup(func() { _ = syscall.Kill(-actionGroup, syscall.SIGKILL) })

	before := must[*backend.Run](t)(a.GetRun(ctx, "crash", run.ID))
	runWork := filepath.Join(c.workRoot, run.ID)
	if entries, err := os.ReadDir(runWork); err != nil || len(entries) != 1 {
		t.Fatalf("the running action's workspace in %s: %v %v", runWork, entries, err)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	if strings.Contains(out.String(), "run ended") {
		t.Fatalf("the child finished the run before it was killed:\n%s", out.String())
	}

	// The next process to open the state directory recovers the run.
	c2 := openCloud(t, dir)
	a2 := c2.As(acctA, region)
	got := must[*backend.Run](t)(a2.GetRun(ctx, "crash", run.ID))
	if got.Status != backend.StatusFailed || !strings.HasPrefix(got.StatusReason, "abandoned") {
		t.Fatalf("recovered run = %s (%s), want Failed (abandoned…)", got.Status, got.StatusReason)
	}
	statuses := []string{got.Stages[0].Status, got.Stages[1].Status, got.Stages[2].Status, got.Stages[3].Status, got.Action("Hang", "Hang").Status}
	want := []string{backend.StatusSucceeded, backend.StatusSucceeded, backend.StatusFailed, backend.StatusCancelled, backend.StatusFailed}
	if fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Errorf("stages Source, Build, Hang, Deploy and action Hang = %v, want %v", statuses, want)
	}
	// Recovery killed what the dead run's action left running, and removed its workspaces: unpacked inputs are plaintext copies of
	// artifacts.
	eventually(t, "the action's process group to end", func() bool {
		return errors.Is(syscall.Kill(-actionGroup, 0), syscall.ESRCH)
	})
	if _, err := os.Stat(runWork); !os.IsNotExist(err) {
		t.Errorf("the dead run's workspaces are still in %s (%v)", runWork, err)
	}
	var locks int
	if err := c2.reader.QueryRow(`SELECT count(*) FROM stage_locks WHERE execution_id = ?`, run.ID).Scan(&locks); err != nil {
		t.Fatal(err)
	}
	if locks != 0 {
		t.Errorf("the abandoned run still holds %d stage lock(s)", locks)
	}

	// Every artifact version the run had finished is intact: GetObject checks the stored
	// file's digest and the plaintext checksum.
	var refs []backend.ArtifactRef
	for _, st := range before.Stages {
		for _, act := range st.Actions {
			if act.Status == backend.StatusSucceeded {
				refs = append(refs, act.Outputs...)
			}
		}
	}
	if len(refs) != 2 {
		t.Fatalf("finished artifacts before the kill = %+v, want src and built", refs)
	}
	for _, ref := range refs {
		body, _, err := a2.GetObject(ctx, "", ref.Bucket, ref.Key, ref.VersionID)
		if err != nil {
			t.Errorf("artifact %s after the crash: %v", ref.Name, err)
			continue
		}
		files := unzipToMap(t, body)
		if files["index.html"] != sourceFiles["index.html"] && files["out/index.html"] != sourceFiles["index.html"] {
			t.Errorf("artifact %s holds %v", ref.Name, files)
		}
	}

	// The stages are free: a new run of the pipeline goes through all of them.
	next := startAndRun(t, a2, "crash", nil)
	if next.Status != backend.StatusSucceeded {
		t.Fatalf("the next run = %s (%s)", next.Status, next.StatusReason)
	}
}
