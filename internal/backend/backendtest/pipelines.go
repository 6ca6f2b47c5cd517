package backendtest

import (
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

var pipelineCases = []Case{
	{"pipelines", "create and get: every field comes back", func(e *env) {
		p := e.everyField("full")
		rec := must[*backend.PipelineRecord](e.t)(e.a.CreatePipeline(e.ctx, p))
		if rec.Name != "full" || rec.Version != 1 || rec.AccountID != AccountA || rec.Region != e.region || rec.Created.IsZero() {
			e.t.Errorf("CreatePipeline = %+v", rec)
		}
		equal(e.t, "pipeline ARN", rec.ARN, arn.Pipeline(e.region, AccountA, "full"))
		if diff := cmp.Diff(p, rec.Definition, cmpopts.EquateEmpty()); diff != "" {
			e.t.Errorf("created definition (-given +stored):\n%s", diff)
		}
		got := must[*backend.PipelineRecord](e.t)(e.a.GetPipeline(e.ctx, "full"))
		if diff := cmp.Diff(rec, got, cmpopts.EquateEmpty()); diff != "" {
			e.t.Errorf("GetPipeline (-created +got):\n%s", diff)
		}
	}},
	{"pipelines", "not found, already exists, invalid", func(e *env) {
		_, err := e.a.GetPipeline(e.ctx, "missing")
		wantErr(e.t, "GetPipeline", err, backend.ErrNotFound)
		_, err = e.a.UpdatePipeline(e.ctx, e.pipelineOf("missing"))
		wantErr(e.t, "UpdatePipeline", err, backend.ErrNotFound)
		wantErr(e.t, "DeletePipeline", e.a.DeletePipeline(e.ctx, "missing"), backend.ErrNotFound)
		must[*backend.PipelineRecord](e.t)(e.a.CreatePipeline(e.ctx, e.pipelineOf("app")))
		_, err = e.a.CreatePipeline(e.ctx, e.pipelineOf("app"))
		wantErr(e.t, "the same name again", err, backend.ErrAlreadyExists)
		must[*backend.PipelineRecord](e.t)(e.b.CreatePipeline(e.ctx, e.pipelineOf("app"))) // names are per account
		_, err = e.a.CreatePipeline(e.ctx, e.pipelineOf("no spaces allowed"))
		wantErr(e.t, "an invalid name", err, backend.ErrInvalid)
		_, err = e.b.GetPipeline(e.ctx, "missing-in-b")
		wantErr(e.t, "GetPipeline in B", err, backend.ErrNotFound)
	}},
	{"pipelines", "update increments the version", func(e *env) {
		first := must[*backend.PipelineRecord](e.t)(e.a.CreatePipeline(e.ctx, e.pipelineOf("app")))
		p := e.pipelineOf("app", pipeline.Stage{Name: "Build", Actions: []pipeline.Action{commands("Make", 1, "true")}})
		p.ExecutionMode = pipeline.ExecutionModeParallel
		rec := must[*backend.PipelineRecord](e.t)(e.a.UpdatePipeline(e.ctx, p))
		if rec.Version != 2 || !rec.Created.Equal(first.Created) || rec.Updated.Before(first.Updated) {
			e.t.Errorf("UpdatePipeline = version %d created %s updated %s (first: %s %s)", rec.Version, rec.Created, rec.Updated, first.Created, first.Updated)
		}
		if diff := cmp.Diff(p, must[*backend.PipelineRecord](e.t)(e.a.GetPipeline(e.ctx, "app")).Definition, cmpopts.EquateEmpty()); diff != "" {
			e.t.Errorf("definition after update (-given +stored):\n%s", diff)
		}
	}},
	{"pipelines", "delete", func(e *env) {
		must[*backend.PipelineRecord](e.t)(e.a.CreatePipeline(e.ctx, e.pipelineOf("app")))
		ok(e.t, e.a.DeletePipeline(e.ctx, "app"))
		_, err := e.a.GetPipeline(e.ctx, "app")
		wantErr(e.t, "GetPipeline after delete", err, backend.ErrNotFound)
		must[*backend.PipelineRecord](e.t)(e.a.CreatePipeline(e.ctx, e.pipelineOf("app"))) // the name is free again
	}},
	{"pipelines", "list: this account and region, by name", func(e *env) {
		for _, n := range []string{"b", "a", "c"} {
			must[*backend.PipelineRecord](e.t)(e.a.CreatePipeline(e.ctx, e.pipelineOf(n)))
		}
		must[*backend.PipelineRecord](e.t)(e.b.CreatePipeline(e.ctx, e.pipelineOf("other")))
		var names []string
		for _, r := range must[[]*backend.PipelineRecord](e.t)(e.a.ListPipelines(e.ctx)) {
			names = append(names, r.Name)
			if r.Definition == nil || r.ARN != arn.Pipeline(e.region, AccountA, r.Name) {
				e.t.Errorf("listed %s: ARN %s, definition %v", r.Name, r.ARN, r.Definition != nil)
			}
		}
		if diff := cmp.Diff([]string{"a", "b", "c"}, names); diff != "" {
			e.t.Errorf("ListPipelines (-want +got):\n%s", diff)
		}
	}},
	{"pipelines", "import by name and by ARN", func(e *env) {
		rec := must[*backend.PipelineRecord](e.t)(e.a.CreatePipeline(e.ctx, e.pipelineOf("imported")))
		name := must[string](e.t)(arn.PipelineName(rec.ARN))
		if diff := cmp.Diff(rec, must[*backend.PipelineRecord](e.t)(e.a.GetPipeline(e.ctx, name)), cmpopts.EquateEmpty()); diff != "" {
			e.t.Errorf("GetPipeline by the ARN's name (-created +got):\n%s", diff)
		}
	}},
}

var factCases = []Case{
	{"facts", "same account: the store, its key by alias and ARN, the roles", func(e *env) {
		k := must[*backend.Key](e.t)(e.a.CreateKey(e.ctx, backend.KeySpec{Description: "k", Alias: "alias/art", RotationEnabled: true}))
		b := must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "art", Versioning: true, EncryptionKeyARN: k.ARN}))
		r := must[*backend.Role](e.t)(e.a.CreateRole(e.ctx, backend.Role{Name: "builder", TrustPolicy: trustOf(e, AccountA),
			Policies: map[string]string{"z": targetOf(e, "z"), "a": targetOf(e, "a")}}))
		p := e.pipelineOf("app", pipeline.Stage{Name: "Build", Actions: []pipeline.Action{func() pipeline.Action {
			a := commands("Make", 1, "true")
			a.RoleARN = r.ARN
			return a
		}()}})
		p.ArtifactStores = []pipeline.ArtifactStoreRef{{Location: "art", Type: "S3", EncryptionKey: &pipeline.EncryptionKey{ID: "alias/art", Type: "KMS"}}}
		f := must[pipeline.Facts](e.t)(e.a.Facts(e.ctx, p))
		key := &pipeline.Key{ARN: k.ARN, AccountID: AccountA, CustomerManaged: true, RotationEnabled: true, Policy: k.Policy}
		want := pipeline.Facts{
			AccountID: AccountA, Region: e.region,
			Stores: map[string]*pipeline.ArtifactStore{"art": {Bucket: "art", AccountID: AccountA, Region: e.region, Versioning: true, EncryptionKeyARN: k.ARN, Policy: b.Policy}},
			Keys:   map[string]*pipeline.Key{"alias/art": key, k.ARN: key},
			// Inline policies in the order of their names, so facts are stable.
			Roles: map[string]*pipeline.Role{r.ARN: {ARN: r.ARN, AccountID: AccountA, TrustPolicy: r.TrustPolicy,
				IdentityPolicies: []string{r.Policies["a"], r.Policies["z"]}}},
		}
		if diff := cmp.Diff(want, f, cmpopts.EquateEmpty()); diff != "" {
			e.t.Errorf("Facts (-want +got):\n%s", diff)
		}
	}},
	{"facts", "cross account: the other account's role; names resolve where they are", func(e *env) {
		x := e.crossAccount()
		p := e.pipelineOf("xacct", pipeline.Stage{Name: "Deploy", Actions: []pipeline.Action{{
			Name: "Ship", Category: "Deploy", Owner: "AWS", Provider: "S3", Version: "1", RoleARN: x.role,
			InputArtifacts: []string{"src"}, Configuration: map[string]string{"BucketName": "site", "Extract": "true"},
		}}})
		p.ArtifactStores = []pipeline.ArtifactStoreRef{{Location: x.bucket, Type: "S3", EncryptionKey: &pipeline.EncryptionKey{ID: x.key.ARN, Type: "KMS"}}}
		f := must[pipeline.Facts](e.t)(e.a.Facts(e.ctx, p))
		role := must[*backend.Role](e.t)(e.b.GetRole(e.ctx, "deployer"))
		if got := f.Roles[x.role]; got == nil || got.AccountID != AccountB || len(got.IdentityPolicies) != 1 || !samePolicy(got.IdentityPolicies[0], role.Policies["artifacts"]) {
			e.t.Errorf("facts of B's role from A = %+v", got)
		}
		if s := f.Stores[x.bucket]; s == nil || s.AccountID != AccountA || s.EncryptionKeyARN != x.key.ARN {
			e.t.Errorf("facts of the store = %+v", s)
		}
		if k := f.Keys[x.key.ARN]; k == nil || !k.CustomerManaged || k.AccountID != AccountA {
			e.t.Errorf("facts of the key = %+v", k)
		}
		// From B, the store (global name) and the key (by ARN) of A are known, and B's own role.
		fb := must[pipeline.Facts](e.t)(e.b.Facts(e.ctx, p))
		if fb.AccountID != AccountB || fb.Stores[x.bucket] == nil || fb.Keys[x.key.ARN] == nil || fb.Roles[x.role] == nil {
			e.t.Errorf("facts from B = %+v", fb)
		}
		// An alias resolves in the acting account: A's alias is not B's.
		p.ArtifactStores[0].EncryptionKey.ID = "alias/xacct"
		if fb := must[pipeline.Facts](e.t)(e.b.Facts(e.ctx, p)); fb.Keys["alias/xacct"] != nil {
			e.t.Errorf("B resolved A's alias: %+v", fb.Keys["alias/xacct"])
		}
	}},
	{"facts", "what does not exist or is not known is left out", func(e *env) {
		p := e.pipelineOf("ghost", pipeline.Stage{Name: "Build", Actions: []pipeline.Action{func() pipeline.Action {
			a := commands("Make", 1, "true")
			a.RoleARN = e.part.Role(AccountB, "missing")
			return a
		}(), func() pipeline.Action {
			a := commands("Later", 1, "true")
			a.RoleARN = pipeline.Unknown
			return a
		}()}})
		p.ArtifactStores = []pipeline.ArtifactStoreRef{{Location: pipeline.Unknown, Type: "S3", EncryptionKey: &pipeline.EncryptionKey{ID: "alias/none", Type: "KMS"}}}
		f := must[pipeline.Facts](e.t)(e.a.Facts(e.ctx, p))
		if len(f.Stores)+len(f.Keys)+len(f.Roles) != 0 || f.AccountID != AccountA || f.Region != e.region {
			e.t.Errorf("Facts of things that do not exist = %+v", f)
		}
	}},
}

func trustOf(e *env, account string) string { return policy.TrustPolicy(e.part, account).JSON() }

func targetOf(e *env, bucket string) string {
	return policy.TargetRolePolicy(e.part, bucket, "").JSON()
}
