package main

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

// runCLIIn runs the CLI as if started in wd with only env set.
func runCLIIn(wd string, env map[string]string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	c := &cli{stdout: &out, stderr: &errOut, workdir: wd, getenv: func(k string) string { return env[k] }}
	code := runIn(context.Background(), c, args)
	return code, out.String(), errOut.String()
}

// cloudAt makes a state directory at dir holding one pipeline, name, in account.
func cloudAt(t *testing.T, dir, account, name string) *runsCloud {
	t.Helper()
	cfg := backend.Config{Kind: backend.KindLocal, AccountID: account, Region: backend.DefaultRegion, StateDir: dir}
	b, err := backend.Open(context.Background(), cfg, backend.Unshared())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	rc := &runsCloud{dir: dir, a: b.(runsAccount)}
	if name != "" {
		rc.createPipeline(t, name, buildStage("Build", "Compile", "true"))
	}
	return rc
}

// recordWorkdir writes the record terraform's provider leaves in wd/.terraform.
func recordWorkdir(t *testing.T, wd string, configs ...backend.WorkdirConfigured) {
	t.Helper()
	if err := backend.WriteWorkdirRecord(backend.WorkdirRecordPath(wd, func(string) string { return "" }), configs); err != nil {
		t.Fatal(err)
	}
}

func localConfigured(dir, account string) backend.WorkdirConfigured {
	return backend.WorkdirConfigured{Kind: backend.KindLocal, StateDir: dir, AccountID: account, Region: backend.DefaultRegion}
}

// TestReadOnlyCommandsCreateNothing: without a state directory, every command but serve says
// where it looked and how to name the right one, exits 1, and leaves no directory behind.
func TestReadOnlyCommandsCreateNothing(t *testing.T) {
	wd := t.TempDir()
	for _, args := range [][]string{
		{"runs", "list", "quickstart"},
		{"runs", "show", "quickstart"},
		{"runs", "logs", "quickstart", "307283cd", "Test", "Html"},
		{"runs", "approve", "quickstart", "307283cd", "Approve", "Manual"},
		{"runs", "stop", "quickstart"},
		{"runs", "retry", "quickstart", "307283cd", "Test"},
		{"start", "quickstart"},
		{"pipelines", "list"},
		{"s3", "ls", "s3://quickstart-site"},
		{"s3", "cat", "s3://quickstart-site/index.html"},
	} {
		code, out, errOut := runCLIIn(wd, nil, args...)
		want := "no state directory at " + filepath.Join(wd, ".codepipeline") + " (the default: no -state-dir, no CODEPIPELINE_STATE_DIR, and no .terraform/codepipeline-state.json in " + wd + " or above)"
		if code != exitFindings || !strings.Contains(errOut, want) || !strings.Contains(errOut, "-state-dir DIR") {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit 1 saying %q", args, code, out, errOut, want)
		}
		if entries, _ := os.ReadDir(wd); len(entries) != 0 {
			t.Fatalf("%v left %v in the working directory", args, entries)
		}
	}
}

// TestStateDirectoryPrecedence: -state-dir, then CODEPIPELINE_STATE_DIR, then the record
// terraform left in the nearest .terraform/ at or above the working directory, then
// ./.codepipeline.
func TestStateDirectoryPrecedence(t *testing.T) {
	root := t.TempDir()
	flagDir, envDir, recDir := filepath.Join(root, "flag"), filepath.Join(root, "env"), filepath.Join(root, "recorded")
	wd := filepath.Join(root, "config")
	sub := filepath.Join(wd, "modules", "deep")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	cloudAt(t, flagDir, backend.DefaultAccountID, "from-flag")
	cloudAt(t, envDir, backend.DefaultAccountID, "from-env")
	cloudAt(t, recDir, backend.DefaultAccountID, "from-record")
	cloudAt(t, filepath.Join(sub, ".codepipeline"), backend.DefaultAccountID, "from-default")
	recordWorkdir(t, wd, localConfigured(recDir, backend.DefaultAccountID))
	env := map[string]string{backend.StateDirEnv: envDir}

	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"flag over everything", env, []string{"pipelines", "list", "-state-dir", flagDir}, "from-flag"},
		{"environment over the record", env, []string{"pipelines", "list"}, "from-env"},
		{"the record, found walking up", nil, []string{"pipelines", "list"}, "from-record"},
	}
	for _, c := range cases {
		code, out, errOut := runCLIIn(sub, c.env, c.args...)
		if code != exitOK || !strings.Contains(out, c.want) {
			t.Errorf("%s: exit %d, stdout:\n%s\nstderr:\n%s\nwant %s", c.name, code, out, errOut, c.want)
		}
	}
	// Without a record anywhere above, the default in the working directory.
	if code, out, errOut := runCLIIn(sub, nil, "pipelines", "list", "-state-dir", ".codepipeline"); code != exitOK || !strings.Contains(out, "from-default") {
		t.Errorf("default: exit %d\n%s%s", code, out, errOut)
	}
	lone := filepath.Join(root, "lone")
	cloudAt(t, filepath.Join(lone, ".codepipeline"), backend.DefaultAccountID, "from-default")
	if code, out, errOut := runCLIIn(lone, nil, "pipelines", "list"); code != exitOK || !strings.Contains(out, "from-default") {
		t.Errorf("default: exit %d\n%s%s", code, out, errOut)
	}
}

