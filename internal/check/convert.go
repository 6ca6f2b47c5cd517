package check

import (
	"fmt"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// converter builds pipeline.Input values from an inventory. It holds the indexes used to link
// resources by value when no reference links them, and the placeholders it hands the rules
// for values only known after apply whose form is certain.
type converter struct {
	inv *Inventory
	ph  *placeholders
	// byValue finds a resource by the value of an identifying attribute: bucket names, key
	// ARNs and ids, alias names, role ARNs.
	byValue map[string][]*Resource
	// satellites maps a bucket, key or role resource to the resources that configure it
	// (versioning, policy, encryption, alias, inline role policies), by type.
	satellites map[*Resource]map[string][]*Resource
	// sources maps a pipeline resource to the resources its facts came from, for the fix
	// texts of findings about them.
	sources map[*Resource]*factSources
	// pipelines maps a pipeline resource to its converted pipeline.
	pipelines map[*Resource]*pipeline.Pipeline
}

// identifying lists, per resource type, the attributes whose value names the resource.
var identifying = map[string][]string{
	"aws_s3_bucket":                   {"bucket", "id", "arn"},
	"codepipeline_artifact_store":     {"bucket", "arn"},
	"aws_kms_key":                     {"arn", "key_id", "id"},
	"codepipeline_cross_account_key":  {"arn", "key_id"},
	"aws_kms_alias":                   {"name", "arn"},
	"aws_iam_role":                    {"arn", "name"},
	"codepipeline_cross_account_role": {"arn"},
}

// satelliteOf lists the resource types that configure another resource, and the attribute
// that names it.
var satelliteOf = map[string]string{
	"aws_s3_bucket_versioning":                           "bucket",
	"aws_s3_bucket_policy":                               "bucket",
	"aws_s3_bucket_server_side_encryption_configuration": "bucket",
	"aws_kms_alias":                                      "target_key_id",
	"aws_kms_key_policy":                                 "key_id",
	"aws_iam_role_policy":                                "role",
	"aws_iam_role_policy_attachment":                     "role",
	"aws_iam_role_policies_exclusive":                    "role_name",
	"aws_iam_role_policy_attachments_exclusive":          "role_name",
}

func newConverter(inv *Inventory) *converter {
	c := &converter{inv: inv, ph: newPlaceholders(), byValue: map[string][]*Resource{}, satellites: map[*Resource]map[string][]*Resource{}, sources: map[*Resource]*factSources{}, pipelines: map[*Resource]*pipeline.Pipeline{}}
	for _, r := range inv.Resources {
		if r.Mode != "managed" {
			continue
		}
		for _, attr := range identifying[r.Type] {
			if s, ok := asString(inv.value(r, attr)); ok && s != "" {
				c.byValue[s] = appendOnce(c.byValue[s], r)
			}
		}
	}
	for _, r := range inv.Resources {
		attr, ok := satelliteOf[r.Type]
		if !ok || r.Mode != "managed" {
			continue
		}
		if owner := c.follow(r, attr, nil); owner != nil {
			if c.satellites[owner] == nil {
				c.satellites[owner] = map[string][]*Resource{}
			}
			c.satellites[owner][r.Type] = append(c.satellites[owner][r.Type], r)
		}
	}
	return c
}

func appendOnce(l []*Resource, r *Resource) []*Resource {
	for _, x := range l {
		if x == r {
			return l
		}
	}
	return append(l, r)
}

// follow returns the resource the attribute at path of r names: by reference first, then by
// its known value; when types is not nil, only a resource of one of those types. An alias is
// followed on to its key when a key type is wanted.
//
// Only managed resources are facts: a data source that reads a bucket, key or role tells what
// exists, not how it is configured, so a reference to one leads nowhere and the rules skip it.
func (c *converter) follow(r *Resource, path string, types map[string]bool) *Resource {
	ok := func(x *Resource) bool {
		return x != nil && x != r && x.Mode == "managed" && (types == nil || types[x.Type])
	}
	if t, _ := c.inv.linked(r, path); t != nil {
		if t.Mode == "data" {
			return nil
		}
		if ok(t) {
			return t
		}
		if t.Type == "aws_kms_alias" && types != nil {
			if k := c.follow(t, "target_key_id", types); k != nil {
				return k
			}
		}
	}
	s, known := asString(c.inv.value(r, path))
	if !known || s == "" {
		return nil
	}
	var found *Resource
	for _, x := range c.byValue[s] {
		if !ok(x) {
			if x.Type == "aws_kms_alias" && types != nil {
				if k := c.follow(x, "target_key_id", types); k != nil {
					return k
				}
			}
			continue
		}
		if found != nil && found != x {
			return nil // two resources claim the value: not ours to pick
		}
		found = x
	}
	return found
}

// str returns the string at path of r for the domain model: the known value, a placeholder
// when it is unknown but a reference shows what it is, pipeline.Unknown otherwise, "" when
// absent.
func (c *converter) str(r *Resource, path string) string {
	v := c.inv.value(r, path)
	if s, ok := asString(v); ok {
		return s
	}
	if v == nil {
		return ""
	}
	if isUnknown(v) {
		// The attribute a reference leads to, or the attribute itself (a key's own ARN).
		if t, attr := c.inv.linked(r, path); t != nil {
			if p, ok := c.ph.forAttr(t, attr, c.inv.provider(t)); ok {
				return p
			}
		} else if p, ok := c.ph.forAttr(r, path, c.inv.provider(r)); ok {
			return p
		}
		return pipeline.Unknown
	}
	if n, ok := asInt(v); ok {
		return fmt.Sprint(n)
	}
	if b, ok := v.(bool); ok {
		return fmt.Sprint(b)
	}
	return pipeline.Unknown
}

// strs returns a list of strings, and false when the list as a whole is unknown.
func (c *converter) strs(r *Resource, path string) ([]string, bool) {
	v := c.inv.value(r, path)
	n := listLen(v)
	if n < 0 {
		return nil, false
	}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, c.str(r, join(path, i)))
	}
	return out, true
}

