package endpoint_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/endpoint"
)

// TestTLS: the endpoint over HTTPS with the CA generated in its directory, trusted by a client
// from the CA file alone; the second start reuses the same CA.
func TestTLS(t *testing.T) {
	c := newCloud(t)
	dir := filepath.Join(t.TempDir(), "aws-tls")
	cfg, caPath, err := endpoint.TLSConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(c.ep)
	srv.TLS = cfg
	srv.StartTLS()
	defer srv.Close()
	pem, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("the CA file holds no certificate")
	}
	k := c.key(acctA)
	client := sts.NewFromConfig(aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(k.ID, k.Secret, ""),
		HTTPClient: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}},
		func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	id, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != acctA {
		t.Fatalf("GetCallerIdentity over TLS: %v", err)
	}
	if _, again, err := endpoint.TLSConfig(dir); err != nil || again != caPath {
		t.Errorf("TLSConfig again: %s, %v", again, err)
	}
	if again, _ := os.ReadFile(caPath); string(again) != string(pem) {
		t.Error("the second start made another CA")
	}
	for _, f := range []string{"ca-key.pem", "server-key.pem"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", f, fi.Mode(), err)
		}
	}
}

// TestAuthNone: unsigned requests act as the default account's root; signed ones are not
// checked against any key.
func TestAuthNone(t *testing.T) {
	c := newCloud(t, func(cfg *endpoint.Config) { cfg.AuthNone = true })
	resp, err := http.Post(c.srv.URL, "application/x-www-form-urlencoded", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<Arn>arn:aws:iam::111111111111:root</Arn>") {
		t.Errorf("an unsigned GetCallerIdentity: %d %s", resp.StatusCode, body)
	}
	cl := c.clients("AKIANOTAKEYANYWHERE0", "whatever", "")
	id, err := cl.sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != acctA {
		t.Errorf("a request signed with an unknown key under -auth none: %v", err)
	}
}
