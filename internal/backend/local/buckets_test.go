package local

import (
	"bytes"
	"context"
	"errors"
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

func TestBucketCRUD(t *testing.T) {
	ctx := context.Background()
	_, a, b := accounts(t)
	pol := policy.BucketPolicy(arn.AWS, "store-a", []string{arn.AWS.Role(acctB, "deploy")}).JSON()
	got := must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "store-a", Versioning: true, Policy: pol}))
	want := &backend.Bucket{Name: "store-a", ARN: "arn:aws:s3:::store-a", AccountID: acctA, Region: region, Versioning: true, Policy: pol, Created: got.Created}
	if time.Since(got.Created) > time.Minute {
		t.Errorf("CreateBucket: created at %v, want now", got.Created)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CreateBucket (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, must[*backend.Bucket](t)(a.GetBucket(ctx, "store-a"))); diff != "" {
		t.Errorf("GetBucket (-want +got):\n%s", diff)
	}

	// Names are global: the same name in either account is taken.
	for _, acct := range []*Account{a, b} {
		if _, err := acct.CreateBucket(ctx, backend.Bucket{Name: "store-a"}); !errors.Is(err, backend.ErrAlreadyExists) {
			t.Errorf("second CreateBucket via %s: err = %v, want ErrAlreadyExists", acct.id.AccountID, err)
		}
	}

	want.Versioning, want.EncryptionKeyARN, want.Policy = false, "arn:aws:kms:us-east-1:111111111111:key/x", ""
	upd := *want
	want.VersioningSuspended = true // it was enabled
	if diff := cmp.Diff(want, must[*backend.Bucket](t)(a.UpdateBucket(ctx, upd))); diff != "" {
		t.Errorf("UpdateBucket (-want +got):\n%s", diff)
	}
	// Only the owner changes or deletes a bucket.
	if _, err := b.UpdateBucket(ctx, upd); !errors.Is(err, backend.ErrAccessDenied) {
		t.Errorf("UpdateBucket by another account: err = %v, want ErrAccessDenied", err)
	}
	if err := b.DeleteBucket(ctx, "store-a", true); !errors.Is(err, backend.ErrAccessDenied) {
		t.Errorf("DeleteBucket by another account: err = %v, want ErrAccessDenied", err)
	}
	if _, err := a.PutBucketPolicy(ctx, "store-a", "{not json"); !errors.Is(err, backend.ErrInvalid) {
		t.Errorf("invalid policy: err = %v, want ErrInvalid", err)
	}
	if err := a.DeleteBucket(ctx, "store-a", false); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetBucket(ctx, "store-a"); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("GetBucket after delete: err = %v, want ErrNotFound", err)
	}
	for _, name := range []string{"ab", "Upper", "a..b", "192.168.1.1", "-x-"} {
		if _, err := a.CreateBucket(ctx, backend.Bucket{Name: name}); !errors.Is(err, backend.ErrInvalid) {
			t.Errorf("CreateBucket(%q): err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestObjectVersions(t *testing.T) {
	ctx := context.Background()
	c, a, _ := accounts(t)
	c.inlineMax = 0 // bodies in files, whose life this test follows
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "versioned", Versioning: true}))
	v1 := must[string](t)(a.PutObject(ctx, "", "versioned", "app.zip", strings.NewReader("one")))
	v2 := must[string](t)(a.PutObject(ctx, "", "versioned", "app.zip", strings.NewReader("two")))
	if v1 == v2 || v1 == backend.NullVersion {
		t.Fatalf("version ids %q, %q: want two distinct non-null ids", v1, v2)
	}
	for id, want := range map[string]string{"": "two", v1: "one", v2: "two"} {
		body, info, err := a.GetObject(ctx, "", "versioned", "app.zip", id)
		if err != nil {
			t.Fatalf("GetObject(%q): %v", id, err)
		}
		if string(body) != want {
			t.Errorf("GetObject(%q) = %q, want %q", id, body, want)
		}
		if info.KMSKeyARN == "" || info.Size != int64(len(want)) {
			t.Errorf("GetObject(%q) info = %+v", id, info)
		}
	}
	// Delete on a versioned bucket adds a marker; the versions stay readable by id.
	marker := must[backend.ObjectInfo](t)(a.DeleteObject(ctx, "", "versioned", "app.zip", ""))
	if !marker.DeleteMarker {
		t.Errorf("DeleteObject = %+v, want a delete marker", marker)
	}
	if _, _, err := a.GetObject(ctx, "", "versioned", "app.zip", ""); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("GetObject after delete: err = %v, want ErrNotFound", err)
	}
	if body, _, err := a.GetObject(ctx, "", "versioned", "app.zip", v1); err != nil || string(body) != "one" {
		t.Errorf("GetObject(v1) after delete = %q, %v", body, err)
	}
	versions := must[[]backend.ObjectInfo](t)(a.ListObjectVersions(ctx, "", "versioned", ""))
	type brief struct {
		VersionID      string
		Latest, Marker bool
	}
	var gotBrief []brief
	for _, v := range versions {
		gotBrief = append(gotBrief, brief{v.VersionID, v.IsLatest, v.DeleteMarker})
	}
	wantBrief := []brief{{marker.VersionID, true, true}, {v2, false, false}, {v1, false, false}}
	if diff := cmp.Diff(wantBrief, gotBrief); diff != "" {
		t.Errorf("ListObjectVersions (-want +got):\n%s", diff)
	}
	// Removing the marker by id brings v2 back as the latest.
	must[backend.ObjectInfo](t)(a.DeleteObject(ctx, "", "versioned", "app.zip", marker.VersionID))
	if body, info, err := a.GetObject(ctx, "", "versioned", "app.zip", ""); err != nil || string(body) != "two" || info.VersionID != v2 {
		t.Errorf("latest after removing the marker = %q (%s), %v; want two (%s)", body, info.VersionID, err, v2)
	}
	if got := must[[]backend.ObjectInfo](t)(a.ListObjects(ctx, "", "versioned", "app")); len(got) != 1 || got[0].VersionID != v2 {
		t.Errorf("ListObjects = %+v", got)
	}
	if files := blobFiles(t, c); len(files) != 2 {
		t.Errorf("object files = %d, want 2", len(files))
	}
}

