package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
)

func TestAWSPrincipalsOf(t *testing.T) {
	roles := []string{"arn:aws:iam::333333333333:role/b", "arn:aws:iam::222222222222:role/a"}
	d, err := Parse(BucketPolicy(arn.AWS, "artifacts", roles).JSON())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"arn:aws:iam::222222222222:role/a", "arn:aws:iam::333333333333:role/b"}
	if diff := cmp.Diff(want, d.AWSPrincipalsOf(SidObjectAccess)); diff != "" {
		t.Errorf("roles of %s (-want +got):\n%s", SidObjectAccess, diff)
	}
	if got := d.AWSPrincipalsOf("NoSuchSid"); got != nil {
		t.Errorf("roles of a missing Sid = %v, want nil", got)
	}
}

func TestTargetRolePolicyGrantsDeployBuckets(t *testing.T) {
	role := arn.AWS.Role("222222222222", "deployer")
	doc := TargetRolePolicy(arn.AWS, "artifacts", "arn:aws:kms:us-east-1:111111111111:key/k", "site", "assets")
	cases := []struct {
		action, resource string
		want             Decision
	}{
		{"s3:PutObject", arn.AWS.Object("site", "index.html"), Allow},
		{"s3:GetObject", arn.AWS.Object("assets", "a.css"), Allow},
		{"s3:ListBucket", arn.AWS.Bucket("site"), Allow},
		{"s3:PutObject", arn.AWS.Object("other", "x"), ImplicitDeny},
		{"s3:DeleteBucket", arn.AWS.Bucket("site"), ImplicitDeny},
	}
	for _, tc := range cases {
		if got := doc.EvaluateIdentity(Request{Principal: role, Action: tc.action, Resource: tc.resource}); got != tc.want {
			t.Errorf("%s on %s = %s, want %s", tc.action, tc.resource, got, tc.want)
		}
	}
	if without := TargetRolePolicy(arn.AWS, "artifacts", ""); len(without.Statement) != 2 {
		t.Errorf("without key and deploy buckets the policy has %d statements, want 2", len(without.Statement))
	}
}
