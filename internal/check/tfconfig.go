package check

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// moduleConfig is one module directory as written: what the .tf reader evaluates for each
// instance of the module.
type moduleConfig struct {
	dir       string
	variables map[string]*variableConfig
	locals    map[string]hclsyntax.Expression
	outputs   map[string]hclsyntax.Expression
	resources []*resourceConfig
	calls     map[string]*moduleCall
	providers []*providerConfig
	// refAttrs lists, per resource (module-relative TYPE.NAME or data.TYPE.NAME), the
	// attribute names the module's expressions read from it: an instance object has them all,
	// unknown when the configuration does not set them.
	refAttrs map[string][]string
	// functions are the function names the module calls.
	functions []string
	// skipped are the files not read (JSON syntax, overrides), for the report.
	skipped []string
}

type variableConfig struct {
	def      hclsyntax.Expression // nil without a default
	typ      cty.Type             // cty.DynamicPseudoType when the type is not constrained
	defaults *typeexpr.Defaults   // defaults of optional object attributes
}

type resourceConfig struct {
	mode, typ, name string
	cfgAddr         string // TYPE.NAME or data.TYPE.NAME
	count, forEach  hclsyntax.Expression
	provider        string // the provider meta-argument as written ("aws.target"), "" without
	block           *hclsyntax.Block
	lines           []string // the lines of its file, for suppression comments
}

type moduleCall struct {
	name, source   string
	count, forEach hclsyntax.Expression
	args           map[string]hclsyntax.Expression
	providers      map[string]string // the child's provider key → the caller's ("aws.target")
	block          *hclsyntax.Block
}

type providerConfig struct {
	key  string // "aws", "aws.target"
	body *hclsyntax.Body
}

// loadModule parses the .tf files of dir. A syntax error makes the input an *InputError.
func loadModule(parser *hclparse.Parser, dir string) (*moduleConfig, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &InputError{Path: dir, Err: err}
	}
	var names []string
	mc := &moduleConfig{
		dir: dir, variables: map[string]*variableConfig{}, locals: map[string]hclsyntax.Expression{},
		outputs: map[string]hclsyntax.Expression{}, calls: map[string]*moduleCall{}, refAttrs: map[string][]string{},
	}
	for _, e := range entries {
		switch n := e.Name(); {
		case e.IsDir():
		case strings.HasSuffix(n, "_override.tf") || n == "override.tf" || strings.HasSuffix(n, ".tf.json"):
			mc.skipped = append(mc.skipped, filepath.ToSlash(filepath.Join(dir, n)))
		case strings.HasSuffix(n, ".tf"):
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, &InputError{Path: dir, Err: errors.New("no .tf files in the directory")}
	}
	var diags hcl.Diagnostics
	for _, name := range names {
		file := filepath.ToSlash(filepath.Join(dir, name))
		src, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, &InputError{Path: file, Err: err}
		}
		f, d := parser.ParseHCL(src, file)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		mc.read(f.Body.(*hclsyntax.Body), strings.Split(string(src), "\n"))
	}
	if diags.HasErrors() {
		return nil, &InputError{Path: dir, Err: diagError(diags)}
	}
	mc.indexReferences()
	return mc, nil
}

func (mc *moduleConfig) read(body *hclsyntax.Body, lines []string) {
	for _, blk := range body.Blocks {
		switch blk.Type {
		case "variable":
			if len(blk.Labels) == 1 {
				mc.variables[blk.Labels[0]] = readVariable(blk.Body)
			}
		case "locals":
			for name, a := range blk.Body.Attributes {
				mc.locals[name] = a.Expr
			}
		case "output":
			if a := blk.Body.Attributes["value"]; len(blk.Labels) == 1 && a != nil {
				mc.outputs[blk.Labels[0]] = a.Expr
			}
		case "provider":
			if len(blk.Labels) == 1 {
				key := blk.Labels[0]
				if alias := constantString(blk.Body.Attributes["alias"]); alias != "" {
					key += "." + alias
				}
				mc.providers = append(mc.providers, &providerConfig{key: key, body: blk.Body})
			}
		case "module":
			if len(blk.Labels) == 1 {
				mc.calls[blk.Labels[0]] = readModuleCall(blk)
			}
		case "resource", "data":
			if len(blk.Labels) != 2 {
				continue
			}
			rc := &resourceConfig{mode: "managed", typ: blk.Labels[0], name: blk.Labels[1], block: blk, lines: lines}
			rc.cfgAddr = rc.typ + "." + rc.name
			if blk.Type == "data" {
				rc.mode, rc.cfgAddr = "data", "data."+rc.cfgAddr
			}
			if a := blk.Body.Attributes["count"]; a != nil {
				rc.count = a.Expr
			}
			if a := blk.Body.Attributes["for_each"]; a != nil {
				rc.forEach = a.Expr
			}
			if a := blk.Body.Attributes["provider"]; a != nil {
				if trav, d := hcl.AbsTraversalForExpr(a.Expr); !d.HasErrors() {
					rc.provider = traversalString(trav)
				}
			}
			mc.resources = append(mc.resources, rc)
		}
	}
}

