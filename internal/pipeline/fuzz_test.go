package pipeline

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzGen turns fuzz bytes into choices. It is deterministic (no math/rand), and once the
// bytes run out every choice is 0, so each pool lists its common, valid value first: a short
// input grows into a small, mostly valid pipeline, and the fuzzer mutates away from it.
type fuzzGen struct {
	data []byte
	pos  int
}

func (g *fuzzGen) byte() byte {
	if g.pos >= len(g.data) {
		return 0
	}
	b := g.data[g.pos]
	g.pos++
	return b
}

// intn returns a choice in [0, n).
func (g *fuzzGen) intn(n int) int {
	if n <= 1 {
		return 0
	}
	return int(g.byte()) % n
}

// sub returns a generator over the next n bytes and skips them here: records of fixed size
// keep each part of the input at a fixed offset, so that a mutation changes one action, not
// everything after it, and seeds can be written by hand.
func (g *fuzzGen) sub(n int) *fuzzGen {
	start := min(g.pos, len(g.data))
	end := min(start+n, len(g.data))
	g.pos = start + n
	return &fuzzGen{data: g.data[start:end]}
}

// rare is true for one byte value in k, never for an exhausted input.
func (g *fuzzGen) rare(k int) bool { return g.intn(k) == k-1 }

func fzPick[T any](g *fuzzGen, xs ...T) T { return xs[g.intn(len(xs))] }

