package buildspec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/proc"
)

// Env is where and with what a buildspec runs.
type Env struct {
	// PrimarySourceDir is CODEBUILD_SRC_DIR, the primary input's directory. Required.
	PrimarySourceDir string
	// WorkDir is where the first phase starts; empty means PrimarySourceDir.
	WorkDir string
	// SecondarySourceDirs are the other inputs by identifier (CODEBUILD_SRC_DIR_<identifier>).
	SecondarySourceDirs map[string]string
	// Vars override env.variables, as a CodeBuild action's EnvironmentVariables override the
	// buildspec's.
	Vars map[string]string
	// Environ is the base environment; nil means this process's environment.
	Environ []string
	// Stdout and Stderr receive the build's output (the same writer for both keeps the order).
	Stdout, Stderr io.Writer
	// Grace is the time between SIGTERM and SIGKILL when ctx ends; zero means proc.DefaultGrace.
	Grace time.Duration
	// OnProcess, when set, is told the process group id of each shell the build starts.
	OnProcess func(pgid int)
	// TempDir is where Run keeps what each shell saves for the next (its working directory and
	// environment, variables included); empty means os.TempDir(). The local backend puts it
	// in the action's workspace, which goes with the action.
	TempDir string
	// Wrap, when set, rewrites each shell's command before it starts (the local backend runs it
	// in a sandbox).
	Wrap func(proc.Command) proc.Command
}

// PhaseStatus is how a phase ended, in CodeBuild's terms.
type PhaseStatus string

const (
	StatusSucceeded PhaseStatus = "SUCCEEDED"
	StatusFailed    PhaseStatus = "FAILED"
	// StatusSkipped: an earlier failure's transition passed over the phase.
	StatusSkipped PhaseStatus = "SKIPPED"
	// StatusStopped: the context was cancelled during the phase.
	StatusStopped PhaseStatus = "STOPPED"
	// StatusTimedOut: the context's deadline passed during the phase.
	StatusTimedOut PhaseStatus = "TIMED_OUT"
)

// PhaseResult is one phase's outcome.
type PhaseResult struct {
	Phase  PhaseName
	Status PhaseStatus
	// ExitCode is the failing command's exit status (-1 when a signal ended it), 0 otherwise.
	ExitCode int
	// FailedCommand is the first failing command, empty when none failed or it is unknown.
	FailedCommand string
	// InFinally tells that FailedCommand belongs to the finally block.
	InFinally bool
}

// Result is a build's outcome.
type Result struct {
	// Phases has one entry per phase, in execution order.
	Phases    []PhaseResult
	Succeeded bool
	// ExitCode is the first failing command's exit status, 0 when the build succeeded.
	ExitCode int
	// UploadArtifacts tells whether CodeBuild would attempt UPLOAD_ARTIFACTS: true once the
	// build phase was reached, even when it failed; false after an install or pre_build abort.
	UploadArtifacts bool
	// ExportedVariables are the final values of env.exported-variables that were set.
	ExportedVariables map[string]string
}

// Failure describes the first failed phase, empty when the build succeeded.
func (r *Result) Failure() string {
	for _, p := range r.Phases {
		switch p.Status {
		case StatusFailed:
			block := "commands"
			if p.InFinally {
				block = "finally"
			}
			if p.FailedCommand == "" {
				return fmt.Sprintf("phase %s failed with exit status %d", strings.ToUpper(string(p.Phase)), p.ExitCode)
			}
			return fmt.Sprintf("phase %s: %s command %q exited with status %d", strings.ToUpper(string(p.Phase)), block, p.FailedCommand, p.ExitCode)
		case StatusStopped, StatusTimedOut:
			return fmt.Sprintf("phase %s %s", strings.ToUpper(string(p.Phase)), strings.ToLower(strings.ReplaceAll(string(p.Status), "_", " ")))
		}
	}
	return ""
}

