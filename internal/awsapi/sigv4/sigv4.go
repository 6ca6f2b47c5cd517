// Package sigv4 verifies AWS Signature Version 4 on incoming HTTP requests: the Authorization
// header and presigned query forms, the x-amz-content-sha256 payload modes, and aws-chunked
// bodies (signed chunks, unsigned chunks with trailing checksums).
//
// It knows no service's error format: every failure is an *Error with a Kind, and the caller
// (internal/awsapi) turns the kind into the code, message and HTTP status of the service the
// request was for. It knows no credentials either: the caller looks up the secret of the
// access key that Parse found and hands it to Verify.
//
// The canonical request is built from the request as received — the signed headers the client
// listed, the path and query exactly as they came on the wire — and compared in constant time.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The names SigV4 puts on the wire.
const (
	Algorithm           = "AWS4-HMAC-SHA256"
	TimeFormat          = "20060102T150405Z"
	DateFormat          = "20060102"
	ScopeTerminator     = "aws4_request"
	HeaderAuthorization = "Authorization"
	HeaderDate          = "X-Amz-Date"
	HeaderContentSHA256 = "X-Amz-Content-Sha256"
	HeaderSecurityToken = "X-Amz-Security-Token"
	HeaderDecodedLength = "X-Amz-Decoded-Content-Length"
	HeaderTrailer       = "X-Amz-Trailer"
	QueryAlgorithm      = "X-Amz-Algorithm"
	QueryCredential     = "X-Amz-Credential"
	QueryDate           = "X-Amz-Date"
	QueryExpires        = "X-Amz-Expires"
	QuerySignedHeaders  = "X-Amz-SignedHeaders"
	QuerySignature      = "X-Amz-Signature"
	QuerySecurityToken  = "X-Amz-Security-Token"
)

