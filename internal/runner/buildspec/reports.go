package buildspec

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Report is one report group of a build: the files its reports section selects and, for the
// formats read here, what they say.
type Report struct {
	Group  string
	Format string
	// Files are the selected report files, nil when none was found.
	Files *Output
	// Tests summarizes test reports (JUNITXML, CUCUMBERJSON), Coverage code coverage reports
	// (COBERTURAXML, JACOCOXML); both nil for the other formats, whose files are kept unread.
	Tests    *TestSummary
	Coverage *CoverageSummary
	// Warnings say what went wrong reading the group: no file found, a file not in its format.
	Warnings []string
}

// TestSummary counts the test cases of a report group.
type TestSummary struct {
	Total, Passed, Failed, Skipped int
	// Failures names the first failed test cases ("suite › case: message").
	Failures []string
}

// CoverageSummary is the line coverage of a report group.
type CoverageSummary struct {
	LinesCovered, LinesTotal int
}

// maxListedFailures bounds TestSummary.Failures.
const maxListedFailures = 20

// maxReportFile bounds how much of one report file is read.
const maxReportFile = 64 << 20

// String is the report in one line, as the action's log and summary show it.
func (r *Report) String() string {
	switch {
	case r.Files == nil:
		return fmt.Sprintf("report %s (%s): no report files found", r.Group, r.Format)
	case r.Tests != nil:
		t := r.Tests
		return fmt.Sprintf("report %s (%s): %d tests, %d passed, %d failed, %d skipped", r.Group, r.Format, t.Total, t.Passed, t.Failed, t.Skipped)
	case r.Coverage != nil:
		c := r.Coverage
		pct := 0.0
		if c.LinesTotal > 0 {
			pct = 100 * float64(c.LinesCovered) / float64(c.LinesTotal)
		}
		return fmt.Sprintf("report %s (%s): line coverage %.1f%% (%d of %d lines)", r.Group, r.Format, pct, c.LinesCovered, c.LinesTotal)
	}
	return fmt.Sprintf("report %s (%s): %d files kept (this format is not summarized locally)", r.Group, r.Format, len(r.Files.Entries))
}

// CollectReports selects and reads the report files of each report group of an expanded spec
// (Result.Expanded), in group order. A group whose files are missing or unreadable is reported
// with a warning, not an error: as in CodeBuild, reports do not fail a build.
func CollectReports(spec *Spec, dirs Dirs) []*Report {
	var out []*Report
	for _, group := range sortedKeys(spec.Reports) {
		rs := spec.Reports[group]
		r := &Report{Group: group, Format: rs.FileFormat}
		out = append(out, r)
		sel, err := collect(rs.ArtifactSpec, dirs, "reports."+group)
		if err != nil {
			r.Warnings = append(r.Warnings, err.Error())
			continue
		}
		r.Files = sel
		r.Warnings = append(r.Warnings, sel.Warnings...)
		// Read through a root: a report file that is a symlink leading out is not read.
		root, err := os.OpenRoot(sel.Dir)
		if err != nil {
			r.Warnings = append(r.Warnings, fmt.Sprintf("reports.%s: %v", group, err))
			continue
		}
		for _, e := range sel.Entries {
			if err := r.read(root, e.Path); err != nil {
				r.Warnings = append(r.Warnings, fmt.Sprintf("reports.%s: %s: %v", group, e.Path, err))
			}
		}
		root.Close()
	}
	return out
}

var (
	testFormats     = []string{"JUNITXML", "CUCUMBERJSON"}
	coverageFormats = []string{"COBERTURAXML", "JACOCOXML"}
)

// read adds one report file to the summary.
func (r *Report) read(root *os.Root, file string) error {
	if !slices.Contains(testFormats, r.Format) && !slices.Contains(coverageFormats, r.Format) {
		return nil
	}
	f, err := root.Open(filepath.FromSlash(file))
	if err != nil {
		return err
	}
	defer f.Close()
	in := io.LimitReader(f, maxReportFile)
	if slices.Contains(testFormats, r.Format) && r.Tests == nil {
		r.Tests = &TestSummary{}
	}
	if slices.Contains(coverageFormats, r.Format) && r.Coverage == nil {
		r.Coverage = &CoverageSummary{}
	}
	switch r.Format {
	case "JUNITXML":
		return readJUnit(in, r.Tests)
	case "CUCUMBERJSON":
		return readCucumber(in, r.Tests)
	case "COBERTURAXML":
		return readCobertura(in, r.Coverage)
	default:
		return readJaCoCo(in, r.Coverage)
	}
}

