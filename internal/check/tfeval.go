package check

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// maxModuleDepth bounds the nesting of module calls (a module calling itself would not end).
const maxModuleDepth = 32

// ReadDir reads a directory of .tf files as terraform plan would see it, without running
// terraform: the root module with its terraform.tfvars, the local modules it calls (and those
// terraform init installed under .terraform/modules), count and for_each expanded, dynamic
// blocks expanded, and every expression evaluated with Terraform's functions. Whatever depends
// on what only apply or the environment decides — a computed attribute, a data source, a
// variable without a default, a count over such a value — is unknown, never guessed; the
// rules skip what they cannot decide. A file that does not parse makes the whole input an
// *InputError.
func ReadDir(dir string) (*Inventory, error) {
	ev := &evaluator{
		inv:       &Inventory{Kind: "tf", Path: dir, Modules: map[string]*Module{}, Providers: map[string]*Provider{}, ProvidersDescribed: true},
		parser:    hclparse.NewParser(),
		rootDir:   dir,
		configs:   map[string]*moduleConfig{},
		byAddr:    map[string]*Resource{},
		installed: installedModules(dir),
		noticed:   map[string]bool{},
	}
	cfg, err := ev.config(dir)
	if err != nil {
		return nil, err
	}
	if ev.tfvars, err = readTFVars(ev.parser, dir); err != nil {
		return nil, err
	}
	root := ev.newInstance(nil, nil, "", cfg, expansionKey{})
	ev.force(root)
	if ev.err != nil {
		return nil, ev.err
	}
	ev.inv.finish()
	return ev.inv, nil
}

// evaluator reads one root module and the modules it calls.
type evaluator struct {
	inv       *Inventory
	parser    *hclparse.Parser
	rootDir   string
	configs   map[string]*moduleConfig // by directory
	installed map[string]string        // module key → directory, from terraform init
	tfvars    map[string]cty.Value
	byAddr    map[string]*Resource
	noticed   map[string]bool
	err       error // the first error of a module that was followed (a syntax error)
}

func (ev *evaluator) config(dir string) (*moduleConfig, error) {
	dir = filepath.Clean(dir)
	if mc := ev.configs[dir]; mc != nil {
		return mc, nil
	}
	mc, err := loadModule(ev.parser, dir)
	if err != nil {
		return nil, err
	}
	ev.configs[dir] = mc
	for _, f := range mc.skipped {
		ev.notice(Notice{Kind: NoticeFileNotRead, Subject: f, Message: fmt.Sprintf("%s was not read: JSON configuration files and override files are not supported by the .tf reader (a plan JSON has them applied).", f)})
	}
	return mc, nil
}

// readable reports whether a file function may read p: only files of the modules read.
func (ev *evaluator) readable(p string) bool {
	abs, err := filepath.Abs(p)
	if err != nil {
		return false
	}
	for dir := range ev.configs {
		d, err := filepath.Abs(dir)
		if err == nil && (abs == d || strings.HasPrefix(abs, d+string(filepath.Separator))) {
			return true
		}
	}
	return false
}

func (ev *evaluator) notice(n Notice) {
	key := n.Kind + "\x00" + n.Subject
	if ev.noticed[key] {
		return
	}
	ev.noticed[key] = true
	ev.inv.Notices = append(ev.inv.Notices, n)
}

// force evaluates everything of a module instance that the report needs: every resource
// instance, and every module it calls, whether or not anything refers to them.
func (ev *evaluator) force(m *moduleInstance) {
	for _, rc := range m.cfg.resources {
		m.resourceValue(rc.cfgAddr)
	}
	names := make([]string, 0, len(m.cfg.calls))
	for name := range m.cfg.calls {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if x := m.callInstances(name); x != nil {
			for _, child := range x.instances {
				ev.force(child)
			}
		}
	}
}

// moduleInstance is one instance of a module: the scope its expressions are evaluated in.
type moduleInstance struct {
	ev       *evaluator
	addr     string // "" for the root, module.a, module.a[0], module.a["k"], module.a[*]
	key      string // the module key of modules.json: "a", "a.b"
	cfg      *moduleConfig
	parent   *moduleInstance
	call     *moduleCall
	callVars map[string]cty.Value // count or each of this instance of the call
	depth    int
	funcs    map[string]function.Function
	memo     map[string]*slot
	calls    map[string]*callExpansion
}

