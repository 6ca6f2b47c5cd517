package provider

import (
	"context"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// TestSchemaDescriptions fails on every attribute and block, at any depth, of the provider,
// resource and data source schemas that has no description: descriptions are the docs.
func TestSchemaDescriptions(t *testing.T) {
	ctx := context.Background()
	p := New("test")()

	var missing []string
	var pr provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &pr)
	missing = append(missing, undescribed("provider", pr.Schema)...)

	for _, newResource := range p.Resources(ctx) {
		r := newResource()
		var meta resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "codepipeline"}, &meta)
		var resp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &resp)
		if resp.Diagnostics.HasError() {
			t.Fatalf("resource %s schema: %v", meta.TypeName, resp.Diagnostics)
		}
		missing = append(missing, undescribed("resource "+meta.TypeName, resp.Schema)...)
	}
	// codepipeline_pipeline is served at the protocol level from the same framework schema.
	missing = append(missing, undescribed("resource "+pipelineTypeName, pipelineSchema())...)
	for _, newDataSource := range p.DataSources(ctx) {
		d := newDataSource()
		var meta datasource.MetadataResponse
		d.Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: "codepipeline"}, &meta)
		var resp datasource.SchemaResponse
		d.Schema(ctx, datasource.SchemaRequest{}, &resp)
		if resp.Diagnostics.HasError() {
			t.Fatalf("data source %s schema: %v", meta.TypeName, resp.Diagnostics)
		}
		missing = append(missing, undescribed("data source "+meta.TypeName, resp.Schema)...)
	}
	for _, m := range missing {
		t.Errorf("no description: %s", m)
	}
}

// TestUndescribed proves the walk reaches nested attributes and blocks, so that the test
// above can fail.
func TestUndescribed(t *testing.T) {
	s := schema.Schema{
		Description: "described",
		Attributes: map[string]schema.Attribute{
			"ok":   schema.StringAttribute{Optional: true, Description: "described"},
			"bare": schema.StringAttribute{Optional: true},
			"nested": schema.ListNestedAttribute{Optional: true, Description: "described",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"deep": schema.BoolAttribute{Optional: true},
				}}},
		},
		Blocks: map[string]schema.Block{
			"outer": schema.ListNestedBlock{
				NestedObject: schema.NestedBlockObject{
					Attributes: map[string]schema.Attribute{"x": schema.Int64Attribute{Optional: true, Description: "described"}},
					Blocks: map[string]schema.Block{"inner": schema.SingleNestedBlock{
						Description: "described",
						Attributes:  map[string]schema.Attribute{"y": schema.StringAttribute{Optional: true}},
					}},
				},
			},
		},
	}
	got := undescribed("resource t", s)
	want := []string{"resource t.bare", "resource t.nested.deep", "resource t.outer", "resource t.outer.inner.y"}
	if !slices.Equal(got, want) {
		t.Errorf("undescribed = %q, want %q", got, want)
	}
}

// describedNode is what every framework schema, attribute, block and nested object has.
type describedNode interface{ GetDescription() string }

// undescribed lists, in order, the paths under name (the schema, its attributes and blocks,
// and theirs at any depth) whose description is empty. The framework's schema packages share
// their nesting methods (GetAttributes, GetBlocks, GetNestedObject) through an internal
// package, so the walk calls them by reflection: one walk serves the provider, resource and
// data source schemas.
func undescribed(name string, node any) []string {
	var out []string
	if d, ok := node.(describedNode); ok && strings.TrimSpace(d.GetDescription()) == "" {
		out = append(out, name)
	}
	// Nested attributes and blocks hold their children in a nested object (single nested
	// ones have them directly, like a schema).
	children := reflect.ValueOf(node)
	if m := children.MethodByName("GetNestedObject"); m.IsValid() {
		children = m.Call(nil)[0]
	}
	for _, method := range []string{"GetAttributes", "GetBlocks"} {
		m := children.MethodByName(method)
		if !m.IsValid() {
			continue
		}
		byName := m.Call(nil)[0]
		keys := make([]string, 0, byName.Len())
		for _, k := range byName.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, undescribed(name+"."+k, byName.MapIndex(reflect.ValueOf(k).Convert(byName.Type().Key())).Interface())...)
		}
	}
	return out
}
