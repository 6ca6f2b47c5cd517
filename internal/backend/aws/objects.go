package aws

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// Objects act as their principal (principals.go): S3 evaluates the bucket policy, the key
// policy and the principal's identity policies, as for any caller.

// PutObject writes body as a new version and returns its id ("null" without versioning).
func (b *Backend) PutObject(ctx context.Context, principal, bucket, key string, body io.Reader) (string, error) {
	info, err := b.WriteObject(ctx, backend.PutObjectInput{Principal: principal, Bucket: bucket, Key: key, Body: body})
	return info.VersionID, err
}

// checksumAlgorithms are S3's checksum algorithms, by the names backend's digests use, in the
// order one is chosen when the caller computed several (S3 takes one a request).
var checksumAlgorithms = []string{"sha256", "crc64nvme", "crc32c", "crc32", "sha1"}

// WriteObject writes a version with its metadata, tags and SSE-KMS key. The body is read
// first (S3 needs its length, and the caller's digests are known once it is read); the
// caller's MD5 goes as Content-MD5 and one of its checksums, SHA-256 when it computed none,
// as the version's checksum — S3 verifies both.
func (b *Backend) WriteObject(ctx context.Context, in backend.PutObjectInput) (backend.ObjectInfo, error) {
	c, err := b.as.of(in.Principal)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	body, err := io.ReadAll(in.Body)
	if err != nil {
		return backend.ObjectInfo{}, fmt.Errorf("reading the body of %s/%s: %w", in.Bucket, in.Key, err)
	}
	digests := map[string]string{}
	if in.Digests != nil {
		digests = in.Digests()
	}
	input := &s3.PutObjectInput{Bucket: awssdk.String(in.Bucket), Key: awssdk.String(in.Key), Body: bytes.NewReader(body),
		ContentLength: awssdk.Int64(int64(len(body)))}
	setMeta(&input.ContentType, &input.ContentEncoding, &input.ContentDisposition, &input.ContentLanguage, &input.CacheControl, &input.Metadata, in.Meta)
	if in.Meta.Expires != "" {
		if t, err := http_time(in.Meta.Expires); err == nil {
			input.Expires = &t
		}
	}
	if len(in.Tags) > 0 {
		input.Tagging = awssdk.String(urlQuery(in.Tags))
	}
	if in.KMSKeyID != "" {
		input.ServerSideEncryption = s3types.ServerSideEncryptionAwsKms
		input.SSEKMSKeyId = awssdk.String(in.KMSKeyID)
	}
	if md5 := digests["md5"]; md5 != "" {
		input.ContentMD5 = awssdk.String(md5)
	}
	alg := ""
	for _, a := range checksumAlgorithms {
		if digests[a] != "" {
			alg = a
			break
		}
	}
	if alg == "" {
		sum := sha256.Sum256(body)
		alg, digests["sha256"] = "sha256", base64.StdEncoding.EncodeToString(sum[:])
	}
	v := awssdk.String(digests[alg])
	switch alg {
	case "sha256":
		input.ChecksumSHA256 = v
	case "crc64nvme":
		input.ChecksumCRC64NVME = v
	case "crc32c":
		input.ChecksumCRC32C = v
	case "crc32":
		input.ChecksumCRC32 = v
	case "sha1":
		input.ChecksumSHA1 = v
	}
	out, err := c.s3.PutObject(ctx, input)
	if err != nil {
		return backend.ObjectInfo{}, wrap("s3:PutObject", kindOfObjectError(err), in.Bucket+"/"+in.Key, err)
	}
	return b.HeadObject(ctx, in.Principal, in.Bucket, in.Key, orDefault(awssdk.ToString(out.VersionId), backend.NullVersion))
}

// http_time parses an HTTP date (the Expires header as sent).
func http_time(s string) (time.Time, error) { return time.Parse(time.RFC1123, s) } //nolint:revive // reads as the header

func urlQuery(tags map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(tags) {
		parts = append(parts, queryEscape(k)+"="+queryEscape(tags[k]))
	}
	return strings.Join(parts, "&")
}

func queryEscape(s string) string {
	var sb strings.Builder
	for _, r := range []byte(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == '~':
			sb.WriteByte(r)
		default:
			fmt.Fprintf(&sb, "%%%02X", r)
		}
	}
	return sb.String()
}

