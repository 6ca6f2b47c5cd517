// Package backendtest is the conformance suite of internal/backend: the contract every
// backend kind meets, as table-driven tests. Each case gets a fresh, empty partition from the
// constructor the caller passes, and acts in it as two accounts.
//
// The local backend runs it in internal/backend/backends (through backend.Open), and the aws
// backend against the local cloud's AWS endpoint; a new kind adds the same call for itself.
// A case belongs to a capability: the core ones every backend offers (stores, objects, keys,
// roles, pipelines, facts) and the optional ones (backend.Capabilities). A case of an optional
// capability the backend lacks does not apply: it checks instead that the backend refuses the
// capability with an UnsupportedError naming it, and says so in the test log; Run reports how
// many cases applied per capability.
//
// Where the kinds differ by nature rather than by capability — a local cloud sees every
// account it holds, a backend acting as one AWS identity sees what IAM lets it — the case
// asserts each side explicitly (see seesOtherAccounts).
package backendtest

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// Partition opens backend values over one fresh, empty partition: each call acts as one
// account and region of it. The suite closes what it opens.
type Partition func(t *testing.T, accountID, region string) backend.Backend

// Fresh makes a new, empty partition for one case (its cleanup registered on t).
type Fresh func(t *testing.T) Partition

// Options say where the suite acts.
type Options struct {
	// Region is the region of every account ("" = us-east-1). Run the suite in a region of
	// another partition (us-gov-west-1, cn-north-1) to check that ARNs follow it.
	Region string
}

// The two accounts of every case: A owns pipelines, stores and keys; B is the other account.
const (
	AccountA = "111111111111"
	AccountB = "222222222222"
)

// waitFor bounds every wait for a run: generous, because a loaded machine is slow; never an
// assertion on speed.
const waitFor = 60 * time.Second

// env is what a case acts with.
type env struct {
	t      *testing.T
	ctx    context.Context
	region string
	part   arn.Partition
	a, b   backend.Backend
	open   Partition
}

// Case is one conformance case.
type Case struct {
	// Capability is "stores", "objects", "keys", "roles", "pipelines", "facts", or an optional
	// capability (backend.Capability): the case applies to a backend that offers it.
	Capability string
	Name       string
	run        func(e *env)
}

// optional reports whether the case belongs to an optional capability, and which.
func (c Case) optional() (backend.Capability, bool) {
	for _, o := range optionalCapabilities {
		if string(o.c) == c.Capability {
			return o.c, true
		}
	}
	return "", false
}

// optionalCapabilities are the capabilities a backend may lack, each with how it is asked for.
var optionalCapabilities = []struct {
	c   backend.Capability
	get func(backend.Backend) error
}{
	{backend.CapabilityRuns, func(b backend.Backend) error { _, err := backend.RunsOf(b); return err }},
	{backend.CapabilityWebhooks, func(b backend.Backend) error { _, err := backend.WebhooksOf(b); return err }},
	{backend.CapabilityTriggers, func(b backend.Backend) error { _, err := backend.TriggersOf(b); return err }},
	{backend.CapabilityCloud, func(b backend.Backend) error { _, err := backend.CloudOf(b); return err }},
	{backend.CapabilityActionLogs, func(b backend.Backend) error { _, err := backend.ActionLogsOf(b); return err }},
}

// Cases lists the suite, by capability.
func Cases() []Case {
	var all []Case
	for _, group := range [][]Case{storeCases, objectCases, keyCases, roleCases, pipelineCases, factCases, runCases, runActionTypeCases, actionLogCases, conditionCases, webhookCases, triggerCases, secretCases,
		wireObjectCases, wireKeyCases, wireRoleCases, wirePipelineCases, cloudCases} {
		all = append(all, group...)
	}
	return all
}

