// Package sandbox runs an action's commands where they cannot see what is not theirs: the
// local backend's state directory (the database, the master key, the encrypted objects) and the
// workspaces of other actions, of other runs and accounts.
//
// On Linux, where the kernel lets an unprivileged user make user namespaces, a command runs in
// new user, mount and PID namespaces: each hidden directory is covered by an empty private
// tmpfs, the directories the command may use (its workspace) are bound back in, and /proc shows
// only the command's own processes (so /proc/PID/root of the process that started it does not
// lead around the cover). The command itself runs in one more user and mount namespace, as the
// same user id as the caller and without capabilities: the covers are locked, it cannot take
// them off. The first process in the namespaces is this program itself, started again (see
// Init): it makes the mounts, starts the command and ends with it; when it ends, the kernel ends
// whatever the command left running.
//
// Where namespaces are not available (another system, a kernel or a security module that
// forbids them), Available says why, and the caller decides: run without a sandbox, saying so,
// or refuse.
package sandbox

import (
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/proc"
)

// Policy is what a command may see.
type Policy struct {
	// Hide lists directories covered by an empty directory: the command sees them empty.
	Hide []string
	// Expose lists directories under hidden ones that the command sees as they are (its
	// workspace, say): each is bound back at its own path.
	Expose []Mount
}

// Mount is a directory bound back under a hidden one.
type Mount struct {
	Path     string
	ReadOnly bool
}

// Wrap returns c changed to run under p: the same program, arguments, directory, environment
// and input and output, in a sandbox. Call it only when Available reports true; a sandbox that
// cannot be set up fails the command (exit status 125, the reason on its standard error).
func (p *Policy) Wrap(c proc.Command) proc.Command { return wrap(p, c) }

// Available reports whether commands can run in a sandbox on this machine, and if not, why.
// The answer is found once, by setting up a sandbox for real.
func Available() (bool, string) { return available() }

// Exit statuses of the sandbox's first process when it cannot do its job.
const (
	ExitSetup   = 125 // the sandbox could not be set up
	ExitNoStart = 127 // the command could not be started
)
