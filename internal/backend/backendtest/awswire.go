package backendtest

import (
	"bytes"
	"crypto/md5" //nolint:gosec // S3's ETag
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// The capabilities the AWS endpoint (internal/awsapi/endpoint) needs of a backend beyond what
// the provider uses: object metadata, ranged reads, multipart uploads; bucket listing and tags;
// key aliases, tags and KMS's own encryption; role tags and managed policies; pipeline tags;
// the definition of a run; and the cloud capability itself (access keys, role sessions,
// authorization).

func md5b64(b []byte) string {
	sum := md5.Sum(b) //nolint:gosec // S3's ETag
	return base64.StdEncoding.EncodeToString(sum[:])
}

var wireObjectCases = []Case{
	{"objects", "a write keeps its metadata, tags, checksums and ETag; a version reads at any offset", func(e *env) {
		must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "meta", Versioning: true}))
		body := []byte("0123456789abcdef")
		info := must[backend.ObjectInfo](e.t)(e.a.WriteObject(e.ctx, backend.PutObjectInput{Bucket: "meta", Key: "k",
			Body: bytes.NewReader(body), Tags: map[string]string{"kind": "note"},
			Meta: backend.ObjectMeta{ContentType: "text/plain", CacheControl: "no-cache", Metadata: map[string]string{"owner": "ci"}},
			Digests: func() map[string]string {
				return map[string]string{"md5": md5b64(body), "crc32": "AAAAAA=="}
			}}))
		sum := md5.Sum(body) //nolint:gosec // S3's ETag
		if info.ETag != hex.EncodeToString(sum[:]) || info.Size != int64(len(body)) || info.Meta.ContentType != "text/plain" ||
			info.Meta.Metadata["owner"] != "ci" || info.Tags["kind"] != "note" || info.Checksums["crc32"] != "AAAAAA==" || info.VersionID == "" {
			e.t.Errorf("WriteObject = %+v", info)
		}
		head := must[backend.ObjectInfo](e.t)(e.a.HeadObject(e.ctx, "", "meta", "k", ""))
		if diff := cmp.Diff(info, head); diff != "" {
			e.t.Errorf("HeadObject (-written +head):\n%s", diff)
		}
		obj, got, err := e.a.OpenObject(e.ctx, "", "meta", "k", info.VersionID)
		ok(e.t, err)
		defer obj.Close()
		part := make([]byte, 4)
		n, err := obj.ReadAt(part, 10)
		if (err != nil && !errors.Is(err, io.EOF)) || string(part[:n]) != "abcd" || obj.Size() != 16 || got.ETag != info.ETag {
			e.t.Errorf("ReadAt 10 = %q (%v), size %d", part[:n], err, obj.Size())
		}
		// Another account reads nothing the bucket policy does not grant.
		_, err = e.b.HeadObject(e.ctx, "", "meta", "k", "")
		wantErr(e.t, "another account's HeadObject", err, backend.ErrAccessDenied)
		var nf *backend.NotFound
		if _, err := e.a.HeadObject(e.ctx, "", "meta", "missing", ""); !errors.As(err, &nf) || nf.Kind != backend.KindObject {
			e.t.Errorf("HeadObject of a missing key: %v, want a NotFound of kind %s", err, backend.KindObject)
		}
		// A version whose latest is a delete marker is not found, and says it is a marker.
		must[backend.ObjectInfo](e.t)(e.a.DeleteObject(e.ctx, "", "meta", "k", ""))
		marker, err := e.a.HeadObject(e.ctx, "", "meta", "k", "")
		if !errors.Is(err, backend.ErrNotFound) || !marker.DeleteMarker {
			e.t.Errorf("HeadObject of a deleted key = %+v, %v", marker, err)
		}
	}},
	{"objects", "a multipart upload: parts, listing, completion as one version, abort", func(e *env) {
		must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: "parts", Versioning: true}))
		up := must[*backend.Upload](e.t)(e.a.CreateMultipartUpload(e.ctx, backend.PutObjectInput{Bucket: "parts", Key: "big",
			Meta: backend.ObjectMeta{ContentType: "application/zip"}}))
		first := make([]byte, backend.MinPartSize)
		rand.Read(first) //nolint:errcheck // crypto/rand.Read does not fail
		var done []backend.CompletedPart
		for n, body := range [][]byte{first, []byte("the end")} {
			p := must[backend.Part](e.t)(e.a.UploadPart(e.ctx, backend.UploadPartInput{Bucket: "parts", Key: "big", UploadID: up.ID, Number: n + 1,
				Body: bytes.NewReader(body), Digests: func() map[string]string { return map[string]string{"md5": md5b64(body)} }}))
			done = append(done, backend.CompletedPart{Number: p.Number, ETag: `"` + p.ETag + `"`})
		}
		_, parts, err := e.a.ListParts(e.ctx, "", "parts", "big", up.ID)
		if err != nil || len(parts) != 2 || parts[1].Size != 7 {
			e.t.Errorf("ListParts = %+v, %v", parts, err)
		}
		uploads := must[[]backend.Upload](e.t)(e.a.ListMultipartUploads(e.ctx, "", "parts", ""))
		if len(uploads) != 1 || uploads[0].ID != up.ID {
			e.t.Errorf("ListMultipartUploads = %+v", uploads)
		}
		_, err = e.a.CompleteMultipartUpload(e.ctx, "", "parts", "big", up.ID, []backend.CompletedPart{done[1], done[0]})
		wantErr(e.t, "parts out of order", err, backend.ErrInvalid)
		info := must[backend.ObjectInfo](e.t)(e.a.CompleteMultipartUpload(e.ctx, "", "parts", "big", up.ID, done))
		if !strings.HasSuffix(info.ETag, "-2") || info.Parts != 2 || info.Size != int64(len(first))+7 || info.Meta.ContentType != "application/zip" {
			e.t.Errorf("CompleteMultipartUpload = %+v", info)
		}
		body, _, err := e.a.GetObject(e.ctx, "", "parts", "big", "")
		if err != nil || !bytes.Equal(body, append(append([]byte{}, first...), "the end"...)) {
			e.t.Errorf("the completed object reads %d bytes (%v), not its parts", len(body), err)
		}
		_, _, err = e.a.ListParts(e.ctx, "", "parts", "big", up.ID)
		wantErr(e.t, "ListParts of a completed upload", err, backend.ErrNotFound)
		gone := must[*backend.Upload](e.t)(e.a.CreateMultipartUpload(e.ctx, backend.PutObjectInput{Bucket: "parts", Key: "gone"}))
		ok(e.t, e.a.AbortMultipartUpload(e.ctx, "", "parts", "gone", gone.ID))
		_, err = e.a.UploadPart(e.ctx, backend.UploadPartInput{Bucket: "parts", Key: "gone", UploadID: gone.ID, Number: 1, Body: strings.NewReader("x")})
		wantErr(e.t, "UploadPart to an aborted upload", err, backend.ErrNotFound)
		_, err = e.b.CreateMultipartUpload(e.ctx, backend.PutObjectInput{Bucket: "parts", Key: "intruder"})
		wantErr(e.t, "another account's upload", err, backend.ErrAccessDenied)
	}},
	{"stores", "list, tags, suspended versioning, creation date", func(e *env) {
		for _, n := range []string{"b-two", "b-one"} {
			must[*backend.Bucket](e.t)(e.a.CreateBucket(e.ctx, backend.Bucket{Name: n, Versioning: true, Tags: map[string]string{"n": n}}))
		}
		must[*backend.Bucket](e.t)(e.b.CreateBucket(e.ctx, backend.Bucket{Name: "b-other"}))
		var names []string
		for _, b := range must[[]*backend.Bucket](e.t)(e.a.ListBuckets(e.ctx)) {
			names = append(names, b.Name)
			if b.Tags["n"] != b.Name || b.Created.IsZero() {
				e.t.Errorf("listed %+v", b)
			}
		}
		if diff := cmp.Diff([]string{"b-one", "b-two"}, names); diff != "" {
			e.t.Errorf("ListBuckets (-want +got):\n%s", diff)
		}
		b := must[*backend.Bucket](e.t)(e.a.PutBucketTagging(e.ctx, "b-one", map[string]string{"team": "ci"}))
		if !cmp.Equal(b.Tags, map[string]string{"team": "ci"}) {
			e.t.Errorf("PutBucketTagging = %v", b.Tags)
		}
		_, err := e.b.PutBucketTagging(e.ctx, "b-one", nil)
		wantErr(e.t, "another account's PutBucketTagging", err, backend.ErrAccessDenied)
		b = must[*backend.Bucket](e.t)(e.a.PutBucketVersioning(e.ctx, "b-one", false))
		if b.Versioning || !b.VersioningSuspended {
			e.t.Errorf("versioning turned off: %+v, want suspended", b)
		}
		if b := must[*backend.Bucket](e.t)(e.b.GetBucket(e.ctx, "b-other")); b.VersioningSuspended {
			e.t.Error("a bucket never versioned reads as suspended")
		}
	}},
}

