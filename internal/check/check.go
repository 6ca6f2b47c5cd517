package check

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Options select the rules to run, as pipeline.Options do.
type Options struct {
	Only []string // run only these rule IDs (--rule)
	Skip []string // never run these rule IDs (--skip)
}

// Validate reports rule IDs in the options that the catalogue does not have: a typo in a CI
// gate must fail loudly, not select nothing.
func (o Options) Validate() error {
	var bad []string
	for _, id := range append(append([]string(nil), o.Only...), o.Skip...) {
		if _, ok := pipeline.Lookup(id); !ok {
			bad = append(bad, id)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	var known []string
	for _, r := range pipeline.Rules() {
		known = append(known, r.ID)
	}
	return fmt.Errorf("unknown rule ID %s; the rules are: %s", strings.Join(bad, ", "), strings.Join(known, ", "))
}

// Result is one finding on one resource of the input.
type Result struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"` // "error" or "warning"
	Title    string `json:"title"`
	Resource string `json:"resource"` // the resource address
	Path     string `json:"path"`     // the attribute path inside the resource, "" for the whole
	Message  string `json:"message"`
	Fix      string `json:"fix,omitempty"`
	// Pos is where the attribute is written (.tf input only).
	Pos *Pos `json:"location,omitempty"`
	// SuppressedBy is the `codepipeline:ignore` comment that suppressed the finding.
	SuppressedBy *Pos `json:"suppressed_by,omitempty"`
}

// Report is the outcome of checking one input.
type Report struct {
	Input      string
	Kind       string // "plan" or "tf"
	Findings   []Result
	Suppressed []Result
	Checked    int              // resources the rules ran on
	Rules      []*pipeline.Rule // the rules that ran, by ID
	// Notices say what was not checked: modules not followed, files not read, and a run that
	// found nothing to check.
	Notices []Notice
}

// NothingChecked reports whether the rules ran on no resource at all: a gate that looked at
// nothing must not pass as if it had looked and found nothing wrong.
func (r *Report) NothingChecked() bool { return r.Checked == 0 }

// Errors and Warnings count the unsuppressed findings by severity.
func (r *Report) Errors() int   { return r.count("error") }
func (r *Report) Warnings() int { return r.count("warning") }

func (r *Report) count(sev string) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == sev {
			n++
		}
	}
	return n
}

