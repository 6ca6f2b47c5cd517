//go:build unix && !linux

package proc

import "os/exec"

// watchLeader reaps the leader as soon as it exits: without waitid(WNOWAIT) it cannot be observed
// otherwise. The group kill that follows then has a small window in which the group id could be
// reused; the local backend targets Linux, where that window does not exist.
func watchLeader(cmd *exec.Cmd) (<-chan struct{}, func() error) {
	exited := make(chan struct{})
	var err error
	go func() {
		err = cmd.Wait()
		close(exited)
	}()
	return exited, func() error { <-exited; return err }
}