// TestRecordedAccountsAreSearched: terraform configured two accounts over the state directory
// (the cross-account example); a command on a pipeline acts as the account that has it, and a
// pipeline of another account is pointed at with the flag to reach it.
func TestRecordedAccountsAreSearched(t *testing.T) {
	root := t.TempDir()
	dir, wd := filepath.Join(root, "state"), filepath.Join(root, "config")
	const other = "222222222222"
	cloudAt(t, dir, backend.DefaultAccountID, "")
	rc := cloudAt(t, dir, other, "release")
	recordWorkdir(t, wd, localConfigured(dir, backend.DefaultAccountID), localConfigured(dir, other))
	if code, out, errOut := runCLIIn(wd, nil, "start", "release"); code != exitOK || !strings.Contains(out, backend.StatusSucceeded) {
		t.Fatalf("start release: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLIIn(wd, nil, "runs", "list", "release"); code != exitOK || !strings.Contains(out, rc.latest(t, "release").ID) {
		t.Errorf("runs list release: exit %d\n%s%s", code, out, errOut)
	}
	// With -account naming the other account, the pipeline is not there: say where it is.
	code, _, errOut := runCLIIn(wd, nil, "runs", "list", "release", "-account", backend.DefaultAccountID)
	if code != exitFindings || !strings.Contains(errOut, "add -account "+other+" -region us-east-1") {
		t.Errorf("runs list in the wrong account: exit %d\n%s", code, errOut)
	}
}

// TestMissingThingsAreNamed: a missing pipeline, run, stage or action is named, with what
// exists nearby, exit 1.
func TestMissingThingsAreNamed(t *testing.T) {
	rc := newRunsCloud(t)
	rc.createPipeline(t, "quickstart", buildStage("Build", "Compile", "true"), pipeline.Stage{Name: "Deploy", Actions: []pipeline.Action{{
		Name: "Publish", Category: pipeline.CategoryBuild, Owner: "AWS", Provider: "Commands", Version: "1",
		Configuration: map[string]string{"Commands": "exit 1"}, InputArtifacts: []string{"src"},
	}}})
	rc.createPipeline(t, "idle")
	if code, _, _ := rc.cli(t, "start", "quickstart"); code != exitFindings {
		t.Fatalf("start: exit %d, want the run to fail", code)
	}
	id := rc.latest(t, "quickstart").ID
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"runs", "list", "nosuchpipeline"}, []string{`no pipeline "nosuchpipeline" in account 111111111111 us-east-1; state directory ` + rc.dir + ", -state-dir.", "Pipelines there: idle, quickstart."}},
		{[]string{"runs", "show", "quickstrat"}, []string{`no pipeline "quickstrat"`, `Did you mean "quickstart"?`}},
		{[]string{"start", "nosuchpipeline"}, []string{`no pipeline "nosuchpipeline"`}},
		{[]string{"runs", "show", "quickstart", "bad-id"}, []string{`pipeline "quickstart" has no run "bad-id". Its latest runs:`, id + "  Failed"}},
		{[]string{"runs", "show", "idle"}, []string{`pipeline "idle" has no run yet: start one with ` + "`codepipeline start idle`"}},
		{[]string{"runs", "logs", "quickstart", id, "Nope", "Compile"}, []string{`has no stage "Nope". Its stages, in order: Source, Build, Deploy.`}},
		{[]string{"runs", "logs", "quickstart", id, "Build", "Nope"}, []string{`stage "Build" of run ` + id + ` has no action "Nope". Its actions: Compile.`}},
		{[]string{"runs", "logs", "quickstart", id, "deploy", "publish"}, []string{`has no stage "deploy"`, `Did you mean "Deploy"?`}},
		{[]string{"runs", "retry", "quickstart", id, "Tset"}, []string{`has no stage "Tset"`}},
		{[]string{"runs", "approve", "quickstart", id, "Build", "Manual"}, []string{`has no action "Manual"`}},
	}
	for _, c := range cases {
		code, out, errOut := rc.cli(t, c.args...)
		if code != exitFindings {
			t.Errorf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", c.args, code, exitFindings, out, errOut)
		}
		for _, w := range c.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", c.args, w, errOut)
			}
		}
	}
	// An empty list is said, not an empty table.
	if code, out, errOut := rc.cli(t, "runs", "list", "idle"); code != exitOK || out != "" || !strings.Contains(errOut, "has no run yet") {
		t.Errorf("runs list of a pipeline without runs: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// TestCompletion: shell completion offers the pipelines, the runs, the stages and the actions
// of the state directory.
func TestCompletion(t *testing.T) {
	rc := newRunsCloud(t)
	rc.createPipeline(t, "web", buildStage("Build", "Compile", "true"))
	if code, _, _ := rc.cli(t, "start", "web"); code != exitOK {
		t.Fatal("start failed")
	}
	id := rc.latest(t, "web").ID
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"runs", "logs", "-state-dir", rc.dir, ""}, "web\n"},
		{[]string{"runs", "logs", "-state-dir", rc.dir, "web", ""}, id + "\tSucceeded"},
		{[]string{"runs", "logs", "-state-dir", rc.dir, "web", id, ""}, "Source\tSucceeded\nBuild\tSucceeded\n"},
		{[]string{"runs", "logs", "-state-dir", rc.dir, "web", id, "Build", ""}, "Compile\tSucceeded\n"},
	} {
		code, out, errOut := runCLI(append([]string{"__complete"}, c.args...)...)
		if code != exitOK || !strings.Contains(out, c.want) {
			t.Errorf("complete %v: exit %d\n%s%s\nwant %q", c.args, code, out, errOut, c.want)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if code, out, _ := runCLI("completion", shell); code != exitOK || !strings.Contains(out, "codepipeline") {
			t.Errorf("completion %s: exit %d", shell, code)
		}
	}
}

