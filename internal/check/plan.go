package check

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// InputError is bad input: not a plan, an unsupported format, a truncated file, a directory
// that does not parse. The CLI exits 2 on it.
type InputError struct {
	Path string
	Err  error
}

func (e *InputError) Error() string {
	if e.Path == "" {
		return e.Err.Error()
	}
	return e.Path + ": " + e.Err.Error()
}

func (e *InputError) Unwrap() error { return e.Err }

// supportedPlanMajor is the plan JSON format this reader understands: Terraform 1.x writes
// format_version "1.x"; a 2.x format would change meanings this reader relies on.
const supportedPlanMajor = "1"

// ReadPlan reads `terraform show -json` output of a saved plan. Any input, however malformed,
// yields an inventory or an *InputError, never a panic.
func ReadPlan(path string, data []byte) (*Inventory, error) {
	var plan tfjson.Plan
	plan.UseJSONNumber(true) // run_order and timeouts stay exact integers
	if err := json.Unmarshal(data, &plan); err != nil {
		return nil, &InputError{Path: path, Err: describeDecodeError(data, err)}
	}
	if major, _, _ := strings.Cut(plan.FormatVersion, "."); major != supportedPlanMajor {
		return nil, &InputError{Path: path, Err: fmt.Errorf("unsupported plan format_version %q: this checker reads format %s.x (Terraform 1.x `terraform show -json`)", plan.FormatVersion, supportedPlanMajor)}
	}
	if plan.PlannedValues == nil && plan.ResourceChanges == nil && plan.Config == nil {
		return nil, &InputError{Path: path, Err: errors.New("no planned_values, resource_changes or configuration: this is not the JSON of a saved plan (run `terraform plan -out plan.out && terraform show -json plan.out`)")}
	}
	inv := &Inventory{Kind: "plan", Path: path, Modules: map[string]*Module{}, Providers: map[string]*Provider{}}
	pr := planReader{inv: inv, plan: &plan, seen: map[string]bool{}}
	pr.readConfig()
	pr.readResourceChanges()
	if plan.PlannedValues != nil {
		pr.readStateModule(plan.PlannedValues.RootModule, false)
	}
	if plan.PriorState != nil && plan.PriorState.Values != nil {
		// Data sources read during planning (policy documents) are only in the prior state.
		pr.readStateModule(plan.PriorState.Values.RootModule, true)
	}
	inv.finish()
	derive(inv)
	return inv, nil
}

// describeDecodeError turns a JSON decoding error into a message that says what is wrong with
// the file, with the offset when there is one.
func describeDecodeError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case len(strings.TrimSpace(string(data))) == 0:
		return errors.New("empty input: expected the JSON of `terraform show -json plan.out`")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("truncated JSON: the file ends in the middle of a value")
	case errors.As(err, &syn):
		if syn.Offset >= int64(len(data)) {
			return errors.New("truncated JSON: the file ends in the middle of a value")
		}
		return fmt.Errorf("not JSON: %w (at byte %d)", err, syn.Offset)
	case errors.As(err, &typ):
		return fmt.Errorf("not a plan: field %q has a %s where a %s belongs", typ.Field, typ.Value, typ.Type)
	}
	return fmt.Errorf("not a plan: %w", err)
}

type planReader struct {
	inv  *Inventory
	plan *tfjson.Plan
	seen map[string]bool // resource instance addresses already read
	// cfg maps a module config path ("", "net", "net.db") to its configuration.
	cfg map[string]*tfjson.ConfigModule
}

// instanceKeys strips instance keys from a module address: module.a[0].module.b → a.b.
var instanceKeys = regexp.MustCompile(`\[[^\]]*\]`)

func moduleConfigPath(moduleAddr string) string {
	s := instanceKeys.ReplaceAllString(moduleAddr, "")
	s = strings.ReplaceAll(s, "module.", "")
	return s
}

// readConfig reads the provider configurations, the variables and the module tree.
func (pr *planReader) readConfig() {
	pr.cfg = map[string]*tfjson.ConfigModule{}
	root := pr.inv.module("")
	root.Vars = map[string]any{}
	for name, v := range pr.plan.Variables {
		if v != nil {
			root.Vars[name] = v.Value
		}
	}
	c := pr.plan.Config
	if c == nil {
		return
	}
	pr.inv.ProvidersDescribed = true
	for key, p := range c.ProviderConfigs {
		if p != nil {
			prov := providerFromExpressions(p.Expressions)
			if p.Name == thisProvider {
				thisProviderDefaults(prov, p.Expressions["account_id"] != nil, p.Expressions["region"] != nil)
			}
			pr.inv.Providers[key] = prov
		}
	}
	pr.walkConfig("", c.RootModule)
}

