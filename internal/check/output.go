package check

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// Formats are the output formats, the first being the default.
var Formats = []string{"text", "json", "sarif"}

// Write renders the report in format ("text", "json" or "sarif"). Colour applies to text only.
func Write(w io.Writer, rep *Report, format string, colour bool, toolVersion string) error {
	switch format {
	case "", "text":
		return WriteText(w, rep, colour)
	case "json":
		return WriteJSON(w, rep)
	case "sarif":
		return WriteSARIF(w, rep, toolVersion)
	}
	return fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(Formats, ", "))
}

// IsTerminal reports whether f is a terminal, for colour on by default. NO_COLOR turns it off
// (https://no-color.org).
func IsTerminal(f *os.File) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

type palette struct{ err, warn, dim, bold, reset string }

func newPalette(colour bool) palette {
	if !colour {
		return palette{}
	}
	return palette{err: "\x1b[1;31m", warn: "\x1b[1;33m", dim: "\x1b[2m", bold: "\x1b[1m", reset: "\x1b[0m"}
}

// WriteText writes the findings grouped by resource, then the suppressed ones, then a summary.
func WriteText(w io.Writer, rep *Report, colour bool) error {
	p := newPalette(colour)
	var b strings.Builder
	last := ""
	for _, f := range rep.Findings {
		if f.Resource != last {
			if last != "" {
				b.WriteByte('\n')
			}
			last = f.Resource
			b.WriteString(p.bold + f.Resource + p.reset)
			b.WriteByte('\n')
		}
		sev := p.err + "error" + p.reset
		if f.Severity == "warning" {
			sev = p.warn + "warning" + p.reset
		}
		fmt.Fprintf(&b, "  %s [%s] %s\n", sev, f.Rule, f.Title)
		if at := locationText(f); at != "" {
			fmt.Fprintf(&b, "    %sat %s%s\n", p.dim, at, p.reset)
		}
		fmt.Fprintf(&b, "    %s\n", indent(f.Message, "    "))
		if f.Fix != "" {
			fmt.Fprintf(&b, "    Fix: %s\n", indent(f.Fix, "    "))
		}
	}
	if len(rep.Suppressed) > 0 {
		if len(rep.Findings) > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.bold + "Suppressed" + p.reset + "\n")
		for _, f := range rep.Suppressed {
			fmt.Fprintf(&b, "  %s%s [%s] at %s, by codepipeline:ignore at %s:%d%s\n",
				p.dim, f.Resource, f.Rule, orWhole(f.Path), f.SuppressedBy.File, f.SuppressedBy.Line, p.reset)
		}
	}
	if len(rep.Notices) > 0 {
		if len(rep.Findings) > 0 || len(rep.Suppressed) > 0 {
			b.WriteByte('\n')
		}
		for _, n := range rep.Notices {
			fmt.Fprintf(&b, "%snotice%s %s\n", p.warn, p.reset, indent(n.Message, "  "))
			if n.Pos != nil {
				fmt.Fprintf(&b, "  %sat %s:%d%s\n", p.dim, n.Pos.File, n.Pos.Line, p.reset)
			}
		}
	}
	if len(rep.Findings) > 0 || len(rep.Suppressed) > 0 || len(rep.Notices) > 0 {
		b.WriteByte('\n')
	}
	b.WriteString(summaryText(rep))
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

func locationText(f Result) string {
	var parts []string
	if f.Path != "" {
		parts = append(parts, f.Path)
	}
	if f.Pos != nil {
		parts = append(parts, fmt.Sprintf("(%s:%d)", f.Pos.File, f.Pos.Line))
	}
	return strings.Join(parts, " ")
}

func orWhole(path string) string {
	if path == "" {
		return "the resource"
	}
	return path
}

func indent(s, pre string) string { return strings.ReplaceAll(s, "\n", "\n"+pre) }

func summaryText(rep *Report) string {
	s := fmt.Sprintf("%s, %s", plural(rep.Errors(), "error"), plural(rep.Warnings(), "warning"))
	if n := len(rep.Suppressed); n > 0 {
		s += fmt.Sprintf(", %d suppressed", n)
	}
	return s + fmt.Sprintf(" in %s checked.", plural(rep.Checked, "resource"))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// jsonReport is the JSON output: a stable, documented shape (docs/guides/policy-checks).
type jsonReport struct {
	Version    int      `json:"version"`
	Input      string   `json:"input"`
	Kind       string   `json:"kind"`
	Findings   []Result `json:"findings"`
	Suppressed []Result `json:"suppressed"`
	Notices    []Notice `json:"notices"`
	Summary    struct {
		Errors     int `json:"errors"`
		Warnings   int `json:"warnings"`
		Suppressed int `json:"suppressed"`
		Checked    int `json:"resources_checked"`
	} `json:"summary"`
}

// WriteJSON writes the report as one JSON document.
func WriteJSON(w io.Writer, rep *Report) error {
	out := jsonReport{Version: 1, Input: rep.Input, Kind: rep.Kind, Findings: rep.Findings, Suppressed: rep.Suppressed}
	if out.Findings == nil {
		out.Findings = []Result{}
	}
	if out.Suppressed == nil {
		out.Suppressed = []Result{}
	}
	out.Notices = rep.Notices
	if out.Notices == nil {
		out.Notices = []Notice{}
	}
	out.Summary.Errors, out.Summary.Warnings = rep.Errors(), rep.Warnings()
	out.Summary.Suppressed, out.Summary.Checked = len(rep.Suppressed), rep.Checked
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
