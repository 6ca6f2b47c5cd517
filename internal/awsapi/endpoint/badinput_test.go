package endpoint_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestBadInputStoresNothing: requests a client would never send — a body that does not match
// its Content-MD5, a malformed XML document, a pipeline document that is not JSON or names a
// field the domain does not hold, a key with a ".." segment — get AWS-shaped errors, and
// nothing is stored.
func TestBadInputStoresNothing(t *testing.T) {
	ctx := context.Background()
	c := newCloud(t)
	a := c.root(acctA)
	k := c.key(acctA)
	must[*s3.CreateBucketOutput](t)(a.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bad")}))
	send := func(service, method, path, target, contentType, body string, header map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		for h, v := range header {
			req.Header.Set(h, v)
		}
		sum := sha256.Sum256([]byte(body))
		hash := hex.EncodeToString(sum[:])
		req.Header.Set("X-Amz-Content-Sha256", hash)
		if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret}, req, hash, service, region, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		name                                 string
		service, method, path, target, ctype string
		body                                 string
		header                               map[string]string
		status                               int
		code                                 string
	}{
		{"a body that is not its Content-MD5", "s3", "PUT", "/bad/object", "", "", "hello",
			map[string]string{"Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="}, 400, "BadDigest"},
		{"a malformed versioning document", "s3", "PUT", "/bad?versioning", "", "", "<VersioningConfiguration><Status>Enabled", nil, 400, "MalformedXML"},
		{"a key with a .. segment", "s3", "PUT", "/bad/a/../../etc/passwd", "", "", "x", nil, 400, "InvalidArgument"},
		{"a pipeline that is not JSON", "codepipeline", "POST", "/", "CodePipeline_20150709.CreatePipeline", "application/x-amz-json-1.1", `{"pipeline":`, nil, 400, "SerializationException"},
		{"a pipeline with a field the domain does not hold", "codepipeline", "POST", "/", "CodePipeline_20150709.CreatePipeline", "application/x-amz-json-1.1",
			`{"pipeline":{"name":"p","roleArn":"arn:aws:iam::111111111111:role/r","artifactStore":{"type":"S3","location":"bad"},"stages":[{"name":"S","blockers":[{"name":"b","type":"Schedule"}],"actions":[]}]}}`,
			nil, 400, "InvalidStructureException"},
		{"an unknown operation", "codepipeline", "POST", "/", "CodePipeline_20150709.ListWebhooks", "application/x-amz-json-1.1", `{}`, nil, 400, "UnknownOperationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := send(tc.service, tc.method, tc.path, tc.target, tc.ctype, tc.body, tc.header)
			if status != tc.status || !strings.Contains(body, tc.code) {
				t.Errorf("%d %s, want %d %s", status, body, tc.status, tc.code)
			}
		})
	}
	objs := must[*s3.ListObjectVersionsOutput](t)(a.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("bad")}))
	if len(objs.Versions) > 0 {
		t.Errorf("refused writes stored %d versions", len(objs.Versions))
	}
	if v := must[*s3.GetBucketVersioningOutput](t)(a.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("bad")})); v.Status != "" {
		t.Errorf("a malformed document changed versioning to %s", v.Status)
	}
	if ps := must[*codepipeline.ListPipelinesOutput](t)(a.cp.ListPipelines(ctx, &codepipeline.ListPipelinesInput{})); len(ps.Pipelines) > 0 {
		t.Errorf("refused pipelines were stored: %v", ps.Pipelines)
	}
	c.validate(t)
}