// TestS3 prints an object of the local cloud, and names what is missing.
func TestS3(t *testing.T) {
	rc := newRunsCloud(t)
	rc.createPipeline(t, "site")
	if code, out, errOut := rc.cli(t, "s3", "cat", "s3://site-source/app.zip"); code != exitOK || !strings.HasPrefix(out, "PK") {
		t.Errorf("s3 cat: exit %d\n%.40q\n%s", code, out, errOut)
	}
	if code, out, _ := rc.cli(t, "s3", "ls", "s3://site-source"); code != exitOK || !strings.Contains(out, "app.zip") {
		t.Errorf("s3 ls: exit %d\n%s", code, out)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"s3", "cat", "s3://site-source/app.zp"}, exitFindings, `no object s3://site-source/app.zp. The bucket holds 1 object(s); did you mean "app.zip"?`},
		{[]string{"s3", "cat", "s3://nobucket/index.html"}, exitFindings, `no bucket "nobucket" in state directory ` + rc.dir},
		{[]string{"s3", "cat", "s3://site-source"}, exitUsage, "names a bucket, not an object"},
		{[]string{"s3", "cat", "site-source/app.zip"}, exitUsage, "is not an s3://BUCKET/KEY address"},
	} {
		code, _, errOut := rc.cli(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant exit %d saying %q", c.args, code, errOut, c.code, c.want)
		}
	}
}
