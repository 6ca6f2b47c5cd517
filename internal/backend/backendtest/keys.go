package backendtest

import (
	"bytes"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

var keyCases = []Case{
	{"keys", "lookup by key id, key ARN, alias and alias ARN", func(e *env) {
		doc := policy.KeyPolicy(e.part, AccountA, []string{e.part.Role(AccountB, "r")}).JSON()
		k := must[*backend.Key](e.t)(e.a.CreateKey(e.ctx, backend.KeySpec{Description: "artifacts", Alias: "alias/artifacts", Policy: doc, RotationEnabled: true}))
		equal(e.t, "key ARN", k.ARN, arn.Key(e.region, AccountA, k.KeyID))
		if k.AccountID != AccountA || k.Region != e.region || !k.CustomerManaged || !k.RotationEnabled || k.State != backend.KeyStateEnabled ||
			k.Description != "artifacts" || !cmp.Equal(k.Aliases, []string{"alias/artifacts"}) || !samePolicy(k.Policy, doc) {
			e.t.Errorf("CreateKey = %+v", k)
		}
		for _, id := range []string{k.KeyID, k.ARN, "alias/artifacts", arn.Alias(e.region, AccountA, "alias/artifacts")} {
			got, err := e.a.GetKey(e.ctx, id)
			if err != nil {
				e.t.Errorf("GetKey(%s): %v", id, err)
				continue
			}
			if diff := cmp.Diff(k, got); diff != "" {
				e.t.Errorf("GetKey(%s) (-created +got):\n%s", id, diff)
			}
		}
		// Another account reaches the key by its ARN; its own alias namespace does not hold it.
		if got, err := e.b.GetKey(e.ctx, k.ARN); err != nil || got.KeyID != k.KeyID {
			e.t.Errorf("account B's GetKey by ARN = %v, %v", got, err)
		}
		_, err := e.b.GetKey(e.ctx, "alias/artifacts")
		wantErr(e.t, "account B's GetKey by A's alias name", err, backend.ErrNotFound)
	}},
	{"keys", "not found and already exists", func(e *env) {
		for _, id := range []string{"00000000-0000-0000-0000-000000000000", arn.Key(e.region, AccountA, "00000000-0000-0000-0000-000000000000"), "alias/none"} {
			_, err := e.a.GetKey(e.ctx, id)
			wantErr(e.t, "GetKey("+id+")", err, backend.ErrNotFound)
		}
		_, err := e.a.UpdateKey(e.ctx, "alias/none", backend.KeySpec{})
		wantErr(e.t, "UpdateKey of a missing key", err, backend.ErrNotFound)
		must[*backend.Key](e.t)(e.a.CreateKey(e.ctx, backend.KeySpec{Alias: "alias/taken"}))
		_, err = e.a.CreateKey(e.ctx, backend.KeySpec{Alias: "alias/taken"})
		wantErr(e.t, "a second key with the same alias", err, backend.ErrAlreadyExists)
		must[*backend.Key](e.t)(e.b.CreateKey(e.ctx, backend.KeySpec{Alias: "alias/taken"})) // aliases are per account
	}},
	{"keys", "update, alias moves, policy replaced", func(e *env) {
		k := must[*backend.Key](e.t)(e.a.CreateKey(e.ctx, backend.KeySpec{Description: "old", Alias: "alias/old"}))
		u := must[*backend.Key](e.t)(e.a.UpdateKey(e.ctx, k.ARN, backend.KeySpec{Description: "new", Alias: "alias/new", RotationEnabled: true}))
		if u.Description != "new" || !u.RotationEnabled || !cmp.Equal(u.Aliases, []string{"alias/new"}) {
			e.t.Errorf("UpdateKey = %+v", u)
		}
		_, err := e.a.GetKey(e.ctx, "alias/old")
		wantErr(e.t, "the alias the key left", err, backend.ErrNotFound)
		doc := policy.KeyPolicy(e.part, AccountA, []string{e.part.Role(AccountB, "r")}).JSON()
		p := must[*backend.Key](e.t)(e.a.PutKeyPolicy(e.ctx, "alias/new", doc))
		if !samePolicy(p.Policy, doc) || p.Description != "new" {
			e.t.Errorf("PutKeyPolicy = %+v", p)
		}
		_, err = e.a.PutKeyPolicy(e.ctx, k.KeyID, "not a policy")
		wantErr(e.t, "PutKeyPolicy of a document that does not parse", err, backend.ErrInvalid)
		_, err = e.b.UpdateKey(e.ctx, k.ARN, backend.KeySpec{Description: "theirs"})
		wantErr(e.t, "another account's UpdateKey", err, backend.ErrAccessDenied)
	}},
	{"keys", "scheduled deletion and its cancellation", func(e *env) {
		k := must[*backend.Key](e.t)(e.a.CreateKey(e.ctx, backend.KeySpec{Description: "k"}))
		for _, days := range []int{6, 31} {
			_, err := e.a.ScheduleKeyDeletion(e.ctx, k.KeyID, days)
			wantErr(e.t, "a deletion window outside 7–30 days", err, backend.ErrInvalid)
		}
		before := time.Now()
		d := must[*backend.Key](e.t)(e.a.ScheduleKeyDeletion(e.ctx, k.KeyID, 7))
		if d.State != backend.KeyStatePendingDeletion || d.DeletionDate.Before(before.Add(7*24*time.Hour-time.Hour)) {
			e.t.Errorf("ScheduleKeyDeletion(7) = state %s, date %s", d.State, d.DeletionDate)
		}
		c := must[*backend.Key](e.t)(e.a.CancelKeyDeletion(e.ctx, k.KeyID))
		if c.State == backend.KeyStatePendingDeletion || !c.DeletionDate.IsZero() {
			e.t.Errorf("CancelKeyDeletion = state %s, date %s", c.State, c.DeletionDate)
		}
	}},
	{"keys", "rotation: older objects still read", func(e *env) {
		k := must[*backend.Key](e.t)(e.a.CreateKey(e.ctx, backend.KeySpec{Description: "k", RotationEnabled: true}))
		must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "rot", Versioning: true, EncryptionKeyARN: k.ARN}))
		v1 := must[string](e.t)(e.a.PutObject(e.ctx, "", "rot", "k", bytes.NewReader([]byte("before"))))
		must[*backend.Key](e.t)(e.a.RotateKey(e.ctx, k.KeyID))
		v2 := must[string](e.t)(e.a.PutObject(e.ctx, "", "rot", "k", bytes.NewReader([]byte("after"))))
		for v, want := range map[string]string{v1: "before", v2: "after"} {
			body, _, err := e.a.GetObject(e.ctx, "", "rot", "k", v)
			if err != nil || string(body) != want {
				e.t.Errorf("version %s after rotation = %q, %v; want %q", v, body, err, want)
			}
		}
	}},
	{"keys", "the AWS-managed aws/s3 key", func(e *env) {
		m := must[*backend.Key](e.t)(e.a.GetKey(e.ctx, "alias/aws/s3"))
		if m.CustomerManaged || m.AccountID != AccountA || m.ARN != arn.Key(e.region, AccountA, m.KeyID) {
			e.t.Errorf("aws/s3 = %+v", m)
		}
		if again := must[*backend.Key](e.t)(e.a.GetKey(e.ctx, arn.Alias(e.region, AccountA, "alias/aws/s3"))); again.KeyID != m.KeyID {
			e.t.Errorf("aws/s3 by alias ARN is key %s, by alias %s", again.KeyID, m.KeyID)
		}
		_, err := e.a.UpdateKey(e.ctx, m.KeyID, backend.KeySpec{Description: "mine"})
		wantErr(e.t, "UpdateKey of an AWS-managed key", err, backend.ErrInvalid)
		if other := must[*backend.Key](e.t)(e.b.GetKey(e.ctx, "alias/aws/s3")); other.KeyID == m.KeyID {
			e.t.Errorf("accounts A and B share the aws/s3 key %s", m.KeyID)
		}
	}},
}

