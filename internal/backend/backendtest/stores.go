package backendtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

var storeCases = []Case{
	{"stores", "create and get", func(e *env) {
		key := must[*backend.Key](e.t)(e.a.CreateKey(e.ctx, backend.KeySpec{Description: "k"}))
		doc := policy.BucketPolicy(e.part, "made", []string{e.part.Role(AccountB, "r")}).JSON()
		made := must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "made", Versioning: true, EncryptionKeyARN: key.ARN, Policy: doc}))
		want := &backend.Bucket{Name: "made", ARN: e.part.Bucket("made"), AccountID: AccountA, Region: e.region,
			Versioning: true, EncryptionKeyARN: key.ARN, Policy: made.Policy, Created: made.Created}
		if made.Created.IsZero() {
			e.t.Error("CreateBucket: no creation date")
		}
		if diff := cmp.Diff(want, made); diff != "" {
			e.t.Errorf("CreateBucket (-want +got):\n%s", diff)
		}
		if !samePolicy(made.Policy, doc) {
			e.t.Errorf("policy stored as %s, want %s", made.Policy, doc)
		}
		if diff := cmp.Diff(made, must[*backend.Bucket](e.t)(e.a.GetBucket(e.ctx, "made"))); diff != "" {
			e.t.Errorf("GetBucket (-created +got):\n%s", diff)
		}
		plain := must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "plain"}))
		if plain.Versioning || plain.EncryptionKeyARN != "" || plain.Policy != "" {
			e.t.Errorf("a bucket created with nothing set: %+v", plain)
		}
	}},
	{"stores", "names are global: already exists, in any account", func(e *env) {
		must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "taken", Versioning: true}))
		_, err := e.a.CreateBucket(e.ctx, backend.Bucket{Name: "taken"})
		wantErr(e.t, "the same name again", err, backend.ErrAlreadyExists)
		_, err = e.b.CreateBucket(e.ctx, backend.Bucket{Name: "taken"})
		wantErr(e.t, "the same name in another account", err, backend.ErrAlreadyExists)
	}},
	{"stores", "not found", func(e *env) {
		_, err := e.a.GetBucket(e.ctx, "missing")
		wantErr(e.t, "GetBucket", err, backend.ErrNotFound)
		_, err = e.a.UpdateBucket(e.ctx, backend.Bucket{Name: "missing"})
		wantErr(e.t, "UpdateBucket", err, backend.ErrNotFound)
		_, err = e.a.PutBucketVersioning(e.ctx, "missing", true)
		wantErr(e.t, "PutBucketVersioning", err, backend.ErrNotFound)
		wantErr(e.t, "DeleteBucket", e.a.DeleteBucket(e.ctx, "missing", false), backend.ErrNotFound)
	}},
	{"stores", "update sets every setting", func(e *env) {
		must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "bkt", Versioning: true}))
		key := must[*backend.Key](e.t)(e.a.CreateKey(e.ctx, backend.KeySpec{Description: "k"}))
		doc := policy.BucketPolicy(e.part, "bkt", nil).JSON()
		got := must[*backend.Bucket](e.t)(e.a.UpdateBucket(e.ctx, backend.Bucket{Name: "bkt", Versioning: false, EncryptionKeyARN: key.ARN, Policy: doc}))
		if got.Versioning || got.EncryptionKeyARN != key.ARN || !samePolicy(got.Policy, doc) {
			e.t.Errorf("UpdateBucket = %+v", got)
		}
		if diff := cmp.Diff(got, must[*backend.Bucket](e.t)(e.a.GetBucket(e.ctx, "bkt"))); diff != "" {
			e.t.Errorf("GetBucket after update (-updated +got):\n%s", diff)
		}
	}},
	{"stores", "one setting changes, the others stay", func(e *env) {
		key := must[*backend.Key](e.t)(e.a.CreateKey(e.ctx, backend.KeySpec{Description: "k"}))
		doc := policy.BucketPolicy(e.part, "bkt", nil).JSON()
		must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "bkt", Versioning: true, EncryptionKeyARN: key.ARN, Policy: doc}))
		got := must[*backend.Bucket](e.t)(e.a.PutBucketVersioning(e.ctx, "bkt", false))
		if got.Versioning || got.EncryptionKeyARN != key.ARN || !samePolicy(got.Policy, doc) {
			e.t.Errorf("after PutBucketVersioning: %+v", got)
		}
		got = must[*backend.Bucket](e.t)(e.a.PutBucketPolicy(e.ctx, "bkt", ""))
		if got.Policy != "" || got.EncryptionKeyARN != key.ARN || got.Versioning {
			e.t.Errorf("after PutBucketPolicy: %+v", got)
		}
		got = must[*backend.Bucket](e.t)(e.a.PutBucketEncryption(e.ctx, "bkt", ""))
		if got.EncryptionKeyARN != "" || got.Versioning {
			e.t.Errorf("after PutBucketEncryption: %+v", got)
		}
	}},
	{"stores", "delete: empty, not empty, forced", func(e *env) {
		must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "empty", Versioning: true}))
		ok(e.t, e.a.DeleteBucket(e.ctx, "empty", false))
		_, err := e.a.GetBucket(e.ctx, "empty")
		wantErr(e.t, "GetBucket after delete", err, backend.ErrNotFound)

		must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "full", Versioning: true}))
		must[string](e.t)(e.a.PutObject(e.ctx, "", "full", "k", strings.NewReader("x")))
		must[backend.ObjectInfo](e.t)(e.a.DeleteObject(e.ctx, "", "full", "k", ""))
		wantErr(e.t, "deleting a bucket holding a version and a delete marker", e.a.DeleteBucket(e.ctx, "full", false), backend.ErrBucketNotEmpty)
		if _, err := e.a.GetBucket(e.ctx, "full"); err != nil {
			e.t.Errorf("the refused delete removed the bucket: %v", err)
		}
		ok(e.t, e.a.DeleteBucket(e.ctx, "full", true))
		_, err = e.a.GetBucket(e.ctx, "full")
		wantErr(e.t, "GetBucket after a forced delete", err, backend.ErrNotFound)
		must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "full"})) // the name is free again
	}},
	{"stores", "import by name and by ARN", func(e *env) {
		made := must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "imported", Versioning: true}))
		name := must[string](e.t)(arn.BucketName(made.ARN))
		equal(e.t, "bucket named by its ARN", name, "imported")
		if diff := cmp.Diff(made, must[*backend.Bucket](e.t)(e.a.GetBucket(e.ctx, name))); diff != "" {
			e.t.Errorf("GetBucket by the ARN's name (-created +got):\n%s", diff)
		}
	}},
	{"stores", "only the owner changes a bucket", func(e *env) {
		must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "owned", Versioning: true}))
		_, err := e.b.UpdateBucket(e.ctx, backend.Bucket{Name: "owned"})
		wantErr(e.t, "another account's UpdateBucket", err, backend.ErrAccessDenied)
		_, err = e.b.PutBucketPolicy(e.ctx, "owned", "")
		wantErr(e.t, "another account's PutBucketPolicy", err, backend.ErrAccessDenied)
		wantErr(e.t, "another account's DeleteBucket", e.b.DeleteBucket(e.ctx, "owned", true), backend.ErrAccessDenied)
	}},
}

