package policy

import (
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
)

const (
	pipelineAcct = "111111111111"
	targetAcct   = "222222222222"
	deployRole   = "arn:aws:iam::222222222222:role/deploy"
	otherRole    = "arn:aws:iam::222222222222:role/other"
	thirdRole    = "arn:aws:iam::333333333333:role/deploy"
	deploySess   = "arn:aws:sts::222222222222:assumed-role/deploy/run-1"
	objectARN    = "arn:aws:s3:::artifacts/app/src/x.zip"
	keyARN       = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

var tls = map[string]string{"aws:SecureTransport": "true"}

func mustParse(t *testing.T, doc string) *Document {
	t.Helper()
	d, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return d
}

func TestEvaluateResource(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy string
		req    Request
		want   Decision
	}{
		{"s3:Get* matches GetObject",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/deploy"},"Action":"s3:Get*","Resource":"arn:aws:s3:::artifacts/*"}}`,
			Request{Principal: deployRole, Action: "s3:GetObject", Resource: objectARN}, Allow},
		{"s3:Get* matches GetObjectVersion",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/deploy"},"Action":"s3:Get*","Resource":"arn:aws:s3:::artifacts/*"}}`,
			Request{Principal: deployRole, Action: "s3:GetObjectVersion", Resource: objectARN}, Allow},
		{"s3:Get* does not match PutObject",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/deploy"},"Action":"s3:Get*","Resource":"arn:aws:s3:::artifacts/*"}}`,
			Request{Principal: deployRole, Action: "s3:PutObject", Resource: objectARN}, ImplicitDeny},
		{"action matching ignores case",
			`{"Statement":{"Effect":"Allow","Principal":"*","Action":"S3:getobject","Resource":"*"}}`,
			Request{Principal: deployRole, Action: "s3:GetObject", Resource: objectARN}, Allow},
		{"resource matching is case-sensitive",
			`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::Artifacts/*"}}`,
			Request{Principal: deployRole, Action: "s3:GetObject", Resource: objectARN}, ImplicitDeny},
		{"bucket/* does not cover the bucket",
			`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::artifacts/*"}}`,
			Request{Principal: deployRole, Action: "s3:ListBucket", Resource: "arn:aws:s3:::artifacts"}, ImplicitDeny},
		{"kms:ReEncrypt* matches ReEncryptFrom",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/deploy"},"Action":"kms:ReEncrypt*","Resource":"*"}}`,
			Request{Principal: deployRole, Action: "kms:ReEncryptFrom", Resource: keyARN}, Allow},
		{"* action matches anything",
			`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`,
			Request{Principal: deployRole, Action: "kms:Decrypt", Resource: keyARN}, Allow},
		{"root principal matches a role of its account",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"*"}}`,
			Request{Principal: deployRole, Action: "s3:GetObject", Resource: objectARN}, Allow},
		{"account id matches a role of its account",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"s3:GetObject","Resource":"*"}}`,
			Request{Principal: otherRole, Action: "s3:GetObject", Resource: objectARN}, Allow},
		{"root principal does not match another account",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"*"}}`,
			Request{Principal: thirdRole, Action: "s3:GetObject", Resource: objectARN}, ImplicitDeny},
		{"role principal does not match another role of the same account",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/deploy"},"Action":"s3:GetObject","Resource":"*"}}`,
			Request{Principal: otherRole, Action: "s3:GetObject", Resource: objectARN}, ImplicitDeny},
		{"role principal does not match the same name in another account",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/deploy"},"Action":"s3:GetObject","Resource":"*"}}`,
			Request{Principal: thirdRole, Action: "s3:GetObject", Resource: objectARN}, ImplicitDeny},
		{"role principal does not match its account root",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/deploy"},"Action":"s3:GetObject","Resource":"*"}}`,
			Request{Principal: "arn:aws:iam::222222222222:root", Action: "s3:GetObject", Resource: objectARN}, ImplicitDeny},
		{"assumed-role session counts as its role",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/deploy"},"Action":"s3:GetObject","Resource":"*"}}`,
			Request{Principal: deploySess, Action: "s3:GetObject", Resource: objectARN}, Allow},
		{"AWS * matches anyone",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"*"}}`,
			Request{Principal: thirdRole, Action: "s3:GetObject", Resource: objectARN}, Allow},
		{"statement without principal applies to nobody",
			`{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
			Request{Principal: deployRole, Action: "s3:GetObject", Resource: objectARN}, ImplicitDeny},
		{"NotPrincipal denies everyone else",
			`{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::222222222222:role/deploy"},"Action":"*","Resource":"*"}}`,
			Request{Principal: otherRole, Action: "s3:GetObject", Resource: objectARN}, ExplicitDeny},
		{"NotPrincipal spares the named role",
			`{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::222222222222:role/deploy"},"Action":"*","Resource":"*"}}`,
			Request{Principal: deployRole, Action: "s3:GetObject", Resource: objectARN}, ImplicitDeny},
		{"deny overrides allow",
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*"}]}`,
			Request{Principal: deployRole, Action: "s3:PutObject", Resource: objectARN}, ExplicitDeny},
		{"NotAction allows what it does not name",
			`{"Statement":{"Effect":"Allow","Principal":"*","NotAction":"s3:Delete*","Resource":"*"}}`,
			Request{Principal: deployRole, Action: "s3:GetObject", Resource: objectARN}, Allow},
		{"NotAction does not allow what it names",
			`{"Statement":{"Effect":"Allow","Principal":"*","NotAction":["s3:Delete*"],"Resource":"*"}}`,
			Request{Principal: deployRole, Action: "s3:DeleteObject", Resource: objectARN}, ImplicitDeny},
		{"NotResource",
			`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}}`,
			Request{Principal: deployRole, Action: "s3:GetObject", Resource: "arn:aws:s3:::secret/k"}, ImplicitDeny},
		{"no Resource element applies to the policy's resource (trust policy)",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}}`,
			Request{Principal: "arn:aws:iam::111111111111:role/pipeline", Action: "sts:AssumeRole", Resource: deployRole}, Allow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Context = tls
			if got := mustParse(t, tc.policy).EvaluateResource(tc.req); got != tc.want {
				t.Errorf("EvaluateResource = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestConditions(t *testing.T) {
	tlsDeny := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},` +
		`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	sse := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},` +
		`{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}]}`
	allowIf := func(cond string) string {
		return `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":` + cond + `}}`
	}
	denyIf := func(cond string) string {
		return `{"Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":` + cond + `}}`
	}
	for _, tc := range []struct {
		name, policy string
		ctx          map[string]string
		want         Decision
	}{
		{"SecureTransport false is denied", tlsDeny, map[string]string{"aws:SecureTransport": "false"}, ExplicitDeny},
		{"SecureTransport true is allowed", tlsDeny, map[string]string{"aws:SecureTransport": "true"}, Allow},
		{"condition keys ignore case", tlsDeny, map[string]string{"AWS:securetransport": "FALSE"}, ExplicitDeny},
		{"Bool with the key missing is false", tlsDeny, nil, Allow},
		{"StringNotEquals header present and right", sse, map[string]string{"s3:x-amz-server-side-encryption": "aws:kms"}, Allow},
		{"StringNotEquals header wrong", sse, map[string]string{"s3:x-amz-server-side-encryption": "AES256"}, ExplicitDeny},
		{"StringNotEquals header missing is true (as AWS)", sse, nil, ExplicitDeny},
		{"StringEquals any value", allowIf(`{"StringEquals":{"k":["a","b"]}}`), map[string]string{"k": "b"}, Allow},
		{"StringEquals is case-sensitive", allowIf(`{"StringEquals":{"k":"a"}}`), map[string]string{"k": "A"}, ImplicitDeny},
		{"StringEquals key missing", allowIf(`{"StringEquals":{"k":"a"}}`), nil, ImplicitDeny},
		{"StringEqualsIgnoreCase", allowIf(`{"StringEqualsIgnoreCase":{"k":"a"}}`), map[string]string{"k": "A"}, Allow},
		{"StringLike", allowIf(`{"StringLike":{"k":"app-*"}}`), map[string]string{"k": "app-1"}, Allow},
		{"StringNotLike matching", allowIf(`{"StringNotLike":{"k":"app-*"}}`), map[string]string{"k": "app-1"}, ImplicitDeny},
		{"StringNotLike not matching", allowIf(`{"StringNotLike":{"k":"app-*"}}`), map[string]string{"k": "web"}, Allow},
		{"StringEqualsIfExists missing", allowIf(`{"StringEqualsIfExists":{"k":"a"}}`), nil, Allow},
		{"StringEqualsIfExists present and wrong", allowIf(`{"StringEqualsIfExists":{"k":"a"}}`), map[string]string{"k": "b"}, ImplicitDeny},
		{"Null true with key missing", allowIf(`{"Null":{"k":"true"}}`), nil, Allow},
		{"Null true with key present", allowIf(`{"Null":{"k":"true"}}`), map[string]string{"k": "x"}, ImplicitDeny},
		{"Null false with key present", allowIf(`{"Null":{"k":"false"}}`), map[string]string{"k": "x"}, Allow},
		{"operators are ANDed", allowIf(`{"StringEquals":{"a":"1"},"Bool":{"b":"true"}}`), map[string]string{"a": "1", "b": "false"}, ImplicitDeny},
		{"keys are ANDed", allowIf(`{"StringEquals":{"a":"1","b":"2"}}`), map[string]string{"a": "1", "b": "2"}, Allow},
		{"unsupported operator: allow does not apply", allowIf(`{"NumericLessThan":{"n":"5"}}`), map[string]string{"n": "1"}, ImplicitDeny},
		{"unsupported operator: deny applies", denyIf(`{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`), nil, ExplicitDeny},
		{"unsupported operator with a false supported one: deny does not apply",
			denyIf(`{"DateGreaterThan":{"t":"x"},"StringEquals":{"k":"a"}}`), map[string]string{"k": "b"}, ImplicitDeny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := Request{Principal: deployRole, Action: "s3:PutObject", Resource: objectARN, Context: tc.ctx}
			if got := mustParse(t, tc.policy).EvaluateResource(req); got != tc.want {
				t.Errorf("EvaluateResource = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEvaluateIdentity(t *testing.T) {
	d := TargetRolePolicy(arn.AWS, "artifacts", keyARN)
	for _, tc := range []struct {
		action, resource string
		want             Decision
	}{
		{"kms:Decrypt", keyARN, Allow},
		{"kms:GenerateDataKeyWithoutPlaintext", keyARN, Allow},
		{"kms:ReEncryptTo", keyARN, Allow},
		{"kms:Decrypt", "arn:aws:kms:us-east-1:111111111111:key/other", ImplicitDeny},
		{"kms:CreateGrant", keyARN, ImplicitDeny},
		{"s3:GetObject", objectARN, Allow},
		{"s3:PutObject", objectARN, Allow},
		{"s3:ListBucket", "arn:aws:s3:::artifacts", Allow},
		{"s3:DeleteObject", objectARN, ImplicitDeny},
	} {
		req := Request{Principal: deployRole, Action: tc.action, Resource: tc.resource, Context: tls}
		if got := d.EvaluateIdentity(req); got != tc.want {
			t.Errorf("EvaluateIdentity(%s on %s) = %v, want %v", tc.action, tc.resource, got, tc.want)
		}
	}
	var none *Document
	if got := none.EvaluateIdentity(Request{Action: "s3:GetObject"}); got != ImplicitDeny {
		t.Errorf("nil document = %v, want ImplicitDeny", got)
	}
	deny := mustParse(t, `{"Statement":{"Effect":"Deny","Action":"kms:*","Resource":"*"}}`)
	req := Request{Principal: deployRole, Action: "kms:Decrypt", Resource: keyARN}
	if got := EvaluateIdentities([]*Document{d, nil, deny}, req); got != ExplicitDeny {
		t.Errorf("EvaluateIdentities with a deny = %v, want ExplicitDeny", got)
	}
	if got := EvaluateIdentities([]*Document{nil, d}, req); got != Allow {
		t.Errorf("EvaluateIdentities = %v, want Allow", got)
	}
}

func TestDecisionString(t *testing.T) {
	if ImplicitDeny.String() != "ImplicitDeny" || Allow.String() != "Allow" || ExplicitDeny.String() != "ExplicitDeny" {
		t.Errorf("Decision strings: %v %v %v", ImplicitDeny, Allow, ExplicitDeny)
	}
}

func TestAuthorize(t *testing.T) {
	bucketAllows := BucketPolicy(arn.AWS, "artifacts", []string{deployRole})
	bucketEmpty := BucketPolicy(arn.AWS, "artifacts", nil)
	roleAllows := TargetRolePolicy(arn.AWS, "artifacts", keyARN)
	roleNothing := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"logs:*","Resource":"*"}}`)
	roleDenies := mustParse(t, `{"Statement":{"Sid":"NoWrites","Effect":"Deny","Action":"s3:Put*","Resource":"*"}}`)
	sameAcctRole := "arn:aws:iam::111111111111:role/builder"
	put := func(principal string) Request {
		return Request{Principal: principal, Action: "s3:PutObject", Resource: "arn:aws:s3:::artifacts/x", Context: tls, ResourceKind: "bucket policy"}
	}
	for _, tc := range []struct {
		name     string
		req      Request
		identity []*Document
		resource *Document
		want     Decision
		reason   string
	}{
		{"cross account, both allow", put(deployRole), []*Document{roleAllows}, bucketAllows, Allow,
			"Allowed: arn:aws:iam::222222222222:role/deploy may s3:PutObject on arn:aws:s3:::artifacts/x (allowed by the principal's identity policies and the bucket policy)"},
		{"cross account, only identity allows", put(deployRole), []*Document{roleAllows}, bucketEmpty, ImplicitDeny,
			"AccessDenied: arn:aws:iam::222222222222:role/deploy is not allowed s3:PutObject on arn:aws:s3:::artifacts/x: the bucket policy has no statement allowing it"},
		{"cross account, only bucket allows", put(deployRole), []*Document{roleNothing}, bucketAllows, ImplicitDeny,
			"AccessDenied: arn:aws:iam::222222222222:role/deploy is not allowed s3:PutObject on arn:aws:s3:::artifacts/x: the principal's identity policies have no statement allowing it"},
		{"cross account, no resource policy", put(deployRole), []*Document{roleAllows}, nil, ImplicitDeny,
			"AccessDenied: arn:aws:iam::222222222222:role/deploy is not allowed s3:PutObject on arn:aws:s3:::artifacts/x: there is no bucket policy to allow it"},
		{"same account, identity alone allows", put(sameAcctRole), []*Document{TargetRolePolicy(arn.AWS, "artifacts", "")}, bucketEmpty, Allow,
			"Allowed: arn:aws:iam::111111111111:role/builder may s3:PutObject on arn:aws:s3:::artifacts/x (allowed by the principal's identity policies)"},
		{"same account, bucket alone allows", put(sameAcctRole), nil, BucketPolicy(arn.AWS, "artifacts", []string{sameAcctRole}), Allow,
			"(allowed by the bucket policy)"},
		{"same account, neither allows", put(sameAcctRole), []*Document{roleNothing}, bucketEmpty, ImplicitDeny,
			"neither the principal's identity policies nor the bucket policy allow it"},
		// A resource policy naming the account delegates to the account's identity policies: the
		// default key policy lets a role use the key only when the role's own policies allow it.
		{"same account, the key policy names the account only", Request{Principal: sameAcctRole, Action: "kms:Encrypt", Resource: keyARN, ResourceKind: "key policy"},
			[]*Document{roleNothing}, KeyPolicy(arn.AWS, pipelineAcct, nil), ImplicitDeny,
			"the key policy allows the principal's account, which leaves the decision to the principal's identity policies, and they have no statement allowing it"},
		{"same account, the key policy names the account, the role allows", Request{Principal: sameAcctRole, Action: "kms:Encrypt", Resource: keyARN, ResourceKind: "key policy"},
			[]*Document{mustParse(t, `{"Statement":{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}}`)}, KeyPolicy(arn.AWS, pipelineAcct, nil), Allow,
			"(allowed by the principal's identity policies and the key policy)"},
		{"same account, the account root itself", Request{Principal: "arn:aws:iam::111111111111:root", Action: "kms:Encrypt", Resource: keyARN, ResourceKind: "key policy"},
			nil, KeyPolicy(arn.AWS, pipelineAcct, nil), Allow, "(allowed by the key policy)"},
		{"same account, a public statement grants directly", put(sameAcctRole), nil,
			mustParse(t, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::artifacts/*"}}`), Allow, "(allowed by the bucket policy)"},
		{"explicit deny in the identity wins", put(deployRole), []*Document{roleAllows, roleDenies}, bucketAllows, ExplicitDeny,
			`an explicit deny in the principal's identity policies (statement "NoWrites") overrides any allow`},
		{"explicit deny in the bucket wins (no TLS)", Request{Principal: deployRole, Action: "s3:PutObject", Resource: "arn:aws:s3:::artifacts/x",
			Context: map[string]string{"aws:SecureTransport": "false"}, ResourceKind: "bucket policy"},
			[]*Document{roleAllows}, bucketAllows, ExplicitDeny,
			`an explicit deny in the bucket policy (statement "DenyInsecureTransport") overrides any allow`},
		{"unknown resource account needs both", put(sameAcctRole), []*Document{TargetRolePolicy(arn.AWS, "artifacts", "")}, bucketEmpty, ImplicitDeny,
			"the bucket policy has no statement allowing it"},
		{"default resource kind", Request{Principal: deployRole, Action: "kms:Decrypt", Resource: keyARN}, []*Document{roleAllows}, KeyPolicy(arn.AWS, pipelineAcct, nil), ImplicitDeny,
			"the resource policy has no statement allowing it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acct := pipelineAcct
			if strings.HasPrefix(tc.name, "unknown resource account") {
				acct = ""
			}
			res := Authorize(tc.req, tc.identity, tc.resource, acct)
			if res.Decision != tc.want || res.Allowed != (tc.want == Allow) {
				t.Errorf("Authorize = %+v, want decision %v", res, tc.want)
			}
			if !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("Reason = %q, want it to contain %q", res.Reason, tc.reason)
			}
		})
	}
}

// TestAuthorizeKey: a key's policy must allow its use; the principal's identity policies alone
// never do, even the account root's.
func TestAuthorizeKey(t *testing.T) {
	viaS3Only := mustParse(t, `{"Statement":[
		{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}},
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:Describe*","Resource":"*"}]}`)
	root := "arn:aws:iam::111111111111:root"
	all := []*Document{mustParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)}
	req := func(action string, ctx map[string]string) Request {
		return Request{Principal: root, Action: action, Resource: keyARN, Context: ctx, ResourceKind: "key policy"}
	}
	for _, tc := range []struct {
		name string
		req  Request
		want bool
	}{
		{"direct use, the key policy allows it through S3 only", req("kms:Encrypt", nil), false},
		{"through S3", req("kms:Encrypt", map[string]string{"kms:ViaService": "s3.us-east-1.amazonaws.com"}), true},
		{"metadata, allowed to the account", req("kms:DescribeKey", nil), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := AuthorizeKey(tc.req, all, viaS3Only, "111111111111")
			if res.Allowed != tc.want {
				t.Errorf("allowed = %v, want %v: %s", res.Allowed, tc.want, res.Reason)
			}
			if !tc.want && !strings.Contains(res.Reason, "the key policy has no statement allowing it") {
				t.Errorf("reason %q", res.Reason)
			}
		})
	}
}