// slot memoizes one value of a module instance; busy breaks cycles (a cycle is unknown).
type slot struct {
	busy, done bool
	val        cty.Value
}

func (m *moduleInstance) get(key string, compute func() cty.Value) cty.Value {
	s := m.memo[key]
	if s == nil {
		s = &slot{}
		m.memo[key] = s
	}
	switch {
	case s.done:
		return s.val
	case s.busy:
		return opaque("a reference cycle")
	}
	s.busy = true
	s.val = compute()
	s.busy, s.done = false, true
	return s.val
}

func (ev *evaluator) newInstance(parent *moduleInstance, call *moduleCall, addr string, cfg *moduleConfig, k expansionKey) *moduleInstance {
	m := &moduleInstance{
		ev: ev, addr: addr, cfg: cfg, parent: parent, call: call, callVars: k.vars,
		memo: map[string]*slot{}, calls: map[string]*callExpansion{},
	}
	if parent != nil {
		m.depth = parent.depth + 1
		m.key = strings.TrimPrefix(parent.key+"."+call.name, ".")
	}
	m.funcs = functionsFor(ev.rootDir, ev.readable, cfg.functions)
	ev.inv.module(addr).Root = parent == nil
	for _, pc := range cfg.providers {
		ev.inv.Providers[m.globalProviderKey(pc.key)] = m.providerOf(pc)
	}
	return m
}

// globalProviderKey is the key of a provider configuration written in this module.
func (m *moduleInstance) globalProviderKey(local string) string {
	if m.parent == nil {
		return local
	}
	return m.addr + ":" + local
}

// resolveProvider returns the key of the provider configuration a resource of this module
// using local ("aws", "aws.target") uses: passed by the caller's providers map, written in the
// module, or inherited (default configurations only), as terraform resolves them.
func (m *moduleInstance) resolveProvider(local string) string {
	if m.parent == nil {
		return local
	}
	if parentKey, ok := m.call.providers[local]; ok {
		return m.parent.resolveProvider(parentKey)
	}
	for _, pc := range m.cfg.providers {
		if pc.key == local {
			return m.globalProviderKey(local)
		}
	}
	if !strings.Contains(local, ".") {
		return m.parent.resolveProvider(local)
	}
	return ""
}

// providerOf evaluates a provider block: where its resources live, as far as it says.
func (m *moduleInstance) providerOf(pc *providerConfig) *Provider {
	p := &Provider{}
	str := func(body *hclsyntax.Body, name string) string {
		if a := body.Attributes[name]; a != nil {
			if v, _ := m.eval(a.Expr, nil).Unmark(); v.IsKnown() && !v.IsNull() && v.Type() == cty.String {
				return v.AsString()
			}
		}
		return ""
	}
	p.AccountID = str(pc.body, "account_id")
	p.Region = str(pc.body, "region")
	if a := pc.body.Attributes["allowed_account_ids"]; a != nil {
		if v, _ := m.eval(a.Expr, nil).UnmarkDeep(); v.IsWhollyKnown() && v.CanIterateElements() && v.LengthInt() == 1 {
			if e := v.AsValueSlice()[0]; e.Type() == cty.String {
				p.AccountID = e.AsString()
			}
		}
	}
	for _, b := range pc.body.Blocks {
		if b.Type == "assume_role" && p.AccountID == "" {
			p.AccountID = accountOfARN(str(b.Body, "role_arn"))
		}
	}
	name, _, _ := strings.Cut(pc.key, ".")
	if name == thisProvider {
		thisProviderDefaults(p, pc.body.Attributes["account_id"] != nil, pc.body.Attributes["region"] != nil)
	}
	return p
}