// Run executes the phases in order, as CodeBuild does for buildspec 0.2:
//
//   - A phase's commands run in one shell, one after the other; the first failing command ends
//     the block. Exported variables and the working directory carry on to the finally block and
//     to later phases (a command that calls exit ends only itself: the remaining commands run
//     in a new shell that inherits the state).
//   - finally runs after the commands, even when one failed; its own failure fails the phase.
//   - CODEBUILD_SRC_DIR, CODEBUILD_SRC_DIR_<id> and CODEBUILD_BUILD_SUCCEEDING (1, or 0 once
//     anything failed) are set for every command.
//   - Transitions: a failed install or pre_build skips the rest of the build, artifacts
//     included; a failed build still runs post_build; with on-failure CONTINUE a failed phase
//     goes on to the next phase like a successful one. Any failure fails the build.
//
// Run returns the context's error (with the result so far) when ctx ends; a failing build is
// not an error.
func Run(ctx context.Context, spec *Spec, env Env) (*Result, error) {
	if env.PrimarySourceDir == "" {
		return nil, errors.New("buildspec: Env.PrimarySourceDir is required")
	}
	if err := checkCommands(spec); err != nil {
		return nil, err
	}
	shell := spec.Shell
	if shell == "" {
		shell = "bash"
	}
	stateDir, err := os.MkdirTemp(env.TempDir, "buildspec-state-")
	if err != nil {
		return nil, fmt.Errorf("buildspec: %w", err)
	}
	defer os.RemoveAll(stateDir)

	r := &runner{ctx: ctx, shell: shell, out: env, state: stateDir, vars: initialEnv(spec, env)}
	r.dir = env.WorkDir
	if r.dir == "" {
		r.dir = env.PrimarySourceDir
	}

	res := &Result{Succeeded: true}
	skipRest := false
	for _, name := range Phases {
		pr := PhaseResult{Phase: name, Status: StatusSucceeded}
		if skipRest {
			pr.Status = StatusSkipped
			res.Phases = append(res.Phases, pr)
			continue
		}
		if name == Build {
			res.UploadArtifacts = true
		}
		ph := spec.Phases[name]
		if ph == nil || len(ph.Commands)+len(ph.Finally) == 0 {
			res.Phases = append(res.Phases, pr)
			continue
		}
		failed, err := r.phase(name, ph, res.Succeeded, &pr)
		if err != nil {
			pr.Status = StatusStopped
			if errors.Is(err, context.DeadlineExceeded) {
				pr.Status = StatusTimedOut
			}
			res.Phases = append(res.Phases, pr)
			for _, rest := range Phases[len(res.Phases):] {
				res.Phases = append(res.Phases, PhaseResult{Phase: rest, Status: StatusSkipped})
			}
			res.Succeeded = false
			res.UploadArtifacts = false
			if res.ExitCode == 0 {
				res.ExitCode = -1
			}
			return res, err
		}
		if failed {
			pr.Status = StatusFailed
			if res.Succeeded {
				res.ExitCode = pr.ExitCode
				if res.ExitCode == 0 {
					res.ExitCode = 1
				}
			}
			res.Succeeded = false
			if ph.OnFailure != Continue && (name == Install || name == PreBuild) {
				skipRest = true
			}
		}
		res.Phases = append(res.Phases, pr)
	}
	res.ExportedVariables = map[string]string{}
	for _, name := range spec.ExportedVariables {
		if v, ok := r.vars[name]; ok {
			res.ExportedVariables[name] = v
		}
	}
	return res, nil
}

// checkCommands refuses a command holding a NUL character: a shell drops it without a word,
// and runs a command other than the one written.
func checkCommands(spec *Spec) error {
	for _, name := range Phases {
		ph := spec.Phases[name]
		if ph == nil {
			continue
		}
		for block, cmds := range map[string][]string{"commands": ph.Commands, "finally": ph.Finally} {
			for i, c := range cmds {
				if strings.ContainsRune(c, 0) {
					return fmt.Errorf("buildspec: phase %s, %s command %d contains a NUL character, which the shell would drop; remove it",
						strings.ToUpper(string(name)), block, i+1)
				}
			}
		}
	}
	return nil
}

type runner struct {
	ctx   context.Context
	shell string
	out   Env
	state string
	vars  map[string]string
	dir   string
	seq   int
}

func initialEnv(spec *Spec, env Env) map[string]string {
	base := env.Environ
	if base == nil {
		base = os.Environ()
	}
	vars := map[string]string{}
	for _, kv := range base {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			vars[k] = v
		}
	}
	for k, v := range spec.Variables {
		vars[k] = v
	}
	for k, v := range env.Vars {
		vars[k] = v
	}
	vars["CODEBUILD_SRC_DIR"] = env.PrimarySourceDir
	for id, dir := range env.SecondarySourceDirs {
		vars["CODEBUILD_SRC_DIR_"+id] = dir
	}
	return vars
}

// phase runs one phase's commands and finally block; it reports whether the phase failed.
func (r *runner) phase(name PhaseName, ph *Phase, succeeding bool, pr *PhaseResult) (bool, error) {
	fmt.Fprintf(r.stdout(), "[Container] Entering phase %s\n", strings.ToUpper(string(name)))
	r.vars["CODEBUILD_BUILD_SUCCEEDING"] = boolDigit(succeeding)
	failed := false
	idx, code, err := r.block(ph.Commands)
	if err != nil {
		return false, err
	}
	if code != 0 {
		failed = true
		pr.ExitCode = code
		pr.FailedCommand = commandAt(ph.Commands, idx)
	}
	if len(ph.Finally) > 0 {
		r.vars["CODEBUILD_BUILD_SUCCEEDING"] = boolDigit(succeeding && !failed)
		fidx, fcode, err := r.block(ph.Finally)
		if err != nil {
			return false, err
		}
		if fcode != 0 && !failed {
			failed = true
			pr.ExitCode = fcode
			pr.FailedCommand = commandAt(ph.Finally, fidx)
			pr.InFinally = true
		}
	}
	fmt.Fprintf(r.stdout(), "[Container] Phase complete: %s State: %s\n", strings.ToUpper(string(name)), map[bool]string{true: "FAILED", false: "SUCCEEDED"}[failed])
	return failed, nil
}

