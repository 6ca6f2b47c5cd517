package check

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// The .tf reader evaluates expressions with Terraform's built-in functions, as far as they
// depend on nothing but their arguments: cty's standard library, which Terraform's own
// functions are built on, and a few written here where Terraform's differ or cty has none.
// A function this table does not know (or one that depends on the moment or the machine, such
// as timestamp or uuid) returns an unknown value, never a guess.

// pureFunctions are the functions that need no file system.
var pureFunctions = map[string]function.Function{
	"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc, "log": stdlib.LogFunc,
	"max": stdlib.MaxFunc, "min": stdlib.MinFunc, "parseint": stdlib.ParseIntFunc, "pow": stdlib.PowFunc,
	"signum": stdlib.SignumFunc,

	"chomp": stdlib.ChompFunc, "format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
	"indent": stdlib.IndentFunc, "join": stdlib.JoinFunc, "lower": stdlib.LowerFunc, "upper": stdlib.UpperFunc,
	"regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc, "split": stdlib.SplitFunc,
	"strrev": stdlib.ReverseFunc, "substr": stdlib.SubstrFunc, "title": stdlib.TitleFunc,
	"trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc, "trimsuffix": stdlib.TrimSuffixFunc,
	"trimspace": stdlib.TrimSpaceFunc, "replace": replaceFunc,
	"startswith": stringPredicate(strings.HasPrefix), "endswith": stringPredicate(strings.HasSuffix),
	"strcontains": stringPredicate(strings.Contains),

	"chunklist": stdlib.ChunklistFunc, "coalesce": stdlib.CoalesceFunc, "coalescelist": stdlib.CoalesceListFunc,
	"compact": stdlib.CompactFunc, "concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc,
	"distinct": stdlib.DistinctFunc, "element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc,
	"index": stdlib.IndexFunc, "keys": stdlib.KeysFunc, "length": lengthFunc, "lookup": lookupFunc,
	"merge": stdlib.MergeFunc, "one": oneFunc, "range": stdlib.RangeFunc, "reverse": stdlib.ReverseListFunc,
	"setintersection": stdlib.SetIntersectionFunc, "setproduct": stdlib.SetProductFunc,
	"setsubtract": stdlib.SetSubtractFunc, "setunion": stdlib.SetUnionFunc, "slice": stdlib.SliceFunc,
	"sort": stdlib.SortFunc, "values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
	"alltrue": allTrueFunc, "anytrue": anyTrueFunc, "sum": sumFunc,

	"jsonencode": jsonEncodeFunc, "jsondecode": stdlib.JSONDecodeFunc, "csvdecode": stdlib.CSVDecodeFunc,
	"base64encode": stringTransform(func(s string) (string, error) { return base64.StdEncoding.EncodeToString([]byte(s)), nil }),
	"base64decode": stringTransform(func(s string) (string, error) {
		b, err := base64.StdEncoding.DecodeString(s)
		return string(b), err
	}),
	"md5":      stringTransform(hashHex(func(b []byte) []byte { s := md5.Sum(b); return s[:] })),
	"sha1":     stringTransform(hashHex(func(b []byte) []byte { s := sha1.Sum(b); return s[:] })),
	"sha256":   stringTransform(hashHex(func(b []byte) []byte { s := sha256.Sum256(b); return s[:] })),
	"sha512":   stringTransform(hashHex(func(b []byte) []byte { s := sha512.Sum512(b); return s[:] })),
	"basename": stringTransform(func(s string) (string, error) { return path.Base(s), nil }),
	"dirname":  stringTransform(func(s string) (string, error) { return path.Dir(s), nil }),

	"tostring": stdlib.MakeToFunc(cty.String), "tonumber": stdlib.MakeToFunc(cty.Number),
	"tobool": stdlib.MakeToFunc(cty.Bool), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
	"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)), "tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
	"try": tryfunc.TryFunc, "can": tryfunc.CanFunc,
	"sensitive": identityFunc, "nonsensitive": identityFunc,
}