// eval evaluates an expression of this module instance, with local the names bound around it
// (count, each, a dynamic block's iterator). What cannot be evaluated is unknown.
func (m *moduleInstance) eval(expr hclsyntax.Expression, local map[string]cty.Value) cty.Value {
	vars := map[string]cty.Value{}
	var varAttrs, localAttrs = map[string]cty.Value{}, map[string]cty.Value{}
	mods := map[string]cty.Value{}
	res := map[string]map[string]cty.Value{}
	data := map[string]map[string]cty.Value{}
	put := func(m map[string]map[string]cty.Value, typ, name string, v cty.Value) {
		if m[typ] == nil {
			m[typ] = map[string]cty.Value{}
		}
		m[typ][name] = v
	}
	for _, t := range expr.Variables() {
		root := t.RootName()
		if v, ok := local[root]; ok {
			vars[root] = v
			continue
		}
		second := ""
		if len(t) > 1 {
			second = stepName(t[1])
		}
		switch root {
		case "var":
			if second != "" {
				varAttrs[second] = m.variable(second)
			}
		case "local":
			if second != "" {
				localAttrs[second] = m.local(second)
			}
		case "module":
			if second != "" {
				mods[second] = m.moduleValue(second, outputsRead(expr, second))
			}
		case "data":
			if len(t) > 2 && second != "" && stepName(t[2]) != "" {
				put(data, second, stepName(t[2]), m.resourceValue("data."+second+"."+stepName(t[2])))
			}
		case "path":
			vars["path"] = m.pathValue()
		case "terraform":
			vars["terraform"] = cty.ObjectVal(map[string]cty.Value{"workspace": opaque("terraform.workspace")})
		case "count", "each", "self":
			vars[root] = opaque(root)
		default:
			if second != "" {
				put(res, root, second, m.resourceValue(root+"."+second))
			} else {
				vars[root] = opaque(root)
			}
		}
	}
	obj := func(attrs map[string]cty.Value) cty.Value { return cty.ObjectVal(attrs) }
	if len(varAttrs) > 0 {
		vars["var"] = obj(varAttrs)
	}
	if len(localAttrs) > 0 {
		vars["local"] = obj(localAttrs)
	}
	if len(mods) > 0 {
		vars["module"] = obj(mods)
	}
	nested := func(m map[string]map[string]cty.Value) map[string]cty.Value {
		out := map[string]cty.Value{}
		for typ, names := range m {
			out[typ] = cty.ObjectVal(names)
		}
		return out
	}
	if len(data) > 0 {
		vars["data"] = cty.ObjectVal(nested(data))
	}
	for typ, v := range nested(res) {
		vars[typ] = v
	}
	v, diags := expr.Value(&hcl.EvalContext{Variables: vars, Functions: m.funcs})
	if diags.HasErrors() {
		return opaque("an expression that does not evaluate")
	}
	return v
}

// outputsRead returns the outputs an expression reads from module call name; nil (all of
// them) when it uses the module's value as a whole.
func outputsRead(expr hclsyntax.Expression, name string) []string {
	var out []string
	whole := false
	_ = hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		var steps []hcl.Traverser
		switch e := n.(type) {
		case *hclsyntax.ScopeTraversalExpr:
			if e.Traversal.RootName() != "module" || len(e.Traversal) < 2 || stepName(e.Traversal[1]) != name {
				return nil
			}
			steps = e.Traversal[2:]
		default:
			return nil
		}
		if o := firstAttr(steps); o != "" {
			out = append(out, o)
		} else {
			whole = true
		}
		return nil
	})
	if whole {
		return nil
	}
	return out
}

func (m *moduleInstance) pathValue() cty.Value {
	rel, err := filepath.Rel(m.ev.rootDir, m.cfg.dir)
	if err != nil {
		rel = m.cfg.dir
	}
	cwd, err := filepath.Abs(m.ev.rootDir)
	if err != nil {
		cwd = m.ev.rootDir
	}
	return cty.ObjectVal(map[string]cty.Value{
		"module": cty.StringVal(filepath.ToSlash(rel)), "root": cty.StringVal("."), "cwd": cty.StringVal(filepath.ToSlash(cwd)),
	})
}

