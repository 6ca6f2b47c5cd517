package local

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// startDriver drives run id of pipelineName over dir in a child process (see TestMain) and
// returns it with its output; the child is killed at the end of the test.
func startDriver(t *testing.T, dir, pipelineName, id string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	child := exec.Command(exe)
	child.Env = append(os.Environ(), driveDirEnv+"="+dir, drivePipelineEnv+"="+pipelineName, driveRunEnv+"="+id)
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = child.Process.Signal(syscall.SIGCONT)
		_ = child.Process.Kill()
		_, _ = child.Process.Wait()
	})
	return child, &out
}

// TestWaiterRecoversAStageWhoseHolderWasKilled: a run waiting for a stage held by a run whose
// driver was killed waited until some other process happened to open the state directory.
// The waiter itself must see that the holder is gone and take the stage.
func TestWaiterRecoversAStageWhoseHolderWasKilled(t *testing.T) {
	dir := t.TempDir()
	c := openCloud(t, dir)
	a := c.As(acctA, region)
	defer a.Close()
	gatedPipeline(t, a, "held", pipeline.ExecutionModeQueued)
	run1, _ := gatedRun(t, a, "held", 1) // its gate never opens
	run2, gate2 := gatedRun(t, a, "held", 2)
	release(t, gate2)

	child, _ := startDriver(t, dir, "held", run1.ID)
	eventually(t, "run 1 to hold stage Hold", func() bool { return actionStatus(t, a, "held", run1.ID, "Hold", "Wait") == backend.StatusInProgress })
	// Run 2, driven here, waits for the stage; then run 1's driver is killed.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan runResult, 1)
	go func() {
		r, err := a.ExecuteRun(ctx, "held", run2.ID)
		done <- runResult{r, err}
	}()
	eventually(t, "run 2 to wait for Hold", func() bool { return waitingStage(t, a, run2.ID) == "Hold" })
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = child.Process.Wait()

	r2 := ended(t, done)
	if r2.Status != backend.StatusSucceeded {
		t.Fatalf("run 2 = %s (%s), want Succeeded: it should have taken the stage of the killed run", r2.Status, r2.StatusReason)
	}
	r1 := must[*backend.Run](t)(a.GetRun(context.Background(), "held", run1.ID))
	if r1.Status != backend.StatusFailed || !strings.HasPrefix(r1.StatusReason, "abandoned") {
		t.Errorf("run 1 = %s (%s), want Failed (abandoned)", r1.Status, r1.StatusReason)
	}
}

// TestPausedDriverIsNotAbandoned: a driver paused with SIGSTOP (Ctrl-Z) stops heartbeating;
// another process then marked its live run abandoned, because the stale heartbeat was looked
// at before the pid. On this machine a live process is never abandoned.
func TestPausedDriverIsNotAbandoned(t *testing.T) {
	dir := t.TempDir()
	c := openCloud(t, dir)
	a := c.As(acctA, region)
	defer a.Close()
	gatedPipeline(t, a, "paused", "")
	run, gate := gatedRun(t, a, "paused", 1)
	child, out := startDriver(t, dir, "paused", run.ID)
	eventually(t, "the run to be in Hold", func() bool { return actionStatus(t, a, "paused", run.ID, "Hold", "Wait") == backend.StatusInProgress })
	// Stopped while this process holds the write lock, so never inside a write of its own: a
	// driver stopped mid-transaction holds SQLite's lock, and every writer waits for it (that
	// is SQLite, not what this test is about).
	if err := c.write(context.Background(), func(*sql.Tx) error { return child.Process.Signal(syscall.SIGSTOP) }); err != nil {
		t.Fatal(err)
	}

	// Another process, for which any heartbeat older than a millisecond is stale.
	time.Sleep(5 * time.Millisecond) // lets the last heartbeat age past that millisecond
	other := openCloud(t, dir, WithHeartbeat(time.Hour, time.Millisecond))
	oa := other.As(acctA, region)
	defer oa.Close()
	if got := must[*backend.Run](t)(oa.GetRun(context.Background(), "paused", run.ID)); got.Status != backend.StatusInProgress {
		t.Fatalf("the paused driver's run = %s (%s) after another process opened the directory, want InProgress", got.Status, got.StatusReason)
	}
	if _, err := oa.ExecuteRun(context.Background(), "paused", run.ID); !errors.Is(err, backend.ErrConflict) {
		t.Fatalf("another process driving the paused driver's run: %v, want ErrConflict", err)
	}

	if err := child.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	release(t, gate)
	if err := child.Wait(); err != nil {
		t.Fatalf("the driver: %v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "run ended: Succeeded") {
		t.Errorf("the driver's run did not succeed:\n%s", out)
	}
}

// TestRecoveryKillsOnlyTheRecordedProcessGroup: a dead driver's action group is killed by the
// recovery; a group id whose recorded leader is gone may be someone else's by now (pids wrap
// within minutes on a busy machine) and is left alone.
func TestRecoveryKillsOnlyTheRecordedProcessGroup(t *testing.T) {
	dir := t.TempDir()
	c := openCloud(t, dir)
	a := c.As(acctA, region)
	defer a.Close()
	setupApprovalPipeline(t, a, "")
	ctx := context.Background()
	var groups []*exec.Cmd
	for range 2 {
		g := exec.Command("sleep", "60")
		g.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := g.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = g.Process.Kill(); _ = g.Wait() })
		groups = append(groups, g)
	}
	ours, stranger := groups[0].Process.Pid, groups[1].Process.Pid
	pid, start := deadProcess(t)
	dead := hostname() + ":" + strconv.Itoa(pid) + ":dead0000." + start
	run := must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "gate"}))
	if err := c.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE executions SET owner = ? WHERE id = ?`, dead, run.ID); err != nil {
			return err
		}
		// The stranger's group id was recorded for a leader that started at another time.
		_, err := tx.Exec(`INSERT INTO action_processes (execution_id, stage, action, pgid, started) VALUES (?, 'A', 'a', ?, ?), (?, 'B', 'b', ?, '1')`,
			run.ID, ours, startTime(ours), run.ID, stranger)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	openCloud(t, dir).Close() // recovers the run
	if err := groups[0].Wait(); err == nil {
		t.Error("the recorded action group was not killed")
	}
	if !processAlive(stranger, "") {
		t.Error("a process group whose recorded leader was gone was killed")
	}
}