type junitSuite struct {
	Name   string       `xml:"name,attr"`
	Suites []junitSuite `xml:"testsuite"`
	Cases  []junitCase  `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	Skipped   *struct{}     `xml:"skipped"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// readJUnit counts the test cases of a JUnit XML report: a <testsuites> of <testsuite>s, or
// one <testsuite>, suites possibly nested.
func readJUnit(in io.Reader, t *TestSummary) error {
	dec := xml.NewDecoder(in)
	for {
		tok, err := dec.Token()
		if err != nil {
			return errors.New("not a JUnit XML report: no <testsuites> or <testsuite> element")
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if start.Name.Local != "testsuites" && start.Name.Local != "testsuite" {
			return fmt.Errorf("not a JUnit XML report: its root is <%s>", start.Name.Local)
		}
		var root junitSuite
		if err := dec.DecodeElement(&root, &start); err != nil {
			return fmt.Errorf("not a JUnit XML report: %w", err)
		}
		countJUnit(root, t)
		return nil
	}
}

func countJUnit(s junitSuite, t *TestSummary) {
	for _, c := range s.Cases {
		t.Total++
		problem := c.Failure
		if problem == nil {
			problem = c.Error
		}
		switch {
		case problem != nil:
			t.Failed++
			suite := c.Classname
			if suite == "" {
				suite = s.Name
			}
			msg := problem.Message
			if msg == "" {
				msg = firstLine(strings.TrimSpace(problem.Text))
			}
			t.addFailure(suite, c.Name, msg)
		case c.Skipped != nil:
			t.Skipped++
		default:
			t.Passed++
		}
	}
	for _, sub := range s.Suites {
		countJUnit(sub, t)
	}
}

func (t *TestSummary) addFailure(suite, name, msg string) {
	if len(t.Failures) >= maxListedFailures {
		return
	}
	s := name
	if suite != "" {
		s = suite + " › " + name
	}
	if msg != "" {
		s += ": " + msg
	}
	t.Failures = append(t.Failures, s)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// readCucumber counts the scenarios of a Cucumber JSON report: a scenario fails when a step
// failed, is skipped when a step was skipped, pending or undefined, and passes otherwise.
func readCucumber(in io.Reader, t *TestSummary) error {
	var features []struct {
		Name     string `json:"name"`
		Elements []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Steps []struct {
				Name   string `json:"name"`
				Result struct {
					Status       string `json:"status"`
					ErrorMessage string `json:"error_message"`
				} `json:"result"`
			} `json:"steps"`
		} `json:"elements"`
	}
	if err := json.NewDecoder(in).Decode(&features); err != nil {
		return fmt.Errorf("not a Cucumber JSON report: %w", err)
	}
	for _, f := range features {
		for _, sc := range f.Elements {
			if sc.Type == "background" {
				continue
			}
			t.Total++
			status, msg := "passed", ""
			for _, st := range sc.Steps {
				switch st.Result.Status {
				case "failed":
					status, msg = "failed", firstLine(st.Result.ErrorMessage)
				case "skipped", "pending", "undefined":
					if status == "passed" {
						status = "skipped"
					}
				}
				if status == "failed" {
					break
				}
			}
			switch status {
			case "failed":
				t.Failed++
				t.addFailure(f.Name, sc.Name, msg)
			case "skipped":
				t.Skipped++
			default:
				t.Passed++
			}
		}
	}
	return nil
}

// readCobertura reads the line counts of a Cobertura XML report's root <coverage>.
func readCobertura(in io.Reader, c *CoverageSummary) error {
	var root struct {
		XMLName      xml.Name
		LinesCovered string `xml:"lines-covered,attr"`
		LinesValid   string `xml:"lines-valid,attr"`
	}
	if err := xml.NewDecoder(in).Decode(&root); err != nil || root.XMLName.Local != "coverage" {
		return errors.New("not a Cobertura XML report: no <coverage> root")
	}
	covered, err1 := strconv.Atoi(root.LinesCovered)
	valid, err2 := strconv.Atoi(root.LinesValid)
	if err1 != nil || err2 != nil {
		return errors.New("the Cobertura report has no lines-covered and lines-valid counts")
	}
	c.LinesCovered += covered
	c.LinesTotal += valid
	return nil
}

// readJaCoCo reads the LINE counter of a JaCoCo XML report's root <report>.
func readJaCoCo(in io.Reader, c *CoverageSummary) error {
	var root struct {
		XMLName  xml.Name
		Counters []struct {
			Type    string `xml:"type,attr"`
			Missed  int    `xml:"missed,attr"`
			Covered int    `xml:"covered,attr"`
		} `xml:"counter"`
	}
	dec := xml.NewDecoder(in)
	dec.Strict = false // JaCoCo reports name a DTD
	if err := dec.Decode(&root); err != nil || root.XMLName.Local != "report" {
		return errors.New("not a JaCoCo XML report: no <report> root")
	}
	for _, ct := range root.Counters {
		if ct.Type == "LINE" {
			c.LinesCovered += ct.Covered
			c.LinesTotal += ct.Covered + ct.Missed
			return nil
		}
	}
	return errors.New("the JaCoCo report has no LINE counter")
}
