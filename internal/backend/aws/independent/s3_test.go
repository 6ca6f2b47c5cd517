package independent

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/endpoint"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	_ "github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/backends"
)

const account = "111111111111"

// awsBackend opens the aws backend with S3 at s3URL (and the other services at the local
// cloud's AWS endpoint, which says who the credentials are).
func awsBackend(t *testing.T, s3URL, kmsURL string) (backend.Backend, *backend.AccessKey) {
	t.Helper()
	dir := t.TempDir()
	local, err := backend.Open(context.Background(), backend.Config{Kind: backend.KindLocal, AccountID: account, Region: backend.DefaultRegion, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	cloud, err := backend.CloudOf(local)
	if err != nil {
		t.Fatal(err)
	}
	ep := endpoint.New(endpoint.Config{Cloud: cloud, Logf: t.Logf})
	srv := httptest.NewServer(ep)
	t.Cleanup(func() { srv.Close(); ep.Close(); local.Close() })
	key, err := cloud.AccountKey(context.Background(), account, true)
	if err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, fmt.Appendf(nil, "[test]\naws_access_key_id = %s\naws_secret_access_key = %s\n", key.ID, key.Secret), 0o600); err != nil {
		t.Fatal(err)
	}
	endpoints := map[string]string{}
	for _, s := range backend.AWSServices {
		endpoints[s] = srv.URL
	}
	if s3URL != "" {
		endpoints["s3"] = s3URL
	}
	if kmsURL != "" {
		endpoints["kms"] = kmsURL
	}
	b, err := backend.Open(context.Background(), backend.Config{Kind: backend.KindAWS, AccountID: account, Region: backend.DefaultRegion,
		AWS: backend.AWSConfig{Profile: "test", SharedCredentialsFiles: []string{creds}, SharedConfigFiles: []string{creds}, Endpoints: endpoints}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, key
}

// TestS3VersionsAndForcedDeleteOnGofakes3: the aws backend's object versions, delete markers
// and forced bucket delete against gofakes3 (its in-memory backend keeps versions).
func TestS3VersionsAndForcedDeleteOnGofakes3(t *testing.T) {
	fake := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer fake.Close()
	b, key := awsBackend(t, fake.URL, "")
	ctx := context.Background()

	// The bucket is made with the SDK: gofakes3 has no bucket policy or default encryption,
	// which the backend's CreateBucket reads back.
	s3c := s3.New(s3.Options{Region: backend.DefaultRegion, BaseEndpoint: aws.String(fake.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(key.ID, key.Secret, "")})
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("ver")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("ver"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}

	v1, err := b.PutObject(ctx, "", "ver", "app.zip", strings.NewReader("one"))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := b.PutObject(ctx, "", "ver", "app.zip", strings.NewReader("two"))
	if err != nil {
		t.Fatal(err)
	}
	if v1 == v2 || v1 == "" || v1 == backend.NullVersion {
		t.Fatalf("version ids %q and %q", v1, v2)
	}
	if body, info, err := b.GetObject(ctx, "", "ver", "app.zip", v1); err != nil || string(body) != "one" || info.VersionID != v1 || info.IsLatest {
		t.Errorf("version %s = %q %+v %v", v1, body, info, err)
	}
	if body, info, err := b.GetObject(ctx, "", "ver", "app.zip", ""); err != nil || string(body) != "two" || !info.IsLatest {
		t.Errorf("latest = %q %+v %v", body, info, err)
	}
	versions, err := b.ListObjectVersions(ctx, "", "ver", "")
	if err != nil || len(versions) != 2 || versions[0].VersionID != v2 || versions[1].VersionID != v1 {
		t.Errorf("ListObjectVersions = %+v, %v; want %s then %s", versions, err, v2, v1)
	}
	marker, err := b.DeleteObject(ctx, "", "ver", "app.zip", "")
	if err != nil || !marker.DeleteMarker {
		t.Errorf("DeleteObject without a version = %+v, %v; want a delete marker", marker, err)
	}
	if _, _, err := b.GetObject(ctx, "", "ver", "app.zip", ""); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("GetObject behind the marker: %v, want not found", err)
	}
	if err := b.DeleteBucket(ctx, "ver", false); !errors.Is(err, backend.ErrBucketNotEmpty) {
		t.Errorf("deleting the bucket holding versions: %v, want ErrBucketNotEmpty", err)
	}
	if err := b.DeleteBucket(ctx, "ver", true); err != nil {
		t.Fatalf("forced delete: %v", err)
	}
	if _, err := s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("ver")}); err == nil {
		t.Error("the bucket is still there after the forced delete")
	}
}
