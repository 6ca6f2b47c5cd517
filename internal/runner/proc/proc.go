// Package proc runs commands the way the local executor needs them run: each in its own process
// group, so that cancelling a run or an action timeout ends every process the command started,
// not only the first one.
package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"syscall"
	"time"
)

// DefaultGrace is how long a process group has between SIGTERM and SIGKILL when its context ends.
const DefaultGrace = 5 * time.Second

// pipeDrainDelay bounds how long Run waits for output pipes after the whole group was killed: a
// process that left the group (setsid) may still hold them open.
const pipeDrainDelay = 2 * time.Second

// Command describes one process to run.
type Command struct {
	// Path is the program; without a slash it is looked up in PATH.
	Path string
	// Args are the arguments after the program name.
	Args []string
	// Dir is the working directory; empty means the current one.
	Dir string
	// Env is the complete environment; nil means the current process's environment.
	Env []string
	// Stdin is the standard input; nil means /dev/null.
	Stdin io.Reader
	// Stdout and Stderr receive the output; nil discards it. Passing the same writer for both
	// gives the process one descriptor for both streams, which keeps their relative order.
	Stdout, Stderr io.Writer
	// Grace is the time between SIGTERM and SIGKILL once ctx is done; zero means DefaultGrace.
	Grace time.Duration
	// OnStart, when set, is told the process group id as soon as the command started, so that
	// a caller can record it and kill the group should this process die without doing so.
	OnStart func(pgid int)
	// Credential, when set, runs the command as that user (a buildspec's run-as); switching
	// users needs a process that may do so (root).
	Credential *syscall.Credential
	// Attr, when set, adjusts the process attributes before the start (the sandbox asks for
	// new namespaces there); the new process group is Run's to set.
	Attr func(*syscall.SysProcAttr)
}

// Result is how a command ended.
type Result struct {
	// ExitCode is the leader's exit status, or -1 when a signal ended it.
	ExitCode int
	// Signal is the signal that ended the leader, zero when it exited by itself.
	Signal syscall.Signal
	// Stopped is the context's error when the context ended the command, nil otherwise.
	Stopped error
}

// Success reports whether the command exited 0 on its own.
func (r Result) Success() bool { return r.ExitCode == 0 && r.Stopped == nil }

// Run starts the command in a new process group and waits for it. When ctx ends first the group
// receives SIGTERM, then SIGKILL after the grace period, and Run returns ctx's error with the
// Result. When the leader exits, whatever is left of its group (background children) is killed
// with SIGKILL: an action's processes never outlive the action. A non-zero exit is not an
// error; read Result.ExitCode. The returned error is a start failure or the context's error.
func Run(ctx context.Context, c Command) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{ExitCode: -1, Stopped: err}, err
	}
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Dir = c.Dir
	cmd.Env = c.Env
	cmd.Stdin = c.Stdin
	cmd.Stdout = c.Stdout
	cmd.Stderr = c.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.Credential}
	if c.Attr != nil {
		c.Attr(cmd.SysProcAttr)
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.WaitDelay = pipeDrainDelay
	grace := c.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	if err := cmd.Start(); err != nil {
		return Result{ExitCode: -1}, fmt.Errorf("start %s: %w", c.Path, err)
	}
	pgid := cmd.Process.Pid
	if c.OnStart != nil {
		c.OnStart(pgid)
	}

	// exited is closed once the leader has exited but before it is reaped (where the platform
	// allows it): while the leader is a zombie its pid, and so the group id, cannot be reused,
	// which makes the group kill below safe.
	exited, wait := watchLeader(cmd)

	var stopped error
	select {
	case <-exited:
	case <-ctx.Done():
		stopped = ctx.Err()
		killGroup(pgid, syscall.SIGTERM)
		timer := time.NewTimer(grace)
		select {
		case <-exited:
			timer.Stop()
		case <-timer.C:
			killGroup(pgid, syscall.SIGKILL)
			<-exited
		}
	}
	killGroup(pgid, syscall.SIGKILL)
	waitErr := wait()

	res := Result{ExitCode: -1, Stopped: stopped}
	if st := cmd.ProcessState; st != nil {
		res.ExitCode = st.ExitCode()
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Signal = ws.Signal()
		}
	}
	if stopped != nil {
		return res, stopped
	}
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) && !errors.Is(waitErr, exec.ErrWaitDelay) {
		return res, fmt.Errorf("wait %s: %w", c.Path, waitErr)
	}
	return res, nil
}

// killGroup signals every process of the group. ESRCH (the group is already empty) is the
// expected outcome once everything has exited.
func killGroup(pgid int, sig syscall.Signal) {
	_ = syscall.Kill(-pgid, sig)
}
