package backends_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/endpoint"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/backends"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/backendtest"
)

// awsCloud is the local cloud served over the AWS wire on loopback: the AWS backend's test
// bed. Each account acts with its root's access key, from a shared credentials file of its
// own profile, as a user's configuration would give it.
type awsCloud struct {
	url     string
	cloud   backend.Cloud
	creds   string // the shared credentials file
	config  string // an empty shared config file (the user's ~/.aws/config is not read)
	mu      sync.Mutex
	written map[string]bool
}

func newAWSCloud(t *testing.T) *awsCloud {
	t.Helper()
	dir := t.TempDir()
	local, err := backend.Open(context.Background(), backend.Config{Kind: backend.KindLocal, AccountID: backendtest.AccountA,
		Region: backend.DefaultRegion, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	cloud, err := backend.CloudOf(local)
	if err != nil {
		t.Fatal(err)
	}
	ep := endpoint.New(endpoint.Config{Cloud: cloud, Logf: t.Logf})
	srv := httptest.NewServer(ep)
	t.Cleanup(func() {
		srv.Close()
		ep.Close()
		local.Close()
	})
	c := &awsCloud{url: srv.URL, cloud: cloud, creds: filepath.Join(dir, "credentials"), config: filepath.Join(dir, "config"), written: map[string]bool{}}
	for _, f := range []string{c.creds, c.config} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// profile writes account's profile (its root's key) once and returns its name.
func (c *awsCloud) profile(t *testing.T, account string) string {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	name := "acct-" + account
	if c.written[account] {
		return name
	}
	k, err := c.cloud.AccountKey(context.Background(), account, true)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(c.creds, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n", name, k.ID, k.Secret); err != nil {
		t.Fatal(err)
	}
	c.written[account] = true
	return name
}

// config is the provider configuration of the aws backend acting as account in region.
func (c *awsCloud) config_(t *testing.T, account, region string) backend.Config {
	endpoints := map[string]string{}
	for _, s := range backend.AWSServices {
		endpoints[s] = c.url
	}
	return backend.Config{Kind: backend.KindAWS, AccountID: account, Region: region, AWS: backend.AWSConfig{
		Profile: c.profile(t, account), SharedCredentialsFiles: []string{c.creds}, SharedConfigFiles: []string{c.config}, Endpoints: endpoints}}
}

// TestAWSBackendConforms runs the conformance suite against the aws backend, opened as every
// caller opens it (backend.Open), talking to the local cloud's AWS endpoint.
func TestAWSBackendConforms(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backendtest.Partition {
		c := newAWSCloud(t)
		return func(t *testing.T, accountID, region string) backend.Backend {
			t.Helper()
			b, err := backend.Open(context.Background(), c.config_(t, accountID, region))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}, backendtest.Options{})
}

// TestAWSBackendChecksTheAccount: credentials of another account than account_id are refused
// at Open, naming both accounts.
func TestAWSBackendChecksTheAccount(t *testing.T) {
	c := newAWSCloud(t)
	cfg := c.config_(t, backendtest.AccountA, backend.DefaultRegion)
	cfg.AccountID = backendtest.AccountB
	_, err := backend.Open(context.Background(), cfg)
	var ce *backend.ConfigError
	if err == nil || !strings.Contains(err.Error(), backendtest.AccountA) || !strings.Contains(err.Error(), backendtest.AccountB) {
		t.Fatalf("Open with account A's credentials as account B = %v, want an error naming both", err)
	}
	if ok := asConfigError(err, &ce); !ok || ce.Attribute != "account_id" {
		t.Errorf("error %v is not a ConfigError on account_id", err)
	}
	cfg.AccountID = ""
	b, err := backend.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if id := b.Identity(); id.AccountID != backendtest.AccountA || id.Kind != backend.KindAWS {
		t.Errorf("Identity without account_id = %+v, want the credentials' account %s", id, backendtest.AccountA)
	}
}

func asConfigError(err error, target **backend.ConfigError) bool { return errors.As(err, target) }

// TestRealAWSGuideHasThePolicy: the guide publishes the policy the table of operations makes
// (make generate writes it; this fails when one moved without the other).
func TestRealAWSGuideHasThePolicy(t *testing.T) {
	path := filepath.Join("..", "..", "..", "templates", "guides", "real-aws.md.tmpl")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := backends.WithPolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	if string(doc) != string(want) {
		t.Errorf("%s does not publish the aws backend's least-privilege policy: run make generate", path)
	}
	for _, action := range []string{"codepipeline:StartPipelineExecution", "iam:PassRole", "s3:PutBucketPolicy", "kms:PutKeyPolicy", "sts:GetCallerIdentity"} {
		if !strings.Contains(backends.AWSLeastPrivilegePolicy(), `"`+action+`"`) {
			t.Errorf("the policy lacks %s", action)
		}
	}
}

// TestAWSBackendAssumesARole: aws { assume_role } acts as the role (its account's identity),
// through STS with the role's trust policy and external id deciding; a role it may not assume
// fails at Open, naming it.
func TestAWSBackendAssumesARole(t *testing.T) {
	c := newAWSCloud(t)
	ctx := context.Background()
	b := c.cloud.As(backendtest.AccountB, backend.DefaultRegion)
	defer b.Close()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"xyz"}}}]}`
	admin := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	if _, err := b.CreateRole(ctx, backend.Role{Name: "admin", TrustPolicy: trust, Policies: map[string]string{"all": admin}}); err != nil {
		t.Fatal(err)
	}
	cfg := c.config_(t, backendtest.AccountA, backend.DefaultRegion) // account A's credentials,
	cfg.AccountID = ""                                               // acting as whom the role is
	cfg.AWS.AssumeRole = &backend.AssumeRole{RoleARN: "arn:aws:iam::222222222222:role/admin", SessionName: "terraform", ExternalID: "xyz"}
	assumed, err := backend.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer assumed.Close()
	if id := assumed.Identity(); id.AccountID != backendtest.AccountB {
		t.Fatalf("acting as %s, want the role's account %s", id.AccountID, backendtest.AccountB)
	}
	if _, err := assumed.CreateBucket(ctx, backend.Bucket{Name: "made-by-the-role"}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.GetBucket(ctx, "made-by-the-role"); err != nil || got.AccountID != backendtest.AccountB {
		t.Errorf("the bucket the role made: %+v, %v; want it in account %s", got, err, backendtest.AccountB)
	}
	cfg.AWS.AssumeRole.ExternalID = "wrong"
	if _, err := backend.Open(ctx, cfg); err == nil || !strings.Contains(err.Error(), "role/admin") {
		t.Errorf("assuming the role with the wrong external id: %v, want a refusal naming the role", err)
	}
}

// TestAWSBackendFindsEndpointsAsTheSDKsDo: without aws.endpoints, AWS_ENDPOINT_URL_<SERVICE>
// points each service at the endpoint (over AWS_ENDPOINT_URL). A name that is no service is
// refused.
func TestAWSBackendFindsEndpointsAsTheSDKsDo(t *testing.T) {
	c := newAWSCloud(t)
	cfg := c.config_(t, backendtest.AccountA, backend.DefaultRegion)
	cfg.AWS.Endpoints = nil
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9") // overridden by each service's
	for _, s := range backend.AWSServices {
		t.Setenv("AWS_ENDPOINT_URL_"+strings.ToUpper(s), c.url)
	}
	b, err := backend.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.CreateBucket(context.Background(), backend.Bucket{Name: "path-style", Versioning: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.PutObject(context.Background(), "", "path-style", "k", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	cfg.AWS.Endpoints = map[string]string{"lambda": c.url}
	_, err = backend.Open(context.Background(), cfg)
	var ce *backend.ConfigError
	if !errors.As(err, &ce) || ce.Attribute != "aws.endpoints" || !strings.Contains(err.Error(), "lambda") {
		t.Errorf("an endpoint of an unknown service: %v, want a ConfigError on aws.endpoints naming it", err)
	}
}
