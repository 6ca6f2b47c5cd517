package local

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

const (
	acctA  = "111111111111" // the pipeline account
	acctB  = "222222222222" // the target account
	region = "us-east-1"
)

// clock is an injectable time source tests move forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// openCloud opens a fresh state directory (or dir, when given) closed at the end of the test.
func openCloud(t *testing.T, dir string, opts ...Option) *Cloud {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	c, err := Open(backend.Config{Kind: backend.KindLocal, AccountID: acctA, Region: region, StateDir: dir}, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// accounts returns the two accounts of one local cloud.
func accounts(t *testing.T, opts ...Option) (*Cloud, *Account, *Account) {
	t.Helper()
	c := openCloud(t, "", opts...)
	a, b := c.As(acctA, region), c.As(acctB, region)
	t.Cleanup(func() { a.Close(); b.Close() })
	return c, a, b
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

// keyMaterial is the test hook onto a key's raw material versions (index 0 = version 1).
func (c *Cloud) keyMaterial(t *testing.T, keyARN string) [][]byte {
	t.Helper()
	ctx := context.Background()
	k, err := scanKey(c.reader.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM kms_keys WHERE arn = ?`, keyARN))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for v := 1; v <= k.currentMaterial; v++ {
		m, err := c.material(ctx, c.reader, k, v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// crossAccountSetup builds the seed scenario: in A a key granting B's deploy role and a
// versioned bucket granting it; in B the deploy role allowed to use both.
type crossAccount struct {
	cloud      *Cloud
	a, b       *Account
	key        *backend.Key
	bucket     string
	deployRole string
}

func newCrossAccount(t *testing.T, opts ...Option) *crossAccount {
	t.Helper()
	ctx := context.Background()
	c, a, b := accounts(t, opts...)
	x := &crossAccount{cloud: c, a: a, b: b, bucket: "artifacts-a", deployRole: arn.AWS.Role(acctB, "deploy")}
	x.key = must[*backend.Key](t)(a.CreateKey(ctx, backend.KeySpec{
		Description: "artifacts", Alias: "alias/artifacts", RotationEnabled: true,
		Policy: policy.KeyPolicy(arn.AWS, acctA, []string{x.deployRole}).JSON(),
	}))
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{
		Name: x.bucket, Versioning: true, EncryptionKeyARN: x.key.ARN,
		Policy: policy.BucketPolicy(arn.AWS, x.bucket, []string{x.deployRole}).JSON(),
	}))
	must[*backend.Role](t)(b.CreateRole(ctx, backend.Role{
		Name: "deploy", TrustPolicy: policy.TrustPolicy(arn.AWS, acctA).JSON(),
		Policies: map[string]string{"artifacts": policy.TargetRolePolicy(arn.AWS, x.bucket, x.key.ARN).JSON()},
	}))
	return x
}
