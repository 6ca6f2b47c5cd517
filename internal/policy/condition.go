package policy

import "strings"

// Condition operators this package implements. Each also exists with the IfExists suffix
// (true when the key is absent, else the operator), except Null.
//
// Semantics follow AWS for a single-valued request context:
//   - the values of one key are ORed (for a negated operator: the key must match none);
//   - keys of one operator, and operators, are ANDed;
//   - a key absent from the context makes a positive operator false and a negated operator
//     (StringNotEquals, StringNotEqualsIgnoreCase, StringNotLike, ArnNotEquals, ArnNotLike)
//     true — so "Deny unless StringEquals-header" policies written as StringNotEquals deny a
//     request that lacks the header, as in AWS;
//   - Null "true" holds when the key is absent, "false" when it is present.
//
// Any other operator (numeric, date, IP address, ForAnyValue:/ForAllValues: set operators,
// policy variables in values...) is unknown: see Document.evaluate for how a statement with
// an unknown condition fails closed.
var conditionOperators = map[string]condOp{
	"StringEquals":              {match: func(p, v string) bool { return p == v }},
	"StringNotEquals":           {match: func(p, v string) bool { return p == v }, negated: true},
	"StringEqualsIgnoreCase":    {match: strings.EqualFold},
	"StringNotEqualsIgnoreCase": {match: strings.EqualFold, negated: true},
	"StringLike":                {match: Match},
	"StringNotLike":             {match: Match, negated: true},
	"ArnEquals":                 {match: Match},
	"ArnLike":                   {match: Match},
	"ArnNotEquals":              {match: Match, negated: true},
	"ArnNotLike":                {match: Match, negated: true},
	"Bool":                      {match: strings.EqualFold},
}

// SupportedConditionOperators lists the operators evaluated (without the IfExists forms).
func SupportedConditionOperators() []string {
	out := sortedKeys(conditionOperators)
	out = append(out, "Null")
	return out
}

type condOp struct {
	match   func(pattern, value string) bool
	negated bool
}

type condResult int

const (
	condTrue condResult = iota
	condFalse
	condUnknown
)

// evalConditions ANDs all conditions three-valued: false beats unknown beats true.
func evalConditions(cond map[string]map[string][]string, ctx map[string]string) condResult {
	res := condTrue
	for op, keys := range cond {
		for key, vals := range keys {
			switch evalCondition(op, key, vals, ctx) {
			case condFalse:
				return condFalse
			case condUnknown:
				res = condUnknown
			}
		}
	}
	return res
}

func evalCondition(op, key string, vals []string, ctx map[string]string) condResult {
	value, present := ctx[strings.ToLower(key)]
	if op == "Null" {
		for _, v := range vals {
			switch strings.ToLower(v) {
			case "true":
				if !present {
					return condTrue
				}
			case "false":
				if present {
					return condTrue
				}
			default:
				return condUnknown
			}
		}
		return condFalse
	}
	base, ifExists := strings.CutSuffix(op, "IfExists")
	o, ok := conditionOperators[base]
	if !ok {
		return condUnknown
	}
	if !present {
		if ifExists || o.negated {
			return condTrue
		}
		return condFalse
	}
	matched := false
	for _, v := range vals {
		if o.match(v, value) {
			matched = true
			break
		}
	}
	if matched != o.negated {
		return condTrue
	}
	return condFalse
}