func setMeta(ct, ce, cd, cl, cc **string, md *map[string]string, m backend.ObjectMeta) {
	for _, f := range []struct {
		dst **string
		v   string
	}{{ct, m.ContentType}, {ce, m.ContentEncoding}, {cd, m.ContentDisposition}, {cl, m.ContentLanguage}, {cc, m.CacheControl}} {
		if f.v != "" {
			*f.dst = awssdk.String(f.v)
		}
	}
	if len(m.Metadata) > 0 {
		*md = m.Metadata
	}
}

// kindOfObjectError tells a missing bucket from a missing object.
func kindOfObjectError(err error) string {
	if codeOf(err) == "NoSuchBucket" {
		return backend.KindBucket
	}
	return backend.KindObject
}

// objectFields are what HeadObject and GetObject answer alike.
type objectFields struct {
	versionID, etag, kmsKey                                    *string
	size                                                       *int64
	modified                                                   *time.Time
	sha256, crc32, crc32c, crc64, sha1                         *string
	contentType, contentEncoding, disposition, language, cache *string
	expires                                                    *string
	metadata                                                   map[string]string
	deleteMarker                                               *bool
}

func (f objectFields) info(bucket, key string) backend.ObjectInfo {
	info := backend.ObjectInfo{Bucket: bucket, Key: key, VersionID: orDefault(awssdk.ToString(f.versionID), backend.NullVersion),
		ETag: strings.Trim(awssdk.ToString(f.etag), `"`), KMSKeyARN: awssdk.ToString(f.kmsKey), Size: awssdk.ToInt64(f.size),
		LastModified: awssdk.ToTime(f.modified).UTC(), DeleteMarker: awssdk.ToBool(f.deleteMarker)}
	if _, n, ok := strings.Cut(info.ETag, "-"); ok {
		info.Parts, _ = strconv.Atoi(n)
	}
	for alg, v := range map[string]*string{"sha256": f.sha256, "crc32": f.crc32, "crc32c": f.crc32c, "crc64nvme": f.crc64, "sha1": f.sha1} {
		if s := awssdk.ToString(v); s != "" {
			if info.Checksums == nil {
				info.Checksums = map[string]string{}
			}
			info.Checksums[alg] = s
		}
	}
	if raw, err := base64.StdEncoding.DecodeString(info.Checksums["sha256"]); err == nil && len(raw) == sha256.Size {
		info.ChecksumSHA256 = hex.EncodeToString(raw)
	}
	info.Meta = backend.ObjectMeta{ContentType: awssdk.ToString(f.contentType), ContentEncoding: awssdk.ToString(f.contentEncoding),
		ContentDisposition: awssdk.ToString(f.disposition), ContentLanguage: awssdk.ToString(f.language), CacheControl: awssdk.ToString(f.cache),
		Expires: awssdk.ToString(f.expires)}
	if info.Meta.ContentType == "binary/octet-stream" {
		info.Meta.ContentType = "" // S3's default, not something the writer set
	}
	if len(f.metadata) > 0 {
		info.Meta.Metadata = f.metadata
	}
	return info
}

// HeadObject describes a version, with its tags (GetObjectTagging, when the principal may).
// A delete marker is returned with ErrNotFound and DeleteMarker set.
func (b *Backend) HeadObject(ctx context.Context, principal, bucket, key, versionID string) (backend.ObjectInfo, error) {
	c, err := b.as.of(principal)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	out, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: awssdk.String(bucket), Key: awssdk.String(key), VersionId: version(versionID),
		ChecksumMode: s3types.ChecksumModeEnabled})
	if err != nil {
		return markerOf(bucket, key, err), wrap("s3:HeadObject", kindOfObjectError(err), bucket+"/"+key, err)
	}
	info := objectFields{versionID: out.VersionId, etag: out.ETag, kmsKey: out.SSEKMSKeyId, size: out.ContentLength, modified: out.LastModified,
		sha256: out.ChecksumSHA256, crc32: out.ChecksumCRC32, crc32c: out.ChecksumCRC32C, crc64: out.ChecksumCRC64NVME, sha1: out.ChecksumSHA1,
		contentType: out.ContentType, contentEncoding: out.ContentEncoding, disposition: out.ContentDisposition, language: out.ContentLanguage,
		cache: out.CacheControl, expires: out.ExpiresString, metadata: out.Metadata}.info(bucket, key)
	info.Tags, err = b.objectTags(ctx, c, bucket, key, info.VersionID)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	info.IsLatest, err = b.isLatest(ctx, c, bucket, key, versionID, info.VersionID)
	return info, err
}