var wireKeyCases = []Case{
	{"keys", "several aliases, tags, description, rotation, listing", func(e *env) {
		k := must[*backend.Key](e.t)(e.a.CreateKey(e.ctx, backend.KeySpec{Description: "d", Tags: map[string]string{"team": "ci"}}))
		if !cmp.Equal(k.Tags, map[string]string{"team": "ci"}) || k.Created.IsZero() {
			e.t.Errorf("CreateKey = %+v", k)
		}
		ok(e.t, e.a.CreateAlias(e.ctx, "alias/one", k.KeyID))
		ok(e.t, e.a.CreateAlias(e.ctx, "alias/two", k.ARN))
		wantErr(e.t, "an alias taken", e.a.CreateAlias(e.ctx, "alias/one", k.KeyID), backend.ErrAlreadyExists)
		wantErr(e.t, "a reserved alias", e.a.CreateAlias(e.ctx, "alias/aws/mine", k.KeyID), backend.ErrInvalid)
		if got := must[*backend.Key](e.t)(e.a.GetKey(e.ctx, "alias/two")); !cmp.Equal(got.Aliases, []string{"alias/one", "alias/two"}) {
			e.t.Errorf("the key's aliases: %v", got.Aliases)
		}
		other := must[*backend.Key](e.t)(e.a.CreateKey(e.ctx, backend.KeySpec{}))
		ok(e.t, e.a.UpdateAlias(e.ctx, "alias/two", other.KeyID))
		ok(e.t, e.a.DeleteAlias(e.ctx, "alias/one"))
		wantErr(e.t, "deleting a missing alias", e.a.DeleteAlias(e.ctx, "alias/one"), backend.ErrNotFound)
		var aliases []string
		for _, al := range must[[]backend.Alias](e.t)(e.a.ListAliases(e.ctx)) {
			aliases = append(aliases, al.Name+"→"+al.TargetKeyID)
		}
		if diff := cmp.Diff([]string{"alias/two→" + other.KeyID}, aliases); diff != "" {
			e.t.Errorf("ListAliases (-want +got):\n%s", diff)
		}
		k = must[*backend.Key](e.t)(e.a.UpdateKeyDescription(e.ctx, k.KeyID, "renamed"))
		k = must[*backend.Key](e.t)(e.a.SetKeyRotation(e.ctx, k.KeyID, true))
		k = must[*backend.Key](e.t)(e.a.TagKey(e.ctx, k.KeyID, map[string]string{"env": "test"}))
		k = must[*backend.Key](e.t)(e.a.UntagKey(e.ctx, k.KeyID, []string{"team"}))
		if k.Description != "renamed" || !k.RotationEnabled || !cmp.Equal(k.Tags, map[string]string{"env": "test"}) {
			e.t.Errorf("after the changes: %+v", k)
		}
		var ids []string
		for _, key := range must[[]*backend.Key](e.t)(e.a.ListKeys(e.ctx)) {
			ids = append(ids, key.KeyID)
		}
		if diff := cmp.Diff(sortedCopy([]string{k.KeyID, other.KeyID}), ids); diff != "" {
			e.t.Errorf("ListKeys (-want +got):\n%s", diff)
		}
		_, err := e.b.TagKey(e.ctx, k.ARN, map[string]string{"x": "y"})
		if err == nil {
			e.t.Error("another account tagged the key")
		}
	}},
	{"keys", "KMS's own encryption, as the key policy and identity policies allow", func(e *env) {
		x := e.crossAccount()
		encCtx := map[string]string{"purpose": "conformance"}
		ct, keyARN, err := e.a.Encrypt(e.ctx, "", "alias/xacct", []byte("secret"), encCtx)
		ok(e.t, err)
		equal(e.t, "Encrypt's key", keyARN, x.key.ARN)
		plain, keyARN, err := e.a.Decrypt(e.ctx, "", ct, "", encCtx)
		if err != nil || string(plain) != "secret" || keyARN != x.key.ARN {
			e.t.Errorf("Decrypt = %q, %s, %v", plain, keyARN, err)
		}
		_, _, err = e.a.Decrypt(e.ctx, "", ct, "", nil)
		wantErr(e.t, "Decrypt with another encryption context", err, backend.ErrInvalidCiphertext)
		ct[len(ct)-1] ^= 1
		_, _, err = e.a.Decrypt(e.ctx, "", ct, "", encCtx)
		wantErr(e.t, "Decrypt of an altered ciphertext", err, backend.ErrInvalidCiphertext)
		ct[len(ct)-1] ^= 1
		other := must[*backend.Key](e.t)(e.a.CreateKey(e.ctx, backend.KeySpec{}))
		_, _, err = e.a.Decrypt(e.ctx, "", ct, other.KeyID, encCtx)
		wantErr(e.t, "Decrypt naming another key", err, backend.ErrIncorrectKey)
		// The key policy grants B's deployer: it decrypts; B's root is not named and its
		// account's identity policies do not make up for it.
		plain, _, err = e.b.Decrypt(e.ctx, x.role, ct, "", encCtx)
		if err != nil || string(plain) != "secret" {
			e.t.Errorf("the granted role's Decrypt = %q, %v", plain, err)
		}
		_, _, err = e.b.Decrypt(e.ctx, "", ct, "", encCtx)
		wantErr(e.t, "account B's root Decrypt", err, backend.ErrAccessDenied)
		dk, dct, _, err := e.a.GenerateDataKey(e.ctx, "", x.key.ARN, 32, nil)
		ok(e.t, err)
		back, _, err := e.a.Decrypt(e.ctx, "", dct, "", nil)
		if err != nil || !bytes.Equal(back, dk) || len(dk) != 32 {
			e.t.Errorf("a data key of %d bytes decrypts to %d bytes (%v)", len(dk), len(back), err)
		}
		// The AWS-managed aws/s3 key serves S3 only.
		_, _, err = e.a.Encrypt(e.ctx, "", "alias/aws/s3", []byte("x"), nil)
		wantErr(e.t, "direct use of aws/s3", err, backend.ErrAccessDenied)
		must[*backend.Key](e.t)(e.a.ScheduleKeyDeletion(e.ctx, other.KeyID, 7))
		_, _, err = e.a.Encrypt(e.ctx, "", other.KeyID, []byte("x"), nil)
		wantErr(e.t, "Encrypt with a key pending deletion", err, backend.ErrKeyState)
	}},
}

