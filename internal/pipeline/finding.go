package pipeline

import "fmt"

// Severity says whether a finding fails the plan.
type Severity int

const (
	SeverityError Severity = iota
	SeverityWarning
)

func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Finding is one rule violation: which rule, where, what is wrong and how to fix it.
type Finding struct {
	Rule     string
	Severity Severity
	Title    string // the rule's Title Case title
	Path     Path
	Message  string // the cause, specific to this occurrence
	Fix      string // the remedy
}

// Summary is the diagnostic summary: the rule ID in brackets, then the rule's title.
func (f Finding) Summary() string { return fmt.Sprintf("[%s] %s", f.Rule, f.Title) }

// Detail is the diagnostic detail: the cause, then the remedy.
func (f Finding) Detail() string {
	if f.Fix == "" {
		return f.Message
	}
	return f.Message + "\n\nFix: " + f.Fix
}

func (f Finding) String() string {
	return fmt.Sprintf("%s %s at %s: %s", f.Severity, f.Summary(), f.Path, f.Message)
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}
