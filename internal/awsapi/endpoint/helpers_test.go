package endpoint_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/endpoint"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/shapes"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	_ "github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/backends"
)

// The accounts the tests act as.
const (
	acctA  = "111111111111"
	acctB  = "222222222222"
	region = "us-east-1"
)

// cloud is the endpoint over a fresh local state directory, served on loopback, with every
// exchange kept for validation against the service models.
type cloud struct {
	t    testing.TB
	dir  string
	b    backend.Backend
	c    backend.Cloud
	ep   *endpoint.Endpoint
	srv  *httptest.Server
	mu   sync.Mutex
	seen []awsapi.Exchange
	ops  map[string]bool // service/operation of every exchange answered
}

func newCloud(t testing.TB, opts ...func(*endpoint.Config)) *cloud {
	t.Helper()
	c := &cloud{t: t, dir: t.TempDir(), ops: map[string]bool{}}
	b, err := backend.Open(context.Background(), backend.Config{Kind: backend.KindLocal, AccountID: acctA, Region: region, StateDir: c.dir})
	if err != nil {
		t.Fatal(err)
	}
	c.b = b
	if c.c, err = backend.CloudOf(b); err != nil {
		t.Fatal(err)
	}
	cfg := endpoint.Config{Cloud: c.c, Logf: t.Logf, Observe: func(e awsapi.Exchange) {
		c.mu.Lock()
		c.seen = append(c.seen, e)
		c.ops[e.Service+"/"+e.Operation] = true
		c.mu.Unlock()
	}}
	for _, o := range opts {
		o(&cfg)
	}
	c.ep = endpoint.New(cfg)
	c.srv = httptest.NewServer(c.ep)
	t.Cleanup(func() {
		c.srv.Close()
		c.ep.Close()
		b.Close()
	})
	return c
}

// key returns the long-term key of an account's root (created on first use).
func (c *cloud) key(account string) *backend.AccessKey {
	c.t.Helper()
	k, err := c.c.AccountKey(context.Background(), account, true)
	if err != nil {
		c.t.Fatal(err)
	}
	return k
}

// validate runs every exchange since the last call through the models' shapes.
func (c *cloud) validate(t *testing.T) int {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, e := range c.seen {
		if e.Operation == "" || e.Truncated {
			continue
		}
		cap := shapes.Captured{Status: e.Status, Header: e.Header, Body: e.Body}
		var probs []shapes.Problem
		switch {
		case e.Status == http.StatusNotModified || e.Status == http.StatusMovedPermanently:
			continue
		case e.Status < 300:
			if e.Operation == "GetObject" {
				continue // a streamed body
			}
			probs = shapes.Validate(e.Service, e.Operation, cap)
		default:
			probs = shapes.ValidateError(e.Service, e.Operation, cap)
		}
		n++
		for _, p := range probs {
			body := string(e.Body)
			if len(body) > 800 {
				body = body[:800] + "…"
			}
			t.Errorf("%s %s (status %d): %s\n%s", e.Service, e.Operation, e.Status, p, body)
		}
	}
	c.seen = nil
	return n
}

// clients are SDK clients of every service acting with one key.
type clients struct {
	sts *sts.Client
	iam *iam.Client
	kms *kms.Client
	cp  *codepipeline.Client
	s3  *s3.Client
	ssm *ssm.Client
	sm  *secretsmanager.Client
}

func (c *cloud) clients(key, secret, token string) *clients {
	addr := strings.TrimPrefix(c.srv.URL, "http://")
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	c.t.Cleanup(tr.CloseIdleConnections)
	cfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(key, secret, token),
		HTTPClient: &http.Client{Transport: tr}, RetryMaxAttempts: 1}
	ep := aws.String(c.srv.URL)
	return &clients{
		sts: sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = ep }),
		iam: iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = ep }),
		kms: kms.NewFromConfig(cfg, func(o *kms.Options) { o.BaseEndpoint = ep }),
		cp:  codepipeline.NewFromConfig(cfg, func(o *codepipeline.Options) { o.BaseEndpoint = ep }),
		s3:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = ep; o.UsePathStyle = true }),
		ssm: ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = ep }),
		sm:  secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = ep }),
	}
}

// root is the clients of an account's root.
func (c *cloud) root(account string) *clients {
	k := c.key(account)
	return c.clients(k.ID, k.Secret, "")
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

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantCode(t testing.TB, what string, err error, code string) {
	t.Helper()
	if codeOf(err) != code {
		t.Errorf("%s: error %v, want %s", what, err, code)
	}
}