// isLatest: a read without a version id read the latest; a read of a named version asks
// whether it is the latest.
func (b *Backend) isLatest(ctx context.Context, c *clients, bucket, key, asked, got string) (bool, error) {
	if asked == "" {
		return true, nil
	}
	out, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: awssdk.String(bucket), Key: awssdk.String(key)})
	if err != nil {
		if errors.Is(wrap("", "", "", err), backend.ErrNotFound) {
			return false, nil
		}
		return false, wrap("s3:HeadObject", backend.KindObject, bucket+"/"+key, err)
	}
	return orDefault(awssdk.ToString(out.VersionId), backend.NullVersion) == got, nil
}

func (b *Backend) objectTags(ctx context.Context, c *clients, bucket, key, versionID string) (map[string]string, error) {
	out, err := c.s3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: awssdk.String(bucket), Key: awssdk.String(key), VersionId: version(versionID)})
	if err != nil {
		if errors.Is(wrap("", "", "", err), backend.ErrAccessDenied) {
			return nil, nil // the principal may read the object but not its tags: left out
		}
		return nil, wrap("s3:GetObjectTagging", backend.KindObject, bucket+"/"+key, err)
	}
	return tagMap(out.TagSet), nil
}

// markerOf is the delete marker S3 names in a 404's headers, if it is one.
func markerOf(bucket, key string, err error) backend.ObjectInfo {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil && re.Response.Header.Get("X-Amz-Delete-Marker") == "true" {
		return backend.ObjectInfo{Bucket: bucket, Key: key, VersionID: re.Response.Header.Get("X-Amz-Version-Id"), DeleteMarker: true, IsLatest: true}
	}
	return backend.ObjectInfo{}
}

func version(id string) *string {
	if id == "" {
		return nil
	}
	return awssdk.String(id)
}

// GetObject reads a version whole.
func (b *Backend) GetObject(ctx context.Context, principal, bucket, key, versionID string) ([]byte, backend.ObjectInfo, error) {
	c, err := b.as.of(principal)
	if err != nil {
		return nil, backend.ObjectInfo{}, err
	}
	out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: awssdk.String(bucket), Key: awssdk.String(key), VersionId: version(versionID),
		ChecksumMode: s3types.ChecksumModeEnabled})
	if err != nil {
		return nil, markerOf(bucket, key, err), wrap("s3:GetObject", kindOfObjectError(err), bucket+"/"+key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, backend.ObjectInfo{}, fmt.Errorf("s3:GetObject %s/%s: %w", bucket, key, err)
	}
	info := objectFields{versionID: out.VersionId, etag: out.ETag, kmsKey: out.SSEKMSKeyId, size: out.ContentLength, modified: out.LastModified,
		sha256: out.ChecksumSHA256, crc32: out.ChecksumCRC32, crc32c: out.ChecksumCRC32C, crc64: out.ChecksumCRC64NVME, sha1: out.ChecksumSHA1,
		contentType: out.ContentType, contentEncoding: out.ContentEncoding, disposition: out.ContentDisposition, language: out.ContentLanguage,
		cache: out.CacheControl, expires: out.ExpiresString, metadata: out.Metadata}.info(bucket, key)
	if info.ChecksumSHA256 == "" {
		sum := sha256.Sum256(body)
		info.ChecksumSHA256 = hex.EncodeToString(sum[:])
	}
	info.IsLatest, err = b.isLatest(ctx, c, bucket, key, versionID, info.VersionID)
	return body, info, err
}

// OpenObject is a version read by ranges: each ReadAt is one ranged GetObject of that version.
func (b *Backend) OpenObject(ctx context.Context, principal, bucket, key, versionID string) (backend.ObjectBody, backend.ObjectInfo, error) {
	info, err := b.HeadObject(ctx, principal, bucket, key, versionID)
	if err != nil {
		return nil, info, err
	}
	c, err := b.as.of(principal)
	if err != nil {
		return nil, backend.ObjectInfo{}, err
	}
	return &rangedBody{ctx: context.WithoutCancel(ctx), c: c, bucket: bucket, key: key, version: info.VersionID, size: info.Size}, info, nil
}

type rangedBody struct {
	ctx                  context.Context
	c                    *clients
	bucket, key, version string
	size                 int64
}

func (r *rangedBody) Size() int64  { return r.size }
func (r *rangedBody) Close() error { return nil }

