package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/big"
	"math/rand"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/check"
)

// frameworkOnlyProvider is the provider as it was before codepipeline_pipeline moved to the
// protocol level: the framework serves every resource, the pipeline included.
type frameworkOnlyProvider struct{ *codepipelineProvider }

func (p frameworkOnlyProvider) Resources(ctx context.Context) []func() resource.Resource {
	return append(p.codepipelineProvider.Resources(ctx), newFrameworkPipelineResource)
}

var _ provider.ProviderWithValidateConfig = frameworkOnlyProvider{}

func frameworkServer() tfprotov6.ProviderServer {
	return providerserver.NewProtocol6(frameworkOnlyProvider{New("test")().(*codepipelineProvider)})()
}

// TestPipelineProtocolSchema holds the combined server's schemas to the framework's: the
// provider, every resource (codepipeline_pipeline included) and every data source, so that
// users, and the docs generated from the schema, see no difference.
func TestPipelineProtocolSchema(t *testing.T) {
	ctx := context.Background()
	want, err := frameworkServer().GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	server, err := NewServer(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	got, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Diagnostics) > 0 {
		t.Fatalf("diagnostics: %v", got.Diagnostics)
	}
	if _, ok := got.ResourceSchemas[pipelineTypeName]; !ok {
		t.Fatalf("the combined server has no %s", pipelineTypeName)
	}
	for _, d := range []struct {
		what      string
		got, want any
	}{
		{"provider", got.Provider, want.Provider},
		{"resources", got.ResourceSchemas, want.ResourceSchemas},
		{"data sources", got.DataSourceSchemas, want.DataSourceSchemas},
	} {
		if diff := cmp.Diff(d.want, d.got); diff != "" {
			t.Errorf("%s schemas (-framework +combined):\n%s", d.what, diff)
		}
	}
}

// TestProtocolSchemaRefusesWhatItCannotServe proves the schema walk fails on kinds it does not
// serve, rather than serving them wrong.
func TestProtocolSchemaRefusesWhatItCannotServe(t *testing.T) {
	for name, s := range map[string]schema.Schema{
		"set":          {Attributes: map[string]schema.Attribute{"s": schema.SetAttribute{Optional: true, ElementType: types.StringType}}},
		"bool":         {Attributes: map[string]schema.Attribute{"b": schema.BoolAttribute{Optional: true}}},
		"single block": {Blocks: map[string]schema.Block{"b": schema.SingleNestedBlock{}}},
		"nested modifier": {Blocks: map[string]schema.Block{"b": schema.ListNestedBlock{NestedObject: schema.NestedBlockObject{
			Attributes: map[string]schema.Attribute{"s": schema.StringAttribute{Optional: true, PlanModifiers: pipelineSchema().Attributes["name"].(schema.StringAttribute).PlanModifiers}},
		}}}},
	} {
		if _, err := newProtocolSchema(context.Background(), s); err == nil {
			t.Errorf("%s: served", name)
		}
	}
	if _, err := newProtocolSchema(context.Background(), pipelineSchema()); err != nil {
		t.Errorf("the pipeline schema: %v", err)
	}
}

// differential answers the same requests from the framework implementation of
// codepipeline_pipeline and from the protocol-level one, both configured on one state directory.
type differential struct {
	t          *testing.T
	fw, proto  tfprotov6.ProviderServer
	root       *objectNode
	typ        tftypes.Object
	ctx        context.Context
	validates  int
	plans      int
	withErrors int
}

