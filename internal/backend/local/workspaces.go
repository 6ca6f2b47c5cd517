package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// Where actions run.
//
// Each execution of an action gets a fresh directory of its own, named only by identifiers the
// backend made (the run's UUID, the stage and action indexes, the attempt, a random suffix),
// never by a pipeline, stage or action name: a name like ".." must not turn into a folder that
// two runs, pipelines or accounts share. The directories live under the work root, outside the
// state directory, so that an action can be kept from reading the state directory at all (see
// internal/runner/sandbox):
//
//	<work root>/<run id>/<stage>.<action>.<attempt>-<random>/     an action's
//	<work root>/<run id>/<stage>.<condition>.<rule>-<random>/     a stage condition's rule
//
// The work root is CODEPIPELINE_WORK_DIR, else the state directory's sibling "<state dir>.work".
// It is private (0700, owned by this user); a work root that is a symlink or belongs to
// another user is refused. A run's directory goes when the run ends; the directories of a run
// whose driver died go when the run is recovered, and any left over (a kill during cleanup) when
// a state directory is opened.

// WorkDirEnv names the environment variable that sets the work root.
const WorkDirEnv = "CODEPIPELINE_WORK_DIR"

// workRootFor is the work root of the state directory dir: opt, else the environment, else the
// sibling dir.work.
func workRootFor(dir, opt string) (string, error) {
	root := opt
	if root == "" {
		root = os.Getenv(WorkDirEnv)
	}
	if root == "" {
		return dir + ".work", nil
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("local backend: %s %q: %w", WorkDirEnv, root, err)
	}
	if inside(dir, abs) || inside(abs, dir) {
		return "", fmt.Errorf("local backend: the work directory %s and the state directory %s must not contain one another (actions must not see the state): %w",
			abs, dir, backend.ErrInvalid)
	}
	return abs, nil
}

// inside reports whether p is dir or below it.
func inside(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// ensurePrivateDir creates dir (0700) when absent and checks that it is a real directory owned
// by this user, tightening its mode to 0700 when it is wider.
func ensurePrivateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir() {
		return fmt.Errorf("%s is not a directory (a symlink or a file); remove it", dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%s belongs to user id %d, not to this user (%d); remove it or set %s", dir, st.Uid, os.Geteuid(), WorkDirEnv)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return os.Chmod(dir, 0o700)
	}
	return nil
}

// runIDPattern is the form of the run ids the backend makes (newUUID): only such names are
// ever joined to the work root, or removed from it.
var runIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// runWorkDir is the directory of run id's workspaces.
func (c *Cloud) runWorkDir(id string) (string, error) {
	if !runIDPattern.MatchString(id) {
		return "", fmt.Errorf("execution id %q is not one the backend made", id)
	}
	return filepath.Join(c.workRoot, id), nil
}

// newWorkspace makes a fresh, private directory of run id for one execution of what label
// names by ids: "<stage>.<action>.<attempt>" for an action, "<stage>.<condition>.<rule>" for
// a condition's rule (the indexes, never the names).
func (c *Cloud) newWorkspace(id, label string) (string, error) {
	runDir, err := c.runWorkDir(id)
	if err != nil {
		return "", err
	}
	if err := ensurePrivateDir(c.workRoot); err != nil {
		return "", fmt.Errorf("action workspaces: %w", err)
	}
	if err := os.Mkdir(runDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("action workspaces: %w", err)
	}
	// MkdirTemp creates a new directory (0700) or fails: never one that exists already.
	return os.MkdirTemp(runDir, label+"-")
}

// removeRunWorkspaces removes whatever is left of run id's workspaces.
func (c *Cloud) removeRunWorkspaces(id string) {
	if dir, err := c.runWorkDir(id); err == nil {
		_ = removeAllWritable(dir)
	}
}

// removeAllWritable is os.RemoveAll, after giving the owner write access to directories an
// action made read-only (a build may chmod its output).
func removeAllWritable(dir string) error {
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(dir)
}

// sweepWorkspaces removes the workspace directories of runs that are not in progress: what a
// driver killed during its cleanup, or before its recovery ran, left behind.
func (c *Cloud) sweepWorkspaces(ctx context.Context) error {
	entries, err := os.ReadDir(c.workRoot)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		id := e.Name()
		if !runIDPattern.MatchString(id) {
			continue
		}
		var status string
		err := c.reader.QueryRowContext(ctx, `SELECT status FROM executions WHERE id = ?`, id).Scan(&status)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if status == backend.StatusInProgress || status == backend.StatusStopping {
			continue
		}
		c.removeRunWorkspaces(id)
	}
	return nil
}