func (r *rangedBody) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	last := min(off+int64(len(p)), r.size) - 1
	v := r.version
	if v == backend.NullVersion {
		v = ""
	}
	out, err := r.c.s3.GetObject(r.ctx, &s3.GetObjectInput{Bucket: awssdk.String(r.bucket), Key: awssdk.String(r.key), VersionId: version(v),
		Range: awssdk.String(fmt.Sprintf("bytes=%d-%d", off, last))})
	if err != nil {
		return 0, wrap("s3:GetObject", backend.KindObject, r.bucket+"/"+r.key, err)
	}
	defer out.Body.Close()
	n, err := io.ReadFull(out.Body, p[:last-off+1])
	if err == nil && int64(n) < int64(len(p)) {
		err = io.EOF
	}
	return n, err
}

// ListObjectVersions lists versions and delete markers under prefix, by key, newest first.
func (b *Backend) ListObjectVersions(ctx context.Context, principal, bucket, prefix string) ([]backend.ObjectInfo, error) {
	c, err := b.as.of(principal)
	if err != nil {
		return nil, err
	}
	var out []backend.ObjectInfo
	p := s3.NewListObjectVersionsPaginator(c.s3, &s3.ListObjectVersionsInput{Bucket: awssdk.String(bucket), Prefix: optional(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("s3:ListBucketVersions", backend.KindBucket, bucket, err)
		}
		for _, v := range page.Versions {
			out = append(out, backend.ObjectInfo{Bucket: bucket, Key: awssdk.ToString(v.Key), VersionID: orDefault(awssdk.ToString(v.VersionId), backend.NullVersion),
				IsLatest: awssdk.ToBool(v.IsLatest), Size: awssdk.ToInt64(v.Size), ETag: strings.Trim(awssdk.ToString(v.ETag), `"`),
				LastModified: awssdk.ToTime(v.LastModified).UTC()})
		}
		for _, m := range page.DeleteMarkers {
			out = append(out, backend.ObjectInfo{Bucket: bucket, Key: awssdk.ToString(m.Key), VersionID: orDefault(awssdk.ToString(m.VersionId), backend.NullVersion),
				IsLatest: awssdk.ToBool(m.IsLatest), DeleteMarker: true, LastModified: awssdk.ToTime(m.LastModified).UTC()})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		if out[i].IsLatest != out[j].IsLatest {
			return out[i].IsLatest
		}
		return out[i].LastModified.After(out[j].LastModified)
	})
	return out, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return awssdk.String(s)
}

// ListObjects lists the current versions under prefix, by key.
func (b *Backend) ListObjects(ctx context.Context, principal, bucket, prefix string) ([]backend.ObjectInfo, error) {
	c, err := b.as.of(principal)
	if err != nil {
		return nil, err
	}
	var out []backend.ObjectInfo
	p := s3.NewListObjectsV2Paginator(c.s3, &s3.ListObjectsV2Input{Bucket: awssdk.String(bucket), Prefix: optional(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("s3:ListBucket", backend.KindBucket, bucket, err)
		}
		for _, o := range page.Contents {
			out = append(out, backend.ObjectInfo{Bucket: bucket, Key: awssdk.ToString(o.Key), IsLatest: true, Size: awssdk.ToInt64(o.Size),
				ETag: strings.Trim(awssdk.ToString(o.ETag), `"`), LastModified: awssdk.ToTime(o.LastModified).UTC()})
		}
	}
	return out, nil
}

// DeleteObject deletes a version, or adds a delete marker (versionID "").
func (b *Backend) DeleteObject(ctx context.Context, principal, bucket, key, versionID string) (backend.ObjectInfo, error) {
	c, err := b.as.of(principal)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	if versionID != "" {
		// S3 answers a delete of a missing version with success; the door says not found.
		if _, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: awssdk.String(bucket), Key: awssdk.String(key), VersionId: awssdk.String(versionID)}); err != nil &&
			codeOf(err) != "MethodNotAllowed" && !markerOf(bucket, key, err).DeleteMarker {
			return backend.ObjectInfo{}, wrap("s3:HeadObject", kindOfObjectError(err), bucket+"/"+key, err)
		}
	}
	out, err := c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: awssdk.String(bucket), Key: awssdk.String(key), VersionId: version(versionID)})
	if err != nil {
		return backend.ObjectInfo{}, wrap("s3:DeleteObject", kindOfObjectError(err), bucket+"/"+key, err)
	}
	return backend.ObjectInfo{Bucket: bucket, Key: key, VersionID: awssdk.ToString(out.VersionId), DeleteMarker: awssdk.ToBool(out.DeleteMarker),
		IsLatest: versionID == ""}, nil
}
