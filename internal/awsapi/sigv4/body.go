package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// DeclaredPayload reads x-amz-content-sha256: "" when absent; a lower-case hex digest, or one
// of the mode names (UNSIGNED-PAYLOAD, STREAMING-…). A duplicated header, a SigV4a streaming
// mode or anything else is refused.
func DeclaredPayload(h http.Header) (string, error) {
	vs := h.Values(HeaderContentSHA256)
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", errorf(KindInvalidContentSHA256, "the request has %d x-amz-content-sha256 headers; send exactly one", len(vs))
	}
	v := vs[0]
	switch v {
	case UnsignedPayload, StreamingSignedPayload, StreamingSignedPayloadTrailer, StreamingUnsignedPayloadTrailer:
		return v, nil
	case streamingECDSAPayload, streamingECDSAPayloadTrailer:
		return "", errorf(KindUnsupported, "x-amz-content-sha256 %s is SigV4a, which is not supported; sign with %s", v, Algorithm)
	}
	if len(v) == 64 {
		if _, err := hex.DecodeString(v); err == nil {
			return strings.ToLower(v), nil
		}
	}
	return "", errorf(KindInvalidContentSHA256, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value")
}

// IsStreaming reports whether a declared payload hash means an aws-chunked body.
func IsStreaming(declared string) bool { return strings.HasPrefix(declared, "STREAMING-") }

