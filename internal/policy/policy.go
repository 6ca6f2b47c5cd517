// Package policy parses, normalizes, builds and evaluates IAM-style policy documents: the
// bucket, key, role and trust policies a cross-account pipeline depends on. It is pure standard
// library so that the domain rules, the local backend and the plan checker share one evaluator.
//
// Canonical form. Document.JSON renders a document compactly (no insignificant whitespace,
// no HTML escaping) with a fixed element order — Version, Id, Statement; in each statement
// Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition —
// and map keys sorted. Inside a statement every list (actions, resources, principal values,
// condition values) is sorted and de-duplicated; a list of one element is rendered as a plain
// string and a longer list as an array, always. Statement is always an array, and statements
// keep their order (their order has no meaning, but Sids make them recognizable and reordering
// them would surprise readers of a diff). A bare 12-digit account id in an AWS principal is
// rendered as that account's root ARN, as AWS itself stores it. Condition values are strings
// (a JSON true becomes "true", numbers keep their literal text).
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
)

// Policy language versions accepted in the Version element.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Effects of a statement.
const (
	EffectAllow = "Allow"
	EffectDeny  = "Deny"
)

// Document is a policy document.
type Document struct {
	Version   string
	ID        string // the optional Id element
	Statement []Statement
}

// Statement is one statement of a policy document.
type Statement struct {
	Sid                     string
	Effect                  string
	Principal, NotPrincipal Principals
	Action, NotAction       []string
	Resource, NotResource   []string
	Condition               map[string]map[string][]string // operator → condition key → values
}

// Principals is a Principal or NotPrincipal element: either "*" (All) or a map from principal
// type ("AWS", "Service", "Federated", "CanonicalUser") to values. The zero value means the
// element is absent.
type Principals struct {
	All bool
	Set map[string][]string
}

// IsZero reports whether the element is absent.
func (p Principals) IsZero() bool { return !p.All && len(p.Set) == 0 }

// AWSPrincipals returns principals naming the given AWS principals (role ARNs, account root
// ARNs, account ids or "*").
func AWSPrincipals(arns ...string) Principals {
	if len(arns) == 0 {
		return Principals{}
	}
	return Principals{Set: map[string][]string{"AWS": append([]string(nil), arns...)}}
}

// AnyPrincipal is the "*" principal.
func AnyPrincipal() Principals { return Principals{All: true} }

var principalTypes = map[string]bool{"AWS": true, "Service": true, "Federated": true, "CanonicalUser": true}