var wireRoleCases = []Case{
	{"roles", "settings, tags, inline policy deleted, managed policies attached and counted", func(e *env) {
		trust := policy.TrustPolicy(e.part, AccountA).JSON()
		r := must[*backend.Role](e.t)(e.a.CreateRole(e.ctx, backend.Role{Name: "r", TrustPolicy: trust, Path: "/ci/", Description: "d",
			MaxSessionDuration: 7200, Tags: map[string]string{"team": "ci"}, Policies: map[string]string{"inline": targetOf(e, "b")}}))
		if !strings.HasPrefix(r.ID, "AROA") || r.Path != "/ci/" || r.Description != "d" || r.MaxSessionDuration != 7200 || r.Tags["team"] != "ci" || r.Created.IsZero() {
			e.t.Errorf("CreateRole = %+v", r)
		}
		ok(e.t, e.a.TagRole(e.ctx, "r", map[string]string{"env": "test"}))
		ok(e.t, e.a.UntagRole(e.ctx, "r", []string{"team"}))
		ok(e.t, e.a.DeleteRolePolicy(e.ctx, "r", "inline"))
		wantErr(e.t, "deleting a missing inline policy", e.a.DeleteRolePolicy(e.ctx, "r", "inline"), backend.ErrNotFound)
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`
		p := must[*backend.ManagedPolicy](e.t)(e.a.CreatePolicy(e.ctx, backend.ManagedPolicy{Name: "list", Document: doc}))
		if !strings.HasPrefix(p.ID, "ANPA") || !strings.HasSuffix(p.ARN, ":policy/list") || p.AccountID != AccountA {
			e.t.Errorf("CreatePolicy = %+v", p)
		}
		_, err := e.a.CreatePolicy(e.ctx, backend.ManagedPolicy{Name: "list", Document: doc})
		wantErr(e.t, "a policy name taken", err, backend.ErrAlreadyExists)
		ok(e.t, e.a.AttachRolePolicy(e.ctx, "r", p.ARN))
		got := must[*backend.Role](e.t)(e.a.GetRole(e.ctx, "r"))
		if !cmp.Equal(got.Tags, map[string]string{"env": "test"}) || len(got.Policies) != 0 || !cmp.Equal(got.ManagedPolicies, []string{p.ARN}) {
			e.t.Errorf("GetRole = %+v", got)
		}
		if p = must[*backend.ManagedPolicy](e.t)(e.a.GetPolicy(e.ctx, p.ARN)); p.AttachmentCount != 1 {
			e.t.Errorf("attachments %d", p.AttachmentCount)
		}
		wantErr(e.t, "deleting an attached policy", e.a.DeletePolicy(e.ctx, p.ARN), backend.ErrConflict)
		ok(e.t, e.a.DetachRolePolicy(e.ctx, "r", p.ARN))
		ok(e.t, e.a.DeletePolicy(e.ctx, p.ARN))
		_, err = e.a.GetPolicy(e.ctx, p.ARN)
		wantErr(e.t, "GetPolicy of a deleted policy", err, backend.ErrNotFound)
	}},
}

var wirePipelineCases = []Case{
	{"pipelines", "tags change without a new version", func(e *env) {
		rec := e.setup(e.pipelineOf("tagged", pipeline.Stage{Name: "Wait", Actions: []pipeline.Action{approval("Gate")}}))
		got := must[*backend.PipelineRecord](e.t)(e.a.SetPipelineTags(e.ctx, "tagged", map[string]string{"team": "ci"}))
		if got.Version != rec.Version || !cmp.Equal(got.Definition.Tags, map[string]string{"team": "ci"}) {
			e.t.Errorf("SetPipelineTags: version %d → %d, tags %v", rec.Version, got.Version, got.Definition.Tags)
		}
		_, err := e.a.SetPipelineTags(e.ctx, "missing", nil)
		wantErr(e.t, "SetPipelineTags of a missing pipeline", err, backend.ErrNotFound)
	}},
	{"runs", "a run keeps the definition it started with", func(e *env) {
		r := e.runs()
		if r == nil {
			return
		}
		e.setup(e.pipelineOf("defs", pipeline.Stage{Name: "Wait", Actions: []pipeline.Action{approval("Gate")}}))
		run := must[*backend.Run](e.t)(r.StartRun(e.ctx, backend.RunRequest{Pipeline: "defs"}))
		updated := e.pipelineOf("defs", pipeline.Stage{Name: "Wait", Actions: []pipeline.Action{approval("Other")}})
		must[*backend.PipelineRecord](e.t)(e.a.UpdatePipeline(e.ctx, updated))
		def := must[*pipeline.Pipeline](e.t)(r.RunDefinition(e.ctx, "defs", run.ID))
		if got := def.Stages[1].Actions[0].Name; got != "Gate" {
			e.t.Errorf("the run's definition has action %s, want the one it started with (Gate)", got)
		}
	}},
}

// cloud returns account A's backend as a cloud, or checks that the backend refuses it as it
// should and returns nil.
func (e *env) cloud() backend.Cloud {
	e.t.Helper()
	c, err := backend.CloudOf(e.a)
	if err != nil {
		var ue *backend.UnsupportedError
		if !errors.As(err, &ue) || ue.Capability != backend.CapabilityCloud {
			e.t.Fatalf("CloudOf = %v, want the cloud or an UnsupportedError", err)
		}
		return nil
	}
	return c
}

var cloudCases = []Case{
	{"cloud", "an account's key: created once, looked up, sealed", func(e *env) {
		c := e.cloud()
		if c == nil {
			return
		}
		_, err := c.AccountKey(e.ctx, AccountA, false)
		wantErr(e.t, "AccountKey before any", err, backend.ErrNotFound)
		k := must[*backend.AccessKey](e.t)(c.AccountKey(e.ctx, AccountA, true))
		if !strings.HasPrefix(k.ID, "AKIA") || len(k.ID) != 20 || len(k.Secret) < 30 || k.SessionToken != "" || k.Principal != e.part.Root(AccountA) {
			e.t.Errorf("AccountKey = %+v", k)
		}
		again := must[*backend.AccessKey](e.t)(c.AccountKey(e.ctx, AccountA, true))
		equal(e.t, "the key asked for again", again.ID, k.ID)
		found := must[*backend.AccessKey](e.t)(c.LookupAccessKey(e.ctx, k.ID))
		if found.Secret != k.Secret || found.AccountID != AccountA {
			e.t.Errorf("LookupAccessKey = %+v", found)
		}
		_, err = c.LookupAccessKey(e.ctx, "AKIAUNKNOWNUNKNOWN00")
		wantErr(e.t, "LookupAccessKey of an unknown key", err, backend.ErrNotFound)
		if kb := must[*backend.AccessKey](e.t)(c.AccountKey(e.ctx, AccountB, true)); kb.ID == k.ID || kb.AccountID != AccountB {
			e.t.Errorf("account B's key %+v", kb)
		}
	}},
	{"cloud", "a role session: the trust policy decides, across accounts the caller's policies too", func(e *env) {
		c := e.cloud()
		if c == nil {
			return
		}
		x := e.crossAccount() // B's deployer trusts account A
		rootA := e.part.Root(AccountA)
		s := must[*backend.AccessKey](e.t)(c.AssumeRole(e.ctx, backend.AssumeRoleRequest{Principal: rootA, RoleARN: x.role, SessionName: "deploy", Duration: 20 * time.Minute}))
		if !strings.HasPrefix(s.ID, "ASIA") || s.SessionToken == "" || s.AccountID != AccountB || s.RoleARN != x.role || s.SessionName != "deploy" ||
			!strings.HasPrefix(s.RoleID, "AROA") || s.Principal != "arn:"+string(e.part)+":sts::"+AccountB+":assumed-role/deployer/deploy" ||
			time.Until(s.Expires) > 21*time.Minute || time.Until(s.Expires) < 15*time.Minute {
			e.t.Errorf("AssumeRole = %+v", s)
		}
		found := must[*backend.AccessKey](e.t)(c.LookupAccessKey(e.ctx, s.ID))
		if found.Secret != s.Secret || found.SessionToken != s.SessionToken || !found.Expires.Equal(s.Expires) {
			e.t.Errorf("LookupAccessKey of the session = %+v", found)
		}
		// B's root is not trusted by the role of its own account that trusts A only.
		_, err := c.AssumeRole(e.ctx, backend.AssumeRoleRequest{Principal: e.part.Root(AccountB), RoleARN: x.role, SessionName: "s1"})
		wantErr(e.t, "AssumeRole by an account the trust policy does not name", err, backend.ErrAccessDenied)
		_, err = c.AssumeRole(e.ctx, backend.AssumeRoleRequest{Principal: rootA, RoleARN: e.part.Role(AccountB, "missing"), SessionName: "s1"})
		wantErr(e.t, "AssumeRole of a missing role", err, backend.ErrAccessDenied)
		_, err = c.AssumeRole(e.ctx, backend.AssumeRoleRequest{Principal: rootA, RoleARN: x.role, SessionName: "s1", Duration: 5 * time.Hour})
		wantErr(e.t, "a session longer than the role allows", err, backend.ErrInvalid)
		// The session acts as the role: it reads the artifact bucket its policies allow.
		must[string](e.t)(e.a.PutObject(e.ctx, "", x.bucket, "a", strings.NewReader("x")))
		b := c.As(AccountB, e.region)
		defer b.Close()
		if _, _, err := b.GetObject(e.ctx, s.Principal, x.bucket, "a", ""); err != nil {
			e.t.Errorf("the session's GetObject: %v", err)
		}
	}},
	{"cloud", "authorize: identity and resource policies, explicit deny, anonymous", func(e *env) {
		c := e.cloud()
		if c == nil {
			return
		}
		x := e.crossAccount()
		role := x.role
		ctx := map[string]string{"aws:SecureTransport": "true"}
		for _, tc := range []struct {
			principal, action, resource string
			allowed                     bool
		}{
			{e.part.Root(AccountA), "s3:PutBucketPolicy", e.part.Bucket(x.bucket), true},
			{e.part.Root(AccountB), "s3:GetBucketPolicy", e.part.Bucket(x.bucket), false},                                                    // the bucket policy grants B's role, not B's root
			{role, "s3:GetObject", e.part.Object(x.bucket, "k"), true},                                                                       // both sides allow
			{role, "s3:DeleteObject", e.part.Object(x.bucket, "k"), false},                                                                   // neither does
			{role, "kms:Decrypt", x.key.ARN, true},                                                                                           // key policy and identity
			{e.part.Root(AccountB), "kms:Decrypt", x.key.ARN, false},                                                                         // key policy names the role only
			{e.part.Root(AccountA), "iam:CreateRole", e.part.Role(AccountA, "new"), true},                                                    // the root of the account
			{role, "iam:CreateRole", e.part.Role(AccountB, "escalate"), false},                                                               // no identity policy allows it
			{backend.AnonymousPrincipal, "s3:ListBucket", e.part.Bucket(x.bucket), false},                                                    // nothing is public
			{"arn:" + string(e.part) + ":sts::" + AccountB + ":assumed-role/deployer/s", "s3:GetObject", e.part.Object(x.bucket, "k"), true}, // a session acts as its role
		} {
			err := c.Authorize(e.ctx, backend.AccessRequest{Principal: tc.principal, Action: tc.action, Resource: tc.resource, Context: ctx})
			if (err == nil) != tc.allowed || (err != nil && !errors.Is(err, backend.ErrAccessDenied)) {
				e.t.Errorf("Authorize %s %s on %s: %v, want allowed %v", tc.principal, tc.action, tc.resource, err, tc.allowed)
			}
		}
		public := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"` + e.part.Bucket(x.bucket) + `"}]}`
		must[*backend.Bucket](e.t)(e.a.PutBucketPolicy(e.ctx, x.bucket, public))
		if err := c.Authorize(e.ctx, backend.AccessRequest{Principal: backend.AnonymousPrincipal, Action: "s3:ListBucket", Resource: e.part.Bucket(x.bucket), Context: ctx}); err != nil {
			e.t.Errorf("an anonymous ListBucket the bucket policy makes public: %v", err)
		}
	}},
}