func readVariable(body *hclsyntax.Body) *variableConfig {
	vc := &variableConfig{typ: cty.DynamicPseudoType}
	if a := body.Attributes["default"]; a != nil {
		vc.def = a.Expr
	}
	if a := body.Attributes["type"]; a != nil {
		if ty, defaults, d := typeexpr.TypeConstraintWithDefaults(a.Expr); !d.HasErrors() {
			vc.typ, vc.defaults = ty, defaults
		}
	}
	return vc
}

// moduleMeta are the arguments of a module block that are not the module's variables.
var moduleMeta = map[string]bool{"source": true, "version": true, "count": true, "for_each": true, "providers": true, "depends_on": true}

func readModuleCall(blk *hclsyntax.Block) *moduleCall {
	call := &moduleCall{name: blk.Labels[0], args: map[string]hclsyntax.Expression{}, providers: map[string]string{}, block: blk}
	call.source = constantString(blk.Body.Attributes["source"])
	if a := blk.Body.Attributes["count"]; a != nil {
		call.count = a.Expr
	}
	if a := blk.Body.Attributes["for_each"]; a != nil {
		call.forEach = a.Expr
	}
	for name, a := range blk.Body.Attributes {
		if !moduleMeta[name] {
			call.args[name] = a.Expr
		}
	}
	if a := blk.Body.Attributes["providers"]; a != nil {
		if obj, ok := a.Expr.(*hclsyntax.ObjectConsExpr); ok {
			for _, item := range obj.Items {
				child, d1 := hcl.AbsTraversalForExpr(unwrapKey(item.KeyExpr))
				parent, d2 := hcl.AbsTraversalForExpr(item.ValueExpr)
				if !d1.HasErrors() && !d2.HasErrors() {
					call.providers[traversalString(child)] = traversalString(parent)
				}
			}
		}
	}
	return call
}

// unwrapKey returns the expression of an object key written as a bare traversal.
func unwrapKey(e hclsyntax.Expression) hclsyntax.Expression {
	if k, ok := e.(*hclsyntax.ObjectConsKeyExpr); ok {
		return k.Wrapped
	}
	return e
}

// constantString is the value of an attribute written as a string constant, "" otherwise.
func constantString(a *hclsyntax.Attribute) string {
	if a == nil {
		return ""
	}
	v, d := a.Expr.Value(nil)
	if d.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}

