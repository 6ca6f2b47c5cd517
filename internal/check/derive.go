package check

import (
	"encoding/json"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// derive fills in attribute values that are not in the input but follow from it with
// certainty: provider defaults of attributes the configuration leaves unset, computed values
// fully determined by known ones (a bucket's ARN from its name, a role's ARN from its account
// and name, this provider's generated policies, a policy document's JSON from its
// statements). Nothing is filled in that depends on what AWS decides at apply (a key's id).
// It only ever replaces missing or unknown values, so on a plan it changes nothing Terraform
// already knew.
func derive(inv *Inventory) {
	for _, r := range inv.Resources {
		deriveResource(inv, r)
	}
}

// deriveResource fills in what follows with certainty about one resource or data source.
func deriveResource(inv *Inventory, r *Resource) {
	table := derivers
	if r.Mode == "data" {
		table = dataDerivers
	}
	if d := table[r.Type]; d != nil {
		d(inv, r)
	}
}

// dataDerivers fill in the attributes of data sources that depend only on their arguments or
// on the provider configuration: a policy document's JSON, the account and region a provider
// block restricts itself to. Anything else a data source reads is unknown until terraform
// reads it.
var dataDerivers = map[string]func(*Inventory, *Resource){
	"aws_iam_policy_document": func(inv *Inventory, r *Resource) {
		if doc, ok := policyDocument(inv, r); ok {
			fill(r, "json", doc)
			fill(r, "minified_json", doc)
		}
	},
	"aws_caller_identity": func(inv *Inventory, r *Resource) {
		if acct := inv.provider(r).AccountID; acct != "" {
			fill(r, "account_id", acct)
		}
	},
	"codepipeline_caller_identity": func(inv *Inventory, r *Resource) {
		p := inv.provider(r)
		if p.AccountID != "" {
			fill(r, "account_id", p.AccountID)
		}
		if p.Region != "" {
			fill(r, "region", p.Region)
		}
	},
	"aws_region": func(inv *Inventory, r *Resource) {
		if _, named := r.Values["name"]; named {
			return // a region looked up by name: the name is as written
		}
		if region := inv.provider(r).Region; region != "" {
			fill(r, "name", region)
			fill(r, "id", region)
		}
	},
	"aws_partition": func(inv *Inventory, r *Resource) {
		if region := inv.provider(r).Region; region != "" {
			fill(r, "partition", string(arn.PartitionOf(region)))
		}
	},
}

var derivers = map[string]func(*Inventory, *Resource){
	"aws_s3_bucket": func(inv *Inventory, r *Resource) {
		if b, ok := asString(inv.value(r, "bucket")); ok && b != "" {
			fill(r, "id", b)
			fill(r, "arn", arn.AWS.Bucket(b))
		}
	},
	"aws_iam_role": func(inv *Inventory, r *Resource) {
		name, ok := asString(inv.value(r, "name"))
		if !ok || name == "" {
			return
		}
		fill(r, "id", name)
		fill(r, "name", name)
		path, _ := asString(inv.value(r, "path"))
		if acct := inv.provider(r).AccountID; acct != "" && (path == "" || path == "/") {
			fill(r, "arn", arn.AWS.Role(acct, name))
		}
	},
	"aws_kms_alias": func(inv *Inventory, r *Resource) {
		if n, ok := asString(inv.value(r, "name")); ok {
			fill(r, "id", n)
		}
	},
	"aws_codepipeline": func(_ *Inventory, r *Resource) {
		fillDefault(r, "pipeline_type", "V1") // the AWS provider's default; this provider's is V2
	},
	"codepipeline_artifact_store": func(inv *Inventory, r *Resource) {
		fillDefault(r, "versioning", true)
		b, ok := asString(inv.value(r, "bucket"))
		if !ok || b == "" {
			return
		}
		fill(r, "arn", arn.AWS.Bucket(b))
		if roles, ok := knownStrings(inv.value(r, "cross_account_roles")); ok {
			fill(r, "policy", policy.BucketPolicy(arn.AWS, b, roles).JSON())
		}
		if acct := inv.provider(r).AccountID; acct != "" {
			fill(r, "account_id", acct)
		}
	},
	"codepipeline_cross_account_key": func(inv *Inventory, r *Resource) {
		fillDefault(r, "enable_key_rotation", true)
		acct := inv.provider(r).AccountID
		if roles, ok := knownStrings(inv.value(r, "grantee_roles")); ok && acct != "" {
			fill(r, "policy", policy.KeyPolicy(arn.AWS, acct, roles).JSON())
		}
	},
	"codepipeline_cross_account_role": func(inv *Inventory, r *Resource) {
		name, _ := asString(inv.value(r, "name"))
		if acct := inv.provider(r).AccountID; acct != "" && name != "" {
			fill(r, "arn", arn.AWS.Role(acct, name))
		}
		if t, ok := asString(inv.value(r, "trusted_account_id")); ok && t != "" {
			fill(r, "trust_policy", policy.TrustPolicy(arn.AWS, t).JSON())
		}
		// With key_arn a reference to a key created in the same apply, the policy is built at
		// conversion instead, where the key has a placeholder ARN (generatedRolePolicy).
		bucketARN, okB := asString(inv.value(r, "artifact_bucket_arn"))
		keyV := inv.value(r, "key_arn")
		key, okK := asString(keyV)
		if keyV == nil {
			key, okK = "", true
		}
		if okB && okK && strings.HasPrefix(bucketARN, "arn:aws:s3:::") {
			fill(r, "policy", policy.TargetRolePolicy(arn.AWS, strings.TrimPrefix(bucketARN, "arn:aws:s3:::"), key).JSON())
		}
	},
}

// fill sets attr to v when the input leaves it missing or unknown.
func fill(r *Resource, attr string, v any) {
	if cur, ok := r.Values[attr]; !ok || cur == nil || isUnknown(cur) {
		r.Values[attr] = v
	}
}

// fillDefault sets attr to the provider's default when the configuration does not set it.
func fillDefault(r *Resource, attr string, v any) {
	if cur, ok := r.Values[attr]; (!ok || cur == nil) && !r.Configured[attr] {
		r.Values[attr] = v
	}
}

// knownStrings returns a list of strings when it and all of its elements are known.
func knownStrings(v any) ([]string, bool) {
	if v == nil {
		return nil, true
	}
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// policyDocument renders an aws_iam_policy_document data source's statements as the JSON
// document the AWS provider would: a string when every part is known, else an unknown value
// carrying the known parts (a partial document). Documents that merge other documents
// (source_policy_documents, override_policy_documents) are left unknown.
func policyDocument(inv *Inventory, r *Resource) (any, bool) {
	for _, merge := range []string{"source_policy_documents", "override_policy_documents", "source_json", "override_json"} {
		if v := r.Values[merge]; v != nil && listLen(v) != 0 {
			return nil, false
		}
	}
	stmts := inv.value(r, "statement")
	n := listLen(stmts)
	if n < 0 {
		return nil, false
	}
	doc := map[string]any{"Version": policy.Version2012}
	if v, ok := r.Values["version"].(string); ok && v != "" {
		doc["Version"] = v
	}
	out := []any{}
	for i := 0; i < n; i++ {
		out = append(out, statementOf(getPath(stmts, join(i))))
	}
	doc["Statement"] = out
	if hasUnknown(doc) {
		return unknownValue{doc: &partialDoc{tree: doc}}, true
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, false
	}
	return string(b), true
}

// statementOf renders one statement block; unknown parts stay unknown.
func statementOf(v any) any {
	s, ok := v.(map[string]any)
	if !ok {
		return unknown
	}
	out := map[string]any{"Effect": "Allow"}
	switch e := s["effect"].(type) {
	case string:
		if e != "" {
			out["Effect"] = e
		}
	case unknownValue:
		out["Effect"] = unknown
	}
	if sid, ok := s["sid"].(string); ok && sid != "" {
		out["Sid"] = sid
	}
	for attr, key := range map[string]string{"actions": "Action", "not_actions": "NotAction", "resources": "Resource", "not_resources": "NotResource"} {
		switch l := s[attr].(type) {
		case unknownValue:
			out[key] = unknown
		case []any:
			if len(l) > 0 {
				out[key] = l
			}
		}
	}
	for attr, key := range map[string]string{"principals": "Principal", "not_principals": "NotPrincipal"} {
		n := listLen(s[attr])
		if n < 0 {
			out[key] = unknown
			continue
		}
		if n == 0 {
			continue
		}
		ps := map[string]any{}
		for i := 0; i < n; i++ {
			p, _ := getPath(s[attr], join(i)).(map[string]any)
			typ, ok := p["type"].(string)
			if !ok {
				ps = nil
				out[key] = unknown
				break
			}
			if typ == "*" {
				ps = nil
				out[key] = "*"
				break
			}
			prev, _ := ps[typ].([]any)
			switch ids := p["identifiers"].(type) {
			case []any:
				ps[typ] = append(prev, ids...)
			default:
				ps[typ] = append(prev, unknown)
			}
		}
		if ps != nil {
			out[key] = ps
		}
	}
	if n := listLen(s["condition"]); n != 0 {
		if n < 0 {
			out["Condition"] = unknown
			return out
		}
		cond := map[string]any{}
		for i := 0; i < n; i++ {
			c, _ := getPath(s["condition"], join(i)).(map[string]any)
			test, ok1 := c["test"].(string)
			variable, ok2 := c["variable"].(string)
			if !ok1 || !ok2 {
				out["Condition"] = unknown
				return out
			}
			keys, _ := cond[test].(map[string]any)
			if keys == nil {
				keys = map[string]any{}
				cond[test] = keys
			}
			prev, _ := keys[variable].([]any)
			switch vals := c["values"].(type) {
			case []any:
				keys[variable] = append(prev, vals...)
			default:
				keys[variable] = append(prev, unknown)
			}
		}
		out["Condition"] = cond
	}
	return out
}
