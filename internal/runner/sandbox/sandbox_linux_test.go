//go:build linux

package sandbox

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/proc"
)

// layout is a state directory with a secret and a work root with two workspaces.
type layout struct {
	state, work, mine, other string
}

func newLayout(t *testing.T) layout {
	t.Helper()
	root := t.TempDir()
	l := layout{
		state: filepath.Join(root, "state"),
		work:  filepath.Join(root, "state.work"),
	}
	l.mine, l.other = filepath.Join(l.work, "run-1", "ws"), filepath.Join(l.work, "run-2", "ws")
	for _, d := range []string{l.state, l.mine, l.other} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for path, content := range map[string]string{
		filepath.Join(l.state, "master.key"):     "the master key",
		filepath.Join(l.other, "artifact.txt"):   "another account's file",
		filepath.Join(l.mine, "input.txt"):       "my input",
		filepath.Join(l.state, "functions", "h"): "#!/bin/sh\necho handler ran\n",
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func (l layout) policy() *Policy {
	return &Policy{
		Hide:   []string{l.state, l.work},
		Expose: []Mount{{Path: l.mine}, {Path: filepath.Join(l.state, "functions"), ReadOnly: true}},
	}
}

// run runs script with sh in the sandbox of p, in dir, and returns its exit code and output.
func run(t *testing.T, p *Policy, dir, script string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	c := p.Wrap(proc.Command{Path: "sh", Args: []string{"-c", script}, Dir: dir, Stdout: &out, Stderr: &out})
	res, err := proc.Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return res.ExitCode, out.String()
}

func requireSandbox(t *testing.T) {
	t.Helper()
	if ok, why := Available(); !ok {
		t.Fatalf("the sandbox is not available on this machine: %s", why)
	}
}

// TestSandboxHidesTheStateAndOtherWorkspaces: an action read another account's workspace and
// printed master.key into its log. In the sandbox it sees its own workspace (and may write
// there), the exposed functions read-only, and nothing else of the state or the work root, by
// path, through /proc, or after trying to take the cover off.
func TestSandboxHidesTheStateAndOtherWorkspaces(t *testing.T) {
	requireSandbox(t)
	l := newLayout(t)
	script := strings.Join([]string{
		"cat " + l.state + "/master.key && echo LEAK-state",
		"cat " + l.other + "/artifact.txt && echo LEAK-other",
		"ls " + l.work + "/run-2 && echo LEAK-listing",
		"for p in /proc/[0-9]*; do cat $p/root" + l.state + "/master.key && echo LEAK-proc; done",
		"umount -l " + l.state + " 2>/dev/null; umount -R " + l.state + " 2>/dev/null; cat " + l.state + "/master.key && echo LEAK-umount",
		"cat input.txt && echo; echo written > output.txt",
		l.state + "/functions/h",
		"echo x > " + l.state + "/functions/new && echo LEAK-write-ro",
		"id -u",
	}, "\n")
	code, out := run(t, l.policy(), l.mine, script)
	if strings.Contains(out, "LEAK") || strings.Contains(out, "the master key") || strings.Contains(out, "another account") {
		t.Errorf("the sandboxed command saw what it must not:\n%s", out)
	}
	for _, want := range []string{"my input", "handler ran", strconv.Itoa(os.Geteuid())} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q: the command could not use what it was given:\n%s", want, out)
		}
	}
	if code != 0 {
		t.Errorf("exit status %d:\n%s", code, out)
	}
	if b, err := os.ReadFile(filepath.Join(l.mine, "output.txt")); err != nil || string(b) != "written\n" {
		t.Errorf("the workspace write did not land: %q %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(l.state, "master.key")); err != nil || string(b) != "the master key" {
		t.Errorf("the hidden state changed: %q %v", b, err)
	}
}

// TestSandboxKeepsExitStatusAndSignals: the command's exit status comes back; a stop ends it
// and everything it started in the background.
func TestSandboxKeepsExitStatusAndSignals(t *testing.T) {
	requireSandbox(t)
	l := newLayout(t)
	if code, out := run(t, l.policy(), l.mine, "exit 7"); code != 7 {
		t.Errorf("exit 7 gave %d: %s", code, out)
	}
	marker := strconv.FormatInt(time.Now().UnixNano(), 10)
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	c := l.policy().Wrap(proc.Command{Path: "sh", Args: []string{"-c", "sleep 1000" + marker + " & echo started; wait"},
		Dir: l.mine, Stdout: &out, Stderr: &out, Grace: 100 * time.Millisecond})
	done := make(chan error, 1)
	go func() { _, err := proc.Run(ctx, c); done <- err }()
	deadline := time.Now().Add(30 * time.Second)
	for len(processesWith(marker)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the background sleep did not start:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("Run of a stopped command returned no error")
	}
	for len(processesWith(marker)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the background process outlived the stopped command: %v", processesWith(marker))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSandboxReportsAMissingProgram: a command that does not exist fails with 127 and says so.
func TestSandboxReportsAMissingProgram(t *testing.T) {
	requireSandbox(t)
	l := newLayout(t)
	var out bytes.Buffer
	c := l.policy().Wrap(proc.Command{Path: "no-such-program-here", Dir: l.mine, Stdout: &out, Stderr: &out})
	res, err := proc.Run(context.Background(), c)
	if err != nil || res.ExitCode != ExitNoStart || !strings.Contains(out.String(), "no-such-program-here") {
		t.Errorf("missing program: %+v %v %q", res, err, out.String())
	}
}

// processesWith lists the pids of this machine's live processes whose command line holds s.
func processesWith(s string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(s)) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil {
			if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				continue
			}
		}
		out = append(out, pid)
	}
	return out
}
