package local

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

func TestKeyCRUD(t *testing.T) {
	ctx := context.Background()
	_, a, b := accounts(t)
	k := must[*backend.Key](t)(a.CreateKey(ctx, backend.KeySpec{Description: "d", Alias: "alias/app", RotationEnabled: true}))
	want := &backend.Key{
		KeyID: k.KeyID, ARN: "arn:aws:kms:us-east-1:111111111111:key/" + k.KeyID, AccountID: acctA, Region: region,
		Description: "d", Aliases: []string{"alias/app"}, CustomerManaged: true, RotationEnabled: true,
		Policy: policy.KeyPolicy(arn.AWS, acctA, nil).JSON(), State: backend.KeyStateEnabled, Created: k.Created,
	}
	if k.Created.IsZero() {
		t.Error("CreateKey: no creation date")
	}
	if diff := cmp.Diff(want, k); diff != "" {
		t.Errorf("CreateKey (-want +got):\n%s", diff)
	}
	for _, id := range []string{k.KeyID, k.ARN, "alias/app", "arn:aws:kms:us-east-1:111111111111:alias/app"} {
		got, err := a.GetKey(ctx, id)
		if err != nil {
			t.Errorf("GetKey(%q): %v", id, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GetKey(%q) (-want +got):\n%s", id, diff)
		}
	}
	// Names and ids resolve in the caller's account; ARNs anywhere.
	for _, id := range []string{k.KeyID, "alias/app"} {
		if _, err := b.GetKey(ctx, id); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("GetKey(%q) from account B: err = %v, want ErrNotFound", id, err)
		}
	}
	if _, err := b.GetKey(ctx, k.ARN); err != nil {
		t.Errorf("GetKey(ARN) from account B: %v", err)
	}
	// Aliases: unique per account and region, aws/ reserved; another account may reuse one.
	if _, err := a.CreateKey(ctx, backend.KeySpec{Alias: "alias/app"}); !errors.Is(err, backend.ErrAlreadyExists) {
		t.Errorf("duplicate alias: err = %v, want ErrAlreadyExists", err)
	}
	if _, err := b.CreateKey(ctx, backend.KeySpec{Alias: "alias/app"}); err != nil {
		t.Errorf("same alias in account B: %v", err)
	}
	for _, alias := range []string{"alias/aws/mine", "app", "alias/"} {
		if _, err := a.CreateKey(ctx, backend.KeySpec{Alias: alias}); !errors.Is(err, backend.ErrInvalid) {
			t.Errorf("alias %q: err = %v, want ErrInvalid", alias, err)
		}
	}

	pol := policy.KeyPolicy(arn.AWS, acctA, []string{arn.AWS.Role(acctB, "deploy")}).JSON()
	upd := must[*backend.Key](t)(a.UpdateKey(ctx, k.KeyID, backend.KeySpec{Description: "d2", Alias: "alias/app2", Policy: pol}))
	want.Description, want.Aliases, want.Policy, want.RotationEnabled = "d2", []string{"alias/app2"}, pol, false
	if diff := cmp.Diff(want, upd); diff != "" {
		t.Errorf("UpdateKey (-want +got):\n%s", diff)
	}
	if _, err := a.GetKey(ctx, "alias/app"); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("old alias still resolves: %v", err)
	}
	if _, err := b.UpdateKey(ctx, k.ARN, backend.KeySpec{}); !errors.Is(err, backend.ErrAccessDenied) {
		t.Errorf("UpdateKey from another account: err = %v, want ErrAccessDenied", err)
	}
	drifted := must[*backend.Key](t)(a.PutKeyPolicy(ctx, k.ARN, policy.KeyPolicy(arn.AWS, acctA, nil).JSON()))
	if drifted.Policy != policy.KeyPolicy(arn.AWS, acctA, nil).JSON() {
		t.Errorf("PutKeyPolicy did not apply: %s", drifted.Policy)
	}

	// The AWS-managed key is created on first lookup and cannot be changed.
	managed := must[*backend.Key](t)(a.GetKey(ctx, "alias/aws/s3"))
	if managed.CustomerManaged || managed.AccountID != acctA || !cmp.Equal(managed.Aliases, []string{"alias/aws/s3"}) {
		t.Errorf("aws/s3 key = %+v", managed)
	}
	if again := must[*backend.Key](t)(a.GetKey(ctx, "alias/aws/s3")); again.KeyID != managed.KeyID {
		t.Errorf("aws/s3 created twice: %s, %s", managed.KeyID, again.KeyID)
	}
	if _, err := a.UpdateKey(ctx, managed.KeyID, backend.KeySpec{}); !errors.Is(err, backend.ErrInvalid) {
		t.Errorf("UpdateKey of aws/s3: err = %v, want ErrInvalid", err)
	}
}

