package independent

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	localkms "github.com/nsmithuk/local-kms/src"
	"github.com/nsmithuk/local-kms/src/config"
	"github.com/nsmithuk/local-kms/src/data"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// TestKMSOnLocalKMS: the aws backend's keys — creation with an alias and rotation, lookup by
// id, ARN and alias, the alias moving, the policy replaced, tags, encryption, data keys,
// scheduled deletion and its cancellation — against local-kms.
func TestKMSOnLocalKMS(t *testing.T) {
	config.AWSAccountId, config.AWSRegion = account, backend.DefaultRegion
	db := data.NewDatabase(filepath.Join(t.TempDir(), "kms"))
	defer db.Close()
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { localkms.HandleRequest(w, r, db) }))
	defer fake.Close()
	b, _ := awsBackend(t, "", fake.URL)
	ctx := context.Background()

	k, err := b.CreateKey(ctx, backend.KeySpec{Description: "artifacts", Alias: "alias/artifacts", RotationEnabled: true, Tags: map[string]string{"team": "ci"}})
	if err != nil {
		t.Fatal(err)
	}
	if !k.CustomerManaged || !k.RotationEnabled || k.State != backend.KeyStateEnabled || k.AccountID != account || len(k.Aliases) != 1 || k.Tags["team"] != "ci" || k.Policy == "" {
		t.Errorf("CreateKey = %+v", k)
	}
	for _, id := range []string{k.KeyID, k.ARN, "alias/artifacts"} {
		if got, err := b.GetKey(ctx, id); err != nil || got.KeyID != k.KeyID {
			t.Errorf("GetKey(%s) = %+v, %v", id, got, err)
		}
	}
	if _, err := b.CreateKey(ctx, backend.KeySpec{Alias: "alias/artifacts"}); !errors.Is(err, backend.ErrAlreadyExists) {
		t.Errorf("a second key with the alias: %v, want already exists", err)
	}
	u, err := b.UpdateKey(ctx, k.KeyID, backend.KeySpec{Description: "renamed", Alias: "alias/moved", RotationEnabled: false})
	if err != nil || u.Description != "renamed" || u.RotationEnabled || len(u.Aliases) != 1 || u.Aliases[0] != "alias/moved" {
		t.Errorf("UpdateKey = %+v, %v", u, err)
	}
	if _, err := b.GetKey(ctx, "alias/artifacts"); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("the alias the key left: %v, want not found", err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}]}`
	if p, err := b.PutKeyPolicy(ctx, k.KeyID, doc); err != nil || p.Policy == "" {
		t.Errorf("PutKeyPolicy = %+v, %v", p, err)
	}
	if tagged, err := b.UntagKey(ctx, k.KeyID, []string{"team"}); err != nil || len(tagged.Tags) != 0 {
		t.Errorf("UntagKey = %+v, %v", tagged, err)
	}
	ct, keyARN, err := b.Encrypt(ctx, "", "alias/moved", []byte("secret"), map[string]string{"purpose": "test"})
	if err != nil || keyARN != k.ARN {
		t.Fatalf("Encrypt = %s, %v", keyARN, err)
	}
	if plain, _, err := b.Decrypt(ctx, "", ct, "", map[string]string{"purpose": "test"}); err != nil || string(plain) != "secret" {
		t.Errorf("Decrypt = %q, %v", plain, err)
	}
	if _, _, err := b.Decrypt(ctx, "", ct, "", nil); !errors.Is(err, backend.ErrInvalidCiphertext) {
		t.Errorf("Decrypt with another encryption context: %v, want ErrInvalidCiphertext", err)
	}
	dk, dct, _, err := b.GenerateDataKey(ctx, "", k.ARN, 32, nil)
	if err != nil || len(dk) != 32 {
		t.Fatalf("GenerateDataKey = %d bytes, %v", len(dk), err)
	}
	if back, _, err := b.Decrypt(ctx, "", dct, "", nil); err != nil || string(back) != string(dk) {
		t.Errorf("the data key decrypts to %d bytes, %v", len(back), err)
	}
	if _, err := b.ScheduleKeyDeletion(ctx, k.KeyID, 6); !errors.Is(err, backend.ErrInvalid) {
		t.Errorf("a window of 6 days: %v, want ErrInvalid", err)
	}
	d, err := b.ScheduleKeyDeletion(ctx, k.KeyID, 7)
	if err != nil || d.State != backend.KeyStatePendingDeletion || d.DeletionDate.IsZero() {
		t.Errorf("ScheduleKeyDeletion = %+v, %v", d, err)
	}
	c, err := b.CancelKeyDeletion(ctx, k.KeyID)
	if err != nil || c.State != backend.KeyStateEnabled || !c.DeletionDate.IsZero() {
		t.Errorf("CancelKeyDeletion = %+v, %v; want the key enabled again", c, err)
	}
}
