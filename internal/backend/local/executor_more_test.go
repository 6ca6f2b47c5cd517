package local

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// writeHandler puts an executable Invoke/Lambda handler script under the account's functions
// directory.
func writeHandler(t *testing.T, a *Account, name, script string) {
	t.Helper()
	dir := a.dirsFor(nil).functions
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script), 0o700); err != nil {
		t.Fatal(err)
	}
}

// invoke is an Invoke/Lambda action calling the handler name with the src artifact as input.
func invoke(name, function string, outputs ...string) pipeline.Action {
	return pipeline.Action{
		Name: name, Category: pipeline.CategoryInvoke, Owner: "AWS", Provider: "Lambda", Version: "1", RunOrder: 1,
		Namespace:       "InvokeVars",
		Configuration:   map[string]string{"FunctionName": function, "UserParameters": "deploy-to=staging"},
		InputArtifacts:  []string{"src"},
		OutputArtifacts: outputs,
	}
}

// jobField is a shell snippet printing the string field of the job JSON in $job that follows
// the literal prefix (sed, so the handler needs nothing beyond a POSIX shell).
func jobField(prefix string) string {
	return `printf '%s' "$job" | sed -n 's|.*` + prefix + `"\([^"]*\)".*|\1|p'`
}

func TestInvokeLambdaHandlerOutputsReachTheNextAction(t *testing.T) {
	_, a, _ := accounts(t)
	ctx := context.Background()
	// The handler reads the job on stdin: it checks its configuration arrived, copies the
	// input's index.html into its output artifact, and reports a summary and a variable.
	writeHandler(t, a, "package.sh", strings.Join([]string{
		`job=$(cat)`,
		`in=$(` + jobField(`"inputArtifacts":\[{"name":"src","path":`) + `)`,
		`out=$(` + jobField(`"outputArtifacts":\[{"name":"bundle","path":`) + `)`,
		`result=$(` + jobField(`"resultFile":`) + `)`,
		`case "$job" in *'"UserParameters":"deploy-to=staging"'*) ;; *) echo "no UserParameters in $job"; exit 9;; esac`,
		`cp "$in/index.html" "$out/packaged.html"`,
		`echo "handled by the test" > "$out/NOTE"`,
		`printf '{"summary":"packaged it","outputVariables":{"target":"staging","files":"2"}}' > "$result"`,
		`echo handler ran`,
	}, "\n")+"\n")
	check := shell("Check", 1,
		"test \"$(cat packaged.html)\" = 'hello from the source'",
		"grep -q 'handled by the test' NOTE",
		"echo target=#{InvokeVars.target} files=#{InvokeVars.files}")
	check.InputArtifacts = []string{"bundle"}
	p := shellPipeline("invoke", "", stage("Package", invoke("Lambda", "package.sh", "bundle")), stage("Verify", check))
	setupShellPipeline(t, a, p, nil)

	run := startAndRun(t, a, "invoke", nil)
	if run.Status != backend.StatusSucceeded {
		t.Fatalf("run = %s (%s); Lambda error %q, Check error %q", run.Status, run.StatusReason,
			run.Action("Package", "Lambda").Error, run.Action("Verify", "Check").Error)
	}
	act := run.Action("Package", "Lambda")
	if act.Summary != "packaged it" {
		t.Errorf("summary = %q, want the handler's", act.Summary)
	}
	if act.OutputVariables["target"] != "staging" || act.OutputVariables["files"] != "2" {
		t.Errorf("output variables = %v, want the handler's", act.OutputVariables)
	}
	if len(act.Outputs) != 1 || act.Outputs[0].Name != "bundle" || act.Outputs[0].Bucket != "invoke-artifacts" {
		t.Fatalf("outputs = %+v, want bundle in invoke-artifacts", act.Outputs)
	}
	body, _ := must2(t)(a.GetObject(ctx, "", act.Outputs[0].Bucket, act.Outputs[0].Key, act.Outputs[0].VersionID))
	if files := unzipToMap(t, body); files["packaged.html"] != "hello from the source" {
		t.Errorf("stored bundle = %q", files)
	}
	if log := string(must[[]byte](t)(a.ActionLog(ctx, "invoke", run.ID, "Package", "Lambda"))); !strings.Contains(log, "handler ran") {
		t.Errorf("Lambda log does not hold the handler's output:\n%s", log)
	}
	if log := string(must[[]byte](t)(a.ActionLog(ctx, "invoke", run.ID, "Verify", "Check"))); !strings.Contains(log, "target=staging files=2\n") {
		t.Errorf("the next action did not see the output variables:\n%s", log)
	}
}

