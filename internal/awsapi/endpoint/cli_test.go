package endpoint_test

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/internal/awscli"
)

// TestAWSCLISession is the AWS CLI session of the issue, with the AWS CLI v1 (botocore
// 1.43, which knows CodePipeline's V2 fields) and v2 (2.9.19, which predates them), each
// against its own local cloud: a versioned bucket with two versions of an object, a 20 MB copy
// both ways, a KMS key and alias round-tripping encrypt and decrypt, a role with a policy,
// get-caller-identity, assume-role and AccessDenied where the role's policy grants nothing,
// and the pipeline of the CLI's own create-pipeline example created, read back, updated to
// version 2 with a Manual approval (and V2 fields with v1), run, approved with the token of
// get-pipeline-state, its action executions listed, and deleted. Every response is then
// validated against the service models.
func TestAWSCLISession(t *testing.T) {
	for _, major := range []string{"1", "2"} {
		t.Run("v"+major, func(t *testing.T) {
			t.Parallel()
			bin := awscli.Find(t, major)
			c := newCloud(t)
			k := c.key(acctA)
			cli := awscli.New(t, bin, c.srv.URL, k.ID, k.Secret)
			s := &session{t: t, c: c, cli: cli, v1: major == "1", dir: cli.Home}
			s.buckets()
			keyID := s.kms()
			s.roles(keyID)
			s.pipeline(bin)
			if n := c.validate(t); n < 50 {
				t.Errorf("only %d responses validated", n)
			}
		})
	}
}

type session struct {
	t   *testing.T
	c   *cloud
	cli *awscli.CLI
	v1  bool
	dir string
}

func (s *session) file(name string, data []byte) string {
	s.t.Helper()
	p := filepath.Join(s.dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		s.t.Fatal(err)
	}
	return p
}

func jsonOf(t *testing.T, out string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("not JSON: %v\n%.500s", err, out)
	}
	return m
}

// at walks a decoded JSON value by keys and indexes.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func (s *session) buckets() {
	t, cli := s.t, s.cli
	cli.OK(t, "make_bucket: notes", "s3", "mb", "s3://notes")
	cli.OK(t, "", "s3api", "put-bucket-versioning", "--bucket", "notes", "--versioning-configuration", "Status=Enabled")
	cli.OK(t, `"Status": "Enabled"`, "s3api", "get-bucket-versioning", "--bucket", "notes")
	first := jsonOf(t, cli.OK(t, `"VersionId"`, "s3api", "put-object", "--bucket", "notes", "--key", "notes.txt", "--body", s.file("one.txt", []byte("one"))))
	cli.OK(t, `"VersionId"`, "s3api", "put-object", "--bucket", "notes", "--key", "notes.txt", "--body", s.file("two.txt", []byte("two")))
	versions := jsonOf(t, cli.OK(t, `"Versions"`, "s3api", "list-object-versions", "--bucket", "notes", "--prefix", "notes.txt"))
	if vs, _ := versions["Versions"].([]any); len(vs) != 2 || at(vs, 0, "IsLatest") != true || at(vs, 1, "IsLatest") != false {
		t.Errorf("list-object-versions: want two versions, the newest latest: %v", versions["Versions"])
	}
	back := filepath.Join(s.dir, "back.txt")
	cli.OK(t, `"VersionId"`, "s3api", "get-object", "--bucket", "notes", "--key", "notes.txt", "--version-id", first["VersionId"].(string), back)
	if got, _ := os.ReadFile(back); string(got) != "one" {
		t.Errorf("the first version reads %q, want one", got)
	}

	data := make([]byte, 20<<20)
	rand.Read(data) //nolint:errcheck // crypto/rand.Read does not fail
	big := s.file("big.bin", data)
	cli.OK(t, "upload: ", "s3", "cp", big, "s3://notes/dir/big file.bin")
	cli.OK(t, "download: ", "s3", "cp", "s3://notes/dir/big file.bin", filepath.Join(s.dir, "big-back.bin"))
	if got, _ := os.ReadFile(filepath.Join(s.dir, "big-back.bin")); !bytes.Equal(got, data) {
		t.Errorf("the 20 MB file came back as %d different bytes", len(got))
	}
	head := jsonOf(t, cli.OK(t, `"ETag"`, "s3api", "head-object", "--bucket", "notes", "--key", "dir/big file.bin"))
	if etag, _ := head["ETag"].(string); !strings.Contains(etag, "-") {
		t.Errorf("the 20 MB upload's ETag %s is not a multipart ETag", etag)
	}
	cli.OK(t, "big file.bin", "s3", "ls", "s3://notes/dir/")
}

