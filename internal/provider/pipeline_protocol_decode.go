package provider

import (
	"math/big"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// decodePipeline reads a codepipeline_pipeline configuration, plan or state value straight into
// the domain model, with the conversions of pipelineResourceModel.toDomain: null is "" (or nil,
// or 0), a value known only after apply is pipeline.Unknown (pipeline.UnknownInt, or the
// attribute's name in UnknownAttrs). ok is false while a block or a block list is not known yet
// (dynamic blocks over unknown values), where the framework's model could not hold the value
// either: the checks run again once it is known.
func decodePipeline(v tftypes.Value) (p *pipeline.Pipeline, ok bool) {
	d := decoder{ok: true}
	m := fields(v)
	if m == nil {
		return nil, false
	}
	p = &pipeline.Pipeline{
		Name: d.str(m["name"]), RoleARN: d.str(m["role_arn"]),
		PipelineType: d.str(m["pipeline_type"]), ExecutionMode: d.str(m["execution_mode"]),
		Tags: d.strMap(m["tags"]),
	}
	for _, s := range d.blocks(m["artifact_store"]) {
		ref := pipeline.ArtifactStoreRef{Location: d.str(s["location"]), Type: d.str(s["type"]), Region: d.str(s["region"])}
		if k := d.blocks(s["encryption_key"]); len(k) > 0 {
			ref.EncryptionKey = &pipeline.EncryptionKey{ID: d.str(k[0]["id"]), Type: d.str(k[0]["type"])}
		}
		p.ArtifactStores = append(p.ArtifactStores, ref)
	}
	for _, s := range d.blocks(m["stage"]) {
		st := pipeline.Stage{Name: d.str(s["name"])}
		// Every block is read, the first one used: a block not known yet anywhere makes the
		// whole value undecodable, as it does the framework's model.
		for i, b := range d.blocks(s["before_entry"]) {
			if c := d.condition(b["condition"]); i == 0 {
				st.BeforeEntry = c
			}
		}
		for i, b := range d.blocks(s["on_success"]) {
			if c := d.condition(b["condition"]); i == 0 {
				st.OnSuccess = c
			}
		}
		for i, f := range d.blocks(s["on_failure"]) {
			fc := &pipeline.FailureConditions{Result: d.str(f["result"]), Condition: d.condition(f["condition"])}
			if r := d.blocks(f["retry_configuration"]); len(r) > 0 {
				fc.RetryConfiguration = &pipeline.RetryConfiguration{RetryMode: d.str(r[0]["retry_mode"])}
			}
			if i == 0 {
				st.OnFailure = fc
			}
		}
		for _, a := range d.blocks(s["action"]) {
			st.Actions = append(st.Actions, d.action(a))
		}
		p.Stages = append(p.Stages, st)
	}
	for _, t := range d.blocks(m["trigger"]) {
		tr := pipeline.Trigger{ProviderType: d.str(t["provider_type"])}
		for i, g := range d.blocks(t["git_configuration"]) {
			var push, pull []pipeline.GitFilter
			for _, f := range d.blocks(g["push"]) {
				push = append(push, pipeline.GitFilter{Branches: d.glob(f["branches"]), Tags: d.glob(f["tags"]), FilePaths: d.glob(f["file_paths"])})
			}
			for _, f := range d.blocks(g["pull_request"]) {
				events, _ := d.strs(f["events"])
				pull = append(pull, pipeline.GitFilter{Branches: d.glob(f["branches"]), FilePaths: d.glob(f["file_paths"]), Events: events})
			}
			if i == 0 {
				tr.SourceActionName, tr.Push, tr.PullRequest = d.str(g["source_action_name"]), push, pull
			}
		}
		p.Triggers = append(p.Triggers, tr)
	}
	for _, v := range d.blocks(m["variable"]) {
		p.Variables = append(p.Variables, pipeline.Variable{
			Name: d.str(v["name"]), DefaultValue: d.str(v["default_value"]), Description: d.str(v["description"]),
		})
	}
	if !d.ok {
		return nil, false
	}
	return p, true
}

// decoder reads values of the pipeline schema; ok turns false at the first block that is not
// known.
type decoder struct{ ok bool }

func (d *decoder) action(a map[string]tftypes.Value) pipeline.Action {
	runOrder := a["run_order"]
	out := pipeline.Action{
		Name: d.str(a["name"]), Category: d.str(a["category"]), Owner: d.str(a["owner"]),
		Provider: d.str(a["provider"]), Version: d.str(a["version"]),
		RoleARN: d.str(a["role_arn"]), Region: d.str(a["region"]), Namespace: d.str(a["namespace"]),
		RunOrder: d.int(runOrder), TimeoutInMinutes: d.int(a["timeout_in_minutes"]),
		// Null in the configuration is an absent run_order (the default, 1); an explicit 0 is not.
		RunOrderSet: !runOrder.IsNull() && runOrder.IsKnown(),
	}
	if c := a["configuration"]; !c.IsKnown() {
		out.UnknownAttrs = append(out.UnknownAttrs, "configuration")
	} else {
		out.Configuration = d.strMap(c)
	}
	out.InputArtifacts = d.listWithUnknowns(a["input_artifacts"], "input_artifacts", &out.UnknownAttrs)
	out.OutputArtifacts = d.listWithUnknowns(a["output_artifacts"], "output_artifacts", &out.UnknownAttrs)
	out.Commands = d.listWithUnknowns(a["commands"], "commands", &out.UnknownAttrs)
	out.OutputVariables = d.listWithUnknowns(a["output_variables"], "output_variables", &out.UnknownAttrs)
	return out
}

// condition reads a condition block list (at most one block); nil when there is none.
func (d *decoder) condition(v tftypes.Value) *pipeline.Condition {
	var c *pipeline.Condition
	for i, b := range d.blocks(v) {
		var rules []pipeline.ConditionRule
		for _, r := range d.blocks(b["rule"]) {
			rules = append(rules, d.rule(r))
		}
		if i == 0 {
			c = &pipeline.Condition{Result: d.str(b["result"]), Rules: rules}
		}
	}
	return c
}

func (d *decoder) rule(r map[string]tftypes.Value) pipeline.ConditionRule {
	out := pipeline.ConditionRule{
		Name: d.str(r["name"]), Region: d.str(r["region"]), RoleARN: d.str(r["role_arn"]),
		TimeoutInMinutes: d.int(r["timeout_in_minutes"]),
	}
	for i, t := range d.blocks(r["rule_type_id"]) {
		if i == 0 {
			out.RuleTypeID = pipeline.RuleTypeID{Category: d.str(t["category"]), Owner: d.str(t["owner"]),
				Provider: d.str(t["provider"]), Version: d.str(t["version"])}
		}
	}
	if c := r["configuration"]; !c.IsKnown() {
		out.UnknownAttrs = append(out.UnknownAttrs, "configuration")
	} else {
		out.Configuration = d.strMap(c)
	}
	out.InputArtifacts = d.listWithUnknowns(r["input_artifacts"], "input_artifacts", &out.UnknownAttrs)
	out.Commands = d.listWithUnknowns(r["commands"], "commands", &out.UnknownAttrs)
	return out
}

// glob reads a glob filter block list (at most one block); nil when there is none.
func (d *decoder) glob(v tftypes.Value) *pipeline.GlobFilter {
	var g *pipeline.GlobFilter
	for i, b := range d.blocks(v) {
		inc, _ := d.strs(b["includes"])
		exc, _ := d.strs(b["excludes"])
		if i == 0 {
			g = &pipeline.GlobFilter{Includes: inc, Excludes: exc}
		}
	}
	return g
}

// blocks is a block list's objects: none for a null list; none, and d.ok false, when the list
// or one of its objects is not known.
func (d *decoder) blocks(v tftypes.Value) []map[string]tftypes.Value {
	if !v.IsKnown() {
		d.ok = false
		return nil
	}
	elems := elements(v)
	if len(elems) == 0 {
		return nil
	}
	out := make([]map[string]tftypes.Value, len(elems))
	for i, e := range elems {
		if !e.IsKnown() {
			d.ok = false
			return nil
		}
		out[i] = fields(e)
	}
	return out
}

// str is a string: "" for null, pipeline.Unknown for a value known only after apply.
func (d *decoder) str(v tftypes.Value) string {
	if !v.IsKnown() {
		return pipeline.Unknown
	}
	var s string
	if !v.IsNull() {
		_ = v.As(&s)
	}
	return s
}

// int is a whole number: 0 for null, pipeline.UnknownInt for a value known only after apply.
func (d *decoder) int(v tftypes.Value) int {
	if !v.IsKnown() {
		return pipeline.UnknownInt
	}
	if v.IsNull() {
		return 0
	}
	var f big.Float
	_ = v.As(&f)
	i, _ := f.Int64()
	return int(i)
}

// strMap is a map of strings (nil for null or unknown); unknown elements are pipeline.Unknown.
func (d *decoder) strMap(v tftypes.Value) map[string]string {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	var m map[string]tftypes.Value
	_ = v.As(&m)
	out := make(map[string]string, len(m))
	for k, e := range m {
		out[k] = d.str(e)
	}
	return out
}

// listWithUnknowns is a list of strings whose elements may be unknown: a wholly unknown list
// is recorded in unknownAttrs under attr, an unknown element is pipeline.Unknown.
func (d *decoder) listWithUnknowns(v tftypes.Value, attr string, unknownAttrs *[]string) []string {
	if !v.IsKnown() {
		*unknownAttrs = append(*unknownAttrs, attr)
		return nil
	}
	if v.IsNull() {
		return nil
	}
	elems := elements(v)
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		out = append(out, d.str(e))
	}
	return out
}

// strs is a known list of strings without its null elements; ok is false when it or an element
// is unknown.
func (d *decoder) strs(v tftypes.Value) (out []string, ok bool) {
	if !v.IsKnown() {
		return nil, false
	}
	for _, e := range elements(v) {
		if !e.IsKnown() {
			return nil, false
		}
		if !e.IsNull() {
			out = append(out, d.str(e))
		}
	}
	return out, true
}