func TestInvokeLambdaFailures(t *testing.T) {
	cases := []struct {
		name, script string // script "" = no handler file
		want         string
	}{
		{"exit status", "echo giving up\nexit 3\n", "function handler.sh failed (exit status 3)"},
		{"missing handler", "", "no executable handler"},
		{"unreadable result", "job=$(cat)\nresult=$(" + jobField(`"resultFile":`) + ")\necho 'not json' > \"$result\"\n", "unreadable result file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, a, _ := accounts(t)
			if tc.script != "" {
				writeHandler(t, a, "handler.sh", tc.script)
			}
			after := shell("After", 2, "true")
			p := shellPipeline("invokefail", "", stage("Package", invoke("Lambda", "handler.sh"), after))
			setupShellPipeline(t, a, p, nil)

			run := startAndRun(t, a, "invokefail", nil)
			act := run.Action("Package", "Lambda")
			if run.Status != backend.StatusFailed || act.Status != backend.StatusFailed {
				t.Fatalf("run = %s, action = %s; want Failed", run.Status, act.Status)
			}
			if !strings.Contains(act.Error, tc.want) {
				t.Errorf("error = %q, want it to contain %q", act.Error, tc.want)
			}
			if st := run.Action("Package", "After").Status; st == backend.StatusSucceeded || st == backend.StatusInProgress {
				t.Errorf("the action after the failed one ran (%s)", st)
			}
		})
	}
}

func TestInvokeLambdaFunctionNameCannotLeaveTheFunctionsDirectory(t *testing.T) {
	_, a, _ := accounts(t)
	p := shellPipeline("escape", "", stage("Package", invoke("Lambda", "../escape.sh")))
	setupShellPipeline(t, a, p, nil)
	run := startAndRun(t, a, "escape", nil)
	if act := run.Action("Package", "Lambda"); act.Status != backend.StatusFailed || !strings.Contains(act.Error, "leaves the functions directory") {
		t.Errorf("action = %s (%q), want Failed leaving the functions directory", act.Status, act.Error)
	}
}

func TestS3DeployWithoutExtractStoresTheArtifactZip(t *testing.T) {
	_, a, _ := accounts(t)
	ctx := context.Background()
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "site-releases", Versioning: true}))
	deploy := pipeline.Action{
		Name: "Upload", Category: pipeline.CategoryDeploy, Owner: "AWS", Provider: "S3", Version: "1",
		Configuration:  map[string]string{"BucketName": "site-releases", "ObjectKey": "releases/app.zip", "Extract": "false"},
		InputArtifacts: []string{"src"},
	}
	p := shellPipeline("zipdeploy", "", stage("Deploy", deploy))
	setupShellPipeline(t, a, p, nil)

	run := startAndRun(t, a, "zipdeploy", nil)
	if run.Status != backend.StatusSucceeded {
		t.Fatalf("run = %s (%s): %s", run.Status, run.StatusReason, run.Action("Deploy", "Upload").Error)
	}
	src := run.Action("Source", "Fetch").Outputs[0]
	artifact, _ := must2(t)(a.GetObject(ctx, "", src.Bucket, src.Key, src.VersionID))
	deployed, info := must2(t)(a.GetObject(ctx, "", "site-releases", "releases/app.zip", ""))
	if !bytes.Equal(deployed, artifact) {
		t.Errorf("deployed object is %d bytes, want the %d-byte artifact zip unchanged", len(deployed), len(artifact))
	}
	if files := unzipToMap(t, deployed); files["index.html"] != sourceFiles["index.html"] {
		t.Errorf("deployed zip holds %q", files)
	}
	if act := run.Action("Deploy", "Upload"); !strings.Contains(act.Summary, "s3://site-releases/releases/app.zip version "+info.VersionID) {
		t.Errorf("summary = %q, want it to name the stored version %s", act.Summary, info.VersionID)
	}
	// Not extracted: nothing but the zip under the prefix.
	if versions := must[[]backend.ObjectInfo](t)(a.ListObjectVersions(ctx, "", "site-releases", "")); len(versions) != 1 {
		t.Errorf("bucket holds %d versions, want only the zip", len(versions))
	}
}

