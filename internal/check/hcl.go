package check

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// diagError renders HCL error diagnostics, one per line, with their positions.
func diagError(diags hcl.Diagnostics) error {
	var lines []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		at := ""
		if d.Subject != nil {
			at = fmt.Sprintf("%s:%d,%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		lines = append(lines, at+d.Summary+strings.TrimSuffix(": "+d.Detail, ": "))
	}
	return errors.New("HCL syntax errors:\n  " + strings.Join(lines, "\n  "))
}

// metaAttrs are meta-arguments, not attributes of the resource.
var metaAttrs = map[string]bool{"count": true, "for_each": true, "provider": true, "depends_on": true}
var metaBlocks = map[string]bool{"lifecycle": true, "provisioner": true, "connection": true}

func posOf(p hcl.Pos, file string) Pos { return Pos{File: file, Line: p.Line, Column: p.Column} }

// ignorePattern is an inline suppression: `# codepipeline:ignore=rule-id[,rule-id]` (or //).
var ignorePattern = regexp.MustCompile(`^\s*(?:#|//)\s*codepipeline:ignore=([A-Za-z0-9_,\- ]+)`)

// readIgnores finds the suppression comments of a resource: on the comment lines directly
// above its block, or inside it.
func readIgnores(r *Resource, lines []string, blk *hclsyntax.Block) {
	file := blk.DefRange().Filename
	first, last := blk.Range().Start.Line, blk.Range().End.Line
	for l := first - 1; l >= 1 && l <= len(lines); l-- {
		t := strings.TrimSpace(lines[l-1])
		if !strings.HasPrefix(t, "#") && !strings.HasPrefix(t, "//") {
			break
		}
		first = l
	}
	for l := first; l <= last && l <= len(lines); l++ {
		m := ignorePattern.FindStringSubmatch(lines[l-1])
		if m == nil {
			continue
		}
		for _, id := range strings.Split(m[1], ",") {
			if id = strings.TrimSpace(id); id != "" {
				r.Ignores[id] = Pos{File: file, Line: l}
			}
		}
	}
}

// traversalString renders a traversal the way plan JSON writes references.
func traversalString(t hcl.Traversal) string {
	var b strings.Builder
	for _, s := range t {
		switch s := s.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			k, ok := indexKey(s)
			if !ok {
				return b.String()
			}
			b.WriteString("[" + quoteKey(k) + "]")
		default:
			return b.String()
		}
	}
	return b.String()
}