// Payload hash values a client may declare in x-amz-content-sha256 instead of a hex digest.
const (
	UnsignedPayload                 = "UNSIGNED-PAYLOAD"
	StreamingSignedPayload          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingSignedPayloadTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	// SigV4a streaming variants: recognised to be refused by name.
	streamingECDSAPayload        = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
	streamingECDSAPayloadTrailer = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"
	// EmptySHA256 is the hex SHA-256 of no bytes.
	EmptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// Limits AWS applies.
const (
	// MaxSkew is how far a request's X-Amz-Date may be from the server's clock.
	MaxSkew = 15 * time.Minute
	// MaxPresignExpires is the longest X-Amz-Expires a presigned URL may carry (7 days).
	MaxPresignExpires = 7 * 24 * time.Hour
)

// Scope is a credential scope: the date, region and service a signature is valid for.
type Scope struct {
	Date    string // YYYYMMDD
	Region  string
	Service string
}

// String is the scope as it appears in the string to sign: date/region/service/aws4_request.
func (s Scope) String() string {
	return s.Date + "/" + s.Region + "/" + s.Service + "/" + ScopeTerminator
}

// Signature is what a request claims: who signed it, for which scope, over which headers.
type Signature struct {
	// Presigned is true when the signature came in the query string (X-Amz-Signature).
	Presigned     bool
	AccessKeyID   string
	Scope         Scope
	SignedHeaders []string // lower case, in the order the client listed them
	Signature     string   // lower-case hex
	// Time is X-Amz-Date (or the Date header when X-Amz-Date is absent).
	Time time.Time
	// Expires is X-Amz-Expires of a presigned request.
	Expires time.Duration
	// SecurityToken is X-Amz-Security-Token (header or query): a session's token.
	SecurityToken string
}

// Parse reads the SigV4 claims of r: the Authorization header, or the presigned query
// parameters. It returns (nil, nil) when the request carries neither (an anonymous request),
// and an *Error of KindMalformed or KindUnsupported when what it carries cannot be a SigV4
// signature.
func Parse(r *http.Request) (*Signature, error) {
	auths := r.Header.Values(HeaderAuthorization)
	q, qerr := parseRawQuery(rawQueryOf(r))
	_, presigned := q.first(QuerySignature)
	_, hasAlg := q.first(QueryAlgorithm)
	presigned = presigned || hasAlg
	switch {
	case len(auths) > 1:
		return nil, errorf(KindMalformed, "the request has %d Authorization headers; send exactly one", len(auths))
	case len(auths) == 1 && presigned:
		return nil, errorf(KindMalformed, "only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified")
	case len(auths) == 1:
		return parseHeader(r, auths[0])
	case presigned:
		if qerr != nil {
			return nil, errorf(KindMalformed, "the query string cannot be parsed: %v", qerr)
		}
		return parsePresigned(r, q)
	}
	return nil, nil
}

func parseHeader(r *http.Request, auth string) (*Signature, error) {
	alg, rest, _ := strings.Cut(strings.TrimSpace(auth), " ")
	if alg != Algorithm {
		switch {
		case alg == "AWS":
			return nil, errorf(KindUnsupported, "signature version 2 (Authorization: AWS …) is not supported; sign with %s", Algorithm)
		case strings.HasPrefix(alg, "AWS4-ECDSA"):
			return nil, errorf(KindUnsupported, "SigV4a (%s) is not supported; sign with %s", alg, Algorithm)
		}
		return nil, errorf(KindUnsupported, "unsupported Authorization type %q; sign with %s", alg, Algorithm)
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, errorf(KindMalformed, "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters; %q is not key=value", part)
		}
		if _, dup := fields[k]; dup {
			return nil, errorf(KindMalformed, "Authorization header has %s twice", k)
		}
		fields[k] = v
	}
	var missing []string
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, errorf(KindMalformed, "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters; missing %s", strings.Join(missing, ", "))
	}
	s := &Signature{}
	var err error
	if s.AccessKeyID, s.Scope, err = parseCredential(fields["Credential"]); err != nil {
		return nil, err
	}
	if s.SignedHeaders, err = parseSignedHeaders(fields["SignedHeaders"]); err != nil {
		return nil, err
	}
	if s.Signature, err = parseSignatureHex(fields["Signature"]); err != nil {
		return nil, err
	}
	dates := r.Header.Values(HeaderDate)
	switch len(dates) {
	case 0:
		d := r.Header.Values("Date")
		if len(d) != 1 {
			return nil, errorf(KindMalformed, "the request must carry exactly one X-Amz-Date (or Date) header")
		}
		t, perr := http.ParseTime(d[0])
		if perr != nil {
			return nil, errorf(KindMalformed, "the Date header %q is not an HTTP date", d[0])
		}
		s.Time = t.UTC()
	case 1:
		t, perr := time.Parse(TimeFormat, dates[0])
		if perr != nil {
			return nil, errorf(KindMalformed, "X-Amz-Date %q is not in the form %s", dates[0], TimeFormat)
		}
		s.Time = t
	default:
		return nil, errorf(KindMalformed, "the request has %d X-Amz-Date headers; send exactly one", len(dates))
	}
	if toks := r.Header.Values(HeaderSecurityToken); len(toks) > 1 {
		return nil, errorf(KindMalformed, "the request has %d X-Amz-Security-Token headers; send exactly one", len(toks))
	} else if len(toks) == 1 {
		s.SecurityToken = toks[0]
	}
	return s, checkScopeDate(s)
}

