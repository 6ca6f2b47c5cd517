package local

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Whether the process that drives a run, holds a stage lock or writes a file is still alive.
//
// On this machine the process itself is asked: a process that exists (running, paused with
// SIGSTOP or Ctrl-Z, or swapped out) is alive whatever its heartbeat says, and one that does
// not exist is gone at once. A pid can be reused, so a process also records its start time
// (from /proc) and a process with another start time is not the one that wrote. A process of
// another machine cannot be asked: its heartbeat tells, and it is gone once the heartbeat is
// older than staleAfter.

// processOwner names this process as a run owner: host, pid and a token made of a random part
// and the process's start time, so that a reused pid is not mistaken for the owner.
func processOwner() string {
	return fmt.Sprintf("%s:%d:%s", hostname(), os.Getpid(), newVersionID()[:8]+"."+startTime(os.Getpid()))
}

// parseOwner splits an owner string; ok is false for one that is not of processOwner's form.
// start is "" when the owner recorded none (written before start times were recorded).
func parseOwner(owner string) (host string, pid int, start string, ok bool) {
	parts := strings.Split(owner, ":")
	if len(parts) != 3 {
		return "", 0, "", false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return "", 0, "", false
	}
	_, start, _ = strings.Cut(parts[2], ".")
	return parts[0], pid, start, true
}

// ownerGone reports whether the owner of a run (or lock) has stopped: on this machine, a
// process that no longer exists; elsewhere, a heartbeat older than staleAfter. An owner string
// that names no process is gone.
func (c *Cloud) ownerGone(owner string, heartbeat time.Time) bool {
	host, pid, start, ok := parseOwner(owner)
	if !ok {
		return true
	}
	if host == hostname() {
		return !processAlive(pid, start)
	}
	return c.now().Sub(heartbeat) > c.staleAfter
}

// processAlive reports whether process pid of this machine exists and, when start is not
// empty, started at start (so it is the process that recorded it, not a reuse of its pid).
// A zombie (dead, not reaped yet) is not alive.
func processAlive(pid int, start string) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	state, started, ok := procStat(pid)
	if !ok {
		return true // no /proc to ask: the signal said it exists
	}
	if state == 'Z' || state == 'X' {
		return false
	}
	return start == "" || started == start
}

// startTime is the start time of process pid as /proc records it (clock ticks since boot),
// "" where there is no /proc.
func startTime(pid int) string {
	_, started, _ := procStat(pid)
	return started
}

// procStat reads the state and start time of process pid from /proc/PID/stat.
func procStat(pid int) (state byte, started string, ok bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, "", false
	}
	// The command name (field 2) is in parentheses and may hold spaces: fields are counted
	// after its closing parenthesis. The state is field 3, the start time field 22.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, "", false
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 {
		return 0, "", false
	}
	return fields[0][0], fields[19], true
}

var hostOnce struct {
	sync.Once
	name, tag string
}

func loadHost() {
	hostOnce.Do(func() {
		hostOnce.name, _ = os.Hostname()
		sum := sha256.Sum256([]byte(hostOnce.name))
		hostOnce.tag = hex.EncodeToString(sum[:4])
	})
}

// hostname is this machine's name, as owners record it.
func hostname() string { loadHost(); return hostOnce.name }

// hostTag is a short digest of the hostname, for file names.
func hostTag() string { loadHost(); return hostOnce.tag }

// writerPattern is the prefix of a temporary file's name that says who writes it:
// PREFIX<host tag>-<pid>-<start>-; see tempName.
func writerPrefix(prefix string) string {
	return prefix + hostTag() + "-" + strconv.Itoa(os.Getpid()) + "-" + startTime(os.Getpid()) + "-"
}

// tempWriterGone reports whether the temporary file name (made with writerPrefix(prefix)) was
// written by a process of this machine that is gone. known is false when the name does not say
// (another machine, or a name from before writers were recorded): the caller then goes by age.
func tempWriterGone(prefix, name string) (gone, known bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return false, false
	}
	parts := strings.SplitN(rest, "-", 4)
	if len(parts) != 4 || parts[0] != hostTag() {
		return false, false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return false, false
	}
	return !processAlive(pid, parts[2]), true
}
