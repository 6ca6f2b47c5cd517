package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"golang.org/x/sys/unix"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

func init() {
	commands["runs"] = command{summary: "list, show, watch, approve, reject, stop and retry pipeline runs", run: runRuns}
	commands["start"] = command{summary: "start a pipeline run and watch it", run: runStart}
}

const runsUsage = `Usage: codepipeline runs <subcommand> [flags] PIPELINE [arguments]

Subcommands:
  list    PIPELINE                       the pipeline's runs, newest first
  show    PIPELINE [ID]                  a run (default: the latest); -watch follows it live
  logs    PIPELINE ID STAGE ACTION       what an action printed
  approve PIPELINE ID STAGE ACTION       approve a waiting manual approval (-summary)
  reject  PIPELINE ID STAGE ACTION       reject it (-summary)
  stop    PIPELINE [ID]                  stop a run: let running actions finish, or -abandon them
  retry   PIPELINE ID STAGE              run a failed stage again (-all: all its actions) and watch

Flags (all subcommands):
`

// cloudFlags locate the local cloud and the account acting on it.
type cloudFlags struct {
	stateDir, account, region, repositories, functions *string
}

func addCloudFlags(fs *flag.FlagSet) cloudFlags {
	def := os.Getenv(backend.StateDirEnv)
	if def == "" {
		def = backend.DefaultStateDir
	}
	return cloudFlags{
		stateDir:     fs.String("state-dir", def, "the local backend's state directory (env "+backend.StateDirEnv+")"),
		account:      fs.String("account", backend.DefaultAccountID, "the account to act as"),
		region:       fs.String("region", backend.DefaultRegion, "the region to act in"),
		repositories: fs.String("repositories-dir", "", "directory of the git repositories of local sources (default: under the state directory)"),
		functions:    fs.String("functions-dir", "", "directory of the Invoke/Lambda handlers (default: under the state directory)"),
	}
}

