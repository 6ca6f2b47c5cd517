package sigv4_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/sigv4"
)

// chunkedRequest builds an aws-chunked PUT of data in chunks of size chunk. For the signed
// modes the chunk signatures come from the SDK's own stream signer (an empty header block makes
// its string to sign the aws-chunked one), seeded with the request's signature.
type chunkedRequest struct {
	mode     string
	data     []byte
	chunk    int
	trailers [][2]string // name, value; for the trailer modes
	// edits applied to the encoded pieces, to build broken bodies
	corruptChunk  int    // 1-based index of a chunk whose first byte is flipped after signing
	extra         string // appended after the body
	decodedLen    int    // overrides x-amz-decoded-content-length when non-zero
	dropTrailer   bool
	badTrailerSig bool
}

func (c chunkedRequest) build(t *testing.T, url string, at time.Time) *http.Request {
	t.Helper()
	r, _ := http.NewRequest("PUT", url, nil)
	r.Header.Set("Content-Encoding", "aws-chunked")
	dl := len(c.data)
	if c.decodedLen != 0 {
		dl = c.decodedLen
	}
	r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(dl))
	if len(c.trailers) > 0 {
		var names []string
		for _, tr := range c.trailers {
			names = append(names, tr[0])
		}
		r.Header.Set("X-Amz-Trailer", strings.Join(names, ","))
	}
	signed := c.mode == sigv4.StreamingSignedPayload || c.mode == sigv4.StreamingSignedPayloadTrailer
	// The body's length must be known before signing (content-length is signed): encode once
	// with placeholder signatures of the right length, sign, then encode for real.
	placeholder := strings.Repeat("0", 64)
	enc := func(sigs []string, trailerSig string) string {
		var b strings.Builder
		i := 0
		for off := 0; ; off += c.chunk {
			end := min(off+c.chunk, len(c.data))
			piece := c.data[off:end]
			if signed {
				fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", len(piece), sigs[i])
			} else {
				fmt.Fprintf(&b, "%x\r\n", len(piece))
			}
			i++
			if len(piece) == 0 {
				break
			}
			if c.corruptChunk == i {
				piece = append([]byte{piece[0] ^ 0xff}, piece[1:]...)
			}
			b.Write(piece)
			b.WriteString("\r\n")
			if end == len(c.data) {
				// the final, empty chunk
				if signed {
					fmt.Fprintf(&b, "0;chunk-signature=%s\r\n", sigs[i])
				} else {
					b.WriteString("0\r\n")
				}
				break
			}
		}
		if !c.dropTrailer {
			for _, tr := range c.trailers {
				b.WriteString(tr[0] + ":" + tr[1] + "\r\n")
			}
		}
		if c.mode == sigv4.StreamingSignedPayloadTrailer {
			b.WriteString("x-amz-trailer-signature:" + trailerSig + "\r\n")
		}
		b.WriteString("\r\n")
		b.WriteString(c.extra)
		return b.String()
	}
	nChunks := len(c.data)/c.chunk + 2
	ph := make([]string, nChunks)
	for i := range ph {
		ph[i] = placeholder
	}
	body := enc(ph, placeholder)
	r.ContentLength = int64(len(body))
	r.Header.Set("X-Amz-Content-Sha256", c.mode)
	if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).
		SignHTTP(context.Background(), creds, r, c.mode, "s3", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	if signed {
		auth := r.Header.Get("Authorization")
		seed, _ := hex.DecodeString(auth[strings.LastIndex(auth, "=")+1:])
		ss := v4.NewStreamSigner(creds, "s3", "us-east-1", seed)
		var sigs []string
		for off := 0; ; off += c.chunk {
			end := min(off+c.chunk, len(c.data))
			s, err := ss.GetSignature(context.Background(), nil, c.data[off:end], at)
			if err != nil {
				t.Fatal(err)
			}
			sigs = append(sigs, hex.EncodeToString(s))
			if end == len(c.data) {
				s, _ := ss.GetSignature(context.Background(), nil, nil, at)
				sigs = append(sigs, hex.EncodeToString(s))
				break
			}
		}
		trailerSig := placeholder
		if c.mode == sigv4.StreamingSignedPayloadTrailer {
			// Computed by hand from the spec: the SDK has no trailer signer.
			var canon strings.Builder
			for _, tr := range c.trailers {
				canon.WriteString(tr[0] + ":" + tr[1] + "\n")
			}
			sum := sha256.Sum256([]byte(canon.String()))
			sts := "AWS4-HMAC-SHA256-TRAILER\n" + at.Format(sigv4.TimeFormat) + "\n20250304/us-east-1/s3/aws4_request\n" +
				sigs[len(sigs)-1] + "\n" + hex.EncodeToString(sum[:])
			trailerSig = hex.EncodeToString(hmacSigningKey(at, sts))
			if c.badTrailerSig {
				trailerSig = strings.Repeat("1", 64)
			}
		}
		body = enc(sigs, trailerSig)
	}
	r.Body = io.NopCloser(strings.NewReader(body))
	return r
}

