package local

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// A cross-account role without the bucket grant is refused with an AccessDenied that names
// the principal, the action, the object and the missing side: the bucket policy.
func TestAccessDeniedNamesMissingBucketGrant(t *testing.T) {
	ctx := context.Background()
	x := newCrossAccount(t)
	must[string](t)(x.a.PutObject(ctx, "", x.bucket, "src.zip", strings.NewReader("source")))
	if _, _, err := x.b.GetObject(ctx, x.deployRole, x.bucket, "src.zip", ""); err != nil {
		t.Fatalf("granted role: %v", err)
	}

	// Drift: the bucket policy loses the role (only the TLS deny remains).
	must[*backend.Bucket](t)(x.a.PutBucketPolicy(ctx, x.bucket, policy.BucketPolicy(arn.AWS, x.bucket, nil).JSON()))
	_, _, err := x.b.GetObject(ctx, x.deployRole, x.bucket, "src.zip", "")
	var denied *AccessDeniedError
	if !errors.As(err, &denied) || !errors.Is(err, backend.ErrAccessDenied) {
		t.Fatalf("err = %v, want an AccessDeniedError", err)
	}
	for _, part := range []string{x.deployRole, "s3:GetObject", "arn:aws:s3:::artifacts-a/src.zip", "bucket policy has no statement allowing it"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("reason %q does not name %q", err, part)
		}
	}
	if denied.Action != "s3:GetObject" || denied.Principal != x.deployRole {
		t.Errorf("denied = %+v", denied)
	}
	// A versioned read asks for s3:GetObjectVersion; a write for s3:PutObject.
	if _, err := x.b.PutObject(ctx, x.deployRole, x.bucket, "out.zip", strings.NewReader("x")); !errors.As(err, &denied) || denied.Action != "s3:PutObject" {
		t.Errorf("put: err = %v", err)
	}
	// No bucket policy at all says so.
	must[*backend.Bucket](t)(x.a.PutBucketPolicy(ctx, x.bucket, ""))
	if _, err := x.b.ListObjects(ctx, x.deployRole, x.bucket, ""); err == nil || !strings.Contains(err.Error(), "there is no bucket policy") {
		t.Errorf("list without a bucket policy: err = %v", err)
	}
}

func TestAccessPrincipals(t *testing.T) {
	ctx := context.Background()
	x := newCrossAccount(t)
	must[string](t)(x.a.PutObject(ctx, "", x.bucket, "k", strings.NewReader("v")))
	cases := []struct {
		name, principal string
		wantErr         error
	}{
		{"account root", arn.AWS.Root(acctA), nil},
		{"own-account service role not in the roles table", arn.AWS.Role(acctA, "codepipeline-service"), nil},
		{"STS session of the granted role", "arn:aws:sts::222222222222:assumed-role/deploy/run-1", nil},
		{"role of another account that does not exist", arn.AWS.Role(acctB, "ghost"), backend.ErrAccessDenied},
		{"another account's root without a grant", arn.AWS.Root("333333333333"), backend.ErrAccessDenied},
		{"not a principal", "deploy", backend.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := x.a.GetObject(ctx, tc.principal, x.bucket, "k", "")
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.name == "role of another account that does not exist" && !strings.Contains(err.Error(), "does not exist") {
				t.Errorf("reason does not say the role is missing: %v", err)
			}
		})
	}

	// An explicit deny in the bucket policy beats the service role's allow.
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::artifacts-a/*"}]}`
	must[*backend.Bucket](t)(x.a.PutBucketPolicy(ctx, x.bucket, deny))
	if _, _, err := x.a.GetObject(ctx, arn.AWS.Role(acctA, "codepipeline-service"), x.bucket, "k", ""); !errors.Is(err, backend.ErrAccessDenied) ||
		!strings.Contains(err.Error(), "explicit deny") {
		t.Errorf("explicit deny: err = %v", err)
	}
}
