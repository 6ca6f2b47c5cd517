package local

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/proc"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/sandbox"
)

// How much an action's commands see.
//
// An action runs as the user the provider runs as. Unless told otherwise, and where the kernel
// allows it (Linux with user namespaces), its commands run in a sandbox (internal/runner/
// sandbox) that hides the state directory (database, master key, encrypted objects) and the
// work root (every other action's workspace, of every run and account) and shows back only the
// action's own workspace and, read-only, the Lambda handlers' directory when it lies in the
// state directory. Without a sandbox an action can read whatever its user can, the state
// directory included; the action's log then says so on its first line.

// ActionSandboxEnv names the environment variable that says whether actions run in a
// sandbox: "auto" (the default: where the kernel allows it, else without and saying so),
// "required" (an action fails rather than run without one) or "off".
const ActionSandboxEnv = "CODEPIPELINE_ACTION_SANDBOX"

// Sandbox modes.
const (
	sandboxAuto     = "auto"
	sandboxRequired = "required"
	sandboxOff      = "off"
)

// sandboxMode is the configured mode: the option, else the environment, else auto.
func sandboxMode(opt string) (string, error) {
	m := opt
	if m == "" {
		m = strings.ToLower(os.Getenv(ActionSandboxEnv))
	}
	switch m {
	case "":
		return sandboxAuto, nil
	case sandboxAuto, sandboxRequired, sandboxOff:
		return m, nil
	}
	return "", fmt.Errorf("local backend: %s=%q: it must be auto, required or off: %w", ActionSandboxEnv, m, backend.ErrInvalid)
}

// isolation returns how the commands of the action whose workspace is workDir run, and writes
// to the action's log when they run without a sandbox.
func (x *executor) isolation(workDir string, log io.Writer) (func(proc.Command) proc.Command, error) {
	c := x.a.c
	none := func(cmd proc.Command) proc.Command { return cmd }
	if c.sandbox == sandboxOff {
		fmt.Fprintf(log, "[local] no sandbox (%s=off): this action can read whatever this user can, the state directory included\n", ActionSandboxEnv)
		return none, nil
	}
	if ok, why := sandbox.Available(); !ok {
		if c.sandbox == sandboxRequired {
			return nil, fmt.Errorf("actions must run in a sandbox (%s=required), and this machine has none: %s", ActionSandboxEnv, why)
		}
		fmt.Fprintf(log, "[local] no sandbox (%s): this action can read whatever this user can, the state directory included\n", why)
		return none, nil
	}
	p := &sandbox.Policy{Hide: []string{c.dir, c.workRoot}, Expose: []sandbox.Mount{{Path: workDir}}}
	if fn := x.dirs.functions; inside(c.dir, fn) || inside(c.workRoot, fn) {
		if fi, err := os.Stat(fn); err == nil && fi.IsDir() {
			p.Expose = append(p.Expose, sandbox.Mount{Path: fn, ReadOnly: true})
		}
	}
	return p.Wrap, nil
}