// StripAWSChunked removes the aws-chunked coding from a Content-Encoding value: what remains is
// the encoding the object is stored with.
func StripAWSChunked(contentEncoding string) string {
	var keep []string
	for part := range strings.SplitSeq(contentEncoding, ",") {
		if p := strings.TrimSpace(part); p != "" && !strings.EqualFold(p, "aws-chunked") {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ",")
}

// BodyOptions tune NewBody.
type BodyOptions struct {
	// Compute lists digests to compute even when the client declared none ("md5" for an ETag,
	// or a ChecksumAlgorithms name); Body.Checksums has them after EOF.
	Compute []string
	// IgnoreChunkSignatures decodes a signed aws-chunked body without checking its chunk and
	// trailer signatures: for a server that does not authenticate (codepipeline serve -auth
	// none). The framing, length and checksums are still checked.
	IgnoreChunkSignatures bool
}

// Body is a streamed request body checked against what the request declared: its SHA-256
// (x-amz-content-sha256), its aws-chunked framing, chunk and trailer signatures, its decoded
// length, Content-MD5, and x-amz-checksum-* in a header or a trailer.
//
// Read returns io.EOF only once every check has passed. Any failure is returned instead of
// io.EOF (for a wrong digest) or instead of data (for broken framing), as an *Error. A consumer
// must therefore treat what it read as untrusted until it sees io.EOF, and discard it on any
// other error: that is how "nothing is stored" holds for a body whose last byte is wrong.
type Body struct {
	src  *bufio.Reader
	mode string // the declared payload hash

	sha     hash.Hash // mode is a hex digest
	wantSHA string

	// aws-chunked state
	signed     bool // chunks carry signatures
	verify     bool // and they are checked
	key        []byte
	scope      string
	amzDate    string
	prevSig    string
	pendingSig string
	remaining  int64
	inChunk    bool
	chunkHash  hash.Hash
	trailerSet map[string]bool // names declared in x-amz-trailer

	check   checker
	n, want int64 // decoded bytes read; expected (-1 unknown)

	trailers http.Header
	err      error
}

const (
	maxChunkLine  = 4096
	maxTrailers   = 16
	maxChunkBytes = 1 << 40
)

// NewBody wraps r.Body. sig is the verified signature (nil for an anonymous request), secret
// its key's secret, and declared the value DeclaredPayload returned (or UnsignedPayload for a
// presigned request that declared none).
func NewBody(r *http.Request, sig *Signature, secret, declared string, opts BodyOptions) (*Body, error) {
	src := r.Body
	if src == nil {
		src = http.NoBody
	}
	b := &Body{src: bufio.NewReaderSize(src, 64<<10), mode: declared, want: r.ContentLength}
	for _, alg := range opts.Compute {
		if alg != "md5" && ChecksumAlgorithms[alg] == nil {
			return nil, errorf(KindInvalidChecksum, "unknown checksum algorithm %q", alg)
		}
		b.check.track(alg)
	}
	if md5s := r.Header.Values("Content-Md5"); len(md5s) > 1 {
		return nil, errorf(KindInvalidChecksum, "the request has %d Content-MD5 headers; send exactly one", len(md5s))
	} else if len(md5s) == 1 {
		if err := b.check.addDeclared("md5", md5s[0]); err != nil {
			return nil, err
		}
	}
	for name, vs := range r.Header {
		lname := strings.ToLower(name)
		alg, ok := strings.CutPrefix(lname, checksumHeaderPrefix)
		if !ok || alg == "algorithm" || alg == "type" || alg == "mode" {
			continue
		}
		if ChecksumAlgorithms[alg] == nil {
			return nil, errorf(KindInvalidChecksum, "%s is not a checksum S3 knows (crc32, crc32c, crc64nvme, sha1, sha256)", lname)
		}
		if len(vs) != 1 {
			return nil, errorf(KindInvalidChecksum, "the request has %d %s headers; send exactly one", len(vs), lname)
		}
		if err := b.check.addDeclared(alg, vs[0]); err != nil {
			return nil, err
		}
	}

	switch {
	case declared == "" || declared == UnsignedPayload:
	case !IsStreaming(declared):
		b.sha, b.wantSHA = sha256.New(), declared
	default:
		dl := r.Header.Values(HeaderDecodedLength)
		if len(dl) != 1 {
			return nil, errorf(KindMissingDecodedLength, "an aws-chunked body (%s) needs exactly one x-amz-decoded-content-length header", declared)
		}
		n, err := strconv.ParseInt(dl[0], 10, 64)
		if err != nil || n < 0 {
			return nil, errorf(KindMissingDecodedLength, "x-amz-decoded-content-length %q is not a length", dl[0])
		}
		b.want = n
		b.signed = declared == StreamingSignedPayload || declared == StreamingSignedPayloadTrailer
		b.verify = b.signed && !opts.IgnoreChunkSignatures
		if b.verify {
			if sig == nil {
				return nil, errorf(KindMalformed, "%s needs a signed request", declared)
			}
			b.key, b.scope, b.amzDate, b.prevSig = signingKey(secret, sig.Scope), sig.Scope.String(), sig.Time.UTC().Format(TimeFormat), sig.Signature
			b.chunkHash = sha256.New()
		}
		hasTrailer := declared == StreamingSignedPayloadTrailer || declared == StreamingUnsignedPayloadTrailer
		b.trailerSet = map[string]bool{}
		for _, v := range r.Header.Values(HeaderTrailer) {
			for name := range strings.SplitSeq(v, ",") {
				name = strings.ToLower(strings.TrimSpace(name))
				if name == "" {
					continue
				}
				alg, ok := strings.CutPrefix(name, checksumHeaderPrefix)
				if !ok || ChecksumAlgorithms[alg] == nil {
					return nil, errorf(KindMalformedChunk, "x-amz-trailer names %q; only x-amz-checksum-{crc32,crc32c,crc64nvme,sha1,sha256} may trail", name)
				}
				b.trailerSet[name] = true
				b.check.track(alg)
			}
		}
		if len(b.trailerSet) > 0 && !hasTrailer {
			return nil, errorf(KindMalformedChunk, "x-amz-trailer is set but x-amz-content-sha256 is %s, which has no trailer", declared)
		}
	}
	return b, nil
}

// Trailers are the trailing headers of an aws-chunked body, once Read has returned io.EOF.
func (b *Body) Trailers() http.Header { return b.trailers }

// Checksums are the base64 digests computed over the decoded body (the declared ones, which
// matched, and those BodyOptions.Compute asked for), once Read has returned io.EOF; keyed by
// "md5" or a ChecksumAlgorithms name.
func (b *Body) Checksums() map[string]string { return b.check.got }

// Len is the number of decoded bytes read so far.
func (b *Body) Len() int64 { return b.n }

func (b *Body) fail(err error) (int, error) {
	b.err = err
	return 0, err
}

func (b *Body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.trailerSet == nil { // not aws-chunked
		return b.readPlain(p)
	}
	for {
		if b.remaining > 0 {
			if int64(len(p)) > b.remaining {
				p = p[:b.remaining]
			}
			n, err := b.src.Read(p)
			if n > 0 {
				b.remaining -= int64(n)
				b.account(p[:n])
				if b.chunkHash != nil {
					b.chunkHash.Write(p[:n])
				}
				if b.want >= 0 && b.n > b.want {
					return b.fail(errorf(KindIncompleteBody, "the decoded body is longer than x-amz-decoded-content-length (%d)", b.want))
				}
				return n, nil
			}
			if err != nil {
				return b.fail(b.framingError(err, "in a chunk's data"))
			}
			continue
		}
		if b.inChunk {
			if err := b.expectCRLF(); err != nil {
				return b.fail(err)
			}
			if err := b.verifyChunk(); err != nil {
				return b.fail(err)
			}
			b.inChunk = false
		}
		size, err := b.readChunkHeader()
		if err != nil {
			return b.fail(err)
		}
		if size == 0 {
			if err := b.verifyChunk(); err != nil { // the final, empty chunk is signed too
				return b.fail(err)
			}
			if err := b.readTrailers(); err != nil {
				return b.fail(err)
			}
			return b.fail(b.finish())
		}
		b.remaining, b.inChunk = size, true
	}
}

func (b *Body) readPlain(p []byte) (int, error) {
	n, err := b.src.Read(p)
	if n > 0 {
		b.account(p[:n])
		if b.sha != nil {
			b.sha.Write(p[:n])
		}
	}
	if errors.Is(err, io.EOF) {
		if ferr := b.finish(); ferr != nil {
			b.err = ferr
			return n, ferr
		}
		b.err = io.EOF
		return n, io.EOF
	}
	if err != nil {
		b.err = b.framingError(err, "")
		return n, b.err
	}
	return n, nil
}

func (b *Body) account(p []byte) {
	b.n += int64(len(p))
	b.check.write(p)
}

// finish runs the end-of-body checks: length, declared SHA-256, checksums.
func (b *Body) finish() error {
	if b.want >= 0 && b.n != b.want {
		return errorf(KindIncompleteBody, "you did not provide the number of bytes specified: expected %d, received %d", b.want, b.n)
	}
	if b.sha != nil {
		if got := hex.EncodeToString(b.sha.Sum(nil)); got != b.wantSHA {
			return &Error{Kind: KindContentSHA256Mismatch, Declared: b.wantSHA, Computed: got,
				Message: "the provided 'x-amz-content-sha256' header does not match what was computed"}
		}
	}
	if err := b.check.finish(); err != nil {
		return err
	}
	return io.EOF
}

func (b *Body) framingError(err error, where string) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		if where == "" {
			return errorf(KindIncompleteBody, "you did not provide the number of bytes specified by the Content-Length HTTP header")
		}
		return errorf(KindIncompleteBody, "the aws-chunked body ended %s", where)
	}
	return err // a transport error: the connection broke
}

