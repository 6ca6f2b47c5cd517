package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/creack/pty"
	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// The terminal's size: a common one, narrower than a Source action's line (its summary names
// a 32-digit object version), so a view that lets lines wrap miscounts its rows.
const termCols, termRows = 80, 24

// term is a real pseudo-terminal: the CLI writes to its slave side, which isatty takes for a
// terminal, and the test reads everything written from the master side.
type term struct {
	tty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	read chan struct{} // closed when the master side reads no more
}

func openTerm(t *testing.T) *term {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("opening a pseudo-terminal: %v", err)
	}
	if err := pty.Setsize(tty, &pty.Winsize{Cols: termCols, Rows: termRows}); err != nil {
		t.Fatal(err)
	}
	tm := &term{tty: tty, read: make(chan struct{})}
	// Read all along: a pty's buffer is small, and a writer to a full one blocks.
	go func() {
		defer close(tm.read)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			tm.mu.Lock()
			tm.out.Write(buf[:n])
			tm.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { tty.Close(); master.Close(); <-tm.read })
	return tm
}

// text is what the terminal received so far. The line discipline turns each "\n" written into
// "\r\n" (ONLCR, as on a user's terminal); that is undone here, and nothing else.
func (tm *term) text() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return strings.ReplaceAll(tm.out.String(), "\r\n", "\n")
}

// waitFor waits until the terminal received a whole line for which ok holds. It waits for the
// run to get somewhere, it measures nothing: the deadline only ends a hung test.
func (tm *term) waitFor(t *testing.T, what string, ok func(line string) bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		text := tm.text()
		for line := range strings.Lines(text[:strings.LastIndex(text, "\n")+1]) {
			if ok(strings.TrimSuffix(line, "\n")) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %s; it received:\n%q", what, text)
		}
	}
}

// all is everything the CLI wrote: a marker written after it is read back, so nothing the CLI
// wrote is still in flight.
func (tm *term) all(t *testing.T) string {
	t.Helper()
	const marker = "--- end of the test's output ---"
	if _, err := tm.tty.WriteString(marker + "\n"); err != nil {
		t.Fatal(err)
	}
	tm.waitFor(t, "the end marker", func(line string) bool { return line == marker })
	text, _, _ := strings.Cut(tm.text(), marker)
	if strings.Contains(text, "\r") {
		t.Errorf("a carriage return the CLI wrote itself:\n%q", text)
	}
	return text
}

// cursorUp is how the view goes back to its table's first row and clears below.
var cursorUp = regexp.MustCompile(`\x1b\[(\d+)A\x1b\[J`)

// frames splits the output into the tables drawn, and checks that each redraw first moves up
// exactly the rows the table before it took on the terminal: fewer leaves stale lines on
// screen, more eats into what was there before the view.
func frames(t *testing.T, out string) []string {
	t.Helper()
	var drawn []string
	from := 0
	for _, m := range cursorUp.FindAllStringSubmatchIndex(out, -1) {
		drawn = append(drawn, out[from:m[0]])
		up, _ := strconv.Atoi(out[m[2]:m[3]])
		if rows := screenRows(drawn[len(drawn)-1]); up != rows {
			t.Errorf("redraw %d moves up %d rows, but the table before it took %d:\n%s", len(drawn), up, rows, drawn[len(drawn)-1])
		}
		from = m[1]
	}
	drawn = append(drawn, out[from:])
	for i, f := range drawn {
		if strings.Contains(f, "\x1b") || !strings.HasSuffix(f, "\n") {
			t.Errorf("table %d is not whole lines of text: %q", i, f)
		}
	}
	return drawn
}

// screenRows is how many terminal rows text takes: a line longer than the terminal wraps.
func screenRows(text string) int {
	rows := 0
	for line := range strings.Lines(text) {
		rows += max(1, (utf8.RuneCountInString(strings.TrimSuffix(line, "\n"))+termCols-1)/termCols)
	}
	return rows
}