func crc32b64(b []byte) string {
	s := crc32.ChecksumIEEE(b)
	return base64.StdEncoding.EncodeToString([]byte{byte(s >> 24), byte(s >> 16), byte(s >> 8), byte(s)})
}

func TestAWSChunkedBodies(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	srv, got := wireServer(t, fixedSecret, func() time.Time { return at })
	data := []byte(strings.Repeat("0123456789abcdef", 1000)) // 16000 bytes
	good := [][2]string{{"x-amz-checksum-crc32", crc32b64(data)}}
	bad := [][2]string{{"x-amz-checksum-crc32", crc32b64([]byte("other"))}}
	tests := []struct {
		name string
		req  chunkedRequest
		want sigv4.Kind
	}{
		{name: "signed", req: chunkedRequest{mode: sigv4.StreamingSignedPayload, data: data, chunk: 8192}},
		{name: "signed, one chunk", req: chunkedRequest{mode: sigv4.StreamingSignedPayload, data: data, chunk: 1 << 20}},
		{name: "signed, empty body", req: chunkedRequest{mode: sigv4.StreamingSignedPayload, data: []byte{}, chunk: 8192}},
		{name: "signed with trailer", req: chunkedRequest{mode: sigv4.StreamingSignedPayloadTrailer, data: data, chunk: 8192, trailers: good}},
		{name: "unsigned trailer", req: chunkedRequest{mode: sigv4.StreamingUnsignedPayloadTrailer, data: data, chunk: 8192, trailers: good}},
		{name: "unsigned, no trailer", req: chunkedRequest{mode: sigv4.StreamingUnsignedPayloadTrailer, data: data, chunk: 5000}},
		{name: "signed, chunk corrupted", req: chunkedRequest{mode: sigv4.StreamingSignedPayload, data: data, chunk: 8192, corruptChunk: 2}, want: sigv4.KindSignatureMismatch},
		{name: "unsigned, chunk corrupted", req: chunkedRequest{mode: sigv4.StreamingUnsignedPayloadTrailer, data: data, chunk: 8192, trailers: good, corruptChunk: 1}, want: sigv4.KindChecksumMismatch},
		{name: "wrong trailing checksum", req: chunkedRequest{mode: sigv4.StreamingUnsignedPayloadTrailer, data: data, chunk: 8192, trailers: bad}, want: sigv4.KindChecksumMismatch},
		{name: "trailer missing", req: chunkedRequest{mode: sigv4.StreamingUnsignedPayloadTrailer, data: data, chunk: 8192, trailers: good, dropTrailer: true}, want: sigv4.KindMalformedChunk},
		{name: "bad trailer signature", req: chunkedRequest{mode: sigv4.StreamingSignedPayloadTrailer, data: data, chunk: 8192, trailers: good, badTrailerSig: true}, want: sigv4.KindSignatureMismatch},
		{name: "decoded length too large", req: chunkedRequest{mode: sigv4.StreamingUnsignedPayloadTrailer, data: data, chunk: 8192, decodedLen: 16001}, want: sigv4.KindIncompleteBody},
		{name: "decoded length too small", req: chunkedRequest{mode: sigv4.StreamingUnsignedPayloadTrailer, data: data, chunk: 8192, decodedLen: 100}, want: sigv4.KindIncompleteBody},
		{name: "bytes after the end", req: chunkedRequest{mode: sigv4.StreamingUnsignedPayloadTrailer, data: data, chunk: 8192, extra: "junk"}, want: sigv4.KindMalformedChunk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req.build(t, srv.URL+"/bucket/key", at)
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			o := <-got
			if k := kindOf(o.err); k != tt.want {
				t.Fatalf("error = %v, want kind %v", o.err, tt.want)
			}
			if tt.want == 0 {
				if diff := cmp.Diff(string(tt.req.data), string(o.body)); diff != "" {
					t.Errorf("decoded body differs (-want +got):\n%.400s", diff)
				}
			}
		})
	}
}

// hmacSigningKey signs sts with the test secret's key for the fixed scope.
func hmacSigningKey(at time.Time, sts string) []byte {
	k := hmacSHA([]byte("AWS4"+secret), at.Format(sigv4.DateFormat))
	k = hmacSHA(k, "us-east-1")
	k = hmacSHA(k, "s3")
	k = hmacSHA(k, "aws4_request")
	return hmacSHA(k, sts)
}

