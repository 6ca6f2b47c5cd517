package sigv4

import (
	"fmt"
	"time"
)

// Kind says what was wrong with a request's signature or body, independent of any service's
// error format. internal/awsapi maps each kind to the code and HTTP status of the service the
// request was for (S3's SignatureDoesNotMatch, KMS's InvalidSignatureException, …).
type Kind int

const (
	// KindMalformed: the Authorization header or the presigned parameters cannot be read.
	KindMalformed Kind = iota + 1
	// KindUnsupported: a signature scheme other than AWS4-HMAC-SHA256 (SigV2, SigV4a).
	KindUnsupported
	// KindSignatureMismatch: no canonical form of the request yields the client's signature.
	KindSignatureMismatch
	// KindSkewed: X-Amz-Date is more than MaxSkew away from the server's clock.
	KindSkewed
	// KindPresignExpired: a presigned URL used after X-Amz-Date + X-Amz-Expires.
	KindPresignExpired
	// KindPresignNotYetValid: a presigned URL dated more than MaxSkew in the future.
	KindPresignNotYetValid
	// KindMissingContentSHA256: S3 requires x-amz-content-sha256 on header-signed requests.
	KindMissingContentSHA256
	// KindInvalidContentSHA256: x-amz-content-sha256 is neither a hex digest nor a known mode.
	KindInvalidContentSHA256
	// KindContentSHA256Mismatch: the body's SHA-256 is not the declared one.
	KindContentSHA256Mismatch
	// KindChecksumMismatch: Content-MD5 or an x-amz-checksum-* value does not match the body.
	KindChecksumMismatch
	// KindInvalidChecksum: Content-MD5 or an x-amz-checksum-* value is not a valid digest.
	KindInvalidChecksum
	// KindIncompleteBody: the body is shorter or longer than it said it would be.
	KindIncompleteBody
	// KindMalformedChunk: an aws-chunked body that does not follow the chunk format.
	KindMalformedChunk
	// KindMissingDecodedLength: an aws-chunked body without x-amz-decoded-content-length.
	KindMissingDecodedLength
)

var kindNames = map[Kind]string{
	KindMalformed:             "malformed",
	KindUnsupported:           "unsupported",
	KindSignatureMismatch:     "signature mismatch",
	KindSkewed:                "skewed",
	KindPresignExpired:        "presign expired",
	KindPresignNotYetValid:    "presign not yet valid",
	KindMissingContentSHA256:  "missing content sha256",
	KindInvalidContentSHA256:  "invalid content sha256",
	KindContentSHA256Mismatch: "content sha256 mismatch",
	KindChecksumMismatch:      "checksum mismatch",
	KindInvalidChecksum:       "invalid checksum",
	KindIncompleteBody:        "incomplete body",
	KindMalformedChunk:        "malformed chunk",
	KindMissingDecodedLength:  "missing decoded length",
}

func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is a failed verification. Message is safe to show the client; the other fields carry
// what some services put in their error bodies.
type Error struct {
	Kind    Kind
	Message string
	// RequestTime and ServerTime: for KindSkewed, KindPresignExpired, KindPresignNotYetValid.
	RequestTime, ServerTime time.Time
	Expires                 time.Duration
	// CanonicalRequest and StringToSign: for KindSignatureMismatch (S3 returns them, to help
	// a client find its signing mistake; neither contains a secret).
	CanonicalRequest, StringToSign string
	// Algorithm, Declared, Computed: for KindChecksumMismatch and KindContentSHA256Mismatch.
	Algorithm, Declared, Computed string
}

func (e *Error) Error() string { return "sigv4: " + e.Kind.String() + ": " + e.Message }

func errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}
