package pipeline

import (
	"strconv"
	"strings"
)

// StepKind tells what a path step selects.
type StepKind int

const (
	StepAttr  StepKind = iota // a named attribute or block
	StepIndex                 // an element of a list
	StepKey                   // an element of a map
)

// Step is one step of a Path.
type Step struct {
	Kind  StepKind
	Name  string // StepAttr: attribute name; StepKey: map key
	Index int    // StepIndex
}

// Path locates an attribute inside the subject being validated (a pipeline, a store, a key, a
// webhook), in the names of the Terraform schema: stage[0].action[2].configuration["S3Bucket"].
// The provider turns it into a framework path; the checker prints it.
type Path []Step

// Root starts a path at a top-level attribute.
func Root(name string) Path { return Path{{Kind: StepAttr, Name: name}} }

// Attr appends an attribute step. The receiver is never modified.
func (p Path) Attr(name string) Path { return p.with(Step{Kind: StepAttr, Name: name}) }

// Index appends a list index step.
func (p Path) Index(i int) Path { return p.with(Step{Kind: StepIndex, Index: i}) }

// Key appends a map key step.
func (p Path) Key(k string) Path { return p.with(Step{Kind: StepKey, Name: k}) }

func (p Path) with(s Step) Path {
	out := make(Path, len(p), len(p)+1)
	copy(out, p)
	return append(out, s)
}

// StagePath is the path of stage i.
func StagePath(i int) Path { return Root("stage").Index(i) }

// ActionPath is the path of action j of stage i.
func ActionPath(i, j int) Path { return StagePath(i).Attr("action").Index(j) }

// String renders the path the way Terraform prints attribute paths.
func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		switch s.Kind {
		case StepAttr:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.Name)
		case StepIndex:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.Index))
			b.WriteByte(']')
		case StepKey:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(s.Name))
			b.WriteByte(']')
		}
	}
	return b.String()
}