// variable is the value of an input variable: the caller's argument (the root's
// terraform.tfvars), else its default, converted to its type with optional attributes'
// defaults; without either, unknown (terraform would ask for it).
func (m *moduleInstance) variable(name string) cty.Value {
	return m.get("var."+name, func() cty.Value {
		vc := m.cfg.variables[name]
		if vc == nil {
			return opaque("var." + name)
		}
		var v cty.Value
		have := false
		if m.parent == nil {
			v, have = m.ev.tfvars[name]
		} else if e, ok := m.call.args[name]; ok {
			v, have = m.parent.eval(e, m.callVars), true
		}
		if !have && vc.def != nil {
			d, diags := vc.def.Value(nil)
			if diags.HasErrors() {
				return opaque("var." + name)
			}
			v, have = d, true
		}
		if !have {
			return opaque("var." + name) // terraform would ask for it
		}
		return typed(v, vc, "var."+name)
	})
}

// typed converts a variable's value to its type, after filling in the defaults of optional
// object attributes; marks stay where they were.
func typed(v cty.Value, vc *variableConfig, what string) cty.Value {
	plain, pvm := v.UnmarkDeepWithPaths()
	if vc.defaults != nil && plain.IsKnown() && !plain.IsNull() {
		plain = vc.defaults.Apply(plain)
	}
	if vc.typ != cty.DynamicPseudoType {
		c, err := convert.Convert(plain, vc.typ)
		if err != nil {
			return cty.UnknownVal(vc.typ).Mark(opaqueMark{what})
		}
		plain = c
	}
	return plain.MarkWithPaths(pvm)
}

func (m *moduleInstance) local(name string) cty.Value {
	return m.get("local."+name, func() cty.Value {
		e, ok := m.cfg.locals[name]
		if !ok {
			return opaque("local." + name)
		}
		return m.evalValue(e, nil)
	})
}

func (m *moduleInstance) output(name string) cty.Value {
	return m.get("output."+name, func() cty.Value {
		e, ok := m.cfg.outputs[name]
		if !ok {
			return opaque("output " + name)
		}
		return m.evalValue(e, nil)
	})
}

// evalValue is eval that also renders a template with unknown interpolations into a partly
// known document when it is one.
func (m *moduleInstance) evalValue(e hclsyntax.Expression, local map[string]cty.Value) cty.Value {
	return renderTemplate(e, func(x hclsyntax.Expression) cty.Value { return m.eval(x, local) })
}

// expansionKey is one instance of a resource or module call: the suffix of its address and
// the count or each object its expressions see.
type expansionKey struct {
	suffix string // "", "[0]", `["k"]`, "[*]"
	index  cty.Value
	vars   map[string]cty.Value
	// uncounted: the count or for_each is not known, so this instance stands for zero or more.
	uncounted bool
}

type expansionKind int

const (
	single expansionKind = iota
	counted
	keyed
	uncounted
)

// expand evaluates count or for_each into the instance keys.
func (m *moduleInstance) expand(count, forEach hclsyntax.Expression) (expansionKind, []expansionKey) {
	unknownKeys := []expansionKey{{suffix: "[*]", uncounted: true, vars: map[string]cty.Value{
		"count": cty.ObjectVal(map[string]cty.Value{"index": cty.UnknownVal(cty.Number).Mark(opaqueMark{"count.index"})}),
		"each":  cty.ObjectVal(map[string]cty.Value{"key": cty.UnknownVal(cty.String).Mark(opaqueMark{"each.key"}), "value": opaque("each.value")}),
	}}}
	switch {
	case count != nil:
		v, _ := m.eval(count, nil).UnmarkDeep()
		if !v.IsKnown() || v.IsNull() {
			return uncounted, unknownKeys
		}
		n, err := convert.Convert(v, cty.Number)
		if err != nil {
			return uncounted, unknownKeys
		}
		i, acc := n.AsBigFloat().Int64()
		if acc != 0 || i < 0 || i > 1<<16 {
			return uncounted, unknownKeys
		}
		keys := make([]expansionKey, i)
		for k := range keys {
			keys[k] = expansionKey{suffix: fmt.Sprintf("[%d]", k), index: cty.NumberIntVal(int64(k)), vars: map[string]cty.Value{
				"count": cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(int64(k))}),
			}}
		}
		return counted, keys
	case forEach != nil:
		v, marks := m.eval(forEach, nil).Unmark()
		if !v.IsKnown() || v.IsNull() || !v.CanIterateElements() {
			return uncounted, unknownKeys
		}
		t := v.Type()
		var keys []expansionKey
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if !t.IsMapType() && !t.IsObjectType() {
				// A set (or a list, which terraform would refuse) of strings: the key is the value.
				plain, _ := e.Unmark()
				if !plain.IsKnown() || plain.IsNull() || plain.Type() != cty.String {
					return uncounted, unknownKeys
				}
				k = plain
			}
			keys = append(keys, expansionKey{suffix: "[" + quoteKey(k.AsString()) + "]", index: k, vars: map[string]cty.Value{
				"each": cty.ObjectVal(map[string]cty.Value{"key": k, "value": e.WithMarks(marks)}),
			}})
		}
		return keyed, keys
	}
	return single, []expansionKey{{}}
}

