package pipeline

import (
	"strings"
	"testing"
)

func TestRuleStoreVersioning(t *testing.T) {
	const id = "store-versioning"
	runRuleCases(t, id, []ruleCase{
		{name: "seed passes", mutate: seeded(nil)},
		{name: "no facts passes"},
		{name: "unversioned bucket fails at its location", mutate: seeded(func(in *Input) { seedStore(in).Versioning = false }),
			want: []got{errAt(id, "artifact_store[0].location")}},
		{name: "second store block is located", mutate: seeded(func(in *Input) {
			seedStore(in).Versioning = false
			in.Pipeline.ArtifactStores = append([]ArtifactStoreRef{{Location: "other", Type: "S3", Region: "eu-west-1"}}, in.Pipeline.ArtifactStores...)
		}), want: []got{errAt(id, "artifact_store[1].location")}},
		{name: "unknown location is skipped", mutate: seeded(func(in *Input) {
			seedStore(in).Versioning = false
			in.Pipeline.ArtifactStores[0].Location = Unknown
		})},
		{name: "nil store fact is skipped", mutate: seeded(func(in *Input) { in.Facts.Stores[seedBucket] = nil })},
		{name: "store resource without versioning fails", mutate: func(in *Input) {
			in.Pipeline = nil
			in.Store = &ArtifactStore{Bucket: "b"}
		}, want: []got{errAt(id, "versioning")}},
		{name: "versioned store resource passes", mutate: func(in *Input) {
			in.Pipeline = nil
			in.Store = &ArtifactStore{Bucket: "b", Versioning: true}
		}},
	})
	msg := messageOf(t, Input{Store: &ArtifactStore{Bucket: "b"}}, id)
	if !strings.Contains(msg, "this project requires") || !strings.Contains(msg, "AWS itself only requires it for S3 source buckets") {
		t.Errorf("message should say versioning is the project's policy: %s", msg)
	}
}

func TestRuleStoreRegion(t *testing.T) {
	const id = "store-region"
	twoRegions := func(in *Input) {
		in.Facts.Region = "us-east-1"
		in.Pipeline.ArtifactStores = []ArtifactStoreRef{
			{Location: "app-artifacts", Type: "S3", Region: "us-east-1"},
			{Location: "app-artifacts-eu", Type: "S3", Region: "eu-west-1"},
		}
	}
	then := func(fns ...func(*Input)) func(*Input) {
		return func(in *Input) {
			for _, fn := range fns {
				fn(in)
			}
		}
	}
	deployIn := func(region string) func(*Input) {
		return func(in *Input) { in.Pipeline.Stages[2].Actions[0].Region = region }
	}
	runRuleCases(t, id, []ruleCase{
		{name: "one store without region passes"},
		{name: "no store fails", mutate: func(in *Input) { in.Pipeline.ArtifactStores = nil },
			want: []got{errAt(id, "artifact_store")}},
		{name: "one store naming a region fails", mutate: func(in *Input) { in.Pipeline.ArtifactStores[0].Region = "us-east-1" },
			want: []got{errAt(id, "artifact_store[0].region")}},
		{name: "one store with an unknown region is skipped", mutate: func(in *Input) { in.Pipeline.ArtifactStores[0].Region = Unknown }},
		{name: "one store, action in the pipeline's region passes", mutate: then(func(in *Input) { in.Facts.Region = "us-east-1" }, deployIn("us-east-1"))},
		{name: "one store, action in another region fails", mutate: then(func(in *Input) { in.Facts.Region = "us-east-1" }, deployIn("eu-west-1")),
			want: []got{errAt(id, "stage[2].action[0].region")}},
		{name: "one store, pipeline region unknown is skipped", mutate: deployIn("eu-west-1")},
		{name: "two regions, cross-region action passes", mutate: then(twoRegions, deployIn("eu-west-1"))},
		{name: "two regions, action in a third region fails", mutate: then(twoRegions, deployIn("ap-south-1")),
			want: []got{errAt(id, "stage[2].action[0].region")}},
		{name: "unknown action region is skipped", mutate: then(twoRegions, deployIn(Unknown))},
		{name: "two stores, one without region fails", mutate: then(twoRegions, func(in *Input) { in.Pipeline.ArtifactStores[1].Region = "" }),
			want: []got{errAt(id, "artifact_store[1].region")}},
		{name: "two stores in one region fails at the second", mutate: then(twoRegions, func(in *Input) { in.Pipeline.ArtifactStores[1].Region = "us-east-1" }),
			want: []got{errAt(id, "artifact_store[1].region")}},
		{name: "no store in the pipeline's region fails", mutate: then(twoRegions, func(in *Input) { in.Facts.Region = "ap-south-1" }),
			want: []got{errAt(id, "artifact_store")}},
		{name: "an unknown store region skips the action checks", mutate: then(twoRegions, deployIn("ap-south-1"),
			func(in *Input) { in.Pipeline.ArtifactStores[1].Region = Unknown })},
	})
}

func TestRuleKeyRotation(t *testing.T) {
	const id = "key-rotation"
	runRuleCases(t, id, []ruleCase{
		{name: "seed passes", mutate: seeded(nil)},
		{name: "store key without rotation warns", mutate: seeded(func(in *Input) { seedKeyFacts(in).RotationEnabled = false }),
			want: []got{warnAt(id, seedKeyPath)}},
		{name: "also without cross-account actions", mutate: seeded(func(in *Input) {
			seedKeyFacts(in).RotationEnabled = false
			in.Pipeline.Stages[2].Actions[0].RoleARN = ""
		}), want: []got{warnAt(id, seedKeyPath)}},
		{name: "AWS-managed key is not ours to rotate", mutate: seeded(func(in *Input) {
			seedKeyFacts(in).RotationEnabled = false
			seedKeyFacts(in).CustomerManaged = false
		})},
		{name: "unknown key id is skipped", mutate: seeded(func(in *Input) {
			seedKeyFacts(in).RotationEnabled = false
			storeKey(in, Unknown)
		})},
		{name: "nil key fact is skipped", mutate: seeded(func(in *Input) { in.Facts.Keys[seedKey] = nil })},
		{name: "key resource without rotation warns", mutate: func(in *Input) {
			in.Pipeline = nil
			in.Key = &Key{CustomerManaged: true}
		}, want: []got{warnAt(id, "enable_key_rotation")}},
		{name: "key resource with rotation passes", mutate: func(in *Input) {
			in.Pipeline = nil
			in.Key = &Key{CustomerManaged: true, RotationEnabled: true}
		}},
	})
}

// TestCrossAccountRulesOnEmptyInput: partial input never panics and reports nothing it cannot
// decide.
func TestCrossAccountRulesOnEmptyInput(t *testing.T) {
	for _, in := range []Input{
		{},
		{Pipeline: &Pipeline{}},
		{Pipeline: &Pipeline{ArtifactStores: []ArtifactStoreRef{{}}, Stages: []Stage{{Actions: []Action{{RoleARN: seedRole, InputArtifacts: []string{"x"}}}}}},
			Facts: Facts{AccountID: seedAccount, Stores: map[string]*ArtifactStore{"": nil}, Keys: map[string]*Key{"": nil}, Roles: map[string]*Role{seedRole: nil}}},
		{Store: &ArtifactStore{Versioning: true}, Key: &Key{}, Role: &Role{}},
	} {
		for _, f := range ValidateWith(in, Options{Only: xacctRules}) {
			if f.Rule != "store-region" && f.Rule != "xacct-cmk-required" {
				t.Errorf("unexpected finding on partial input: %v", f)
			}
		}
	}
}