func parsePresigned(r *http.Request, q rawQuery) (*Signature, error) {
	get := func(k string) (string, error) {
		vs := q.all(k)
		switch len(vs) {
		case 0:
			return "", errorf(KindMalformed, "the presigned request is missing the %s query parameter", k)
		case 1:
			return vs[0], nil
		}
		return "", errorf(KindMalformed, "the presigned request has %s %d times", k, len(vs))
	}
	alg, err := get(QueryAlgorithm)
	if err != nil {
		return nil, err
	}
	if alg != Algorithm {
		return nil, errorf(KindUnsupported, "X-Amz-Algorithm %q is not supported; sign with %s", alg, Algorithm)
	}
	s := &Signature{Presigned: true}
	cred, err := get(QueryCredential)
	if err != nil {
		return nil, err
	}
	if s.AccessKeyID, s.Scope, err = parseCredential(cred); err != nil {
		return nil, err
	}
	sh, err := get(QuerySignedHeaders)
	if err != nil {
		return nil, err
	}
	if s.SignedHeaders, err = parseSignedHeaders(sh); err != nil {
		return nil, err
	}
	sig, err := get(QuerySignature)
	if err != nil {
		return nil, err
	}
	if s.Signature, err = parseSignatureHex(sig); err != nil {
		return nil, err
	}
	date, err := get(QueryDate)
	if err != nil {
		return nil, err
	}
	if s.Time, err = time.Parse(TimeFormat, date); err != nil {
		return nil, errorf(KindMalformed, "X-Amz-Date %q is not in the form %s", date, TimeFormat)
	}
	exp, err := get(QueryExpires)
	if err != nil {
		return nil, err
	}
	secs, perr := strconv.ParseInt(exp, 10, 64)
	switch {
	case perr != nil:
		return nil, errorf(KindMalformed, "X-Amz-Expires should be a number, not %q", exp)
	case secs < 0:
		return nil, errorf(KindMalformed, "X-Amz-Expires must be non-negative")
	case secs > int64(MaxPresignExpires/time.Second):
		return nil, errorf(KindMalformed, "X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	s.Expires = time.Duration(secs) * time.Second
	if toks := q.all(QuerySecurityToken); len(toks) > 1 {
		return nil, errorf(KindMalformed, "the presigned request has X-Amz-Security-Token %d times", len(toks))
	} else if len(toks) == 1 {
		s.SecurityToken = toks[0]
	} else if h := r.Header.Values(HeaderSecurityToken); len(h) == 1 {
		s.SecurityToken = h[0]
	}
	return s, checkScopeDate(s)
}

// parseCredential splits AKID/date/region/service/aws4_request. The access key id itself may not
// contain a slash (AWS's never do), so the last four fields are the scope.
func parseCredential(c string) (string, Scope, error) {
	parts := strings.Split(c, "/")
	if len(parts) != 5 {
		return "", Scope{}, errorf(KindMalformed, "the Credential %q is not of the form <access key id>/<date>/<region>/<service>/aws4_request", redactCredential(c))
	}
	akid, sc := parts[0], Scope{Date: parts[1], Region: parts[2], Service: parts[3]}
	switch {
	case akid == "":
		return "", Scope{}, errorf(KindMalformed, "the Credential has an empty access key id")
	case parts[4] != ScopeTerminator:
		return "", Scope{}, errorf(KindMalformed, "the Credential is mal-formed; incorrect terminal %q; expecting %q", parts[4], ScopeTerminator)
	case sc.Region == "" || sc.Service == "":
		return "", Scope{}, errorf(KindMalformed, "the Credential %q names no region or no service", redactCredential(c))
	}
	if _, err := time.Parse(DateFormat, sc.Date); err != nil {
		return "", Scope{}, errorf(KindMalformed, "the Credential's date %q is not of the form YYYYMMDD", sc.Date)
	}
	return akid, sc, nil
}

// redactCredential keeps a credential short in an error message: an access key id is not
// secret, but the string may be anything a client sent.
func redactCredential(c string) string {
	if len(c) > 128 {
		return c[:128] + "…"
	}
	return c
}

func parseSignedHeaders(s string) ([]string, error) {
	hs := strings.Split(s, ";")
	seen := make(map[string]bool, len(hs))
	hasHost := false
	for _, h := range hs {
		if h == "" || h != strings.ToLower(h) || strings.ContainsAny(h, " \t:") {
			return nil, errorf(KindMalformed, "SignedHeaders %q must be lower-case header names separated by ';'", s)
		}
		if seen[h] {
			return nil, errorf(KindMalformed, "SignedHeaders lists %q twice", h)
		}
		seen[h] = true
		hasHost = hasHost || h == "host"
	}
	if !hasHost {
		return nil, errorf(KindMalformed, "SignedHeaders must include 'host'")
	}
	return hs, nil
}

func parseSignatureHex(s string) (string, error) {
	if len(s) != 64 {
		return "", errorf(KindMalformed, "the Signature must be 64 hexadecimal digits")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", errorf(KindMalformed, "the Signature must be 64 lower-case hexadecimal digits")
		}
	}
	return s, nil
}

func checkScopeDate(s *Signature) error {
	if d := s.Time.UTC().Format(DateFormat); d != s.Scope.Date {
		return errorf(KindMalformed, "invalid credential date %q: it is not the date of X-Amz-Date (%s)", s.Scope.Date, d)
	}
	return nil
}

// CheckTime refuses a request signed too far from now: a header signature outside ±MaxSkew
// (KindSkewed), a presigned URL that has expired (KindPresignExpired) or is not yet valid.
func (s *Signature) CheckTime(now time.Time) error {
	now = now.UTC()
	if s.Presigned {
		if s.Time.After(now.Add(MaxSkew)) {
			return &Error{Kind: KindPresignNotYetValid, Message: "request is not valid yet", RequestTime: s.Time, ServerTime: now}
		}
		if now.After(s.Time.Add(s.Expires)) {
			return &Error{Kind: KindPresignExpired, Message: "request has expired", RequestTime: s.Time, ServerTime: now, Expires: s.Expires}
		}
		return nil
	}
	d := now.Sub(s.Time)
	if d > MaxSkew || d < -MaxSkew {
		return &Error{Kind: KindSkewed, RequestTime: s.Time, ServerTime: now,
			Message: fmt.Sprintf("the difference between the request time (%s) and the server's time (%s) is more than %s",
				s.Time.Format(TimeFormat), now.Format(TimeFormat), MaxSkew)}
	}
	return nil
}

// Verify checks the signature of r against secret. payloadHash is the value that goes last in
// the canonical request (see PayloadHash); doubleEncodePath is true for every service but S3
// (S3 signs the path as sent, the others URI-encode it once more). It returns an *Error of
// KindSignatureMismatch when no canonical form of the request yields the client's signature.
func (s *Signature) Verify(r *http.Request, secret, payloadHash string, doubleEncodePath bool) error {
	key := signingKey(secret, s.Scope)
	headers, err := s.canonicalHeaders(r)
	if err != nil {
		return err
	}
	q, qerr := parseRawQuery(rawQueryOf(r))
	if qerr != nil {
		return errorf(KindMalformed, "the query string cannot be parsed: %v", qerr)
	}
	query := q.canonical(s.Presigned)
	want, _ := hex.DecodeString(s.Signature)
	var firstCanonical string
	for _, uri := range canonicalURIs(rawPathOf(r), doubleEncodePath) {
		canonical := r.Method + "\n" + uri + "\n" + query + "\n" + headers + "\n" +
			strings.Join(s.SignedHeaders, ";") + "\n" + payloadHash
		if firstCanonical == "" {
			firstCanonical = canonical
		}
		sts := s.stringToSign(canonical)
		if hmac.Equal(hmacSHA256(key, []byte(sts)), want) {
			return nil
		}
	}
	return &Error{Kind: KindSignatureMismatch,
		Message:          "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
		CanonicalRequest: firstCanonical, StringToSign: s.stringToSign(firstCanonical)}
}

func (s *Signature) stringToSign(canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return Algorithm + "\n" + s.Time.UTC().Format(TimeFormat) + "\n" + s.Scope.String() + "\n" + hex.EncodeToString(sum[:])
}

// canonicalHeaders builds name:value lines for the signed headers, in the client's order.
func (s *Signature) canonicalHeaders(r *http.Request) (string, error) {
	var b strings.Builder
	for _, name := range s.SignedHeaders {
		var values []string
		switch name {
		case "host":
			values = []string{r.Host}
		case "content-length":
			values = r.Header.Values("Content-Length")
			if len(values) == 0 && r.ContentLength >= 0 {
				values = []string{strconv.FormatInt(r.ContentLength, 10)}
			}
		case "transfer-encoding":
			values = r.Header.Values("Transfer-Encoding")
			if len(values) == 0 && len(r.TransferEncoding) > 0 {
				values = []string{strings.Join(r.TransferEncoding, ",")}
			}
		default:
			values = r.Header.Values(name)
		}
		if len(values) == 0 {
			return "", &Error{Kind: KindSignatureMismatch,
				Message: fmt.Sprintf("there were headers present in the request which were not signed, or a signed header (%s) is absent", name)}
		}
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range values {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(trimAll(v))
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// trimAll trims a header value and collapses runs of spaces and tabs into one space, as the
// SDKs do before signing.
func trimAll(v string) string {
	v = strings.TrimSpace(v)
	if !strings.ContainsAny(v, "\t") && !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' || c == '\t' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteByte(c)
	}
	return b.String()
}

// rawPathOf is the path exactly as the client sent it (still percent-encoded).
func rawPathOf(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" { // a request built in a test, not read from the wire
		uri = r.URL.RequestURI()
	}
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://") { // absolute form
		rest := uri[strings.Index(uri, "//")+2:]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			uri = rest[i:]
		} else {
			uri = "/"
		}
	}
	if uri == "" {
		uri = "/"
	}
	return uri
}