// Run runs every case against fresh partitions.
func Run(t *testing.T, fresh Fresh, opts Options) {
	region := opts.Region
	if region == "" {
		region = backend.DefaultRegion
	}
	var mu sync.Mutex
	applied, refused := map[string]int{}, map[string]int{}
	for _, c := range Cases() {
		t.Run(c.Capability+"/"+c.Name, func(t *testing.T) {
			open := fresh(t)
			e := &env{t: t, ctx: context.Background(), region: region, part: arn.PartitionOf(region), open: open}
			e.a = e.as(AccountA)
			e.b = e.as(AccountB)
			if capability, ok := c.optional(); ok && !backend.Has(e.a, capability) {
				refusesCapability(t, e.a, capability)
				mu.Lock()
				refused[c.Capability]++
				mu.Unlock()
				return
			}
			mu.Lock()
			applied[c.Capability]++
			mu.Unlock()
			c.run(e)
		})
	}
	var summary []string
	for _, c := range Cases() {
		if n := applied[c.Capability] + refused[c.Capability]; n > 0 {
			line := fmt.Sprintf("%s: %d applied", c.Capability, applied[c.Capability])
			if refused[c.Capability] > 0 {
				line = fmt.Sprintf("%s: %d did not apply (capability refused, as checked)", c.Capability, refused[c.Capability])
			}
			summary = append(summary, line)
			delete(applied, c.Capability)
			delete(refused, c.Capability)
		}
	}
	t.Logf("conformance cases by capability: %s", strings.Join(summary, "; "))
}

// refusesCapability checks that b, which does not list capability among its capabilities,
// refuses it as the door says: an UnsupportedError naming the backend and the capability.
func refusesCapability(t *testing.T, b backend.Backend, capability backend.Capability) {
	t.Helper()
	for _, o := range optionalCapabilities {
		if o.c != capability {
			continue
		}
		err := o.get(b)
		var ue *backend.UnsupportedError
		if !errors.As(err, &ue) || ue.Capability != capability || ue.Kind != b.Identity().Kind || !errors.Is(err, backend.ErrUnsupported) {
			t.Fatalf("the %s backend does not list %s, but asking for it gives %v, want an UnsupportedError", b.Identity().Kind, capability, err)
		}
		t.Logf("does not apply: the %s backend lacks %s, and refuses it: %v", b.Identity().Kind, capability, err)
		return
	}
	t.Fatalf("no way to ask for capability %s", capability)
}

// seesOtherAccounts reports whether the backend reads what another account holds without that
// account's grant: a local cloud (backend.Cloud) holds every account and reads them all; a
// backend acting as one AWS identity reads what IAM and the resource policies let it, and
// leaves the rest out of the facts, naming it in Facts.Unreadable.
func (e *env) seesOtherAccounts() bool { return backend.Has(e.a, backend.CapabilityCloud) }

// as opens the partition as account, closed at the end of the case.
func (e *env) as(account string) backend.Backend {
	e.t.Helper()
	b := e.open(e.t, account, e.region)
	e.t.Cleanup(func() { b.Close() })
	if id := b.Identity(); id.AccountID != account || id.Region != e.region {
		e.t.Fatalf("backend acts as %s in %s, want %s in %s", id.AccountID, id.Region, account, e.region)
	}
	return b
}

// ---- helpers ----

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr fails unless err wraps target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want %v", what, err, target)
	}
}

func equal[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := zw.Create(n)
		ok(t, err)
		_, err = w.Write([]byte(files[n]))
		ok(t, err)
	}
	ok(t, zw.Close())
	return buf.Bytes()
}

// pipelineOf is a pipeline of account A named name: a source stage reading SOURCE/app.zip
// from bucket name+"-source" into artifact src, then stages; its store is name+"-artifacts".
func (e *env) pipelineOf(name string, stages ...pipeline.Stage) *pipeline.Pipeline {
	p := &pipeline.Pipeline{
		Name: name, RoleARN: e.part.Role(AccountA, "pipeline"), PipelineType: pipeline.PipelineTypeV2,
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: name + "-artifacts", Type: pipeline.ArtifactStoreTypeS3}},
		Stages: []pipeline.Stage{{Name: "Source", Actions: []pipeline.Action{{
			Name: "Fetch", Category: pipeline.CategorySource, Owner: pipeline.OwnerAWS, Provider: "S3", Version: "1",
			Configuration:   map[string]string{"S3Bucket": name + "-source", "S3ObjectKey": "app.zip", "PollForSourceChanges": "false"},
			OutputArtifacts: []string{"src"},
		}}}},
	}
	if len(stages) == 0 {
		// CodePipeline takes 2 to 50 stages, and something besides the source.
		stages = []pipeline.Stage{{Name: "Wait", Actions: []pipeline.Action{approval("Gate")}}}
	}
	p.Stages = append(p.Stages, stages...)
	return p
}