var objectCases = []Case{
	{"objects", "versions: each put is a new version, each readable", func(e *env) {
		must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "ver", Versioning: true}))
		v1 := must[string](e.t)(e.a.PutObject(e.ctx, "", "ver", "app.zip", strings.NewReader("one")))
		v2 := must[string](e.t)(e.a.PutObject(e.ctx, "", "ver", "app.zip", strings.NewReader("two")))
		if v1 == v2 || v1 == backend.NullVersion || v1 == "" {
			e.t.Fatalf("version ids %q and %q", v1, v2)
		}
		body, info, err := e.a.GetObject(e.ctx, "", "ver", "app.zip", "")
		ok(e.t, err)
		equal(e.t, "latest body", string(body), "two")
		equal(e.t, "latest version", info.VersionID, v2)
		sum := sha256.Sum256([]byte("two"))
		if info.Size != 3 || !info.IsLatest || info.ChecksumSHA256 != hex.EncodeToString(sum[:]) {
			e.t.Errorf("latest info = %+v", info)
		}
		body, info, err = e.a.GetObject(e.ctx, "", "ver", "app.zip", v1)
		ok(e.t, err)
		if string(body) != "one" || info.VersionID != v1 || info.IsLatest {
			e.t.Errorf("version %s = %q %+v", v1, body, info)
		}
		versions := must[[]backend.ObjectInfo](e.t)(e.a.ListObjectVersions(e.ctx, "", "ver", ""))
		if len(versions) != 2 || versions[0].VersionID != v2 || versions[1].VersionID != v1 || !versions[0].IsLatest {
			e.t.Errorf("ListObjectVersions = %s, want %s then %s", describe(versions), v2, v1)
		}
	}},
	{"objects", "without versioning a put replaces the null version", func(e *env) {
		must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "unv"}))
		for _, body := range []string{"one", "two"} {
			v := must[string](e.t)(e.a.PutObject(e.ctx, "", "unv", "k", strings.NewReader(body)))
			equal(e.t, "version id without versioning", v, backend.NullVersion)
		}
		versions := must[[]backend.ObjectInfo](e.t)(e.a.ListObjectVersions(e.ctx, "", "unv", ""))
		if len(versions) != 1 {
			e.t.Errorf("versions = %s, want the null version alone", describe(versions))
		}
		body, _, err := e.a.GetObject(e.ctx, "", "unv", "k", "")
		ok(e.t, err)
		equal(e.t, "body", string(body), "two")
	}},
	{"objects", "delete markers and deleted versions", func(e *env) {
		must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "del", Versioning: true}))
		v1 := must[string](e.t)(e.a.PutObject(e.ctx, "", "del", "k", strings.NewReader("kept")))
		must[string](e.t)(e.a.PutObject(e.ctx, "", "del", "other", strings.NewReader("x")))
		marker := must[backend.ObjectInfo](e.t)(e.a.DeleteObject(e.ctx, "", "del", "k", ""))
		if !marker.DeleteMarker {
			e.t.Errorf("DeleteObject without a version on a versioned bucket = %+v, want a delete marker", marker)
		}
		_, _, err := e.a.GetObject(e.ctx, "", "del", "k", "")
		wantErr(e.t, "GetObject behind a delete marker", err, backend.ErrNotFound)
		body, _, err := e.a.GetObject(e.ctx, "", "del", "k", v1)
		ok(e.t, err)
		equal(e.t, "the version behind the marker", string(body), "kept")
		current := must[[]backend.ObjectInfo](e.t)(e.a.ListObjects(e.ctx, "", "del", ""))
		if len(current) != 1 || current[0].Key != "other" {
			e.t.Errorf("ListObjects = %s, want other alone", describe(current))
		}
		must[backend.ObjectInfo](e.t)(e.a.DeleteObject(e.ctx, "", "del", "k", v1))
		_, _, err = e.a.GetObject(e.ctx, "", "del", "k", v1)
		wantErr(e.t, "GetObject of a deleted version", err, backend.ErrNotFound)
		_, _, err = e.a.GetObject(e.ctx, "", "del", "never", "")
		wantErr(e.t, "GetObject of a key never written", err, backend.ErrNotFound)
		_, err = e.a.PutObject(e.ctx, "", "no-such-bucket", "k", strings.NewReader("x"))
		wantErr(e.t, "PutObject into a missing bucket", err, backend.ErrNotFound)
	}},
	{"objects", "encrypted with the bucket's key, or the account's aws/s3 key", func(e *env) {
		key := must[*backend.Key](e.t)(e.a.CreateKey(e.ctx, backend.KeySpec{Description: "k"}))
		must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "cmk", Versioning: true, EncryptionKeyARN: key.ARN}))
		must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "default", Versioning: true}))
		must[string](e.t)(e.a.PutObject(e.ctx, "", "cmk", "k", strings.NewReader("x")))
		must[string](e.t)(e.a.PutObject(e.ctx, "", "default", "k", strings.NewReader("x")))
		_, info, err := e.a.GetObject(e.ctx, "", "cmk", "k", "")
		ok(e.t, err)
		equal(e.t, "key of an object in a bucket with a key", info.KMSKeyARN, key.ARN)
		_, info, err = e.a.GetObject(e.ctx, "", "default", "k", "")
		ok(e.t, err)
		managed := must[*backend.Key](e.t)(e.a.GetKey(e.ctx, "alias/aws/s3"))
		equal(e.t, "key of an object in a bucket without a key", info.KMSKeyARN, managed.ARN)
	}},
	{"objects", "another account needs grants in both accounts", func(e *env) {
		x := e.crossAccount()
		v := must[string](e.t)(e.a.PutObject(e.ctx, "", x.bucket, "shared.zip", bytes.NewReader([]byte("artifact"))))
		_, _, err := e.b.GetObject(e.ctx, "", x.bucket, "shared.zip", v)
		wantErr(e.t, "account B's root, not granted by the bucket policy", err, backend.ErrAccessDenied)
		body, _, err := e.b.GetObject(e.ctx, x.role, x.bucket, "shared.zip", v)
		ok(e.t, err)
		equal(e.t, "what the granted role reads", string(body), "artifact")
		// Without the key grant the role reads nothing: the key policy is evaluated too.
		must[*backend.Key](e.t)(e.a.PutKeyPolicy(e.ctx, x.key.KeyID, policy.KeyPolicy(e.part, AccountA, nil).JSON()))
		_, _, err = e.b.GetObject(e.ctx, x.role, x.bucket, "shared.zip", v)
		wantErr(e.t, "the role without the key grant", err, backend.ErrAccessDenied)
	}},
}

// samePolicy compares two policy documents by meaning.
func samePolicy(a, b string) bool {
	ca, errA := policy.Canonical(a)
	cb, errB := policy.Canonical(b)
	return errA == nil && errB == nil && ca == cb
}
