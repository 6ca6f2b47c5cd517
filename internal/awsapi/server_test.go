package awsapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/aws/aws-sdk-go-v2/service/codestarconnections"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
)

// clients are aws-sdk-go-v2 clients of every service, pointed at one endpoint.
type clients struct {
	sts   *sts.Client
	iam   *iam.Client
	kms   *kms.Client
	cp    *codepipeline.Client
	conn  *codestarconnections.Client
	s3    *s3.Client
	s3vh  *s3.Client // virtual-host style
	hc    *http.Client
	creds aws.CredentialsProvider
}

type clientOpts struct {
	key, secret, token string
	region             string
	attempts           int
	tls                *x509.CertPool
}

// newClients points SDK clients at url. Every host name dials the server, so that
// bucket.localhost reaches it as a virtual-host-style request.
func newClients(t testing.TB, url string, o clientOpts) *clients {
	t.Helper()
	if o.key == "" {
		o.key, o.secret = rootKey, rootSecret
	}
	if o.region == "" {
		o.region = "us-east-1"
	}
	if o.attempts == 0 {
		o.attempts = 1
	}
	addr := strings.TrimPrefix(strings.TrimPrefix(url, "http://"), "https://")
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 16,
	}
	if o.tls != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: o.tls, ServerName: "example.com"} // httptest's certificate
	}
	hc := &http.Client{Transport: tr}
	t.Cleanup(tr.CloseIdleConnections)
	cfg := aws.Config{
		Region:           o.region,
		Credentials:      credentials.NewStaticCredentialsProvider(o.key, o.secret, o.token),
		HTTPClient:       hc,
		RetryMaxAttempts: o.attempts,
	}
	ep := aws.String(url)
	return &clients{
		sts:   sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = ep }),
		iam:   iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = ep }),
		kms:   kms.NewFromConfig(cfg, func(o *kms.Options) { o.BaseEndpoint = ep }),
		cp:    codepipeline.NewFromConfig(cfg, func(o *codepipeline.Options) { o.BaseEndpoint = ep }),
		conn:  codestarconnections.NewFromConfig(cfg, func(o *codestarconnections.Options) { o.BaseEndpoint = ep }),
		s3:    s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = ep; o.UsePathStyle = true }),
		s3vh:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = ep }),
		hc:    hc,
		creds: cfg.Credentials,
	}
}

