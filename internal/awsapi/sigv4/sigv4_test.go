package sigv4_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/sigv4"
)

const (
	akid   = "AKIDEXAMPLE0000000001"
	secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

var creds = aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}

// outcome is what the verifying server saw for one request.
type outcome struct {
	sig  *sigv4.Signature
	body []byte
	err  error
}

// wireServer verifies every request it receives the way internal/awsapi does, so that tests
// exercise requests as net/http delivers them (RequestURI, Host, Content-Length handling).
func wireServer(t *testing.T, secretFor func(string) string, now func() time.Time) (*httptest.Server, <-chan outcome) {
	t.Helper()
	ch := make(chan outcome, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := verify(r, secretFor, now())
		ch <- o
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func verify(r *http.Request, secretFor func(string) string, now time.Time) (o outcome) {
	sig, err := sigv4.Parse(r)
	o.sig = sig
	if err != nil {
		o.err = err
		return o
	}
	if sig == nil {
		o.err = errors.New("anonymous")
		return o
	}
	if err := sig.CheckTime(now); err != nil {
		o.err = err
		return o
	}
	declared, err := sigv4.DeclaredPayload(r.Header)
	if err != nil {
		o.err = err
		return o
	}
	sec := secretFor(sig.AccessKeyID)
	s3 := sig.Scope.Service == "s3"
	if !s3 { // buffered services: the server hashes the body itself
		body, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])
		if declared != "" && declared != sigv4.UnsignedPayload && declared != hash {
			o.err = &sigv4.Error{Kind: sigv4.KindContentSHA256Mismatch}
			return o
		}
		if declared == "" {
			declared = hash
		}
		o.body = body
		o.err = sig.Verify(r, sec, declared, true)
		return o
	}
	if declared == "" {
		if !sig.Presigned {
			o.err = &sigv4.Error{Kind: sigv4.KindMissingContentSHA256}
			return o
		}
		declared = sigv4.UnsignedPayload
	}
	if err := sig.Verify(r, sec, declared, false); err != nil {
		o.err = err
		return o
	}
	b, err := sigv4.NewBody(r, sig, sec, declared, sigv4.BodyOptions{Compute: []string{"md5"}})
	if err != nil {
		o.err = err
		return o
	}
	o.body, o.err = io.ReadAll(b)
	return o
}