func TestUnversionedPutReplacesNullVersion(t *testing.T) {
	ctx := context.Background()
	c, a, _ := accounts(t)
	c.inlineMax = 0 // bodies in files, whose life this test follows
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "plain"}))
	for _, body := range []string{"first", "second"} {
		if v := must[string](t)(a.PutObject(ctx, "", "plain", "k", strings.NewReader(body))); v != backend.NullVersion {
			t.Errorf("version = %q, want null", v)
		}
	}
	versions := must[[]backend.ObjectInfo](t)(a.ListObjectVersions(ctx, "", "plain", ""))
	if len(versions) != 1 || versions[0].VersionID != backend.NullVersion {
		t.Fatalf("versions = %+v, want the one null version", versions)
	}
	if body, _, _ := a.GetObject(ctx, "", "plain", "k", ""); string(body) != "second" {
		t.Errorf("body = %q, want second", body)
	}
	if files := blobFiles(t, c); len(files) != 1 {
		t.Errorf("object files = %d, want 1 (the replaced null version's file is removed)", len(files))
	}
	must[backend.ObjectInfo](t)(a.DeleteObject(ctx, "", "plain", "k", ""))
	if got := must[[]backend.ObjectInfo](t)(a.ListObjectVersions(ctx, "", "plain", "")); len(got) != 0 {
		t.Errorf("after deleting an unversioned object: %+v", got)
	}

	// Suspending versioning keeps the old versions; a put then replaces only the null one.
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "suspended", Versioning: true}))
	v1 := must[string](t)(a.PutObject(ctx, "", "suspended", "k", strings.NewReader("v1")))
	must[*backend.Bucket](t)(a.PutBucketVersioning(ctx, "suspended", false))
	must[string](t)(a.PutObject(ctx, "", "suspended", "k", strings.NewReader("n1")))
	must[string](t)(a.PutObject(ctx, "", "suspended", "k", strings.NewReader("n2")))
	var ids []string
	for _, v := range must[[]backend.ObjectInfo](t)(a.ListObjectVersions(ctx, "", "suspended", "")) {
		ids = append(ids, v.VersionID)
	}
	if diff := cmp.Diff([]string{backend.NullVersion, v1}, ids); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
}

