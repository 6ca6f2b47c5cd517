package sigv4_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/sigv4"
)

// FuzzParse feeds arbitrary Authorization headers, dates and query strings to Parse and, when
// they parse, to Verify: every outcome is a result or an *Error, never a panic.
func FuzzParse(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20250304/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature="+strings.Repeat("ab", 32), "20250304T050607Z", "versioning&prefix=a%20b", "/b/k%20")
	f.Add("", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20250304%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20250304T050607Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature="+strings.Repeat("0", 64), "/")
	f.Add("AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;;, Signature=", "x", "%zz&=&&", "/%")
	f.Fuzz(func(t *testing.T, auth, date, query, path string) {
		r, err := http.NewRequest("GET", "http://localhost/", nil)
		if err != nil {
			t.Skip()
		}
		r.RequestURI = "/" + strings.TrimPrefix(path, "/") + "?" + query
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if date != "" {
			r.Header.Set("X-Amz-Date", date)
		}
		sig, err := sigv4.Parse(r)
		if err != nil {
			if kindOf(err) == 0 {
				t.Fatalf("Parse returned a %T, not an *Error: %v", err, err)
			}
			return
		}
		if sig == nil {
			return
		}
		if err := sig.Verify(r, "secret", sigv4.EmptySHA256, true); kindOf(err) == 0 {
			t.Fatalf("a fuzzed signature verified, or failed without an *Error: %v", err)
		}
	})
}

// FuzzChunkedBody decodes arbitrary aws-chunked bodies: every outcome is data with io.EOF or an
// *Error, never a panic or a hang, and never more data than was declared.
func FuzzChunkedBody(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"), uint16(5), "")
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"), uint16(5), "x-amz-checksum-crc32")
	f.Add([]byte("ffffffffffffffff\r\n"), uint16(1), "")
	f.Add([]byte("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAA\r\nx-amz-checksum-crc32:AAAA\r\n\r\n"), uint16(3), "x-amz-checksum-crc32")
	f.Fuzz(func(t *testing.T, body []byte, decoded uint16, trailer string) {
		r, _ := http.NewRequest("PUT", "http://localhost/b/k", bytes.NewReader(body))
		r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(int(decoded)))
		if trailer != "" {
			r.Header.Set("X-Amz-Trailer", trailer)
		}
		b, err := sigv4.NewBody(r, nil, "", sigv4.StreamingUnsignedPayloadTrailer, sigv4.BodyOptions{})
		if err != nil {
			if kindOf(err) == 0 {
				t.Fatalf("NewBody: %T %v", err, err)
			}
			return
		}
		out, err := io.ReadAll(b)
		if err != nil && kindOf(err) == 0 {
			t.Fatalf("Read: %T %v", err, err)
		}
		if err == nil && len(out) != int(decoded) {
			t.Fatalf("a body of %d bytes passed for a declared %d", len(out), decoded)
		}
		if len(out) > int(decoded) {
			t.Fatalf("read %d bytes, more than the declared %d", len(out), decoded)
		}
	})
}
