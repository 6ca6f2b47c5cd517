package check

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

var (
	bucketTypes = map[string]bool{"aws_s3_bucket": true, "codepipeline_artifact_store": true}
	keyTypes    = map[string]bool{"aws_kms_key": true, "codepipeline_cross_account_key": true}
	roleTypes   = map[string]bool{"aws_iam_role": true, "codepipeline_cross_account_role": true}
)

// pipelineInput builds the input of one pipeline resource: the pipeline and the facts about
// the buckets, keys and roles it names that the input describes.
func (c *converter) pipelineInput(r *Resource) pipeline.Input {
	pl := c.pipelineOf(r)
	c.pipelines[r] = pl
	prov := c.inv.provider(r)
	facts := pipeline.Facts{
		AccountID: prov.AccountID, Region: prov.Region,
		Stores: map[string]*pipeline.ArtifactStore{}, Keys: map[string]*pipeline.Key{}, Roles: map[string]*pipeline.Role{},
	}
	src := &factSources{stores: map[int]*Resource{}, keys: map[int]*Resource{}, roles: map[[2]int]*Resource{}}
	c.sources[r] = src
	for i, s := range pl.ArtifactStores {
		at := join("artifact_store", i)
		if s.Location != "" && pipeline.IsKnown(s.Location) {
			if b := c.follow(r, join(at, "location"), bucketTypes); b != nil {
				facts.Stores[s.Location] = c.storeFact(b)
				src.stores[i] = b
			}
		}
		if s.EncryptionKey != nil && s.EncryptionKey.ID != "" && pipeline.IsKnown(s.EncryptionKey.ID) {
			if k := c.follow(r, join(at, "encryption_key", 0, "id"), keyTypes); k != nil {
				facts.Keys[s.EncryptionKey.ID] = c.keyFact(k)
				src.keys[i] = k
			}
		}
	}
	for i, st := range pl.Stages {
		for j, a := range st.Actions {
			if a.RoleARN == "" || !pipeline.IsKnown(a.RoleARN) {
				continue
			}
			if role := c.follow(r, join("stage", i, "action", j, "role_arn"), roleTypes); role != nil {
				facts.Roles[a.RoleARN] = c.roleFact(role)
				src.roles[[2]int{i, j}] = role
			}
		}
	}
	return pipeline.Input{Pipeline: pl, Facts: facts}
}

// factSources are the resources the facts of one pipeline's input were read from: by
// artifact_store index, and by stage and action index for roles.
type factSources struct {
	stores, keys map[int]*Resource
	roles        map[[2]int]*Resource
}

// storeFact describes a bucket: this provider's artifact store, or an aws_s3_bucket with the
// versioning, policy and encryption resources that configure it.
func (c *converter) storeFact(b *Resource) *pipeline.ArtifactStore {
	s := &pipeline.ArtifactStore{Bucket: c.str(b, "bucket"), AccountID: c.inv.provider(b).AccountID, Region: c.inv.provider(b).Region}
	if b.Type == "codepipeline_artifact_store" {
		if acct, ok := asString(c.inv.value(b, "account_id")); ok {
			s.AccountID = acct
		}
		s.Versioning = c.boolean(b, "versioning", true)
		s.EncryptionKeyARN = c.str(b, "encryption_key_arn")
		s.CrossAccountRoles, _ = c.strs(b, "cross_account_roles")
		s.Policy = c.computed(b, "policy")
		return s
	}
	sats := c.satellites[b]
	s.Versioning = c.bucketVersioning(b, sats["aws_s3_bucket_versioning"])
	switch bp := sats["aws_s3_bucket_policy"]; {
	case len(bp) > 0 && bp[0].Uncounted && b.Configured["policy"]:
		s.Policy = pipeline.Unknown // one policy or the other, not known which
	// A policy resource that may or may not be created: without it the bucket has no policy,
	// which grants nothing, so what it fails to grant is missing either way.
	case len(bp) > 0:
		s.Policy = c.policy(bp[0], "policy", false)
	case b.Configured["policy"]:
		s.Policy = c.policy(b, "policy", false) // the deprecated inline policy argument
	}
	if sse := sats["aws_s3_bucket_server_side_encryption_configuration"]; len(sse) > 0 {
		const def = "rule.0.apply_server_side_encryption_by_default.0."
		if alg := c.str(sse[0], def+"sse_algorithm"); alg != "AES256" {
			s.EncryptionKeyARN = c.str(sse[0], def+"kms_master_key_id")
			if s.EncryptionKeyARN == "" && alg == "aws:kms" {
				s.EncryptionKeyARN = "alias/aws/s3" // aws:kms without a key id is the AWS-managed key
			}
		}
	}
	return s
}

