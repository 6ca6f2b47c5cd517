//go:build linux

package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/proc"
)

// The sandbox's first process is this program started again with initArg as its first
// argument, the JSON of a spec as its second, and the command after them.
const (
	initArg = "--pipelinekit-sandbox-init"
	noopArg = "--pipelinekit-sandbox-noop"
	self    = "/proc/self/exe"
)

// spec is what the first process needs to know.
type spec struct {
	Hide   []string
	Expose []Mount
	Dir    string
	UID    int
	GID    int
}

func init() {
	if len(os.Args) >= 2 && os.Args[1] == noopArg {
		os.Exit(0)
	}
	if len(os.Args) >= 4 && os.Args[1] == initArg {
		os.Exit(runInit(os.Args[2], os.Args[3:]))
	}
}

func wrap(p *Policy, c proc.Command) proc.Command {
	s := spec{Hide: p.Hide, Expose: p.Expose, Dir: c.Dir, UID: os.Geteuid(), GID: os.Getegid()}
	b, _ := json.Marshal(s)
	out := c
	out.Path = self
	out.Args = append([]string{initArg, string(b), c.Path}, c.Args...)
	attr := c.Attr
	out.Attr = func(a *syscall.SysProcAttr) {
		if attr != nil {
			attr(a)
		}
		namespaces(a, os.Geteuid(), os.Getegid())
	}
	return out
}

// namespaces makes a start in new user, mount and PID namespaces, as root there (mapped to
// uid and gid outside), which the first process needs to mount.
func namespaces(a *syscall.SysProcAttr, uid, gid int) {
	a.Cloneflags |= syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID
	a.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}}
	a.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}}
	a.GidMappingsEnableSetgroups = false
}

var probe struct {
	sync.Once
	ok  bool
	why string
}

func available() (bool, string) {
	probe.Do(func() { probe.ok, probe.why = runProbe() })
	return probe.ok, probe.why
}

// runProbe sets up a real sandbox around a command that does nothing: covering a directory
// and exposing it again read-only (the system's temporary directory, in the probe's own mount
// namespace: nothing is created, so a probe killed half way leaves nothing behind), mounting
// /proc, and the command's own namespaces.
func runProbe() (bool, string) {
	dir := os.TempDir()
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		dir = "/"
	}
	p := &Policy{Hide: []string{dir}, Expose: []Mount{{Path: dir, ReadOnly: true}}}
	c := wrap(p, proc.Command{Path: self, Args: []string{noopArg}, Dir: "/"})
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	c.Attr(cmd.SysProcAttr)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return false, "user namespaces are not available: " + err.Error()
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return false, strings.TrimSpace("the sandbox could not be set up: " + err.Error() + ": " + stderr.String())
		}
		return true, ""
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		return false, "the sandbox did not start within 30s"
	}
}

// runInit is the sandbox's first process: pid 1 of its PID namespace, root of its user
// namespace. It makes the mounts, starts the command in its own user and mount namespace, and
// exits with the command's status.
func runInit(specJSON string, argv []string) int {
	var s spec
	if err := json.Unmarshal([]byte(specJSON), &s); err != nil {
		return fail(ExitSetup, "reading the sandbox spec: %v", err)
	}
	if err := s.mount(); err != nil {
		return fail(ExitSetup, "%v", err)
	}
	// The command is signalled through its process group; here signals are only noted, so
	// that pid 1 (which the kernel shields from signals it does not handle) stays until the
	// command ends.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)

	path := argv[0]
	if !strings.Contains(path, "/") {
		found, err := exec.LookPath(path)
		if err != nil {
			return fail(ExitNoStart, "%v", err)
		}
		path = found
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Dir = s.Dir
	cmd.Env = os.Environ()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// One more user and mount namespace, owned by a user namespace with less privilege than
	// this one: the mounts made here are locked together there, and the command, without
	// capabilities as the caller's user id, cannot take a cover off.
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:                 syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings:                []syscall.SysProcIDMap{{ContainerID: s.UID, HostID: 0, Size: 1}},
		GidMappings:                []syscall.SysProcIDMap{{ContainerID: s.GID, HostID: 0, Size: 1}},
		GidMappingsEnableSetgroups: false,
	}
	if err := cmd.Start(); err != nil {
		return fail(ExitNoStart, "%s: %v", argv[0], err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return exit.ExitCode()
	default:
		return fail(ExitNoStart, "%s: %v", argv[0], err)
	}
}

func fail(code int, format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "sandbox: "+format+"\n", args...)
	return code
}

// mount makes the sandbox's file system view: private mounts, the covers, the exposed
// directories bound back, and a /proc of the new PID namespace.
func (s *spec) mount() error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	// The exposed directories are opened before anything covers them.
	type source struct {
		m  Mount
		fd int
	}
	var sources []source
	for _, m := range s.Expose {
		fd, err := unix.Open(m.Path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("opening %s: %w", m.Path, err)
		}
		defer unix.Close(fd)
		sources = append(sources, source{m, fd})
	}
	// Outer directories first; one inside a covered directory is covered already.
	hide := slices.Clone(s.Hide)
	slices.SortFunc(hide, func(a, b string) int { return len(a) - len(b) })
	var covered []string
	for _, dir := range hide {
		if slices.ContainsFunc(covered, func(c string) bool { return within(c, dir) }) {
			continue
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue // nothing there to hide
		}
		if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=1m,mode=0755"); err != nil {
			return fmt.Errorf("covering %s: %w", dir, err)
		}
		covered = append(covered, dir)
	}
	for _, src := range sources {
		if err := os.MkdirAll(src.m.Path, 0o755); err != nil {
			return fmt.Errorf("exposing %s: %w", src.m.Path, err)
		}
		from := fmt.Sprintf("/proc/self/fd/%d", src.fd)
		if err := unix.Mount(from, src.m.Path, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("exposing %s: %w", src.m.Path, err)
		}
		if src.m.ReadOnly {
			var st unix.Statfs_t
			flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY)
			if unix.Statfs(src.m.Path, &st) == nil {
				// A remount in a user namespace must keep the flags the mount is locked with.
				flags |= uintptr(st.Flags) & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME)
			}
			if err := unix.Mount("", src.m.Path, "", flags, ""); err != nil {
				return fmt.Errorf("exposing %s read-only: %w", src.m.Path, err)
			}
		}
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting /proc: %w", err)
	}
	return nil
}

// within reports whether p is dir or below it.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}
