// Package gitcmd runs the git command on a repository on disk: local git sources of the run
// executor and the trigger daemon read repositories through it.
package gitcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Run runs a git command in repo and returns its output without the final newlines; an
// error carries git's own message.
func Run(ctx context.Context, repo string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", repo}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return "", fmt.Errorf("git %s in %s: %s", args[0], repo, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("git %s in %s: %w", args[0], repo, err)
	}
	return strings.TrimRight(string(out), "\n"), nil
}