// readLine reads one CRLF-terminated line of chunk framing, without the CRLF.
func (b *Body) readLine(what string) (string, error) {
	line, err := b.src.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxChunkLine {
		return "", errorf(KindMalformedChunk, "the %s line of the aws-chunked body is longer than %d bytes", what, maxChunkLine)
	}
	if err != nil {
		return "", b.framingError(err, "before its "+what+" line was complete")
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return "", errorf(KindMalformedChunk, "the %s line of the aws-chunked body does not end in CRLF", what)
	}
	return string(line[:len(line)-2]), nil
}

func (b *Body) expectCRLF() error {
	var crlf [2]byte
	if _, err := io.ReadFull(b.src, crlf[:]); err != nil {
		return b.framingError(err, "after a chunk's data")
	}
	if crlf != [2]byte{'\r', '\n'} {
		return errorf(KindMalformedChunk, "a chunk's data is not followed by CRLF (the chunk is longer than its size says)")
	}
	return nil
}

// readChunkHeader reads "<hex size>[;chunk-signature=<sig>]".
func (b *Body) readChunkHeader() (int64, error) {
	line, err := b.readLine("chunk header")
	if err != nil {
		return 0, err
	}
	sizeHex, ext, _ := strings.Cut(line, ";")
	size, perr := strconv.ParseInt(sizeHex, 16, 64)
	if perr != nil || size < 0 || size > maxChunkBytes || sizeHex == "" {
		return 0, errorf(KindMalformedChunk, "the chunk size %q is not a hexadecimal length", truncate(sizeHex, 32))
	}
	if b.signed {
		sig, ok := strings.CutPrefix(ext, "chunk-signature=")
		if !ok {
			return 0, errorf(KindMalformedChunk, "a chunk of a signed aws-chunked body has no chunk-signature")
		}
		if _, err := parseSignatureHex(sig); err != nil {
			return 0, errorf(KindMalformedChunk, "the chunk-signature is not 64 lower-case hexadecimal digits")
		}
		b.pendingSig = sig
		if b.chunkHash != nil {
			b.chunkHash.Reset()
		}
	}
	return size, nil
}