// inB makes p a pipeline of account B: its role is B's (an account passes its own roles to
// CodePipeline).
func (e *env) inB(p *pipeline.Pipeline) *pipeline.Pipeline {
	p.RoleARN = e.part.Role(AccountB, "pipeline")
	return p
}

// commands is a Build/Commands action reading src and running the commands.
func commands(name string, runOrder int, lines ...string) pipeline.Action {
	return pipeline.Action{
		Name: name, Category: pipeline.CategoryBuild, Owner: pipeline.OwnerAWS, Provider: "Commands", Version: "1", RunOrder: runOrder,
		Commands: lines, InputArtifacts: []string{"src"},
	}
}

// setup creates p's buckets (versioned), its source object, and p itself in account A.
func (e *env) setup(p *pipeline.Pipeline) *backend.PipelineRecord {
	e.t.Helper()
	for _, b := range []string{p.Name + "-artifacts", p.Name + "-source"} {
		must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: b, Versioning: true}))
	}
	must[string](e.t)(e.a.PutObject(e.ctx, "", p.Name+"-source", "app.zip", bytes.NewReader(zipOf(e.t, map[string]string{"index.html": "hello"}))))
	return must[*backend.PipelineRecord](e.t)(e.a.CreatePipeline(e.ctx, p))
}