func (pr *planReader) walkConfig(path string, m *tfjson.ConfigModule) {
	if m == nil {
		return
	}
	pr.cfg[path] = m
	for name, call := range m.ModuleCalls {
		if call != nil {
			pr.walkConfig(join(path, name), call.Module)
		}
	}
}

// providerFromExpressions reads where a provider configuration acts: this provider's
// account_id, the AWS provider's single allowed account or assumed role's account, and the
// region, when they are constants.
func providerFromExpressions(ex map[string]*tfjson.Expression) *Provider {
	p := &Provider{}
	constant := func(e *tfjson.Expression) any {
		if e == nil || e.ExpressionData == nil || len(e.References) > 0 {
			return nil
		}
		return e.ConstantValue
	}
	if s, ok := asString(constant(ex["account_id"])); ok {
		p.AccountID = s
	}
	if l, ok := constant(ex["allowed_account_ids"]).([]any); ok && len(l) == 1 {
		if s, ok := asString(l[0]); ok {
			p.AccountID = s
		}
	}
	if e := ex["assume_role"]; p.AccountID == "" && e != nil && e.ExpressionData != nil && len(e.NestedBlocks) > 0 {
		if s, ok := asString(constant(e.NestedBlocks[0]["role_arn"])); ok {
			p.AccountID = accountOfARN(s)
		}
	}
	if s, ok := asString(constant(ex["region"])); ok {
		p.Region = s
	}
	return p
}

// scope returns (creating it) the module instance at addr with its call arguments and outputs
// from the configuration.
func (pr *planReader) scope(addr string) *Module {
	if m := pr.inv.Modules[addr]; m != nil && (m.Root || m.Args != nil) {
		return m
	}
	m := pr.inv.module(addr)
	cfgPath := moduleConfigPath(addr)
	if cm := pr.cfg[cfgPath]; cm != nil {
		m.Outputs = map[string]Expr{}
		for name, o := range cm.Outputs {
			if o != nil {
				m.Outputs[name] = exprOf(o.Expression)
			}
		}
	}
	if addr == "" {
		return m
	}
	// The parent is the address up to the last "module." step.
	i := strings.LastIndex(addr, "module.")
	if i < 0 {
		return m // not a module address: a scope of its own, with nothing to resolve
	}
	parent := strings.TrimSuffix(addr[:i], ".")
	m.Parent = parent
	pr.scope(parent)
	name := instanceKeys.ReplaceAllString(addr[i+len("module."):], "")
	m.Args = map[string]Expr{}
	if pm := pr.cfg[moduleConfigPath(parent)]; pm != nil {
		if call := pm.ModuleCalls[name]; call != nil {
			for arg, e := range call.Expressions {
				m.Args[arg] = exprOf(e)
			}
		}
	}
	return m
}

func exprOf(e *tfjson.Expression) Expr {
	if e == nil || e.ExpressionData == nil {
		return Expr{}
	}
	if len(e.References) > 0 {
		return Expr{Value: unknown, Refs: e.References}
	}
	return Expr{Value: e.ConstantValue}
}

// configResource finds the configuration of a resource instance.
func (pr *planReader) configResource(moduleAddr, cfgAddr string) *tfjson.ConfigResource {
	m := pr.cfg[moduleConfigPath(moduleAddr)]
	if m == nil {
		return nil
	}
	for _, r := range m.Resources {
		if r != nil && r.Address == cfgAddr {
			return r
		}
	}
	return nil
}

func configAddress(mode tfjson.ResourceMode, typ, name string) string {
	if mode == tfjson.DataResourceMode {
		return "data." + typ + "." + name
	}
	return typ + "." + name
}

func (pr *planReader) readResourceChanges() {
	for _, rc := range pr.plan.ResourceChanges {
		if rc == nil || rc.Change == nil || rc.Address == "" || pr.seen[rc.Address] {
			continue
		}
		if rc.Change.Actions.Delete() || rc.Change.Actions.Forget() {
			continue // gone after apply: nothing to check
		}
		after, _ := rc.Change.After.(map[string]any)
		if after == nil {
			after = map[string]any{}
		}
		markUnknown(after, rc.Change.AfterUnknown)
		pr.add(rc.Address, rc.ModuleAddress, rc.Mode, rc.Type, rc.Name, after)
	}
}

