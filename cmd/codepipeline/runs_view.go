package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"golang.org/x/sys/unix"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// driveAndWatch drives a run here while a view follows it; the error says how it ended: nil
// when it succeeded, exit 1 otherwise.
func driveAndWatch(ctx context.Context, a backend.Runner, run *backend.Run, stdout io.Writer) error {
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
		return err
	}
	if !isTerminal(stdout) {
		printRun(stdout, ended) // on a terminal the watch's last table is this one
	}
	return runOutcome(ended)
}

// runOutcome is nil for a run that succeeded, exit 1 for one that ended otherwise (the table
// printed says how).
func runOutcome(run *backend.Run) error {
	if run.Status != backend.StatusSucceeded {
		return exitCode(exitFindings)
	}
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
	for _, action := range slices.Sorted(maps.Keys(run.SourceRevisions)) {
		p("  source %s pinned to %s", action, run.SourceRevisions[action])
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
		for _, line := range stageDetailLines(st) {
			p("%s", line)
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
		noteConditions(st, note)
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
