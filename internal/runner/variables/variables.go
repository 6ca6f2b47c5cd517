// Package variables resolves CodePipeline variable references in action configuration:
// #{variables.name} for pipeline-level variables, #{codepipeline.PipelineExecutionId} for the
// execution's own, and #{Namespace.Variable} for the output variables of an action configured
// with that namespace.
//
// CodePipeline has no escape syntax, and this package adds none: text that has the shape of a
// reference, #{ then a namespace (letters, digits, @, _ and -), a dot, a variable name (the same
// characters and dots) and }, is always a reference and must resolve; anything else ("#{", "#{x}",
// "#{a b}", "${...}") is literal text. Resolution is a single pass: a value that itself contains
// #{...} is inserted as it is, never resolved again.
package variables

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Lookup returns the value of a variable and whether it exists.
type Lookup func(namespace, name string) (string, bool)

// Values is a Lookup over nested maps: namespace → variable → value.
type Values map[string]map[string]string

// Lookup implements Lookup.
func (v Values) Lookup(namespace, name string) (string, bool) {
	val, ok := v[namespace][name]
	return val, ok
}

// Ref is one variable reference.
type Ref struct {
	// Key is the configuration key whose value holds the reference; empty for Expand.
	Key       string
	Namespace string
	Name      string
}

// String is the reference as written.
func (r Ref) String() string { return "#{" + r.Namespace + "." + r.Name + "}" }

// UnresolvedError lists the references that did not resolve, sorted by key then position.
type UnresolvedError struct {
	Refs []Ref
}

func (e *UnresolvedError) Error() string {
	parts := make([]string, len(e.Refs))
	for i, r := range e.Refs {
		if r.Key != "" {
			parts[i] = fmt.Sprintf("%s in %s", r, r.Key)
		} else {
			parts[i] = r.String()
		}
	}
	noun := "reference"
	if len(parts) > 1 {
		noun = "references"
	}
	return fmt.Sprintf("unresolved variable %s: %s", noun, strings.Join(parts, ", "))
}

var reference = regexp.MustCompile(`#\{([A-Za-z0-9@_-]+)\.([A-Za-z0-9@_.-]+)\}`)

// Find returns the references in s, in order.
func Find(s string) []Ref {
	var out []Ref
	for _, m := range reference.FindAllStringSubmatch(s, -1) {
		out = append(out, Ref{Namespace: m[1], Name: m[2]})
	}
	return out
}

// Expand replaces the references in s and returns the references it could not resolve, which
// are left in place.
func Expand(s string, vars Lookup) (string, []Ref) {
	var missing []Ref
	out := reference.ReplaceAllStringFunc(s, func(m string) string {
		sub := reference.FindStringSubmatch(m)
		if v, ok := vars(sub[1], sub[2]); ok {
			return v
		}
		missing = append(missing, Ref{Namespace: sub[1], Name: sub[2]})
		return m
	})
	return out, missing
}

// Resolve returns config with every reference replaced. When some do not resolve it returns
// nil and an *UnresolvedError naming each of them with its key.
func Resolve(config map[string]string, vars Lookup) (map[string]string, error) {
	keys := make([]string, 0, len(config))
	for k := range config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]string, len(config))
	var missing []Ref
	for _, k := range keys {
		v, m := Expand(config[k], vars)
		for _, r := range m {
			r.Key = k
			missing = append(missing, r)
		}
		out[k] = v
	}
	if len(missing) > 0 {
		return nil, &UnresolvedError{Refs: missing}
	}
	return out, nil
}