func TestDeleteNonEmptyBucket(t *testing.T) {
	ctx := context.Background()
	c, a, _ := accounts(t)
	c.inlineMax = 0 // bodies in files, whose life this test follows
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "full", Versioning: true}))
	must[string](t)(a.PutObject(ctx, "", "full", "a", strings.NewReader("x")))
	must[string](t)(a.PutObject(ctx, "", "full", "b", strings.NewReader("y")))
	if err := a.DeleteBucket(ctx, "full", false); !errors.Is(err, backend.ErrBucketNotEmpty) {
		t.Fatalf("DeleteBucket without force: err = %v, want ErrBucketNotEmpty", err)
	}
	if _, err := a.GetBucket(ctx, "full"); err != nil {
		t.Fatalf("bucket gone after refused delete: %v", err)
	}
	if err := a.DeleteBucket(ctx, "full", true); err != nil {
		t.Fatal(err)
	}
	if files := blobFiles(t, c); len(files) != 0 {
		t.Errorf("object files left after force delete: %v", files)
	}
	var n int
	if err := c.reader.QueryRow(`SELECT count(*) FROM object_versions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d object rows left", n)
	}
}

func TestCorruptedObjectDetected(t *testing.T) {
	ctx := context.Background()
	c, a, _ := accounts(t)
	c.inlineMax = 0 // bodies in files, whose life this test follows
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "fragile", Versioning: true}))
	must[string](t)(a.PutObject(ctx, "", "fragile", "k", strings.NewReader("precious bytes")))
	files := blobFiles(t, c)
	if len(files) != 1 {
		t.Fatalf("files = %v", files)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x01
	if err := os.WriteFile(files[0], data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = a.GetObject(ctx, "", "fragile", "k", "")
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "is corrupted") {
		t.Fatalf("GetObject of a corrupted file: err = %v, want ErrCorrupt", err)
	}
	t.Log(err)
	os.Remove(files[0])
	if _, _, err := a.GetObject(ctx, "", "fragile", "k", ""); !errors.Is(err, ErrCorrupt) {
		t.Errorf("GetObject of a missing file: err = %v, want ErrCorrupt", err)
	}
}

func TestWriteNeverOverwritesVersionFile(t *testing.T) {
	ctx := context.Background()
	c, a, _ := accounts(t)
	c.inlineMax = 0 // bodies in files, whose life this test follows
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "append-only", Versioning: true}))
	v1 := must[string](t)(a.PutObject(ctx, "", "append-only", "k", strings.NewReader("same body")))
	first := blobFiles(t, c)
	before := snapshot(t, first)
	// The same body again is a new version in a new file (fresh data key and nonce).
	must[string](t)(a.PutObject(ctx, "", "append-only", "k", strings.NewReader("same body")))
	if got := blobFiles(t, c); len(got) != 2 {
		t.Fatalf("files = %v, want 2", got)
	}
	if diff := cmp.Diff(before, snapshot(t, first)); diff != "" {
		t.Errorf("first version's file changed (-before +after):\n%s", diff)
	}
	if body, _, err := a.GetObject(ctx, "", "append-only", "k", v1); err != nil || string(body) != "same body" {
		t.Errorf("v1 = %q, %v", body, err)
	}
}

// blobFiles lists the object files under objects/ (temporary files excluded).
func blobFiles(t *testing.T, c *Cloud) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(c.dir, objectsDir), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			if filepath.Base(filepath.Dir(path)) != d.Name()[:2] {
				t.Errorf("%s is not under its digest prefix", path)
			}
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func snapshot(t *testing.T, files []string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m[f] = bytes.Clone(b)
	}
	return m
}