// row is a stage or action line of the table: "  STAGE  STATUS  ELAPSED" or
// "    ACTION  STATUS  ELAPSED  DETAIL", the columns of the two aligned.
type row struct{ key, status, elapsed, detail string }

// parseRow reads a line of a table of stages; ok is false for the other lines.
func parseRow(line string, stages []string) (r row, ok bool) {
	field := func(from, to int) string {
		from, to = min(from, len(line)), min(to, len(line))
		return strings.TrimSpace(line[from:to])
	}
	name := field(0, 26)
	switch {
	case strings.HasPrefix(line, "    "):
		return row{name, field(27, 39), field(40, 48), field(49, len(line))}, true
	case strings.HasPrefix(line, "  "):
		for _, s := range stages {
			if s == name {
				return row{name, field(27, 39), field(40, len(line)), ""}, true
			}
		}
	}
	return row{}, false
}

// table reads a whole table: its header's fields and its stages and actions, the latter keyed
// STAGE/ACTION, in order.
func table(frame string, stages []string) (header []string, rows []row) {
	stage := ""
	for i, line := range strings.Split(strings.TrimSuffix(frame, "\n"), "\n") {
		if i == 0 {
			header = strings.Fields(line)
			continue
		}
		r, ok := parseRow(line, stages)
		if !ok {
			continue
		}
		if strings.HasPrefix(line, "    ") {
			r.key = stage + "/" + r.key
		} else {
			stage = r.key
		}
		rows = append(rows, r)
	}
	return header, rows
}

// isRunningFor matches a line showing action as running for some time already: the view
// shows elapsed time up to now, not only once an action ended.
func isRunningFor(action string) func(string) bool {
	return func(line string) bool {
		r, ok := parseRow(line, nil)
		d, err := time.ParseDuration(r.elapsed)
		return ok && r.key == action && r.status == backend.StatusInProgress && err == nil && d > 0
	}
}

