package pipeline

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// The seed scenario: a pipeline in 111111111111 deploys through a role of 222222222222, with a
// versioned artifact bucket, a customer-managed key and a target role whose policies are all
// built by the policy package, as the provider's resources generate them.
const (
	seedAccount  = "111111111111"
	seedRole     = "arn:aws:iam::222222222222:role/deployer"
	seedBucket   = "app-artifacts"
	seedKey      = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	seedRolePath = "stage[2].action[0].role_arn"
	seedKeyPath  = "artifact_store[0].encryption_key[0].id"
)

// xacctRules are the rules of rules_crossaccount.go and rules_store.go.
var xacctRules = []string{"store-versioning", "xacct-cmk-required", "xacct-key-by-arn", "xacct-bucket-policy",
	"xacct-key-policy", "xacct-role-decrypt", "xacct-third-account", "store-region", "key-rotation"}

func seedInput() Input {
	p := validPipeline()
	p.ArtifactStores[0].EncryptionKey = &EncryptionKey{ID: seedKey, Type: "KMS"}
	p.Stages[2].Actions[0].RoleARN = seedRole
	return Input{Pipeline: p, Facts: Facts{
		AccountID: seedAccount, Region: "us-east-1",
		Stores: map[string]*ArtifactStore{seedBucket: {
			Bucket: seedBucket, AccountID: seedAccount, Region: "us-east-1", Versioning: true,
			EncryptionKeyARN: seedKey, CrossAccountRoles: []string{seedRole},
			Policy: policy.BucketPolicy(arn.AWS, seedBucket, []string{seedRole}).JSON(),
		}},
		Keys: map[string]*Key{seedKey: {
			ARN: seedKey, AccountID: seedAccount, CustomerManaged: true, RotationEnabled: true,
			GranteeRoles: []string{seedRole}, Policy: policy.KeyPolicy(arn.AWS, seedAccount, []string{seedRole}).JSON(),
		}},
		Roles: map[string]*Role{seedRole: {
			ARN: seedRole, AccountID: "222222222222",
			IdentityPolicies: []string{policy.TargetRolePolicy(arn.AWS, seedBucket, seedKey).JSON()},
			TrustPolicy:      policy.TrustPolicy(arn.AWS, seedAccount).JSON(),
		}},
	}}
}

// seeded is a ruleCase mutation starting from the seed scenario.
func seeded(fn func(in *Input)) func(in *Input) {
	return func(in *Input) {
		*in = seedInput()
		if fn != nil {
			fn(in)
		}
	}
}

func seedStore(in *Input) *ArtifactStore { return in.Facts.Stores[seedBucket] }
func seedKeyFacts(in *Input) *Key        { return in.Facts.Keys[seedKey] }
func seedRoleFacts(in *Input) *Role      { return in.Facts.Roles[seedRole] }
func storeKey(in *Input, id string) {
	in.Pipeline.ArtifactStores[0].EncryptionKey = &EncryptionKey{ID: id, Type: "KMS"}
}