// readStateModule adds the resources of a planned_values or prior_state module tree that the
// resource changes did not describe; from the prior state only data sources are taken.
func (pr *planReader) readStateModule(m *tfjson.StateModule, dataOnly bool) {
	if m == nil {
		return
	}
	for _, r := range m.Resources {
		if r == nil || r.Address == "" || pr.seen[r.Address] || (dataOnly && r.Mode != tfjson.DataResourceMode) {
			continue
		}
		vals := r.AttributeValues
		if vals == nil {
			vals = map[string]any{}
		}
		pr.add(r.Address, moduleOfAddress(r.Address), r.Mode, r.Type, r.Name, vals)
	}
	for _, c := range m.ChildModules {
		pr.readStateModule(c, dataOnly)
	}
}

// moduleOfAddress returns the module part of an absolute resource address.
func moduleOfAddress(addr string) string {
	steps := splitAddress(addr)
	var mod []string
	for i := 0; i+1 < len(steps); i += 2 {
		if steps[i] != "module" {
			break
		}
		mod = append(mod, "module."+steps[i+1])
	}
	return strings.Join(mod, ".")
}

// splitAddress splits an address on the dots outside brackets and quotes.
func splitAddress(addr string) []string {
	var out []string
	depth, start := 0, 0
	inQuote := false
	for i := 0; i < len(addr); i++ {
		switch c := addr[i]; {
		case c == '"' && (i == 0 || addr[i-1] != '\\'):
			inQuote = !inQuote
		case inQuote:
		case c == '[':
			depth++
		case c == ']':
			depth--
		case c == '.' && depth == 0:
			out = append(out, addr[start:i])
			start = i + 1
		}
	}
	return append(out, addr[start:])
}

func (pr *planReader) add(addr, moduleAddr string, mode tfjson.ResourceMode, typ, name string, vals map[string]any) {
	pr.seen[addr] = true
	pr.scope(moduleAddr)
	cfgAddr := configAddress(mode, typ, name)
	r := &Resource{
		Address: addr, Module: moduleAddr, ConfigAddress: cfgAddr,
		Mode: string(mode), Type: typ, Name: name, Values: vals,
		Refs: map[string][]string{}, Configured: map[string]bool{},
	}
	if cr := pr.configResource(moduleAddr, cfgAddr); cr != nil {
		r.ProviderKey = cr.ProviderConfigKey
		r.ConfigBlocks = map[string]bool{}
		flattenExpressions("", cr.Expressions, r)
	}
	pr.inv.Resources = append(pr.inv.Resources, r)
}

// flattenExpressions records, for each attribute of a configuration (nested blocks
// included), that it is configured and which references it makes. The configuration of a
// resource leaves out the blocks dynamic blocks generate, so a list of blocks is only read
// when it has as many blocks as the planned value: otherwise the written blocks cannot be
// matched to the planned ones, and their references are not recorded.
func flattenExpressions(prefix string, ex map[string]*tfjson.Expression, r *Resource) {
	for k, e := range ex {
		if e == nil || e.ExpressionData == nil {
			continue
		}
		p := join(prefix, k)
		r.Configured[p] = true
		if len(e.NestedBlocks) > 0 {
			if listLen(getPath(r.Values, p)) != len(e.NestedBlocks) {
				continue
			}
			for i, blk := range e.NestedBlocks {
				r.ConfigBlocks[join(p, i)] = true
				flattenExpressions(join(p, i), blk, r)
			}
			continue
		}
		if len(e.References) > 0 {
			r.Refs[p] = e.References
		}
	}
}

// markUnknown puts the unknown marker into after wherever after_unknown says true.
func markUnknown(after map[string]any, au any) {
	m, ok := au.(map[string]any)
	if !ok {
		return
	}
	for k, u := range m {
		switch t := u.(type) {
		case bool:
			if t {
				after[k] = unknown
			}
		case map[string]any:
			child, ok := after[k].(map[string]any)
			if !ok {
				child = map[string]any{}
				after[k] = child
			}
			markUnknown(child, t)
		case []any:
			l, _ := after[k].([]any)
			after[k] = markUnknownList(l, t)
		}
	}
}

func markUnknownList(l []any, au []any) []any {
	for len(l) < len(au) {
		l = append(l, nil)
	}
	for i, u := range au {
		switch t := u.(type) {
		case bool:
			if t {
				l[i] = unknown
			}
		case map[string]any:
			child, ok := l[i].(map[string]any)
			if !ok {
				child = map[string]any{}
				l[i] = child
			}
			markUnknown(child, t)
		case []any:
			sub, _ := l[i].([]any)
			l[i] = markUnknownList(sub, t)
		}
	}
	return l
}

// accountOfARN returns the account field of an ARN, "" when there is none.
func accountOfARN(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	if _, err := strconv.Atoi(parts[4]); err != nil {
		return ""
	}
	return parts[4]
}
