package aws

import (
	"context"
	"errors"
	"sort"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// Buckets. Every call on a bucket names the backend's account as its expected owner
// (x-amz-expected-bucket-owner): a bucket of the same name in another account is refused by
// S3 (AccessDenied) instead of being changed or read as ours.

// CreateBucket creates the bucket, then sets what b sets. When a setting fails the bucket is
// deleted again, so that nothing half-made is left.
func (b *Backend) CreateBucket(ctx context.Context, in backend.Bucket) (*backend.Bucket, error) {
	s := b.clients.s3
	input := &s3.CreateBucketInput{Bucket: awssdk.String(in.Name)}
	if b.id.Region != "us-east-1" {
		input.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(b.id.Region)}
	}
	if _, err := s.CreateBucket(ctx, input); err != nil {
		return nil, wrap("s3:CreateBucket", backend.KindBucket, in.Name, err)
	}
	if err := b.applyBucket(ctx, in, nil); err != nil {
		_, _ = s.DeleteBucket(context.WithoutCancel(ctx), &s3.DeleteBucketInput{Bucket: awssdk.String(in.Name), ExpectedBucketOwner: b.owner()})
		return nil, err
	}
	return b.GetBucket(ctx, in.Name)
}

// applyBucket sets versioning, encryption, policy and tags as in has them, skipping what
// cur (the bucket as it is, nil for a new one) already has.
func (b *Backend) applyBucket(ctx context.Context, in backend.Bucket, cur *backend.Bucket) error {
	if cur == nil || cur.Versioning != in.Versioning {
		if cur != nil || in.Versioning {
			if err := b.putVersioning(ctx, in.Name, in.Versioning); err != nil {
				return err
			}
		}
	}
	if cur == nil || cur.EncryptionKeyARN != in.EncryptionKeyARN {
		if cur != nil || in.EncryptionKeyARN != "" {
			if err := b.putEncryption(ctx, in.Name, in.EncryptionKeyARN); err != nil {
				return err
			}
		}
	}
	if cur == nil || !samePolicy(cur.Policy, in.Policy) {
		if cur != nil || in.Policy != "" {
			if err := b.putPolicy(ctx, in.Name, in.Policy); err != nil {
				return err
			}
		}
	}
	if len(in.Tags) > 0 {
		if err := b.putTags(ctx, in.Name, in.Tags); err != nil {
			return err
		}
	}
	return nil
}

func (b *Backend) owner() *string { return awssdk.String(b.id.AccountID) }

// GetBucket reads the bucket's region, versioning, default encryption, policy and tags.
func (b *Backend) GetBucket(ctx context.Context, name string) (*backend.Bucket, error) {
	s := b.clients.s3
	head, err := s.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: awssdk.String(name), ExpectedBucketOwner: b.owner()})
	if err != nil {
		return nil, wrap("s3:HeadBucket", backend.KindBucket, name, err)
	}
	out := &backend.Bucket{Name: name, ARN: b.id.Partition().Bucket(name), AccountID: b.id.AccountID,
		Region: orDefault(awssdk.ToString(head.BucketRegion), b.id.Region)}
	ver, err := s.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: awssdk.String(name), ExpectedBucketOwner: b.owner()})
	if err != nil {
		return nil, wrap("s3:GetBucketVersioning", backend.KindBucket, name, err)
	}
	out.Versioning = ver.Status == s3types.BucketVersioningStatusEnabled
	out.VersioningSuspended = ver.Status == s3types.BucketVersioningStatusSuspended
	enc, err := s.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: awssdk.String(name), ExpectedBucketOwner: b.owner()})
	switch {
	case err == nil && enc.ServerSideEncryptionConfiguration != nil:
		for _, r := range enc.ServerSideEncryptionConfiguration.Rules {
			if d := r.ApplyServerSideEncryptionByDefault; d != nil && d.SSEAlgorithm != s3types.ServerSideEncryptionAes256 {
				out.EncryptionKeyARN = awssdk.ToString(d.KMSMasterKeyID)
			}
		}
	case err != nil && codeOf(err) != "ServerSideEncryptionConfigurationNotFoundError":
		return nil, wrap("s3:GetBucketEncryption", backend.KindBucket, name, err)
	}
	pol, err := s.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: awssdk.String(name), ExpectedBucketOwner: b.owner()})
	switch {
	case err == nil:
		out.Policy = awssdk.ToString(pol.Policy)
	case codeOf(err) != "NoSuchBucketPolicy":
		return nil, wrap("s3:GetBucketPolicy", backend.KindBucket, name, err)
	}
	tags, err := s.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: awssdk.String(name), ExpectedBucketOwner: b.owner()})
	switch {
	case err == nil:
		out.Tags = tagMap(tags.TagSet)
	case codeOf(err) != "NoSuchTagSet" && codeOf(err) != "NoSuchTagSetError":
		return nil, wrap("s3:GetBucketTagging", backend.KindBucket, name, err)
	}
	out.Created, err = b.bucketCreated(ctx, name)
	return out, err
}