// rawQueryOf is the query string exactly as the client sent it.
func rawQueryOf(r *http.Request) string {
	if r.RequestURI != "" {
		if _, q, ok := strings.Cut(r.RequestURI, "?"); ok {
			return q
		}
		return ""
	}
	return r.URL.RawQuery
}

// canonicalURIs are the canonical paths a client may have signed for the raw path: the path as
// sent, and the path re-encoded by the SigV4 rules when the client sent characters unencoded
// that the rules encode. With doubleEncode, each is encoded once more (every service but S3).
func canonicalURIs(raw string, doubleEncode bool) []string {
	cands := []string{raw}
	if dec, err := pathUnescape(raw); err == nil {
		if enc := EscapePath(dec); enc != raw {
			cands = append(cands, enc)
		}
	}
	if doubleEncode {
		for i, c := range cands {
			cands[i] = EscapePath(c)
		}
	}
	return cands
}

// EscapePath URI-encodes p by the SigV4 rules: every byte but the unreserved characters
// (A-Z a-z 0-9 - _ . ~) and '/' becomes %XX with upper-case hex.
func EscapePath(p string) string { return escape(p, true) }

// EscapeQuery URI-encodes a query name or value by the SigV4 rules ('/' is encoded too).
func EscapeQuery(p string) string { return escape(p, false) }