// boolean returns a bool attribute; unknown and absent give def.
func (c *converter) boolean(r *Resource, path string, def bool) bool {
	if b, ok := asBool(c.inv.value(r, path)); ok {
		return b
	}
	return def
}

// count returns the number of elements of a list attribute or block, 0 when unknown.
func (c *converter) count(r *Resource, path string) int {
	if n := listLen(c.inv.value(r, path)); n > 0 {
		return n
	}
	return 0
}

// pipelineOf converts a codepipeline_pipeline or aws_codepipeline.
func (c *converter) pipelineOf(r *Resource) *pipeline.Pipeline {
	p := &pipeline.Pipeline{
		Name:          c.str(r, "name"),
		RoleARN:       c.str(r, "role_arn"),
		PipelineType:  c.str(r, "pipeline_type"),
		ExecutionMode: c.str(r, "execution_mode"),
	}
	// A block list known only after apply (a dynamic block over an unknown collection) leaves
	// its part of the pipeline incomplete: the rules that need it whole skip the pipeline.
	incomplete := func(path string, part pipeline.Parts) {
		if isUnknown(c.inv.value(r, path)) {
			p.Incomplete |= part
		}
	}
	incomplete("artifact_store", pipeline.PartArtifactStores)
	incomplete("stage", pipeline.PartStages)
	incomplete("trigger", pipeline.PartTriggers)
	incomplete("variable", pipeline.PartVariables)
	for i := 0; i < c.count(r, "artifact_store"); i++ {
		at := join("artifact_store", i)
		s := pipeline.ArtifactStoreRef{Location: c.str(r, join(at, "location")), Type: c.str(r, join(at, "type")), Region: c.str(r, join(at, "region"))}
		if n := listLen(c.inv.value(r, join(at, "encryption_key"))); n > 0 {
			ek := join(at, "encryption_key", 0)
			s.EncryptionKey = &pipeline.EncryptionKey{ID: c.str(r, join(ek, "id")), Type: c.str(r, join(ek, "type"))}
		} else if n < 0 {
			s.EncryptionKey = &pipeline.EncryptionKey{ID: pipeline.Unknown, Type: pipeline.Unknown}
		}
		p.ArtifactStores = append(p.ArtifactStores, s)
	}
	for i := 0; i < c.count(r, "stage"); i++ {
		st := join("stage", i)
		stage := pipeline.Stage{Name: c.str(r, join(st, "name"))}
		for _, block := range []string{"before_entry", "on_success", "on_failure"} {
			incomplete(join(st, block), pipeline.PartStages)
		}
		if c.count(r, join(st, "before_entry")) > 0 {
			stage.BeforeEntry = c.conditionOf(r, join(st, "before_entry", 0, "condition"), incomplete)
		}
		if c.count(r, join(st, "on_success")) > 0 {
			stage.OnSuccess = c.conditionOf(r, join(st, "on_success", 0, "condition"), incomplete)
		}
		if c.count(r, join(st, "on_failure")) > 0 {
			of := join(st, "on_failure", 0)
			stage.OnFailure = &pipeline.FailureConditions{Result: c.str(r, join(of, "result")), Condition: c.conditionOf(r, join(of, "condition"), incomplete)}
			if c.count(r, join(of, "retry_configuration")) > 0 {
				stage.OnFailure.RetryConfiguration = &pipeline.RetryConfiguration{RetryMode: c.str(r, join(of, "retry_configuration", 0, "retry_mode"))}
			}
		}
		incomplete(join(st, "action"), pipeline.PartStages)
		for j := 0; j < c.count(r, join(st, "action")); j++ {
			stage.Actions = append(stage.Actions, c.actionOf(r, join(st, "action", j)))
		}
		p.Stages = append(p.Stages, stage)
	}
	for i := 0; i < c.count(r, "trigger"); i++ {
		tr := join("trigger", i)
		t := pipeline.Trigger{ProviderType: c.str(r, join(tr, "provider_type"))}
		if c.count(r, join(tr, "git_configuration")) > 0 {
			gc := join(tr, "git_configuration", 0)
			t.SourceActionName = c.str(r, join(gc, "source_action_name"))
			for k := 0; k < c.count(r, join(gc, "push")); k++ {
				t.Push = append(t.Push, c.gitFilter(r, join(gc, "push", k)))
			}
			for k := 0; k < c.count(r, join(gc, "pull_request")); k++ {
				t.PullRequest = append(t.PullRequest, c.gitFilter(r, join(gc, "pull_request", k)))
			}
		}
		p.Triggers = append(p.Triggers, t)
	}
	for i := 0; i < c.count(r, "variable"); i++ {
		v := join("variable", i)
		p.Variables = append(p.Variables, pipeline.Variable{
			Name: c.str(r, join(v, "name")), DefaultValue: c.str(r, join(v, "default_value")), Description: c.str(r, join(v, "description")),
		})
	}
	return p
}