func (s *session) kms() string {
	t, cli := s.t, s.cli
	key := jsonOf(t, cli.OK(t, `"KeyId"`, "kms", "create-key", "--description", "the CLI's key"))
	keyID, _ := at(key, "KeyMetadata", "KeyId").(string)
	cli.OK(t, "", "kms", "create-alias", "--alias-name", "alias/cli", "--target-key-id", keyID)
	cli.OK(t, `"AliasName": "alias/cli"`, "kms", "list-aliases")
	cli.OK(t, `"Description": "the CLI's key"`, "kms", "describe-key", "--key-id", "alias/cli")
	plain := []byte("attack at dawn")
	ct := strings.TrimSpace(cli.OK(t, "", "kms", "encrypt", "--key-id", "alias/cli", "--plaintext", "fileb://"+s.file("plain.txt", plain),
		"--output", "text", "--query", "CiphertextBlob"))
	raw, err := base64.StdEncoding.DecodeString(ct)
	if err != nil {
		t.Fatalf("encrypt's ciphertext %q: %v", ct, err)
	}
	dec := strings.TrimSpace(cli.OK(t, "", "kms", "decrypt", "--ciphertext-blob", "fileb://"+s.file("ct.bin", raw), "--output", "text", "--query", "Plaintext"))
	if got, _ := base64.StdEncoding.DecodeString(dec); !bytes.Equal(got, plain) {
		t.Errorf("decrypt gave %q, want %q", got, plain)
	}
	return keyID
}

func (s *session) roles(keyID string) {
	t, cli := s.t, s.cli
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`
	read := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::notes","arn:aws:s3:::notes/*"]}]}`
	cli.OK(t, `"RoleName": "reader"`, "iam", "create-role", "--role-name", "reader", "--assume-role-policy-document", trust)
	cli.OK(t, "", "iam", "put-role-policy", "--role-name", "reader", "--policy-name", "read", "--policy-document", read)
	got := jsonOf(t, cli.OK(t, `"PolicyName": "read"`, "iam", "get-role-policy", "--role-name", "reader", "--policy-name", "read"))
	if at(got, "PolicyDocument", "Statement", 0, "Resource", 1) != "arn:aws:s3:::notes/*" {
		t.Errorf("get-role-policy: the document did not come back as it was put: %v", got["PolicyDocument"])
	}
	cli.OK(t, `"Arn": "arn:aws:iam::111111111111:root"`, "sts", "get-caller-identity")
	creds := jsonOf(t, cli.OK(t, `"SessionToken"`, "sts", "assume-role", "--role-arn", "arn:aws:iam::111111111111:role/reader", "--role-session-name", "cli"))
	c := creds["Credentials"].(map[string]any)
	sess := awscli.New(t, cli.Bin, cli.Endpoint, c["AccessKeyId"].(string), c["SecretAccessKey"].(string), "AWS_SESSION_TOKEN="+c["SessionToken"].(string))
	sess.OK(t, `"Arn": "arn:aws:sts::111111111111:assumed-role/reader/cli"`, "sts", "get-caller-identity")
	sess.OK(t, "notes.txt", "s3", "ls", "s3://notes/")
	sess.OK(t, "download: ", "s3", "cp", "s3://notes/notes.txt", filepath.Join(s.dir, "as-reader.txt"))
	sess.Fails(t, "AccessDenied", "is not authorized to perform: s3:PutObject", "s3api", "put-object", "--bucket", "notes", "--key", "x", "--body", filepath.Join(s.dir, "one.txt"))
	sess.Fails(t, "AccessDeniedException", "is not authorized to perform: kms:Encrypt", "kms", "encrypt", "--key-id", keyID, "--plaintext", "fileb://"+filepath.Join(s.dir, "plain.txt"))
	sess.Fails(t, "AccessDenied", "is not authorized to perform: iam:CreateRole", "iam", "create-role", "--role-name", "escalate", "--assume-role-policy-document", trust)
	// The role of another account's trust policy does not name this one.
	kb := s.c.key(acctB)
	other := awscli.New(t, cli.Bin, cli.Endpoint, kb.ID, kb.Secret)
	other.Fails(t, "AccessDenied", "sts:AssumeRole", "sts", "assume-role", "--role-arn", "arn:aws:iam::111111111111:role/reader", "--role-session-name", "intruder")
}