var roleCases = []Case{
	{"roles", "create, get by name and by ARN", func(e *env) {
		trust := policy.TrustPolicy(e.part, AccountA).JSON()
		doc := policy.TargetRolePolicy(e.part, "artifacts", "").JSON()
		r := must[*backend.Role](e.t)(e.b.CreateRole(e.ctx, backend.Role{Name: "deployer", TrustPolicy: trust, Policies: map[string]string{"artifacts": doc}}))
		equal(e.t, "role ARN", r.ARN, e.part.Role(AccountB, "deployer"))
		if r.AccountID != AccountB || !samePolicy(r.TrustPolicy, trust) || len(r.Policies) != 1 || !samePolicy(r.Policies["artifacts"], doc) {
			e.t.Errorf("CreateRole = %+v", r)
		}
		for _, id := range []string{"deployer", r.ARN} {
			if diff := cmp.Diff(r, must[*backend.Role](e.t)(e.b.GetRole(e.ctx, id))); diff != "" {
				e.t.Errorf("GetRole(%s) (-created +got):\n%s", id, diff)
			}
		}
		// Another account sees the role by its ARN (what the facts of a cross-account pipeline need).
		if diff := cmp.Diff(r, must[*backend.Role](e.t)(e.a.GetRole(e.ctx, r.ARN))); diff != "" {
			e.t.Errorf("account A's GetRole by ARN (-created +got):\n%s", diff)
		}
		_, err := e.a.GetRole(e.ctx, "deployer")
		wantErr(e.t, "account A's GetRole by B's role name", err, backend.ErrNotFound)
	}},
	{"roles", "not found and already exists", func(e *env) {
		_, err := e.a.GetRole(e.ctx, "missing")
		wantErr(e.t, "GetRole", err, backend.ErrNotFound)
		_, err = e.a.UpdateRole(e.ctx, backend.Role{Name: "missing"})
		wantErr(e.t, "UpdateRole", err, backend.ErrNotFound)
		wantErr(e.t, "PutRolePolicy", e.a.PutRolePolicy(e.ctx, "missing", "p", policy.TrustPolicy(e.part, AccountA).JSON()), backend.ErrNotFound)
		wantErr(e.t, "DeleteRole", e.a.DeleteRole(e.ctx, "missing"), backend.ErrNotFound)
		must[*backend.Role](e.t)(e.a.CreateRole(e.ctx, backend.Role{Name: "r", TrustPolicy: policy.TrustPolicy(e.part, AccountA).JSON()}))
		_, err = e.a.CreateRole(e.ctx, backend.Role{Name: "r", TrustPolicy: policy.TrustPolicy(e.part, AccountA).JSON()})
		wantErr(e.t, "the same role name again", err, backend.ErrAlreadyExists)
		must[*backend.Role](e.t)(e.b.CreateRole(e.ctx, backend.Role{Name: "r", TrustPolicy: policy.TrustPolicy(e.part, AccountA).JSON()})) // per account
	}},
	{"roles", "one policy changes, the others stay", func(e *env) {
		trust := policy.TrustPolicy(e.part, AccountA).JSON()
		keep := policy.TargetRolePolicy(e.part, "keep", "").JSON()
		must[*backend.Role](e.t)(e.a.CreateRole(e.ctx, backend.Role{Name: "r", TrustPolicy: trust,
			Policies: map[string]string{"keep": keep, "change": policy.TargetRolePolicy(e.part, "old", "").JSON()}}))
		changed := policy.TargetRolePolicy(e.part, "new", "").JSON()
		added := policy.TargetRolePolicy(e.part, "added", "").JSON()
		ok(e.t, e.a.PutRolePolicy(e.ctx, "r", "change", changed))
		ok(e.t, e.a.PutRolePolicy(e.ctx, "r", "added", added))
		newTrust := policy.TrustPolicy(e.part, AccountB).JSON()
		ok(e.t, e.a.UpdateAssumeRolePolicy(e.ctx, "r", newTrust))
		r := must[*backend.Role](e.t)(e.a.GetRole(e.ctx, "r"))
		if !samePolicy(r.TrustPolicy, newTrust) {
			e.t.Errorf("trust policy = %s, want %s", r.TrustPolicy, newTrust)
		}
		want := map[string]string{"keep": keep, "change": changed, "added": added}
		if len(r.Policies) != len(want) {
			e.t.Errorf("policies %v, want %v", keysOf(r.Policies), keysOf(want))
		}
		for name, doc := range want {
			if !samePolicy(r.Policies[name], doc) {
				e.t.Errorf("policy %s = %s, want %s", name, r.Policies[name], doc)
			}
		}
		wantErr(e.t, "PutRolePolicy of a document that does not parse", e.a.PutRolePolicy(e.ctx, "r", "bad", "{"), backend.ErrInvalid)
	}},
	{"roles", "update replaces the set, delete removes", func(e *env) {
		trust := policy.TrustPolicy(e.part, AccountA).JSON()
		must[*backend.Role](e.t)(e.a.CreateRole(e.ctx, backend.Role{Name: "r", TrustPolicy: trust,
			Policies: map[string]string{"a": policy.TargetRolePolicy(e.part, "a", "").JSON(), "b": policy.TargetRolePolicy(e.part, "b", "").JSON()}}))
		only := policy.TargetRolePolicy(e.part, "c", "").JSON()
		u := must[*backend.Role](e.t)(e.a.UpdateRole(e.ctx, backend.Role{Name: "r", TrustPolicy: trust, Policies: map[string]string{"c": only}}))
		if len(u.Policies) != 1 || !samePolicy(u.Policies["c"], only) {
			e.t.Errorf("UpdateRole policies = %v, want c alone", keysOf(u.Policies))
		}
		ok(e.t, e.a.DeleteRole(e.ctx, "r"))
		_, err := e.a.GetRole(e.ctx, "r")
		wantErr(e.t, "GetRole after delete", err, backend.ErrNotFound)
	}},
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return sortedCopy(out)
}
