package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The protocol-level codepipeline_pipeline (pipelineServer) is described by the one framework
// schema, pipelineSchema(): its protocol schema, its Terraform types, its defaults, declarative
// validators and plan modifiers are all read from it here, once. The framework's own server
// does the same work through path lookups for every value of every request; a node tree walks
// the values once.
//
// The walk knows the kinds the schema uses: string, int64, list and map of strings, and list
// nested blocks, with string and int64 defaults, string and list validators, and plan modifiers
// on top-level strings. A schema change outside those fails newSchemaNodes, which
// TestPipelineProtocolSchema calls.

// objectNode is a block's object (or the resource's root): its attributes and nested blocks,
// each sorted by name as the protocol schema lists them.
type objectNode struct {
	typ    tftypes.Object
	attrs  []*attrNode
	blocks []*blockNode
	// hasDefaults: an attribute of this object or of a nested block has a default.
	hasDefaults bool
}

// attrNode is an attribute with what the plan and validation need of it.
type attrNode struct {
	name                         string
	typ                          tftypes.Type
	required, optional, computed bool
	stringDefault                defaults.String
	int64Default                 defaults.Int64
	stringValidators             []validator.String
	stringPlanModifiers          []planmodifier.String
	proto                        *tfprotov6.SchemaAttribute
}

func (a *attrNode) hasDefault() bool { return a.stringDefault != nil || a.int64Default != nil }

// defaultValue is the attribute's default as the framework plans it; planned when the default
// reports an error.
func (a *attrNode) defaultValue(ctx context.Context, at path.Path, planned tftypes.Value, diags *diag.Diagnostics) tftypes.Value {
	var v attr.Value
	var d diag.Diagnostics
	switch {
	case a.stringDefault != nil:
		var resp defaults.StringResponse
		a.stringDefault.DefaultString(ctx, defaults.StringRequest{Path: at}, &resp)
		v, d = resp.PlanValue, resp.Diagnostics
	case a.int64Default != nil:
		var resp defaults.Int64Response
		a.int64Default.DefaultInt64(ctx, defaults.Int64Request{Path: at}, &resp)
		v, d = resp.PlanValue, resp.Diagnostics
	}
	diags.Append(d...)
	if d.HasError() {
		return planned
	}
	tv, err := v.ToTerraformValue(ctx)
	if err != nil {
		diags.AddAttributeError(at, "Default Value Conversion Error", err.Error())
		return planned
	}
	return tv
}

// blockNode is a list nested block.
type blockNode struct {
	name       string
	typ        tftypes.List
	fwType     attr.Type // the framework's type of the list, for the validators' requests
	validators []validator.List
	object     *objectNode
	proto      *tfprotov6.SchemaNestedBlock
}

// protocolSchema is what pipelineServer derives from a framework resource schema.
type protocolSchema struct {
	fw    schema.Schema
	root  *objectNode
	proto *tfprotov6.Schema
}

func newProtocolSchema(ctx context.Context, s schema.Schema) (*protocolSchema, error) {
	root, attrs, blocks, err := newObjectNode(ctx, s.Attributes, s.Blocks, true)
	if err != nil {
		return nil, err
	}
	ps := &protocolSchema{fw: s, root: root, proto: &tfprotov6.Schema{
		Version: s.Version,
		Block: &tfprotov6.SchemaBlock{
			Attributes: attrs, BlockTypes: blocks,
			Deprecated: s.DeprecationMessage != "", DeprecationMessage: s.DeprecationMessage,
		},
	}}
	ps.proto.Block.Description, ps.proto.Block.DescriptionKind = description(s.Description, s.MarkdownDescription)
	return ps, nil
}

// description is the protocol's description of a schema element: the markdown one when set,
// else the plain one, as the framework sends them.
func description(plain, markdown string) (string, tfprotov6.StringKind) {
	if markdown != "" {
		return markdown, tfprotov6.StringKindMarkdown
	}
	return plain, tfprotov6.StringKindPlain
}