// collect assembles the values of the instances as terraform presents them: the one value, a
// tuple by index, an object by key, or an unknown value carrying the uncounted instance.
func collect(kind expansionKind, keys []expansionKey, vals []cty.Value, uncountedMark any) cty.Value {
	switch kind {
	case single:
		return vals[0]
	case counted:
		if len(vals) == 0 {
			return cty.EmptyTupleVal
		}
		return cty.TupleVal(vals)
	case keyed:
		attrs := make(map[string]cty.Value, len(vals))
		for i, k := range keys {
			attrs[k.index.AsString()] = vals[i]
		}
		return cty.ObjectVal(attrs)
	}
	if uncountedMark == nil {
		return cty.DynamicVal
	}
	return cty.DynamicVal.Mark(uncountedMark)
}

func (mc *moduleConfig) resource(cfgAddr string) *resourceConfig {
	for _, rc := range mc.resources {
		if rc.cfgAddr == cfgAddr {
			return rc
		}
	}
	return nil
}

// resourceValue returns what a reference to a resource (TYPE.NAME, data.TYPE.NAME) of this
// module reads, creating its instances on first use.
func (m *moduleInstance) resourceValue(cfgAddr string) cty.Value {
	rc := m.cfg.resource(cfgAddr)
	if rc == nil {
		return opaque(cfgAddr)
	}
	return m.get("res."+cfgAddr, func() cty.Value {
		kind, keys := m.expand(rc.count, rc.forEach)
		vals := make([]cty.Value, len(keys))
		var mark any
		for i, k := range keys {
			r := m.newResource(rc, k)
			extra := append(append([]string{"id"}, m.cfg.refAttrs[cfgAddr]...), computedAttrs[rc.typ]...)
			vals[i] = instanceValue(r, extra)
			mark = instanceMark{r.Address}
		}
		return collect(kind, keys, vals, mark)
	})
}

// computedAttrs are attributes of common resource types that other resources read and the
// provider computes; an instance object has them (unknown unless derived) even when nothing in
// its own module reads them, since a module output may pass the whole object on.
var computedAttrs = map[string][]string{
	"aws_s3_bucket":                   {"arn", "bucket", "bucket_domain_name", "bucket_regional_domain_name"},
	"aws_kms_key":                     {"arn", "key_id", "policy"},
	"aws_kms_alias":                   {"arn", "name", "target_key_arn", "target_key_id"},
	"aws_iam_role":                    {"arn", "name", "unique_id"},
	"aws_iam_policy":                  {"arn", "policy"},
	"aws_codepipeline":                {"arn"},
	"aws_caller_identity":             {"account_id", "arn", "user_id"},
	"aws_region":                      {"name", "description", "endpoint"},
	"aws_partition":                   {"partition", "dns_suffix"},
	"aws_iam_policy_document":         {"json", "minified_json"},
	"codepipeline_artifact_store":     {"arn", "policy", "account_id", "region"},
	"codepipeline_cross_account_key":  {"arn", "key_id", "policy"},
	"codepipeline_cross_account_role": {"arn", "policy", "trust_policy"},
	"codepipeline_pipeline":           {"arn", "version"},
	"codepipeline_caller_identity":    {"account_id", "region"},
}

