package check

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// The .tf reader tracks where values come from with cty marks, which travel with values through
// every expression, function and module boundary:
//
//   - instanceMark on a resource instance's object: a value read from it, however indirectly
//     (a local, a module output, join over a splat), carries the instance;
//   - attrMark on each of its attributes: which attribute the value was read from;
//   - opaqueMark on an unknown value that comes from elsewhere than a resource (a variable
//     without a value, a module not followed, a function not evaluated): a value carrying one
//     may come from there, so it is linked to nothing — a conditional on an unknown variable
//     between a bucket's name and another name is not that bucket's name;
//   - a *partialDoc on an unknown string that is a JSON document with unknown parts (jsonencode
//     of a partly known value, a heredoc or template with unknown interpolations).
//
// A value that carries exactly one instance is linked to it (Resource.Links), which is how the
// converter finds the bucket behind an artifact store or the key behind an encryption key,
// and which attribute it is (for the placeholders of values known after apply).

type instanceMark struct{ addr string }

type attrMark struct{ addr, attr string }

type opaqueMark struct{ what string }

// opaque is an unknown value from what.
func opaque(what string) cty.Value { return cty.DynamicVal.Mark(opaqueMark{what}) }

// partialDoc is a JSON document whose unknown parts are the unknown marker.
type partialDoc struct{ tree any }

// withoutPartials drops partial documents from marks: a value computed from a document is not
// that document.
func withoutPartials(marks cty.ValueMarks) cty.ValueMarks {
	out := cty.ValueMarks{}
	for m := range marks {
		if _, ok := m.(*partialDoc); !ok {
			out[m] = struct{}{}
		}
	}
	return out
}

// Link is where the value of an attribute comes from (.tf input): an attribute of another
// resource instance, or the instance as a whole when the attribute cannot be told.
type Link struct {
	Res  *Resource
	Attr string
}

// treeOf converts a cty value into this package's value tree (as fromCty does) and reports
// the marks of each node, its ancestors' included, with its flattened path.
func treeOf(v cty.Value, path string, inherited cty.ValueMarks, visit func(path string, v cty.Value, marks cty.ValueMarks)) any {
	v, own := v.Unmark()
	marks := inherited
	if len(own) > 0 {
		marks = make(cty.ValueMarks, len(inherited)+len(own))
		for m := range inherited {
			marks[m] = struct{}{}
		}
		for m := range own {
			marks[m] = struct{}{}
		}
	}
	if visit != nil {
		visit(path, v, marks)
	}
	if !v.IsKnown() {
		if doc := partialOf(own); doc != nil {
			return unknownValue{doc: doc}
		}
		return unknown
	}
	if v.IsNull() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Bool:
		return v.True()
	case t == cty.Number:
		return json.Number(v.AsBigFloat().Text('f', -1))
	case t.IsListType() || t.IsSetType() || t.IsTupleType():
		out := []any{}
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			out = append(out, treeOf(e, join(path, fmt.Sprint(i)), marks, visit))
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = treeOf(e, join(path, k.AsString()), marks, visit)
		}
		return out
	}
	return unknown
}

// partialOf returns the partial document among marks, when there is exactly one.
func partialOf(marks cty.ValueMarks) *partialDoc {
	var found *partialDoc
	for m := range marks {
		if d, ok := m.(*partialDoc); ok {
			if found != nil {
				return nil
			}
			found = d
		}
	}
	return found
}

// instanceValue converts a resource instance's value tree into the object other expressions
// read: the instance mark on the object, an attribute mark on each attribute, and every
// attribute in extra that the tree lacks (computed attributes the configuration does not set)
// as an unknown value.
func instanceValue(r *Resource, extra []string) cty.Value {
	attrs := make(map[string]cty.Value, len(r.Values)+len(extra))
	for k, v := range r.Values {
		attrs[k] = toCty(v).Mark(attrMark{r.Address, k})
	}
	for _, k := range extra {
		if _, ok := attrs[k]; !ok {
			attrs[k] = cty.DynamicVal.Mark(attrMark{r.Address, k})
		}
	}
	return cty.ObjectVal(attrs).Mark(instanceMark{r.Address})
}

