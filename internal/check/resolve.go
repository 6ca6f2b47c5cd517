package check

import (
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// maxHops bounds reference chains (a variable passed through modules, an alias naming a key),
// and maxSteps the references one resolution may try in all: an expression may list several
// references and each may lead through outputs listing several more, so without a shared
// budget a cycle in hand-written input would branch exponentially (the fuzzer found one).
const (
	maxHops  = 16
	maxSteps = 64
)

// budget counts the references one resolution may still try.
type budget struct{ left int }

func newBudget() *budget { return &budget{left: maxSteps} }

// target is where a reference leads: an attribute of a resource (attr "" is the whole
// resource), or a constant when the chain ends in a variable's value.
type target struct {
	res      *Resource
	attr     string
	value    any
	hasValue bool
}

// parsedRef is a reference split into its root name and steps (attribute names, and index
// keys as strings).
type parsedRef struct {
	steps []refStep
}

type refStep struct {
	name  string // attribute name, or the key of an index step
	index bool
}

func parseRef(ref string) (parsedRef, bool) {
	trav, diags := hclsyntax.ParseTraversalAbs([]byte(ref), "", hcl.InitialPos)
	if diags.HasErrors() || len(trav) == 0 {
		return parsedRef{}, false
	}
	var pr parsedRef
	for _, t := range trav {
		switch s := t.(type) {
		case hcl.TraverseRoot:
			pr.steps = append(pr.steps, refStep{name: s.Name})
		case hcl.TraverseAttr:
			pr.steps = append(pr.steps, refStep{name: s.Name})
		case hcl.TraverseIndex:
			k, ok := indexKey(s)
			if !ok {
				return parsedRef{}, false
			}
			pr.steps = append(pr.steps, refStep{name: k, index: true})
		default:
			return parsedRef{}, false
		}
	}
	return pr, true
}

// attrPath turns steps into a flattened attribute path; index keys of lists are numbers.
func attrPath(steps []refStep) string {
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = s.name
	}
	return strings.Join(parts, ".")
}

// resolveRefs follows the first of refs (made in module mod) that leads somewhere.
func (inv *Inventory) resolveRefs(mod string, refs []string, hops int, b *budget) (target, bool) {
	if hops > maxHops {
		return target{}, false
	}
	for _, ref := range refs {
		if b.left <= 0 {
			return target{}, false
		}
		b.left--
		if t, ok := inv.resolveRef(mod, ref, hops, b); ok {
			return t, true
		}
	}
	return target{}, false
}

// resolveRef follows one reference made in module mod.
func (inv *Inventory) resolveRef(mod, ref string, hops int, b *budget) (target, bool) {
	pr, ok := parseRef(ref)
	if !ok || len(pr.steps) < 2 {
		return target{}, false
	}
	m := inv.Modules[mod]
	if m == nil {
		return target{}, false
	}
	st := pr.steps
	switch st[0].name {
	case "var":
		if m.Root {
			v, ok := m.Vars[st[1].name]
			if !ok {
				return target{}, false
			}
			return target{value: getPath(v, attrPath(st[2:])), hasValue: true}, true
		}
		return inv.followExpr(m.Parent, m.Args[st[1].name], st[2:], hops, b)
	case "local":
		e, ok := m.Locals[st[1].name]
		if !ok {
			return target{}, false
		}
		return inv.followExpr(mod, e, st[2:], hops, b)
	case "module":
		// module.NAME[KEY].OUTPUT...
		child := join(mod, "module."+st[1].name)
		rest := st[2:]
		if len(rest) > 0 && rest[0].index {
			child += "[" + quoteKey(rest[0].name) + "]"
			rest = rest[1:]
		}
		cm := inv.Modules[child]
		if cm == nil || len(rest) == 0 {
			return target{}, false
		}
		return inv.followExpr(child, cm.Outputs[rest[0].name], rest[1:], hops, b)
	case "each", "count", "path", "terraform", "self":
		return target{}, false
	}
	// A resource: [data.]TYPE.NAME[KEY].attr...
	i := 0
	prefix := ""
	if st[0].name == "data" {
		prefix, i = "data.", 1
	}
	if len(st) < i+2 || st[i].index || st[i+1].index {
		return target{}, false
	}
	cfgAddr := prefix + st[i].name + "." + st[i+1].name
	rest := st[i+2:]
	insts := m.byCfg[cfgAddr]
	var res *Resource
	if len(rest) > 0 && rest[0].index {
		want := join(mod, cfgAddr) + "[" + quoteKey(rest[0].name) + "]"
		for _, r := range insts {
			if r.Address == want {
				res = r
			}
		}
		rest = rest[1:]
	} else if len(insts) == 1 {
		res = insts[0]
	}
	if res == nil {
		return target{}, false
	}
	return target{res: res, attr: attrPath(rest)}, true
}