// newResource evaluates one instance of a resource into the inventory.
func (m *moduleInstance) newResource(rc *resourceConfig, k expansionKey) *Resource {
	start := rc.block.DefRange()
	addr := join(m.addr, rc.cfgAddr) + k.suffix
	r := &Resource{
		Address: addr, Module: m.addr, ConfigAddress: rc.cfgAddr, Mode: rc.mode, Type: rc.typ, Name: rc.name,
		Values: map[string]any{}, Refs: map[string][]string{}, Configured: map[string]bool{}, Links: map[string]Link{},
		Pos:     &Pos{File: start.Filename, Line: start.Start.Line, Column: start.Start.Column},
		AttrPos: map[string]Pos{}, Ignores: map[string]Pos{}, Uncounted: k.uncounted,
	}
	local := rc.provider
	if local == "" {
		local, _, _ = strings.Cut(rc.typ, "_")
	}
	r.ProviderKey = m.resolveProvider(local)
	m.ev.byAddr[addr] = r
	m.ev.inv.Resources = append(m.ev.inv.Resources, r)
	be := &bodyEval{m: m, r: r, vars: k.vars}
	r.Values = be.body("", rc.block.Body, true)
	readIgnores(r, rc.lines, rc.block)
	deriveResource(m.ev.inv, r)
	return r
}

// callExpansion is the instances of one module call.
type callExpansion struct {
	kind      expansionKind
	keys      []expansionKey
	instances []*moduleInstance
}

// callInstances follows module call name: its instances, nil when it cannot be followed (a
// notice says why).
func (m *moduleInstance) callInstances(name string) *callExpansion {
	if x, ok := m.calls[name]; ok {
		return x
	}
	m.calls[name] = nil // a call that leads back here while it is followed is not followed
	call := m.cfg.calls[name]
	if call == nil {
		return nil
	}
	dir, why := m.moduleDir(call)
	if why != "" {
		m.ev.notice(Notice{
			Kind: NoticeModuleNotFollowed, Subject: join(m.addr, "module."+name),
			Message: fmt.Sprintf("module %q (source %q) was not followed: %s; its outputs are unknown and the resources it creates are not checked. Check the plan (terraform show -json) to check them too.",
				join(m.addr, "module."+name), call.source, why),
			Pos: &Pos{File: call.block.DefRange().Filename, Line: call.block.DefRange().Start.Line, Column: call.block.DefRange().Start.Column},
		})
		return nil
	}
	cfg, err := m.ev.config(dir)
	if err != nil {
		if m.ev.err == nil {
			m.ev.err = err
		}
		return nil
	}
	kind, keys := m.expand(call.count, call.forEach)
	x := &callExpansion{kind: kind, keys: keys}
	for _, k := range keys {
		x.instances = append(x.instances, m.ev.newInstance(m, call, join(m.addr, "module."+name)+k.suffix, cfg, k))
	}
	m.calls[name] = x
	return x
}

// moduleDir finds the directory of a module call's source, or says why there is none to read.
func (m *moduleInstance) moduleDir(call *moduleCall) (string, string) {
	if m.depth >= maxModuleDepth {
		return "", fmt.Sprintf("modules are followed %d calls deep", maxModuleDepth)
	}
	var dir string
	switch src := call.source; {
	case src == "":
		return "", "its source is not a constant string"
	case strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../"):
		dir = filepath.Join(m.cfg.dir, filepath.FromSlash(src))
	default:
		key := strings.TrimPrefix(m.key+"."+call.name, ".")
		d, ok := m.ev.installed[key]
		if !ok {
			return "", "only local sources (./, ../) and modules installed by terraform init (.terraform/modules) are read"
		}
		dir = d
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", fmt.Sprintf("directory %s does not exist", filepath.ToSlash(dir))
	}
	return dir, ""
}

// moduleValue is what a reference to module call name reads: per instance, an object of the
// outputs read (all when outs is nil).
func (m *moduleInstance) moduleValue(name string, outs []string) cty.Value {
	x := m.callInstances(name)
	if x == nil {
		return opaque("module." + name)
	}
	vals := make([]cty.Value, len(x.instances))
	for i, child := range x.instances {
		names := outs
		if names == nil {
			for o := range child.cfg.outputs {
				names = append(names, o)
			}
		}
		attrs := map[string]cty.Value{}
		for _, o := range names {
			attrs[o] = child.output(o)
		}
		vals[i] = cty.ObjectVal(attrs)
	}
	return collect(x.kind, x.keys, vals, nil)
}

