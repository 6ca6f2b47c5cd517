package provider

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/endpoint"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// The acceptance tests of stores, keys, roles, pipelines, the cross-account scenario and a
// run run their one body twice (eachBackend): with the local backend, and with backend =
// "aws" through aws-sdk-go-v2 against the local cloud's AWS endpoint, served in this test
// process on loopback over a fresh state directory. Terraform and the provider find the
// endpoint and the credentials as a user's configuration gives them: CODEPIPELINE_BACKEND,
// AWS_ENDPOINT_URL, AWS_SHARED_CREDENTIALS_FILE with a profile per account (acct-ACCOUNT),
// AWS_PROFILE for the default account, AWS_REGION. A provider block naming another account
// gets that account's profile (forBackend).

// awsTestClouds are the endpoints of the aws runs, by state directory: testBackend acts
// through the aws backend where the test runs against one.
var awsTestClouds sync.Map // dir → *awsTestCloud

type awsTestCloud struct {
	url, creds, config string
	mu                 sync.Mutex
	ops                map[string]int // service/operation → calls answered, since resetCalls
}

// resetCalls starts counting the calls the endpoint answers anew; calls returns them.
func (c *awsTestCloud) resetCalls() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops = map[string]int{}
}

func (c *awsTestCloud) calls() (int, map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, out := 0, map[string]int{}
	for op, k := range c.ops {
		n += k
		out[op] = k
	}
	return n, out
}

// the test accounts, each with a profile of its root's access key.
var testAccounts = []string{"111111111111", "222222222222"}

// eachBackend runs body with the local backend, then with the aws backend against the AWS
// endpoint; dir is the state directory of the run (the endpoint's, for aws).
func eachBackend(t *testing.T, body func(t *testing.T, dir string)) {
	t.Run("local", func(t *testing.T) { body(t, testStateDir(t)) })
	t.Run("aws", func(t *testing.T) { body(t, awsTestBackend(t)) })
}

