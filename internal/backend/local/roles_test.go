package local

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

func TestRoleCRUD(t *testing.T) {
	ctx := context.Background()
	_, a, b := accounts(t)
	trust := policy.TrustPolicy(arn.AWS, acctA).JSON()
	pols := map[string]string{"artifacts": policy.TargetRolePolicy(arn.AWS, "bkt", "").JSON()}
	got := must[*backend.Role](t)(b.CreateRole(ctx, backend.Role{Name: "deploy", TrustPolicy: trust, Policies: pols}))
	want := &backend.Role{Name: "deploy", ARN: "arn:aws:iam::222222222222:role/deploy", AccountID: acctB, TrustPolicy: trust, Policies: pols,
		ID: got.ID, Path: "/", MaxSessionDuration: 3600, Created: got.Created}
	if !strings.HasPrefix(got.ID, "AROA") || len(got.ID) != 21 || got.Created.IsZero() {
		t.Errorf("CreateRole: id %q created %v, want AROA and 17 characters, and a date", got.ID, got.Created)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CreateRole (-want +got):\n%s", diff)
	}
	// By name in its own account, by ARN from any account.
	for _, lookup := range []struct {
		acct *Account
		id   string
	}{{b, "deploy"}, {b, want.ARN}, {a, want.ARN}} {
		if diff := cmp.Diff(want, must[*backend.Role](t)(lookup.acct.GetRole(ctx, lookup.id))); diff != "" {
			t.Errorf("GetRole(%s via %s) (-want +got):\n%s", lookup.id, lookup.acct.id.AccountID, diff)
		}
	}
	if _, err := a.GetRole(ctx, "deploy"); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("GetRole by name in the other account: err = %v, want ErrNotFound", err)
	}
	if _, err := b.CreateRole(ctx, backend.Role{Name: "deploy"}); !errors.Is(err, backend.ErrAlreadyExists) {
		t.Errorf("duplicate role: err = %v, want ErrAlreadyExists", err)
	}
	if _, err := b.CreateRole(ctx, backend.Role{Name: "bad", Policies: map[string]string{"p": "[]"}}); !errors.Is(err, backend.ErrInvalid) {
		t.Errorf("invalid policy: err = %v, want ErrInvalid", err)
	}
	if _, err := a.CreateRole(ctx, backend.Role{Name: "x", AccountID: acctB}); !errors.Is(err, backend.ErrInvalid) {
		t.Errorf("role for another account: err = %v, want ErrInvalid", err)
	}

	want.Policies = map[string]string{"other": policy.TargetRolePolicy(arn.AWS, "bkt2", "").JSON()}
	want.TrustPolicy = ""
	if diff := cmp.Diff(want, must[*backend.Role](t)(b.UpdateRole(ctx, *want))); diff != "" {
		t.Errorf("UpdateRole (-want +got):\n%s", diff)
	}
	if err := b.PutRolePolicy(ctx, "deploy", "more", policy.TargetRolePolicy(arn.AWS, "bkt3", "").JSON()); err != nil {
		t.Fatal(err)
	}
	if got := must[*backend.Role](t)(b.GetRole(ctx, "deploy")); len(got.Policies) != 2 {
		t.Errorf("after PutRolePolicy: %v", got.Policies)
	}
	if err := a.DeleteRole(ctx, want.ARN); !errors.Is(err, backend.ErrAccessDenied) {
		t.Errorf("DeleteRole from another account: err = %v, want ErrAccessDenied", err)
	}
	if err := b.DeleteRole(ctx, "deploy"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetRole(ctx, "deploy"); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("GetRole after delete: err = %v, want ErrNotFound", err)
	}
	if err := b.DeleteRole(ctx, "deploy"); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("second DeleteRole: err = %v, want ErrNotFound", err)
	}
}