func newObjectNode(ctx context.Context, attrs map[string]schema.Attribute, blocks map[string]schema.Block, root bool) (
	*objectNode, []*tfprotov6.SchemaAttribute, []*tfprotov6.SchemaNestedBlock, error) {
	n := &objectNode{}
	types := map[string]tftypes.Type{}
	var protoAttrs []*tfprotov6.SchemaAttribute
	var protoBlocks []*tfprotov6.SchemaNestedBlock
	for name, a := range attrs {
		an, err := newAttrNode(ctx, name, a, root)
		if err != nil {
			return nil, nil, nil, err
		}
		n.attrs = append(n.attrs, an)
		n.hasDefaults = n.hasDefaults || an.hasDefault()
		types[name] = an.typ
		protoAttrs = append(protoAttrs, an.proto)
	}
	for name, b := range blocks {
		lb, ok := b.(schema.ListNestedBlock)
		if !ok {
			return nil, nil, nil, fmt.Errorf("block %s: the protocol-level resource serves list nested blocks only, not %T", name, b)
		}
		if lb.DeprecationMessage != "" || lb.CustomType != nil || len(lb.PlanModifiers) > 0 || lb.NestedObject.CustomType != nil ||
			len(lb.NestedObject.Validators) > 0 || len(lb.NestedObject.PlanModifiers) > 0 {
			return nil, nil, nil, fmt.Errorf("block %s: deprecation, custom types, object validators and plan modifiers are not served at the protocol level", name)
		}
		obj, nestedAttrs, nestedBlocks, err := newObjectNode(ctx, lb.NestedObject.Attributes, lb.NestedObject.Blocks, false)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("block %s: %w", name, err)
		}
		bn := &blockNode{
			name: name, validators: lb.Validators, object: obj,
			fwType: lb.Type(),
			proto: &tfprotov6.SchemaNestedBlock{
				TypeName: name, Nesting: tfprotov6.SchemaNestedBlockNestingModeList,
				Block: &tfprotov6.SchemaBlock{Attributes: nestedAttrs, BlockTypes: nestedBlocks},
			},
		}
		bn.proto.Block.Description, bn.proto.Block.DescriptionKind = description(lb.Description, lb.MarkdownDescription)
		bn.typ = tftypes.List{ElementType: obj.typ}
		n.blocks = append(n.blocks, bn)
		n.hasDefaults = n.hasDefaults || obj.hasDefaults
		types[name] = bn.typ
		protoBlocks = append(protoBlocks, bn.proto)
	}
	sort.Slice(n.attrs, func(i, j int) bool { return n.attrs[i].name < n.attrs[j].name })
	sort.Slice(n.blocks, func(i, j int) bool { return n.blocks[i].name < n.blocks[j].name })
	sort.Slice(protoAttrs, func(i, j int) bool { return protoAttrs[i].Name < protoAttrs[j].Name })
	sort.Slice(protoBlocks, func(i, j int) bool { return protoBlocks[i].TypeName < protoBlocks[j].TypeName })
	n.typ = tftypes.Object{AttributeTypes: types}
	return n, protoAttrs, protoBlocks, nil
}

func newAttrNode(ctx context.Context, name string, a schema.Attribute, root bool) (*attrNode, error) {
	n := &attrNode{
		name: name, typ: a.GetType().TerraformType(ctx),
		required: a.IsRequired(), optional: a.IsOptional(), computed: a.IsComputed(),
	}
	switch a := a.(type) {
	case schema.StringAttribute:
		if a.CustomType != nil {
			return nil, fmt.Errorf("attribute %s: custom types are not served at the protocol level", name)
		}
		n.stringDefault, n.stringValidators, n.stringPlanModifiers = a.Default, a.Validators, a.PlanModifiers
		if len(a.PlanModifiers) > 0 && !root {
			return nil, fmt.Errorf("attribute %s: plan modifiers are served on top-level attributes only", name)
		}
	case schema.Int64Attribute:
		if a.CustomType != nil || len(a.Validators) > 0 || len(a.PlanModifiers) > 0 {
			return nil, fmt.Errorf("attribute %s: int64 validators, plan modifiers and custom types are not served at the protocol level", name)
		}
		n.int64Default = a.Default
	case schema.ListAttribute:
		if a.CustomType != nil || len(a.Validators) > 0 || len(a.PlanModifiers) > 0 || a.Default != nil || a.ElementType != types.StringType {
			return nil, fmt.Errorf("attribute %s: only plain lists of strings are served at the protocol level", name)
		}
	case schema.MapAttribute:
		if a.CustomType != nil || len(a.Validators) > 0 || len(a.PlanModifiers) > 0 || a.Default != nil || a.ElementType != types.StringType {
			return nil, fmt.Errorf("attribute %s: only plain maps of strings are served at the protocol level", name)
		}
	default:
		return nil, fmt.Errorf("attribute %s: %T is not served at the protocol level", name, a)
	}
	if a.IsWriteOnly() || a.GetDeprecationMessage() != "" {
		return nil, fmt.Errorf("attribute %s: write-only and deprecated attributes are not served at the protocol level", name)
	}
	n.proto = &tfprotov6.SchemaAttribute{
		Name: name, Type: n.typ,
		Required: n.required, Optional: n.optional, Computed: n.computed, Sensitive: a.IsSensitive(),
	}
	n.proto.Description, n.proto.DescriptionKind = description(a.GetDescription(), a.GetMarkdownDescription())
	return n, nil
}