func TestEnvelopeEncryptionAndRotation(t *testing.T) {
	ctx := context.Background()
	c, a, _ := accounts(t)
	k := must[*backend.Key](t)(a.CreateKey(ctx, backend.KeySpec{Alias: "alias/artifacts", RotationEnabled: true}))
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "sealed", Versioning: true, EncryptionKeyARN: k.ARN}))
	secret := []byte("the quick brown fox jumps over the lazy dog, secretly")
	v1 := must[string](t)(a.PutObject(ctx, "", "sealed", "k", bytes.NewReader(secret)))
	must[*backend.Key](t)(a.RotateKey(ctx, k.KeyID))
	v2 := must[string](t)(a.PutObject(ctx, "", "sealed", "k", bytes.NewReader(append(secret, '2'))))

	var mv1, mv2 int
	if err := c.reader.QueryRow(`SELECT material_version FROM object_versions WHERE version_id = ?`, v1).Scan(&mv1); err != nil {
		t.Fatal(err)
	}
	if err := c.reader.QueryRow(`SELECT material_version FROM object_versions WHERE version_id = ?`, v2).Scan(&mv2); err != nil {
		t.Fatal(err)
	}
	if mv1 != 1 || mv2 != 2 {
		t.Errorf("material versions = %d, %d; want 1, 2", mv1, mv2)
	}
	for id, want := range map[string][]byte{v1: secret, v2: append(secret, '2')} {
		body, info, err := a.GetObject(ctx, "", "sealed", "k", id)
		if err != nil || !bytes.Equal(body, want) {
			t.Errorf("GetObject(%s) = %q, %v", id, body, err)
		}
		if info.KMSKeyARN != k.ARN {
			t.Errorf("object key = %s, want %s", info.KMSKeyARN, k.ARN)
		}
	}

	// Neither the key material, nor the master key's use, nor the body appears in plaintext
	// in any file of the state directory (database, WAL, object files).
	material := c.keyMaterial(t, k.ARN)
	if len(material) != 2 || bytes.Equal(material[0], material[1]) {
		t.Fatalf("material versions: %d", len(material))
	}
	needles := map[string][]byte{"material v1": material[0], "material v2": material[1], "object body": secret[:24]}
	err := filepath.WalkDir(c.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for name, needle := range needles {
			if bytes.Contains(data, needle) {
				t.Errorf("%s found in plaintext in %s", name, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestScheduledKeyDeletion(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	_, a, _ := accounts(t, WithNow(clk.Now))
	k := must[*backend.Key](t)(a.CreateKey(ctx, backend.KeySpec{Alias: "alias/doomed"}))
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "doomed", Versioning: true, EncryptionKeyARN: k.ARN}))
	v := must[string](t)(a.PutObject(ctx, "", "doomed", "k", strings.NewReader("before")))

	for _, days := range []int{6, 31} {
		if _, err := a.ScheduleKeyDeletion(ctx, k.KeyID, days); !errors.Is(err, backend.ErrInvalid) {
			t.Errorf("window %d: err = %v, want ErrInvalid", days, err)
		}
	}
	got := must[*backend.Key](t)(a.ScheduleKeyDeletion(ctx, k.KeyID, 7))
	wantDate := clk.Now().Add(7 * 24 * time.Hour)
	if got.State != backend.KeyStatePendingDeletion || !got.DeletionDate.Equal(wantDate) {
		t.Errorf("scheduled key: state %s date %v, want PendingDeletion %v", got.State, got.DeletionDate, wantDate)
	}
	// Encrypting is refused at once; decrypting works until the deletion date.
	if _, err := a.PutObject(ctx, "", "doomed", "k", strings.NewReader("after")); !errors.Is(err, ErrKeyState) {
		t.Errorf("PutObject with a key pending deletion: err = %v, want ErrKeyState", err)
	}
	clk.Advance(6 * 24 * time.Hour)
	if body, _, err := a.GetObject(ctx, "", "doomed", "k", v); err != nil || string(body) != "before" {
		t.Errorf("GetObject inside the window = %q, %v", body, err)
	}
	// Cancel and schedule again, then move past the date.
	must[*backend.Key](t)(a.CancelKeyDeletion(ctx, k.KeyID))
	must[string](t)(a.PutObject(ctx, "", "doomed", "k2", strings.NewReader("again")))
	must[*backend.Key](t)(a.ScheduleKeyDeletion(ctx, k.KeyID, 7))
	clk.Advance(7*24*time.Hour + time.Second)
	_, _, err := a.GetObject(ctx, "", "doomed", "k", v)
	if !errors.Is(err, ErrKeyState) || !strings.Contains(err.Error(), "deleted") {
		t.Errorf("GetObject after the deletion date: err = %v, want ErrKeyState", err)
	}
	if _, err := a.GetKey(ctx, k.ARN); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("GetKey after the deletion date: err = %v, want ErrNotFound", err)
	}
	if _, err := a.CancelKeyDeletion(ctx, k.KeyID); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("CancelKeyDeletion after the deletion date: err = %v, want ErrNotFound", err)
	}
	// The alias of a deleted key is free again.
	if _, err := a.CreateKey(ctx, backend.KeySpec{Alias: "alias/doomed"}); err != nil {
		t.Errorf("reusing the alias of a deleted key: %v", err)
	}
}