// verifyChunk checks the chunk just read against its chunk-signature, chained to the previous.
func (b *Body) verifyChunk() error {
	if !b.verify {
		return nil
	}
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + b.amzDate + "\n" + b.scope + "\n" + b.prevSig + "\n" +
		EmptySHA256 + "\n" + hex.EncodeToString(b.chunkHash.Sum(nil))
	want, _ := hex.DecodeString(b.pendingSig)
	if !hmac.Equal(hmacSHA256(b.key, []byte(sts)), want) {
		return &Error{Kind: KindSignatureMismatch, StringToSign: sts,
			Message: "the chunk signature we calculated does not match the chunk-signature you provided"}
	}
	b.prevSig = b.pendingSig
	return nil
}

// readTrailers reads the trailing headers after the final chunk, up to the blank line, checks
// the trailer signature of a signed body, and records the declared checksums.
func (b *Body) readTrailers() error {
	b.trailers = http.Header{}
	var canonical bytes.Buffer
	trailerSig := ""
	for i := 0; ; i++ {
		line, err := b.readLine("trailer")
		if err != nil {
			return err
		}
		if line == "" {
			break
		}
		if i >= maxTrailers+1 {
			return errorf(KindMalformedChunk, "more than %d trailing headers", maxTrailers)
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return errorf(KindMalformedChunk, "the trailer %q is not name:value", truncate(line, 64))
		}
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		if name == "x-amz-trailer-signature" {
			trailerSig = value
			continue
		}
		if !b.trailerSet[name] {
			return errorf(KindMalformedChunk, "the trailer %s was not declared in x-amz-trailer", truncate(name, 64))
		}
		if b.trailers.Get(name) != "" {
			return errorf(KindMalformedChunk, "the trailer %s appears twice", name)
		}
		b.trailers.Set(name, value)
		canonical.WriteString(name + ":" + value + "\n")
	}
	for name := range b.trailerSet {
		v := b.trailers.Get(name)
		if v == "" {
			return errorf(KindMalformedChunk, "the trailer %s declared in x-amz-trailer is missing", name)
		}
		if err := b.check.addDeclared(strings.TrimPrefix(name, checksumHeaderPrefix), v); err != nil {
			return err
		}
	}
	if b.mode == StreamingSignedPayloadTrailer && b.verify {
		if _, err := parseSignatureHex(trailerSig); err != nil {
			return errorf(KindMalformedChunk, "a signed aws-chunked body with trailers needs an x-amz-trailer-signature")
		}
		sum := sha256.Sum256(canonical.Bytes())
		sts := "AWS4-HMAC-SHA256-TRAILER\n" + b.amzDate + "\n" + b.scope + "\n" + b.prevSig + "\n" + hex.EncodeToString(sum[:])
		want, _ := hex.DecodeString(trailerSig)
		if !hmac.Equal(hmacSHA256(b.key, []byte(sts)), want) {
			return &Error{Kind: KindSignatureMismatch, StringToSign: sts,
				Message: "the trailer signature we calculated does not match the x-amz-trailer-signature you provided"}
		}
	} else if trailerSig != "" && b.mode != StreamingSignedPayloadTrailer {
		return errorf(KindMalformedChunk, "x-amz-trailer-signature in a body that is not %s", StreamingSignedPayloadTrailer)
	}
	// Nothing may follow the blank line that ends the trailers.
	if _, err := b.src.ReadByte(); !errors.Is(err, io.EOF) {
		if err == nil {
			return errorf(KindMalformedChunk, "bytes follow the end of the aws-chunked body")
		}
		return err
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