// Parse parses a policy document and checks its structure. Errors name the offending
// statement by its index (and Sid when it has one).
func Parse(doc string) (*Document, error) {
	if strings.TrimSpace(doc) == "" {
		return nil, errors.New("policy document is empty")
	}
	if !json.Valid([]byte(doc)) {
		var v any
		err := json.Unmarshal([]byte(doc), &v)
		return nil, fmt.Errorf("policy document is not valid JSON: %w", err)
	}
	var d Document
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

// Canonical parses doc and renders it in canonical form.
func Canonical(doc string) (string, error) {
	d, err := Parse(doc)
	if err != nil {
		return "", err
	}
	return d.JSON(), nil
}

// Validate checks the rules every policy document obeys, whatever it is attached to.
func (d *Document) Validate() error {
	if d.Version != "" && d.Version != Version2012 && d.Version != Version2008 {
		return fmt.Errorf("policy Version %q is not %q or %q", d.Version, Version2012, Version2008)
	}
	if len(d.Statement) == 0 {
		return errors.New("policy document has no Statement")
	}
	for i := range d.Statement {
		if err := d.Statement[i].validate(); err != nil {
			return fmt.Errorf("%s: %w", d.Statement[i].label(i), err)
		}
	}
	return nil
}

func (s *Statement) label(i int) string {
	if s.Sid != "" {
		return fmt.Sprintf("Statement[%d] (Sid %q)", i, s.Sid)
	}
	return fmt.Sprintf("Statement[%d]", i)
}

func (s *Statement) validate() error {
	switch s.Effect {
	case EffectAllow, EffectDeny:
	case "":
		return errors.New("missing Effect (\"Allow\" or \"Deny\")")
	default:
		return fmt.Errorf("Effect %q is not \"Allow\" or \"Deny\" (the value is case-sensitive)", s.Effect)
	}
	if !s.Principal.IsZero() && !s.NotPrincipal.IsZero() {
		return errors.New("has both Principal and NotPrincipal; use one")
	}
	switch {
	case len(s.Action) > 0 && len(s.NotAction) > 0:
		return errors.New("has both Action and NotAction; use one")
	case len(s.Action) == 0 && len(s.NotAction) == 0:
		return errors.New("needs an Action or a NotAction")
	}
	if len(s.Resource) > 0 && len(s.NotResource) > 0 {
		return errors.New("has both Resource and NotResource; use one")
	}
	for _, list := range [][]string{s.Action, s.NotAction, s.Resource, s.NotResource} {
		for _, v := range list {
			if v == "" {
				return errors.New("has an empty string in an Action or Resource list")
			}
		}
	}
	for op, keys := range s.Condition {
		if op == "" {
			return errors.New("has a Condition with an empty operator")
		}
		for k := range keys {
			if k == "" {
				return fmt.Errorf("has a %s condition with an empty key", op)
			}
		}
	}
	return nil
}

// ---- Unmarshalling: AWS's lenient forms ----

// UnmarshalJSON accepts a single statement object or a list of them.
func (d *Document) UnmarshalJSON(b []byte) error {
	fields, err := objectFields(b, "policy document")
	if err != nil {
		return err
	}
	*d = Document{}
	for _, k := range sortedKeys(fields) {
		v := fields[k]
		switch k {
		case "Version":
			if err := json.Unmarshal(v, &d.Version); err != nil {
				return errors.New("policy Version must be a string")
			}
		case "Id":
			if err := json.Unmarshal(v, &d.ID); err != nil {
				return errors.New("policy Id must be a string")
			}
		case "Statement":
			switch firstByte(v) {
			case '{':
				var s Statement
				if err := json.Unmarshal(v, &s); err != nil {
					return fmt.Errorf("Statement: %w", err)
				}
				d.Statement = []Statement{s}
			case '[':
				var raws []json.RawMessage
				if err := json.Unmarshal(v, &raws); err != nil {
					return fmt.Errorf("Statement: %w", err)
				}
				d.Statement = make([]Statement, len(raws))
				for i, r := range raws {
					if err := json.Unmarshal(r, &d.Statement[i]); err != nil {
						return fmt.Errorf("Statement[%d]: %w", i, err)
					}
				}
			default:
				return errors.New("Statement must be an object or a list of objects")
			}
		default:
			return fmt.Errorf("policy document has an unknown element %q (expected Version, Id, Statement)", k)
		}
	}
	return nil
}

// UnmarshalJSON accepts strings or lists for Action/Resource, "*" or a typed map for
// Principal, and strings, booleans, numbers or lists of them as condition values.
func (s *Statement) UnmarshalJSON(b []byte) error {
	fields, err := objectFields(b, "statement")
	if err != nil {
		return err
	}
	*s = Statement{}
	for _, k := range sortedKeys(fields) {
		v := fields[k]
		switch k {
		case "Sid":
			if err := json.Unmarshal(v, &s.Sid); err != nil {
				return errors.New("Sid must be a string")
			}
		case "Effect":
			if err := json.Unmarshal(v, &s.Effect); err != nil {
				return errors.New("Effect must be a string")
			}
		case "Principal", "NotPrincipal":
			p, err := parsePrincipals(v, k)
			if err != nil {
				return err
			}
			if k == "Principal" {
				s.Principal = p
			} else {
				s.NotPrincipal = p
			}
		case "Action", "NotAction", "Resource", "NotResource":
			list, err := stringOrList(v, k, false)
			if err != nil {
				return err
			}
			switch k {
			case "Action":
				s.Action = list
			case "NotAction":
				s.NotAction = list
			case "Resource":
				s.Resource = list
			case "NotResource":
				s.NotResource = list
			}
		case "Condition":
			c, err := parseCondition(v)
			if err != nil {
				return err
			}
			s.Condition = c
		default:
			return fmt.Errorf("unknown element %q", k)
		}
	}
	return nil
}

// UnmarshalJSON accepts "*" or an object of principal type to string or list.
func (p *Principals) UnmarshalJSON(b []byte) error {
	v, err := parsePrincipals(b, "Principal")
	if err != nil {
		return err
	}
	*p = v
	return nil
}

func parsePrincipals(b []byte, name string) (Principals, error) {
	switch firstByte(b) {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return Principals{}, err
		}
		if s != "*" {
			return Principals{}, fmt.Errorf("%s as a string must be \"*\", not %q; name principals as {\"AWS\": ...}", name, s)
		}
		return Principals{All: true}, nil
	case '{':
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return Principals{}, err
		}
		if len(raw) == 0 {
			return Principals{}, fmt.Errorf("%s is an empty object", name)
		}
		p := Principals{Set: map[string][]string{}}
		for _, typ := range sortedKeys(raw) {
			if !principalTypes[typ] {
				return Principals{}, fmt.Errorf("%s type %q is not AWS, Service, Federated or CanonicalUser", name, typ)
			}
			list, err := stringOrList(raw[typ], name+"."+typ, false)
			if err != nil {
				return Principals{}, err
			}
			if len(list) == 0 {
				return Principals{}, fmt.Errorf("%s.%s is empty", name, typ)
			}
			p.Set[typ] = list
		}
		return p, nil
	default:
		return Principals{}, fmt.Errorf("%s must be \"*\" or an object such as {\"AWS\": \"arn:...\"}", name)
	}
}

func parseCondition(b []byte) (map[string]map[string][]string, error) {
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, errors.New("Condition must be an object of operator to {key: value}")
	}
	out := make(map[string]map[string][]string, len(raw))
	for op, keys := range raw {
		m := make(map[string][]string, len(keys))
		for k, v := range keys {
			list, err := stringOrList(v, "Condition."+op+"."+k, true)
			if err != nil {
				return nil, err
			}
			m[k] = list
		}
		out[op] = m
	}
	return out, nil
}