func TestPlainBodyChecks(t *testing.T) {
	data := []byte("hello, world")
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	md5OfData := "5NfxtO0uQtFYmPSyewGdpA==" // base64 MD5 of "hello, world"
	tests := []struct {
		name     string
		declared string
		header   map[string]string
		body     string
		length   int64
		want     sigv4.Kind
		newErr   sigv4.Kind
	}{
		{name: "sha256 matches", declared: hexSum, body: string(data)},
		{name: "sha256 differs", declared: hexSum, body: "hello, World", want: sigv4.KindContentSHA256Mismatch},
		{name: "unsigned", declared: sigv4.UnsignedPayload, body: "anything"},
		{name: "content-md5 matches", header: map[string]string{"Content-Md5": md5OfData}, body: string(data)},
		{name: "content-md5 differs", header: map[string]string{"Content-Md5": md5OfData}, body: "other", want: sigv4.KindChecksumMismatch},
		{name: "content-md5 malformed", header: map[string]string{"Content-Md5": "nope"}, body: string(data), newErr: sigv4.KindInvalidChecksum},
		{name: "crc32 header matches", header: map[string]string{"X-Amz-Checksum-Crc32": crc32b64(data)}, body: string(data)},
		{name: "crc32 header differs", header: map[string]string{"X-Amz-Checksum-Crc32": crc32b64(data)}, body: "other", want: sigv4.KindChecksumMismatch},
		{name: "crc32 header malformed", header: map[string]string{"X-Amz-Checksum-Crc32": "AAAA"}, body: string(data), newErr: sigv4.KindInvalidChecksum},
		{name: "unknown checksum header", header: map[string]string{"X-Amz-Checksum-Md4": "AAAA"}, body: string(data), newErr: sigv4.KindInvalidChecksum},
		{name: "checksum algorithm header is not a digest", header: map[string]string{"X-Amz-Checksum-Algorithm": "CRC32"}, body: string(data)},
		{name: "body shorter than content-length", body: "short", length: 10, want: sigv4.KindIncompleteBody},
		{name: "streaming without decoded length", declared: sigv4.StreamingUnsignedPayloadTrailer, body: "0\r\n\r\n", newErr: sigv4.KindMissingDecodedLength},
		{name: "signed streaming on an anonymous request", declared: sigv4.StreamingSignedPayload,
			header: map[string]string{"X-Amz-Decoded-Content-Length": "0", "X-Amz-Trailer": "x-amz-checksum-crc32"}, body: "", newErr: sigv4.KindMalformed},
		{name: "trailer that is not a checksum", declared: sigv4.StreamingUnsignedPayloadTrailer,
			header: map[string]string{"X-Amz-Decoded-Content-Length": "0", "X-Amz-Trailer": "x-amz-meta-a"}, body: "", newErr: sigv4.KindMalformedChunk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest("PUT", "http://localhost/b/k", strings.NewReader(tt.body))
			if tt.length != 0 {
				r.ContentLength = tt.length
				r.Body = io.NopCloser(&unexpectedEOFReader{r: strings.NewReader(tt.body)})
			}
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			b, err := sigv4.NewBody(r, nil, "", tt.declared, sigv4.BodyOptions{Compute: []string{"md5", "crc32c"}})
			if k := kindOf(err); k != tt.newErr {
				t.Fatalf("NewBody error = %v, want kind %v", err, tt.newErr)
			}
			if err != nil {
				return
			}
			out, err := io.ReadAll(b)
			if k := kindOf(err); k != tt.want {
				t.Fatalf("read error = %v, want kind %v", err, tt.want)
			}
			if err == nil && string(out) != tt.body {
				t.Errorf("body = %q", out)
			}
			if err == nil && b.Checksums()["md5"] == "" {
				t.Errorf("md5 not computed: %v", b.Checksums())
			}
		})
	}
}

// unexpectedEOFReader is a body whose connection closed before Content-Length bytes came, as
// net/http reports it.
type unexpectedEOFReader struct{ r io.Reader }

func (u *unexpectedEOFReader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func TestCRC64NVMECheckValue(t *testing.T) {
	h := sigv4.ChecksumAlgorithms["crc64nvme"]()
	h.Write([]byte("123456789"))
	if got := hex.EncodeToString(h.Sum(nil)); got != "ae8b14860a799888" {
		t.Errorf("CRC-64/NVME(123456789) = %s, want ae8b14860a799888 (the catalogue's check value)", got)
	}
	h = sigv4.ChecksumAlgorithms["crc32c"]()
	h.Write([]byte("123456789"))
	if got := hex.EncodeToString(h.Sum(nil)); got != "e3069283" {
		t.Errorf("CRC-32C(123456789) = %s, want e3069283", got)
	}
}

func TestStripAWSChunked(t *testing.T) {
	for in, want := range map[string]string{"aws-chunked": "", "aws-chunked,gzip": "gzip", "gzip, aws-chunked": "gzip", "": ""} {
		if got := sigv4.StripAWSChunked(in); got != want {
			t.Errorf("StripAWSChunked(%q) = %q, want %q", in, got, want)
		}
	}
}