func kindOf(err error) sigv4.Kind {
	var e *sigv4.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

func fixedSecret(string) string { return secret }

func sign(t *testing.T, r *http.Request, body []byte, service, region string, at time.Time, payloadHash string, s3 bool) {
	t.Helper()
	if payloadHash == "" {
		sum := sha256.Sum256(body)
		payloadHash = hex.EncodeToString(sum[:])
	}
	if s3 {
		r.Header.Set("X-Amz-Content-Sha256", payloadHash)
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s3 })
	if err := signer.SignHTTP(context.Background(), creds, r, payloadHash, service, region, at); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRequestsSignedByTheSDK(t *testing.T) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	srv, got := wireServer(t, fixedSecret, func() time.Time { return now })
	tests := []struct {
		name    string
		method  string
		path    string // raw, as the client encodes it
		query   string
		header  map[string][]string
		body    string
		service string
		s3      bool
	}{
		{name: "json post", method: "POST", path: "/", body: `{"pipeline":{"name":"p"}}`, service: "codepipeline",
			header: map[string][]string{"X-Amz-Target": {"CodePipeline_20150709.GetPipeline"}, "Content-Type": {"application/x-amz-json-1.1"}}},
		{name: "query post", method: "POST", path: "/", body: "Action=GetCallerIdentity&Version=2011-06-15", service: "sts",
			header: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}},
		{name: "s3 subresource", method: "GET", path: "/bucket", query: "versioning", service: "s3", s3: true},
		{name: "s3 list with spaces and slashes", method: "GET", path: "/bucket", query: "list-type=2&prefix=a%20b%2Fc&delimiter=%2F", service: "s3", s3: true},
		{name: "s3 odd key", method: "PUT", path: "/bucket/dir/a%20b%2Bc%3D%C3%A9~_.-%21%28%29", body: "hello", service: "s3", s3: true},
		{name: "s3 key with double slash", method: "GET", path: "/bucket//leading/slash", service: "s3", s3: true},
		{name: "multi-valued and spaced header", method: "PUT", path: "/bucket/k", body: "x", service: "s3", s3: true,
			header: map[string][]string{"X-Amz-Meta-A": {"one  two", " three "}, "X-Amz-Meta-B": {"\tx"}}},
		{name: "empty query value and repeated names", method: "GET", path: "/bucket", query: "b=2&a=&b=1&uploads", service: "s3", s3: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := srv.URL + tt.path
			if tt.query != "" {
				u += "?" + tt.query
			}
			r, err := http.NewRequest(tt.method, u, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, vs := range tt.header {
				r.Header[k] = vs
			}
			sign(t, r, []byte(tt.body), tt.service, "us-east-1", now, "", tt.s3)
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			o := <-got
			if o.err != nil {
				t.Fatalf("verify: %v", o.err)
			}
			if diff := cmp.Diff(tt.body, string(o.body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if o.sig.AccessKeyID != akid || o.sig.Scope != (sigv4.Scope{Date: "20250304", Region: "us-east-1", Service: tt.service}) {
				t.Errorf("claims = %+v", o.sig)
			}
		})
	}
}

func TestVerifyRefusesWhatWasNotSigned(t *testing.T) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	serverSecret := secret
	srv, got := wireServer(t, func(string) string { return serverSecret }, func() time.Time { return now })
	tests := []struct {
		name   string
		secret string
		tamper func(r *http.Request)
		want   sigv4.Kind
	}{
		{name: "wrong secret", secret: "not-the-secret", want: sigv4.KindSignatureMismatch},
		{name: "query changed", tamper: func(r *http.Request) { r.URL.RawQuery = "versioning&x=1" }, want: sigv4.KindSignatureMismatch},
		{name: "path changed", tamper: func(r *http.Request) { r.URL.Path, r.URL.RawPath = "/bucket/other", "" }, want: sigv4.KindSignatureMismatch},
		{name: "signed header changed", tamper: func(r *http.Request) { r.Header.Set("X-Amz-Meta-A", "b") }, want: sigv4.KindSignatureMismatch},
		{name: "signed header removed", tamper: func(r *http.Request) { r.Header.Del("X-Amz-Meta-A") }, want: sigv4.KindSignatureMismatch},
		{name: "payload hash changed", tamper: func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", sigv4.UnsignedPayload)
		}, want: sigv4.KindSignatureMismatch},
		{name: "second date header", tamper: func(r *http.Request) { r.Header.Add("X-Amz-Date", "20250304T050607Z") }, want: sigv4.KindMalformed},
		{name: "second authorization", tamper: func(r *http.Request) { r.Header.Add("Authorization", r.Header.Get("Authorization")) }, want: sigv4.KindMalformed},
		{name: "second content sha256", tamper: func(r *http.Request) {
			r.Header.Add("X-Amz-Content-Sha256", sigv4.UnsignedPayload)
		}, want: sigv4.KindInvalidContentSHA256},
		{name: "body changed, same length", tamper: func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader("HELLO")) }, want: sigv4.KindContentSHA256Mismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest("PUT", srv.URL+"/bucket/key?versioning", strings.NewReader("hello"))
			r.Header.Set("X-Amz-Meta-A", "a")
			sign(t, r, []byte("hello"), "s3", "us-east-1", now, "", true)
			if tt.tamper != nil {
				tt.tamper(r)
			}
			serverSecret = secret
			if tt.secret != "" {
				serverSecret = tt.secret
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			o := <-got
			if k := kindOf(o.err); k != tt.want {
				t.Fatalf("error = %v (kind %v), want kind %v", o.err, k, tt.want)
			}
		})
	}
}

