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
		if d := derivers[r.Type]; d != nil && (r.Mode == "managed" || r.Type == "aws_iam_policy_document") {
			d(inv, r)
		}
	}
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
	"aws_iam_policy_document": func(inv *Inventory, r *Resource) {
		if doc, ok := policyDocumentJSON(inv, r); ok {
			fill(r, "json", doc)
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

// policyDocumentJSON renders an aws_iam_policy_document data source's statements as the JSON
// document the AWS provider would, when every part is known. Documents that merge other
// documents (source_policy_documents, override_policy_documents) are left unknown.
func policyDocumentJSON(inv *Inventory, r *Resource) (string, bool) {
	for _, merge := range []string{"source_policy_documents", "override_policy_documents", "source_json", "override_json"} {
		if v := r.Values[merge]; v != nil && listLen(v) != 0 {
			return "", false
		}
	}
	stmts := inv.value(r, "statement")
	n := listLen(stmts)
	if n < 0 {
		return "", false
	}
	doc := map[string]any{"Version": policy.Version2012}
	var out []any
	for i := 0; i < n; i++ {
		s, ok := statementJSON(getPath(stmts, join(i)))
		if !ok {
			return "", false
		}
		out = append(out, s)
	}
	doc["Statement"] = out
	b, err := json.Marshal(doc)
	if err != nil {
		return "", false
	}
	return string(b), true
}

func statementJSON(v any) (map[string]any, bool) {
	s, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	out := map[string]any{}
	effect := "Allow"
	if e, ok := s["effect"].(string); ok && e != "" {
		effect = e
	} else if s["effect"] != nil {
		return nil, false
	}
	out["Effect"] = effect
	if sid, ok := s["sid"].(string); ok && sid != "" {
		out["Sid"] = sid
	}
	for attr, key := range map[string]string{"actions": "Action", "not_actions": "NotAction", "resources": "Resource", "not_resources": "NotResource"} {
		if s[attr] == nil {
			continue
		}
		l, ok := knownStrings(s[attr])
		if !ok {
			return nil, false
		}
		if len(l) > 0 {
			out[key] = l
		}
	}
	for attr, key := range map[string]string{"principals": "Principal", "not_principals": "NotPrincipal"} {
		n := listLen(s[attr])
		if n < 0 {
			return nil, false
		}
		if n == 0 {
			continue
		}
		ps := map[string]any{}
		for i := 0; i < n; i++ {
			p, _ := getPath(s[attr], join(i)).(map[string]any)
			typ, ok1 := p["type"].(string)
			ids, ok2 := knownStrings(p["identifiers"])
			if !ok1 || !ok2 {
				return nil, false
			}
			if typ == "*" {
				ps = nil
				out[key] = "*"
				break
			}
			prev, _ := ps[typ].([]string)
			ps[typ] = append(prev, ids...)
		}
		if ps != nil {
			out[key] = ps
		}
	}
	if n := listLen(s["condition"]); n != 0 {
		if n < 0 {
			return nil, false
		}
		cond := map[string]map[string][]string{}
		for i := 0; i < n; i++ {
			c, _ := getPath(s["condition"], join(i)).(map[string]any)
			test, ok1 := c["test"].(string)
			variable, ok2 := c["variable"].(string)
			vals, ok3 := knownStrings(c["values"])
			if !ok1 || !ok2 || !ok3 {
				return nil, false
			}
			if cond[test] == nil {
				cond[test] = map[string][]string{}
			}
			cond[test][variable] = append(cond[test][variable], vals...)
		}
		out["Condition"] = cond
	}
	return out, true
}