// bucketVersioning tells whether an aws_s3_bucket is versioned: by its
// aws_s3_bucket_versioning ("Enabled"; "Suspended" and "Disabled" are not), else by the
// deprecated inline versioning block. A new bucket configured with neither is not versioned.
// A status only known after apply counts as versioned, so the rule skips it rather than guess;
// so does an "Enabled" versioning resource whose count is not known (without it the bucket
// would not be versioned).
func (c *converter) bucketVersioning(b *Resource, vs []*Resource) bool {
	if len(vs) > 0 {
		s, ok := asString(c.inv.value(vs[0], "versioning_configuration.0.status"))
		if !ok || s == "Enabled" {
			return true
		}
		if !vs[0].Uncounted {
			return false
		}
		// Not enabled by the resource if it exists; without it, as the bucket says.
	}
	v := c.inv.value(b, "versioning.0.enabled")
	if on, ok := asBool(v); ok {
		return on
	}
	return (isUnknown(v) || isUnknown(c.inv.value(b, "versioning"))) && b.Configured["versioning"]
}

// keyFact describes a customer-managed key: this provider's key, or an aws_kms_key.
func (c *converter) keyFact(k *Resource) *pipeline.Key {
	key := &pipeline.Key{ARN: c.str(k, "arn"), AccountID: c.inv.provider(k).AccountID, CustomerManaged: true}
	if k.Type == "codepipeline_cross_account_key" {
		key.RotationEnabled = c.boolean(k, "enable_key_rotation", true)
		key.GranteeRoles, _ = c.strs(k, "grantee_roles")
		key.Policy = c.computed(k, "policy")
		return key
	}
	// aws_kms_key: rotation defaults to off; a value known only after apply is given the
	// benefit of the doubt.
	rot := c.inv.value(k, "enable_key_rotation")
	key.RotationEnabled = isUnknown(rot) || c.boolean(k, "enable_key_rotation", false)
	switch sats := c.satellites[k]["aws_kms_key_policy"]; {
	case len(sats) > 0 && sats[0].Uncounted:
		key.Policy = pipeline.Unknown
	case len(sats) > 0:
		key.Policy = c.policy(sats[0], "policy", false)
	case k.Configured["policy"]:
		key.Policy = c.policy(k, "policy", false)
	default:
		// No policy configured: AWS applies the default key policy, which gives the key's own
		// account root full use and nobody else anything.
		if s, ok := asString(c.inv.value(k, "policy")); ok && s != "" {
			key.Policy = s
		} else if key.AccountID != "" {
			key.Policy = policy.KeyPolicy(arn.AWS, key.AccountID, nil).JSON()
		} else {
			key.Policy = pipeline.Unknown
		}
	}
	return key
}

// roleFact describes a role: this provider's cross-account role, or an aws_iam_role with its
// inline policies. Managed policy attachments cannot be read from the input, so a role with any
// has a policy set that is not known and the rules skip it.
func (c *converter) roleFact(r *Resource) *pipeline.Role {
	role := &pipeline.Role{ARN: c.str(r, "arn"), AccountID: pipeline.AccountOfARN(c.str(r, "arn"))}
	if role.AccountID == "" {
		role.AccountID = c.inv.provider(r).AccountID
	}
	if r.Type == "codepipeline_cross_account_role" {
		role.IdentityPolicies = []string{c.generatedRolePolicy(r)}
		role.TrustPolicy = c.computed(r, "trust_policy")
		return role
	}
	role.TrustPolicy = c.str(r, "assume_role_policy")
	for i := 0; i < c.count(r, "inline_policy"); i++ {
		if p := c.policy(r, join("inline_policy", i, "policy"), true); p != "" {
			role.IdentityPolicies = append(role.IdentityPolicies, p)
		}
	}
	if isUnknown(c.inv.value(r, "inline_policy")) {
		role.IdentityPolicies = append(role.IdentityPolicies, pipeline.Unknown)
	}
	for _, rp := range c.satellites[r]["aws_iam_role_policy"] {
		// One that may or may not be created can only add grants: it is read as it is written.
		role.IdentityPolicies = append(role.IdentityPolicies, c.policy(rp, "policy", true))
	}
	managed := c.inv.value(r, "managed_policy_arns")
	if len(c.satellites[r]["aws_iam_role_policy_attachment"]) > 0 || listLen(managed) > 0 || (isUnknown(managed) && r.Configured["managed_policy_arns"]) {
		role.IdentityPolicies = append(role.IdentityPolicies, pipeline.Unknown)
	}
	return role
}

// generatedRolePolicy returns the identity policy a codepipeline_cross_account_role
// generates: the input's value when it is known, else the policy built from artifact_bucket_arn
// and key_arn as the conversion sees them. The policy grants exactly the key key_arn names, so
// when key_arn refers to a key created in the same apply, the policy grants that key, whatever
// its ARN turns out to be: its placeholder stands in for it, as it does wherever else the key
// is referenced. When an input is not known even as a reference, neither is the policy, and the
// rules skip the role.
func (c *converter) generatedRolePolicy(r *Resource) string {
	if s, ok := asString(c.inv.value(r, "policy")); ok {
		return s
	}
	bucketARN := c.str(r, "artifact_bucket_arn")
	keyARN := c.str(r, "key_arn")
	if !pipeline.IsKnown(bucketARN) || !pipeline.IsKnown(keyARN) || !strings.HasPrefix(bucketARN, "arn:aws:s3:::") {
		return pipeline.Unknown
	}
	return policy.TargetRolePolicy(arn.AWS, strings.TrimPrefix(bucketARN, "arn:aws:s3:::"), keyARN).JSON()
}

