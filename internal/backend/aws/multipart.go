package aws

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// CreateMultipartUpload starts an upload with in's settings.
func (b *Backend) CreateMultipartUpload(ctx context.Context, in backend.PutObjectInput) (*backend.Upload, error) {
	c, err := b.as.of(in.Principal)
	if err != nil {
		return nil, err
	}
	input := &s3.CreateMultipartUploadInput{Bucket: awssdk.String(in.Bucket), Key: awssdk.String(in.Key)}
	setMeta(&input.ContentType, &input.ContentEncoding, &input.ContentDisposition, &input.ContentLanguage, &input.CacheControl, &input.Metadata, in.Meta)
	if len(in.Tags) > 0 {
		input.Tagging = awssdk.String(urlQuery(in.Tags))
	}
	if in.KMSKeyID != "" {
		input.ServerSideEncryption = s3types.ServerSideEncryptionAwsKms
		input.SSEKMSKeyId = awssdk.String(in.KMSKeyID)
	}
	out, err := c.s3.CreateMultipartUpload(ctx, input)
	if err != nil {
		return nil, wrap("s3:PutObject", kindOfObjectError(err), in.Bucket+"/"+in.Key, err)
	}
	return &backend.Upload{ID: awssdk.ToString(out.UploadId), Bucket: in.Bucket, Key: in.Key, Initiator: orDefault(in.Principal, b.caller),
		Meta: in.Meta, KMSKeyID: in.KMSKeyID}, nil
}

// UploadPart stores one part; its MD5 (when the caller computed it) goes as Content-MD5.
func (b *Backend) UploadPart(ctx context.Context, in backend.UploadPartInput) (backend.Part, error) {
	c, err := b.as.of(in.Principal)
	if err != nil {
		return backend.Part{}, err
	}
	body, err := io.ReadAll(in.Body)
	if err != nil {
		return backend.Part{}, fmt.Errorf("reading part %d of %s/%s: %w", in.Number, in.Bucket, in.Key, err)
	}
	input := &s3.UploadPartInput{Bucket: awssdk.String(in.Bucket), Key: awssdk.String(in.Key), UploadId: awssdk.String(in.UploadID),
		PartNumber: awssdk.Int32(int32(in.Number)), Body: bytes.NewReader(body), ContentLength: awssdk.Int64(int64(len(body)))} //nolint:gosec // 1–10000
	if in.Digests != nil {
		if md5 := in.Digests()["md5"]; md5 != "" {
			input.ContentMD5 = awssdk.String(md5)
		}
	}
	out, err := c.s3.UploadPart(ctx, input)
	if err != nil {
		return backend.Part{}, wrap("s3:PutObject", backend.KindUpload, in.UploadID, err)
	}
	return backend.Part{Number: in.Number, ETag: strings.Trim(awssdk.ToString(out.ETag), `"`), Size: int64(len(body))}, nil
}

// ListParts returns the upload and its parts, by number.
func (b *Backend) ListParts(ctx context.Context, principal, bucket, key, uploadID string) (*backend.Upload, []backend.Part, error) {
	c, err := b.as.of(principal)
	if err != nil {
		return nil, nil, err
	}
	up := &backend.Upload{ID: uploadID, Bucket: bucket, Key: key}
	var parts []backend.Part
	p := s3.NewListPartsPaginator(c.s3, &s3.ListPartsInput{Bucket: awssdk.String(bucket), Key: awssdk.String(key), UploadId: awssdk.String(uploadID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, wrap("s3:ListMultipartUploadParts", backend.KindUpload, uploadID, err)
		}
		if page.Initiator != nil {
			up.Initiator = awssdk.ToString(page.Initiator.ID)
		}
		for _, part := range page.Parts {
			parts = append(parts, backend.Part{Number: int(awssdk.ToInt32(part.PartNumber)), ETag: strings.Trim(awssdk.ToString(part.ETag), `"`),
				Size: awssdk.ToInt64(part.Size), LastModified: awssdk.ToTime(part.LastModified).UTC()})
		}
	}
	return up, parts, nil
}

// CompleteMultipartUpload makes the parts one version.
func (b *Backend) CompleteMultipartUpload(ctx context.Context, principal, bucket, key, uploadID string, parts []backend.CompletedPart) (backend.ObjectInfo, error) {
	c, err := b.as.of(principal)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	done := &s3types.CompletedMultipartUpload{}
	for _, p := range parts {
		done.Parts = append(done.Parts, s3types.CompletedPart{PartNumber: awssdk.Int32(int32(p.Number)), ETag: awssdk.String(`"` + strings.Trim(p.ETag, `"`) + `"`)}) //nolint:gosec // 1–10000
	}
	out, err := c.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: awssdk.String(bucket), Key: awssdk.String(key),
		UploadId: awssdk.String(uploadID), MultipartUpload: done})
	if err != nil {
		return backend.ObjectInfo{}, wrap("s3:PutObject", backend.KindUpload, uploadID, err)
	}
	return b.HeadObject(ctx, principal, bucket, key, orDefault(awssdk.ToString(out.VersionId), backend.NullVersion))
}

// AbortMultipartUpload ends an upload and discards its parts.
func (b *Backend) AbortMultipartUpload(ctx context.Context, principal, bucket, key, uploadID string) error {
	c, err := b.as.of(principal)
	if err != nil {
		return err
	}
	_, err = c.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: awssdk.String(bucket), Key: awssdk.String(key), UploadId: awssdk.String(uploadID)})
	return wrap("s3:AbortMultipartUpload", backend.KindUpload, uploadID, err)
}

// ListMultipartUploads lists the uploads in progress under prefix, by key.
func (b *Backend) ListMultipartUploads(ctx context.Context, principal, bucket, prefix string) ([]backend.Upload, error) {
	c, err := b.as.of(principal)
	if err != nil {
		return nil, err
	}
	var out []backend.Upload
	p := s3.NewListMultipartUploadsPaginator(c.s3, &s3.ListMultipartUploadsInput{Bucket: awssdk.String(bucket), Prefix: optional(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("s3:ListBucketMultipartUploads", backend.KindBucket, bucket, err)
		}
		for _, u := range page.Uploads {
			up := backend.Upload{ID: awssdk.ToString(u.UploadId), Bucket: bucket, Key: awssdk.ToString(u.Key), Initiated: awssdk.ToTime(u.Initiated).UTC()}
			if u.Initiator != nil {
				up.Initiator = awssdk.ToString(u.Initiator.ID)
			}
			out = append(out, up)
		}
	}
	return out, nil
}