// linkOf decides what a value with marks is linked to: the one resource instance it carries,
// and the one attribute of it. When the marks name no single attribute (a whole collection of
// instances whose count is not known), the expression tells: the attribute it reads after
// naming the instance's resource (aws_s3_bucket.x.*.bucket), when there is exactly one. A known
// value that differs from the attribute's known value is computed from it, not it, and is not
// linked.
func linkOf(marks cty.ValueMarks, v cty.Value, expr hclsyntax.Expression, resolve func(addr string) *Resource) (Link, bool) {
	var inst string
	for m := range marks {
		if _, ok := m.(opaqueMark); ok {
			return Link{}, false
		}
		if im, ok := m.(instanceMark); ok {
			if inst != "" && inst != im.addr {
				return Link{}, false
			}
			inst = im.addr
		}
	}
	if inst == "" {
		return Link{}, false
	}
	res := resolve(inst)
	if res == nil {
		return Link{}, false
	}
	attr := ""
	for m := range marks {
		if am, ok := m.(attrMark); ok && am.addr == inst {
			if attr != "" && attr != am.attr {
				attr = "\x00several"
				break
			}
			attr = am.attr
		}
	}
	if attr == "\x00several" {
		attr = ""
	} else if attr == "" && expr != nil {
		if names := attrsAfter(expr, res.ConfigAddress); len(names) == 1 {
			attr = names[0]
		}
	}
	if attr != "" && v.IsKnown() && !v.IsNull() && v.Type() == cty.String {
		if s, ok := res.Values[attr].(string); ok && s != v.AsString() {
			return Link{}, false
		}
	}
	return Link{Res: res, Attr: attr}, true
}

// attrsAfter returns the attribute names an expression reads right after naming the resource
// at cfgAddr (TYPE.NAME or data.TYPE.NAME), through an index, a splat or neither.
func attrsAfter(expr hclsyntax.Expression, cfgAddr string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(name string) {
		if name != "" && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	_ = hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		switch e := n.(type) {
		case *hclsyntax.ScopeTraversalExpr:
			if rest, ok := afterResource(e.Traversal, cfgAddr); ok {
				add(firstAttr(rest))
			}
		case *hclsyntax.RelativeTraversalExpr:
			if src := resourceSource(e.Source, cfgAddr); src {
				add(firstAttr(e.Traversal))
			}
		case *hclsyntax.SplatExpr:
			if resourceSource(e.Source, cfgAddr) {
				if rt, ok := e.Each.(*hclsyntax.RelativeTraversalExpr); ok {
					add(firstAttr(rt.Traversal))
				}
			}
		}
		return nil
	})
	return out
}

// resourceSource reports whether e names the resource at cfgAddr, possibly indexed.
func resourceSource(e hclsyntax.Expression, cfgAddr string) bool {
	switch s := e.(type) {
	case *hclsyntax.ScopeTraversalExpr:
		rest, ok := afterResource(s.Traversal, cfgAddr)
		return ok && firstAttr(rest) == ""
	case *hclsyntax.IndexExpr:
		return resourceSource(s.Collection, cfgAddr)
	}
	return false
}

// afterResource returns the steps of a traversal after the resource name, when it names the
// resource at cfgAddr.
func afterResource(trav []hclTraverser, cfgAddr string) ([]hclTraverser, bool) {
	names := strings.Split(cfgAddr, ".")
	if len(trav) < len(names) {
		return nil, false
	}
	for i, n := range names {
		if stepName(trav[i]) != n {
			return nil, false
		}
	}
	return trav[len(names):], true
}

type hclTraverser = hcl.Traverser

// stepName is the name a traversal step names: a root or attribute name.
func stepName(s hcl.Traverser) string {
	switch t := s.(type) {
	case hcl.TraverseRoot:
		return t.Name
	case hcl.TraverseAttr:
		return t.Name
	}
	return ""
}

// firstAttr returns the first attribute name of a traversal, past index and splat steps.
func firstAttr(steps []hcl.Traverser) string {
	for _, s := range steps {
		switch t := s.(type) {
		case hcl.TraverseAttr:
			return t.Name
		case hcl.TraverseIndex, hcl.TraverseSplat:
			continue
		}
		return ""
	}
	return ""
}