// everyField is a pipeline with every field the domain holds set (the stored definition must
// give all of it back).
func (e *env) everyField(name string) *pipeline.Pipeline {
	other := "us-west-2"
	if e.part != arn.AWS {
		other = e.region
	}
	stores := []pipeline.ArtifactStoreRef{
		{Location: name + "-artifacts", Type: "S3", Region: e.region, EncryptionKey: &pipeline.EncryptionKey{ID: "alias/" + name, Type: "KMS"}},
	}
	if other != e.region {
		stores = append(stores, pipeline.ArtifactStoreRef{Location: name + "-west", Type: "S3", Region: other})
	}
	return &pipeline.Pipeline{
		Name: name, RoleARN: e.part.Role(AccountA, "pipeline"), PipelineType: "V2", ExecutionMode: "QUEUED",
		ArtifactStores: stores,
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{{Name: "Checkout", Category: "Source", Owner: "AWS", Provider: "CodeStarSourceConnection",
				Version: "1", Namespace: "Src", OutputArtifacts: []string{"src"},
				Configuration: map[string]string{"ConnectionArn": "arn:" + string(e.part) + ":codestar-connections:" + e.region + ":" + AccountA + ":connection/c",
					"FullRepositoryId": "org/app", "BranchName": "main"}}}},
			{Name: "Test", OnFailure: &pipeline.FailureConditions{Result: "RETRY", RetryConfiguration: &pipeline.RetryConfiguration{RetryMode: "ALL_ACTIONS"}},
				OnSuccess: &pipeline.Condition{Result: "ROLLBACK", Rules: []pipeline.ConditionRule{{Name: "Smoke",
					RuleTypeID: pipeline.RuleTypeID{Category: "Rule", Owner: "AWS", Provider: "Commands", Version: "1"},
					Commands:   []string{"./smoke.sh", "echo done"}, InputArtifacts: []string{"src"}, TimeoutInMinutes: 15}}},
				Actions: []pipeline.Action{
					{Name: "Unit", Category: "Test", Owner: "AWS", Provider: "CodeBuild", Version: "1", RunOrder: 1,
						Configuration: map[string]string{"ProjectName": "unit"}, InputArtifacts: []string{"src"}, OutputArtifacts: []string{"report"}},
					{Name: "Lint", Category: "Compute", Owner: "AWS", Provider: "Commands", Version: "1", RunOrder: 1, InputArtifacts: []string{"src"},
						Commands: []string{"make lint", "export LINT=ok"}, OutputVariables: []string{"LINT"}},
					{Name: "Gate", Category: "Approval", Owner: "AWS", Provider: "Manual", Version: "1", RunOrder: 2, TimeoutInMinutes: 60},
				}},
			{Name: "Deploy",
				BeforeEntry: &pipeline.Condition{Result: "SKIP", Rules: []pipeline.ConditionRule{
					{Name: "Window", RuleTypeID: pipeline.RuleTypeID{Category: "Rule", Owner: "AWS", Provider: "DeploymentWindow", Version: "1"},
						Configuration: map[string]string{"Cron": "* * 9-16 ? * MON-FRI", "TimeZone": "Europe/Paris"}},
					{Name: "MainOnly", RuleTypeID: pipeline.RuleTypeID{Category: "Rule", Provider: "VariableCheck"},
						Configuration: map[string]string{"Variable": "#{Src.BranchName}", "Operator": "EQ", "Value": "main"},
						RoleARN:       e.part.Role(AccountA, "checker"), Region: e.region},
				}},
				OnFailure: &pipeline.FailureConditions{Result: "ROLLBACK", Condition: &pipeline.Condition{Result: "ROLLBACK", Rules: []pipeline.ConditionRule{
					{Name: "Health", RuleTypeID: pipeline.RuleTypeID{Category: "Rule", Owner: "AWS", Provider: "LambdaInvoke", Version: "1"},
						Configuration: map[string]string{"FunctionName": "health"}},
				}}},
				Actions: []pipeline.Action{{Name: "Ship", Category: "Deploy", Owner: "AWS", Provider: "S3",
					Version: "1", Region: e.region, RoleARN: e.part.Role(AccountB, "deployer"), InputArtifacts: []string{"report"},
					Configuration: map[string]string{"BucketName": "site", "Extract": "true"}}}},
		},
		Triggers: []pipeline.Trigger{{ProviderType: "CodeStarSourceConnection", SourceActionName: "Checkout",
			Push: []pipeline.GitFilter{{Branches: &pipeline.GlobFilter{Includes: []string{"main", "release/*"}, Excludes: []string{"release/old"}},
				FilePaths: &pipeline.GlobFilter{Includes: []string{"src/**"}}}, {Tags: &pipeline.GlobFilter{Includes: []string{"v*"}}}},
			PullRequest: []pipeline.GitFilter{{Events: []string{"OPEN", "UPDATED"}, Branches: &pipeline.GlobFilter{Includes: []string{"main"}}}},
		}},
		Variables: []pipeline.Variable{{Name: "env", DefaultValue: "prod", Description: "where"}, {Name: "empty"}},
		Tags:      map[string]string{"team": "platform"},
	}
}

// crossAccount is the seed of a cross-account deploy: in A a key granting B's deployer role
// and a versioned bucket granting it; in B the role, allowed to use both.
type crossAccount struct {
	key    *backend.Key
	bucket string
	role   string
}

func (e *env) crossAccount() *crossAccount {
	e.t.Helper()
	x := &crossAccount{bucket: "xacct-artifacts", role: e.part.Role(AccountB, "deployer")}
	x.key = must[*backend.Key](e.t)(e.a.CreateKey(e.ctx, backend.KeySpec{Description: "artifacts", Alias: "alias/xacct",
		RotationEnabled: true, Policy: policy.KeyPolicy(e.part, AccountA, []string{x.role}).JSON()}))
	must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: x.bucket, Versioning: true, EncryptionKeyARN: x.key.ARN,
		Policy: policy.BucketPolicy(e.part, x.bucket, []string{x.role}).JSON()}))
	must[*backend.Role](e.t)(e.b.CreateRole(e.ctx, backend.Role{Name: "deployer", TrustPolicy: policy.TrustPolicy(e.part, AccountA).JSON(),
		Policies: map[string]string{"artifacts": policy.TargetRolePolicy(e.part, x.bucket, x.key.ARN).JSON()}}))
	return x
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func describe(v any) string { return fmt.Sprintf("%+v", v) }
