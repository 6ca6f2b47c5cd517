package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// A policy document built around a value known only after apply (a bucket ARN in a Resource,
// a role ARN in a Principal) is not known as a whole, but most of it is. The rules that read
// policies ask one question: is a grant missing? So a partly known document is judged in its
// most permissive completion — every unknown part of an Allow statement as wide as it could
// be, every Deny statement with an unknown part dropped. A grant that is missing even there is
// missing whatever the unknown parts turn out to be; one that is present there is given the
// benefit of the doubt.

// unknownToken stands for an unknown interpolation while a template is rendered: plain text
// that no configuration writes, valid inside a JSON string.
const unknownToken = "__codepipeline_check_unknown_%d__"

// renderTemplate evaluates a template. When it is unknown because some interpolations are, it
// renders the known parts around placeholders and, if the result is a JSON document, returns an
// unknown string carrying the document with those parts unknown (a partialDoc mark).
func renderTemplate(tmpl hclsyntax.Expression, eval func(hclsyntax.Expression) cty.Value) cty.Value {
	v := eval(tmpl)
	te, ok := tmpl.(*hclsyntax.TemplateExpr)
	if v.IsKnown() || !ok {
		return v
	}
	var b strings.Builder
	var tokens []string
	marks := cty.ValueMarks{}
	for _, part := range te.Parts {
		pv, pm := eval(part).UnmarkDeep()
		for m := range withoutPartials(pm) {
			marks[m] = struct{}{}
		}
		if pv.IsWhollyKnown() && !pv.IsNull() {
			if s, err := convert.Convert(pv, cty.String); err == nil {
				b.WriteString(s.AsString())
				continue
			}
		}
		tok := fmt.Sprintf(unknownToken, len(tokens))
		tokens = append(tokens, tok)
		b.WriteString(tok)
	}
	tree, ok := decodeWithTokens(b.String(), tokens)
	if !ok {
		return v
	}
	return cty.UnknownVal(cty.String).WithMarks(marks).Mark(&partialDoc{tree: tree})
}

// decodeWithTokens decodes a JSON object or array whose strings may hold tokens; a string
// holding one is unknown, as is an object with a key holding one.
func decodeWithTokens(s string, tokens []string) (any, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") && !strings.HasPrefix(s, "[") {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, false
	}
	has := func(x string) bool {
		for _, t := range tokens {
			if strings.Contains(x, t) {
				return true
			}
		}
		return false
	}
	var walk func(any) any
	walk = func(x any) any {
		switch t := x.(type) {
		case string:
			if has(t) {
				return unknown
			}
		case []any:
			for i := range t {
				t[i] = walk(t[i])
			}
		case map[string]any:
			for k, e := range t {
				if has(k) {
					return unknown
				}
				t[k] = walk(e)
			}
		}
		return x
	}
	return walk(v), true
}

// permissivePolicy renders a partly known policy document in its most permissive completion
// (see above): identity says whether it is an identity policy (no Principal) or a resource
// policy. It returns false when too little is known to render a document at all, or when the
// rendering does not parse (the rules then skip the document, never report it as invalid).
func permissivePolicy(doc any, identity bool) (string, bool) {
	d, ok := doc.(map[string]any)
	if !ok {
		return "", false
	}
	var stmts []any
	switch s := d["Statement"].(type) {
	case []any:
		stmts = s
	case map[string]any:
		stmts = []any{s}
	default:
		return "", false
	}
	out := []any{}
	for _, s := range stmts {
		st, ok := s.(map[string]any)
		if !ok {
			out = append(out, allowAll(identity))
			continue
		}
		if p, keep := permissiveStatement(st, identity); keep {
			out = append(out, p)
		}
	}
	rendered := map[string]any{"Version": policy.Version2012, "Statement": out}
	if v, ok := d["Version"].(string); ok {
		rendered["Version"] = v
	}
	if len(out) == 0 {
		out = append(out, map[string]any{"Effect": policy.EffectDeny, "Action": "none:none", "Resource": "*"})
		rendered["Statement"] = out
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rendered); err != nil {
		return "", false
	}
	if _, err := policy.Parse(b.String()); err != nil {
		return "", false
	}
	return strings.TrimSpace(b.String()), true
}

func allowAll(identity bool) map[string]any {
	s := map[string]any{"Effect": policy.EffectAllow, "Action": "*", "Resource": "*"}
	if !identity {
		s["Principal"] = "*"
	}
	return s
}

// permissiveStatement widens one statement; keep is false for a Deny statement that has unknown
// parts.
func permissiveStatement(st map[string]any, identity bool) (map[string]any, bool) {
	effect, known := st["Effect"].(string)
	if known && effect == policy.EffectDeny {
		if hasUnknown(st) {
			return nil, false
		}
		return st, true
	}
	if !known && st["Effect"] != nil {
		effect = policy.EffectAllow // unknown: it could allow
	}
	out := map[string]any{"Effect": policy.EffectAllow}
	if effect != "" {
		out["Effect"] = effect
	}
	if sid, ok := st["Sid"].(string); ok {
		out["Sid"] = sid
	}
	// Principal, Action and Resource with an unknown part match anything; a Not* element with
	// one excludes nothing, which is the same as its positive element matching anything.
	for _, pair := range [][2]string{{"Principal", "NotPrincipal"}, {"Action", "NotAction"}, {"Resource", "NotResource"}} {
		pos, neg := pair[0], pair[1]
		if identity && pos == "Principal" {
			continue
		}
		switch {
		case st[neg] != nil && hasUnknown(st[neg]):
			out[pos] = "*"
		case st[neg] != nil:
			out[neg] = st[neg]
		case st[pos] != nil && hasUnknown(st[pos]):
			out[pos] = "*"
		case st[pos] != nil:
			out[pos] = st[pos]
		}
	}
	if c, ok := st["Condition"]; ok && c != nil {
		if cond := permissiveCondition(c); len(cond) > 0 {
			out["Condition"] = cond
		}
	}
	return out, true
}

// permissiveCondition drops the condition keys whose values are not all known: a condition
// that is not there restricts nothing.
func permissiveCondition(c any) map[string]any {
	ops, ok := c.(map[string]any)
	if !ok {
		return nil
	}
	out := map[string]any{}
	for op, keys := range ops {
		km, ok := keys.(map[string]any)
		if !ok {
			continue
		}
		kept := map[string]any{}
		for k, v := range km {
			if !hasUnknown(v) {
				kept[k] = v
			}
		}
		if len(kept) > 0 {
			out[op] = kept
		}
	}
	return out
}

// hasUnknown reports whether a value tree has an unknown part.
func hasUnknown(v any) bool {
	switch t := v.(type) {
	case unknownValue:
		return true
	case []any:
		for _, e := range t {
			if hasUnknown(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range t {
			if hasUnknown(e) {
				return true
			}
		}
	}
	return false
}
