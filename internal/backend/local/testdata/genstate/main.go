//go:build ignore

// genstate wrote testdata/state-v6: a state directory as the provider of schema version 6
// left it (pipelines, a finished run with its logs and artifacts, object versions in rows and
// in files, keys with aliases and rotated material, roles with several inline policies, a
// webhook with a sealed secret, a trigger cursor), and expected.json, what that code read back
// from it. TestStateDirectoryOfSchemaV6 opens a copy with today's code and must read the same.
//
// It is kept to show how the fixture was made, not to be run again over it: run today, it
// would write today's formats. When the stored formats change, write a new fixture next to it
// with the code of that time (go run genstate.go OUT_DIR) and keep the old ones.
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/local"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

const (
	acctA  = "111111111111"
	acctB  = "222222222222"
	region = "us-east-1"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: go run genstate.go OUT_DIR")
	}
	out := os.Args[1]
	if err := generate(out); err != nil {
		log.Fatal(err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		log.Fatal(err)
	}
	return v
}

func zipOf(files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w := must(zw.Create(name))
		must(w.Write([]byte(content)))
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

// Expected is what the code of the fixture's time read back.
type Expected struct {
	SchemaVersion int
	Accounts      map[string]*AccountView
}

type AccountView struct {
	Buckets   []*backend.Bucket
	Keys      []*backend.Key
	Roles     []*backend.Role
	Pipelines []*backend.PipelineRecord
	Objects   map[string][]ObjectView // by bucket
	Runs      map[string][]*backend.Run
	Logs      map[string]string // execution/stage/action → log
	Webhooks  []*local.Webhook
}

type ObjectView struct {
	Info       local.ObjectInfo
	BodySHA256 string // of the plaintext read back; "" for a delete marker
}

func generate(dir string) error {
	ctx := context.Background()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	cfg := backend.Config{Kind: backend.KindLocal, AccountID: acctA, Region: region, StateDir: dir}
	c, err := local.Open(cfg)
	if err != nil {
		return err
	}
	a, b := c.As(acctA, region), c.As(acctB, region)

	deployRole := policy.RoleARN(acctB, "deploy")
	key := must(a.CreateKey(ctx, backend.KeySpec{Description: "fixture artifacts", Alias: "alias/fixture-artifacts",
		RotationEnabled: true, Policy: policy.KeyPolicy(acctA, []string{deployRole}).JSON()}))
	must(a.RotateKey(ctx, key.KeyID))
	other := must(a.CreateKey(ctx, backend.KeySpec{Description: "to be deleted", Policy: policy.KeyPolicy(acctA, nil).JSON()}))
	must(a.ScheduleKeyDeletion(ctx, other.KeyID, 30))

	must(a.CreateBucket(ctx, backend.Bucket{Name: "fixture-artifacts", Versioning: true, EncryptionKeyARN: key.ARN,
		Policy: policy.BucketPolicy("fixture-artifacts", []string{deployRole}).JSON()}))
	must(a.CreateBucket(ctx, backend.Bucket{Name: "fixture-source", Versioning: true}))
	must(a.CreateBucket(ctx, backend.Bucket{Name: "fixture-site", Versioning: false}))
	must(b.CreateBucket(ctx, backend.Bucket{Name: "fixture-target", Versioning: true}))

	must(a.PutObject(ctx, "", "fixture-source", "app.zip", bytes.NewReader(zipOf(map[string]string{"index.html": "version one"}))))
	must(a.PutObject(ctx, "", "fixture-source", "app.zip", bytes.NewReader(zipOf(map[string]string{"index.html": "version two", "build.sh": "echo built"}))))
	big := bytes.Repeat([]byte("0123456789abcdef"), 6000) // 96 KiB: above the inline limit, in a file under objects/
	must(a.PutObject(ctx, "", "fixture-source", "big.bin", bytes.NewReader(big)))
	must(a.PutObject(ctx, "", "fixture-source", "gone.txt", strings.NewReader("deleted later")))
	must(a.DeleteObject(ctx, "", "fixture-source", "gone.txt", ""))

	must(b.CreateRole(ctx, backend.Role{Name: "deploy", TrustPolicy: policy.TrustPolicy(acctA).JSON(),
		Policies: map[string]string{"artifacts": policy.TargetRolePolicy("fixture-artifacts", key.ARN, "fixture-target").JSON()}}))
	must(a.CreateRole(ctx, backend.Role{Name: "ops", TrustPolicy: policy.TrustPolicy(acctA).JSON(),
		Policies: map[string]string{
			"read":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
			"write": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::fixture-site/*"}]}`,
		}}))

	run := &pipeline.Pipeline{
		Name: "fixture-run", RoleARN: policy.RoleARN(acctA, "pipeline"), PipelineType: "V2", ExecutionMode: "QUEUED",
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "fixture-artifacts", Type: "S3",
			EncryptionKey: &pipeline.EncryptionKey{ID: key.ARN, Type: "KMS"}}},
		Variables: []pipeline.Variable{{Name: "greeting", DefaultValue: "hello", Description: "what the build says"}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{{
				Name: "Fetch", Category: "Source", Owner: "AWS", Provider: "S3", Version: "1", Namespace: "SourceVariables",
				Configuration:   map[string]string{"S3Bucket": "fixture-source", "S3ObjectKey": "app.zip", "PollForSourceChanges": "false"},
				OutputArtifacts: []string{"src"},
			}}},
			{Name: "Build", Actions: []pipeline.Action{{
				Name: "Make", Category: "Build", Owner: "AWS", Provider: "Commands", Version: "1", RunOrder: 1,
				Configuration:   map[string]string{"Commands": "echo #{variables.greeting} #{SourceVariables.VersionId}\nmkdir -p out && cp index.html out/"},
				InputArtifacts:  []string{"src"},
				OutputArtifacts: []string{"site"},
			}}, OnFailureResult: "RETRY"},
			{Name: "Deploy", Actions: []pipeline.Action{{
				Name: "Publish", Category: "Deploy", Owner: "AWS", Provider: "S3", Version: "1",
				Configuration:  map[string]string{"BucketName": "fixture-site", "Extract": "true"},
				InputArtifacts: []string{"site"}, TimeoutInMinutes: 20,
			}}},
		},
		Tags: map[string]string{"team": "platform"},
	}
	must(a.CreatePipeline(ctx, run))
	run.Variables[0].DefaultValue = "hello again"
	must(a.UpdatePipeline(ctx, run)) // version 2

	full := &pipeline.Pipeline{
		Name: "fixture-full", RoleARN: policy.RoleARN(acctA, "pipeline"), PipelineType: "V2", ExecutionMode: "PARALLEL",
		ArtifactStores: []pipeline.ArtifactStoreRef{
			{Location: "fixture-artifacts", Type: "S3", Region: "us-east-1", EncryptionKey: &pipeline.EncryptionKey{ID: key.ARN, Type: "KMS"}},
			{Location: "fixture-artifacts-west", Type: "S3", Region: "us-west-2", EncryptionKey: &pipeline.EncryptionKey{ID: "alias/west", Type: "KMS"}},
		},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{{
				Name: "Checkout", Category: "Source", Owner: "AWS", Provider: "CodeStarSourceConnection", Version: "1",
				Configuration: map[string]string{"ConnectionArn": "arn:aws:codestar-connections:us-east-1:111111111111:connection/abc",
					"FullRepositoryId": "org/app", "BranchName": "main", "OutputArtifactFormat": "CODE_ZIP"},
				OutputArtifacts: []string{"src"}, Namespace: "Src",
			}}},
			{Name: "Test", Actions: []pipeline.Action{
				{Name: "Unit", Category: "Test", Owner: "AWS", Provider: "CodeBuild", Version: "1", RunOrder: 1,
					Configuration: map[string]string{"ProjectName": "unit"}, InputArtifacts: []string{"src"}, OutputArtifacts: []string{"report"}},
				{Name: "Lint", Category: "Test", Owner: "AWS", Provider: "CodeBuild", Version: "1", RunOrder: 1,
					Configuration: map[string]string{"ProjectName": "lint"}, InputArtifacts: []string{"src"}},
				{Name: "Approve", Category: "Approval", Owner: "AWS", Provider: "Manual", Version: "1", RunOrder: 2, TimeoutInMinutes: 60,
					Configuration: map[string]string{"CustomData": "look at the report"}},
			}, OnFailureResult: "ROLLBACK"},
			{Name: "DeployWest", Actions: []pipeline.Action{{
				Name: "Publish", Category: "Deploy", Owner: "AWS", Provider: "S3", Version: "1", Region: "us-west-2",
				RoleARN:       deployRole,
				Configuration: map[string]string{"BucketName": "fixture-target", "Extract": "false", "ObjectKey": "site.zip"},
				InputArtifacts: []string{"src", "report"},
			}}},
		},
		Triggers: []pipeline.Trigger{{
			ProviderType: "CodeStarSourceConnection", SourceActionName: "Checkout",
			Push: []pipeline.GitFilter{
				{Branches: &pipeline.GlobFilter{Includes: []string{"main", "release/*"}, Excludes: []string{"release/old"}},
					FilePaths: &pipeline.GlobFilter{Includes: []string{"src/**"}}},
				{Tags: &pipeline.GlobFilter{Includes: []string{"v*"}}},
			},
			PullRequest: []pipeline.GitFilter{{Events: []string{"OPEN", "UPDATED"},
				Branches: &pipeline.GlobFilter{Includes: []string{"main"}}, FilePaths: &pipeline.GlobFilter{Excludes: []string{"docs/**"}}}},
		}},
		Variables: []pipeline.Variable{{Name: "env", DefaultValue: "prod"}, {Name: "empty"}},
	}
	must(a.CreatePipeline(ctx, full))
	v1 := &pipeline.Pipeline{
		Name: "fixture-v1", RoleARN: policy.RoleARN(acctA, "pipeline"), PipelineType: "V1",
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "fixture-artifacts", Type: "S3"}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{{Name: "Fetch", Category: "Source", Owner: "AWS", Provider: "S3", Version: "1",
				Configuration: map[string]string{"S3Bucket": "fixture-source", "S3ObjectKey": "app.zip"}, OutputArtifacts: []string{"src"}}}},
			{Name: "Build", Actions: []pipeline.Action{{Name: "Jenkins", Category: "Build", Owner: "Custom", Provider: "Jenkins", Version: "2",
				Configuration: map[string]string{"ProjectName": "legacy"}, InputArtifacts: []string{"src"}}}},
		},
	}
	must(b.CreatePipeline(ctx, &pipeline.Pipeline{Name: v1.Name, RoleARN: policy.RoleARN(acctB, "pipeline"), PipelineType: "V1",
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "fixture-target", Type: "S3"}}, Stages: v1.Stages}))

	started := must(a.StartRun(ctx, backend.RunRequest{Pipeline: "fixture-run", Variables: map[string]string{"greeting": "hi"},
		Trigger: "StartPipelineExecution", TriggerDetail: "fixture"}))
	ended := must(a.ExecuteRun(ctx, "fixture-run", started.ID))
	if ended.Status != backend.StatusSucceeded {
		return fmt.Errorf("fixture run %s: %s", ended.Status, ended.StatusReason)
	}

	must(a.PutWebhook(ctx, &local.Webhook{Name: "fixture-hook", Authentication: pipeline.WebhookAuthGitHubHMAC, SecretToken: "s3cr3t-token",
		Filters: []pipeline.WebhookFilter{{JSONPath: "$.ref", MatchEquals: "refs/heads/{Branch}"}, {JSONPath: "$.repository.name", MatchEquals: "app"}},
		TargetPipeline: "fixture-run", TargetAction: "Fetch", Tags: map[string]string{"owner": "ci"}}, false))
	must(b.PutWebhook(ctx, &local.Webhook{Name: "ip-hook", Authentication: pipeline.WebhookAuthIP, AllowedIPRange: "10.0.0.0/8",
		Filters: []pipeline.WebhookFilter{{JSONPath: "$.action", MatchEquals: "published"}}, TargetPipeline: "fixture-v1", TargetAction: "Fetch"}, false))
	if err := c.SaveTriggerCursor(ctx, local.CursorKey{AccountID: acctA, Region: region, Pipeline: "fixture-full", Action: "Checkout"},
		`{"identity":"git:/repos/org/app#trigger","refs":{"refs/heads/main":"0123456789abcdef0123456789abcdef01234567"}}`); err != nil {
		return err
	}

	exp := Expected{SchemaVersion: local.SchemaVersion(), Accounts: map[string]*AccountView{}}
	views := map[string]struct {
		acct      *local.Account
		buckets   []string
		keys      []string
		roles     []string
		pipelines []string
		webhooks  []string
	}{
		acctA: {a, []string{"fixture-artifacts", "fixture-source", "fixture-site"}, []string{key.ARN, other.ARN, "alias/fixture-artifacts"},
			[]string{"ops"}, []string{"fixture-run", "fixture-full"}, []string{"fixture-hook"}},
		acctB: {b, []string{"fixture-target"}, nil, []string{"deploy"}, []string{"fixture-v1"}, []string{"ip-hook"}},
	}
	for id, v := range views {
		av := &AccountView{Objects: map[string][]ObjectView{}, Runs: map[string][]*backend.Run{}, Logs: map[string]string{}}
		for _, n := range v.buckets {
			av.Buckets = append(av.Buckets, must(v.acct.GetBucket(ctx, n)))
			for _, info := range must(v.acct.ListObjectVersions(ctx, "", n, "")) {
				ov := ObjectView{Info: info}
				if !info.DeleteMarker {
					body, _ := must2(v.acct.GetObject(ctx, "", n, info.Key, info.VersionID))
					sum := sha256.Sum256(body)
					ov.BodySHA256 = hex.EncodeToString(sum[:])
				}
				av.Objects[n] = append(av.Objects[n], ov)
			}
		}
		for _, k := range v.keys {
			av.Keys = append(av.Keys, must(v.acct.GetKey(ctx, k)))
		}
		for _, r := range v.roles {
			av.Roles = append(av.Roles, must(v.acct.GetRole(ctx, r)))
		}
		for _, p := range v.pipelines {
			av.Pipelines = append(av.Pipelines, must(v.acct.GetPipeline(ctx, p)))
			runs := must(v.acct.ListRuns(ctx, p, 0))
			av.Runs[p] = runs
			for _, r := range runs {
				for _, st := range r.Stages {
					for _, ac := range st.Actions {
						l := must(v.acct.ActionLog(ctx, p, r.ID, st.Name, ac.Name))
						av.Logs[r.ID+"/"+st.Name+"/"+ac.Name] = string(l)
					}
				}
			}
		}
		for _, w := range v.webhooks {
			av.Webhooks = append(av.Webhooks, must(v.acct.GetWebhook(ctx, w)))
		}
		exp.Accounts[id] = av
	}
	a.Close()
	b.Close()
	if err := c.Close(); err != nil {
		return err
	}
	js, err := json.MarshalIndent(exp, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "..", filepath.Base(dir)+".expected.json"), append(js, '\n'), 0o644)
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		log.Fatal(err)
	}
	return a, b
}
