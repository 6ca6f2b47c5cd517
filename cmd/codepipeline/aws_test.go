package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/endpoint"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// TestRunsOnAWS: with -backend aws the CLI's start, runs list and runs logs act on AWS itself
// through the aws backend — here the local cloud's AWS endpoint, found as the AWS SDKs find
// it (AWS_ENDPOINT_URL, a profile of a shared credentials file).
func TestRunsOnAWS(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	local, err := backend.Open(ctx, backend.Config{Kind: backend.KindLocal, AccountID: backend.DefaultAccountID, Region: backend.DefaultRegion, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	cloud, err := backend.CloudOf(local)
	if err != nil {
		t.Fatal(err)
	}
	ep := endpoint.New(endpoint.Config{Cloud: cloud, Logf: t.Logf})
	srv := httptest.NewServer(ep)
	defer func() { srv.Close(); ep.Close() }()
	key, err := cloud.AccountKey(ctx, backend.DefaultAccountID, true)
	if err != nil {
		t.Fatal(err)
	}
	creds, config := filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
	if err := os.WriteFile(creds, fmt.Appendf(nil, "[ci]\naws_access_key_id = %s\naws_secret_access_key = %s\n", key.ID, key.Secret), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": srv.URL, "AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_CONFIG_FILE": config, "AWS_REGION": backend.DefaultRegion,
		"AWS_PROFILE": "", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", backend.StateDirEnv: filepath.Join(dir, "nowhere"), backend.BackendEnv: ""} {
		t.Setenv(k, v)
	}
	// The pipeline, made on the local cloud beneath the endpoint: an S3 source deployed to a bucket.
	for _, b := range []string{"web-artifacts", "web-source", "web-site"} {
		if _, err := local.CreateBucket(ctx, backend.Bucket{Name: b, Versioning: true}); err != nil {
			t.Fatal(err)
		}
	}
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	w, _ := zw.Create("index.html")
	w.Write([]byte("hello")) //nolint:errcheck // a buffer
	zw.Close()
	if _, err := local.PutObject(ctx, "", "web-source", "site.zip", &zipped); err != nil {
		t.Fatal(err)
	}
	if _, err := local.CreatePipeline(ctx, &pipeline.Pipeline{Name: "web", RoleARN: "arn:aws:iam::111111111111:role/pipeline", PipelineType: "V2",
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "web-artifacts", Type: "S3"}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{{Name: "Fetch", Category: "Source", Owner: "AWS", Provider: "S3", Version: "1", OutputArtifacts: []string{"site"},
				Configuration: map[string]string{"S3Bucket": "web-source", "S3ObjectKey": "site.zip", "PollForSourceChanges": "false"}}}},
			{Name: "Deploy", Actions: []pipeline.Action{{Name: "Publish", Category: "Deploy", Owner: "AWS", Provider: "S3", Version: "1", InputArtifacts: []string{"site"},
				Configuration: map[string]string{"BucketName": "web-site", "Extract": "true"}}}},
		}}); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCLI("start", "web", "-backend", "aws", "-profile", "ci")
	if code != 0 || !strings.Contains(out, backend.StatusSucceeded) {
		t.Fatalf("start -backend aws: exit %d\n%s\n%s", code, out, errOut)
	}
	runs, err := backend.RunsOf(local)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := runs.GetRun(ctx, "web", "")
	if err != nil || latest.Status != backend.StatusSucceeded {
		t.Fatalf("the run on the cloud: %+v, %v", latest, err)
	}
	t.Setenv(backend.BackendEnv, backend.KindAWS) // the environment chooses the backend as well as the flag
	code, out, errOut = runCLI("runs", "list", "web", "-profile", "ci")
	if code != 0 || !strings.Contains(out, latest.ID) {
		t.Errorf("runs list with CODEPIPELINE_BACKEND=aws: exit %d, want %s listed\n%s\n%s", code, latest.ID, out, errOut)
	}
	code, _, errOut = runCLI("runs", "logs", "web", latest.ID, "Deploy", "Publish", "-profile", "ci")
	if code == 0 || !strings.Contains(errOut, "external execution URL") {
		t.Errorf("runs logs on AWS: exit %d, want a refusal pointing at the action's external execution URL\n%s", code, errOut)
	}
}