// example is the pipeline of the CLI's own create-pipeline example.
func example(t *testing.T, bin string) map[string]any {
	t.Helper()
	rst, err := os.ReadFile(filepath.Join(awscli.Examples(t, bin), "codepipeline", "create-pipeline.rst"))
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(rst), "JSON file sample contents::")
	body, _, _ = strings.Cut(body, "Output::")
	if !ok {
		t.Fatalf("no JSON sample in the create-pipeline example:\n%s", rst)
	}
	return jsonOf(t, body)
}

func (s *session) pipeline(bin string) {
	t, cli := s.t, s.cli
	doc := example(t, bin)
	p := doc["pipeline"].(map[string]any)
	// The example's artifact bucket has upper-case letters, which S3 no longer accepts.
	store := strings.ToLower(at(p, "artifactStore", "location").(string))
	p["artifactStore"].(map[string]any)["location"] = store
	name := p["name"].(string)
	srcBucket := at(p, "stages", 0, "actions", 0, "configuration", "S3Bucket").(string)
	srcKey := at(p, "stages", 0, "actions", 0, "configuration", "S3ObjectKey").(string)
	for _, b := range []string{store, srcBucket, "deployed-site"} {
		cli.OK(t, "make_bucket", "s3", "mb", "s3://"+b)
		cli.OK(t, "", "s3api", "put-bucket-versioning", "--bucket", b, "--versioning-configuration", "Status=Enabled")
	}
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	w, _ := zw.Create("index.html")
	w.Write([]byte("<h1>hello</h1>")) //nolint:errcheck // a zip.Writer into a buffer
	zw.Close()
	cli.OK(t, "upload: ", "s3", "cp", s.file("app.zip", zipped.Bytes()), "s3://"+srcBucket+"/"+srcKey)

	input, _ := json.Marshal(doc)
	created := jsonOf(t, cli.OK(t, `"name": "`+name+`"`, "codepipeline", "create-pipeline", "--cli-input-json", "file://"+s.file("create.json", input)))
	got := jsonOf(t, cli.OK(t, `"version": 1`, "codepipeline", "get-pipeline", "--name", name))
	want := clone(t, p)
	if s.v1 { // the API's defaults, which botocore 1.43's model knows
		want["pipelineType"], want["executionMode"] = "V1", "SUPERSEDED"
	}
	if !reflect.DeepEqual(got["pipeline"], want) {
		t.Errorf("get-pipeline did not return the example as created:\n got: %v\nwant: %v", got["pipeline"], want)
	}
	if !reflect.DeepEqual(created["pipeline"], want) {
		t.Errorf("create-pipeline did not answer with the example:\n got: %v\nwant: %v", created["pipeline"], want)
	}
	if arn, _ := at(got, "metadata", "pipelineArn").(string); arn != "arn:aws:codepipeline:us-east-1:111111111111:"+name {
		t.Errorf("pipelineArn %q", arn)
	}

	// Version 2: a Manual approval before the deploy, which becomes an S3 deploy the local
	// cloud runs; with v1, a V2 pipeline in QUEUED mode with a variable.
	update := clone(t, p)
	stages := update["stages"].([]any)
	approve := map[string]any{"name": "Approve", "actions": []any{map[string]any{"name": "Approval", "runOrder": 1.0,
		"actionTypeId":   map[string]any{"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
		"inputArtifacts": []any{}, "outputArtifacts": []any{}}}}
	deploy := map[string]any{"name": "Beta", "actions": []any{map[string]any{"name": "Site", "runOrder": 1.0,
		"actionTypeId":   map[string]any{"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"},
		"configuration":  map[string]any{"BucketName": "deployed-site", "Extract": "true"},
		"inputArtifacts": []any{map[string]any{"name": "MyApp"}}, "outputArtifacts": []any{}}}}
	update["stages"] = []any{stages[0], approve, deploy}
	if s.v1 {
		update["pipelineType"], update["executionMode"] = "V2", "QUEUED"
		update["variables"] = []any{map[string]any{"name": "env", "defaultValue": "staging", "description": "where it goes"}}
	}
	upd, _ := json.Marshal(map[string]any{"pipeline": update})
	cli.OK(t, `"version": 2`, "codepipeline", "update-pipeline", "--cli-input-json", "file://"+s.file("update.json", upd))
	got = jsonOf(t, cli.OK(t, `"version": 2`, "codepipeline", "get-pipeline", "--name", name))
	update["version"] = 2.0
	if !s.v1 {
		update["pipelineType"], update["executionMode"] = nil, nil
		delete(update, "pipelineType")
		delete(update, "executionMode")
	}
	if !reflect.DeepEqual(got["pipeline"], update) {
		t.Errorf("get-pipeline after update-pipeline:\n got: %v\nwant: %v", got["pipeline"], update)
	}

	start := []string{"codepipeline", "start-pipeline-execution", "--name", name}
	if s.v1 {
		start = append(start, "--variables", "name=env,value=prod")
	}
	id, _ := jsonOf(t, cli.OK(t, "pipelineExecutionId", start...))["pipelineExecutionId"].(string)

	// The approval waits: its token is in get-pipeline-state.
	token := ""
	deadline := time.Now().Add(60 * time.Second)
	for token == "" && time.Now().Before(deadline) {
		state := jsonOf(t, cli.OK(t, "stageStates", "codepipeline", "get-pipeline-state", "--name", name))
		if at(state, "stageStates", 1, "latestExecution", "pipelineExecutionId") == id {
			token, _ = at(state, "stageStates", 1, "actionStates", 0, "latestExecution", "token").(string)
		}
		if token == "" {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if token == "" {
		t.Fatalf("get-pipeline-state never showed the approval of execution %s waiting with a token", id)
	}
	cli.Fails(t, "InvalidApprovalTokenException", "", "codepipeline", "put-approval-result", "--pipeline-name", name, "--stage-name", "Approve",
		"--action-name", "Approval", "--result", "summary=no,status=Approved", "--token", "00000000-0000-4000-a000-000000000000")
	cli.OK(t, "approvedAt", "codepipeline", "put-approval-result", "--pipeline-name", name, "--stage-name", "Approve",
		"--action-name", "Approval", "--result", "summary=looks good,status=Approved", "--token", token)
	var exec map[string]any
	for deadline = time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		exec = jsonOf(t, cli.OK(t, "pipelineExecution", "codepipeline", "get-pipeline-execution", "--pipeline-name", name, "--pipeline-execution-id", id))
		if st := at(exec, "pipelineExecution", "status"); st != "InProgress" {
			break
		}
	}
	if st := at(exec, "pipelineExecution", "status"); st != "Succeeded" {
		t.Fatalf("execution %s ended %v (%v)", id, st, at(exec, "pipelineExecution", "statusSummary"))
	}
	if s.v1 {
		if at(exec, "pipelineExecution", "executionMode") != "QUEUED" || at(exec, "pipelineExecution", "variables", 0, "resolvedValue") != "prod" {
			t.Errorf("get-pipeline-execution: want QUEUED with env=prod: %v", exec["pipelineExecution"])
		}
	}
	actions := jsonOf(t, cli.OK(t, "actionExecutionDetails", "codepipeline", "list-action-executions", "--pipeline-name", name,
		"--filter", "pipelineExecutionId="+id))
	statuses := map[string]any{}
	for _, d := range actions["actionExecutionDetails"].([]any) {
		statuses[at(d, "actionName").(string)] = at(d, "status")
	}
	if want := map[string]any{"Source": "Succeeded", "Approval": "Succeeded", "Site": "Succeeded"}; !reflect.DeepEqual(statuses, want) {
		t.Errorf("list-action-executions: %v, want %v", statuses, want)
	}
	cli.OK(t, "index.html", "s3", "ls", "s3://deployed-site/")
	execs := jsonOf(t, cli.OK(t, "pipelineExecutionSummaries", "codepipeline", "list-pipeline-executions", "--pipeline-name", name))
	if n := len(execs["pipelineExecutionSummaries"].([]any)); n != 2 { // the run at creation, and this one
		t.Errorf("list-pipeline-executions lists %d executions, want 2", n)
	}
	cli.OK(t, "", "codepipeline", "delete-pipeline", "--name", name)
	cli.Fails(t, "PipelineNotFoundException", "does not have a pipeline with name", "codepipeline", "get-pipeline", "--name", name)
}

func clone(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(v)
	return jsonOf(t, string(b))
}
