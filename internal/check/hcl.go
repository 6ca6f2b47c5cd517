package check

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// evalPasses is how many times expressions are re-evaluated so that values flow along
// reference chains (a policy built from a bucket ARN built from a bucket name) without
// ordering the resources; chains in pipeline configurations are short.
const evalPasses = 4

// ReadDir reads the .tf files of a directory (not its subdirectories; module calls are not
// followed). Constant expressions and references to values known from the configuration are
// evaluated; everything else is left unknown, never guessed. A file that does not parse makes
// the whole input an *InputError.
func ReadDir(dir string) (*Inventory, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &InputError{Path: dir, Err: err}
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".tf") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, &InputError{Path: dir, Err: errors.New("no .tf files in the directory")}
	}
	hr := &hclReader{
		inv:    &Inventory{Kind: "tf", Path: dir, Modules: map[string]*Module{}, Providers: map[string]*Provider{}},
		parser: hclparse.NewParser(),
		exprs:  map[*Resource][]pathExpr{},
	}
	root := hr.inv.module("")
	root.Vars, root.Locals = map[string]any{}, map[string]Expr{}
	var diags hcl.Diagnostics
	for _, name := range names {
		file := filepath.ToSlash(filepath.Join(dir, name))
		src, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, &InputError{Path: file, Err: err}
		}
		f, d := hr.parser.ParseHCL(src, file)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		hr.readFile(file, src, f.Body.(*hclsyntax.Body))
	}
	if diags.HasErrors() {
		return nil, &InputError{Path: dir, Err: diagError(diags)}
	}
	hr.inv.finish()
	hr.evaluate()
	return hr.inv, nil
}

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

type pathExpr struct {
	path string
	expr hclsyntax.Expression
}

type hclReader struct {
	inv       *Inventory
	parser    *hclparse.Parser
	exprs     map[*Resource][]pathExpr
	locals    []pathExpr
	providers []providerBlock
}

type providerBlock struct {
	key  string
	body *hclsyntax.Body
}

// ignorePattern is an inline suppression: `# codepipeline:ignore=rule-id[,rule-id]` (or //).
var ignorePattern = regexp.MustCompile(`^\s*(?:#|//)\s*codepipeline:ignore=([A-Za-z0-9_,\- ]+)`)

func (hr *hclReader) readFile(file string, src []byte, body *hclsyntax.Body) {
	lines := strings.Split(string(src), "\n")
	root := hr.inv.Modules[""]
	for _, blk := range body.Blocks {
		switch blk.Type {
		case "variable":
			if len(blk.Labels) == 1 {
				if a := blk.Body.Attributes["default"]; a != nil {
					if v, d := a.Expr.Value(nil); !d.HasErrors() {
						root.Vars[blk.Labels[0]] = fromCty(v)
					}
				}
			}
		case "locals":
			for name, a := range blk.Body.Attributes {
				hr.locals = append(hr.locals, pathExpr{name, a.Expr})
			}
		case "provider":
			if len(blk.Labels) == 1 {
				key := blk.Labels[0]
				if a := blk.Body.Attributes["alias"]; a != nil {
					if v, d := a.Expr.Value(nil); !d.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
						key += "." + v.AsString()
					}
				}
				hr.providers = append(hr.providers, providerBlock{key, blk.Body})
			}
		case "resource", "data":
			if len(blk.Labels) == 2 {
				hr.readResource(file, lines, blk)
			}
		}
	}
}

func (hr *hclReader) readResource(file string, lines []string, blk *hclsyntax.Block) {
	typ, name := blk.Labels[0], blk.Labels[1]
	mode, cfg := "managed", typ+"."+name
	if blk.Type == "data" {
		mode, cfg = "data", "data."+cfg
	}
	start := blk.DefRange().Start
	r := &Resource{
		Address: cfg, ConfigAddress: cfg, Mode: mode, Type: typ, Name: name,
		ProviderKey: strings.SplitN(typ, "_", 2)[0],
		Values:      map[string]any{}, Refs: map[string][]string{}, Configured: map[string]bool{},
		Pos:     &Pos{File: file, Line: start.Line, Column: start.Column},
		AttrPos: map[string]Pos{}, Ignores: map[string]Pos{},
	}
	if a := blk.Body.Attributes["provider"]; a != nil {
		if trav, d := hcl.AbsTraversalForExpr(a.Expr); !d.HasErrors() {
			r.ProviderKey = traversalString(trav)
		}
	}
	hr.walkBody(r, "", blk.Body, true)
	hr.readIgnores(r, file, lines, blk)
	hr.inv.Resources = append(hr.inv.Resources, r)
}

// metaAttrs are meta-arguments, not attributes of the resource.
var metaAttrs = map[string]bool{"count": true, "for_each": true, "provider": true, "depends_on": true}
var metaBlocks = map[string]bool{"lifecycle": true, "provisioner": true, "connection": true}

func (hr *hclReader) walkBody(r *Resource, prefix string, body *hclsyntax.Body, top bool) {
	for name, a := range body.Attributes {
		if top && metaAttrs[name] {
			continue
		}
		p := join(prefix, name)
		r.Configured[p] = true
		r.AttrPos[p] = posOf(a.SrcRange.Start, a.SrcRange.Filename)
		hr.exprs[r] = append(hr.exprs[r], pathExpr{p, a.Expr})
		var refs []string
		for _, t := range a.Expr.Variables() {
			refs = append(refs, traversalString(t))
		}
		if len(refs) > 0 {
			r.Refs[p] = refs
		}
	}
	count := map[string]int{}
	for _, b := range body.Blocks {
		if top && metaBlocks[b.Type] {
			continue
		}
		if b.Type == "dynamic" && len(b.Labels) == 1 {
			// Generated blocks: how many and with what values is not known statically.
			p := join(prefix, b.Labels[0])
			r.Configured[p] = true
			setPath(r.Values, p, unknown)
			continue
		}
		i := count[b.Type]
		count[b.Type]++
		p := join(prefix, b.Type, i)
		r.Configured[join(prefix, b.Type)] = true
		r.AttrPos[p] = posOf(b.DefRange().Start, b.DefRange().Filename)
		setPath(r.Values, p, map[string]any{})
		hr.walkBody(r, p, b.Body, false)
	}
}