// fields is an object value's attributes; nil for a null or unknown object. The map is the
// value's own (tftypes hands it out without a copy): read it, or change fieldsCopy's.
func fields(v tftypes.Value) map[string]tftypes.Value {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	var m map[string]tftypes.Value
	if err := v.As(&m); err != nil {
		panic(fmt.Sprintf("protocol value: an object expected: %v", err)) // the type came from the schema
	}
	return m
}

// fieldsCopy is fields(v) that the caller may change.
func fieldsCopy(v tftypes.Value) map[string]tftypes.Value { return maps.Clone(fields(v)) }

// elementsCopy is elements(v) that the caller may change.
func elementsCopy(v tftypes.Value) []tftypes.Value { return slices.Clone(elements(v)) }

// elements is a list value's elements; nil for a null or unknown list. The slice is the value's
// own: read it, or change elementsCopy's.
func elements(v tftypes.Value) []tftypes.Value {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	var l []tftypes.Value
	if err := v.As(&l); err != nil {
		panic(fmt.Sprintf("protocol value: a list expected: %v", err))
	}
	return l
}

// reify turns null block lists into empty ones, at any depth, as the framework does before it
// answers: Terraform refuses a null list block. changed is false, and v returned as is, when it
// has none.
func (n *objectNode) reify(v tftypes.Value) (_ tftypes.Value, changed bool) {
	m := fields(v)
	if m == nil {
		return v, false
	}
	own := func() {
		if !changed {
			m, changed = maps.Clone(m), true
		}
	}
	for _, b := range n.blocks {
		bv := m[b.name]
		if bv.IsNull() {
			own()
			m[b.name] = tftypes.NewValue(b.typ, []tftypes.Value{})
			continue
		}
		elems := elements(bv)
		elemChanged := false
		for i, e := range elems {
			if r, c := b.object.reify(e); c {
				if !elemChanged {
					elems, elemChanged = slices.Clone(elems), true
				}
				elems[i] = r
			}
		}
		if elemChanged {
			own()
			m[b.name] = tftypes.NewValue(b.typ, elems)
		}
	}
	if !changed {
		return v, false
	}
	return tftypes.NewValue(n.typ, m), true
}

// applyDefaults sets the default of every attribute whose configuration value is null in the
// planned value, at any depth (the framework's TransformDefaults).
func (n *objectNode) applyDefaults(ctx context.Context, planned, config tftypes.Value, at path.Path, diags *diag.Diagnostics) tftypes.Value {
	if !n.hasDefaults {
		return planned
	}
	m := fieldsCopy(planned)
	if m == nil {
		return planned
	}
	cfg := fields(config)
	for _, a := range n.attrs {
		if !a.hasDefault() || (cfg != nil && !cfg[a.name].IsNull()) {
			continue
		}
		if cfg == nil && !config.IsNull() {
			continue // an unknown configuration object: no attribute of it is null
		}
		m[a.name] = a.defaultValue(ctx, at.AtName(a.name), m[a.name], diags)
	}
	for _, b := range n.blocks {
		if !b.object.hasDefaults {
			continue
		}
		elems := elementsCopy(m[b.name])
		if len(elems) == 0 {
			continue
		}
		cfgElems := elements(cfg[b.name])
		for i, e := range elems {
			c := tftypes.NewValue(b.object.typ, nil)
			if i < len(cfgElems) {
				c = cfgElems[i]
			}
			elems[i] = b.object.applyDefaults(ctx, e, c, at.AtName(b.name).AtListIndex(i), diags)
		}
		m[b.name] = tftypes.NewValue(b.typ, elems)
	}
	return tftypes.NewValue(n.typ, m)
}

