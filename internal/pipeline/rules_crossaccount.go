package pipeline

import (
	"fmt"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// xacctUse is one cross-account action and the artifact_store block its artifacts go through.
type xacctUse struct {
	ref      ActionRef
	role     string // the action's role ARN, in another account than the pipeline
	store    int    // index of the store block
	hasStore bool   // false when the block cannot be told (unknown or missing region)
}

// crossAccountUses lists the cross-account actions of the pipeline with their store blocks, in
// pipeline order. It is linear in the number of actions.
func crossAccountUses(p *Pass) []xacctUse {
	if p.Pipeline == nil {
		return nil
	}
	sb := newStoreBlocks(p.Pipeline, p.Facts)
	var out []xacctUse
	for _, ref := range p.Index.CrossAccountActions(p.Pipeline) {
		a := actionAt(p.Pipeline, ref)
		i, ok := sb.forAction(a)
		out = append(out, xacctUse{ref: ref, role: a.RoleARN, store: i, hasStore: ok})
	}
	return out
}

// storesOfUses returns, once per store block used by a cross-account action, the first such
// action: rules about the store itself report each block once.
func storesOfUses(uses []xacctUse) []xacctUse {
	seen := map[int]bool{}
	var out []xacctUse
	for _, u := range uses {
		if u.hasStore && !seen[u.store] {
			seen[u.store] = true
			out = append(out, u)
		}
	}
	return out
}

// storeCrossAccountRoles returns the known roles of a store resource that live in another
// account than the store (any role, when the store's account is not known).
func storeCrossAccountRoles(s *ArtifactStore) []string {
	var out []string
	for _, r := range s.CrossAccountRoles {
		if r == "" || !IsKnown(r) {
			continue
		}
		if acct := AccountOfARN(r); acct != "" && s.AccountID != "" && IsKnown(s.AccountID) && acct == s.AccountID {
			continue
		}
		out = append(out, r)
	}
	return out
}

// cmkProblem says why key id cannot protect cross-account artifacts, "" when it can (or when
// the facts do not tell).
func cmkProblem(facts Facts, id string) string {
	if isAWSManagedS3Key(id) {
		return fmt.Sprintf("%s is the AWS-managed S3 key", id)
	}
	if k := knownKey(facts, id); k != nil && !k.CustomerManaged {
		return fmt.Sprintf("key %s is AWS-managed, not customer-managed", id)
	}
	return ""
}

const cmkFix = "Create a customer-managed key (codepipeline_cross_account_key) and use its ARN as the store's encryption key."

var _ = register(&Rule{
	ID: "xacct-cmk-required", Severity: SeverityError, Where: AtPlan | AtApply | AtRun,
	Needs: PartArtifactStores,
	Title: "Cross-Account Pipelines Need A Customer-Managed Key",
	Doc:   "A pipeline with a cross-account action encrypts its artifact store with a customer-managed KMS key, since the AWS-managed aws/s3 key cannot be used from another account.",
	Check: func(p *Pass) {
		const cannot = "the AWS-managed key cannot be used from another account, so the other account could not read or write the artifacts"
		if s := p.Store; s != nil && IsKnown(s.EncryptionKeyARN) {
			if roles := storeCrossAccountRoles(s); len(roles) > 0 {
				why := cmkProblem(p.Facts, s.EncryptionKeyARN)
				if s.EncryptionKeyARN == "" {
					why = "no encryption_key_arn is set, so the account's AWS-managed aws/s3 key is used"
				}
				if why != "" {
					p.Reportf(Root("encryption_key_arn"), "Set encryption_key_arn to the ARN of a customer-managed key (codepipeline_cross_account_key).",
						"Store %q grants cross-account role %s but %s; %s.", s.Bucket, roles[0], why, cannot)
				}
			}
		}
		for _, u := range storesOfUses(crossAccountUses(p)) {
			ref := &p.Pipeline.ArtifactStores[u.store]
			who := fmt.Sprintf("%s acts in account %s through role %s", capitalize(describeAction(p.Pipeline, u.ref)), AccountOfARN(u.role), u.role)
			if ref.EncryptionKey == nil {
				p.Reportf(storePath(u.store), cmkFix+" Add encryption_key { id = <key ARN>, type = \"KMS\" } to the artifact_store block.",
					"%s, but artifact_store[%d] has no encryption_key, so the AWS-managed aws/s3 key is used; %s.", who, u.store, cannot)
				continue
			}
			id := ref.EncryptionKey.ID
			if !IsKnown(id) {
				continue
			}
			why := cmkProblem(p.Facts, id)
			if id == "" {
				why = "it names no key"
			}
			if why != "" {
				p.Reportf(storeKeyPath(u.store), cmkFix,
					"%s, but the encryption key of artifact_store[%d] cannot be used across accounts: %s; %s.", who, u.store, why, cannot)
			}
		}
	},
})

var _ = register(&Rule{
	ID: "xacct-key-by-arn", Severity: SeverityError, Where: AtPlan,
	Needs: PartArtifactStores,
	Title: "Cross-Account Key Must Be Named By ARN",
	Doc:   "For cross-account use the artifact store's key is named by its full key ARN, since aliases and key ids resolve in the caller's account.",
	Check: func(p *Pass) {
		const fix = "Name the key by its full ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), for example the arn attribute of codepipeline_cross_account_key."
		const resolve = "aliases and key ids resolve in the account of the caller, so the other account would look for the key in its own account"
		// byName reports id when it is set, known, not a key ARN and not the AWS-managed key
		// (xacct-cmk-required reports that one).
		byName := func(id string) bool {
			return id != "" && IsKnown(id) && !isAWSManagedS3Key(id) && !keyARNPattern.MatchString(id)
		}
		if s := p.Store; s != nil && byName(s.EncryptionKeyARN) {
			if roles := storeCrossAccountRoles(s); len(roles) > 0 {
				p.Reportf(Root("encryption_key_arn"), fix,
					"Store %q grants cross-account role %s but names its key %q by %s; %s.", s.Bucket, roles[0], s.EncryptionKeyARN, keyRefKind(s.EncryptionKeyARN), resolve)
			}
		}
		for _, u := range storesOfUses(crossAccountUses(p)) {
			id, ok := storeKeyID(&p.Pipeline.ArtifactStores[u.store])
			if ok && byName(id) {
				p.Reportf(storeKeyPath(u.store), fix,
					"The key of artifact_store[%d] is named %q, by %s, and %s acts in account %s; %s.",
					u.store, id, keyRefKind(id), describeAction(p.Pipeline, u.ref), AccountOfARN(u.role), resolve)
			}
		}
	},
})

// grantProbe is one concrete request a cross-account role makes; a grant is checked by
// asking the evaluator whether the policy allows each probe.
type grantProbe struct {
	action, resource string
	ctx              map[string]string
}

// capitalize upper-cases the first letter of a sentence that starts with a description.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// requestContext is the context of a pipeline's own requests: over TLS, as the role.
func requestContext(role string) map[string]string {
	return map[string]string{
		"aws:SecureTransport":  "true",
		"aws:PrincipalArn":     role,
		"aws:PrincipalAccount": AccountOfARN(role),
	}
}

// bucketProbes are the S3 requests a cross-account action makes on the artifact bucket: read
// and write an artifact object under the pipeline's prefix (encrypted with the store's key),
// and list the bucket.
func bucketProbes(bucket, pipelineName, keyARN, role string) []grantProbe {
	prefix := "artifact"
	if pipelineName != "" && IsKnown(pipelineName) {
		// CodePipeline writes artifacts under the pipeline name cut to 20 characters.
		prefix = pipelineName
		if r := []rune(prefix); len(r) > 20 {
			prefix = string(r[:20])
		}
	}
	part := partitionOfRole(role)
	object := part.Object(bucket, prefix+"/SourceArti/object.zip")
	var out []grantProbe
	for _, a := range policy.BucketObjectUseActions {
		ctx := requestContext(role)
		if a == "s3:PutObject" {
			ctx["s3:x-amz-server-side-encryption"] = "aws:kms"
			if keyARN != "" {
				ctx["s3:x-amz-server-side-encryption-aws-kms-key-id"] = keyARN
			}
		}
		out = append(out, grantProbe{a, object, ctx})
	}
	for _, a := range policy.BucketUseActions {
		out = append(out, grantProbe{a, part.Bucket(bucket), requestContext(role)})
	}
	return out
}

// keyProbes are the KMS requests a cross-account action makes with the artifact key.
func keyProbes(keyARN, role string) []grantProbe {
	out := make([]grantProbe, 0, len(policy.KeyUseActions))
	for _, a := range policy.KeyUseActions {
		out = append(out, grantProbe{a, keyARN, requestContext(role)})
	}
	return out
}

// policyCache parses each policy document once per rule run.
type policyCache map[string]parsedPolicy

type parsedPolicy struct {
	doc *policy.Document
	err error
}

func (c policyCache) get(doc string) (*policy.Document, error) {
	if doc == "" {
		return nil, nil
	}
	if p, ok := c[doc]; ok {
		return p.doc, p.err
	}
	d, err := policy.Parse(doc)
	c[doc] = parsedPolicy{d, err}
	return d, err
}

// grantGap is what a policy set fails to allow a principal.
type grantGap struct {
	missing []string // actions not allowed, in probe order, de-duplicated
	denied  bool     // some of them are denied explicitly
	invalid []string // parse errors of documents that therefore grant nothing
}

func (g grantGap) empty() bool { return len(g.missing) == 0 }

// describe renders the gap for a message: the missing actions and why.
func (g grantGap) describe() string {
	s := strings.Join(g.missing, ", ")
	if g.denied {
		s += " (a statement denies it explicitly)"
	}
	if len(g.invalid) > 0 {
		s += " (" + strings.Join(g.invalid, "; ") + ")"
	}
	return s
}

// findGrantGap evaluates the probes for principal against the documents: as one resource
// policy (identity false, at most one document) or as the principal's identity policies.
// It returns ok false when a document is not known yet.
func findGrantGap(cache policyCache, docs []string, identity bool, principal string, probes []grantProbe) (grantGap, bool) {
	var gap grantGap
	var parsed []*policy.Document
	for _, d := range docs {
		if !IsKnown(d) {
			return gap, false
		}
		doc, err := cache.get(d)
		if err != nil {
			gap.invalid = append(gap.invalid, "a policy document is not valid and grants nothing: "+err.Error())
			continue
		}
		parsed = append(parsed, doc)
	}
	seen := map[string]bool{}
	for _, pr := range probes {
		req := policy.Request{Principal: principal, Action: pr.action, Resource: pr.resource, Context: pr.ctx}
		var dec policy.Decision
		if identity {
			dec = policy.EvaluateIdentities(parsed, req)
		} else if len(parsed) > 0 {
			dec = parsed[0].EvaluateResource(req)
		}
		if dec != policy.Allow && !seen[pr.action] {
			seen[pr.action] = true
			gap.missing = append(gap.missing, pr.action)
			gap.denied = gap.denied || dec == policy.ExplicitDeny
		}
	}
	return gap, true
}

// grantTarget is the policy a cross-account use depends on, found by a rule's lookup.
type grantTarget struct {
	what     string   // the message's clause, with %s for the missing actions
	docs     []string // the documents; "" is no policy
	identity bool
	probes   []grantProbe
	fix      string
}

// checkCrossAccountGrants reports, at each cross-account action's role_arn, what the policy
// its lookup returns fails to allow the action's role. Shared by the bucket policy, key policy
// and role policy rules, which differ only in which policy they look at.
func checkCrossAccountGrants(p *Pass, lookup func(u xacctUse, store *ArtifactStoreRef) (grantTarget, bool)) {
	cache := policyCache{}
	for _, u := range crossAccountUses(p) {
		if !u.hasStore {
			continue
		}
		t, ok := lookup(u, &p.Pipeline.ArtifactStores[u.store])
		if !ok {
			continue
		}
		gap, known := findGrantGap(cache, t.docs, t.identity, u.role, t.probes)
		if !known || gap.empty() {
			continue
		}
		p.Reportf(ActionPath(u.ref.Stage, u.ref.Action).Attr("role_arn"), t.fix,
			"%s acts in account %s as %s, but %s.",
			capitalize(describeAction(p.Pipeline, u.ref)), AccountOfARN(u.role), u.role, fmt.Sprintf(t.what, gap.describe()))
	}
}

// storeKeyARN returns the ARN of the key of a store block: the ARN the facts know for its id,
// or the id itself when it is a key ARN.
func storeKeyARN(facts Facts, ref *ArtifactStoreRef) (string, bool) {
	id, ok := storeKeyID(ref)
	if !ok {
		return "", false
	}
	if k := knownKey(facts, id); k != nil && k.ARN != "" && IsKnown(k.ARN) {
		return k.ARN, true
	}
	return id, keyARNPattern.MatchString(id)
}

func bucketGrantFix(bucket, role string) string {
	part := partitionOfRole(role)
	return fmt.Sprintf("Add the role to cross_account_roles of the codepipeline_artifact_store for %q, or add a bucket policy statement allowing it %s on %s and %s on %s.",
		bucket, strings.Join(policy.BucketObjectGrantActions, ", "), part.Objects(bucket),
		strings.Join(policy.BucketGrantActions, ", "), part.Bucket(bucket))
}

// partitionOfRole is the partition of a role ARN, which is the partition of the buckets and
// keys it is granted: the aws partition when role is not an ARN.
func partitionOfRole(role string) arn.Partition {
	if a, err := arn.Parse(role); err == nil {
		return a.Partition
	}
	return arn.AWS
}

var _ = register(&Rule{
	ID: "xacct-bucket-policy", Severity: SeverityError, Where: AtPlan | AtApply | AtRun,
	Needs: PartArtifactStores,
	Title: "Bucket Policy Must Grant Cross-Account Roles",
	Doc:   "The artifact bucket's policy allows each cross-account role (or its account root) s3:Get* and s3:Put* on the bucket's objects and s3:ListBucket on the bucket.",
	Check: func(p *Pass) {
		if s := p.Store; s != nil && s.Policy != "" && IsKnown(s.Policy) && IsKnown(s.Bucket) {
			// The generated policy grants cross_account_roles by construction; a policy given
			// explicitly must still grant each of them.
			cache := policyCache{}
			for _, r := range s.CrossAccountRoles {
				if r == "" || !IsKnown(r) {
					continue
				}
				gap, _ := findGrantGap(cache, []string{s.Policy}, false, r, bucketProbes(s.Bucket, "", s.EncryptionKeyARN, r))
				if !gap.empty() {
					p.Reportf(Root("cross_account_roles"), bucketGrantFix(s.Bucket, r),
						"Cross-account role %s is listed, but the policy of bucket %q does not allow it %s.", r, s.Bucket, gap.describe())
				}
			}
		}
		checkCrossAccountGrants(p, func(u xacctUse, ref *ArtifactStoreRef) (grantTarget, bool) {
			st := p.Facts.Stores[ref.Location]
			if !IsKnown(ref.Location) || st == nil {
				return grantTarget{}, false
			}
			keyARN, _ := storeKeyARN(p.Facts, ref)
			return grantTarget{
				what:   fmt.Sprintf("the policy of artifact bucket %q does not allow it %%s", ref.Location),
				docs:   []string{st.Policy},
				probes: bucketProbes(ref.Location, p.Pipeline.Name, keyARN, u.role),
				fix:    bucketGrantFix(ref.Location, u.role),
			}, true
		})
	},
})

var _ = register(&Rule{
	ID: "xacct-key-policy", Severity: SeverityError, Where: AtPlan | AtApply | AtRun,
	Needs: PartArtifactStores,
	Title: "Key Policy Must Grant Cross-Account Roles",
	Doc:   "The artifact key's policy allows each cross-account role (or its account root) kms:Decrypt, kms:DescribeKey, kms:Encrypt, kms:ReEncrypt* and kms:GenerateDataKey*.",
	Check: func(p *Pass) {
		checkCrossAccountGrants(p, func(u xacctUse, ref *ArtifactStoreRef) (grantTarget, bool) {
			id, ok := storeKeyID(ref)
			k := knownKey(p.Facts, id)
			if !ok || k == nil || !k.CustomerManaged {
				return grantTarget{}, false // no key facts, or xacct-cmk-required's case
			}
			keyARN, _ := storeKeyARN(p.Facts, ref)
			return grantTarget{
				what:   fmt.Sprintf("the policy of key %s does not allow it %%s", keyARN),
				docs:   []string{k.Policy},
				probes: keyProbes(keyARN, u.role),
				fix: fmt.Sprintf("Add the role to grantee_roles of the codepipeline_cross_account_key, or add a key policy statement allowing it %s.",
					strings.Join(policy.KeyGrantActions, ", ")),
			}, true
		})
	},
})

var _ = register(&Rule{
	// At plan when the role, store and key already exist (the backend's facts); otherwise at
	// the preflight of the apply that creates them.
	ID: "xacct-role-decrypt", Severity: SeverityError, Where: AtPlan | AtApply | AtRun,
	Needs: PartArtifactStores,
	Title: "Cross-Account Role Must Be Allowed To Use The Key",
	Doc:   "The target-account role's own policies allow it kms:Decrypt and the other key actions on the artifact key in the pipeline's account.",
	Check: func(p *Pass) {
		// The role resource's generated policy grants the key by construction, so only the
		// roles a pipeline's actions use are checked, against what the backend knows of them.
		checkCrossAccountGrants(p, func(u xacctUse, ref *ArtifactStoreRef) (grantTarget, bool) {
			role := p.Facts.Roles[u.role]
			keyARN, ok := storeKeyARN(p.Facts, ref)
			if role == nil || !ok {
				return grantTarget{}, false
			}
			return grantTarget{
				what:     fmt.Sprintf("the role's own policies do not allow it %%s on key %s (cross-account access needs the role's policy as well as the key policy)", keyARN),
				docs:     role.IdentityPolicies,
				identity: true,
				probes:   keyProbes(keyARN, u.role),
				fix: fmt.Sprintf("Attach a policy to the role allowing %s on %s (codepipeline_cross_account_role with key_arn set does this).",
					strings.Join(policy.KeyGrantActions, ", "), keyARN),
			}, true
		})
	},
})

var _ = register(&Rule{
	ID: "xacct-third-account", Severity: SeverityError, Where: AtPlan,
	Title: "Artifacts Cannot Pass Between Two Other Accounts",
	Doc:   "An artifact does not pass between two accounts when neither is the pipeline's account.",
	Check: func(p *Pass) {
		pl, ix := p.Pipeline, p.Index
		if pl == nil || ix.PipelineAccount == "" || !IsKnown(ix.PipelineAccount) {
			return
		}
		eachActionOf(p, func(ref ActionRef, a *Action) {
			to := ix.ActionAccount(a)
			if to == "" || to == ix.PipelineAccount || a.IsUnknown("input_artifacts") {
				return
			}
			for k, name := range a.InputArtifacts {
				prods := ix.Producers[name]
				if !IsKnown(name) || len(prods) == 0 {
					continue
				}
				from := ix.ActionAccount(actionAt(pl, prods[0]))
				if from == "" || from == to || from == ix.PipelineAccount {
					continue
				}
				p.Reportf(ref.Path().Attr("input_artifacts").Index(k),
					"Run one of the two actions in the pipeline's account, or in the same account as the other, so the artifact passes through an account that owns or shares it.",
					"Artifact %q goes from %s in account %s to action %q in account %s; neither is the pipeline's account %s, and artifacts can only pass between the pipeline's account and one other.",
					name, describeAction(pl, prods[0]), from, a.Name, to, ix.PipelineAccount)
			}
		})
	},
})