func posOf(p hcl.Pos, file string) Pos { return Pos{File: file, Line: p.Line, Column: p.Column} }

// readIgnores finds the suppression comments of a resource: on the comment lines directly
// above its block, or inside it.
func (hr *hclReader) readIgnores(r *Resource, file string, lines []string, blk *hclsyntax.Block) {
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

// evaluate computes the values: locals and attributes, a few passes over, with derived values
// filled in between so that they feed the next pass.
func (hr *hclReader) evaluate() {
	root := hr.inv.Modules[""]
	for pass := 0; pass < evalPasses; pass++ {
		for _, l := range hr.locals {
			root.Locals[l.path] = Expr{Value: hr.eval(l.expr)}
		}
		for _, r := range hr.inv.Resources {
			for _, pe := range hr.exprs[r] {
				setPath(r.Values, pe.path, hr.eval(pe.expr))
			}
		}
		derive(hr.inv)
	}
	for _, pb := range hr.providers {
		p := &Provider{}
		str := func(body *hclsyntax.Body, name string) string {
			if a := body.Attributes[name]; a != nil {
				s, _ := asString(hr.eval(a.Expr))
				return s
			}
			return ""
		}
		p.AccountID = str(pb.body, "account_id")
		p.Region = str(pb.body, "region")
		if a := pb.body.Attributes["allowed_account_ids"]; a != nil {
			if l, ok := knownStrings(hr.eval(a.Expr)); ok && len(l) == 1 {
				p.AccountID = l[0]
			}
		}
		for _, b := range pb.body.Blocks {
			if b.Type == "assume_role" && p.AccountID == "" {
				p.AccountID = accountOfARN(str(b.Body, "role_arn"))
			}
		}
		if isThisProvider(pb.key) {
			thisProviderDefaults(p, pb.body.Attributes["account_id"] != nil, pb.body.Attributes["region"] != nil)
		}
		hr.inv.Providers[pb.key] = p
	}
	// Only now can a resource without a provider block of its own take the defaults: during
	// the passes above, no block was read yet.
	hr.inv.ProvidersDescribed = true
	// Provider accounts feed derived ARNs: one more round now that they are known.
	derive(hr.inv)
	for _, r := range hr.inv.Resources {
		for _, pe := range hr.exprs[r] {
			setPath(r.Values, pe.path, hr.eval(pe.expr))
		}
	}
	derive(hr.inv)
}

// eval evaluates an expression of the root module statically: references take the values
// known so far; what cannot be evaluated is unknown.
func (hr *hclReader) eval(expr hclsyntax.Expression) any {
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{}, Functions: staticFunctions}
	vars := expr.Variables()
	tree := map[string]any{}
	type named struct{ names []string }
	var all []named
	for _, t := range vars {
		var names []string
		for _, s := range t {
			switch s := s.(type) {
			case hcl.TraverseRoot:
				names = append(names, s.Name)
			case hcl.TraverseAttr:
				names = append(names, s.Name)
			}
			if _, isIndex := s.(hcl.TraverseIndex); isIndex {
				break
			}
			if _, isSplat := s.(hcl.TraverseSplat); isSplat {
				break
			}
		}
		all = append(all, named{names})
	}
	// Longer paths first: a shorter path then replaces the partial object with the whole value.
	sort.SliceStable(all, func(i, j int) bool { return len(all[i].names) > len(all[j].names) })
	for _, n := range all {
		if len(n.names) == 1 {
			tree[n.names[0]] = unknown
			continue
		}
		v := hr.refValue(strings.Join(n.names, "."))
		setPath(tree, strings.Join(n.names, "."), v)
	}
	for k, v := range tree {
		ctx.Variables[k] = toCty(v)
	}
	v, d := expr.Value(ctx)
	if d.HasErrors() {
		return unknown
	}
	return fromCty(v)
}

// refValue is the value a reference of the root module names, unknown when not known.
func (hr *hclReader) refValue(ref string) any {
	t, ok := hr.inv.resolveRef("", ref, 0, newBudget())
	switch {
	case !ok:
		return unknown
	case t.hasValue:
		if t.value == nil {
			return unknown
		}
		return t.value
	case t.attr == "":
		return t.res.Values
	}
	v := hr.inv.value(t.res, t.attr)
	if v == nil {
		return unknown // a computed attribute the configuration does not set
	}
	return v
}

// staticFunctions are the Terraform functions that policies and names commonly use and that
// need nothing but their arguments. Others make the expression unknown.
var staticFunctions = map[string]function.Function{
	"jsonencode": stdlib.JSONEncodeFunc,
	"jsondecode": stdlib.JSONDecodeFunc,
	"format":     stdlib.FormatFunc,
	"join":       stdlib.JoinFunc,
	"concat":     stdlib.ConcatFunc,
	"lower":      stdlib.LowerFunc,
	"upper":      stdlib.UpperFunc,
	"replace":    stdlib.ReplaceFunc,
	"split":      stdlib.SplitFunc,
	"merge":      stdlib.MergeFunc,
	"length":     stdlib.LengthFunc,
	"coalesce":   stdlib.CoalesceFunc,
	"tostring":   stdlib.MakeToFunc(cty.String),
	"tolist":     stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
	"toset":      stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
}
