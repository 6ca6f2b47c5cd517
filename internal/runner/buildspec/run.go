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
	// SecretVars are the action's PARAMETER_STORE and SECRETS_MANAGER variables; like Vars,
	// they override the buildspec's variables of the same name.
	SecretVars []SecretVar
	// Secrets reads secret variables (the buildspec's env.parameter-store and
	// env.secrets-manager, and SecretVars). Nil: a build that has any fails before it starts,
	// saying so. Their values are masked (***) in the build's output.
	Secrets SecretResolver
	// Builtin are the build environment's own variables (AWS_REGION, CODEBUILD_BUILD_ID, …):
	// over Environ, under the buildspec's variables.
	Builtin map[string]string
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
	// in a sandbox); shells that run as another user (run-as) are left as they are.
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
	// Expanded is the buildspec with its artifacts and reports sections expanded as the shell
	// expands them, in the build's final environment and directory (what CollectArtifacts and
	// CollectReports read); nil when UploadArtifacts is false.
	Expanded *Spec
	// ExpandError is why the artifact sections could not be expanded; it fails the build.
	ExpandError error
	// Warnings are the buildspec's settings without local effect and what the run noticed
	// (an exported variable that holds a secret, …).
	Warnings []string
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
	if r.ExpandError != nil {
		return "phase UPLOAD_ARTIFACTS: " + r.ExpandError.Error()
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
//     anything failed) are set for every command, over Env.Builtin.
//   - Transitions after a failed phase: with on-failure ABORT the build ends there (no later
//     phase, no artifacts); with CONTINUE it goes on to the next phase like after a success;
//     without on-failure, CodeBuild's build phase transitions apply: a failed install or
//     pre_build skips the rest of the build, artifacts included; a failed build still runs
//     post_build and uploads artifacts. Any failure fails the build.
//   - run-as (top-level, or the phase's, which wins) runs the phase's commands as that user;
//     Run fails before the first phase when a user is unknown or cannot be switched to.
//   - Secret variables are read before the first phase (a build that needs one and has no
//     Env.Secrets fails there) and masked as *** in the output.
//   - Once the build reached UPLOAD_ARTIFACTS, the artifacts and reports sections are expanded
//     as the shell would expand them, with the final environment (Result.Expanded).
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
	if !spec.HasPhases && spec.Batch != nil {
		return nil, &FieldError{Field: "phases", Message: "required to run this buildspec as one build: it only defines a batch (run it as a batch build, or add phases)"}
	}
	shell := spec.Shell
	if shell == "" {
		shell = "bash"
	}
	users, err := resolveUsers(spec)
	if err != nil {
		return nil, err
	}
	secretList := secretVars(spec, env)
	secrets, err := resolveSecrets(ctx, env.Secrets, secretList)
	if err != nil {
		return nil, err
	}
	// A build that switches users keeps its state where those users can reach it (the system's
	// temporary directory), not in TempDir.
	tempDir := env.TempDir
	for _, id := range users {
		if id.cred != nil {
			tempDir = ""
		}
	}
	stateDir, err := os.MkdirTemp(tempDir, "buildspec-state-")
	if err != nil {
		return nil, fmt.Errorf("buildspec: %w", err)
	}
	defer os.RemoveAll(stateDir)

	r := &runner{ctx: ctx, shell: shell, out: env, state: stateDir, vars: initialEnv(spec, env, secrets), users: users, granted: map[string]bool{}}
	r.dir = env.WorkDir
	if r.dir == "" {
		r.dir = env.PrimarySourceDir
	}
	if len(secrets) > 0 {
		values := make([]string, 0, len(secrets))
		for _, v := range secrets {
			values = append(values, v)
		}
		r.masked = newMasker(r.stdout(), values)
		r.out.Stdout, r.out.Stderr = r.masked, r.masked
	}
	defer r.flush()

	res := &Result{Succeeded: true, Warnings: append([]string(nil), spec.Warnings...)}
	skipRest, abort := false, false
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
		failed, err := r.phase(name, r.userOf(spec, ph), ph, res.Succeeded, &pr)
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
			switch {
			case ph.OnFailure == Abort:
				skipRest, abort = true, true
			case ph.OnFailure == Continue:
			case name == Install || name == PreBuild:
				skipRest = true
			}
		}
		res.Phases = append(res.Phases, pr)
	}
	if abort {
		res.UploadArtifacts = false
	}
	res.ExportedVariables = map[string]string{}
	for _, name := range spec.ExportedVariables {
		v, ok := r.vars[name]
		switch {
		case !ok:
		case containsName(secretList, name):
			res.Warnings = append(res.Warnings, fmt.Sprintf("env.exported-variables: %s holds a secret and is not exported", name))
		case strings.HasPrefix(name, "AWS_"):
			res.Warnings = append(res.Warnings, fmt.Sprintf("env.exported-variables: %s is not exported: CodeBuild exports no variable starting with AWS_", name))
		default:
			res.ExportedVariables[name] = v
		}
	}
	if res.UploadArtifacts {
		res.Expanded, res.ExpandError = r.expandSections(spec, r.userOf(spec, nil))
		if res.ExpandError != nil {
			res.Succeeded = false
			if res.ExitCode == 0 {
				res.ExitCode = 1
			}
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

func containsName(list []SecretVar, name string) bool {
	for _, v := range list {
		if v.Name == name {
			return true
		}
	}
	return false
}

type runner struct {
	ctx   context.Context
	shell string
	out   Env
	state string
	vars  map[string]string
	dir   string
	seq   int
	// users are the resolved run-as users; granted those already given the build's directories.
	users   map[string]*identity
	granted map[string]bool
	masked  *masker
}

// userOf is the user a phase runs as (ph nil: the top-level run-as), nil for the user running
// the build.
func (r *runner) userOf(spec *Spec, ph *Phase) *identity {
	name := spec.RunAs
	if ph != nil && ph.RunAs != "" {
		name = ph.RunAs
	}
	if name == "" {
		return nil
	}
	return r.users[name]
}

func (r *runner) flush() {
	if r.masked != nil {
		r.masked.Flush()
	}
}

// defaultPath is PATH when the base environment has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func initialEnv(spec *Spec, env Env, secrets map[string]string) map[string]string {
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
	if vars["PATH"] == "" {
		vars["PATH"] = defaultPath
	}
	for k, v := range env.Builtin {
		vars[k] = v
	}
	for k, v := range spec.Variables {
		vars[k] = v
	}
	for k, v := range secrets {
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
func (r *runner) phase(name PhaseName, id *identity, ph *Phase, succeeding bool, pr *PhaseResult) (bool, error) {
	fmt.Fprintf(r.stdout(), "[Container] Entering phase %s\n", strings.ToUpper(string(name)))
	if id != nil {
		fmt.Fprintf(r.stdout(), "[Container] Running phase %s as user %s\n", strings.ToUpper(string(name)), id.name)
		if err := r.grant(id); err != nil {
			return false, err
		}
	}
	r.vars["CODEBUILD_BUILD_SUCCEEDING"] = boolDigit(succeeding)
	failed := false
	idx, code, err := r.block(ph.Commands, id)
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
		fidx, fcode, err := r.block(ph.Finally, id)
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

// grant gives a switched-to user the build's directories, once (again after another user's
// grant took them), and lets it through the state directory, which stays root's: the user
// may write the files made for it there (see writeScript), not put anything else in.
func (r *runner) grant(id *identity) error {
	if id.cred == nil || r.granted[id.name] {
		return nil
	}
	if err := os.Chmod(r.state, 0o711); err != nil {
		return fmt.Errorf("buildspec: %w", err)
	}
	dirs := []string{r.out.PrimarySourceDir}
	for _, k := range sortedKeys(r.out.SecondarySourceDirs) {
		dirs = append(dirs, r.out.SecondarySourceDirs[k])
	}
	if err := grant(id, dirs...); err != nil {
		return err
	}
	r.granted = map[string]bool{id.name: true}
	return nil
}

// writeScript writes a script of the state directory, and creates the files its shell writes
// (outputs), owned by the user it runs as. Every file is new (O_EXCL): nothing the build
// placed there beforehand is written through.
func (r *runner) writeScript(name, content string, id *identity, outputs ...string) error {
	create := func(path string, data []byte, perm os.FileMode, owner *identity) error {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err != nil {
			return fmt.Errorf("buildspec: %w", err)
		}
		if _, err = f.Write(data); err == nil && owner != nil && owner.cred != nil {
			err = f.Chown(owner.uid, owner.gid)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("buildspec: %w", err)
		}
		return nil
	}
	perm := os.FileMode(0o600)
	if id != nil && id.cred != nil {
		perm = 0o644 // root's, readable by the user who runs it
	}
	if err := create(name, []byte(content), perm, nil); err != nil {
		return err
	}
	for _, out := range outputs {
		if err := create(out, nil, 0o600, id); err != nil {
			return err
		}
	}
	return nil
}

// block runs cmds in as few shells as possible and returns the 1-based index of the failing
// command (0 when none, or when the shell died without saying) and its exit status.
func (r *runner) block(cmds []string, id *identity) (int, int, error) {
	for start := 0; start < len(cmds); {
		r.seq++
		prefix := filepath.Join(r.state, strconv.Itoa(r.seq))
		script := prefix + ".sh"
		if err := r.writeScript(script, blockScript(cmds, start, prefix), id, prefix+".status", prefix+".pwd", prefix+".env"); err != nil {
			return 0, 0, err
		}
		res, err := r.start(script, id, r.out.Stdout, r.out.Stderr)
		r.flush()
		if err != nil {
			return 0, 0, err
		}
		idx, code, ok := r.readState(prefix, id)
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

// start runs a script of the state directory in the build's shell, as id.
func (r *runner) start(script string, id *identity, stdout, stderr io.Writer) (proc.Result, error) {
	c := proc.Command{
		Path: r.shell, Args: []string{script}, Dir: r.dir, Env: r.environ(id),
		Stdout: stdout, Stderr: stderr, Grace: r.out.Grace, OnStart: r.out.OnProcess,
	}
	if id != nil {
		c.Credential = id.cred
	}
	// A shell of another user is kept from the caller's files by that user's own permissions;
	// one of the caller's user goes through Wrap (the local backend's sandbox).
	if r.out.Wrap != nil && c.Credential == nil {
		c = r.out.Wrap(c)
	}
	return proc.Run(r.ctx, c)
}

// readState loads what a block's exit trap saved. Variables the shell sets for itself are not
// carried: "_" and SHLVL (which would grow by one per block); nor is the identity a switched
// user's block was given (HOME, USER, LOGNAME), which belongs to that phase.
func (r *runner) readState(prefix string, id *identity) (idx, code int, ok bool) {
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
		if id != nil && id.cred != nil {
			for k, v := range id.environ() {
				if vars[k] == v {
					if old, had := r.vars[k]; had {
						vars[k] = old
					} else {
						delete(vars, k)
					}
				}
			}
		}
		r.vars = vars
	}
	return idx, code, true
}

// environ is the environment of a shell run as id: the build's variables, and for a switched
// user that user's HOME, USER and LOGNAME.
func (r *runner) environ(id *identity) []string {
	vars := r.vars
	if id != nil && id.cred != nil {
		vars = make(map[string]string, len(r.vars)+3)
		for k, v := range r.vars {
			vars[k] = v
		}
		for k, v := range id.environ() {
			vars[k] = v
		}
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+vars[k])
	}
	return out
}

func (id *identity) environ() map[string]string {
	return map[string]string{"HOME": id.home, "USER": id.name, "LOGNAME": id.name}
}