// open opens the state directory as the flags' account, with a context that ends on SIGINT or
// SIGTERM; done undoes both.
func (f cloudFlags) open() (context.Context, backend.Runner, func(), error) {
	b, err := f.openBackend()
	if err != nil {
		return nil, nil, nil, err
	}
	runs, err := backend.RunsOf(b)
	if err != nil {
		b.Close()
		return nil, nil, nil, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	return ctx, runs, func() { stop(); b.Close() }, nil
}

// openBackend opens the state directory as the flags' account; the caller closes it.
func (f cloudFlags) openBackend() (backend.Backend, error) {
	cfg, err := backend.Resolve(backend.Settings{
		StateDir:        backend.Setting{Value: *f.stateDir, Set: true},
		AccountID:       backend.Setting{Value: *f.account, Set: true},
		Region:          backend.Setting{Value: *f.region, Set: true},
		RepositoriesDir: backend.Setting{Value: *f.repositories, Set: *f.repositories != ""},
		FunctionsDir:    backend.Setting{Value: *f.functions, Set: *f.functions != ""},
	}, os.Getenv)
	if err != nil {
		return nil, err
	}
	return backend.Open(context.Background(), cfg)
}

func runRuns(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "help" {
		fmt.Fprint(stderr, runsUsage)
		return exitUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("runs "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cf := addCloudFlags(fs)
	watch := fs.Bool("watch", false, "show: follow the run until it ends")
	summary := fs.String("summary", "", "approve/reject: a comment recorded with the decision")
	abandon := fs.Bool("abandon", false, "stop: stop running actions at once instead of letting them finish")
	reason := fs.String("reason", "", "stop: why")
	all := fs.Bool("all", false, "retry: run all of the stage's actions again, not only the failed ones")
	limit := fs.Int("n", 20, "list: how many runs")
	fs.Usage = func() { fmt.Fprint(stderr, runsUsage); fs.PrintDefaults() }
	pos, err := parseInterspersed(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	want := map[string][2]int{"list": {1, 1}, "show": {1, 2}, "logs": {4, 4}, "approve": {4, 4}, "reject": {4, 4}, "stop": {1, 2}, "retry": {3, 3}}
	n, ok := want[sub]
	if !ok {
		fmt.Fprintf(stderr, "codepipeline runs: unknown subcommand %q\n\n", sub)
		fmt.Fprint(stderr, runsUsage)
		return exitUsage
	}
	if len(pos) < n[0] || len(pos) > n[1] {
		fmt.Fprintf(stderr, "codepipeline runs %s: wrong number of arguments\n\n", sub)
		fs.Usage()
		return exitUsage
	}
	ctx, a, done, err := cf.open()
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline:", err)
		return exitUsage
	}
	defer done()
	arg := func(i int) string {
		if i < len(pos) {
			return pos[i]
		}
		return ""
	}
	switch sub {
	case "list":
		err = listRuns(ctx, a, arg(0), *limit, stdout)
	case "show":
		err = showRun(ctx, a, arg(0), arg(1), *watch, stdout)
	case "logs":
		var log []byte
		if log, err = a.ActionLog(ctx, arg(0), arg(1), arg(2), arg(3)); err == nil {
			_, err = stdout.Write(log)
		}
	case "approve", "reject":
		err = a.PutApprovalResult(ctx, arg(0), arg(1), arg(2), arg(3), sub == "approve", *summary)
		if err == nil {
			verb := map[string]string{"approve": "approved", "reject": "rejected"}[sub]
			fmt.Fprintf(stdout, "%s %s/%s of run %s\n", verb, arg(2), arg(3), arg(1))
		}
	case "stop":
		err = stopRun(ctx, a, arg(0), arg(1), *abandon, *reason, stdout)
	case "retry":
		var run *backend.Run
		if run, err = a.RetryStage(ctx, arg(0), arg(1), arg(2), *all); err == nil {
			return driveAndWatch(ctx, a, run, stdout, stderr)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline:", err)
		return exitFindings
	}
	return exitOK
}

// runStart starts a run and drives it in this process, showing its progress.
func runStart(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("start", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cf := addCloudFlags(fs)
	var vars listFlag
	fs.Var(&vars, "var", "a pipeline variable for this run, NAME=VALUE (repeatable)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: codepipeline start [flags] PIPELINE\n\nStarts a run and drives it here until it ends (Ctrl-C stops it).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil || len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	overrides := map[string]string{}
	for _, v := range vars {
		name, value, ok := strings.Cut(v, "=")
		if !ok {
			fmt.Fprintf(stderr, "codepipeline start: -var %q is not NAME=VALUE\n", v)
			return exitUsage
		}
		overrides[name] = value
	}
	ctx, a, done, err := cf.open()
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline:", err)
		return exitUsage
	}
	defer done()
	run, err := a.StartRun(ctx, backend.RunRequest{Pipeline: pos[0], Variables: overrides, Trigger: backend.TriggerManual, TriggerDetail: "codepipeline start"})
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline:", err)
		return exitFindings
	}
	return driveAndWatch(ctx, a, run, stdout, stderr)
}

// driveAndWatch drives a run here while a view follows it; the exit code says how it ended.
func driveAndWatch(ctx context.Context, a backend.Runner, run *backend.Run, stdout, stderr io.Writer) int {
	fmt.Fprintf(stdout, "run %s of %s\n", run.ID, run.Pipeline)
	watchCtx, stopWatch := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		_ = watchRun(watchCtx, a, run.Pipeline, run.ID, stdout)
	}()
	ended, err := a.ExecuteRun(ctx, run.Pipeline, run.ID)
	stopWatch()
	<-watched
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline:", err)
		return exitFindings
	}
	if !isTerminal(stdout) {
		printRun(stdout, ended) // on a terminal the watch's last table is this one
	}
	if ended.Status != backend.StatusSucceeded {
		return exitFindings
	}
	return exitOK
}

func listRuns(ctx context.Context, a backend.Runner, pipelineName string, limit int, w io.Writer) error {
	runs, err := a.ListRuns(ctx, pipelineName, limit)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%-36s  %-10s  %-20s  %-9s  %s\n", "EXECUTION", "STATUS", "STARTED", "DURATION", "TRIGGER")
	for _, r := range runs {
		fmt.Fprintf(w, "%-36s  %-10s  %-20s  %-9s  %s\n", r.ID, r.Status, r.Started.Local().Format("2006-01-02 15:04:05"), duration(r.Started, r.Ended), r.Trigger)
	}
	return nil
}

func showRun(ctx context.Context, a backend.Runner, pipelineName, id string, watch bool, w io.Writer) error {
	if watch {
		return watchRun(ctx, a, pipelineName, id, w)
	}
	run, err := a.GetRun(ctx, pipelineName, id)
	if err != nil {
		return err
	}
	printRun(w, run)
	return nil
}

func stopRun(ctx context.Context, a backend.Runner, pipelineName, id string, abandon bool, reason string, w io.Writer) error {
	if err := a.StopRun(ctx, pipelineName, id, abandon, reason); err != nil {
		return err
	}
	how := "running actions finish first"
	if abandon {
		how = "running actions are abandoned"
	}
	fmt.Fprintf(w, "stop requested (%s)\n", how)
	return nil
}

// watchRun follows a run until it ends or ctx ends: a table redrawn in place on a terminal,
// one line per change otherwise. When ctx ends it shows the run once more, so a caller that
// stops the watch once the run ended still leaves its final state on screen.
func watchRun(ctx context.Context, a backend.Runner, pipelineName, id string, w io.Writer) error {
	tty := isTerminal(w)
	seen := map[string]string{}
	drawn := 0
	for last := false; ; {
		run, err := a.GetRun(context.WithoutCancel(ctx), pipelineName, id)
		if err != nil {
			return err
		}
		id = run.ID
		if tty {
			drawn = redraw(w.(*os.File), run, drawn)
		} else {
			printChanges(w, run, seen)
		}
		if last || backend.RunEnded(run.Status) {
			return nil
		}
		select {
		case <-ctx.Done():
			last = true
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// redraw replaces the table drawn last, which took drawn rows of the terminal, with the run's,
// and returns how many rows that one takes. The cursor can only go back up the rows really
// used, so each line is cut to the terminal's width (a wrapped line would take two rows) and
// the rows are counted from what is written, not from what printRun meant to write.
func redraw(f *os.File, run *backend.Run, drawn int) int {
	var table, frame bytes.Buffer
	printRun(&table, run)
	if drawn > 0 {
		fmt.Fprintf(&frame, "\x1b[%dA\x1b[J", drawn) // back to the table's first row, clear below
	}
	width := 0
	if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil {
		width = int(ws.Col)
	}
	rows := 0
	for line := range strings.Lines(table.String()) {
		line = strings.TrimSuffix(line, "\n")
		// One column short of the width: some terminals wrap as soon as the last one is written.
		if r := []rune(line); width > 1 && len(r) > width-1 {
			line = string(r[:width-1])
		}
		frame.WriteString(line + "\n")
		rows++
	}
	_, _ = f.Write(frame.Bytes()) // one write: no half-drawn table between two polls
	return rows
}

// printRun writes the run as a table: the run, then each stage and its actions, with status
// and elapsed time (up to now while running), one line each.
func printRun(w io.Writer, run *backend.Run) {
	p := func(format string, args ...any) {
		fmt.Fprintf(w, format+"\n", args...)
	}
	p("%s  %s  %s  %s", run.Pipeline, run.ID, statusBadge(run.Status), duration(run.Started, run.Ended))
	if run.StatusReason != "" {
		p("  %s", firstLine(run.StatusReason))
	}
	for _, st := range run.Stages {
		p("  %-24s %-12s %s", st.Name, statusBadge(st.Status), stageDuration(st))
		for _, act := range st.Actions {
			detail := act.Summary
			if act.Error != "" {
				detail = act.Error
			}
			p("    %-22s %-12s %-8s %s", act.Name, statusBadge(act.Status), duration(act.Started, act.Ended), firstLine(detail))
			if act.Error != "" && act.Summary != "" {
				// A failed action's summary (a build's test reports, its warnings) under its error.
				p("      %s", firstLine(act.Summary))
			}
		}
	}
}

// stageDuration is the time from the stage's first action's start to its last action's end,
// or to now while the stage runs.
func stageDuration(st backend.StageRun) string {
	var start, end time.Time
	for _, act := range st.Actions {
		if !act.Started.IsZero() && (start.IsZero() || act.Started.Before(start)) {
			start = act.Started
		}
		if act.Ended.After(end) {
			end = act.Ended
		}
	}
	if st.Status == backend.StatusInProgress || st.Status == backend.StatusStopping {
		end = time.Time{}
	}
	return duration(start, end)
}

// printChanges writes one line per stage or action whose status changed since the last call.
func printChanges(w io.Writer, run *backend.Run, seen map[string]string) {
	now := time.Now().Format("15:04:05")
	var changes []string
	note := func(key, status, detail string) {
		if status != "" && seen[key] != status {
			seen[key] = status
			changes = append(changes, strings.TrimSpace(fmt.Sprintf("%s %-30s %-11s %s", now, key, status, detail)))
		}
	}
	for _, st := range run.Stages {
		note(st.Name, st.Status, "")
		for _, act := range st.Actions {
			detail := act.Summary
			if act.Error != "" {
				detail = act.Error
			}
			note(st.Name+"/"+act.Name, act.Status, firstLine(detail))
		}
	}
	note("run", run.Status, firstLine(run.StatusReason))
	for _, c := range changes {
		fmt.Fprintln(w, c)
	}
}

func statusBadge(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func duration(start, end time.Time) string {
	if start.IsZero() {
		return ""
	}
	if end.IsZero() {
		end = time.Now()
	}
	return end.Sub(start).Round(100 * time.Millisecond).String()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