// bodyEval evaluates the body of one resource instance into its value tree.
type bodyEval struct {
	m    *moduleInstance
	r    *Resource
	vars map[string]cty.Value // count, each, dynamic iterators
}

func (be *bodyEval) with(name string, v cty.Value) *bodyEval {
	vars := make(map[string]cty.Value, len(be.vars)+1)
	for k, x := range be.vars {
		vars[k] = x
	}
	vars[name] = v
	return &bodyEval{m: be.m, r: be.r, vars: vars}
}

// body evaluates attributes and blocks (static and dynamic, in the order written) under path
// prefix.
func (be *bodyEval) body(prefix string, body *hclsyntax.Body, top bool) map[string]any {
	vals := map[string]any{}
	names := make([]string, 0, len(body.Attributes))
	for name := range body.Attributes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if top && metaAttrs[name] {
			continue
		}
		a := body.Attributes[name]
		p := join(prefix, name)
		be.r.Configured[p] = true
		be.r.AttrPos[p] = posOf(a.SrcRange.Start, a.SrcRange.Filename)
		v := be.m.evalValue(a.Expr, be.vars)
		vals[name] = treeOf(v, p, nil, func(path string, node cty.Value, marks cty.ValueMarks) {
			if len(marks) == 0 {
				return
			}
			if l, ok := linkOf(marks, node, a.Expr, func(addr string) *Resource { return be.m.ev.byAddr[addr] }); ok {
				be.r.Links[path] = l
			}
		})
	}
	lists := map[string]any{}
	for _, b := range body.Blocks {
		if top && metaBlocks[b.Type] {
			continue
		}
		if b.Type == "dynamic" && len(b.Labels) == 1 {
			be.dynamic(prefix, b, lists)
			continue
		}
		be.appendBlock(prefix, b.Type, b.Body, b.DefRange(), lists)
	}
	for typ, l := range lists {
		vals[typ] = l
		be.r.Configured[join(prefix, typ)] = true
	}
	return vals
}

// appendBlock adds one block of type typ; nothing is added once the list is unknown.
func (be *bodyEval) appendBlock(prefix, typ string, body *hclsyntax.Body, at hcl.Range, lists map[string]any) {
	cur := lists[typ]
	if isUnknown(cur) {
		return
	}
	l, _ := cur.([]any)
	p := join(prefix, typ, len(l))
	be.r.AttrPos[p] = posOf(at.Start, at.Filename)
	lists[typ] = append(l, be.body(p, body, false))
}

// dynamic expands a dynamic block: one block per element of its for_each, its content
// evaluated with the iterator ({key, value}) bound. A for_each that is not known makes the
// whole list of blocks of that type unknown: how many there are, and where the others sit
// among them, is not known either.
func (be *bodyEval) dynamic(prefix string, b *hclsyntax.Block, lists map[string]any) {
	typ := b.Labels[0]
	iterator := typ
	if a := b.Body.Attributes["iterator"]; a != nil {
		if trav, d := hcl.AbsTraversalForExpr(a.Expr); !d.HasErrors() && len(trav) == 1 {
			iterator = trav.RootName()
		}
	}
	var content *hclsyntax.Block
	for _, c := range b.Body.Blocks {
		if c.Type == "content" {
			content = c
		}
	}
	fe := b.Body.Attributes["for_each"]
	if content == nil || fe == nil {
		return
	}
	coll, marks := be.m.eval(fe.Expr, be.vars).Unmark()
	if !coll.IsKnown() || coll.IsNull() || !coll.CanIterateElements() || (coll.Type().IsSetType() && !coll.IsWhollyKnown()) {
		lists[typ] = unknown
		return
	}
	for it := coll.ElementIterator(); it.Next(); {
		k, v := it.Element()
		iter := cty.ObjectVal(map[string]cty.Value{"key": k, "value": v}).WithMarks(marks)
		be.with(iterator, iter).appendBlock(prefix, typ, content.Body, content.DefRange(), lists)
	}
}