// bucketCreated is the bucket's creation date, which only ListBuckets tells.
func (b *Backend) bucketCreated(ctx context.Context, name string) (time.Time, error) {
	p := s3.NewListBucketsPaginator(b.clients.s3, &s3.ListBucketsInput{Prefix: awssdk.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return time.Time{}, wrap("s3:ListBuckets", backend.KindBucket, name, err)
		}
		for _, e := range page.Buckets {
			if awssdk.ToString(e.Name) == name {
				return awssdk.ToTime(e.CreationDate).UTC(), nil
			}
		}
	}
	return time.Time{}, nil
}

func tagMap(tags []s3types.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[awssdk.ToString(t.Key)] = awssdk.ToString(t.Value)
	}
	return out
}

func tagSet(m map[string]string) []s3types.Tag {
	out := make([]s3types.Tag, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, s3types.Tag{Key: awssdk.String(k), Value: awssdk.String(m[k])})
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// UpdateBucket sets versioning, encryption key and policy as in has them.
func (b *Backend) UpdateBucket(ctx context.Context, in backend.Bucket) (*backend.Bucket, error) {
	cur, err := b.GetBucket(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	in.Tags = nil // tags change with PutBucketTagging
	if err := b.applyBucket(ctx, in, cur); err != nil {
		return nil, err
	}
	return b.GetBucket(ctx, in.Name)
}

func (b *Backend) putVersioning(ctx context.Context, name string, enabled bool) error {
	status := s3types.BucketVersioningStatusSuspended
	if enabled {
		status = s3types.BucketVersioningStatusEnabled
	}
	_, err := b.clients.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: awssdk.String(name), ExpectedBucketOwner: b.owner(),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: status}})
	return wrap("s3:PutBucketVersioning", backend.KindBucket, name, err)
}

// putEncryption sets the bucket's default encryption: SSE-KMS with the key, or with "" S3's
// default (the bucket's objects are then written with the account's aws/s3 key by PutObject,
// as CodePipeline writes its artifacts).
func (b *Backend) putEncryption(ctx context.Context, name, keyARN string) error {
	if keyARN == "" {
		_, err := b.clients.s3.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: awssdk.String(name), ExpectedBucketOwner: b.owner()})
		return wrap("s3:PutEncryptionConfiguration", backend.KindBucket, name, err)
	}
	_, err := b.clients.s3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: awssdk.String(name), ExpectedBucketOwner: b.owner(),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: awssdk.String(keyARN)},
			BucketKeyEnabled:                   awssdk.Bool(true),
		}}}})
	return wrap("s3:PutEncryptionConfiguration", backend.KindBucket, name, err)
}

// putPolicy sets the bucket policy ("" deletes it), retrying while IAM has not yet made a
// new role a valid principal (S3's MalformedPolicy "Invalid principal").
func (b *Backend) putPolicy(ctx context.Context, name, doc string) error {
	if doc == "" {
		_, err := b.clients.s3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: awssdk.String(name), ExpectedBucketOwner: b.owner()})
		return wrap("s3:DeleteBucketPolicy", backend.KindBucket, name, err)
	}
	err := retryIAM(ctx, invalidPrincipal, func() error {
		_, err := b.clients.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: awssdk.String(name), ExpectedBucketOwner: b.owner(), Policy: awssdk.String(doc)})
		return err
	})
	return wrap("s3:PutBucketPolicy", backend.KindBucket, name, err)
}

func (b *Backend) putTags(ctx context.Context, name string, tags map[string]string) error {
	if len(tags) == 0 {
		_, err := b.clients.s3.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: awssdk.String(name), ExpectedBucketOwner: b.owner()})
		return wrap("s3:PutBucketTagging", backend.KindBucket, name, err)
	}
	_, err := b.clients.s3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: awssdk.String(name), ExpectedBucketOwner: b.owner(),
		Tagging: &s3types.Tagging{TagSet: tagSet(tags)}})
	return wrap("s3:PutBucketTagging", backend.KindBucket, name, err)
}

// PutBucketPolicy sets the policy ("" deletes it) and leaves the rest.
func (b *Backend) PutBucketPolicy(ctx context.Context, name, doc string) (*backend.Bucket, error) {
	if err := b.putPolicy(ctx, name, doc); err != nil {
		return nil, err
	}
	return b.GetBucket(ctx, name)
}

