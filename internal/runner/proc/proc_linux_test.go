package proc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunExitCodes(t *testing.T) {
	for _, tc := range []struct {
		script string
		want   int
	}{
		{"exit 0", 0},
		{"exit 3", 3},
		{"false", 1},
		{"kill -USR1 $$", -1},
	} {
		t.Run(tc.script, func(t *testing.T) {
			res, err := Run(context.Background(), Command{Path: "sh", Args: []string{"-c", tc.script}})
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != tc.want {
				t.Errorf("exit code = %d, want %d", res.ExitCode, tc.want)
			}
			if got, want := res.Success(), tc.want == 0; got != want {
				t.Errorf("Success() = %v, want %v", got, want)
			}
		})
	}
}

func TestRunSignalledLeaderReportsSignal(t *testing.T) {
	res, err := Run(context.Background(), Command{Path: "sh", Args: []string{"-c", "kill -USR1 $$"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Signal != syscall.SIGUSR1 {
		t.Errorf("signal = %v, want SIGUSR1", res.Signal)
	}
}

func TestRunStartFailure(t *testing.T) {
	_, err := Run(context.Background(), Command{Path: "/nonexistent/program"})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/program") {
		t.Fatalf("err = %v, want a start error naming the program", err)
	}
}

func TestRunSameWriterKeepsOrder(t *testing.T) {
	log := NewLog(0)
	res, err := Run(context.Background(), Command{
		Path: "sh", Args: []string{"-c", "echo a; echo b >&2; echo c"},
		Stdout: log, Stderr: log,
	})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	if got := log.String(); got != "a\nb\nc\n" {
		t.Errorf("log = %q", got)
	}
}

func TestRunEnvAndDir(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	_, err := Run(context.Background(), Command{
		Path: "sh", Args: []string{"-c", `printf '%s %s' "$FOO" "$(pwd -P)"`},
		Dir: dir, Env: []string{"FOO=bar", "PATH=" + os.Getenv("PATH")}, Stdout: &out,
	})
	if err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(dir)
	if want := "bar " + real; out.String() != want {
		t.Errorf("out = %q, want %q", out.String(), want)
	}
}

// The group kill tests start a shell that puts a sleeping child in the background and records
// its pid; they assert that the child is gone afterwards, whichever way the shell ended.

func TestRunCancelKillsWholeGroup(t *testing.T) {
	for _, tc := range []struct {
		name       string
		script     string
		wantSignal syscall.Signal
	}{
		// SIGTERM is enough for both the shell and its child.
		{"sigterm", `sleep 1000 & echo $! > "$PIDFILE"; wait`, syscall.SIGTERM},
		// Both ignore SIGTERM (ignored dispositions are inherited): SIGKILL after the grace.
		{"sigkill after grace", `trap '' TERM; sleep 1000 & echo $! > "$PIDFILE"; while :; do wait; done`, syscall.SIGKILL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				waitForFile(t, pidFile)
				cancel()
			}()
			res, err := Run(ctx, Command{
				Path: "sh", Args: []string{"-c", tc.script},
				Env:   append(os.Environ(), "PIDFILE="+pidFile),
				Grace: 50 * time.Millisecond,
			})
			if !errors.Is(err, context.Canceled) || !errors.Is(res.Stopped, context.Canceled) {
				t.Fatalf("err = %v, stopped = %v, want context.Canceled", err, res.Stopped)
			}
			if res.Signal != tc.wantSignal {
				t.Errorf("leader signal = %v, want %v", res.Signal, tc.wantSignal)
			}
			assertGone(t, readPid(t, pidFile))
		})
	}
}

func TestRunLeaderExitKillsLeftoverChildren(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	log := NewLog(0)
	// The child keeps the output pipe open: without the group kill Run would wait on it.
	res, err := Run(context.Background(), Command{
		Path: "sh", Args: []string{"-c", `sleep 1000 & echo $! > "$PIDFILE"; echo done`},
		Env:    append(os.Environ(), "PIDFILE="+pidFile),
		Stdout: log, Stderr: log,
	})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	if log.String() != "done\n" {
		t.Errorf("log = %q", log.String())
	}
	assertGone(t, readPid(t, pidFile))
}

func TestRunAlreadyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	marker := filepath.Join(t.TempDir(), "ran")
	_, err := Run(ctx, Command{Path: "touch", Args: []string{marker}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command ran although the context was already done")
	}
}

func waitForFile(t *testing.T, name string) {
	for {
		if b, err := os.ReadFile(name); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func readPid(t *testing.T, name string) int {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("the script did not record its child's pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// assertGone fails unless pid is gone or a zombie. SIGKILL is delivered asynchronously, so the
// check waits for the state to change; the deadline only turns a hang into a failure.
func assertGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		state := procState(pid)
		if state == 0 || state == 'Z' || state == 'X' {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still running (state %c)", pid, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// procState is the state letter of /proc/<pid>/stat, 0 when there is no such process.
func procState(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}
