package awsapi

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/sigv4"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
)

// Request is an authenticated request, routed to one operation.
type Request struct {
	Service   *wire.Service
	Operation string
	// Region is the region the request acts in: its credential scope's (IAM's is us-east-1);
	// for an unsigned S3 request, the host's or the server's default.
	Region    string
	Principal Principal
	// AccessKeyID signed the request ("" when unsigned or under NoAuth).
	AccessKeyID string
	RequestID   string
	// HTTP is the request as received: read headers and the URL from it, never its Body (use
	// Decode or Body).
	HTTP *http.Request
	// Bucket and Key of an S3 request ("" when the operation has none); VirtualHost when the
	// bucket came from the host name.
	Bucket, Key string
	VirtualHost bool

	body   []byte     // JSON and query: the whole body, read and verified
	params url.Values // query: the parameters but Action and Version
	s3body *sigv4.Body
}

// Decode decodes the request's input into v: the JSON body (awsJson; member names as json tags),
// the query parameters (see wire.DecodeQuery), or an S3 XML document body (encoding/xml; up
// to the service's body limit, for PutBucketVersioning, DeleteObjects, CompleteMultipartUpload…).
// S3 inputs that live in the path, query and headers are read from Bucket, Key, Query and
// HTTP.Header instead.
func (r *Request) Decode(v any) error {
	switch r.Service.Protocol {
	case wire.JSON:
		if err := wire.DecodeJSON(r.Service, r.body, v); err != nil {
			return err
		}
		return nil
	case wire.Query:
		if err := wire.DecodeQuery(r.Service, r.params, v); err != nil {
			return err
		}
		return nil
	}
	b, err := r.ReadDocument()
	if err != nil {
		return err
	}
	if werr := wire.DecodeXML(r.Service, b, v); werr != nil {
		return werr
	}
	return nil
}

// ReadDocument reads an S3 request's whole body, bounded by the service's limit (for XML and
// JSON documents such as a bucket policy; objects are streamed with Body). Errors are AWS's.
func (r *Request) ReadDocument() ([]byte, error) {
	if r.s3body == nil {
		return r.body, nil
	}
	var b bytes.Buffer
	n, err := io.Copy(&b, io.LimitReader(r.s3body, r.Service.MaxBody+1))
	if err != nil {
		return nil, err
	}
	if n > r.Service.MaxBody {
		return nil, wire.TooLarge(r.Service, r.Service.MaxBody)
	}
	return b.Bytes(), nil
}

// Body is the request body. For S3 it streams, decoded from aws-chunked and checked against
// the declared SHA-256, Content-MD5 and checksums: Read returns io.EOF only once every check
// has passed, and any other error means the body must be discarded (return the error from the
// handler: it becomes the right S3 error). For JSON and query it is the body already read.
func (r *Request) Body() io.Reader {
	if r.s3body != nil {
		return r.s3body
	}
	return bytes.NewReader(r.body)
}

// Checksums are the base64 digests of an S3 body once it has been read to io.EOF: those the
// client declared (and which matched) and Config.ComputeDigests, keyed "md5", "crc32",
// "crc32c", "crc64nvme", "sha1", "sha256".
func (r *Request) Checksums() map[string]string {
	if r.s3body == nil {
		return nil
	}
	return r.s3body.Checksums()
}

// ContentLength is the decoded length of an S3 body: x-amz-decoded-content-length for
// aws-chunked bodies, else Content-Length (-1 when unknown).
func (r *Request) ContentLength() int64 {
	if sigv4.IsStreaming(r.HTTP.Header.Get(sigv4.HeaderContentSHA256)) {
		// NewBody has checked it is one non-negative number.
		n, _ := strconv.ParseInt(r.HTTP.Header.Get(sigv4.HeaderDecodedLength), 10, 64)
		return n
	}
	return r.HTTP.ContentLength
}

// ContentEncoding is the object's own Content-Encoding: the header without aws-chunked.
func (r *Request) ContentEncoding() string {
	return sigv4.StripAWSChunked(r.HTTP.Header.Get("Content-Encoding"))
}

// Query is the decoded URL query (S3's subresources and parameters).
func (r *Request) Query() url.Values { return r.HTTP.URL.Query() }

// Params are a query-protocol request's parameters, without Action and Version.
func (r *Request) Params() url.Values { return r.params }