// equalValues reports whether a and b are the same value, a null block list being the same as
// an empty one (the framework compares values whose empty block lists it made null).
func (n *objectNode) equalValues(a, b tftypes.Value) bool {
	if a.IsNull() || b.IsNull() || !a.IsKnown() || !b.IsKnown() {
		return a.IsNull() == b.IsNull() && a.IsKnown() == b.IsKnown()
	}
	ma, mb := fields(a), fields(b)
	for _, at := range n.attrs {
		if !ma[at.name].Equal(mb[at.name]) {
			return false
		}
	}
	for _, bl := range n.blocks {
		va, vb := ma[bl.name], mb[bl.name]
		if !va.IsKnown() || !vb.IsKnown() {
			if va.IsKnown() != vb.IsKnown() {
				return false
			}
			continue
		}
		ea, eb := elements(va), elements(vb)
		if len(ea) != len(eb) {
			return false
		}
		for i := range ea {
			if !bl.object.equalValues(ea[i], eb[i]) {
				return false
			}
		}
	}
	return true
}

// validate runs the schema's declarative checks on a configuration value: required and
// read-only attributes, attribute validators, block validators, at any depth (the framework's
// SchemaValidate, in the schema's sorted order rather than Go's map order).
func (n *objectNode) validate(ctx context.Context, config tftypes.Value, at path.Path, diags *diag.Diagnostics) {
	m := fields(config)
	for _, a := range n.attrs {
		p := at.AtName(a.name)
		v := tftypes.NewValue(a.typ, nil)
		if m != nil {
			v = m[a.name]
		} else if !config.IsNull() {
			v = tftypes.NewValue(a.typ, tftypes.UnknownValue)
		}
		if a.computed && !a.optional && !v.IsNull() {
			diags.AddAttributeError(p, "Invalid Configuration for Read-Only Attribute",
				"Cannot set value for this attribute as the provider has marked it as read-only. Remove the configuration line setting the value.\n\n"+
					"Refer to the provider documentation or contact the provider developers for additional information about configurable and read-only attributes that are supported.")
		}
		if a.required && v.IsNull() {
			diags.AddAttributeError(p, "Missing Configuration for Required Attribute",
				fmt.Sprintf("Must set a configuration value for the %s attribute as the provider has marked it as required.\n\n", p.String())+
					"Refer to the provider documentation or contact the provider developers for additional information about configurable attributes that are required.")
		}
		if len(a.stringValidators) > 0 {
			req := validator.StringRequest{Path: p, PathExpression: p.Expression(), ConfigValue: stringValue(v)}
			for _, sv := range a.stringValidators {
				var resp validator.StringResponse
				sv.ValidateString(ctx, req, &resp)
				diags.Append(resp.Diagnostics...)
			}
		}
	}
	for _, b := range n.blocks {
		p := at.AtName(b.name)
		v := tftypes.NewValue(b.typ, nil)
		if m != nil {
			v = m[b.name]
		} else if !config.IsNull() {
			v = tftypes.NewValue(b.typ, tftypes.UnknownValue)
		}
		elems := elements(v)
		var blockDiags diag.Diagnostics
		if len(b.validators) > 0 {
			lv := v
			if v.IsKnown() && len(elems) == 0 {
				lv = tftypes.NewValue(b.typ, nil) // the framework's empty blocks are null
			}
			fv, err := b.fwType.ValueFromTerraform(ctx, lv)
			if err != nil {
				panic(fmt.Sprintf("protocol value: block %s: %v", p, err)) // the type came from the schema
			}
			req := validator.ListRequest{Path: p, PathExpression: p.Expression(), ConfigValue: fv.(types.List)}
			for _, lvd := range b.validators {
				var resp validator.ListResponse
				lvd.ValidateList(ctx, req, &resp)
				blockDiags.Append(resp.Diagnostics...)
			}
			diags.Append(blockDiags...)
		}
		if blockDiags.HasError() {
			continue // as the framework: a block its own validators refuse is not looked into
		}
		for i, e := range elems {
			b.object.validate(ctx, e, p.AtListIndex(i), diags)
		}
	}
}

// stringValue is the framework's value of a string.
func stringValue(v tftypes.Value) types.String {
	switch {
	case !v.IsKnown():
		return types.StringUnknown()
	case v.IsNull():
		return types.StringNull()
	}
	var s string
	_ = v.As(&s)
	return types.StringValue(s)
}

// emptyObject is the object whose attributes are all null and whose block lists are empty.
func (n *objectNode) emptyObject() map[string]tftypes.Value {
	m := make(map[string]tftypes.Value, len(n.attrs)+len(n.blocks))
	for _, a := range n.attrs {
		m[a.name] = tftypes.NewValue(a.typ, nil)
	}
	for _, b := range n.blocks {
		m[b.name] = tftypes.NewValue(b.typ, []tftypes.Value{})
	}
	return m
}