// awsTestBackend serves the AWS endpoint over a fresh state directory and points
// CODEPIPELINE_BACKEND=aws and the AWS SDK's environment at it.
func awsTestBackend(t *testing.T) string {
	t.Helper()
	dir := testStateDir(t)
	local := testBackendErr(dir, testAccounts[0])
	cloud, err := backend.CloudOf(local)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	c := &awsTestCloud{ops: map[string]int{}}
	ep := endpoint.New(endpoint.Config{Cloud: cloud, Logf: t.Logf, Observe: func(e awsapi.Exchange) {
		calls.Add(1)
		c.mu.Lock()
		c.ops[e.Service+"/"+e.Operation]++
		c.mu.Unlock()
	}})
	srv := httptest.NewServer(ep)
	t.Cleanup(func() {
		// The run went through the aws backend: the endpoint answered it.
		if calls.Load() == 0 && !t.Failed() {
			t.Error("the aws run made no call to the AWS endpoint: the provider did not use the aws backend")
		}
		srv.Close()
		ep.Close()
		local.Close()
		awsTestClouds.Delete(dir)
	})
	aws := filepath.Join(t.TempDir(), "aws")
	if err := os.MkdirAll(aws, 0o700); err != nil {
		t.Fatal(err)
	}
	c.url, c.creds, c.config = srv.URL, filepath.Join(aws, "credentials"), filepath.Join(aws, "config")
	var profiles string
	for _, acct := range testAccounts {
		k, err := cloud.AccountKey(context.Background(), acct, true)
		if err != nil {
			t.Fatal(err)
		}
		profiles += fmt.Sprintf("[acct-%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n", acct, k.ID, k.Secret)
	}
	if err := os.WriteFile(c.creds, []byte(profiles), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.config, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		backend.BackendEnv: backend.KindAWS, "AWS_ENDPOINT_URL": c.url, "AWS_SHARED_CREDENTIALS_FILE": c.creds, "AWS_CONFIG_FILE": c.config,
		"AWS_PROFILE": "acct-" + testAccounts[0], "AWS_REGION": backend.DefaultRegion,
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_DEFAULT_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	awsTestClouds.Store(dir, c)
	return dir
}

// awsBackendOf opens the aws backend acting as account against the endpoint of dir, or
// returns nil when the test runs with the local backend.
func awsBackendOf(dir, account string) (backend.Backend, bool, error) {
	v, ok := awsTestClouds.Load(dir)
	if !ok {
		return nil, false, nil
	}
	c := v.(*awsTestCloud)
	endpoints := map[string]string{}
	for _, s := range backend.AWSServices {
		endpoints[s] = c.url
	}
	b, err := backend.Open(context.Background(), backend.Config{Kind: backend.KindAWS, AccountID: account, Region: backend.DefaultRegion,
		AWS: backend.AWSConfig{Profile: "acct-" + account, SharedCredentialsFiles: []string{c.creds}, SharedConfigFiles: []string{c.config}, Endpoints: endpoints}})
	return b, true, err
}

var accountAttr = regexp.MustCompile(`(?m)^(\s*)account_id\s*=\s*"([0-9]{12})"\s*$`)

// forBackend is config as the current run needs it: with the aws backend, each provider block
// naming an account gets that account's profile.
func forBackend(config string) string {
	if os.Getenv(backend.BackendEnv) != backend.KindAWS {
		return config
	}
	return accountAttr.ReplaceAllString(config, "${0}\n${1}aws {\n${1}  profile = \"acct-${2}\"\n${1}}")
}

// TestAccAWSBackendNumbers measures, for the record, what the aws backend costs against the
// local backend in one run: apply and destroy of the cross-account scenario (a key, an artifact
// store, a role and a pipeline over two accounts) on each, and the calls a refresh (terraform
// plan) makes on AWS, counted at the endpoint — the AWS provider's configuration of the same
// infrastructure (internal/awsapi/endpoint/testdata/terraform) is counted by
// TestAccAWSProvider. It logs the numbers; the plans must be empty. No timing is asserted.
func TestAccAWSBackendNumbers(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make test does)")
	}
	useProviderBinary(t)
	tf := terraformPath(t)
	took := map[string][2]time.Duration{}
	eachBackend(t, func(t *testing.T, dir string) {
		work := t.TempDir()
		if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(xacctScenario{}.config()), 0o600); err != nil {
			t.Fatal(err)
		}
		run := func(args ...string) time.Duration {
			t.Helper()
			start := time.Now()
			out, err := runTerraform(tf, work, args...)
			if err != nil {
				t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			return time.Since(start)
		}
		apply := run("apply", "-auto-approve", "-input=false", "-no-color")
		v, onAWS := awsTestClouds.Load(dir)
		if onAWS {
			c := v.(*awsTestCloud)
			c.resetCalls()
			run("plan", "-input=false", "-no-color", "-detailed-exitcode")
			n, ops := c.calls()
			names := make([]string, 0, len(ops))
			for op, k := range ops {
				names = append(names, fmt.Sprintf("%s %d", op, k))
			}
			sort.Strings(names)
			const resources = 4
			t.Logf("refresh (terraform plan) of the cross-account scenario on the aws backend: %d calls for %d resources (%.1f a resource): %s",
				n, resources, float64(n)/resources, strings.Join(names, ", "))
			if n == 0 {
				t.Error("the plan made no call: it did not refresh against AWS")
			}
		}
		destroy := run("destroy", "-auto-approve", "-input=false", "-no-color")
		took[filepath.Base(t.Name())] = [2]time.Duration{apply, destroy}
	})
	l, a := took["local"], took["aws"]
	if l[0] > 0 && a[0] > 0 {
		t.Logf("apply %s local, %s aws → endpoint (ratio %.2f); destroy %s local, %s aws (ratio %.2f)",
			l[0].Round(time.Millisecond), a[0].Round(time.Millisecond), float64(a[0])/float64(l[0]),
			l[1].Round(time.Millisecond), a[1].Round(time.Millisecond), float64(a[1])/float64(l[1]))
	}
}