func TestWatchRedrawsTheRunInPlaceOnATerminal(t *testing.T) {
	cases := []struct {
		name string
		// approve: the pipeline starts with a manual approval, approved with a summary of two
		// lines, which the table must still show as one.
		approve    bool
		commands   []string // Build/Compile's, once the test lets it go on
		wantRun    string
		wantStatus map[string]string // STAGE and STAGE/ACTION: status in the final table
		wantDetail map[string]string // STAGE/ACTION: start of its detail in the final table
	}{{
		name:     "succeeds",
		approve:  true,
		commands: []string{"echo compiled"},
		wantRun:  backend.StatusSucceeded,
		wantStatus: map[string]string{
			"Source": backend.StatusSucceeded, "Source/Fetch": backend.StatusSucceeded,
			"Approve": backend.StatusSucceeded, "Approve/Manual": backend.StatusSucceeded,
			"Build": backend.StatusSucceeded, "Build/Compile": backend.StatusSucceeded,
		},
		wantDetail: map[string]string{"Approve/Manual": "approved: looks good", "Build/Compile": "build succeeded"},
	}, {
		name:     "fails",
		commands: []string{"echo compiler says no >&2", "exit 3"},
		wantRun:  backend.StatusFailed,
		wantStatus: map[string]string{
			"Source": backend.StatusSucceeded, "Source/Fetch": backend.StatusSucceeded,
			"Build": backend.StatusFailed, "Build/Compile": backend.StatusFailed,
		},
		wantDetail: map[string]string{"Build/Compile": "build failed"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := newRunsCloud(t)
			// Compile waits for the test, so that the view is seen while it runs.
			release := filepath.Join(t.TempDir(), "release")
			commands := append([]string{"while [ ! -e " + release + " ]; do sleep 0.05; done"}, tc.commands...)
			var stages []pipeline.Stage
			if tc.approve {
				stages = append(stages, approval("Approve", "Manual"))
			}
			stages = append(stages, buildStage("Build", "Compile", commands...))
			rc.createPipeline(t, "live", stages...)
			stageNames := []string{"Source"}
			for _, st := range stages {
				stageNames = append(stageNames, st.Name)
			}

			id, done := rc.driveInBackground(t, "live")
			tm := openTerm(t)
			watched := make(chan error, 1)
			go func() { watched <- watchRun(context.Background(), rc.a, "live", id, tm.tty) }()

			if tc.approve {
				tm.waitFor(t, "Manual running", isRunningFor("Manual"))
				if err := rc.a.PutApprovalResult(context.Background(), "live", id, "Approve", "Manual", true, "looks good\nshipping it"); err != nil {
					t.Fatal(err)
				}
			}
			tm.waitFor(t, "Compile running", isRunningFor("Compile"))
			if err := os.WriteFile(release, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			ended := waitEnded(t, done)
			select {
			case err := <-watched:
				if err != nil {
					t.Fatalf("watchRun: %v", err)
				}
			case <-time.After(time.Minute):
				t.Fatal("watchRun did not return once the run ended")
			}
			if ended.Status != tc.wantRun {
				t.Fatalf("run = %s (%s), want %s", ended.Status, ended.StatusReason, tc.wantRun)
			}

			drawn := frames(t, tm.all(t))
			if len(drawn) < 2 {
				t.Fatalf("%d table(s) drawn, want it redrawn as the run went on:\n%s", len(drawn), strings.Join(drawn, "----\n"))
			}
			last := drawn[len(drawn)-1]
			header, rows := table(last, stageNames)
			if len(header) != 4 || header[0] != "live" || header[1] != id || header[2] != tc.wantRun {
				t.Errorf("final table's header = %q, want live %s %s and the run's elapsed time", header, id, tc.wantRun)
			}
			status := map[string]string{}
			for _, r := range rows {
				status[r.key] = r.status
				if d, err := time.ParseDuration(r.elapsed); err != nil || d < 0 {
					t.Errorf("%s: elapsed time %q in the final table", r.key, r.elapsed)
				}
				if want, ok := tc.wantDetail[r.key]; ok && !strings.HasPrefix(r.detail, want) {
					t.Errorf("%s: detail %q, want it to start with %q", r.key, r.detail, want)
				}
			}
			if diff := cmp.Diff(tc.wantStatus, status); diff != "" {
				t.Errorf("final table's statuses (-want +got):\n%s\ntable:\n%s", diff, last)
			}
			if ended.Status == backend.StatusFailed && !strings.Contains(last, "\n  action Compile of stage Build failed: build failed") {
				t.Errorf("final table does not say why the run failed:\n%s", last)
			}
		})
	}
}

// TestWatchOfStartOnATerminalEndsOnOneTable: start draws the run live, then must not append a
// second copy of the final table below the live one.
func TestWatchOfStartOnATerminalEndsOnOneTable(t *testing.T) {
	rc := newRunsCloud(t)
	rc.createPipeline(t, "once", buildStage("Build", "Compile", "sleep 0.3"))
	run, err := rc.a.StartRun(context.Background(), backend.RunRequest{Pipeline: "once"})
	if err != nil {
		t.Fatal(err)
	}
	tm := openTerm(t)
	if err := driveAndWatch(context.Background(), rc.a, run, tm.tty); err != nil {
		t.Fatal(err)
	}
	out, ok := strings.CutPrefix(tm.all(t), fmt.Sprintf("run %s of once\n", run.ID))
	if !ok {
		t.Fatalf("the output does not start with the run's id:\n%q", out)
	}
	drawn := frames(t, out)
	for i, f := range drawn {
		if n := strings.Count(f, "once  "+run.ID+"  "); n != 1 {
			t.Errorf("table %d has %d headers, want 1:\n%s", i, n, f)
		}
	}
	header, _ := table(drawn[len(drawn)-1], nil)
	if len(header) < 3 || header[2] != backend.StatusSucceeded {
		t.Errorf("the last table drawn does not show the run Succeeded:\n%s", drawn[len(drawn)-1])
	}
}