func TestPresignedURLs(t *testing.T) {
	signedAt := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	now := signedAt
	srv, got := wireServer(t, fixedSecret, func() time.Time { return now })
	presign := func(t *testing.T, method, rawURL, service string, expires time.Duration) string {
		t.Helper()
		r, _ := http.NewRequest(method, rawURL, nil)
		q := r.URL.Query()
		q.Set("X-Amz-Expires", strconv.Itoa(int(expires/time.Second)))
		r.URL.RawQuery = q.Encode()
		u, _, err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" }).
			PresignHTTP(context.Background(), creds, r, sigv4.UnsignedPayload, service, "eu-west-1", signedAt)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	tests := []struct {
		name    string
		at      time.Time
		expires time.Duration
		edit    func(string) string
		want    sigv4.Kind
	}{
		{name: "valid", at: signedAt.Add(time.Minute), expires: time.Hour},
		{name: "expired", at: signedAt.Add(2 * time.Hour), expires: time.Hour, want: sigv4.KindPresignExpired},
		{name: "not yet valid", at: signedAt.Add(-20 * time.Minute), expires: time.Hour, want: sigv4.KindPresignNotYetValid},
		{name: "signature altered", at: signedAt, expires: time.Hour, edit: func(u string) string {
			i := strings.Index(u, "X-Amz-Signature=") + len("X-Amz-Signature=")
			c := "0"
			if u[i] == '0' {
				c = "1"
			}
			return u[:i] + c + u[i+1:]
		}, want: sigv4.KindSignatureMismatch},
		{name: "expires changed", at: signedAt, expires: time.Hour, edit: func(u string) string {
			return strings.Replace(u, "X-Amz-Expires=3600", "X-Amz-Expires=3601", 1)
		}, want: sigv4.KindSignatureMismatch},
		{name: "expires over a week", at: signedAt, expires: time.Hour, edit: func(u string) string {
			return strings.Replace(u, "X-Amz-Expires=3600", "X-Amz-Expires=604801", 1)
		}, want: sigv4.KindMalformed},
		{name: "credential duplicated", at: signedAt, expires: time.Hour, edit: func(u string) string {
			return u + "&X-Amz-Credential=x"
		}, want: sigv4.KindMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = tt.at
			u := presign(t, "GET", srv.URL+"/bucket/a%20key?versionId=3", "s3", tt.expires)
			if tt.edit != nil {
				u = tt.edit(u)
			}
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			o := <-got
			if k := kindOf(o.err); k != tt.want {
				t.Fatalf("error = %v, want kind %v", o.err, tt.want)
			}
			if tt.want == 0 && (!o.sig.Presigned || o.sig.Scope.Region != "eu-west-1") {
				t.Errorf("claims = %+v", o.sig)
			}
		})
	}
}

func TestClockSkew(t *testing.T) {
	signedAt := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, tt := range []struct {
		off  time.Duration
		want sigv4.Kind
	}{
		{0, 0}, {14 * time.Minute, 0}, {-14 * time.Minute, 0},
		{16 * time.Minute, sigv4.KindSkewed}, {-16 * time.Minute, sigv4.KindSkewed},
	} {
		r, _ := http.NewRequest("POST", "http://localhost/", strings.NewReader("{}"))
		sign(t, r, []byte("{}"), "kms", "us-east-1", signedAt, "", false)
		sig, err := sigv4.Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		err = sig.CheckTime(signedAt.Add(tt.off))
		if k := kindOf(err); k != tt.want {
			t.Errorf("skew %v: error = %v, want kind %v", tt.off, err, tt.want)
		}
		var e *sigv4.Error
		if errors.As(err, &e) && (!e.RequestTime.Equal(signedAt) || !e.ServerTime.Equal(signedAt.Add(tt.off))) {
			t.Errorf("skew %v: times = %v, %v", tt.off, e.RequestTime, e.ServerTime)
		}
	}
}