func (c *converter) actionOf(r *Resource, at string) pipeline.Action {
	a := pipeline.Action{
		Name: c.str(r, join(at, "name")), Category: c.str(r, join(at, "category")), Owner: c.str(r, join(at, "owner")),
		Provider: c.str(r, join(at, "provider")), Version: c.str(r, join(at, "version")),
		RoleARN: c.str(r, join(at, "role_arn")), Namespace: c.str(r, join(at, "namespace")),
	}
	if !c.computedDefault(r, join(at, "region")) {
		a.Region = c.str(r, join(at, "region"))
	}
	if !c.computedDefault(r, join(at, "run_order")) {
		a.RunOrder = c.integer(r, join(at, "run_order"))
		a.RunOrderSet = c.inv.value(r, join(at, "run_order")) != nil
	}
	a.TimeoutInMinutes = c.integer(r, join(at, "timeout_in_minutes"))
	switch cfg := c.inv.value(r, join(at, "configuration")).(type) {
	case unknownValue:
		a.UnknownAttrs = append(a.UnknownAttrs, "configuration")
	case map[string]any:
		a.Configuration = make(map[string]string, len(cfg))
		for k := range cfg {
			a.Configuration[k] = c.str(r, join(at, "configuration", k))
		}
	}
	a.InputArtifacts = c.listAttr(r, at, "input_artifacts", &a.UnknownAttrs)
	a.OutputArtifacts = c.listAttr(r, at, "output_artifacts", &a.UnknownAttrs)
	// commands and output_variables: this provider's, and the API's; aws_codepipeline 5.x has
	// neither, so there they stay nil.
	a.Commands = c.listAttr(r, at, "commands", &a.UnknownAttrs)
	a.OutputVariables = c.listAttr(r, at, "output_variables", &a.UnknownAttrs)
	return a
}

// listAttr returns the list of strings at attr of the block at at: nil when absent, and attr
// recorded in unknown when the whole list is unknown.
func (c *converter) listAttr(r *Resource, at, attr string, unknown *[]string) []string {
	v := c.inv.value(r, join(at, attr))
	if v == nil {
		return nil
	}
	l, ok := c.strs(r, join(at, attr))
	if !ok {
		*unknown = append(*unknown, attr)
	}
	return l
}