// PutBucketVersioning turns versioning on, or suspends it.
func (b *Backend) PutBucketVersioning(ctx context.Context, name string, enabled bool) (*backend.Bucket, error) {
	if err := b.putVersioning(ctx, name, enabled); err != nil {
		return nil, err
	}
	return b.GetBucket(ctx, name)
}

// PutBucketEncryption sets the default key ("" = the account's aws/s3 key).
func (b *Backend) PutBucketEncryption(ctx context.Context, name, keyARN string) (*backend.Bucket, error) {
	if err := b.putEncryption(ctx, name, keyARN); err != nil {
		return nil, err
	}
	return b.GetBucket(ctx, name)
}

// PutBucketTagging replaces the bucket's tags.
func (b *Backend) PutBucketTagging(ctx context.Context, name string, tags map[string]string) (*backend.Bucket, error) {
	if err := b.putTags(ctx, name, tags); err != nil {
		return nil, err
	}
	return b.GetBucket(ctx, name)
}

// ListBuckets lists the account's buckets (every region), by name.
func (b *Backend) ListBuckets(ctx context.Context) ([]*backend.Bucket, error) {
	var out []*backend.Bucket
	p := s3.NewListBucketsPaginator(b.clients.s3, &s3.ListBucketsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("s3:ListBuckets", backend.KindBucket, "*", err)
		}
		for _, e := range page.Buckets {
			got, err := b.GetBucket(ctx, awssdk.ToString(e.Name))
			if errors.Is(err, backend.ErrNotFound) {
				continue // deleted since
			}
			if err != nil {
				return nil, err
			}
			out = append(out, got)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DeleteBucket deletes an empty bucket; with force it first deletes every version, delete
// marker and multipart upload in it.
func (b *Backend) DeleteBucket(ctx context.Context, name string, force bool) error {
	s := b.clients.s3
	if force {
		if err := b.emptyBucket(ctx, name); err != nil {
			return err
		}
	}
	_, err := s.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: awssdk.String(name), ExpectedBucketOwner: b.owner()})
	return wrap("s3:DeleteBucket", backend.KindBucket, name, err)
}

// emptyBucket deletes every version, marker and upload of the bucket, a page at a time.
func (b *Backend) emptyBucket(ctx context.Context, name string) error {
	s := b.clients.s3
	if _, err := s.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: awssdk.String(name), ExpectedBucketOwner: b.owner()}); err != nil {
		return wrap("s3:HeadBucket", backend.KindBucket, name, err)
	}
	ups := s3.NewListMultipartUploadsPaginator(s, &s3.ListMultipartUploadsInput{Bucket: awssdk.String(name), ExpectedBucketOwner: b.owner()})
	for ups.HasMorePages() {
		page, err := ups.NextPage(ctx)
		if codeOf(err) == "NoSuchUpload" {
			break // no upload in progress (as gofakes3 says it)
		}
		if err != nil {
			return wrap("s3:ListBucketMultipartUploads", backend.KindBucket, name, err)
		}
		for _, u := range page.Uploads {
			if _, err := s.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: awssdk.String(name), Key: u.Key, UploadId: u.UploadId,
				ExpectedBucketOwner: b.owner()}); err != nil && codeOf(err) != "NoSuchUpload" {
				return wrap("s3:AbortMultipartUpload", backend.KindUpload, awssdk.ToString(u.UploadId), err)
			}
		}
	}
	vers := s3.NewListObjectVersionsPaginator(s, &s3.ListObjectVersionsInput{Bucket: awssdk.String(name), ExpectedBucketOwner: b.owner()})
	for vers.HasMorePages() {
		page, err := vers.NextPage(ctx)
		if err != nil {
			return wrap("s3:ListBucketVersions", backend.KindBucket, name, err)
		}
		var ids []s3types.ObjectIdentifier
		for _, v := range page.Versions {
			ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			ids = append(ids, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		for _, id := range ids {
			// One at a time: DeleteObjects needs a Content-MD5 some emulators do not take,
			// and forced deletes are rare.
			if _, err := s.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: awssdk.String(name), Key: id.Key, VersionId: id.VersionId,
				ExpectedBucketOwner: b.owner()}); err != nil && codeOf(err) != "NoSuchVersion" && codeOf(err) != "NoSuchKey" {
				return wrap("s3:DeleteObjectVersion", backend.KindObject, awssdk.ToString(id.Key), err)
			}
		}
	}
	return nil
}

// samePolicy compares two policy documents by meaning ("" only equals "").
func samePolicy(a, b string) bool {
	if a == "" || b == "" {
		return a == b
	}
	ca, errA := policy.Canonical(a)
	cb, errB := policy.Canonical(b)
	return errA == nil && errB == nil && ca == cb
}
