package local

import (
	"context"
	"crypto/md5" //nolint:gosec // S3's ETag is an MD5, not a security measure
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// What S3 keeps with a version besides its body (object_versions.meta and .etag), and the
// Objects methods that read and write it: WriteObject (a PUT with headers), OpenObject (a
// ranged GET), HeadObject.

// objectMetaRecord is the JSON of object_versions.meta; its field names are fixed here.
type objectMetaRecord struct {
	ContentType        string            `json:"contentType,omitempty"`
	ContentEncoding    string            `json:"contentEncoding,omitempty"`
	ContentDisposition string            `json:"contentDisposition,omitempty"`
	ContentLanguage    string            `json:"contentLanguage,omitempty"`
	CacheControl       string            `json:"cacheControl,omitempty"`
	Expires            string            `json:"expires,omitempty"`
	Metadata           map[string]string `json:"metadata,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
	Checksums          map[string]string `json:"checksums,omitempty"`
	Parts              int               `json:"parts,omitempty"`
}

func metaRecordOf(m backend.ObjectMeta, tags map[string]string) objectMetaRecord {
	return objectMetaRecord{
		ContentType: m.ContentType, ContentEncoding: m.ContentEncoding, ContentDisposition: m.ContentDisposition,
		ContentLanguage: m.ContentLanguage, CacheControl: m.CacheControl, Expires: m.Expires,
		Metadata: maps.Clone(m.Metadata), Tags: maps.Clone(tags),
	}
}

func (r objectMetaRecord) objectMeta() backend.ObjectMeta {
	return backend.ObjectMeta{
		ContentType: r.ContentType, ContentEncoding: r.ContentEncoding, ContentDisposition: r.ContentDisposition,
		ContentLanguage: r.ContentLanguage, CacheControl: r.CacheControl, Expires: r.Expires, Metadata: r.Metadata,
	}
}

func encodeObjectMeta(r objectMetaRecord) (string, error) {
	b, err := json.Marshal(r)
	if err != nil || string(b) == "{}" {
		return "", err
	}
	return string(b), nil
}

func decodeObjectMeta(s string, info *backend.ObjectInfo) error {
	if s == "" {
		return nil
	}
	var r objectMetaRecord
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return fmt.Errorf("stored metadata: %w: %w", err, ErrCorrupt)
	}
	info.Meta, info.Tags, info.Checksums, info.Parts = r.objectMeta(), r.Tags, r.Checksums, r.Parts
	return nil
}

// checksumAlgorithms are the digests a version keeps as its checksums.
var checksumAlgorithms = map[string]bool{"crc32": true, "crc32c": true, "crc64nvme": true, "sha1": true, "sha256": true}

// finish turns what a put learnt while it stored the body into the version's ETag and
// metadata column: the caller's digests (once the body is read) and the options' metadata.
func (o putOptions) finish(body *storedBody) (etag, meta string, err error) {
	rec := o.meta
	etag = o.etag
	if o.digests != nil {
		for alg, v := range o.digests() {
			switch {
			case alg == "md5" && etag == "":
				sum, derr := base64.StdEncoding.DecodeString(v)
				if derr != nil || len(sum) != md5.Size {
					return "", "", fmt.Errorf("md5 digest %q: %w", v, backend.ErrInvalid)
				}
				etag = hex.EncodeToString(sum)
			case checksumAlgorithms[alg] && rec.Parts == 0:
				if rec.Checksums == nil {
					rec.Checksums = map[string]string{}
				}
				rec.Checksums[alg] = v
			}
		}
	}
	meta, err = encodeObjectMeta(rec)
	return etag, meta, err
}

// derivedETag is the ETag of a version whose MD5 nobody computed (written by the executor or
// before ETags were kept): opaque and stable, as SSE-KMS ETags are on S3.
func derivedETag(o *backend.ObjectInfo) string {
	if len(o.ChecksumSHA256) >= 32 {
		return o.ChecksumSHA256[:32]
	}
	sum := md5.Sum([]byte(o.Bucket + "\x00" + o.Key + "\x00" + o.VersionID)) //nolint:gosec // an identifier
	return hex.EncodeToString(sum[:])
}

// WriteObject stores in.Body as a new version with its metadata, tags and checksums, acting
// as in.Principal (see PutObject), and returns the version.
func (a *Account) WriteObject(ctx context.Context, in backend.PutObjectInput) (backend.ObjectInfo, error) {
	if err := checkTags(in.Tags); err != nil {
		return backend.ObjectInfo{}, err
	}
	body := in.Body
	if body == nil {
		body = eofReader{}
	}
	v, err := a.putObject(ctx, in.Principal, in.Bucket, in.Key, body, putOptions{
		kmsKeyID: in.KMSKeyID, meta: metaRecordOf(in.Meta, in.Tags), digests: in.Digests,
	})
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	o, err := a.c.objectVersion(ctx, a.c.reader, in.Bucket, in.Key, v)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	return o.ObjectInfo, nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// OpenObject authorizes a read of one version as principal (see GetObject) and returns its
// body for reading at any offset.
func (a *Account) OpenObject(ctx context.Context, principal, bucket, key, versionID string) (backend.ObjectBody, backend.ObjectInfo, error) {
	body, info, err := a.openObject(ctx, principal, bucket, key, versionID)
	if err != nil {
		return nil, info, err
	}
	return body, info, nil
}

// HeadObject describes one version acting as principal: s3:GetObject (s3:GetObjectVersion
// when a version is named) on the object, and no kms:Decrypt since no body is read.
func (a *Account) HeadObject(ctx context.Context, principal, bucket, key, versionID string) (backend.ObjectInfo, error) {
	principal = a.normalizePrincipal(principal)
	b, err := a.c.bucketRow(ctx, a.c.reader, bucket)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	action := "s3:GetObject"
	if versionID != "" {
		action = "s3:GetObjectVersion"
	}
	objectARN := b.partition().Object(bucket, key)
	if err := a.c.authorize(ctx, a.c.reader, accessRequest{
		principal: principal, action: action, resource: objectARN,
		resourceKind: "bucket policy", resourcePolicy: b.policy, resourceAccount: b.account,
	}); err != nil {
		return backend.ObjectInfo{}, err
	}
	o, err := a.c.objectVersion(ctx, a.c.reader, bucket, key, versionID)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	if o.DeleteMarker {
		return o.ObjectInfo, fmt.Errorf("object %s version %s is a delete marker: %w", objectARN, o.VersionID, backend.NotFoundError(backend.KindObject, objectARN))
	}
	return o.ObjectInfo, nil
}
