package main

// Who holds the address serve was asked to listen on, when it is taken: another serve (of this
// state directory or another), or some other process.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/daemon"
)

// addressTaken explains that addr is taken, by whom, and how to pick another address.
func addressTaken(ctx context.Context, addr, stateDir string) error {
	var msg strings.Builder
	fmt.Fprintf(&msg, "cannot listen on %s: the address is already in use", addr)
	h, ok := askServe(ctx, addr)
	switch {
	case ok && samePath(h.StateDir, stateDir):
		fmt.Fprintf(&msg, " by another codepipeline serve of this same state directory (pid %d).\n\n", h.PID)
		msg.WriteString("That daemon already starts the runs of every pipeline of this state directory: you need not\n" +
			"start a second one. To run another anyway (daemons of one state directory share the work through\n" +
			"a lease), give it an address of its own: -listen 127.0.0.1:0 (any free port) or -listen 127.0.0.1:8348.")
	case ok:
		fmt.Fprintf(&msg, " by a codepipeline serve of another state directory, %s (pid %d).\n\n", h.StateDir, h.PID)
		msg.WriteString("Give this one an address of its own: -listen 127.0.0.1:0 (any free port) or -listen 127.0.0.1:8348.")
	default:
		if pid, cmdline := portHolder(addr); pid > 0 {
			fmt.Fprintf(&msg, " by process %d (%s).\n\n", pid, cmdline)
		} else {
			msg.WriteString(" by another process.\n\n")
		}
		msg.WriteString("Stop it, or give serve another address: -listen 127.0.0.1:0 (any free port) or -listen 127.0.0.1:8348.")
	}
	if addr == backend.DefaultServeAddr {
		msg.WriteString("\nWebhook URLs the provider reports name " + backend.DefaultServeAddr + "; on another address, post them there instead.")
	}
	return fmt.Errorf("%s", msg.String())
}

// askServe asks whoever listens on addr whether it is a codepipeline serve, and of what.
func askServe(ctx context.Context, addr string) (daemon.Health, bool) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	host := addr
	if h, port, err := net.SplitHostPort(addr); err == nil && (h == "" || h == "0.0.0.0" || h == "::") {
		host = net.JoinHostPort("127.0.0.1", port)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/healthz", nil)
	if err != nil {
		return daemon.Health{}, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return daemon.Health{}, false
	}
	defer resp.Body.Close()
	var h daemon.Health
	if json.NewDecoder(resp.Body).Decode(&h) != nil || h.Service != daemon.HealthService {
		return daemon.Health{}, false
	}
	return h, true
}

func samePath(a, b string) bool {
	ea, err1 := filepath.EvalSymlinks(a)
	eb, err2 := filepath.EvalSymlinks(b)
	if err1 != nil || err2 != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return ea == eb
}

// portHolder finds the process listening on addr's port from /proc (Linux; 0 elsewhere, or
// when the process is another user's).
func portHolder(addr string) (int, string) {
	_, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, ""
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return 0, ""
	}
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(fields[1], ":")
			if p, err := strconv.ParseInt(hexPort, 16, 32); ok && err == nil && int(p) == port {
				inodes["socket:["+fields[9]+"]"] = true
			}
		}
		f.Close()
	}
	if len(inodes) == 0 {
		return 0, ""
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		if link, err := os.Readlink(fd); err == nil && inodes[link] {
			pidDir := filepath.Dir(filepath.Dir(fd))
			pid, _ := strconv.Atoi(filepath.Base(pidDir))
			raw, _ := os.ReadFile(filepath.Join(pidDir, "cmdline"))
			return pid, strings.TrimSpace(strings.ReplaceAll(string(raw), "\x00", " "))
		}
	}
	return 0, ""
}