// Load reads a plan JSON file or a directory of .tf files ("-" reads a plan from stdin).
func Load(path string) (*Inventory, error) {
	if path == "-" {
		data, err := readAll(os.Stdin)
		if err != nil {
			return nil, &InputError{Path: "stdin", Err: err}
		}
		return ReadPlan("stdin", data)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	if st.IsDir() {
		return ReadDir(path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	return ReadPlan(path, data)
}

// pipelineTypes, storeTypes… name the resources that are subjects of a validation of their
// own. The AWS provider's buckets, keys and roles are not: they are checked as facts of the
// pipelines that use them, since most buckets of a configuration are not artifact stores.
var (
	pipelineTypes = map[string]bool{"codepipeline_pipeline": true, "aws_codepipeline": true}
	webhookTypes  = map[string]bool{"codepipeline_webhook": true, "aws_codepipeline_webhook": true}
)

// Check runs the rules over every subject of the inventory.
func Check(inv *Inventory, opts Options) (*Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	c := newConverter(inv)
	rep := &Report{Input: inv.Path, Kind: inv.Kind}
	popts := pipeline.Options{Only: opts.Only, Skip: opts.Skip}
	for _, r := range inv.Resources {
		if r.Mode != "managed" {
			continue
		}
		var in pipeline.Input
		switch {
		case pipelineTypes[r.Type]:
			in = c.pipelineInput(r)
		case webhookTypes[r.Type]:
			in = pipeline.Input{Webhook: c.webhookOf(r)}
		case r.Type == "codepipeline_artifact_store":
			in = c.storeInput(r)
		case r.Type == "codepipeline_cross_account_key":
			in = pipeline.Input{Key: c.keyFact(r)}
		case r.Type == "codepipeline_cross_account_role":
			in = pipeline.Input{Role: c.roleFact(r)}
		default:
			continue
		}
		rep.Checked++
		for _, f := range pipeline.ValidateWith(in, popts) {
			res := c.result(r, f)
			if fix := c.remedy(r, in, f); fix != "" {
				res.Fix = readable(c.ph.replace(fix))
			}
			if at, ok := r.Ignores[f.Rule]; ok {
				res.SuppressedBy = &at
				rep.Suppressed = append(rep.Suppressed, res)
				continue
			}
			rep.Findings = append(rep.Findings, res)
		}
	}
	sortResults(rep.Findings)
	sortResults(rep.Suppressed)
	rep.Notices = append(rep.Notices, inv.Notices...)
	if rep.NothingChecked() {
		msg := "No resource of a type the rules check was found (" + strings.Join(subjectTypes(), ", ") + ")"
		for _, n := range inv.Notices {
			if n.Kind == NoticeModuleNotFollowed {
				msg += "; some modules were not followed, so their resources were not seen"
				break
			}
		}
		rep.Notices = append(rep.Notices, Notice{Kind: NoticeNothingChecked, Subject: inv.Path, Message: msg + "."})
	}
	only, skip := toSet(opts.Only), toSet(opts.Skip)
	for _, rule := range pipeline.Rules() {
		if (len(only) == 0 || only[rule.ID]) && !skip[rule.ID] {
			rep.Rules = append(rep.Rules, rule)
		}
	}
	return rep, nil
}

// subjectTypes lists the resource types the rules check on their own, sorted.
func subjectTypes() []string {
	var out []string
	for _, m := range []map[string]bool{pipelineTypes, webhookTypes} {
		for t := range m {
			out = append(out, t)
		}
	}
	out = append(out, "codepipeline_artifact_store", "codepipeline_cross_account_key", "codepipeline_cross_account_role")
	sort.Strings(out)
	return out
}

// storeInput checks this provider's artifact store on its own, with the facts about its key.
func (c *converter) storeInput(r *Resource) pipeline.Input {
	st := c.storeFact(r)
	in := pipeline.Input{Store: st, Facts: pipeline.Facts{AccountID: c.inv.provider(r).AccountID, Keys: map[string]*pipeline.Key{}}}
	if st.EncryptionKeyARN != "" && pipeline.IsKnown(st.EncryptionKeyARN) {
		if k := c.follow(r, "encryption_key_arn", keyTypes); k != nil {
			in.Facts.Keys[st.EncryptionKeyARN] = c.keyFact(k)
		}
	}
	return in
}

func (c *converter) result(r *Resource, f pipeline.Finding) Result {
	res := Result{
		Rule: f.Rule, Severity: f.Severity.String(), Title: f.Title,
		Resource: r.Address, Path: f.Path.String(),
		Message: readable(c.ph.replace(f.Message)), Fix: readable(c.ph.replace(f.Fix)),
	}
	if r.Pos != nil {
		at := *r.Pos
		flat := flatPath(f.Path)
		for n := len(flat); n > 0; n-- {
			if p, ok := r.AttrPos[strings.Join(flat[:n], ".")]; ok {
				at = p
				break
			}
		}
		res.Pos = &at
	}
	return res
}

// unknownText is what a report prints for a value known only after apply.
const unknownText = "(a value known only after apply)"

// readable keeps the marker of unknown strings out of report text. The rules skip what they
// cannot decide, so it should never be there; if a message ever quotes an unknown value, it
// reads as one rather than as control characters.
func readable(s string) string { return strings.ReplaceAll(s, pipeline.Unknown, unknownText) }

// flatPath turns a finding's path into the steps of a flattened attribute path.
func flatPath(p pipeline.Path) []string {
	out := make([]string, 0, len(p))
	for _, s := range p {
		switch s.Kind {
		case pipeline.StepIndex:
			out = append(out, strconv.Itoa(s.Index))
		default:
			out = append(out, s.Name)
		}
	}
	return out
}

func sortResults(rs []Result) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Rule < b.Rule
	})
}

func toSet(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}
