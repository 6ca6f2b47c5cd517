package check

import (
	"encoding/json"
	"math/big"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// indexKey renders the key of an index step as a string.
func indexKey(s hcl.TraverseIndex) (string, bool) {
	k := s.Key
	if !k.IsKnown() || k.IsNull() {
		return "", false
	}
	switch k.Type() {
	case cty.String:
		return k.AsString(), true
	case cty.Number:
		bf := k.AsBigFloat()
		if i, acc := bf.Int64(); acc == big.Exact {
			return json.Number(big.NewInt(i).String()).String(), true
		}
	}
	return "", false
}

// fromCty converts a cty value into the value tree of this package; unknown parts become the
// unknown marker.
func fromCty(v cty.Value) any { return treeOf(v, "", nil, nil) }

// toCty converts a value tree into cty for evaluating expressions that refer to it.
func toCty(v any) cty.Value {
	switch t := v.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType)
	case unknownValue:
		if t.doc != nil {
			return cty.UnknownVal(cty.String).Mark(t.doc)
		}
		return cty.DynamicVal
	case string:
		return cty.StringVal(t)
	case bool:
		return cty.BoolVal(t)
	case json.Number:
		if bf, ok := new(big.Float).SetString(t.String()); ok {
			return cty.NumberVal(bf)
		}
		return cty.DynamicVal
	case float64:
		return cty.NumberFloatVal(t)
	case int:
		return cty.NumberIntVal(int64(t))
	case []any:
		if len(t) == 0 {
			return cty.EmptyTupleVal
		}
		vals := make([]cty.Value, len(t))
		for i, e := range t {
			vals[i] = toCty(e)
		}
		return cty.TupleVal(vals)
	case map[string]any:
		if len(t) == 0 {
			return cty.EmptyObjectVal
		}
		vals := make(map[string]cty.Value, len(t))
		for k, e := range t {
			vals[k] = toCty(e)
		}
		return cty.ObjectVal(vals)
	}
	return cty.DynamicVal
}