func codeOf(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func statusOf(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestSDKClientsOverEveryProtocol(t *testing.T) {
	cloud := newTestCloud(t)
	srv := httptest.NewServer(cloud.srv)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	c := newClients(t, srv.URL, clientOpts{})

	id, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"111111111111", "arn:aws:iam::111111111111:root"}, []string{aws.ToString(id.Account), aws.ToString(id.Arn)}); diff != "" {
		t.Errorf("caller identity (-want +got):\n%s", diff)
	}
	sc := newClients(t, srv.URL, clientOpts{key: sessionKey, secret: sessionSec, token: sessionToken})
	id, err = sc.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:sts::111111111111:assumed-role/deployer/s1" {
		t.Errorf("session identity: %v, %v", aws.ToString(id.Arn), err)
	}

	role, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deployer")})
	if err != nil || aws.ToString(role.Role.Arn) != "arn:aws:iam::111111111111:role/deployer" || !role.Role.CreateDate.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("GetRole: %+v, %v", role, err)
	}
	_, err = c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nobody")})
	var noEntity *iamtypes.NoSuchEntityException
	if !errors.As(err, &noEntity) || statusOf(err) != 404 {
		t.Errorf("GetRole(nobody): %v, want a NoSuchEntityException with 404", err)
	}

	enc, err := c.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("k1"), Plaintext: []byte("secret")})
	if err != nil || string(enc.CiphertextBlob) != "ct:secret" || aws.ToString(enc.KeyId) != "arn:aws:kms:us-east-1:111111111111:key/k1" {
		t.Errorf("Encrypt: %+v, %v", enc, err)
	}
	_, err = c.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("missing"), Plaintext: []byte("x")})
	var notFound *kmstypes.NotFoundException
	if !errors.As(err, &notFound) || statusOf(err) != 400 {
		t.Errorf("Encrypt(missing): %v, want a NotFoundException", err)
	}
	pages := kms.NewListKeysPaginator(c.kms, &kms.ListKeysInput{})
	for pages.HasMorePages() {
		if _, err := pages.NextPage(ctx); err != nil {
			t.Fatal(err)
		}
	}

	p, err := c.cp.GetPipeline(ctx, &codepipeline.GetPipelineInput{Name: aws.String("p")})
	if err != nil || aws.ToString(p.Pipeline.Name) != "p" || p.Pipeline.PipelineType != cptypes.PipelineTypeV2 || !p.Metadata.Created.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("GetPipeline: %+v, %v", p, err)
	}
	_, err = c.cp.GetPipeline(ctx, &codepipeline.GetPipelineInput{Name: aws.String("q")})
	var noPipeline *cptypes.PipelineNotFoundException
	if !errors.As(err, &noPipeline) {
		t.Errorf("GetPipeline(q): %v, want a PipelineNotFoundException", err)
	}

	for name, s3c := range map[string]*s3.Client{"path-style": c.s3, "virtual-host": c.s3vh} {
		t.Run(name, func(t *testing.T) {
			bucket := "bucket-" + strings.ReplaceAll(name, "-", "")
			if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
				t.Fatal(err)
			}
			if _, err := s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
				VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
				t.Fatal(err)
			}
			loc, err := s3c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
			if err != nil || loc.LocationConstraint != "eu-west-1" {
				t.Errorf("GetBucketLocation: %+v, %v", loc, err)
			}
			for _, key := range []string{"plain", "dir/with space+plus=eq", "ünïcode/ключ", "/leading"} {
				if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
					Body: strings.NewReader("body of " + key), ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc32}); err != nil {
					t.Fatalf("PutObject(%q): %v", key, err)
				}
				got, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
				if err != nil {
					t.Fatalf("GetObject(%q): %v", key, err)
				}
				b, _ := io.ReadAll(got.Body)
				got.Body.Close()
				if string(b) != "body of "+key {
					t.Errorf("GetObject(%q) = %q", key, b)
				}
			}
			head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("plain")})
			if err != nil || aws.ToInt64(head.ContentLength) != int64(len("body of plain")) {
				t.Errorf("HeadObject: %+v, %v", head, err)
			}
			_, err = s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("absent")})
			var nf *s3types.NotFound
			if !errors.As(err, &nf) {
				t.Errorf("HeadObject(absent): %v, want NotFound", err)
			}
			_, err = s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("absent")})
			var nsk *s3types.NoSuchKey
			if !errors.As(err, &nsk) {
				t.Errorf("GetObject(absent): %v, want NoSuchKey", err)
			}
			var keys []string
			pager := s3.NewListObjectsV2Paginator(s3c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
			for pager.HasMorePages() {
				page, err := pager.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range page.Contents {
					keys = append(keys, aws.ToString(o.Key))
				}
			}
			if diff := cmp.Diff([]string{"/leading", "dir/with space+plus=eq", "plain", "ünïcode/ключ"}, keys); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
			if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("plain")}); err != nil {
				t.Error(err)
			}
			_, err = s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("no-such-bucket")})
			var nsb *s3types.NoSuchBucket
			if !errors.As(err, &nsb) || statusOf(err) != 404 {
				t.Errorf("ListObjectsV2(no-such-bucket): %v, want NoSuchBucket", err)
			}
		})
	}
	buckets, err := c.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(buckets.Buckets) != 2 {
		t.Errorf("ListBuckets: %+v, %v", buckets, err)
	}
	if cloud.s3.modes["sha256"] == 0 {
		t.Errorf("over plain HTTP the SDK signs the payload's SHA-256; modes seen: %v", cloud.s3.modes)
	}
	if n := cloud.validateExchanges(t); n < 30 {
		t.Errorf("only %d responses validated against the models", n)
	}
}

