package backend

import (
	"context"
	"io"
	"time"
)

// ObjectMeta is what S3 keeps with an object version besides its body, as the request's
// headers gave it.
type ObjectMeta struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string // the Expires header, as sent
	// Metadata is the user metadata (x-amz-meta-NAME), by lower-case NAME.
	Metadata map[string]string
}

// PutObjectInput is a write of one object version (Objects.WriteObject), or the settings of a
// multipart upload's object (MultipartUploads.CreateMultipartUpload, Body unused).
type PutObjectInput struct {
	// Principal acts as in Objects: a role ARN, an account root ARN, an STS session ARN, ""
	// for the acting account's root, or AnonymousPrincipal.
	Principal, Bucket, Key string
	Body                   io.Reader
	Meta                   ObjectMeta
	Tags                   map[string]string
	// KMSKeyID is the request's SSE-KMS key (a key id, key ARN or alias); "" is the bucket's.
	KMSKeyID string
	// Digests, when set, is called once Body has returned io.EOF and before the version is
	// committed: the digests of the body the caller computed as it streamed, algorithm →
	// base64. "md5" becomes the ETag; "crc32", "crc32c", "crc64nvme", "sha1" and "sha256" are
	// stored as the version's checksums. (internal/awsapi computes them as it verifies the
	// request, so the body is hashed once.)
	Digests func() map[string]string
}

// ObjectBody is a stored version's body, read at any offset. Close releases it.
type ObjectBody interface {
	io.ReaderAt
	io.Closer
	// Size is the body's length in bytes.
	Size() int64
}

// AnonymousPrincipal is the principal of an unsigned request: only resource policies (a
// bucket policy) can allow it anything.
const AnonymousPrincipal = "*"

// MultipartUploads are S3's multipart uploads: an object written in parts, each up to 5 GiB,
// which becomes one version when completed. Each call acts as its principal and needs
// s3:PutObject on the object (s3:AbortMultipartUpload, s3:ListMultipartUploadParts and
// s3:ListBucketMultipartUploads for those calls).
type MultipartUploads interface {
	// CreateMultipartUpload starts an upload of in.Key with in's settings (in.Body unused).
	CreateMultipartUpload(ctx context.Context, in PutObjectInput) (*Upload, error)
	// UploadPart stores one part (1–10000); a part uploaded again replaces the earlier one.
	UploadPart(ctx context.Context, in UploadPartInput) (Part, error)
	// ListParts returns the upload and its parts, by number.
	ListParts(ctx context.Context, principal, bucket, key, uploadID string) (*Upload, []Part, error)
	// CompleteMultipartUpload makes the listed parts, in order, one version of the object and
	// ends the upload. Parts must be in ascending order, each naming an uploaded part by its
	// ETag, and every part but the last at least MinPartSize: otherwise ErrInvalid.
	CompleteMultipartUpload(ctx context.Context, principal, bucket, key, uploadID string, parts []CompletedPart) (ObjectInfo, error)
	// AbortMultipartUpload ends an upload and discards its parts.
	AbortMultipartUpload(ctx context.Context, principal, bucket, key, uploadID string) error
	// ListMultipartUploads lists the uploads in progress in a bucket under prefix, by key.
	ListMultipartUploads(ctx context.Context, principal, bucket, prefix string) ([]Upload, error)
}

// MinPartSize is the smallest size of a multipart upload's part other than the last, as in S3.
const MinPartSize = 5 << 20

// Upload is a multipart upload in progress.
type Upload struct {
	ID, Bucket, Key string
	// Initiator is the principal that started it.
	Initiator string
	Initiated time.Time
	Meta      ObjectMeta
	KMSKeyID  string
}

// UploadPartInput is one part of a multipart upload.
type UploadPartInput struct {
	Principal, Bucket, Key, UploadID string
	Number                           int
	Body                             io.Reader
	// Digests is as PutObjectInput.Digests: "md5" becomes the part's ETag.
	Digests func() map[string]string
}

// Part is an uploaded part.
type Part struct {
	Number       int
	ETag         string // unquoted
	Size         int64
	Checksums    map[string]string
	LastModified time.Time
}

// CompletedPart names a part in CompleteMultipartUpload.
type CompletedPart struct {
	Number int
	ETag   string // quoted or not
}
