package pipeline

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// nameKind is one kind of name CodePipeline constrains: the characters it allows besides ASCII
// letters and digits, and its maximum length. One checker serves every kind.
type nameKind struct {
	what  string // how messages call it: "stage name"
	punct string // allowed characters besides A-Za-z0-9
	max   int
}

// The name kinds the name-format rule checks, with the constraints of the CodePipeline API
// model (botocore's codepipeline service-2.json: length and pattern of each name shape).
var (
	namePipeline  = nameKind{"pipeline name", ".@_-", 100}
	nameStage     = nameKind{"stage name", ".@_-", 100}
	nameAction    = nameKind{"action name", ".@_-", 100}
	nameArtifact  = nameKind{"artifact name", "_-", 100}
	nameNamespace = nameKind{"namespace", "@_-", 100}
	nameVariable  = nameKind{"variable name", "@_-", 128}
	nameRule      = nameKind{"rule name", ".@_-", 100}
)

// allowed describes the character set, as messages print it.
func (k nameKind) allowed() string {
	return "A-Za-z0-9 and " + strings.Join(strings.Split(k.punct, ""), " ")
}

func (k nameKind) allows(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune(k.punct, r)
}

// badChars lists the distinct characters of s that k does not allow, quoted, in order of
// appearance ("" when there are none).
func (k nameKind) badChars(s string) string {
	var bad []string
	seen := map[rune]bool{}
	for _, r := range s {
		if !k.allows(r) && !seen[r] {
			seen[r] = true
			bad = append(bad, fmt.Sprintf("%q", string(r)))
		}
	}
	return strings.Join(bad, ", ")
}

// check reports s at the path when it is not a valid name of kind k. Unknown values are
// skipped. The path is built only for a report.
func (k nameKind) check(p *Pass, path func() Path, s string) {
	if !IsKnown(s) {
		return
	}
	var problems []string
	if n := utf8.RuneCountInString(s); n == 0 {
		problems = append(problems, "is empty")
	} else if n > k.max {
		problems = append(problems, fmt.Sprintf("is %d characters long", n))
	}
	if bad := k.badChars(s); bad != "" {
		problems = append(problems, "contains "+bad)
	}
	if len(problems) == 0 {
		return
	}
	p.Reportf(path(),
		fmt.Sprintf("Rename it with 1 to %d characters of %s.", k.max, k.allowed()),
		"The %s %s %s; %ss are 1 to %d characters of %s.",
		k.what, quoteShort(s), strings.Join(problems, " and "), k.what, k.max, k.allowed())
}

// quoteShort quotes s, cutting very long values so a message stays readable.
func quoteShort(s string) string {
	const limit = 60
	if utf8.RuneCountInString(s) <= limit {
		return fmt.Sprintf("%q", s)
	}
	r := []rune(s)
	return fmt.Sprintf("%q…", string(r[:limit]))
}

var _ = register(&Rule{
	ID: "name-format", Severity: SeverityError, Where: AtPlan,
	Title: "Names Must Use Allowed Characters And Lengths",
	Doc:   "Pipeline, stage, action, condition rule, artifact, namespace and variable names use only the characters and lengths CodePipeline accepts.",
	Check: func(p *Pass) {
		pl := p.Pipeline
		if pl == nil {
			return
		}
		// Paths are closures, built only for a report: most names are fine.
		namePipeline.check(p, func() Path { return Root("name") }, pl.Name)
		for i := range pl.Stages {
			st := &pl.Stages[i]
			nameStage.check(p, func() Path { return StagePath(i).Attr("name") }, st.Name)
			for j := range st.Actions {
				a := &st.Actions[j]
				nameAction.check(p, func() Path { return ActionPath(i, j).Attr("name") }, a.Name)
				for k, in := range a.InputArtifacts {
					nameArtifact.check(p, func() Path { return ActionPath(i, j).Attr("input_artifacts").Index(k) }, in)
				}
				for k, out := range a.OutputArtifacts {
					nameArtifact.check(p, func() Path { return ActionPath(i, j).Attr("output_artifacts").Index(k) }, out)
				}
				if a.Namespace != "" { // optional: unset is fine
					nameNamespace.check(p, func() Path { return ActionPath(i, j).Attr("namespace") }, a.Namespace)
				}
			}
			for _, pc := range st.Conditions() {
				for k := range pc.Condition.Rules {
					r := &pc.Condition.Rules[k]
					nameRule.check(p, func() Path { return ConditionRulePath(i, pc.Type, k).Attr("name") }, r.Name)
					for n, in := range r.InputArtifacts {
						nameArtifact.check(p, func() Path { return ConditionRulePath(i, pc.Type, k).Attr("input_artifacts").Index(n) }, in)
					}
				}
			}
		}
		for i, v := range pl.Variables {
			nameVariable.check(p, func() Path { return Root("variable").Index(i).Attr("name") }, v.Name)
		}
	},
})

// dotSegment reports whether s is "." or "..": AWS's name pattern ([A-Za-z0-9.@\-_]+) accepts
// both, but they are the two names a path element cannot safely carry, and pipeline, stage and
// action names end up in paths (consoles, logs, workspaces, other tools).
func dotSegment(s string) bool { return s == "." || s == ".." }

var _ = register(&Rule{
	ID: "name-dot-segment", Severity: SeverityError, Where: AtPlan,
	Title: `Names Cannot Be "." Or ".."`,
	Doc:   `Pipeline, stage and action names are not "." or "..": AWS's name pattern accepts them, but wherever a name becomes a path element they mean "this directory" and "the parent directory".`,
	Check: func(p *Pass) {
		pl := p.Pipeline
		if pl == nil {
			return
		}
		report := func(path Path, what, s string) {
			if IsKnown(s) && dotSegment(s) {
				p.Reportf(path, fmt.Sprintf("Rename the %s to a word that says what it is, such as \"Build\".", what),
					"The %s %q is a relative path element (%q is this directory, %q its parent); AWS accepts it, this provider does not.",
					what, s, ".", "..")
			}
		}
		report(Root("name"), "pipeline", pl.Name)
		for i := range pl.Stages {
			st := &pl.Stages[i]
			report(StagePath(i).Attr("name"), "stage", st.Name)
			for j := range st.Actions {
				report(ActionPath(i, j).Attr("name"), "action", st.Actions[j].Name)
			}
		}
	},
})