func escape(s string, keepSlash bool) string {
	const hexdig = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && (!keepSlash || s[i] != '/') {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (keepSlash && c == '/') {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexdig[c>>4], hexdig[c&15])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

// pathUnescape decodes %XX escapes and nothing else ('+' stays '+').
func pathUnescape(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) || !ishex(s[i+1]) || !ishex(s[i+2]) {
			return "", fmt.Errorf("invalid escape %q", s[i:min(i+3, len(s))])
		}
		b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
		i += 2
	}
	return string(b), nil
}

// Unescape decodes the %XX escapes of a path or query component ('+' is not a space).
func Unescape(s string) (string, error) { return pathUnescape(s) }

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// rawQuery is a query string split into decoded pairs, in order.
type rawQuery []queryPair

type queryPair struct{ key, value string }

func parseRawQuery(q string) (rawQuery, error) {
	var out rawQuery
	var firstErr error
	for part := range strings.SplitSeq(q, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err1 := pathUnescape(k)
		dv, err2 := pathUnescape(v)
		if err1 != nil || err2 != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("%q has an invalid percent-escape", part)
			}
			dk, dv = k, v
		}
		out = append(out, queryPair{dk, dv})
	}
	return out, firstErr
}

func (q rawQuery) first(k string) (string, bool) {
	for _, p := range q {
		if p.key == k {
			return p.value, true
		}
	}
	return "", false
}

func (q rawQuery) all(k string) []string {
	var vs []string
	for _, p := range q {
		if p.key == k {
			vs = append(vs, p.value)
		}
	}
	return vs
}

// canonical is the SigV4 canonical query string: names and values encoded, then sorted by name
// and value; a presigned request's X-Amz-Signature left out.
func (q rawQuery) canonical(presigned bool) string {
	pairs := make([]queryPair, 0, len(q))
	for _, p := range q {
		if presigned && p.key == QuerySignature {
			continue
		}
		pairs = append(pairs, queryPair{EscapeQuery(p.key), EscapeQuery(p.value)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].key != pairs[j].key {
			return pairs[i].key < pairs[j].key
		}
		return pairs[i].value < pairs[j].value
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

func hmacSHA256(key, data []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(data)
	return h.Sum(nil)
}

// signingKey derives (and caches) the key for a secret and scope: four HMACs that would
// otherwise run on every request.
func signingKey(secret string, sc Scope) []byte {
	ck := keyCacheKey{secret: secret, scope: sc}
	keyCache.Lock()
	k, ok := keyCache.m[ck]
	keyCache.Unlock()
	if ok {
		return k
	}
	k = hmacSHA256([]byte("AWS4"+secret), []byte(sc.Date))
	k = hmacSHA256(k, []byte(sc.Region))
	k = hmacSHA256(k, []byte(sc.Service))
	k = hmacSHA256(k, []byte(ScopeTerminator))
	keyCache.Lock()
	if len(keyCache.m) >= maxCachedKeys {
		clear(keyCache.m) // crude, bounded: a day's keys are re-derived on the next request
	}
	keyCache.m[ck] = k
	keyCache.Unlock()
	return k
}

type keyCacheKey struct {
	secret string
	scope  Scope
}

const maxCachedKeys = 4096

var keyCache = struct {
	sync.Mutex
	m map[keyCacheKey][]byte
}{m: map[keyCacheKey][]byte{}}