// functionsFor returns the function table of a module: the pure functions, and file, fileexists
// and templatefile reading files under one of the directories in readable (the modules the
// reader loaded), relative to base, the directory terraform would run in. Names in names that
// the table lacks are added as functions of unknown result, so that an unknown function leaves
// its call unknown rather than the whole expression.
func functionsFor(base string, readable func(string) bool, names []string) map[string]function.Function {
	fs := make(map[string]function.Function, len(pureFunctions)+8)
	for k, f := range pureFunctions {
		fs[k] = f
	}
	read := func(p string) ([]byte, error) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p)
		}
		p = filepath.Clean(p)
		if !readable(p) {
			return nil, fmt.Errorf("%s is outside the configuration", p)
		}
		return os.ReadFile(p)
	}
	fs["file"] = function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			b, err := read(args[0].AsString())
			if err != nil {
				return cty.UnknownVal(cty.String).Mark(opaqueMark{"file " + args[0].AsString()}), nil
			}
			return cty.StringVal(string(b)), nil
		},
	})
	fs["fileexists"] = function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if _, err := read(args[0].AsString()); err != nil {
				return cty.UnknownVal(cty.Bool), nil
			}
			return cty.True, nil
		},
	})
	fs["templatefile"] = function.New(&function.Spec{
		Params: []function.Parameter{
			{Name: "path", Type: cty.String},
			{Name: "vars", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowMarked: true, AllowDynamicType: true},
		},
		Type: function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			b, err := read(args[0].AsString())
			if err != nil {
				return cty.UnknownVal(cty.String).Mark(opaqueMark{"file " + args[0].AsString()}), nil
			}
			tmpl, diags := hclsyntax.ParseTemplate(b, args[0].AsString(), hcl.InitialPos)
			if diags.HasErrors() {
				return cty.UnknownVal(cty.String).Mark(opaqueMark{"template " + args[0].AsString()}), nil
			}
			vars := map[string]cty.Value{}
			if v := args[1]; v.IsKnown() && !v.IsNull() && v.CanIterateElements() {
				for it := v.ElementIterator(); it.Next(); {
					k, e := it.Element()
					vars[k.AsString()] = e
				}
			}
			ctx := &hcl.EvalContext{Variables: vars, Functions: fs}
			return renderTemplate(tmpl, func(e hclsyntax.Expression) cty.Value {
				v, d := e.Value(ctx)
				if d.HasErrors() {
					return cty.UnknownVal(cty.String).Mark(opaqueMark{"template " + args[0].AsString()})
				}
				return v
			}), nil
		},
	})
	for _, n := range names {
		if _, ok := fs[n]; !ok {
			fs[n] = unknownResultFunc
		}
	}
	return fs
}

// unknownResultFunc stands for a function the reader does not evaluate.
var unknownResultFunc = function.New(&function.Spec{
	VarParam: &function.Parameter{Name: "args", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowNull: true, AllowDynamicType: true, AllowMarked: true},
	Type:     function.StaticReturnType(cty.DynamicPseudoType),
	Impl:     func([]cty.Value, cty.Type) (cty.Value, error) { return opaque("a function call"), nil },
})

var identityFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowNull: true, AllowDynamicType: true, AllowMarked: true}},
	Type:   func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
	Impl:   func(args []cty.Value, _ cty.Type) (cty.Value, error) { return args[0], nil },
})

// oneFunc is Terraform's one: the only element of a list, set or tuple, null when it is empty.
// The element keeps its own marks only, so that one(x[*].arn) still says which resource the
// value comes from.
var oneFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType, AllowMarked: true, AllowDynamicType: true}},
	Type:   function.StaticReturnType(cty.DynamicPseudoType),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		l, marks := args[0].Unmark()
		if !l.IsKnown() {
			return cty.DynamicVal.WithMarks(marks), nil
		}
		if !l.CanIterateElements() || l.Type().IsMapType() || l.Type().IsObjectType() {
			return cty.NilVal, errors.New("must be a list, set or tuple")
		}
		switch l.LengthInt() {
		case 0:
			return cty.NullVal(cty.DynamicPseudoType), nil
		case 1:
			return l.AsValueSlice()[0].WithMarks(marks), nil
		}
		return cty.NilVal, errors.New("must have no more than one element")
	},
})