// TestSDKOverTLSSendsAWSChunked: over HTTPS the SDK streams uploads as aws-chunked with a
// trailing CRC32 (STREAMING-UNSIGNED-PAYLOAD-TRAILER).
func TestSDKOverTLSSendsAWSChunked(t *testing.T) {
	cloud := newTestCloud(t)
	srv := httptest.NewUnstartedServer(cloud.srv)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c := newClients(t, srv.URL, clientOpts{tls: pool})
	ctx := context.Background()
	if _, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("tls-bucket")}); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("0123456789"), 300_000) // 3 MB: several chunks
	out, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tls-bucket"), Key: aws.String("big"),
		Body: bytes.NewReader(body), ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc32c})
	if err != nil {
		t.Fatal(err)
	}
	if cloud.s3.modes["STREAMING-UNSIGNED-PAYLOAD-TRAILER"] != 1 {
		t.Fatalf("modes seen: %v, want one STREAMING-UNSIGNED-PAYLOAD-TRAILER", cloud.s3.modes)
	}
	if aws.ToString(out.ChecksumCRC32C) == "" {
		t.Errorf("the verified trailing checksum is not echoed: %+v", out)
	}
	if got := cloud.s3.buckets["tls-bucket"]["big"]; !bytes.Equal(got, body) {
		t.Errorf("stored %d bytes, want %d", len(got), len(body))
	}
	cloud.validateExchanges(t)
}