// The pools. Accounts 111111111111 (the pipeline's), 222222222222 and 333333333333.
var (
	fzNames = []string{"Build", "Deploy", "Test", "app.v2@x", "a_b-c", "", Unknown, "bad name",
		"bad/slash", strings.Repeat("n", 101), "ünï", "Source"}
	fzArtifactJunk = []string{"", Unknown, "a.b", "bad name", strings.Repeat("a", 101)}
	fzRoles        = []string{"", "", "", "arn:aws:iam::222222222222:role/deploy",
		"arn:aws:iam::111111111111:role/local", "arn:aws:iam::333333333333:role/prod", Unknown,
		"not-an-arn", "arn:aws:iam::222222222222:root", "arn:aws:iam:::role/noacct"}
	fzRegions  = []string{"", "", "us-east-1", "eu-west-1", Unknown, "mars-1"}
	fzAccounts = []string{"111111111111", "222222222222", "", "333333333333", Unknown}
	fzBuckets  = []string{"app-artifacts", "app-artifacts-eu", "", Unknown, "other-bucket"}
	fzKeys     = []string{"arn:aws:kms:us-east-1:111111111111:key/k1", "", "alias/aws/s3", "alias/app", "k1",
		"arn:aws:kms:us-east-1:111111111111:alias/app", Unknown, "arn:aws:kms:eu-west-1:222222222222:key/k2"}
	fzValues = []string{"x", "true", "false", "TRUE", "", Unknown, strings.Repeat("v", 1001),
		"src::template.yml", "#{SourceVars.CommitId}"}
	fzExtraKeys = []string{"PollForSourceChanges", "PrimarySource", "TemplatePath", "ActionMode",
		"Extract", "NotificationArn", "", strings.Repeat("k", 51), "BranchName"}
	fzPatterns = []string{"main", "release/*", "v*", "", strings.Repeat("p", 256), Unknown, "**/*.go"}
	fzPolicies = []string{
		"",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:role/deploy","arn:aws:iam::333333333333:root"]},"Action":["s3:Get*","s3:Put*"],"Resource":"arn:aws:s3:::app-artifacts/*"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/deploy"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::app-artifacts"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":["kms:Decrypt","kms:DescribeKey","kms:Encrypt","kms:ReEncrypt*","kms:GenerateDataKey*"],"Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:*","s3:*"],"Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`,
		`{`, `null`, `{"Statement":"x"}`, `{"Statement":[{"Effect":"Maybe"}]}`, Unknown,
	}
)

// Action types by where a mostly valid pipeline uses them.
var fzSourceTypes, fzOtherTypes = func() (src, other []ActionTypeID) {
	for _, t := range ActionTypes {
		if t.ID.Category == CategorySource {
			src = append(src, t.ID)
		} else {
			other = append(other, t.ID)
		}
	}
	return
}()

// fuzzInput builds an Input from fuzz bytes: a pipeline (nil now and then), and optionally a
// store, key, role and webhook subject and facts about stores, keys and roles.
//
// Layout, for writing seeds: byte 0 flags (0x80|0x40: no pipeline; 0x01 store, 0x02 key,
// 0x04 role, 0x08 webhook, 0x10 facts with stores, keys and roles); 1 name, 2 role_arn,
// 3 pipeline_type, 4 execution_mode, 5 stage count, 6 trigger count, 7 variable count,
// 8 artifact store count (each byte indexes its pool in pipeline()); then 6 bytes per artifact
// store; 4 bytes per stage (action count, on_failure, name, rename); fzActionRecord bytes per
// action, stage after stage; fzTriggerRecord bytes per trigger; 4 per variable; then the other
// subjects and the facts, read as they come.
func fuzzInput(data []byte) Input {
	g := &fuzzGen{data: data}
	var in Input
	flags := g.byte()
	if flags&0x80 == 0 || flags&0x40 == 0 {
		in.Pipeline = g.pipeline()
	}
	if flags&0x01 != 0 {
		in.Store = g.store()
	}
	if flags&0x02 != 0 {
		in.Key = g.key()
	}
	if flags&0x04 != 0 {
		in.Role = g.role()
	}
	if flags&0x08 != 0 {
		in.Webhook = g.webhook()
	}
	in.Facts = g.facts(flags&0x10 != 0)
	if in.Pipeline != nil {
		// Last, so that the seeds written before stage conditions existed read as they did.
		g.conditions(in.Pipeline)
	}
	return in
}

// conditions gives the pipeline's stages conditions, retry configurations and Commands
// actions' commands, from what is left of the input.
func (g *fuzzGen) conditions(p *Pipeline) {
	for i := range p.Stages {
		st := &p.Stages[i]
		cg := g.sub(fzConditionRecord)
		switch cg.intn(4) {
		case 1:
			st.BeforeEntry = cg.condition()
		case 2:
			st.OnSuccess = cg.condition()
		case 3:
			if st.OnFailure == nil {
				st.OnFailure = &FailureConditions{}
			}
			st.OnFailure.Condition = cg.condition()
		}
		if st.OnFailure != nil && cg.intn(2) == 0 {
			st.OnFailure.RetryConfiguration = &RetryConfiguration{RetryMode: fzPick(cg, "", RetryFailedActions, RetryAllActions, "SOME", Unknown)}
		}
		for j := range st.Actions {
			a := &st.Actions[j]
			if cg.intn(3) == 2 {
				for n := fzPick(cg, 1, 0, 2, 51); len(a.Commands) < n; {
					a.Commands = append(a.Commands, fzPick(cg, "make", "", "a\nb", Unknown, strings.Repeat("c", 1001)))
				}
			}
			if cg.rare(4) {
				a.OutputVariables = []string{fzPick(cg, "OUT", "", Unknown, strings.Repeat("v", 129))}
			}
		}
	}
}

const fzConditionRecord = 48

func (g *fuzzGen) condition() *Condition {
	c := &Condition{Result: fzPick(g, "", ResultFail, ResultSkip, ResultRollback, ResultRetry, "NOPE", Unknown)}
	for n := fzPick(g, 1, 2, 0, 6); len(c.Rules) < n; {
		r := ConditionRule{
			Name: fzPick(g, "R1", "R2", "", Unknown, "bad name"),
			RuleTypeID: RuleTypeID{Category: fzPick(g, RuleCategoryRule, "", "Junk", Unknown), Owner: fzPick(g, "", RuleOwnerAWS, "Custom", Unknown),
				Provider: fzPick(g, append(RuleProviders(), "Junk", "", Unknown)...), Version: fzPick(g, "", "1", "2", Unknown)},
			TimeoutInMinutes: fzPick(g, 0, 5, 4, 86401, UnknownInt),
			InputArtifacts:   g.artifacts(g.intn(3), nil),
		}
		if !g.rare(6) {
			r.Configuration = map[string]string{}
			for m := g.intn(4); m > 0; m-- {
				k := fzPick(g, "Cron", "TimeZone", "Operator", "Variable", "Value", "FunctionName", "AlarmName", "WaitTime", "AlarmStates", "")
				r.Configuration[k] = fzPick(g, "* * 9-17 ? * MON-FRI", "0 0 * * * *", "? ? ? ? ? ?", "EQ", "LIKE", "Europe/Paris", "Mars/Olympus", "x", "", Unknown, "-3", "ALARM,OK", "BAD")
			}
		}
		if g.intn(3) == 2 {
			r.Commands = []string{fzPick(g, "make", "", Unknown)}
		}
		if g.rare(8) {
			r.UnknownAttrs = []string{fzPick(g, "configuration", "commands", "input_artifacts")}
		}
		c.Rules = append(c.Rules, r)
	}
	return c
}

func (g *fuzzGen) pipeline() *Pipeline {
	p := &Pipeline{
		Name:          fzPick(g, "app", "", Unknown, "bad name", strings.Repeat("p", 101)),
		RoleARN:       fzPick(g, "arn:aws:iam::111111111111:role/pipeline", "", Unknown, "arn:aws:iam::222222222222:role/pipeline", "junk"),
		PipelineType:  fzPick(g, "", PipelineTypeV2, PipelineTypeV1, "V3", Unknown),
		ExecutionMode: fzPick(g, "", ExecutionModeSuperseded, ExecutionModeQueued, ExecutionModeParallel, "junk", Unknown),
	}
	// The shape comes first, at fixed offsets, so that seeds can choose it.
	nStages := fzPick(g, 2, 3, 1, 4, 0, 5, 8, 12, 51)
	nTriggers := fzPick(g, 0, 0, 1, 2, 4)
	nVars := fzPick(g, 0, 0, 1, 3, 51)
	for n := fzPick(g, 1, 1, 0, 2, 3); len(p.ArtifactStores) < n; {
		sg := g.sub(6)
		ref := ArtifactStoreRef{Location: fzPick(sg, fzBuckets...), Type: fzPick(sg, "S3", "", "GCS")}
		if n > 1 || sg.rare(4) {
			ref.Region = fzPick(sg, fzRegions...)
		}
		if sg.intn(3) != 0 {
			ref.EncryptionKey = &EncryptionKey{ID: fzPick(sg, fzKeys...), Type: fzPick(sg, "KMS", "", "AES")}
		}
		p.ArtifactStores = append(p.ArtifactStores, ref)
	}
	// Every stage's header comes before the actions, so a short input already chooses a large
	// shape, and the actions it has no bytes for take the default choices.
	budget := fzMaxActions
	counts := make([]int, nStages)
	for i := range counts {
		sg := g.sub(4)
		counts[i] = min(fzPick(sg, 1, 2, 1, 3, 0, 4, 6, 10, 51), budget)
		budget -= counts[i]
		s := Stage{Name: fmt.Sprintf("S%d", i)}
		if r := fzPick(sg, "", "", "ROLLBACK", "FAIL", "RETRY", Unknown); r != "" {
			s.OnFailure = &FailureConditions{Result: r}
		}
		if name := fzPick(sg, fzNames...); sg.rare(4) {
			s.Name = name
		}
		p.Stages = append(p.Stages, s)
	}
	var produced, sources []string
	for i, nActions := range counts {
		s := &p.Stages[i]
		// Outputs become visible to later stages only, but inputs may name them anyway.
		var stageOut []string
		for j := 0; j < nActions; j++ {
			a := g.sub(fzActionRecord).action(i, j, produced)
			stageOut = append(stageOut, a.OutputArtifacts...)
			if a.Category == CategorySource {
				sources = append(sources, a.Name)
			}
			s.Actions = append(s.Actions, a)
		}
		produced = append(produced, stageOut...)
	}
	for len(p.Triggers) < nTriggers {
		p.Triggers = append(p.Triggers, g.sub(fzTriggerRecord).trigger(sources))
	}
	for i := 0; i < nVars; i++ {
		vg := g.sub(4)
		p.Variables = append(p.Variables, Variable{
			Name:         fzPick(vg, fmt.Sprintf("v%d", i), "env", "", Unknown, "bad name", strings.Repeat("n", 129)),
			DefaultValue: fzPick(vg, "", "x", strings.Repeat("d", 1001), Unknown),
			Description:  fzPick(vg, "", "d", strings.Repeat("d", 201), Unknown),
		})
	}
	return p
}

// Record sizes: generous, since running out of bytes only means default choices.
const (
	fzActionRecord  = 32
	fzTriggerRecord = 96
)

// fzMaxActions caps a pipeline's size: 51 stages of 51 actions would take the fuzzer seconds
// per input and find nothing a 300-action pipeline does not (the benchmarks cover size).
const fzMaxActions = 300

func (g *fuzzGen) action(stage, j int, produced []string) Action {
	a := Action{
		Name:             fmt.Sprintf("A%d_%d", stage, j),
		Version:          fzPick(g, "1", "2", "", "1234567890", Unknown, "v 1"),
		RunOrder:         fzPick(g, 0, 1, 2, 3, 999, 1000, -5, UnknownInt),
		RoleARN:          fzPick(g, fzRoles...),
		Region:           fzPick(g, fzRegions...),
		Namespace:        fzPick(g, "", "", "", "NS1", "NS2", "SourceVars", Unknown, "bad ns"),
		TimeoutInMinutes: fzPick(g, 0, 0, 0, 5, 60, 4, 86401),
	}
	if g.rare(5) {
		a.Name = fzPick(g, fzNames...)
	}
	// Written explicitly: every value but an absent one, and sometimes an explicit 0.
	a.RunOrderSet = a.RunOrder != 0 || g.rare(4)
	var t *ActionType
	switch mode := g.intn(8); {
	case mode < 5:
		list := fzOtherTypes
		if stage == 0 {
			list = fzSourceTypes
		}
		id := fzPick(g, list...)
		a.Category, a.Owner, a.Provider = id.Category, id.Owner, id.Provider
		t, _ = LookupActionType(id)
	case mode == 5:
		id := fzPick(g, ActionTypes...).ID
		a.Category, a.Owner, a.Provider = id.Category, id.Owner, id.Provider
		t, _ = LookupActionType(id)
	case mode == 6:
		a.Category, a.Owner, a.Provider = fzPick(g, Categories...), OwnerCustom, fzPick(g, "Jenkins", "MyTool", "")
	default:
		a.Category = fzPick(g, append(append([]string{}, Categories...), "Junk", "", Unknown)...)
		a.Owner = fzPick(g, append(append([]string{}, Owners...), "Nobody", "", Unknown)...)
		a.Provider = fzPick(g, "S3", "CodeBuild", "Manual", "Junk!", "", Unknown, strings.Repeat("P", 36))
	}
	in, out := Range{0, 5}, Range{0, 5}
	if t != nil {
		in, out = t.Inputs, t.Outputs
	}
	a.InputArtifacts = g.artifacts(g.count(in), produced)
	a.OutputArtifacts = g.artifacts(g.count(out), nil)
	if !g.rare(8) {
		a.Configuration = map[string]string{}
		if t != nil {
			for _, k := range t.Required {
				if !g.rare(8) {
					a.Configuration[k] = g.configValue(k, a.InputArtifacts)
				}
			}
		}
		for n := g.intn(3); n > 0; n-- {
			k := fzPick(g, fzExtraKeys...)
			a.Configuration[k] = g.configValue(k, a.InputArtifacts)
		}
	}
	if g.rare(8) {
		a.UnknownAttrs = []string{fzPick(g, "configuration", "input_artifacts", "output_artifacts")}
	}
	return a
}

// count picks a count in r most of the time, and outside it now and then.
func (g *fuzzGen) count(r Range) int {
	if g.rare(6) {
		return g.intn(12)
	}
	if r.Max < r.Min {
		return 0
	}
	return r.Min + g.intn(r.Max-r.Min+1)
}

// artifacts picks n artifact names: from those produced so far when any, else from a small
// shared set so that names repeat across actions, and junk now and then.
func (g *fuzzGen) artifacts(n int, produced []string) []string {
	var out []string
	for ; n > 0; n-- {
		switch {
		case g.rare(10):
			out = append(out, fzPick(g, fzArtifactJunk...))
		case len(produced) > 0 && !g.rare(4):
			out = append(out, fzPick(g, produced...))
		default:
			out = append(out, fmt.Sprintf("art%d", g.intn(16)))
		}
	}
	return out
}

func (g *fuzzGen) configValue(key string, inputs []string) string {
	switch key {
	case "Extract", "PollForSourceChanges":
		return fzPick(g, "true", "false", "TRUE", Unknown, "")
	case "ActionMode":
		return fzPick(g, "CREATE_UPDATE", "CHANGE_SET_REPLACE", "CHANGE_SET_EXECUTE", "DELETE_ONLY", Unknown, "junk")
	case "PrimarySource", "TemplatePath":
		name := "missing"
		if len(inputs) > 0 && !g.rare(4) {
			name = fzPick(g, inputs...)
		}
		if key == "TemplatePath" {
			return fzPick(g, name+"::template.yml", "nocolon", Unknown, "::x")
		}
		return fzPick(g, name, Unknown, "")
	}
	return fzPick(g, fzValues...)
}

func (g *fuzzGen) trigger(sources []string) Trigger {
	t := Trigger{
		ProviderType:     fzPick(g, TriggerProviderCodeStarSourceConnection, "", "GitHub", Unknown),
		SourceActionName: fzPick(g, "A0_0", "Nope", "", Unknown, "A1_0"),
	}
	if len(sources) > 0 && !g.rare(4) {
		t.SourceActionName = fzPick(g, sources...)
	}
	for n := fzPick(g, 1, 0, 2, 3, 4); len(t.Push) < n; {
		t.Push = append(t.Push, GitFilter{Branches: g.glob(), Tags: g.glob(), FilePaths: g.glob()})
	}
	for n := fzPick(g, 0, 1, 3, 4); len(t.PullRequest) < n; {
		f := GitFilter{Branches: g.glob(), FilePaths: g.glob()}
		for m := fzPick(g, 0, 1, 3, 4); len(f.Events) < m; {
			f.Events = append(f.Events, fzPick(g, append(append([]string{}, PullRequestEvents...), "MERGED", Unknown)...))
		}
		t.PullRequest = append(t.PullRequest, f)
	}
	return t
}

func (g *fuzzGen) glob() *GlobFilter {
	if g.intn(2) == 0 {
		return nil
	}
	return &GlobFilter{Includes: g.patterns(), Excludes: g.patterns()}
}

func (g *fuzzGen) patterns() []string {
	var out []string
	for n := fzPick(g, 1, 0, 2, 8, 9); len(out) < n; {
		out = append(out, fzPick(g, fzPatterns...))
	}
	return out
}

func (g *fuzzGen) roleList() []string {
	var out []string
	for n := g.intn(4); n > 0; n-- {
		out = append(out, fzPick(g, fzRoles...))
	}
	return out
}

func (g *fuzzGen) store() *ArtifactStore {
	return &ArtifactStore{
		Bucket:            fzPick(g, fzBuckets...),
		AccountID:         fzPick(g, fzAccounts...),
		Region:            fzPick(g, fzRegions...),
		Versioning:        !g.rare(4),
		EncryptionKeyARN:  fzPick(g, fzKeys...),
		CrossAccountRoles: g.roleList(),
		Policy:            fzPick(g, fzPolicies...),
	}
}

func (g *fuzzGen) key() *Key {
	return &Key{
		ARN:             fzPick(g, fzKeys...),
		AccountID:       fzPick(g, fzAccounts...),
		CustomerManaged: !g.rare(4),
		RotationEnabled: !g.rare(3),
		GranteeRoles:    g.roleList(),
		Policy:          fzPick(g, fzPolicies...),
	}
}

func (g *fuzzGen) role() *Role {
	r := &Role{
		ARN:         fzPick(g, fzRoles...),
		AccountID:   fzPick(g, fzAccounts...),
		TrustPolicy: fzPick(g, fzPolicies...),
	}
	for n := g.intn(3); n > 0; n-- {
		r.IdentityPolicies = append(r.IdentityPolicies, fzPick(g, fzPolicies...))
	}
	return r
}

func (g *fuzzGen) webhook() *Webhook {
	w := &Webhook{
		Name:           fzPick(g, "hook", "", Unknown),
		Authentication: fzPick(g, WebhookAuthGitHubHMAC, WebhookAuthIP, WebhookAuthUnauthenticated, "", "BASIC", Unknown),
		SecretToken:    fzPick(g, "tok", "", Unknown, " "),
		AllowedIPRange: fzPick(g, "10.0.0.0/8", "10.0.0.1", "", Unknown, "::/0", "300.1.1.1/8"),
		TargetPipeline: fzPick(g, "app", "", Unknown),
		TargetAction:   fzPick(g, "A0_0", "", Unknown, "Nope"),
	}
	for n := g.intn(3); n > 0; n-- {
		w.Filters = append(w.Filters, WebhookFilter{
			JSONPath:    fzPick(g, "$.ref", "", "bad", Unknown),
			MatchEquals: fzPick(g, "refs/heads/main", "", "{Branch}", Unknown),
		})
	}
	return w
}

// facts knows about the pipeline's account and, when rich, stores, keys and roles (with a nil
// entry now and then: a missing fact must not crash a rule).
func (g *fuzzGen) facts(rich bool) Facts {
	f := Facts{AccountID: fzPick(g, "111111111111", "", "222222222222"), Region: fzPick(g, "us-east-1", "", "eu-west-1")}
	if !rich {
		return f
	}
	f.Stores, f.Keys, f.Roles = map[string]*ArtifactStore{}, map[string]*Key{}, map[string]*Role{}
	for n := g.intn(4); n > 0; n-- {
		s := g.store()
		if g.rare(8) {
			s = nil
		}
		f.Stores[fzPick(g, fzBuckets...)] = s
	}
	for n := g.intn(3); n > 0; n-- {
		k := g.key()
		if g.rare(8) {
			k = nil
		}
		f.Keys[fzPick(g, fzKeys...)] = k
	}
	for n := g.intn(4); n > 0; n-- {
		r := g.role()
		if g.rare(8) {
			r = nil
		}
		f.Roles[fzPick(g, fzRoles...)] = r
	}
	return f
}

// Top-level attributes of each subject's Terraform schema: every finding's path starts with one.
var (
	pipelineAttrs = fzAttrSet("name", "role_arn", "pipeline_type", "execution_mode", "artifact_store", "stage", "trigger", "variable", "tags")
	storeAttrs    = fzAttrSet("bucket", "versioning", "encryption_key_arn", "cross_account_roles", "force_destroy", "arn", "account_id", "region", "policy")
	keyAttrs      = fzAttrSet("description", "alias", "grantee_roles", "enable_key_rotation", "deletion_window_in_days", "arn", "key_id", "policy")
	roleAttrs     = fzAttrSet("name", "trusted_account_id", "artifact_bucket_arn", "key_arn", "arn", "policy", "trust_policy")
	webhookAttrs  = fzAttrSet("name", "authentication", "authentication_configuration", "filter", "target_pipeline", "target_action", "url", "tags")
)

func fzAttrSet(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// checkFuzzFindings asserts the catalogue invariants of fs, found for a subject with these
// top-level attributes.
func checkFuzzFindings(t *testing.T, subject string, attrs map[string]bool, fs []Finding) {
	t.Helper()
	for _, f := range fs {
		r, ok := Lookup(f.Rule)
		if !ok {
			t.Errorf("%s: finding of rule %q, which is not in the catalogue: %v", subject, f.Rule, f)
			continue
		}
		if f.Severity != r.Severity {
			t.Errorf("%s: finding has severity %v, the catalogue says %v: %v", subject, f.Severity, r.Severity, f)
		}
		if len(f.Path) == 0 || f.Path[0].Kind != StepAttr || !attrs[f.Path[0].Name] {
			t.Errorf("%s: path %q does not start with a top-level attribute: %v", subject, f.Path, f)
		}
		if f.Message == "" {
			t.Errorf("%s: finding without a message: %v", subject, f)
		}
	}
}

// shortenMinimizeTime lowers -test.fuzzminimizetime from its 60s default to 3s unless it was
// given on the command line. Go minimizes every new interesting input, and on inputs of a few
// hundred bytes its sub-slice pass runs until the limit: with the default, a 60-second run spends
// most of its time minimizing instead of fuzzing. Crashers are small and minimize in time anyway.
func shortenMinimizeTime() {
	const name = "test.fuzzminimizetime"
	explicit := false
	flag.Visit(func(fl *flag.Flag) { explicit = explicit || fl.Name == name })
	if fl := flag.Lookup(name); fl != nil && !explicit {
		_ = fl.Value.Set("3s")
	}
}

// renderFuzzFindings renders every field of each finding, path kinds included (a key prints
// quoted, an index bare).
func renderFuzzFindings(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = strings.Join([]string{f.Rule, f.Severity.String(), f.Title, f.Path.String(), f.Message, f.Fix}, "\x00")
	}
	return out
}

func FuzzValidate(f *testing.F) {
	shortenMinimizeTime()
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0}, 64))
	f.Add([]byte{0x1f, 0, 0, 0, 0, 0, 8, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
	f.Add(bytes.Repeat([]byte{0xff, 0x13, 0x07, 0x42}, 200))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fuzzInput(data)
		got := Validate(in)
		// Determinism: a second call gives the same findings (which also catches a rule that
		// mutates its input). Rendered findings compare alike and cmp is far faster on them.
		if a, b := renderFuzzFindings(got), renderFuzzFindings(Validate(in)); !cmp.Equal(a, b) {
			t.Fatalf("Validate is not deterministic (-first +second):\n%s", cmp.Diff(a, b))
		}
		// Each subject on its own: paths must be in that subject's schema.
		subjects := []struct {
			name  string
			attrs map[string]bool
			in    Input
			set   bool
		}{
			{"pipeline", pipelineAttrs, Input{Pipeline: in.Pipeline, Facts: in.Facts}, in.Pipeline != nil},
			{"store", storeAttrs, Input{Store: in.Store, Facts: in.Facts}, in.Store != nil},
			{"key", keyAttrs, Input{Key: in.Key, Facts: in.Facts}, in.Key != nil},
			{"role", roleAttrs, Input{Role: in.Role, Facts: in.Facts}, in.Role != nil},
			{"webhook", webhookAttrs, Input{Webhook: in.Webhook, Facts: in.Facts}, in.Webhook != nil},
		}
		union, n := map[string]bool{}, 0
		for _, s := range subjects {
			if s.set {
				n++
				for a := range s.attrs {
					union[a] = true
				}
			}
		}
		for _, s := range subjects {
			switch {
			case !s.set:
			case n == 1: // the input is this subject alone: got says it all
				checkFuzzFindings(t, s.name, s.attrs, got)
			default:
				checkFuzzFindings(t, s.name, s.attrs, Validate(s.in))
			}
		}
		if n != 1 { // several subjects, or none: then no rule may report at all
			checkFuzzFindings(t, "all subjects", union, got)
		}
	})
}

// TestFuzzGenShapes checks that the generator really varies the structure, so the fuzz target
// is not stuck on one shape: the seed corpus covers small and large pipelines and every subject.
func TestFuzzGenShapes(t *testing.T) {
	small := fuzzInput(nil)
	if small.Pipeline == nil || len(small.Pipeline.Stages) != 2 {
		t.Fatalf("empty input: want a 2-stage pipeline, got %+v", small.Pipeline)
	}
	if fs := Validate(small); HasErrors(fs) {
		t.Errorf("empty input should give a valid pipeline, got %v", fs)
	}
	maxActions := 0
	var subjects [5]bool
	for _, seed := range fuzzSeedCorpus(t) {
		in := fuzzInput(seed)
		if in.Pipeline != nil {
			n := 0
			for _, s := range in.Pipeline.Stages {
				n += len(s.Actions)
			}
			maxActions = max(maxActions, n)
			subjects[0] = true
		}
		subjects[1] = subjects[1] || in.Store != nil
		subjects[2] = subjects[2] || in.Key != nil
		subjects[3] = subjects[3] || in.Role != nil
		subjects[4] = subjects[4] || in.Webhook != nil
	}
	if maxActions < 100 {
		t.Errorf("the seed corpus's largest pipeline has %d actions; want one with 100 or more", maxActions)
	}
	if subjects != [5]bool{true, true, true, true, true} {
		t.Errorf("the seed corpus misses a subject (pipeline, store, key, role, webhook): %v", subjects)
	}
}

// fuzzSeedCorpus reads the byte inputs of testdata/fuzz/FuzzValidate (the `go test fuzz v1`
// format, one []byte value per file).
func fuzzSeedCorpus(t *testing.T) map[string][]byte {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", "FuzzValidate")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		header, value, _ := strings.Cut(string(raw), "\n")
		value = strings.TrimSpace(value)
		lit, ok := strings.CutPrefix(value, "[]byte(")
		lit, ok2 := strings.CutSuffix(lit, ")")
		if header != "go test fuzz v1" || !ok || !ok2 {
			t.Fatalf("%s: not a `go test fuzz v1` file with one []byte value", e.Name())
		}
		s, err := strconv.Unquote(lit)
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out[e.Name()] = []byte(s)
	}
	if len(out) < 8 {
		t.Errorf("the seed corpus has %d files; want at least 8", len(out))
	}
	return out
}