// lookupFunc is Terraform's lookup: the default may be null (cty's may not).
var lookupFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "map", Type: cty.DynamicPseudoType, AllowMarked: true, AllowUnknown: true, AllowDynamicType: true},
		{Name: "key", Type: cty.String, AllowMarked: true, AllowUnknown: true},
	},
	VarParam: &function.Parameter{Name: "default", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowDynamicType: true, AllowNull: true, AllowMarked: true},
	Type:     function.StaticReturnType(cty.DynamicPseudoType),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		m, mm := args[0].Unmark()
		key, km := args[1].Unmark()
		if len(args) > 3 {
			return cty.NilVal, errors.New("lookup takes at most three arguments")
		}
		if !m.IsKnown() || !key.IsKnown() {
			return cty.DynamicVal.WithMarks(mm, km), nil
		}
		if m.IsNull() || (!m.Type().IsObjectType() && !m.Type().IsMapType()) {
			return cty.NilVal, errors.New("the first argument must be a map or an object")
		}
		k := key.AsString()
		switch {
		case m.Type().IsObjectType() && m.Type().HasAttribute(k):
			return m.GetAttr(k).WithMarks(mm, km), nil
		case m.Type().IsMapType() && m.HasIndex(key).True():
			return m.Index(key).WithMarks(mm, km), nil
		case len(args) == 3:
			return args[2].WithMarks(mm, km), nil
		}
		return cty.NilVal, fmt.Errorf("the map has no key %q", k)
	},
})

// lengthFunc is Terraform's length: of a string too.
var lengthFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowDynamicType: true, AllowUnknown: true}},
	Type:   function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if args[0].Type() == cty.String {
			return stdlib.Strlen(args[0])
		}
		return stdlib.Length(args[0])
	},
})

// replaceFunc is Terraform's replace: a substring starting and ending with / is a regular
// expression.
var replaceFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String}, {Name: "substr", Type: cty.String}, {Name: "replace", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		s, sub, repl := args[0].AsString(), args[1].AsString(), args[2].AsString()
		if len(sub) > 1 && strings.HasPrefix(sub, "/") && strings.HasSuffix(sub, "/") {
			re, err := regexp.Compile(sub[1 : len(sub)-1])
			if err != nil {
				return cty.NilVal, err
			}
			return cty.StringVal(re.ReplaceAllString(s, repl)), nil
		}
		return cty.StringVal(strings.ReplaceAll(s, sub, repl)), nil
	},
})

func stringPredicate(f func(s, sub string) bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "str", Type: cty.String}, {Name: "substr", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
		},
	})
}

func stringTransform(f func(string) (string, error)) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "str", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			s, err := f(args[0].AsString())
			if err != nil {
				return cty.NilVal, err
			}
			return cty.StringVal(s), nil
		},
	})
}

func hashHex(sum func([]byte) []byte) func(string) (string, error) {
	return func(s string) (string, error) { return hex.EncodeToString(sum([]byte(s))), nil }
}

func boolFold(all bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			unknown := false
			for _, v := range args[0].AsValueSlice() {
				switch {
				case !v.IsKnown():
					unknown = true
				case v.IsNull():
					if all {
						return cty.False, nil
					}
				case v.True() != all:
					return cty.BoolVal(!all), nil
				}
			}
			if unknown {
				return cty.UnknownVal(cty.Bool), nil
			}
			return cty.BoolVal(all), nil
		},
	})
}

var (
	allTrueFunc = boolFold(true)
	anyTrueFunc = boolFold(false)
)

var sumFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
	Type:   function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		l := args[0]
		if !l.CanIterateElements() || l.LengthInt() == 0 {
			return cty.NilVal, errors.New("sum needs a non-empty list or set of numbers")
		}
		total := cty.Zero
		for _, v := range l.AsValueSlice() {
			n, err := convert.Convert(v, cty.Number)
			if err != nil || n.IsNull() {
				return cty.NilVal, errors.New("sum needs numbers")
			}
			total = total.Add(n)
		}
		return total, nil
	},
})

// jsonEncodeFunc is jsonencode: of a value with unknown parts, it returns an unknown string
// that carries the known parts as a partial document (a partialDoc mark), so that a policy
// built with jsonencode around a value known only after apply can still be judged on what is
// known.
var jsonEncodeFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "val", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowDynamicType: true, AllowNull: true, AllowMarked: true}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v := args[0]
		plain, marks := v.UnmarkDeep()
		if plain.IsWhollyKnown() {
			s, err := stdlib.JSONEncode(plain)
			if err != nil {
				return cty.NilVal, err
			}
			return s.WithMarks(marks), nil
		}
		out := cty.UnknownVal(cty.String).WithMarks(withoutPartials(marks))
		if plain.IsKnown() {
			out = out.Mark(&partialDoc{tree: fromCty(v)})
		}
		return out, nil
	},
})