// TestSeedScenario runs all the store and cross-account rules over the seed scenario and over
// each broken variant: each breakage is reported by exactly its rule.
func TestSeedScenario(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(in *Input)
		want   []got
	}{
		{"seed passes", nil, nil},
		{"versioning off", func(in *Input) { seedStore(in).Versioning = false },
			[]got{errAt("store-versioning", "artifact_store[0].location")}},
		{"no key", func(in *Input) { in.Pipeline.ArtifactStores[0].EncryptionKey = nil },
			[]got{errAt("xacct-cmk-required", "artifact_store[0]")}},
		{"alias/aws/s3", func(in *Input) { storeKey(in, "alias/aws/s3") },
			[]got{errAt("xacct-cmk-required", seedKeyPath)}},
		{"key by alias", func(in *Input) { storeKey(in, "alias/pipeline-artifacts") },
			[]got{errAt("xacct-key-by-arn", seedKeyPath)}},
		{"bucket policy missing the role", func(in *Input) { seedStore(in).Policy = policy.BucketPolicy(arn.AWS, seedBucket, nil).JSON() },
			[]got{errAt("xacct-bucket-policy", seedRolePath)}},
		{"key policy missing the role", func(in *Input) { seedKeyFacts(in).Policy = policy.KeyPolicy(arn.AWS, seedAccount, nil).JSON() },
			[]got{errAt("xacct-key-policy", seedRolePath)}},
		{"role without decrypt", func(in *Input) {
			seedRoleFacts(in).IdentityPolicies = []string{policy.TargetRolePolicy(arn.AWS, seedBucket, "").JSON()}
		}, []got{errAt("xacct-role-decrypt", seedRolePath)}},
		{"key without rotation", func(in *Input) { seedKeyFacts(in).RotationEnabled = false },
			[]got{warnAt("key-rotation", seedKeyPath)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := seedInput()
			if tc.break_ != nil {
				tc.break_(&in)
			}
			var gotten []got
			for _, f := range ValidateWith(in, Options{Only: xacctRules}) {
				gotten = append(gotten, got{f.Rule, f.Severity, f.Path.String()})
			}
			if diff := cmp.Diff(tc.want, gotten); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// messageOf returns the messages of rule id over in.
func messageOf(t *testing.T, in Input, id string) string {
	t.Helper()
	var msgs []string
	for _, f := range ValidateWith(in, Options{Only: []string{id}}) {
		if f.Fix == "" {
			t.Errorf("finding without a fix: %v", f)
		}
		msgs = append(msgs, f.Message)
	}
	return strings.Join(msgs, "\n")
}

func TestRuleXacctCMKRequired(t *testing.T) {
	const id = "xacct-cmk-required"
	runRuleCases(t, id, []ruleCase{
		{name: "seed passes", mutate: seeded(nil)},
		{name: "no cross-account action needs no key"},
		{name: "same-account role needs no key", mutate: func(in *Input) {
			in.Pipeline.Stages[2].Actions[0].RoleARN = "arn:aws:iam::111111111111:role/deployer"
		}},
		{name: "unknown role is skipped", mutate: func(in *Input) { in.Pipeline.Stages[2].Actions[0].RoleARN = Unknown }},
		{name: "no key fails at the store", mutate: seeded(func(in *Input) { in.Pipeline.ArtifactStores[0].EncryptionKey = nil }),
			want: []got{errAt(id, "artifact_store[0]")}},
		{name: "alias/aws/s3 fails at the key", mutate: seeded(func(in *Input) { storeKey(in, "alias/aws/s3") }),
			want: []got{errAt(id, seedKeyPath)}},
		{name: "alias ARN of aws/s3 fails", mutate: seeded(func(in *Input) { storeKey(in, "arn:aws:kms:us-east-1:111111111111:alias/aws/s3") }),
			want: []got{errAt(id, seedKeyPath)}},
		{name: "AWS-managed key by ARN fails", mutate: seeded(func(in *Input) { seedKeyFacts(in).CustomerManaged = false }),
			want: []got{errAt(id, seedKeyPath)}},
		{name: "empty key id fails", mutate: seeded(func(in *Input) { storeKey(in, "") }),
			want: []got{errAt(id, seedKeyPath)}},
		{name: "unknown key id is skipped", mutate: seeded(func(in *Input) { storeKey(in, Unknown) })},
		{name: "key without facts passes", mutate: seeded(func(in *Input) { in.Facts.Keys = nil })},
		{name: "two cross-account actions on one store report once", mutate: seeded(func(in *Input) {
			in.Pipeline.Stages[1].Actions[0].RoleARN = "arn:aws:iam::333333333333:role/builder"
			in.Pipeline.ArtifactStores[0].EncryptionKey = nil
		}), want: []got{errAt(id, "artifact_store[0]")}},
		{name: "the store of the action's region is the one checked", mutate: seeded(func(in *Input) {
			in.Pipeline.ArtifactStores[0].Region = "us-east-1"
			in.Pipeline.ArtifactStores = append(in.Pipeline.ArtifactStores, ArtifactStoreRef{Location: "app-artifacts-eu", Type: "S3", Region: "eu-west-1"})
			in.Pipeline.Stages[2].Actions[0].Region = "eu-west-1"
		}), want: []got{errAt(id, "artifact_store[1]")}},
		{name: "a cross-account action in the home region uses the home store", mutate: seeded(func(in *Input) {
			in.Pipeline.ArtifactStores[0].Region = "us-east-1"
			in.Pipeline.ArtifactStores = append(in.Pipeline.ArtifactStores, ArtifactStoreRef{Location: "app-artifacts-eu", Type: "S3", Region: "eu-west-1"})
		})},
		{name: "store with cross-account roles and no key fails", mutate: func(in *Input) {
			in.Pipeline = nil
			in.Store = &ArtifactStore{Bucket: "b", AccountID: seedAccount, Versioning: true, CrossAccountRoles: []string{seedRole}}
		}, want: []got{errAt(id, "encryption_key_arn")}},
		{name: "store with cross-account roles and alias/aws/s3 fails", mutate: func(in *Input) {
			in.Pipeline = nil
			in.Store = &ArtifactStore{Bucket: "b", Versioning: true, EncryptionKeyARN: "alias/aws/s3", CrossAccountRoles: []string{seedRole}}
		}, want: []got{errAt(id, "encryption_key_arn")}},
		{name: "store with cross-account roles and a key passes", mutate: func(in *Input) {
			in.Pipeline = nil
			in.Store = &ArtifactStore{Bucket: "b", Versioning: true, EncryptionKeyARN: seedKey, CrossAccountRoles: []string{seedRole}}
		}},
		{name: "store with same-account roles needs no key", mutate: func(in *Input) {
			in.Pipeline = nil
			in.Store = &ArtifactStore{Bucket: "b", AccountID: seedAccount, Versioning: true, CrossAccountRoles: []string{"arn:aws:iam::111111111111:role/x"}}
		}},
		{name: "store with an unknown key is skipped", mutate: func(in *Input) {
			in.Pipeline = nil
			in.Store = &ArtifactStore{Bucket: "b", Versioning: true, EncryptionKeyARN: Unknown, CrossAccountRoles: []string{seedRole}}
		}},
	})
	in := seedInput()
	storeKey(&in, "alias/aws/s3")
	if msg := messageOf(t, in, id); !strings.Contains(msg, "alias/aws/s3") || !strings.Contains(msg, seedRole) {
		t.Errorf("message should name the key and the role: %s", msg)
	}
}

func TestRuleXacctKeyByARN(t *testing.T) {
	const id = "xacct-key-by-arn"
	runRuleCases(t, id, []ruleCase{
		{name: "seed passes", mutate: seeded(nil)},
		{name: "alias name fails", mutate: seeded(func(in *Input) { storeKey(in, "alias/app") }),
			want: []got{errAt(id, seedKeyPath)}},
		{name: "alias ARN fails", mutate: seeded(func(in *Input) { storeKey(in, "arn:aws:kms:us-east-1:111111111111:alias/app") }),
			want: []got{errAt(id, seedKeyPath)}},
		{name: "bare key id fails", mutate: seeded(func(in *Input) { storeKey(in, "1234abcd-12ab-34cd-56ef-1234567890ab") }),
			want: []got{errAt(id, seedKeyPath)}},
		{name: "multi-region key ARN passes", mutate: seeded(func(in *Input) {
			storeKey(in, "arn:aws:kms:us-east-1:111111111111:key/mrk-1234abcd12ab34cd56ef1234567890ab")
		})},
		{name: "alias/aws/s3 is left to xacct-cmk-required", mutate: seeded(func(in *Input) { storeKey(in, "alias/aws/s3") })},
		{name: "no key is left to xacct-cmk-required", mutate: seeded(func(in *Input) { in.Pipeline.ArtifactStores[0].EncryptionKey = nil })},
		{name: "unknown key is skipped", mutate: seeded(func(in *Input) { storeKey(in, Unknown) })},
		{name: "alias without cross-account actions passes", mutate: func(in *Input) { storeKey(in, "alias/app") }},
		{name: "store resource with an alias and cross-account roles fails", mutate: func(in *Input) {
			in.Pipeline = nil
			in.Store = &ArtifactStore{Bucket: "b", Versioning: true, EncryptionKeyARN: "alias/app", CrossAccountRoles: []string{seedRole}}
		}, want: []got{errAt(id, "encryption_key_arn")}},
	})
	in := seedInput()
	storeKey(&in, "alias/app")
	if msg := messageOf(t, in, id); !strings.Contains(msg, `"alias/app", by an alias name`) {
		t.Errorf("message should say how the key is named: %s", msg)
	}
}

func TestRuleXacctBucketPolicy(t *testing.T) {
	const id = "xacct-bucket-policy"
	objects := "arn:aws:s3:::app-artifacts/*"
	allow := func(principal, actions, resource string) string {
		return `{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":` + actions + `,"Resource":"` + resource + `"}`
	}
	setPolicy := func(stmts ...string) func(*Input) {
		return seeded(func(in *Input) {
			seedStore(in).Policy = `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
		})
	}
	list := allow(seedRole, `"s3:ListBucket"`, "arn:aws:s3:::app-artifacts")
	runRuleCases(t, id, []ruleCase{
		{name: "seed passes", mutate: seeded(nil)},
		{name: "policy without the role fails", mutate: seeded(func(in *Input) {
			seedStore(in).Policy = policy.BucketPolicy(arn.AWS, seedBucket, []string{"arn:aws:iam::222222222222:role/other"}).JSON()
		}), want: []got{errAt(id, seedRolePath)}},
		{name: "account root grant passes", mutate: setPolicy(
			allow("arn:aws:iam::222222222222:root", `["s3:Get*","s3:Put*"]`, objects),
			allow("222222222222", `"s3:ListBucket"`, "arn:aws:s3:::app-artifacts"))},
		{name: "grant on the pipeline's prefix passes", mutate: setPolicy(
			allow(seedRole, `["s3:GetObject","s3:PutObject"]`, "arn:aws:s3:::app-artifacts/app/*"), list)},
		{name: "grant on another prefix fails", mutate: setPolicy(
			allow(seedRole, `["s3:GetObject","s3:PutObject"]`, "arn:aws:s3:::app-artifacts/other/*"), list),
			want: []got{errAt(id, seedRolePath)}},
		{name: "read-only grant fails", mutate: setPolicy(allow(seedRole, `"s3:Get*"`, objects), list),
			want: []got{errAt(id, seedRolePath)}},
		{name: "missing ListBucket fails", mutate: setPolicy(allow(seedRole, `["s3:Get*","s3:Put*"]`, objects)),
			want: []got{errAt(id, seedRolePath)}},
		{name: "another account's role of the same name fails", mutate: seeded(func(in *Input) {
			seedStore(in).Policy = policy.BucketPolicy(arn.AWS, seedBucket, []string{"arn:aws:iam::333333333333:role/deployer"}).JSON()
		}), want: []got{errAt(id, seedRolePath)}},
		{name: "no policy grants nothing", mutate: seeded(func(in *Input) { seedStore(in).Policy = "" }),
			want: []got{errAt(id, seedRolePath)}},
		{name: "invalid policy grants nothing", mutate: seeded(func(in *Input) { seedStore(in).Policy = `{"Statement":` }),
			want: []got{errAt(id, seedRolePath)}},
		{name: "explicit deny fails", mutate: seeded(func(in *Input) {
			d := policy.BucketPolicy(arn.AWS, seedBucket, []string{seedRole})
			d.Statement = append(d.Statement, policy.Statement{Effect: "Deny", Principal: policy.AnyPrincipal(), Action: []string{"s3:PutObject"}, Resource: []string{objects}})
			seedStore(in).Policy = d.JSON()
		}), want: []got{errAt(id, seedRolePath)}},
		{name: "encryption-required deny passes (the pipeline writes with the key)", mutate: seeded(func(in *Input) {
			d := policy.BucketPolicy(arn.AWS, seedBucket, []string{seedRole})
			d.Statement = append(d.Statement, policy.Statement{Effect: "Deny", Principal: policy.AnyPrincipal(), Action: []string{"s3:PutObject"}, Resource: []string{objects},
				Condition: map[string]map[string][]string{"StringNotEquals": {"s3:x-amz-server-side-encryption": {"aws:kms"}}}})
			seedStore(in).Policy = d.JSON()
		})},
		{name: "unknown policy is skipped", mutate: seeded(func(in *Input) { seedStore(in).Policy = Unknown })},
		{name: "no facts about the bucket is skipped", mutate: seeded(func(in *Input) { in.Facts.Stores = nil })},
		{name: "nil store fact is skipped", mutate: seeded(func(in *Input) { in.Facts.Stores[seedBucket] = nil })},
		{name: "each cross-account action is checked", mutate: seeded(func(in *Input) {
			in.Pipeline.Stages[1].Actions[0].RoleARN = "arn:aws:iam::333333333333:role/builder"
		}), want: []got{errAt(id, "stage[1].action[0].role_arn")}},
		{name: "store resource: explicit policy missing a listed role fails", mutate: func(in *Input) {
			in.Pipeline = nil
			in.Store = &ArtifactStore{Bucket: "b", Versioning: true, EncryptionKeyARN: seedKey, CrossAccountRoles: []string{seedRole},
				Policy: policy.BucketPolicy(arn.AWS, "b", nil).JSON()}
		}, want: []got{errAt(id, "cross_account_roles")}},
		{name: "store resource: generated policy passes", mutate: func(in *Input) {
			in.Pipeline = nil
			in.Store = &ArtifactStore{Bucket: "b", Versioning: true, EncryptionKeyARN: seedKey, CrossAccountRoles: []string{seedRole},
				Policy: policy.BucketPolicy(arn.AWS, "b", []string{seedRole}).JSON()}
		}},
		{name: "store resource: no policy yet is skipped", mutate: func(in *Input) {
			in.Pipeline = nil
			in.Store = &ArtifactStore{Bucket: "b", Versioning: true, CrossAccountRoles: []string{seedRole}}
		}},
	})
	in := seedInput()
	setPolicy(allow(seedRole, `"s3:Get*"`, objects), list)(&in)
	msg := messageOf(t, in, id)
	if !strings.Contains(msg, "s3:PutObject") || strings.Contains(msg, "s3:GetObject") || !strings.Contains(msg, seedRole) {
		t.Errorf("message should name the missing action only, and the role: %s", msg)
	}
}

func TestRuleXacctKeyPolicy(t *testing.T) {
	const id = "xacct-key-policy"
	withGrant := func(actions string) func(*Input) {
		return seeded(func(in *Input) {
			seedKeyFacts(in).Policy = `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"` + seedRole + `"},"Action":` + actions + `,"Resource":"*"}]}`
		})
	}
	runRuleCases(t, id, []ruleCase{
		{name: "seed passes", mutate: seeded(nil)},
		{name: "policy without the role fails", mutate: seeded(func(in *Input) { seedKeyFacts(in).Policy = policy.KeyPolicy(arn.AWS, seedAccount, nil).JSON() }),
			want: []got{errAt(id, seedRolePath)}},
		{name: "grant to the role's account root passes", mutate: seeded(func(in *Input) {
			seedKeyFacts(in).Policy = policy.KeyPolicy(arn.AWS, seedAccount, []string{"arn:aws:iam::222222222222:root"}).JSON()
		})},
		{name: "grant on the key ARN passes", mutate: seeded(func(in *Input) {
			seedKeyFacts(in).Policy = `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"` + seedRole + `"},"Action":"kms:*","Resource":"` + seedKey + `"}]}`
		})},
		{name: "decrypt only fails", mutate: withGrant(`"kms:Decrypt"`), want: []got{errAt(id, seedRolePath)}},
		{name: "ReEncryptFrom without ReEncryptTo fails", mutate: withGrant(`["kms:Decrypt","kms:DescribeKey","kms:Encrypt","kms:ReEncryptFrom","kms:GenerateDataKey*"]`),
			want: []got{errAt(id, seedRolePath)}},
		{name: "the grant actions pass", mutate: withGrant(`["kms:Decrypt","kms:DescribeKey","kms:Encrypt","kms:ReEncrypt*","kms:GenerateDataKey*"]`)},
		{name: "key without facts is skipped", mutate: seeded(func(in *Input) { in.Facts.Keys = nil })},
		{name: "AWS-managed key is left to xacct-cmk-required", mutate: seeded(func(in *Input) {
			seedKeyFacts(in).CustomerManaged = false
			seedKeyFacts(in).Policy = ""
		})},
		{name: "unknown policy is skipped", mutate: seeded(func(in *Input) { seedKeyFacts(in).Policy = Unknown })},
		{name: "no policy grants nothing", mutate: seeded(func(in *Input) { seedKeyFacts(in).Policy = "" }),
			want: []got{errAt(id, seedRolePath)}},
	})
	in := seedInput()
	withGrant(`"kms:Decrypt"`)(&in)
	if msg := messageOf(t, in, id); !strings.Contains(msg, "kms:Encrypt") || strings.Contains(msg, "kms:Decrypt,") {
		t.Errorf("message should name the missing actions: %s", msg)
	}
}

func TestRuleXacctRoleDecrypt(t *testing.T) {
	const id = "xacct-role-decrypt"
	onlyS3 := policy.TargetRolePolicy(arn.AWS, seedBucket, "").JSON()
	runRuleCases(t, id, []ruleCase{
		{name: "seed passes", mutate: seeded(nil)},
		{name: "role without key statement fails", mutate: seeded(func(in *Input) { seedRoleFacts(in).IdentityPolicies = []string{onlyS3} }),
			want: []got{errAt(id, seedRolePath)}},
		{name: "role with no policies fails", mutate: seeded(func(in *Input) { seedRoleFacts(in).IdentityPolicies = nil }),
			want: []got{errAt(id, seedRolePath)}},
		{name: "role granted another key fails", mutate: seeded(func(in *Input) {
			seedRoleFacts(in).IdentityPolicies = []string{policy.TargetRolePolicy(arn.AWS, seedBucket, "arn:aws:kms:us-east-1:111111111111:key/other").JSON()}
		}), want: []got{errAt(id, seedRolePath)}},
		{name: "key grant in a second policy passes", mutate: seeded(func(in *Input) {
			seedRoleFacts(in).IdentityPolicies = []string{onlyS3,
				`{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:us-east-1:111111111111:key/*"}}`}
		})},
		{name: "a deny in another policy fails", mutate: seeded(func(in *Input) {
			seedRoleFacts(in).IdentityPolicies = append(seedRoleFacts(in).IdentityPolicies,
				`{"Statement":{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}}`)
		}), want: []got{errAt(id, seedRolePath)}},
		{name: "unknown policy is skipped", mutate: seeded(func(in *Input) {
			seedRoleFacts(in).IdentityPolicies = []string{onlyS3, Unknown}
		})},
		{name: "role without facts is skipped", mutate: seeded(func(in *Input) { in.Facts.Roles = nil })},
		{name: "nil role fact is skipped", mutate: seeded(func(in *Input) { in.Facts.Roles[seedRole] = nil })},
		{name: "key named by alias is skipped", mutate: seeded(func(in *Input) {
			storeKey(in, "alias/app")
			seedRoleFacts(in).IdentityPolicies = []string{onlyS3}
		})},
	})
}

func TestRuleXacctThirdAccount(t *testing.T) {
	const id = "xacct-third-account"
	roleIn := func(stage int, acct string) func(*Input) {
		return func(in *Input) { in.Pipeline.Stages[stage].Actions[0].RoleARN = "arn:aws:iam::" + acct + ":role/r" }
	}
	both := func(a, b string) func(*Input) {
		return func(in *Input) { roleIn(1, a)(in); roleIn(2, b)(in) }
	}
	runRuleCases(t, id, []ruleCase{
		{name: "single account passes"},
		{name: "pipeline account to another passes", mutate: roleIn(2, "222222222222")},
		{name: "another account back to the pipeline's passes", mutate: roleIn(1, "222222222222")},
		{name: "within one other account passes", mutate: both("222222222222", "222222222222")},
		{name: "between two other accounts fails", mutate: both("222222222222", "333333333333"),
			want: []got{errAt(id, "stage[2].action[0].input_artifacts[0]")}},
		{name: "second input is located", mutate: func(in *Input) {
			both("222222222222", "333333333333")(in)
			in.Pipeline.Stages[2].Actions[0].InputArtifacts = []string{"src", "bin"}
		}, want: []got{errAt(id, "stage[2].action[0].input_artifacts[1]")}},
		{name: "unknown pipeline account is skipped", mutate: func(in *Input) {
			both("222222222222", "333333333333")(in)
			in.Facts.AccountID = ""
			in.Pipeline.RoleARN = Unknown
		}},
		{name: "unknown role is skipped", mutate: func(in *Input) {
			roleIn(1, "222222222222")(in)
			in.Pipeline.Stages[2].Actions[0].RoleARN = Unknown
		}},
		{name: "unknown inputs are skipped", mutate: func(in *Input) {
			both("222222222222", "333333333333")(in)
			in.Pipeline.Stages[2].Actions[0].UnknownAttrs = []string{"input_artifacts"}
		}},
		{name: "unproduced input is left to other rules", mutate: func(in *Input) {
			both("222222222222", "333333333333")(in)
			in.Pipeline.Stages[2].Actions[0].InputArtifacts = []string{"nowhere"}
		}},
	})
}
