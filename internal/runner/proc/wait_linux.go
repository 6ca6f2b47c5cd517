//go:build linux

package proc

import (
	"os/exec"
	"syscall"
	"unsafe"
)

const (
	pPID    = 1         // P_PID
	wExited = 0x4       // WEXITED
	wNoWait = 0x1000000 // WNOWAIT
)

// watchLeader returns a channel closed once the leader has exited, leaving it a zombie (waitid
// with WNOWAIT), and the function that reaps it.
func watchLeader(cmd *exec.Cmd) (<-chan struct{}, func() error) {
	exited := make(chan struct{})
	pid := cmd.Process.Pid
	go func() {
		defer close(exited)
		var info [128]byte // siginfo_t
		for {
			_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
				uintptr(unsafe.Pointer(&info[0])), wExited|wNoWait, 0, 0)
			if errno != syscall.EINTR {
				return
			}
		}
	}()
	return exited, cmd.Wait
}
