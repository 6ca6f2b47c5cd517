package pipeline

import (
	"fmt"
	"sort"
	"strings"
)

// Where is a set of phases of a resource's life at which a rule is enforced. It is the one
// source of truth for them: the provider validates each phase with Options.At, and the rules
// guide (tools/rulesdoc) prints them.
type Where uint8

// The phases, in the order a change goes through them. A phase also runs the rules of the
// phases before it: values unknown at plan are known at apply, and what the backend holds may
// have changed between an apply and a run. A rule that names a later phase only is one that
// cannot decide before it.
const (
	// AtPlan: `terraform validate` and `plan` — on the configuration alone (ValidateConfig),
	// and with the backend's facts about what already exists (ModifyPlan).
	AtPlan Where = 1 << iota
	// AtApply: the preflight before apply creates or changes anything, with every value and
	// the facts of what this apply created.
	AtApply
	// AtRun: the preflight of codepipeline_run against the backend as it stands; the backend's
	// access checks enforce the same while the run executes.
	AtRun
)

// Phases lists the phases with the names the guide and diagnostics use.
var Phases = []struct {
	Where Where
	Name  string
}{{AtPlan, "plan"}, {AtApply, "apply"}, {AtRun, "run"}}

// String names the phases of w: "plan, apply".
func (w Where) String() string {
	var out []string
	for _, p := range Phases {
		if w&p.Where != 0 {
			out = append(out, p.Name)
		}
	}
	return strings.Join(out, ", ")
}

// RunsAt reports whether the rule is checked at phase at: at one of its phases, or at a later
// phase than one of them.
func (r *Rule) RunsAt(at Where) bool {
	return r.Where&(at|(at-1)) != 0
}

// Rule is one entry of the catalogue: a small value with a stable ID, a doc line and a check,
// in the manner of go/analysis analyzers. Adding a rule means declaring one with register.
type Rule struct {
	ID       string
	Severity Severity
	Title    string // Title Case, shown after the ID in diagnostic summaries
	Doc      string // one sentence: what the rule requires
	Where    Where
	// Needs names the parts of a pipeline the rule must see whole, because it reports what is
	// absent or counts: it does not run on a pipeline that has any of them Incomplete.
	Needs Parts
	Check func(*Pass)
}

var catalogue = map[string]*Rule{}

// register adds r to the catalogue. It is called from package-level var declarations, so each
// rule is declared, documented and registered in one place.
func register(r *Rule) *Rule {
	if _, dup := catalogue[r.ID]; dup {
		panic("pipeline: duplicate rule ID " + r.ID)
	}
	if r.Check == nil || r.Title == "" || r.Doc == "" {
		panic("pipeline: rule " + r.ID + " needs a Check, a Title and a Doc")
	}
	catalogue[r.ID] = r
	return r
}

// Rules returns the catalogue sorted by ID.
func Rules() []*Rule {
	out := make([]*Rule, 0, len(catalogue))
	for _, r := range catalogue {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Lookup returns the rule with the given ID.
func Lookup(id string) (*Rule, bool) {
	r, ok := catalogue[id]
	return r, ok
}

// Input is what one validation looks at: one subject (a pipeline, or a standalone artifact
// store, key, role or webhook) and the facts known about what it refers to. Rules that do not
// concern the present subject do nothing.
type Input struct {
	Pipeline *Pipeline
	Store    *ArtifactStore
	Key      *Key
	Role     *Role
	Webhook  *Webhook
	Facts    Facts
}

// Options select which rules run.
type Options struct {
	Only []string // when non-empty, run only these rule IDs
	Skip []string // never run these rule IDs
	// At, when set, is the phase being validated: only the rules that run at it (Rule.RunsAt).
	At Where
}

// Pass is handed to a rule's Check: the input, a shared index of the pipeline, and Report.
type Pass struct {
	*Input
	Index    *Index
	rule     *Rule
	findings []Finding
}

// Report records a finding of the running rule at path: msg says what is wrong here, fix how to
// put it right.
func (p *Pass) Report(path Path, msg, fix string) {
	p.findings = append(p.findings, Finding{
		Rule: p.rule.ID, Severity: p.rule.Severity, Title: p.rule.Title,
		Path: path, Message: msg, Fix: fix,
	})
}

// Reportf is Report with a formatted message.
func (p *Pass) Reportf(path Path, fix, format string, args ...any) {
	p.Report(path, fmt.Sprintf(format, args...), fix)
}

// Validate runs every rule of the catalogue over in and returns the findings, ordered by rule
// ID and then by the order the rule reported them. It is deterministic and does not panic on
// partial or unknown input.
func Validate(in Input) []Finding { return ValidateWith(in, Options{}) }

// ValidateWith is Validate restricted by opts.
func ValidateWith(in Input, opts Options) []Finding { return validate(Rules(), in, opts) }

// validate runs rules over in as opts select.
func validate(rules []*Rule, in Input, opts Options) []Finding {
	pass := &Pass{Input: &in, Index: NewIndex(in.Pipeline, in.Facts)}
	only := toSet(opts.Only)
	skip := toSet(opts.Skip)
	for _, r := range rules {
		if (len(only) > 0 && !only[r.ID]) || skip[r.ID] || (opts.At != 0 && !r.RunsAt(opts.At)) {
			continue
		}
		if in.Pipeline != nil && r.Needs&in.Pipeline.Incomplete != 0 {
			continue // what the rule would miss may be in the part not known yet
		}
		pass.rule = r
		r.Check(pass)
	}
	return pass.findings
}

// FactFindings validates in at phase at with its facts, and returns what the facts add: the
// findings that the same validation without facts does not have. At plan, ValidateConfig has
// already reported those (it has no backend); ModifyPlan reports these.
func FactFindings(in Input, at Where) []Finding {
	facts := in.Facts
	in.Facts = Facts{}
	offline := map[string]bool{}
	for _, f := range ValidateWith(in, Options{At: at}) {
		offline[f.String()] = true
	}
	in.Facts = facts
	var added []Finding
	for _, f := range ValidateWith(in, Options{At: at}) {
		if !offline[f.String()] {
			added = append(added, f)
		}
	}
	return added
}

func toSet(ids []string) map[string]bool {
	if len(ids) == 0 {
		return nil
	}
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// eachActionOf calls fn for every action of the pipeline under validation, in pipeline order,
// and does nothing when the subject is not a pipeline.
func eachActionOf(p *Pass, fn func(ref ActionRef, a *Action)) {
	if p.Pipeline == nil {
		return
	}
	for i := range p.Pipeline.Stages {
		for j := range p.Pipeline.Stages[i].Actions {
			fn(ActionRef{Stage: i, Action: j}, &p.Pipeline.Stages[i].Actions[j])
		}
	}
}