// stringOrList decodes a string or a list of strings; with scalars, booleans and numbers are
// accepted too and kept as their JSON text.
func stringOrList(b []byte, name string, scalars bool) ([]string, error) {
	one := func(r json.RawMessage) (string, error) {
		switch c := firstByte(r); {
		case c == '"':
			var s string
			err := json.Unmarshal(r, &s)
			return s, err
		case scalars && (c == 't' || c == 'f' || c == '-' || (c >= '0' && c <= '9')):
			return string(bytes.TrimSpace(r)), nil
		}
		if scalars {
			return "", fmt.Errorf("%s must be a string, a boolean, a number or a list of them", name)
		}
		return "", fmt.Errorf("%s must be a string or a list of strings", name)
	}
	if firstByte(b) == '[' {
		var raws []json.RawMessage
		if err := json.Unmarshal(b, &raws); err != nil {
			return nil, err
		}
		out := make([]string, 0, len(raws))
		for _, r := range raws {
			s, err := one(r)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := one(b)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func objectFields(b []byte, what string) (map[string]json.RawMessage, error) {
	if firstByte(b) != '{' {
		return nil, fmt.Errorf("%s must be a JSON object", what)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	return fields, nil
}

func firstByte(b []byte) byte {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ---- Marshalling: the canonical form ----

// JSON renders the document in canonical form (see the package documentation).
func (d *Document) JSON() string {
	b, err := d.MarshalJSON()
	if err != nil {
		// Only strings, lists and maps of strings are marshalled: this cannot fail.
		panic("policy: " + err.Error())
	}
	return string(b)
}

// String is JSON.
func (d *Document) String() string { return d.JSON() }

// MarshalJSON renders the canonical form, so json.Marshal of a Document is canonical too.
func (d Document) MarshalJSON() ([]byte, error) {
	type out struct {
		Version   string      `json:"Version,omitempty"`
		ID        string      `json:"Id,omitempty"`
		Statement []Statement `json:"Statement"`
	}
	st := d.Statement
	if st == nil {
		st = []Statement{}
	}
	return marshalNoEscape(out{d.Version, d.ID, st})
}

// MarshalJSON renders one statement in canonical form.
func (s Statement) MarshalJSON() ([]byte, error) {
	type out struct {
		Sid          string                    `json:"Sid,omitempty"`
		Effect       string                    `json:"Effect"`
		Principal    any                       `json:"Principal,omitempty"`
		NotPrincipal any                       `json:"NotPrincipal,omitempty"`
		Action       any                       `json:"Action,omitempty"`
		NotAction    any                       `json:"NotAction,omitempty"`
		Resource     any                       `json:"Resource,omitempty"`
		NotResource  any                       `json:"NotResource,omitempty"`
		Condition    map[string]map[string]any `json:"Condition,omitempty"`
	}
	o := out{
		Sid: s.Sid, Effect: s.Effect,
		Principal: s.Principal.canonical(), NotPrincipal: s.NotPrincipal.canonical(),
		Action: canonicalList(s.Action), NotAction: canonicalList(s.NotAction),
		Resource: canonicalList(s.Resource), NotResource: canonicalList(s.NotResource),
	}
	for op, keys := range s.Condition {
		for k, vals := range keys {
			if o.Condition == nil {
				o.Condition = map[string]map[string]any{}
			}
			if o.Condition[op] == nil {
				o.Condition[op] = map[string]any{}
			}
			o.Condition[op][k] = canonicalList(vals)
			if o.Condition[op][k] == nil {
				o.Condition[op][k] = []string{}
			}
		}
	}
	return marshalNoEscape(o)
}

// MarshalJSON renders "*" or the typed map in canonical form.
func (p Principals) MarshalJSON() ([]byte, error) { return marshalNoEscape(p.canonical()) }

var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

func (p Principals) canonical() any {
	if p.All {
		return "*"
	}
	if len(p.Set) == 0 {
		return nil
	}
	m := make(map[string]any, len(p.Set))
	for typ, vals := range p.Set {
		if typ == "AWS" {
			norm := make([]string, len(vals))
			for i, v := range vals {
				if accountIDPattern.MatchString(v) {
					// IAM writes a bare account id as the account's root ARN. The partition
					// is not in the document; the aws partition is how a policy shows it.
					v = arn.AWS.Root(v)
				}
				norm[i] = v
			}
			vals = norm
		}
		m[typ] = canonicalList(vals)
	}
	return m
}

// canonicalList sorts and de-duplicates; one element renders as a string, none as nothing.
func canonicalList(vals []string) any {
	switch len(vals) {
	case 0:
		return nil
	case 1:
		return vals[0]
	}
	out := append([]string(nil), vals...)
	sort.Strings(out)
	n := 1
	for i := 1; i < len(out); i++ {
		if out[i] != out[n-1] {
			out[n] = out[i]
			n++
		}
	}
	if n == 1 {
		return out[0]
	}
	return out[:n]
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