// connectionSource is a CodeStarSourceConnection action reading branch of the repository at
// the absolute path repo.
func connectionSource(repo, branch string) pipeline.Action {
	return pipeline.Action{
		Name: "Fetch", Category: pipeline.CategorySource, Owner: "AWS", Provider: "CodeStarSourceConnection", Version: "1",
		Namespace: "SourceVariables",
		Configuration: map[string]string{
			"ConnectionArn":    "arn:aws:codestar-connections:us-east-1:" + acctA + ":connection/local",
			"FullRepositoryId": repo, "BranchName": branch,
		},
		OutputArtifacts: []string{"src"},
	}
}

func TestCodeStarSourceConnectionReadsTheGitRepository(t *testing.T) {
	_, a, _ := accounts(t)
	ctx := context.Background()
	repo, commit := gitRepo(t)
	p := shellPipeline("connection", "", stage("Build", shell("Check", 1,
		"test \"$(cat index.html)\" = 'from git'",
		"echo commit=#{SourceVariables.CommitId} message=#{SourceVariables.CommitMessage}")))
	p.Stages[0].Actions[0] = connectionSource(repo, "main")
	setupShellPipeline(t, a, p, nil)

	run := startAndRun(t, a, "connection", nil)
	if run.Status != backend.StatusSucceeded {
		t.Fatalf("run = %s (%s): source %q, build %q", run.Status, run.StatusReason,
			run.Action("Source", "Fetch").Error, run.Action("Build", "Check").Error)
	}
	vars := run.Action("Source", "Fetch").OutputVariables
	if vars["CommitId"] != commit || vars["BranchName"] != "main" || vars["RepositoryName"] != repo || vars["CommitMessage"] != "first commit" {
		t.Errorf("source variables = %v", vars)
	}
	if log := string(must[[]byte](t)(a.ActionLog(ctx, "connection", run.ID, "Build", "Check"))); !strings.Contains(log, "commit="+commit+" message=first commit\n") {
		t.Errorf("the build did not see the source variables:\n%s", log)
	}

	p.Stages[0].Actions[0] = connectionSource(repo, "no-such-branch")
	must[*backend.PipelineRecord](t)(a.UpdatePipeline(ctx, p))
	run = startAndRun(t, a, "connection", nil)
	if act := run.Action("Source", "Fetch"); run.Status != backend.StatusFailed || !strings.Contains(act.Error, `branch "no-such-branch"`) {
		t.Errorf("run = %s, source error %q; want Failed naming the branch", run.Status, act.Error)
	}

	p.Stages[0].Actions[0] = connectionSource(filepath.Join(t.TempDir(), "absent"), "main")
	must[*backend.PipelineRecord](t)(a.UpdatePipeline(ctx, p))
	run = startAndRun(t, a, "connection", nil)
	if act := run.Action("Source", "Fetch"); run.Status != backend.StatusFailed || !strings.Contains(act.Error, "no git repository at") {
		t.Errorf("run = %s, source error %q; want Failed: no repository", run.Status, act.Error)
	}
}
