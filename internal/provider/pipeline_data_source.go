package provider

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

var _ datasource.DataSourceWithConfigure = (*pipelineDataSource)(nil)

// NewPipelineDataSource returns the codepipeline_pipeline data source.
func NewPipelineDataSource() datasource.DataSource { return &pipelineDataSource{} }

// pipelineDataSource reads a stored pipeline definition in the shape of the resource, so a
// configuration can read another configuration's pipeline the way it would write one.
type pipelineDataSource struct {
	backend backend.Backend
}

func (d *pipelineDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_pipeline"
}

// Schema is derived from the resource's schema: every attribute and block of the resource
// becomes a computed attribute of the same name, type, nesting and description, so the two
// cannot drift apart and the resource's model and conversion serve both.
func (d *pipelineDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	rs := pipelineSchema()
	attrs := computedAttributes(rs.Attributes, rs.Blocks)
	attrs["name"] = dsschema.StringAttribute{Required: true, Description: "Name of the pipeline to read, in the provider configuration's account and region."}
	resp.Schema = dsschema.Schema{
		Description: "A stored pipeline definition, read by name, in the same shape as the `codepipeline_pipeline` resource " +
			"(blocks appear as lists of objects), with its ARN and version.",
		Attributes: attrs,
	}
}

func (d *pipelineDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if pd := providerDataOf(req.ProviderData, &resp.Diagnostics); pd != nil {
		d.backend = pd.Backend
	}
}

func (d *pipelineDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !requireBackend(d.backend, &resp.Diagnostics) {
		return
	}
	var m pipelineResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := m.Name.ValueString()
	rec, err := d.backend.GetPipeline(ctx, name)
	if errors.Is(err, backend.ErrNotFound) {
		id := d.backend.Identity()
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Pipeline Not Found",
			fmt.Sprintf("No pipeline named %q exists in account %s, region %s.\n\n"+
				"Fix: check the name, or read it through the provider configuration (alias) of the account that owns it.",
				name, id.AccountID, id.Region))
		return
	}
	if err != nil {
		addBackendError(&resp.Diagnostics, "read", fmt.Sprintf("pipeline %q", name), err)
		return
	}
	m.fromDomain(rec.Definition)
	m.setComputed(rec)
	// In the resource a block absent from the configuration is an empty list, never null:
	// the data source says the same, so values compare equal between the two.
	emptyNilSlices(reflect.ValueOf(&m).Elem())
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// computedAttributes converts a resource schema's attributes and blocks into computed
// data source attributes; blocks become nested attributes of the same collection kind. A
// schema type without a case here is a programming error that every schema test reports.
func computedAttributes(attrs map[string]schema.Attribute, blocks map[string]schema.Block) map[string]dsschema.Attribute {
	out := make(map[string]dsschema.Attribute, len(attrs)+len(blocks))
	for name, a := range attrs {
		desc := a.GetDescription()
		switch a := a.(type) {
		case schema.StringAttribute:
			out[name] = dsschema.StringAttribute{Computed: true, Description: desc, Sensitive: a.Sensitive}
		case schema.BoolAttribute:
			out[name] = dsschema.BoolAttribute{Computed: true, Description: desc, Sensitive: a.Sensitive}
		case schema.Int64Attribute:
			out[name] = dsschema.Int64Attribute{Computed: true, Description: desc, Sensitive: a.Sensitive}
		case schema.MapAttribute:
			out[name] = dsschema.MapAttribute{Computed: true, Description: desc, Sensitive: a.Sensitive, ElementType: a.ElementType}
		case schema.ListAttribute:
			out[name] = dsschema.ListAttribute{Computed: true, Description: desc, Sensitive: a.Sensitive, ElementType: a.ElementType}
		case schema.SetAttribute:
			out[name] = dsschema.SetAttribute{Computed: true, Description: desc, Sensitive: a.Sensitive, ElementType: a.ElementType}
		default:
			panic(fmt.Sprintf("computedAttributes: attribute %q of type %T has no data source equivalent here", name, a))
		}
	}
	for name, b := range blocks {
		switch b := b.(type) {
		case schema.ListNestedBlock:
			out[name] = dsschema.ListNestedAttribute{
				Computed: true, Description: b.Description,
				NestedObject: dsschema.NestedAttributeObject{Attributes: computedAttributes(b.NestedObject.Attributes, b.NestedObject.Blocks)},
			}
		case schema.SetNestedBlock:
			out[name] = dsschema.SetNestedAttribute{
				Computed: true, Description: b.Description,
				NestedObject: dsschema.NestedAttributeObject{Attributes: computedAttributes(b.NestedObject.Attributes, b.NestedObject.Blocks)},
			}
		case schema.SingleNestedBlock:
			out[name] = dsschema.SingleNestedAttribute{
				Computed: true, Description: b.Description, Attributes: computedAttributes(b.Attributes, b.Blocks),
			}
		default:
			panic(fmt.Sprintf("computedAttributes: block %q of type %T has no data source equivalent here", name, b))
		}
	}
	return out
}

// emptyNilSlices replaces, in v and everything it holds, each nil slice by an empty one.
func emptyNilSlices(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				emptyNilSlices(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		}
		for i := range v.Len() {
			emptyNilSlices(v.Index(i))
		}
	}
}
