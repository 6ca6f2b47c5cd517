package policy

import (
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
)

// reparse round-trips a built document through its canonical JSON, as stored state would.
func reparse(t *testing.T, d *Document) *Document {
	t.Helper()
	out, err := Parse(d.JSON())
	if err != nil {
		t.Fatalf("built policy does not parse: %v\n%s", err, d.JSON())
	}
	return out
}

func TestBucketPolicy(t *testing.T) {
	d := reparse(t, BucketPolicy(arn.AWS, "artifacts", []string{deployRole, deployRole}))
	for _, tc := range []struct {
		name      string
		principal string
		action    string
		resource  string
		ctx       map[string]string
		want      Decision
	}{
		{"role reads over TLS", deployRole, "s3:GetObject", objectARN, tls, Allow},
		{"role reads versions over TLS", deployRole, "s3:GetObjectVersion", objectARN, tls, Allow},
		{"role writes over TLS", deployRole, "s3:PutObject", objectARN, tls, Allow},
		{"role lists the bucket", deployRole, "s3:ListBucket", "arn:aws:s3:::artifacts", tls, Allow},
		{"assumed-role session reads", deploySess, "s3:GetObject", objectARN, tls, Allow},
		{"role without TLS is denied", deployRole, "s3:GetObject", objectARN, map[string]string{"aws:SecureTransport": "false"}, ExplicitDeny},
		{"anyone without TLS is denied on the bucket", thirdRole, "s3:ListBucket", "arn:aws:s3:::artifacts", map[string]string{"aws:SecureTransport": "false"}, ExplicitDeny},
		{"another role is not allowed", otherRole, "s3:GetObject", objectARN, tls, ImplicitDeny},
		{"role may not delete", deployRole, "s3:DeleteObject", objectARN, tls, ImplicitDeny},
		{"role may not read another bucket", deployRole, "s3:GetObject", "arn:aws:s3:::other/x", tls, ImplicitDeny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := Request{Principal: tc.principal, Action: tc.action, Resource: tc.resource, Context: tc.ctx}
			if got := d.EvaluateResource(req); got != tc.want {
				t.Errorf("EvaluateResource = %v, want %v", got, tc.want)
			}
		})
	}
	if got, want := len(d.Statement), 3; got != want {
		t.Errorf("%d statements, want %d (duplicate roles are one principal)", got, want)
	}
}

func TestBucketPolicyWithoutRoles(t *testing.T) {
	d := reparse(t, BucketPolicy(arn.AWS, "artifacts", nil))
	if len(d.Statement) != 1 || d.Statement[0].Sid != SidDenyInsecure {
		t.Fatalf("want only the TLS deny, got %s", d.JSON())
	}
	req := Request{Principal: deployRole, Action: "s3:GetObject", Resource: objectARN, Context: tls}
	if got := d.EvaluateResource(req); got != ImplicitDeny {
		t.Errorf("EvaluateResource = %v, want ImplicitDeny", got)
	}
}

func TestBuildersAreDeterministic(t *testing.T) {
	a := BucketPolicy(arn.AWS, "b", []string{otherRole, deployRole}).JSON()
	b := BucketPolicy(arn.AWS, "b", []string{deployRole, otherRole}).JSON()
	if a != b {
		t.Errorf("role order changes the policy:\n%s\n%s", a, b)
	}
	c := KeyPolicy(arn.AWS, pipelineAcct, []string{otherRole, deployRole}).JSON()
	d := KeyPolicy(arn.AWS, pipelineAcct, []string{deployRole, otherRole}).JSON()
	if c != d {
		t.Errorf("grantee order changes the policy:\n%s\n%s", c, d)
	}
	if canon, err := Canonical(a); err != nil || canon != a {
		t.Errorf("built JSON is not canonical: %v\n%s\n%s", err, a, canon)
	}
}

func TestKeyPolicy(t *testing.T) {
	d := reparse(t, KeyPolicy(arn.AWS, pipelineAcct, []string{deployRole}))
	for _, tc := range []struct {
		name, principal, action string
		want                    Decision
	}{
		{"key account root administers", "arn:aws:iam::111111111111:root", "kms:ScheduleKeyDeletion", Allow},
		{"key account role is covered by root", "arn:aws:iam::111111111111:role/admin", "kms:PutKeyPolicy", Allow},
		{"grantee decrypts", deployRole, "kms:Decrypt", Allow},
		{"grantee generates data keys", deployRole, "kms:GenerateDataKey", Allow},
		{"grantee re-encrypts", deployRole, "kms:ReEncryptFrom", Allow},
		{"grantee describes", deployRole, "kms:DescribeKey", Allow},
		{"grantee may not administer", deployRole, "kms:ScheduleKeyDeletion", ImplicitDeny},
		{"another role is not a grantee", otherRole, "kms:Decrypt", ImplicitDeny},
		{"a third account is not a grantee", thirdRole, "kms:Decrypt", ImplicitDeny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := Request{Principal: tc.principal, Action: tc.action, Resource: keyARN}
			if got := d.EvaluateResource(req); got != tc.want {
				t.Errorf("EvaluateResource = %v, want %v", got, tc.want)
			}
		})
	}
	for _, a := range KeyUseActions {
		req := Request{Principal: deployRole, Action: a, Resource: keyARN}
		if got := d.EvaluateResource(req); got != Allow {
			t.Errorf("KeyUseActions %s not granted by the KeyGrantActions: %v", a, got)
		}
	}
	if alone := reparse(t, KeyPolicy(arn.AWS, pipelineAcct, nil)); len(alone.Statement) != 1 {
		t.Errorf("key policy without grantees: %s", alone.JSON())
	}
}

func TestTargetRoleAndTrustPolicy(t *testing.T) {
	role := reparse(t, TargetRolePolicy(arn.AWS, "artifacts", keyARN))
	for _, a := range KeyUseActions {
		if got := role.EvaluateIdentity(Request{Principal: deployRole, Action: a, Resource: keyARN}); got != Allow {
			t.Errorf("role policy %s on the key = %v, want Allow", a, got)
		}
	}
	noKey := reparse(t, TargetRolePolicy(arn.AWS, "artifacts", ""))
	if got := noKey.EvaluateIdentity(Request{Principal: deployRole, Action: "kms:Decrypt", Resource: keyARN}); got != ImplicitDeny {
		t.Errorf("role policy without a key allows kms:Decrypt: %v", got)
	}

	trust := reparse(t, TrustPolicy(arn.AWS, pipelineAcct))
	assume := Request{Principal: "arn:aws:iam::111111111111:role/pipeline", Action: "sts:AssumeRole", Resource: deployRole}
	if got := trust.EvaluateResource(assume); got != Allow {
		t.Errorf("trust policy for the pipeline account = %v, want Allow", got)
	}
	assume.Principal = thirdRole
	if got := trust.EvaluateResource(assume); got != ImplicitDeny {
		t.Errorf("trust policy for a third account = %v, want ImplicitDeny", got)
	}
	// Role plus bucket policy, decided together as the backend does.
	res := Authorize(Request{Principal: deploySess, Action: "s3:GetObject", Resource: objectARN, Context: tls, ResourceKind: "bucket policy"},
		[]*Document{role}, BucketPolicy(arn.AWS, "artifacts", []string{deployRole}), pipelineAcct)
	if !res.Allowed {
		t.Errorf("generated policies do not allow the target role: %s", res.Reason)
	}
}