// conditionOf converts the condition block at at (a list of at most one), nil when absent.
// The same blocks serve codepipeline_pipeline and aws_codepipeline (5.x names them alike). A
// condition or rule list known only after apply makes the stages incomplete.
func (c *converter) conditionOf(r *Resource, at string, incomplete func(string, pipeline.Parts)) *pipeline.Condition {
	incomplete(at, pipeline.PartStages)
	if c.count(r, at) == 0 {
		return nil
	}
	cond := join(at, 0)
	incomplete(join(cond, "rule"), pipeline.PartStages)
	out := &pipeline.Condition{Result: c.str(r, join(cond, "result"))}
	for k := 0; k < c.count(r, join(cond, "rule")); k++ {
		rp := join(cond, "rule", k)
		rule := pipeline.ConditionRule{
			Name: c.str(r, join(rp, "name")), Region: c.str(r, join(rp, "region")), RoleARN: c.str(r, join(rp, "role_arn")),
			TimeoutInMinutes: c.integer(r, join(rp, "timeout_in_minutes")),
		}
		if c.count(r, join(rp, "rule_type_id")) > 0 {
			t := join(rp, "rule_type_id", 0)
			rule.RuleTypeID = pipeline.RuleTypeID{Category: c.str(r, join(t, "category")), Owner: c.str(r, join(t, "owner")),
				Provider: c.str(r, join(t, "provider")), Version: c.str(r, join(t, "version"))}
		}
		switch cfg := c.inv.value(r, join(rp, "configuration")).(type) {
		case unknownValue:
			rule.UnknownAttrs = append(rule.UnknownAttrs, "configuration")
		case map[string]any:
			rule.Configuration = make(map[string]string, len(cfg))
			for key := range cfg {
				rule.Configuration[key] = c.str(r, join(rp, "configuration", key))
			}
		}
		rule.InputArtifacts = c.listAttr(r, rp, "input_artifacts", &rule.UnknownAttrs)
		rule.Commands = c.listAttr(r, rp, "commands", &rule.UnknownAttrs)
		out.Rules = append(out.Rules, rule)
	}
	return out
}

// computedDefault reports whether the attribute at path is one the provider computes when the
// configuration leaves it out, and that is what happened: the AWS provider plans an action's
// region and run_order as unknown when they are not set, yet an absent region is the
// pipeline's and an absent run_order is 1. It takes the configuration of the block to know
// that the attribute is not set; a block the configuration does not describe (one a dynamic
// block generated) keeps its unknown value.
func (c *converter) computedDefault(r *Resource, path string) bool {
	block := path[:strings.LastIndex(path, ".")]
	return isUnknown(getPath(r.Values, path)) && !r.Configured[path] && r.ConfigBlocks[block]
}

// integer returns an integer attribute: 0 when absent, pipeline.UnknownInt when unknown.
func (c *converter) integer(r *Resource, path string) int {
	v := c.inv.value(r, path)
	if v == nil {
		return 0
	}
	if n, ok := asInt(v); ok {
		return n
	}
	if s, ok := v.(string); ok {
		var n int
		if _, err := fmt.Sscan(s, &n); err == nil {
			return n
		}
	}
	return pipeline.UnknownInt
}

func (c *converter) gitFilter(r *Resource, at string) pipeline.GitFilter {
	f := pipeline.GitFilter{
		Branches: c.glob(r, join(at, "branches")), Tags: c.glob(r, join(at, "tags")), FilePaths: c.glob(r, join(at, "file_paths")),
	}
	f.Events, _ = c.strs(r, join(at, "events"))
	return f
}

func (c *converter) glob(r *Resource, at string) *pipeline.GlobFilter {
	if c.count(r, at) == 0 {
		return nil
	}
	g := &pipeline.GlobFilter{}
	g.Includes, _ = c.strs(r, join(at, 0, "includes"))
	g.Excludes, _ = c.strs(r, join(at, 0, "excludes"))
	return g
}

// webhookOf converts a codepipeline_webhook or aws_codepipeline_webhook.
func (c *converter) webhookOf(r *Resource) *pipeline.Webhook {
	w := &pipeline.Webhook{
		Name: c.str(r, "name"), Authentication: c.str(r, "authentication"),
		TargetPipeline: c.str(r, "target_pipeline"), TargetAction: c.str(r, "target_action"),
	}
	if c.count(r, "authentication_configuration") > 0 {
		w.SecretToken = c.str(r, "authentication_configuration.0.secret_token")
		w.AllowedIPRange = c.str(r, "authentication_configuration.0.allowed_ip_range")
	}
	for i := 0; i < c.count(r, "filter"); i++ {
		w.Filters = append(w.Filters, pipeline.WebhookFilter{JSONPath: c.str(r, join("filter", i, "json_path")), MatchEquals: c.str(r, join("filter", i, "match_equals"))})
	}
	return w
}