// A key of account A is usable by account B only when the key policy and B's role policy
// both allow it; A's aws/s3 key never is.
func TestCrossAccountKeyUse(t *testing.T) {
	ctx := context.Background()
	x := newCrossAccount(t)
	a, b := x.a, x.b
	// A bucket in A encrypted with A's aws/s3 key, granting the deploy role in its policy.
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "default-key", Versioning: true,
		Policy: policy.BucketPolicy(arn.AWS, "default-key", []string{x.deployRole}).JSON()}))
	must[*backend.Role](t)(b.UpdateRole(ctx, backend.Role{Name: "deploy", TrustPolicy: policy.TrustPolicy(arn.AWS, acctA).JSON(),
		Policies: map[string]string{
			"artifacts": policy.TargetRolePolicy(arn.AWS, x.bucket, x.key.ARN).JSON(),
			"default":   policy.TargetRolePolicy(arn.AWS, "default-key", "*").JSON(),
		}}))

	// Customer-managed key granted on both sides: B's role writes and reads.
	v := must[string](t)(b.PutObject(ctx, x.deployRole, x.bucket, "out.zip", strings.NewReader("built")))
	if body, _, err := b.GetObject(ctx, x.deployRole, x.bucket, "out.zip", v); err != nil || string(body) != "built" {
		t.Fatalf("cross-account round trip = %q, %v", body, err)
	}
	// A's service role (not in the roles table, same account) reads what B wrote.
	if body, _, err := a.GetObject(ctx, arn.AWS.Role(acctA, "pipeline-service"), x.bucket, "out.zip", ""); err != nil || string(body) != "built" {
		t.Errorf("service role read = %q, %v", body, err)
	}

	// The aws/s3 key of A: never, whatever the policies say.
	_, err := b.PutObject(ctx, x.deployRole, "default-key", "out.zip", strings.NewReader("x"))
	var denied *AccessDeniedError
	if !errors.As(err, &denied) || !strings.Contains(err.Error(), "AWS-managed") || denied.Action != "kms:GenerateDataKey" {
		t.Errorf("put with A's aws/s3 key from B: err = %v, want AccessDenied naming the AWS-managed key", err)
	}
	must[string](t)(a.PutObject(ctx, "", "default-key", "in.zip", strings.NewReader("src")))
	if _, _, err := b.GetObject(ctx, x.deployRole, "default-key", "in.zip", ""); !errors.Is(err, backend.ErrAccessDenied) {
		t.Errorf("get with A's aws/s3 key from B: err = %v, want ErrAccessDenied", err)
	}

	// Key policy without B's role: denied, and the reason names the key policy.
	must[*backend.Key](t)(a.PutKeyPolicy(ctx, x.key.ARN, policy.KeyPolicy(arn.AWS, acctA, nil).JSON()))
	_, _, err = b.GetObject(ctx, x.deployRole, x.bucket, "out.zip", "")
	if !errors.As(err, &denied) || !strings.Contains(denied.Reason, "key policy has no statement allowing it") {
		t.Errorf("key policy missing the role: err = %v", err)
	}
	// Key policy restored, role policy without the key: denied, naming the identity side.
	must[*backend.Key](t)(a.PutKeyPolicy(ctx, x.key.ARN, policy.KeyPolicy(arn.AWS, acctA, []string{x.deployRole}).JSON()))
	must[*backend.Role](t)(b.UpdateRole(ctx, backend.Role{Name: "deploy",
		Policies: map[string]string{"artifacts": policy.TargetRolePolicy(arn.AWS, x.bucket, "").JSON()}}))
	_, _, err = b.GetObject(ctx, x.deployRole, x.bucket, "out.zip", "")
	if !errors.As(err, &denied) || denied.Action != "kms:Decrypt" || !strings.Contains(denied.Reason, "identity policies have no statement") {
		t.Errorf("role policy missing the key: err = %v", err)
	}
}

func TestKeyMaterialSealedWithAAD(t *testing.T) {
	// Sealed material moved to another key's row does not open.
	ctx := context.Background()
	c, a, _ := accounts(t)
	k1 := must[*backend.Key](t)(a.CreateKey(ctx, backend.KeySpec{}))
	k2 := must[*backend.Key](t)(a.CreateKey(ctx, backend.KeySpec{}))
	if _, err := c.writer.Exec(`UPDATE kms_key_material SET sealed = (SELECT sealed FROM kms_key_material WHERE key_id = ?) WHERE key_id = ?`, k1.KeyID, k2.KeyID); err != nil {
		t.Fatal(err)
	}
	kr, err := c.resolveKey(ctx, c.reader, acctA, region, k2.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.material(ctx, c.reader, kr, 1); err == nil {
		t.Error("swapped key material opened")
	}
}