func commandAt(cmds []string, idx int) string {
	if idx >= 1 && idx <= len(cmds) {
		return cmds[idx-1]
	}
	return ""
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func (r *runner) stdout() io.Writer {
	if r.out.Stdout != nil {
		return r.out.Stdout
	}
	return io.Discard
}

// block runs cmds in as few shells as possible and returns the 1-based index of the failing
// command (0 when none, or when the shell died without saying) and its exit status.
func (r *runner) block(cmds []string) (int, int, error) {
	for start := 0; start < len(cmds); {
		r.seq++
		prefix := filepath.Join(r.state, strconv.Itoa(r.seq))
		script := prefix + ".sh"
		if err := os.WriteFile(script, []byte(blockScript(cmds, start, prefix)), 0o600); err != nil {
			return 0, 0, fmt.Errorf("buildspec: %w", err)
		}
		cmd := proc.Command{
			Path: r.shell, Args: []string{script}, Dir: r.dir, Env: r.environ(),
			Stdout: r.out.Stdout, Stderr: r.out.Stderr, Grace: r.out.Grace, OnStart: r.out.OnProcess,
		}
		if r.out.Wrap != nil {
			cmd = r.out.Wrap(cmd)
		}
		res, err := proc.Run(r.ctx, cmd)
		if err != nil {
			return 0, 0, err
		}
		idx, code, ok := r.readState(prefix)
		if !ok {
			// The shell ended without running its exit trap: killed by a signal, or replaced by exec.
			// Its state is lost, so the block cannot go on: a failure, not a pretend success.
			if res.ExitCode == 0 {
				return 0, -1, nil
			}
			return 0, res.ExitCode, nil
		}
		if code != 0 {
			return idx, code, nil
		}
		if idx == 0 {
			return 0, 0, nil
		}
		// Command idx called exit 0: it succeeded; the rest of the block runs in a new shell.
		start = idx
	}
	return 0, 0, nil
}

// blockScript runs cmds[start:] with eval, one by one, stopping at the first failure. The EXIT
// trap records where the shell stopped, its working directory and its environment, so that
// the next block starts from the same state.
func blockScript(cmds []string, start int, prefix string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "__cb_idx=0\n__cb_save() {\n  __cb_rc=$?\n  printf '%%s %%s\\n' \"$__cb_idx\" \"$__cb_rc\" > %s\n  pwd > %s\n  env -0 > %s 2>/dev/null\n}\ntrap __cb_save EXIT\n",
		shellQuote(prefix+".status"), shellQuote(prefix+".pwd"), shellQuote(prefix+".env"))
	for i := start; i < len(cmds); i++ {
		fmt.Fprintf(&b, "__cb_idx=%d\nprintf '[Container] Running command %%s\\n' %s\neval %s\n__cb_rc=$?\n[ \"$__cb_rc\" -eq 0 ] || exit \"$__cb_rc\"\n",
			i+1, shellQuote(cmds[i]), shellQuote(cmds[i]))
	}
	b.WriteString("__cb_idx=0\nexit 0\n")
	return b.String()
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// readState loads what a block's exit trap saved. Variables the shell sets for itself are not
// carried: "_" and SHLVL (which would grow by one per block).
func (r *runner) readState(prefix string) (idx, code int, ok bool) {
	status, err := os.ReadFile(prefix + ".status")
	if err != nil {
		return 0, 0, false
	}
	if _, err := fmt.Sscanf(string(status), "%d %d", &idx, &code); err != nil {
		return 0, 0, false
	}
	if pwd, err := os.ReadFile(prefix + ".pwd"); err == nil {
		if d := strings.TrimSuffix(string(pwd), "\n"); d != "" {
			r.dir = d
		}
	}
	if envData, err := os.ReadFile(prefix + ".env"); err == nil && len(envData) > 0 {
		shlvl, hadShlvl := r.vars["SHLVL"]
		vars := map[string]string{}
		for _, kv := range bytes.Split(envData, []byte{0}) {
			if k, v, ok := strings.Cut(string(kv), "="); ok && k != "" && k != "_" {
				vars[k] = v
			}
		}
		delete(vars, "SHLVL")
		if hadShlvl {
			vars["SHLVL"] = shlvl
		}
		r.vars = vars
	}
	return idx, code, true
}

func (r *runner) environ() []string {
	keys := make([]string, 0, len(r.vars))
	for k := range r.vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+r.vars[k])
	}
	return out
}
