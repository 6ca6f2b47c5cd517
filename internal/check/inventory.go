// Package check runs the rules catalogue of internal/pipeline over Terraform input that has not
// been applied: a plan (`terraform show -json plan.out`) or a directory of .tf files. It reads
// the resources of this provider and of the AWS provider into one inventory, links them the way
// users wire them (references first, known values second), builds pipeline.Input values and
// reports the findings. The rules themselves live in internal/pipeline; this package only
// converts and reports.
package check

import (
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// unknownValue marks a value Terraform will only know after apply. It sits in value trees
// wherever a plan's after_unknown says so, or where a .tf expression cannot be evaluated
// statically, so that the conversion hands the rules pipeline.Unknown instead of a guess. An
// unknown JSON document with known parts (a policy around a value known after apply) carries
// them in doc.
type unknownValue struct{ doc *partialDoc }

var unknown any = unknownValue{}

func isUnknown(v any) bool { _, ok := v.(unknownValue); return ok }

// IsUnknown reports whether v, a value of a Resource's Values tree, is known only after apply.
func IsUnknown(v any) bool { return isUnknown(v) }

// Pos is a place in a .tf file (1-based line and column).
type Pos struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column,omitempty"`
}

// Resource is one resource instance of the input with its attribute values, as far as they are
// known before apply, and the references its configuration makes.
type Resource struct {
	Address       string // absolute instance address: module.net.aws_s3_bucket.b[0]
	Module        string // absolute module instance address, "" for the root module
	ConfigAddress string // module-relative, without instance key: aws_s3_bucket.b, data.x.y
	Mode          string // "managed" or "data"
	Type, Name    string
	ProviderKey   string // key into Inventory.Providers
	// Values is the attribute tree: string, bool, json.Number, []any, map[string]any, nil, or
	// unknown. Nested blocks are lists of objects, as in plan JSON.
	Values map[string]any
	// Refs maps a flattened attribute path ("artifact_store.0.encryption_key.0.id") to the
	// references its expression makes, module-relative, most specific first.
	Refs map[string][]string
	// Configured holds the flattened paths the configuration sets: a computed attribute that
	// is not configured takes the provider's default, which some mappings rely on.
	Configured map[string]bool

	// ConfigBlocks holds the flattened paths of the nested blocks whose configuration the input
	// describes (plan input: a block a dynamic block generated has none).
	ConfigBlocks map[string]bool
	// Uncounted is true for an instance standing for a count or for_each that is not known:
	// the resource exists zero or more times (.tf input; its address ends in [*]).
	Uncounted bool

	// .tf input only.
	Pos     *Pos
	AttrPos map[string]Pos // flattened path → where the attribute or block starts
	Ignores map[string]Pos // rule ID → the `codepipeline:ignore` comment suppressing it here
	// Links maps a flattened attribute path to the resource attribute its value comes from,
	// as evaluation found it (plan input has Refs instead).
	Links map[string]Link
}

// Expr is an expression that is not a resource attribute: a module call argument, a module
// output, a local value. Value is its constant value (or unknown); Refs its references.
type Expr struct {
	Value any
	Refs  []string
}

// Notice kinds.
const (
	NoticeModuleNotFollowed = "module-not-followed"
	NoticeFileNotRead       = "file-not-read"
	NoticeNothingChecked    = "nothing-checked"
)

// Notice is something the report must say besides the findings: a part of the input that was
// not checked, and why.
type Notice struct {
	Kind    string `json:"kind"`
	Subject string `json:"subject"` // a module address, a file, or the input
	Message string `json:"message"`
	Pos     *Pos   `json:"location,omitempty"`
}

// Module is one module instance: the scope references are resolved in.
type Module struct {
	Address string
	Parent  string          // address of the calling module; Root has none
	Root    bool            // the root module
	Args    map[string]Expr // module call arguments, evaluated in Parent
	Outputs map[string]Expr // output values, evaluated in this module
	Locals  map[string]Expr // local values (.tf input only)
	Vars    map[string]any  // root module only: the variable values
	byCfg   map[string][]*Resource
}

// Provider is what a provider configuration says about where its resources live.
type Provider struct {
	AccountID string // "" when not known
	Region    string // "" when not known
}