func newDifferential(t *testing.T) *differential {
	ctx := context.Background()
	testStateDir(t)
	ps, err := pipelineProtocolSchema()
	if err != nil {
		t.Fatal(err)
	}
	d := &differential{t: t, fw: frameworkServer(), root: ps.root, typ: ps.root.typ, ctx: ctx}
	if d.proto, err = NewServer(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []tfprotov6.ProviderServer{d.fw, d.proto} {
		schemas, err := s.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
		if err != nil {
			t.Fatal(err)
		}
		cfgType := schemas.Provider.ValueType().(tftypes.Object)
		null := map[string]tftypes.Value{}
		for name, typ := range cfgType.AttributeTypes {
			null[name] = tftypes.NewValue(typ, nil)
		}
		cfg, err := tfprotov6.NewDynamicValue(cfgType, tftypes.NewValue(cfgType, null))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := s.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.11.4", Config: &cfg})
		if err != nil || len(resp.Diagnostics) > 0 {
			t.Fatalf("configure: %v %v", err, resp.Diagnostics)
		}
	}
	return d
}

func (d *differential) dv(v tftypes.Value) *tfprotov6.DynamicValue {
	dv, err := tfprotov6.NewDynamicValue(d.typ, v)
	if err != nil {
		d.t.Fatal(err)
	}
	return &dv
}

// run compares validation and plans of config: create, and, when the create plan is wholly
// known but for the computed attributes, a plan of no change, a rename (a replacement) and a
// destroy from the state an apply would write.
func (d *differential) run(name string, config tftypes.Value) {
	d.t.Helper()
	d.compareValidate(name, config)
	created := d.comparePlan(name+" (create)", tftypes.NewValue(d.typ, nil), config)
	if created == nil {
		return
	}
	state, ok := d.applied(*created)
	if !ok {
		return
	}
	d.comparePlan(name+" (no change)", state, config)
	m := fieldsCopy(config)
	if n := m["name"]; n.IsKnown() && !n.IsNull() {
		var s string
		_ = n.As(&s)
		m["name"] = tftypes.NewValue(tftypes.String, s+"-renamed")
		d.comparePlan(name+" (rename)", state, tftypes.NewValue(d.typ, m))
	}
	d.comparePlan(name+" (destroy)", state, tftypes.NewValue(d.typ, nil))
}

// applied is the state an apply of planned writes: planned, with the computed id, ARN and
// version; ok is false when something else in it is not known yet.
func (d *differential) applied(planned tfprotov6.DynamicValue) (tftypes.Value, bool) {
	v, err := planned.Unmarshal(d.typ)
	if err != nil || v.IsNull() {
		return v, false
	}
	m := fieldsCopy(v)
	var name string
	_ = m["name"].As(&name)
	m["id"] = tftypes.NewValue(tftypes.String, name)
	m["arn"] = tftypes.NewValue(tftypes.String, "arn:aws:codepipeline:us-east-1:111111111111:"+name)
	m["version"] = tftypes.NewValue(tftypes.Number, 1)
	v = tftypes.NewValue(d.typ, m)
	return v, v.IsFullyKnown()
}

func (d *differential) compareValidate(name string, config tftypes.Value) {
	d.t.Helper()
	req := func() *tfprotov6.ValidateResourceConfigRequest {
		return &tfprotov6.ValidateResourceConfigRequest{TypeName: pipelineTypeName, Config: d.dv(config)}
	}
	want, err1 := d.fw.ValidateResourceConfig(d.ctx, req())
	got, err2 := d.proto.ValidateResourceConfig(d.ctx, req())
	if err1 != nil || err2 != nil {
		d.t.Fatalf("%s: validate: %v / %v", name, err1, err2)
	}
	d.validates++
	d.compareDiagnostics(name+": validate", want.Diagnostics, got.Diagnostics)
}

// comparePlan plans config from prior on both servers and compares the answers; it returns
// the framework's planned state.
func (d *differential) comparePlan(name string, prior, config tftypes.Value) *tfprotov6.DynamicValue {
	d.t.Helper()
	proposed := tftypes.NewValue(d.typ, nil)
	if !config.IsNull() {
		proposed = proposedNew(d.root, prior, config)
	}
	req := func() *tfprotov6.PlanResourceChangeRequest {
		r := &tfprotov6.PlanResourceChangeRequest{TypeName: pipelineTypeName,
			PriorState: d.dv(prior), ProposedNewState: d.dv(proposed), Config: d.dv(config)}
		return r
	}
	want, err1 := d.fw.PlanResourceChange(d.ctx, req())
	got, err2 := d.proto.PlanResourceChange(d.ctx, req())
	if err1 != nil || err2 != nil {
		d.t.Fatalf("%s: plan: %v / %v", name, err1, err2)
	}
	d.plans++
	d.compareDiagnostics(name+": plan", want.Diagnostics, got.Diagnostics)
	switch {
	case (want.PlannedState == nil) != (got.PlannedState == nil):
		d.t.Errorf("%s: planned state: framework %v, protocol %v", name, want.PlannedState, got.PlannedState)
	case want.PlannedState != nil && !sameMsgPack(d.typ, want.PlannedState, got.PlannedState):
		w, _ := want.PlannedState.Unmarshal(d.typ)
		g, _ := got.PlannedState.Unmarshal(d.typ)
		diffs, _ := w.Diff(g)
		d.t.Errorf("%s: planned states differ at %v", name, diffs)
	}
	if diff := cmp.Diff(pathStrings(want.RequiresReplace), pathStrings(got.RequiresReplace)); diff != "" {
		d.t.Errorf("%s: requires replace (-framework +protocol):\n%s", name, diff)
	}
	if !bytes.Equal(want.PlannedPrivate, got.PlannedPrivate) || (want.Deferred == nil) != (got.Deferred == nil) {
		d.t.Errorf("%s: private %q / %q, deferred %v / %v", name, want.PlannedPrivate, got.PlannedPrivate, want.Deferred, got.Deferred)
	}
	return want.PlannedState
}

// sameMsgPack reports whether two encoded values are the same bytes. terraform-plugin-go
// writes a map's entries in Go's map order, so a map of several entries comes out in another
// order from one call to the next, even of one server: there the values must be equal and the
// bytes the same but for their order.
func sameMsgPack(typ tftypes.Type, a, b *tfprotov6.DynamicValue) bool {
	if bytes.Equal(a.MsgPack, b.MsgPack) {
		return true
	}
	va, errA := a.Unmarshal(typ)
	vb, errB := b.Unmarshal(typ)
	if errA != nil || errB != nil || !va.Equal(vb) {
		return false
	}
	sa, sb := slices.Clone(a.MsgPack), slices.Clone(b.MsgPack)
	slices.Sort(sa)
	slices.Sort(sb)
	return bytes.Equal(sa, sb)
}

func pathStrings(ps []*tftypes.AttributePath) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// compareDiagnostics holds the protocol's diagnostics to the framework's: the same ones, each
// with the same severity, summary, detail and attribute path, and the rules' diagnostics in the
// same order. (The framework runs the schema's validators in Go's map order, which varies from
// run to run; the protocol level runs them in name order.)
func (d *differential) compareDiagnostics(name string, want, got []*tfprotov6.Diagnostic) {
	d.t.Helper()
	key := func(x *tfprotov6.Diagnostic) string {
		p := "<none>"
		if x.Attribute != nil {
			p = x.Attribute.String()
		}
		return fmt.Sprintf("%s | %s | %s | %s", x.Severity, x.Summary, p, x.Detail)
	}
	keys := func(ds []*tfprotov6.Diagnostic, rulesOnly bool) []string {
		var out []string
		for _, x := range ds {
			if !rulesOnly || strings.HasPrefix(x.Summary, "[") {
				out = append(out, key(x))
			}
		}
		return out
	}
	w, g := keys(want, false), keys(got, false)
	sort.Strings(w)
	sort.Strings(g)
	if diff := cmp.Diff(w, g); diff != "" {
		d.t.Errorf("%s: diagnostics (-framework +protocol):\n%s", name, diff)
		return
	}
	if diff := cmp.Diff(keys(want, true), keys(got, true)); diff != "" {
		d.t.Errorf("%s: the rules' diagnostics in another order (-framework +protocol):\n%s", name, diff)
	}
	for _, x := range want {
		if x.Severity == tfprotov6.DiagnosticSeverityError {
			d.withErrors++
			break
		}
	}
}

// proposedNew is Terraform's proposed new state for a configuration: the configuration, with
// the prior state's values of the computed attributes it leaves null (list blocks by index).
func proposedNew(n *objectNode, prior, config tftypes.Value) tftypes.Value {
	cfg := fieldsCopy(config)
	if cfg == nil {
		return config
	}
	pr := fields(prior)
	for _, a := range n.attrs {
		if a.computed && cfg[a.name].IsNull() {
			if pr != nil {
				cfg[a.name] = pr[a.name]
			} else {
				cfg[a.name] = tftypes.NewValue(a.typ, nil)
			}
		}
	}
	for _, b := range n.blocks {
		elems := elementsCopy(cfg[b.name])
		if len(elems) == 0 {
			continue
		}
		var priorElems []tftypes.Value
		if pr != nil {
			priorElems = elements(pr[b.name])
		}
		for i, e := range elems {
			p := tftypes.NewValue(b.object.typ, nil)
			if i < len(priorElems) {
				p = priorElems[i]
			}
			elems[i] = proposedNew(b.object, p, e)
		}
		cfg[b.name] = tftypes.NewValue(b.typ, elems)
	}
	return tftypes.NewValue(n.typ, cfg)
}

// configValue converts a resource's configuration as internal/check reads it from .tf files
// into the value Terraform sends.
func configValue(n *objectNode, vals map[string]any) tftypes.Value {
	m := map[string]tftypes.Value{}
	for _, a := range n.attrs {
		m[a.name] = attrValue(a.typ, vals[a.name])
	}
	for _, b := range n.blocks {
		v, present := vals[b.name]
		switch {
		case check.IsUnknown(v):
			m[b.name] = tftypes.NewValue(b.typ, tftypes.UnknownValue)
		case !present || v == nil:
			m[b.name] = tftypes.NewValue(b.typ, []tftypes.Value{})
		default:
			var elems []tftypes.Value
			for _, e := range v.([]any) {
				if check.IsUnknown(e) {
					elems = append(elems, tftypes.NewValue(b.object.typ, tftypes.UnknownValue))
					continue
				}
				elems = append(elems, configValue(b.object, e.(map[string]any)))
			}
			m[b.name] = tftypes.NewValue(b.typ, elems)
		}
	}
	return tftypes.NewValue(n.typ, m)
}

func attrValue(typ tftypes.Type, v any) tftypes.Value {
	if check.IsUnknown(v) {
		return tftypes.NewValue(typ, tftypes.UnknownValue)
	}
	if v == nil {
		return tftypes.NewValue(typ, nil)
	}
	switch {
	case typ.Is(tftypes.String):
		return tftypes.NewValue(typ, fmt.Sprint(v))
	case typ.Is(tftypes.Number):
		f, _, err := big.ParseFloat(fmt.Sprint(v), 10, 512, big.ToNearestEven)
		if err != nil {
			panic(err)
		}
		return tftypes.NewValue(typ, f)
	case typ.Is(tftypes.List{}):
		var elems []tftypes.Value
		for _, e := range v.([]any) {
			elems = append(elems, attrValue(tftypes.String, e))
		}
		return tftypes.NewValue(typ, elems)
	case typ.Is(tftypes.Map{}):
		elems := map[string]tftypes.Value{}
		for k, e := range v.(map[string]any) {
			elems[k] = attrValue(tftypes.String, e)
		}
		return tftypes.NewValue(typ, elems)
	}
	panic(fmt.Sprintf("no %s value from %T", typ, v))
}

// corpusConfigs reads the codepipeline_pipeline configurations of every example and of every
// rule's bad and fixed snippets (placed in their frames by tools/rulesdoc).
func corpusConfigs(t *testing.T, root *objectNode) map[string]tftypes.Value {
	t.Helper()
	frames := t.TempDir()
	if out, err := exec.Command("go", "run", "../../tools/rulesdoc", "-frames", frames).CombinedOutput(); err != nil {
		t.Fatalf("rulesdoc -frames: %v\n%s", err, out)
	}
	dirs := map[string]bool{}
	for _, top := range []string{"../../examples", frames} {
		err := filepath.WalkDir(top, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() && strings.HasPrefix(e.Name(), ".") && p != top {
				return filepath.SkipDir
			}
			if !e.IsDir() && strings.HasSuffix(p, ".tf") {
				dirs[filepath.Dir(p)] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]tftypes.Value{}
	for dir := range dirs {
		inv, err := check.ReadDir(dir)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, r := range inv.Resources {
			if r.Type == pipelineTypeName && r.Mode == "managed" {
				out[strings.TrimPrefix(dir, frames+"/")+": "+r.Address] = configValue(root, r.Values)
			}
		}
	}
	return out
}

// TestPipelineProtocolDifferential answers the same ValidateResourceConfig and
// PlanResourceChange requests from the framework implementation of codepipeline_pipeline and the
// protocol-level one: every example, every rule's bad and fixed snippets, and pipelines fuzzed
// from them (attributes null, unknown or set to other values, blocks dropped, repeated, added
// empty or unknown). The planned states must be the same bytes, and the diagnostics the same.
func TestPipelineProtocolDifferential(t *testing.T) {
	d := newDifferential(t)
	corpus := corpusConfigs(t, d.root)
	if len(corpus) < 80 {
		t.Fatalf("only %d pipelines in the corpus: the examples or the rules' snippets were not read", len(corpus))
	}
	names := make([]string, 0, len(corpus))
	for name := range corpus {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		d.run(name, corpus[name])
	}
	rng := rand.New(rand.NewSource(16))
	fuzzed := 150
	if testing.Short() {
		fuzzed = 60
	}
	for i := range fuzzed {
		base := names[rng.Intn(len(names))]
		d.run(fmt.Sprintf("fuzz %d of %s", i, base), mutate(d.root, corpus[base], rng))
	}
	t.Logf("%d configurations (%d in the corpus): %d validations, %d plans, %d answered with errors",
		len(names)+fuzzed, len(names), d.validates, d.plans, d.withErrors)
	if d.withErrors == 0 {
		t.Error("no request was answered with an error: the corpus does not reach the diagnostics")
	}
}

var (
	fuzzStrings = []string{"", "V1", "V2", "V3", "QUEUED", "PARALLEL", "SUPERSEDED", "S3", "KMS", "Source", "Build", "Deploy", "Approval",
		"AWS", "ThirdParty", "Custom", "CodeBuild", "CodeCommit", "S3", "Manual", "Commands", "1", "x", "#{variables.v}", "#{Ns.Var}",
		"arn:aws:iam::222222222222:role/x", "arn:aws:kms:us-east-1:222222222222:key/k", "us-west-2", "ROLLBACK", "RETRY", "FAIL", "SKIP",
		"ALL_ACTIONS", "FAILED_ACTIONS", "source", "build", "main", "Rule", "LambdaInvoke", "VariableCheck", "Condition"}
	fuzzNumbers = []int64{0, 1, 2, 3, -1, 5, 999, 1000, 86401}
	fuzzKeys    = []string{"ProjectName", "RepositoryName", "BranchName", "Commands", "S3Bucket", "S3ObjectKey", "ConnectionArn",
		"FullRepositoryId", "FunctionName", "Variable", "Value", "Operator"}
)

// mutate returns a variant of v: a few attributes made null, unknown or another value, block
// lists made unknown, blocks dropped, repeated or added empty, at any depth.
func mutate(n *objectNode, v tftypes.Value, rng *rand.Rand) tftypes.Value {
	m := fieldsCopy(v)
	if m == nil {
		return v
	}
	for _, a := range n.attrs {
		if rng.Intn(10) != 0 {
			continue
		}
		switch rng.Intn(3) {
		case 0:
			m[a.name] = tftypes.NewValue(a.typ, nil)
		case 1:
			m[a.name] = tftypes.NewValue(a.typ, tftypes.UnknownValue)
		default:
			m[a.name] = fuzzValue(a.typ, rng)
		}
	}
	for _, b := range n.blocks {
		elems := elementsCopy(m[b.name])
		if !m[b.name].IsKnown() {
			continue
		}
		switch rng.Intn(24) {
		case 0:
			m[b.name] = tftypes.NewValue(b.typ, tftypes.UnknownValue)
			continue
		case 1:
			if len(elems) > 0 {
				i := rng.Intn(len(elems))
				elems = slices.Delete(elems, i, i+1)
			}
		case 2:
			if len(elems) > 0 {
				elems = append(elems, elems[rng.Intn(len(elems))])
			}
		case 3:
			elems = append(elems, tftypes.NewValue(b.object.typ, b.object.emptyObject()))
		}
		// No element of a known block list is made unknown: Terraform never sends one (a
		// dynamic block over an unknown value makes the whole list unknown).
		for i, e := range elems {
			if e.IsKnown() && rng.Intn(3) == 0 {
				elems[i] = mutate(b.object, e, rng)
			}
		}
		m[b.name] = tftypes.NewValue(b.typ, elems)
	}
	return tftypes.NewValue(n.typ, m)
}

func fuzzValue(typ tftypes.Type, rng *rand.Rand) tftypes.Value {
	str := func() tftypes.Value {
		if rng.Intn(8) == 0 {
			return tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
		}
		return tftypes.NewValue(tftypes.String, fuzzStrings[rng.Intn(len(fuzzStrings))])
	}
	switch {
	case typ.Is(tftypes.String):
		return str()
	case typ.Is(tftypes.Number):
		return tftypes.NewValue(typ, fuzzNumbers[rng.Intn(len(fuzzNumbers))])
	case typ.Is(tftypes.List{}):
		var elems []tftypes.Value
		for range rng.Intn(4) {
			elems = append(elems, str())
		}
		return tftypes.NewValue(typ, elems)
	case typ.Is(tftypes.Map{}):
		elems := map[string]tftypes.Value{}
		for range rng.Intn(4) {
			elems[fuzzKeys[rng.Intn(len(fuzzKeys))]] = str()
		}
		return tftypes.NewValue(typ, elems)
	}
	panic(fmt.Sprintf("no fuzz value of %s", typ))
}

// TestAttrValueFromCheck keeps the conversion of check's values honest on the kinds it meets.
func TestAttrValueFromCheck(t *testing.T) {
	v := attrValue(tftypes.Number, json.Number("2"))
	var f big.Float
	if err := v.As(&f); err != nil || f.Cmp(big.NewFloat(2)) != 0 {
		t.Errorf("number: %v %v", v, err)
	}
	if got := attrValue(tftypes.List{ElementType: tftypes.String}, []any{"a", nil}); !got.Equal(tftypes.NewValue(tftypes.List{ElementType: tftypes.String},
		[]tftypes.Value{tftypes.NewValue(tftypes.String, "a"), tftypes.NewValue(tftypes.String, nil)})) {
		t.Errorf("list: %v", got)
	}
}

// BenchmarkPipelinePlan measures what a plan asks of codepipeline_pipeline per pipeline (a
// validation and a plan of a pipeline of 10 stages × 5 actions, as scripts/bench-plan.sh plans
// them), at the protocol level and, in the same run, through the framework implementation.
func BenchmarkPipelinePlan(b *testing.B) {
	dir := b.TempDir()
	if out, err := exec.Command("go", "run", "../../scripts/benchplan", "-kind", "provider", "-out", dir, "-pipelines", "1").CombinedOutput(); err != nil {
		b.Fatalf("benchplan: %v\n%s", err, out)
	}
	inv, err := check.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	ps, err := pipelineProtocolSchema()
	if err != nil {
		b.Fatal(err)
	}
	var config tftypes.Value
	for _, r := range inv.Resources {
		if r.Type == pipelineTypeName {
			config = configValue(ps.root, r.Values)
		}
	}
	b.Setenv("CODEPIPELINE_STATE_DIR", b.TempDir())
	ctx := context.Background()
	proto, err := NewServer(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	for name, s := range map[string]tfprotov6.ProviderServer{"protocol": proto, "framework": frameworkServer()} {
		schemas, _ := s.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
		cfgType := schemas.Provider.ValueType().(tftypes.Object)
		null := map[string]tftypes.Value{}
		for n, typ := range cfgType.AttributeTypes {
			null[n] = tftypes.NewValue(typ, nil)
		}
		cfg, _ := tfprotov6.NewDynamicValue(cfgType, tftypes.NewValue(cfgType, null))
		if resp, err := s.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: &cfg}); err != nil || len(resp.Diagnostics) > 0 {
			b.Fatalf("configure: %v %v", err, resp.Diagnostics)
		}
		dv := func(v tftypes.Value) *tfprotov6.DynamicValue {
			d, err := tfprotov6.NewDynamicValue(ps.root.typ, v)
			if err != nil {
				b.Fatal(err)
			}
			return &d
		}
		cfgDV, nullDV := dv(config), dv(tftypes.NewValue(ps.root.typ, nil))
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				v, _ := s.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: pipelineTypeName, Config: cfgDV})
				p, _ := s.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: pipelineTypeName,
					Config: cfgDV, ProposedNewState: cfgDV, PriorState: nullDV})
				if len(v.Diagnostics)+len(p.Diagnostics) > 0 {
					b.Fatalf("diagnostics: %v %v", v.Diagnostics, p.Diagnostics)
				}
			}
		})
	}
}