// TestAuthFailures: each failure in each service's own code and status, as the SDKs read them.
func TestAuthFailures(t *testing.T) {
	cloud := newTestCloud(t)
	srv := httptest.NewServer(cloud.srv)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	calls := map[string]func(*clients) error{
		"sts": func(c *clients) error {
			_, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		},
		"iam": func(c *clients) error {
			_, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deployer")})
			return err
		},
		"kms": func(c *clients) error { _, err := c.kms.ListKeys(ctx, &kms.ListKeysInput{}); return err },
		"codepipeline": func(c *clients) error {
			_, err := c.cp.GetPipeline(ctx, &codepipeline.GetPipelineInput{Name: aws.String("p")})
			return err
		},
		"s3": func(c *clients) error { _, err := c.s3.ListBuckets(ctx, &s3.ListBucketsInput{}); return err },
	}
	type want struct {
		Code   string
		Status int
	}
	tests := []struct {
		name string
		opts clientOpts
		want map[string]want
	}{
		{name: "wrong secret", opts: clientOpts{key: rootKey, secret: "wrong"}, want: map[string]want{
			"sts": {"SignatureDoesNotMatch", 403}, "iam": {"SignatureDoesNotMatch", 403}, "kms": {"InvalidSignatureException", 400},
			"codepipeline": {"InvalidSignatureException", 400}, "s3": {"SignatureDoesNotMatch", 403}}},
		{name: "unknown key", opts: clientOpts{key: "AKIAUNKNOWNUNKNOWN00", secret: "x"}, want: map[string]want{
			"sts": {"InvalidClientTokenId", 403}, "iam": {"InvalidClientTokenId", 403}, "kms": {"UnrecognizedClientException", 400},
			"codepipeline": {"UnrecognizedClientException", 400}, "s3": {"InvalidAccessKeyId", 403}}},
		{name: "expired session", opts: clientOpts{key: expiredKey, secret: sessionSec, token: sessionToken}, want: map[string]want{
			"sts": {"ExpiredToken", 403}, "iam": {"ExpiredToken", 403}, "kms": {"ExpiredTokenException", 400},
			"codepipeline": {"ExpiredTokenException", 400}, "s3": {"ExpiredToken", 400}}},
		{name: "wrong session token", opts: clientOpts{key: sessionKey, secret: sessionSec, token: "forged"}, want: map[string]want{
			"sts": {"InvalidClientTokenId", 403}, "iam": {"InvalidClientTokenId", 403}, "kms": {"UnrecognizedClientException", 400},
			"codepipeline": {"UnrecognizedClientException", 400}, "s3": {"InvalidToken", 400}}},
		{name: "session key without its token", opts: clientOpts{key: sessionKey, secret: sessionSec}, want: map[string]want{
			"sts": {"InvalidClientTokenId", 403}, "kms": {"UnrecognizedClientException", 400}, "s3": {"InvalidToken", 400}}},
		{name: "long-term key with a token", opts: clientOpts{key: rootKey, secret: rootSecret, token: "t"}, want: map[string]want{
			"sts": {"InvalidClientTokenId", 403}, "kms": {"UnrecognizedClientException", 400}, "s3": {"InvalidToken", 400}}},
		{name: "iam outside us-east-1", opts: clientOpts{region: "eu-west-1"}, want: map[string]want{
			"iam": {"SignatureDoesNotMatch", 403}, "sts": {"", 0}, "kms": {"", 0}}},
		{name: "not a region", opts: clientOpts{region: "moon-base-one"}, want: map[string]want{
			"sts": {"SignatureDoesNotMatch", 403}, "kms": {"InvalidSignatureException", 400}, "s3": {"AuthorizationHeaderMalformed", 400}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClients(t, srv.URL, tt.opts)
			got := map[string]want{}
			for svc := range tt.want {
				err := calls[svc](c)
				got[svc] = want{codeOf(err), statusOf(err)}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	cloud.validateExchanges(t)
}

// TestClockSkew: a client 20 minutes behind the server gets each service's skew error; with
// retries on, the SDK reads the server's Date header, corrects its clock and succeeds.
func TestClockSkew(t *testing.T) {
	cloud := newTestCloud(t)
	srv := httptest.NewServer(cloud.srv)
	t.Cleanup(srv.Close)
	cloud.setClock(time.Now().Add(20 * time.Minute))
	ctx := context.Background()
	once := newClients(t, srv.URL, clientOpts{})
	_, errS3 := once.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	_, errSTS := once.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	_, errKMS := once.kms.ListKeys(ctx, &kms.ListKeysInput{})
	got := []string{codeOf(errS3), codeOf(errSTS), codeOf(errKMS)}
	if diff := cmp.Diff([]string{"RequestTimeTooSkewed", "SignatureDoesNotMatch", "InvalidSignatureException"}, got); diff != "" {
		t.Errorf("skew errors (-want +got):\n%s", diff)
	}
	if !strings.Contains(errSTS.Error(), "Signature expired") {
		t.Errorf("STS skew message: %v", errSTS)
	}
	retrying := newClients(t, srv.URL, clientOpts{attempts: 3})
	if _, err := retrying.s3.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Errorf("S3 after clock correction: %v", err)
	}
	if _, err := retrying.kms.ListKeys(ctx, &kms.ListKeysInput{}); err != nil {
		t.Errorf("KMS after clock correction: %v", err)
	}
	cloud.validateExchanges(t)
}

func TestUnknownOperationsNameTheOperation(t *testing.T) {
	cloud := newTestCloud(t)
	srv := httptest.NewServer(cloud.srv)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	c := newClients(t, srv.URL, clientOpts{})
	_, errKMS := c.kms.ListAliases(ctx, &kms.ListAliasesInput{})
	_, errIAM := c.iam.ListRoles(ctx, &iam.ListRolesInput{})
	_, errS3 := c.s3.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("some-bucket")})
	_, errConn := c.conn.ListConnections(ctx, &codestarconnections.ListConnectionsInput{})
	_, errCP := c.cp.ListPipelines(ctx, &codepipeline.ListPipelinesInput{})
	for _, tt := range []struct {
		err    error
		code   string
		status int
		op     string
	}{
		{errKMS, "UnknownOperationException", 400, "kms ListAliases"},
		{errIAM, "InvalidAction", 400, "iam ListRoles"},
		{errS3, "NotImplemented", 501, "S3 GetBucketCors"},
		{errConn, "UnknownOperationException", 400, "codestar-connections ListConnections"},
		{errCP, "UnknownOperationException", 400, "codepipeline ListPipelines"},
	} {
		if codeOf(tt.err) != tt.code || statusOf(tt.err) != tt.status || !strings.Contains(tt.err.Error(), tt.op) {
			t.Errorf("%v: want %s %d naming %q", tt.err, tt.code, tt.status, tt.op)
		}
	}
	cloud.validateExchanges(t)
}

// signed sends a request signed with the root key for service, after edit.
func signed(t *testing.T, url, method, path, service string, header map[string]string, body []byte, s3 bool) *http.Response {
	t.Helper()
	r, err := http.NewRequest(method, url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if s3 {
		r.Header.Set("X-Amz-Content-Sha256", hash)
	}
	if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s3 }).SignHTTP(context.Background(),
		aws.Credentials{AccessKeyID: rootKey, SecretAccessKey: rootSecret}, r, hash, service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBadInputIsAnAWSError(t *testing.T) {
	cloud := newTestCloud(t)
	cloud.srv.Register("kms", "Decrypt", func(context.Context, *awsapi.Request) (any, error) { panic("a bug") })
	cloud.srv.Register("kms", "DescribeKey", func(context.Context, *awsapi.Request) (any, error) {
		return nil, errors.New("disk on fire: /var/secret/path")
	})
	srv := httptest.NewServer(cloud.srv)
	t.Cleanup(srv.Close)
	json := map[string]string{"Content-Type": "application/x-amz-json-1.1"}
	kmsTarget := func(op string) map[string]string {
		return map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService." + op}
	}
	tests := []struct {
		name    string
		method  string
		path    string
		service string
		header  map[string]string
		body    string
		s3      bool
		status  int
		want    string // in the body
		notWant string
	}{
		{name: "json syntax", method: "POST", path: "/", service: "kms", header: kmsTarget("Encrypt"), body: `{"KeyId":`,
			status: 400, want: `"__type":"SerializationException"`},
		{name: "json member type", method: "POST", path: "/", service: "kms", header: kmsTarget("Encrypt"), body: `{"KeyId":7}`,
			status: 400, want: `KeyId: a JSON number cannot be read as a string`},
		{name: "json blob not base64", method: "POST", path: "/", service: "kms", header: kmsTarget("Encrypt"), body: `{"KeyId":"k","Plaintext":"!!"}`,
			status: 400, want: `SerializationException`},
		{name: "json too large", method: "POST", path: "/", service: "kms", header: kmsTarget("Encrypt"), body: `{"KeyId":"` + strings.Repeat("k", 1<<20) + `"}`,
			status: 413, want: `RequestEntityTooLargeException`},
		{name: "no target", method: "POST", path: "/", service: "kms", header: json, body: `{}`,
			status: 400, want: `UnknownOperationException`},
		{name: "target of another service", method: "POST", path: "/", service: "kms",
			header: map[string]string{"X-Amz-Target": "CodePipeline_20150709.GetPipeline"}, body: `{"name":"p"}`,
			status: 400, want: `Credential should be scoped to correct service: 'codepipeline'`},
		{name: "a handler's panic", method: "POST", path: "/", service: "kms", header: kmsTarget("Decrypt"), body: `{}`,
			status: 500, want: `InternalFailure`, notWant: "a bug"},
		{name: "a handler's internal error", method: "POST", path: "/", service: "kms", header: kmsTarget("DescribeKey"), body: `{}`,
			status: 500, want: `InternalFailure`, notWant: "/var/secret"},
		{name: "query action twice", method: "POST", path: "/?Action=GetRole", service: "iam",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "Action=GetRole&Version=2010-05-08&RoleName=deployer",
			status: 400, want: `<Code>MalformedQueryString</Code>`},
		{name: "query bad integer", method: "POST", path: "/", service: "iam",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "Action=GetRole&Version=2010-05-08&RoleName=deployer",
			status: 200, want: `<RoleName>deployer</RoleName>`},
		{name: "s3 traversal", method: "PUT", path: "/bucket-x/a/../../b", service: "s3", body: "x", s3: true,
			status: 400, want: `<Code>InvalidArgument</Code>`},
		{name: "s3 bad bucket", method: "GET", path: "/Bad_Bucket", service: "s3", s3: true,
			status: 400, want: `<Code>InvalidBucketName</Code>`},
		{name: "s3 malformed xml", method: "PUT", path: "/bucket-x?versioning", service: "s3", body: "<VersioningConfiguration><Status>", s3: true,
			status: 400, want: `<Code>MalformedXML</Code>`},
		{name: "s3 document too large", method: "PUT", path: "/bucket-x?versioning", service: "s3", body: strings.Repeat(" ", 5<<20), s3: true,
			status: 400, want: `<Code>MaxMessageLengthExceeded</Code>`},
		{name: "s3 wrong checksum", method: "PUT", path: "/bucket-x/k", service: "s3", body: "data", s3: true,
			header: map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA=="}, status: 400, want: `<Code>BadDigest</Code>`},
		{name: "s3 content-md5 malformed", method: "PUT", path: "/bucket-x/k", service: "s3", body: "data", s3: true,
			header: map[string]string{"Content-Md5": "xyz"}, status: 400, want: `<Code>InvalidDigest</Code>`},
	}
	if resp := signed(t, srv.URL, "PUT", "/bucket-x", "s3", nil, nil, true); resp.StatusCode != 200 {
		t.Fatalf("create bucket: %s", readAll(t, resp))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := signed(t, srv.URL, tt.method, tt.path, tt.service, tt.header, []byte(tt.body), tt.s3)
			body := readAll(t, resp)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) || (tt.notWant != "" && strings.Contains(body, tt.notWant)) {
				t.Errorf("status %d, body %.300s; want %d with %q", resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
	if len(cloud.s3.buckets["bucket-x"]) != 0 {
		t.Errorf("a refused body was stored: %v", cloud.s3.buckets["bucket-x"])
	}
	cloud.validateExchanges(t)
}

func TestUnsignedRequests(t *testing.T) {
	cloud := newTestCloud(t)
	srv := httptest.NewServer(cloud.srv)
	t.Cleanup(srv.Close)
	for _, tt := range []struct {
		method, path, body string
		header             map[string]string
		status             int
		want               string
	}{
		{"POST", "/", "{}", map[string]string{"X-Amz-Target": "TrentService.ListKeys"}, 400, `"__type":"MissingAuthenticationTokenException"`},
		{"POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 403, "<Code>MissingAuthenticationToken</Code>"},
		// An anonymous S3 request reaches the handler as the anonymous principal; the fake
		// answers it, phase B's handlers evaluate the bucket policy for it.
		{"GET", "/no-such-bucket-here?list-type=2", "", nil, 404, "<Code>NoSuchBucket</Code>"},
		{"GET", "/no-such-bucket-here", "", nil, 501, "<Code>NotImplemented</Code><Message>the local cloud does not implement S3 ListObjects"},
		{"GET", "/", "", map[string]string{"Authorization": "AWS AKIA:c2ln"}, 400, "<Code>InvalidRequest</Code>"},
	} {
		r, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
		for k, v := range tt.header {
			r.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s: %d %s; want %d %s", tt.method, tt.path, resp.StatusCode, body, tt.status, tt.want)
		}
	}
}

func TestNoAuth(t *testing.T) {
	root := awsapi.Principal{Account: "111111111111", ARN: "arn:aws:iam::111111111111:root", UserID: "111111111111"}
	cloud := newTestCloud(t, func(c *awsapi.Config) { c.NoAuth = &root; c.Credentials = nil })
	srv := httptest.NewServer(cloud.srv)
	t.Cleanup(srv.Close)
	r, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); !strings.Contains(body, "<Arn>arn:aws:iam::111111111111:root</Arn>") {
		t.Errorf("unsigned under -auth none: %s", body)
	}
	// A client that signs anyway, with any secret, acts as the same principal.
	c := newClients(t, srv.URL, clientOpts{key: "anything", secret: "anything"})
	id, err := c.sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != "111111111111" {
		t.Errorf("signed under -auth none: %v, %v", id, err)
	}
}

func TestRegisterRefusesTypos(t *testing.T) {
	srv := awsapi.New(awsapi.Config{Credentials: fakeCredentials(time.Now)})
	h := func(context.Context, *awsapi.Request) (any, error) { return nil, nil }
	for _, tt := range []struct{ service, op string }{{"kms", "Encrypts"}, {"dynamodb", "ListTables"}, {"KMS", "Encrypt"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%s, %s) did not panic", tt.service, tt.op)
				}
			}()
			srv.Register(tt.service, tt.op, h)
		}()
	}
	srv.Register("kms", "Encrypt", h)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("registering twice did not panic")
			}
		}()
		srv.Register("kms", "Encrypt", h)
	}()
}