// policy returns a policy document attribute for the rules, which only ever ask whether a
// grant is missing: the document as written when it is known; when only parts of it are (a
// jsonencode or template around a value known after apply), its most permissive completion
// (permissivePolicy); otherwise pipeline.Unknown. identity says whether it is an identity
// policy (no Principal) or a resource policy.
func (c *converter) policy(r *Resource, path string, identity bool) string {
	switch v := c.inv.value(r, path).(type) {
	case string:
		return v
	case nil:
		return ""
	case unknownValue:
		if v.doc != nil {
			if doc, ok := permissivePolicy(v.doc.tree, identity); ok {
				return doc
			}
		}
	}
	return pipeline.Unknown
}

// computed returns a computed-only attribute of this provider's resources. Such an attribute
// is absent from .tf input when derive could not work it out, which means not known yet,
// never empty.
func (c *converter) computed(r *Resource, path string) string {
	if c.inv.value(r, path) == nil {
		return pipeline.Unknown
	}
	return c.str(r, path)
}

// placeholders stand in for values only known after apply whose form the schema fixes: the
// ARN of a key, the name of an alias, the name of a bucket. The rules see a value of the right
// form (so that "named by ARN" or "is the AWS-managed key" can be decided) and the facts are
// keyed by it; the report then prints the reference instead of the placeholder.
type placeholders struct {
	byAttr map[string]string // address + "." + attr → token
	text   map[string]string // token → what the report prints
}

func newPlaceholders() *placeholders {
	return &placeholders{byAttr: map[string]string{}, text: map[string]string{}}
}

// placeholderForms maps a resource type and attribute to the form of its value: %[1]s is the
// token's unique part, %[2]s and %[3]s the region and account of the resource's provider
// block. A key's ARN names the account and region it is created in, so that a policy naming
// the pipeline account's keys (arn:aws:kms:us-east-1:111111111111:key/*) matches it.
var placeholderForms = map[string]string{
	"aws_kms_key.arn":                       "arn:aws:kms:%[2]s:%[3]s:key/after-apply-%[1]s",
	"aws_kms_key.key_id":                    "after-apply-key-%[1]s",
	"aws_kms_key.id":                        "after-apply-key-%[1]s",
	"codepipeline_cross_account_key.arn":    "arn:aws:kms:%[2]s:%[3]s:key/after-apply-%[1]s",
	"codepipeline_cross_account_key.key_id": "after-apply-key-%[1]s",
	"aws_kms_alias.arn":                     "arn:aws:kms:%[2]s:%[3]s:alias/after-apply-%[1]s",
	"aws_kms_alias.name":                    "alias/after-apply-%[1]s",
	"aws_s3_bucket.bucket":                  "after-apply-bucket-%[1]s",
	"aws_s3_bucket.id":                      "after-apply-bucket-%[1]s",
	"aws_s3_bucket.arn":                     "arn:aws:s3:::after-apply-bucket-%[1]s",
	"codepipeline_artifact_store.bucket":    "after-apply-bucket-%[1]s",
	"codepipeline_artifact_store.arn":       "arn:aws:s3:::after-apply-bucket-%[1]s",
}

// forAttr returns the placeholder of attribute attr of r, created by provider block prov.
// Where the block does not say, the region and account are ones no real resource has.
func (p *placeholders) forAttr(r *Resource, attr string, prov *Provider) (string, bool) {
	form, ok := placeholderForms[r.Type+"."+attr]
	if !ok {
		return "", false
	}
	id := r.Address + "." + attr
	if tok, ok := p.byAttr[id]; ok {
		return tok, true
	}
	region, account := prov.Region, prov.AccountID
	if !backend.RegionPattern().MatchString(region) {
		region = "unknown"
	}
	if !backend.AccountIDPattern().MatchString(account) {
		account = "000000000000"
	}
	tok := fmt.Sprintf(form, fmt.Sprintf("%04d", len(p.byAttr)+1), region, account)
	p.byAttr[id] = tok
	p.text[tok] = id + " (known after apply)"
	return tok, true
}

// replace puts the references back in place of the placeholders in report text.
func (p *placeholders) replace(s string) string {
	if len(p.text) == 0 {
		return s
	}
	toks := make([]string, 0, len(p.text))
	for t := range p.text {
		toks = append(toks, t)
	}
	sort.Slice(toks, func(i, j int) bool { return len(toks[i]) > len(toks[j]) })
	var pairs []string
	for _, t := range toks {
		pairs = append(pairs, t, p.text[t])
	}
	return strings.NewReplacer(pairs...).Replace(s)
}