// followExpr continues a chain through an expression (a module argument or output, a local),
// evaluated in module mod, then into rest.
func (inv *Inventory) followExpr(mod string, e Expr, rest []refStep, hops int, b *budget) (target, bool) {
	if len(e.Refs) == 0 {
		if e.Value == nil {
			return target{}, false
		}
		return target{value: getPath(e.Value, attrPath(rest)), hasValue: true}, true
	}
	if !passThrough(e.Refs) {
		return target{}, false // computed from several things: none of them
	}
	t, ok := inv.resolveRefs(mod, e.Refs, hops+1, b)
	if !ok {
		return target{}, false
	}
	if t.res != nil {
		t.attr = join(t.attr, attrPath(rest))
	} else {
		t.value = getPath(t.value, attrPath(rest))
	}
	return t, true
}

// quoteKey renders an instance key as Terraform writes it in addresses.
func quoteKey(k string) string {
	if _, err := strconv.Atoi(k); err == nil {
		return k
	}
	return strconv.Quote(k)
}

// value returns the value at path of r: the known value, or, when it is unknown, the value
// its references lead to when that one is known.
func (inv *Inventory) value(r *Resource, path string) any {
	return inv.valueHops(r, path, 0)
}

func (inv *Inventory) valueHops(r *Resource, path string, hops int) any {
	v := getPath(r.Values, path)
	if !isUnknown(v) || hops > maxHops || !passThrough(r.Refs[path]) {
		return v
	}
	t, ok := inv.resolveRefs(r.Module, r.Refs[path], hops+1, newBudget())
	switch {
	case !ok:
		return v
	case t.hasValue:
		if t.value == nil {
			return v
		}
		return t.value
	case t.attr == "":
		return v
	}
	if isDocument(lastStep(path)) != isDocument(lastStep(t.attr)) {
		return v // a policy is not an ARN, nor an ARN a policy: the expression does more than refer
	}
	// An attribute the target does not have yet (computed at apply) stays unknown here.
	if next := inv.valueHops(t.res, t.attr, hops+1); next != nil {
		return next
	}
	return v
}

// passThrough reports whether an expression's references (plan input lists them most specific
// first) could be a plain reference to one value: each is a prefix of the first, as in
// [aws_s3_bucket.x[0].bucket, aws_s3_bucket.x[0], aws_s3_bucket.x]. An expression that refers
// to several things (a jsonencode of a policy naming a role and a bucket, a conditional) is
// computed from them; its value is none of theirs, and nothing is linked through it.
//
// count.index and each.key only pick an instance (aws_s3_bucket.x[count.index].id refers to
// [aws_s3_bucket.x, count.index]), so they do not count.
func passThrough(refs []string) bool {
	var chain []string
	for _, ref := range refs {
		if ref != "count.index" && ref != "each.key" {
			chain = append(chain, ref)
		}
	}
	if len(chain) == 0 {
		return false
	}
	for _, ref := range chain[1:] {
		if !strings.HasPrefix(chain[0], ref) {
			return false
		}
	}
	return true
}

// isDocument reports whether an attribute holds a policy document.
func isDocument(attr string) bool {
	switch attr {
	case "policy", "json", "minified_json", "assume_role_policy":
		return true
	}
	return false
}

func lastStep(path string) string { return path[strings.LastIndex(path, ".")+1:] }

// linked returns the resource the expression at path of r refers to, following attributes that
// merely pass a reference on (a variable, a module output), and the attribute it names.
func (inv *Inventory) linked(r *Resource, path string) (*Resource, string) {
	if r.Links != nil { // .tf input: evaluation found the link
		l := r.Links[path]
		return l.Res, l.Attr
	}
	if !passThrough(r.Refs[path]) {
		return nil, ""
	}
	t, ok := inv.resolveRefs(r.Module, r.Refs[path], 0, newBudget())
	if !ok || t.res == nil {
		return nil, ""
	}
	return t.res, t.attr
}