func TestOperationsList(t *testing.T) {
	cloud := newTestCloud(t)
	ops := cloud.srv.Operations()
	want := []awsapi.Operation{{"codepipeline", "GetPipeline"}, {"iam", "GetRole"}, {"kms", "Encrypt"}, {"kms", "ListKeys"}}
	if diff := cmp.Diff(want, ops[:4]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	md := awsapi.OperationsMarkdown(ops)
	if !strings.Contains(md, "### kms (json)\n\n- `Encrypt`\n- `ListKeys`\n") || !strings.Contains(md, "### s3 (rest-xml)") {
		t.Errorf("markdown:\n%s", md)
	}
	_ = wire.S3
}

// TestPresignedURLs: URLs presigned by the SDK work for a plain HTTP client, and stop working
// once expired or altered.
func TestPresignedURLs(t *testing.T) {
	cloud := newTestCloud(t)
	srv := httptest.NewServer(cloud.srv)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	c := newClients(t, srv.URL, clientOpts{})
	if _, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("presigned")}); err != nil {
		t.Fatal(err)
	}
	ps := s3.NewPresignClient(c.s3)
	put, err := ps.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("presigned"), Key: aws.String("a b/ü")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest(put.Method, put.URL, strings.NewReader("uploaded by URL"))
	for k, vs := range put.SignedHeader {
		r.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 200 {
		t.Fatalf("presigned PUT: %d %s", resp.StatusCode, body)
	}
	get, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("presigned"), Key: aws.String("a b/ü")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(get.URL)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 200 || body != "uploaded by URL" {
		t.Errorf("presigned GET: %d %s", resp.StatusCode, body)
	}
	resp, _ = http.Get(strings.Replace(get.URL, "X-Amz-Expires=60", "X-Amz-Expires=61", 1))
	if body := readAll(t, resp); resp.StatusCode != 403 || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("altered URL: %d %s", resp.StatusCode, body)
	}
	cloud.setClock(time.Now().Add(2 * time.Minute))
	resp, _ = http.Get(get.URL)
	if body := readAll(t, resp); resp.StatusCode != 403 || !strings.Contains(body, "<Message>Request has expired</Message>") {
		t.Errorf("expired URL: %d %s", resp.StatusCode, body)
	}
	cloud.validateExchanges(t)
}