// indexReferences collects the attribute names read from each resource and the function names
// called, over every expression of the module.
func (mc *moduleConfig) indexReferences() {
	seenAttr := map[string]map[string]bool{}
	seenFn := map[string]bool{}
	addAttr := func(cfg, attr string) {
		if attr == "" {
			return
		}
		if seenAttr[cfg] == nil {
			seenAttr[cfg] = map[string]bool{}
		}
		if !seenAttr[cfg][attr] {
			seenAttr[cfg][attr] = true
			mc.refAttrs[cfg] = append(mc.refAttrs[cfg], attr)
		}
	}
	visit := func(n hclsyntax.Node) hcl.Diagnostics {
		switch e := n.(type) {
		case *hclsyntax.FunctionCallExpr:
			if !seenFn[e.Name] {
				seenFn[e.Name] = true
				mc.functions = append(mc.functions, e.Name)
			}
		case *hclsyntax.ScopeTraversalExpr:
			if cfg, rest := resourceOfTraversal(e.Traversal); cfg != "" {
				addAttr(cfg, firstAttr(rest))
			}
		case *hclsyntax.RelativeTraversalExpr:
			if cfg := resourceOfExpr(e.Source); cfg != "" {
				addAttr(cfg, firstAttr(e.Traversal))
			}
		case *hclsyntax.SplatExpr:
			if cfg := resourceOfExpr(e.Source); cfg != "" {
				if rt, ok := e.Each.(*hclsyntax.RelativeTraversalExpr); ok {
					addAttr(cfg, firstAttr(rt.Traversal))
				}
			}
		}
		return nil
	}
	var bodies []*hclsyntax.Body
	for _, rc := range mc.resources {
		bodies = append(bodies, rc.block.Body)
	}
	for _, c := range mc.calls {
		bodies = append(bodies, c.block.Body)
	}
	for _, p := range mc.providers {
		bodies = append(bodies, p.body)
	}
	for _, b := range bodies {
		_ = hclsyntax.VisitAll(b, visit)
	}
	for _, e := range mc.locals {
		_ = hclsyntax.VisitAll(e, visit)
	}
	for _, e := range mc.outputs {
		_ = hclsyntax.VisitAll(e, visit)
	}
}

// resourceOfTraversal returns the resource a traversal starts with (TYPE.NAME or
// data.TYPE.NAME) and the steps after it; "" when it names something else.
func resourceOfTraversal(t hcl.Traversal) (string, []hcl.Traverser) {
	if len(t) < 2 {
		return "", nil
	}
	root := t.RootName()
	switch root {
	case "var", "local", "module", "count", "each", "path", "terraform", "self":
		return "", nil
	case "data":
		if len(t) < 3 || stepName(t[1]) == "" || stepName(t[2]) == "" {
			return "", nil
		}
		return "data." + stepName(t[1]) + "." + stepName(t[2]), t[3:]
	}
	if stepName(t[1]) == "" {
		return "", nil
	}
	return root + "." + stepName(t[1]), t[2:]
}

// resourceOfExpr returns the resource an expression names, possibly indexed, "" otherwise.
func resourceOfExpr(e hclsyntax.Expression) string {
	switch s := e.(type) {
	case *hclsyntax.ScopeTraversalExpr:
		if cfg, rest := resourceOfTraversal(s.Traversal); cfg != "" && firstAttr(rest) == "" {
			return cfg
		}
	case *hclsyntax.IndexExpr:
		return resourceOfExpr(s.Collection)
	}
	return ""
}

// readTFVars reads terraform.tfvars and *.auto.tfvars of the root module, as terraform plan
// does, into variable values.
func readTFVars(parser *hclparse.Parser, dir string) (map[string]cty.Value, error) {
	files := []string{filepath.Join(dir, "terraform.tfvars")}
	auto, _ := filepath.Glob(filepath.Join(dir, "*.auto.tfvars"))
	sort.Strings(auto)
	files = append(files, auto...)
	vals := map[string]cty.Value{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, &InputError{Path: f, Err: err}
		}
		file, d := parser.ParseHCL(src, filepath.ToSlash(f))
		if d.HasErrors() {
			return nil, &InputError{Path: dir, Err: diagError(d)}
		}
		attrs, d := file.Body.JustAttributes()
		if d.HasErrors() {
			return nil, &InputError{Path: dir, Err: diagError(d)}
		}
		for name, a := range attrs {
			if v, d := a.Expr.Value(nil); !d.HasErrors() {
				vals[name] = v
			}
		}
	}
	return vals, nil
}

// installedModules reads the module directories terraform init recorded
// (.terraform/modules/modules.json), by module key ("net", "net.subnets"), so that registry
// and git modules that were installed are followed too.
func installedModules(root string) map[string]string {
	data, err := os.ReadFile(filepath.Join(root, ".terraform", "modules", "modules.json"))
	if err != nil {
		return nil
	}
	var manifest struct {
		Modules []struct {
			Key string `json:"Key"`
			Dir string `json:"Dir"`
		} `json:"Modules"`
	}
	if json.Unmarshal(data, &manifest) != nil {
		return nil
	}
	out := map[string]string{}
	for _, m := range manifest.Modules {
		if m.Key != "" && m.Dir != "" {
			out[m.Key] = filepath.Join(root, filepath.FromSlash(m.Dir))
		}
	}
	return out
}
