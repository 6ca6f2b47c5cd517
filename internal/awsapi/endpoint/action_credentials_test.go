package endpoint_test

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/internal/awscli"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// TestBuildActsAsItsRoleThroughTheEndpoint: with the AWS endpoint announced (as `serve` does),
// a CodeBuild action's `aws` commands reach it as a session of the action's role: the AWS CLI
// v1 in the buildspec sees the role session's identity, lists the bucket the role's policy
// grants, and is refused the one it does not. Without the announcement the build has no such
// credentials.
func TestBuildActsAsItsRoleThroughTheEndpoint(t *testing.T) {
	ctx := context.Background()
	bin := awscli.Find(t, "1")
	c := newCloud(t)
	runs, err := backend.RunsOf(c.b)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"build-artifacts", "build-source", "allowed-data", "other-data"} {
		must[*backend.Bucket](t)(c.b.CreateBucket(ctx, backend.Bucket{Name: b, Versioning: true}))
	}
	must[string](t)(c.b.PutObject(ctx, "", "allowed-data", "report.txt", strings.NewReader("granted")))
	must[string](t)(c.b.PutObject(ctx, "", "other-data", "secret.txt", strings.NewReader("not granted")))
	var src bytes.Buffer
	zw := zip.NewWriter(&src)
	w, _ := zw.Create("README.md")
	_, _ = w.Write([]byte("app"))
	_ = zw.Close()
	must[string](t)(c.b.PutObject(ctx, "", "build-source", "app.zip", &src))
	must[*backend.Role](t)(c.b.CreateRole(ctx, backend.Role{Name: "builder",
		TrustPolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codebuild.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		Policies: map[string]string{"build": `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::build-artifacts","arn:aws:s3:::build-artifacts/*"]},
			{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::allowed-data"},
			{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`}}))

	spec := `version: 0.2
env:
  variables:
    AWS_CONFIG_FILE: /nonexistent
    AWS_SHARED_CREDENTIALS_FILE: /nonexistent
    AWS_PAGER: ""
phases:
  build:
    commands:
      - echo "endpoint $AWS_ENDPOINT_URL"
      - ` + bin + ` sts get-caller-identity --query Arn --output text
      - ` + bin + ` s3 ls s3://allowed-data
      - ` + bin + ` s3 ls s3://other-data 2>&1 || echo "other-data refused"
`
	p := &pipeline.Pipeline{Name: "aws-in-build", RoleARN: "arn:aws:iam::" + acctA + ":role/pipeline",
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "build-artifacts", Type: "S3"}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{{Name: "Source", Category: "Source", Owner: "AWS", Provider: "S3", Version: "1",
				Configuration: map[string]string{"S3Bucket": "build-source", "S3ObjectKey": "app.zip", "PollForSourceChanges": "false"}, OutputArtifacts: []string{"src"}}}},
			{Name: "Build", Actions: []pipeline.Action{{Name: "Build", Category: "Build", Owner: "AWS", Provider: "CodeBuild", Version: "1",
				RoleARN:       "arn:aws:iam::" + acctA + ":role/builder",
				Configuration: map[string]string{"ProjectName": "app", "BuildSpec": spec}, InputArtifacts: []string{"src"}}}},
		}}
	must[*backend.PipelineRecord](t)(c.b.CreatePipeline(ctx, p))
	build := func() (*backend.Run, string) {
		t.Helper()
		run := must[*backend.Run](t)(runs.StartRun(ctx, backend.RunRequest{Pipeline: p.Name}))
		run = must[*backend.Run](t)(runs.ExecuteRun(ctx, p.Name, run.ID))
		log := must[[]byte](t)(must[backend.ActionLogs](t)(backend.ActionLogsOf(c.b)).ActionLog(ctx, p.Name, run.ID, "Build", "Build"))
		return run, string(log)
	}

	if err := c.c.AnnounceEndpoint(ctx, backend.EndpointAnnouncement{URL: c.srv.URL}, time.Hour); err != nil {
		t.Fatal(err)
	}
	run, log := build()
	t.Logf("the build's log:\n%s", log)
	if run.Status != backend.StatusSucceeded {
		t.Fatalf("run %s: %+v\n%s", run.Status, run.Stages, log)
	}
	for _, want := range []string{
		"endpoint " + c.srv.URL,
		"arn:aws:sts::" + acctA + ":assumed-role/builder/AWSCodeBuild-",
		"report.txt",
		"AccessDenied",
		"other-data refused",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the build's log does not show %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "secret.txt") {
		t.Errorf("the role listed a bucket its policy does not grant:\n%s", log)
	}

	// Withdrawn (serve stopped): no credentials, no endpoint.
	if err := c.c.AnnounceEndpoint(ctx, backend.EndpointAnnouncement{URL: c.srv.URL}, 0); err != nil {
		t.Fatal(err)
	}
	_, log = build()
	if strings.Contains(log, "assumed-role/builder") || !strings.Contains(log, "endpoint \n") {
		t.Errorf("without an announced endpoint the build still got credentials for it:\n%s", log)
	}
}