// Inventory is everything read from one input.
type Inventory struct {
	Kind      string // "plan" or "tf"
	Path      string // the input as given
	Resources []*Resource
	Modules   map[string]*Module
	Providers map[string]*Provider
	// Notices say what the reader could not read or follow (.tf input).
	Notices []Notice
	// ProvidersDescribed is true when the input holds the provider configurations (a .tf
	// directory, a plan with its configuration): a resource of this provider whose
	// configuration is not among them then uses an empty provider block, whose defaults are
	// certain.
	ProvidersDescribed bool
}

// finish indexes the resources by module and sorts them by address, so that everything
// downstream is deterministic.
func (inv *Inventory) finish() {
	sort.SliceStable(inv.Resources, func(i, j int) bool { return inv.Resources[i].Address < inv.Resources[j].Address })
	if inv.Modules == nil {
		inv.Modules = map[string]*Module{}
	}
	if inv.Providers == nil {
		inv.Providers = map[string]*Provider{}
	}
	for _, r := range inv.Resources {
		m := inv.module(r.Module)
		if m.byCfg == nil {
			m.byCfg = map[string][]*Resource{}
		}
		m.byCfg[r.ConfigAddress] = append(m.byCfg[r.ConfigAddress], r)
	}
}

// module returns the module instance at addr, creating an empty scope when the input did not
// describe it (a plan without configuration).
func (inv *Inventory) module(addr string) *Module {
	if m := inv.Modules[addr]; m != nil {
		return m
	}
	m := &Module{Address: addr, Root: addr == ""}
	inv.Modules[addr] = m
	return m
}

// provider returns the provider configuration of r, never nil.
func (inv *Inventory) provider(r *Resource) *Provider {
	if p := inv.Providers[r.ProviderKey]; p != nil {
		return p
	}
	// A key of a child module ("store:codepipeline") may stand for a configuration the
	// module was passed, which is not an empty block.
	if inv.ProvidersDescribed && r.ProviderKey != "" && strings.HasPrefix(r.Type, thisProvider+"_") && !strings.Contains(r.ProviderKey, ":") {
		return thisProviderDefaults(&Provider{}, false, false)
	}
	return &Provider{}
}

// thisProvider is the local name of this provider, the prefix of its resource types.
const thisProvider = "codepipeline"

// thisProviderDefaults fills in this provider's defaults for account_id and region when the
// block leaves them out (accountSet, regionSet false). Unlike the AWS provider's, they do not
// depend on the environment, so they are as certain as a value written in the block. A value
// written but not known statically stays unknown.
func thisProviderDefaults(p *Provider, accountSet, regionSet bool) *Provider {
	if !accountSet {
		p.AccountID = backend.DefaultAccountID
	}
	if !regionSet {
		p.Region = backend.DefaultRegion
	}
	return p
}

// getPath returns the value at a flattened path ("stage.0.action.1.name") of a value tree,
// nil when absent, unknown when the path crosses an unknown value.
func getPath(v any, path string) any {
	if path == "" {
		return v
	}
	for _, step := range strings.Split(path, ".") {
		switch t := v.(type) {
		case unknownValue:
			return unknown
		case map[string]any:
			v = t[step]
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(t) {
				return nil
			}
			v = t[i]
		default:
			return nil
		}
	}
	return v
}

// asString returns v as a string when it is one.
func asString(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok
}

// asInt returns v as an int when it is a whole number.
func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			f, ferr := n.Float64()
			if ferr != nil || f != float64(int64(f)) {
				return 0, false
			}
			i = int64(f)
		}
		if i > 1<<30 || i < -(1<<30) {
			return 0, false
		}
		return int(i), true
	case float64:
		if n != float64(int64(n)) || n > 1<<30 || n < -(1<<30) {
			return 0, false
		}
		return int(n), true
	case int:
		return n, true
	}
	return 0, false
}

// asBool returns v as a bool when it is one (Terraform also accepts "true"/"false").
func asBool(v any) (bool, bool) {
	switch b := v.(type) {
	case bool:
		return b, true
	case string:
		switch b {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// listLen returns the length of the list at v, or -1 when v is unknown.
func listLen(v any) int {
	if isUnknown(v) {
		return -1
	}
	l, _ := v.([]any)
	return len(l)
}

// join builds a flattened path.
func join(parts ...any) string {
	var b strings.Builder
	for _, p := range parts {
		s := ""
		switch t := p.(type) {
		case string:
			s = t
		case int:
			s = strconv.Itoa(t)
		}
		if s == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// readAll reads a whole stream; a plan is one JSON document.
func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(r) }