func TestParseRefusesMalformedAuthorization(t *testing.T) {
	good := "AWS4-HMAC-SHA256 Credential=" + akid + "/20250304/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("ab", 32)
	tests := []struct {
		name string
		auth string
		date string
		want sigv4.Kind
	}{
		{name: "good", auth: good, date: "20250304T050607Z"},
		{name: "sigv2", auth: "AWS " + akid + ":c2lnbmF0dXJl", want: sigv4.KindUnsupported},
		{name: "sigv4a", auth: "AWS4-ECDSA-P256-SHA256 Credential=x", want: sigv4.KindUnsupported},
		{name: "no signature", auth: "AWS4-HMAC-SHA256 Credential=" + akid + "/20250304/us-east-1/kms/aws4_request, SignedHeaders=host", want: sigv4.KindMalformed},
		{name: "short credential", auth: strings.Replace(good, "/us-east-1/kms", "/kms", 1), want: sigv4.KindMalformed},
		{name: "bad terminator", auth: strings.Replace(good, "aws4_request", "aws5_request", 1), want: sigv4.KindMalformed},
		{name: "bad date in scope", auth: strings.Replace(good, "20250304", "2025-03-04", 1), want: sigv4.KindMalformed},
		{name: "scope date is not x-amz-date's", auth: good, date: "20250305T000000Z", want: sigv4.KindMalformed},
		{name: "host not signed", auth: strings.Replace(good, "host;", "", 1), want: sigv4.KindMalformed},
		{name: "upper-case signed header", auth: strings.Replace(good, "x-amz-date", "X-Amz-Date", 1), want: sigv4.KindMalformed},
		{name: "duplicated signed header", auth: strings.Replace(good, "host;", "host;host;", 1), want: sigv4.KindMalformed},
		{name: "short signature", auth: strings.TrimSuffix(good, "ab"), want: sigv4.KindMalformed},
		{name: "upper-case signature", auth: strings.Replace(good, strings.Repeat("ab", 32), strings.Repeat("AB", 32), 1), want: sigv4.KindMalformed},
		{name: "field twice", auth: good + ", Signature=" + strings.Repeat("ab", 32), want: sigv4.KindMalformed},
		{name: "field without value", auth: good + ", Junk", want: sigv4.KindMalformed},
		{name: "no date", auth: good, date: "-", want: sigv4.KindMalformed},
		{name: "bad date", auth: good, date: "yesterday", want: sigv4.KindMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest("POST", "http://localhost/", nil)
			r.Header.Set("Authorization", tt.auth)
			switch tt.date {
			case "":
				r.Header.Set("X-Amz-Date", "20250304T050607Z")
			case "-":
			default:
				r.Header.Set("X-Amz-Date", tt.date)
			}
			_, err := sigv4.Parse(r)
			if k := kindOf(err); k != tt.want {
				t.Fatalf("error = %v, want kind %v", err, tt.want)
			}
		})
	}
	r, _ := http.NewRequest("GET", "http://localhost/", nil)
	if sig, err := sigv4.Parse(r); sig != nil || err != nil {
		t.Errorf("an unsigned request: %v, %v; want nil, nil", sig, err)
	}
	r, _ = http.NewRequest("GET", "http://localhost/?X-Amz-Algorithm=AWS4-HMAC-SHA256", nil)
	r.Header.Set("Authorization", good)
	if _, err := sigv4.Parse(r); kindOf(err) != sigv4.KindMalformed {
		t.Errorf("header and query auth together: %v, want malformed", err)
	}
}

func TestDateHeaderInsteadOfXAmzDate(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	r, _ := http.NewRequest("GET", "http://localhost/bucket", nil)
	r.Header.Set("X-Amz-Content-Sha256", sigv4.EmptySHA256)
	sign(t, r, nil, "s3", "us-east-1", at, sigv4.EmptySHA256, true)
	// Re-sign by hand over the Date header instead of X-Amz-Date, as some older clients do.
	auth := r.Header.Get("Authorization")
	r.Header.Del("X-Amz-Date")
	r.Header.Set("Date", at.Format(http.TimeFormat))
	r.Header.Set("Authorization", strings.Replace(auth, "x-amz-date", "date", 1))
	sig, err := sigv4.Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if !sig.Time.Equal(at) {
		t.Errorf("time = %v, want %v", sig.Time, at)
	}
	// The signature covered x-amz-date, so it cannot match over date: a mismatch, not a panic.
	if err := sig.Verify(r, secret, sigv4.EmptySHA256, false); kindOf(err) != sigv4.KindSignatureMismatch {
		t.Errorf("verify = %v, want a mismatch", err)
	}
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, path, query string }{
		{"abc-_.~XYZ09", "abc-_.~XYZ09", "abc-_.~XYZ09"},
		{"a b/c", "a%20b/c", "a%20b%2Fc"},
		{"é+=*", "%C3%A9%2B%3D%2A", "%C3%A9%2B%3D%2A"},
	}
	for _, tt := range tests {
		if got := sigv4.EscapePath(tt.in); got != tt.path {
			t.Errorf("EscapePath(%q) = %q, want %q", tt.in, got, tt.path)
		}
		if got := sigv4.EscapeQuery(tt.in); got != tt.query {
			t.Errorf("EscapeQuery(%q) = %q, want %q", tt.in, got, tt.query)
		}
	}
	if _, err := sigv4.Unescape("%zz"); err == nil {
		t.Error("Unescape(%zz) succeeded")
	}
}
