package local

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

func TestActionsOfAGroupRunConcurrentlyAndGroupsInOrder(t *testing.T) {
	_, a, _ := accounts(t)
	p := shellPipeline("groups", "", stage("Build",
		shell("First", 1, "sleep 1"),
		shell("Second", 1, "sleep 1"),
		shell("Later", 2, "true"),
	))
	setupShellPipeline(t, a, p, nil)
	run := startAndRun(t, a, "groups", nil)
	if run.Status != backend.StatusSucceeded {
		t.Fatalf("run = %s (%s)", run.Status, run.StatusReason)
	}
	first, second, later := run.Action("Build", "First"), run.Action("Build", "Second"), run.Action("Build", "Later")
	if !overlap(first, second) {
		t.Errorf("actions of one run_order did not overlap: First %s–%s, Second %s–%s",
			first.Started, first.Ended, second.Started, second.Ended)
	}
	for _, earlier := range []*backend.ActionRun{first, second} {
		if overlap(earlier, later) || later.Started.Before(earlier.Ended) {
			t.Errorf("run_order 2 started at %s, before %s of run_order 1 ended at %s", later.Started, earlier.Name, earlier.Ended)
		}
	}
}

func TestFailedActionFailsStageAndRunAndNothingAfterStarts(t *testing.T) {
	_, a, _ := accounts(t)
	p := shellPipeline("failing", "",
		stage("Build",
			shell("Broken", 1, "echo about to fail", "exit 3"),
			shell("Sibling", 1, "true"),
			shell("Later", 2, "true"),
		),
		stage("Deploy", shell("Ship", 1, "true")),
	)
	setupShellPipeline(t, a, p, nil)
	run := startAndRun(t, a, "failing", nil)

	got := map[string]string{
		"run": run.Status, "Source": run.Stages[0].Status, "Build": run.Stages[1].Status, "Deploy": run.Stages[2].Status,
		"Broken": run.Action("Build", "Broken").Status, "Sibling": run.Action("Build", "Sibling").Status,
		"Later": run.Action("Build", "Later").Status, "Ship": run.Action("Deploy", "Ship").Status,
	}
	want := map[string]string{
		"run": backend.StatusFailed, "Source": backend.StatusSucceeded, "Build": backend.StatusFailed, "Deploy": backend.StatusCancelled,
		// The failing action's group finishes (its sibling succeeds); nothing after it starts.
		"Broken": backend.StatusFailed, "Sibling": backend.StatusSucceeded, "Later": "", "Ship": "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	if later := run.Action("Build", "Later"); !later.Started.IsZero() || later.Attempt != 0 {
		t.Errorf("a later group was started: %+v", later)
	}
	broken := run.Action("Build", "Broken")
	if !strings.Contains(broken.Error, `"exit 3" exited with status 3`) {
		t.Errorf("error of the failed action = %q, want the failing command and its status", broken.Error)
	}
	if !strings.Contains(run.StatusReason, "Broken") || !strings.Contains(run.StatusReason, "Build") {
		t.Errorf("run reason = %q, want the failed stage and action", run.StatusReason)
	}
	if stage, act := run.Failed(); stage == nil || stage.Name != "Build" || act.Name != "Broken" {
		t.Errorf("Failed() = %v, %v", stage, act)
	}
}

func TestOutputsAreNewVersionsUnderThePipelineKeyAndFeedTheNextAction(t *testing.T) {
	_, a, _ := accounts(t)
	ctx := context.Background()
	cmk := must[*backend.Key](t)(a.CreateKey(ctx, backend.KeySpec{Description: "pipeline artifacts", Alias: "alias/pipeline"}))
	build := shell("Make", 1, "mkdir -p dist", "cp index.html dist/page.html", "echo built >> dist/page.html")
	build.OutputArtifacts = []string{"site"}
	build.Configuration["OutputPaths"] = "dist/**/*"
	check := shell("Check", 1, "grep -q built dist/page.html", "grep -q 'hello from the source' dist/page.html")
	check.InputArtifacts = []string{"site"}
	p := shellPipeline("keyed", "", stage("Build", build), stage("Verify", check))
	// The pipeline's key is a customer-managed key; the bucket's own default stays aws/s3.
	p.ArtifactStores[0].EncryptionKey = &pipeline.EncryptionKey{ID: "alias/pipeline", Type: "KMS"}
	setupShellPipeline(t, a, p, nil)

	var refs []backend.ArtifactRef
	for range 2 {
		run := startAndRun(t, a, "keyed", nil)
		if run.Status != backend.StatusSucceeded {
			t.Fatalf("run = %s (%s)", run.Status, run.StatusReason)
		}
		outs := run.Action("Build", "Make").Outputs
		if len(outs) != 1 || outs[0].Name != "site" || outs[0].Bucket != "keyed-artifacts" {
			t.Fatalf("outputs = %+v", outs)
		}
		refs = append(refs, outs[0], run.Action("Source", "Fetch").Outputs[0])
	}
	seen := map[string]bool{}
	for _, ref := range refs {
		id := ref.Key + "@" + ref.VersionID
		if seen[id] {
			t.Errorf("artifact %s stored twice at the same version: each output must be a new version", id)
		}
		seen[id] = true
		body, info := must2(t)(a.GetObject(ctx, "", ref.Bucket, ref.Key, ref.VersionID))
		if info.KMSKeyARN != cmk.ARN {
			t.Errorf("artifact %s encrypted under %s, want the pipeline's key %s", ref.Name, info.KMSKeyARN, cmk.ARN)
		}
		if ref.Name == "site" {
			files := unzipToMap(t, body)
			if want := "hello from the sourcebuilt\n"; files["dist/page.html"] != want {
				t.Errorf("artifact site holds %q, want dist/page.html = %q", files, want)
			}
		}
	}
	versions := must[[]backend.ObjectInfo](t)(a.ListObjectVersions(ctx, "", "keyed-artifacts", "keyed/"))
	if len(versions) != len(refs) {
		t.Errorf("artifact store holds %d versions, want %d (one per output per run)", len(versions), len(refs))
	}
}

func unzipToMap(t *testing.T, body []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(b)
	}
	return out
}

// maliciousZip is a zip whose entries try to leave the directory it is unpacked into.
func maliciousZip(t *testing.T, entry string, symlink bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: entry, Method: zip.Store}
	content := "owned"
	if symlink {
		h.SetMode(fs.ModeSymlink | 0o777)
		content = "../../../../../../../../../../tmp"
	}
	w, err := zw.CreateHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if symlink {
		// A file written through the link would land outside.
		w, err := zw.Create(entry + "/zip-slip-through-link.txt")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("owned")); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestZipSlipInputIsRefusedAndWritesNothingOutside(t *testing.T) {
	escape := strings.Repeat("../", 12)
	for _, tc := range []struct {
		name    string
		entry   string
		symlink bool
	}{
		{"dot-dot", escape + "zip-slip-evil.txt", false},
		{"absolute", "/tmp/zip-slip-absolute-" + strconv.Itoa(os.Getpid()) + ".txt", false},
		{"symlink", "link", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			stateDir := filepath.Join(root, "a", "b", "state")
			c := openCloud(t, stateDir)
			a := c.As(acctA, region)
			ctx := context.Background()
			p := shellPipeline("slip", "", stage("Build", shell("Consume", 1, "true")))
			setupShellPipeline(t, a, p, nil)
			// The source object is planted "outside Terraform": the source action stores it
			// as is, the consuming action must refuse to unpack it.
			must[string](t)(a.PutObject(ctx, "", "slip-source", "app.zip", bytes.NewReader(maliciousZip(t, tc.entry, tc.symlink))))

			run := startAndRun(t, a, "slip", nil)
			act := run.Action("Build", "Consume")
			if run.Status != backend.StatusFailed || act.Status != backend.StatusFailed {
				t.Fatalf("run %s, action %s (%s): want both Failed", run.Status, act.Status, act.Error)
			}
			if !strings.Contains(act.Error, `unpacking input artifact "src"`) || !strings.Contains(act.Error, "unsafe archive entry") {
				t.Errorf("error = %q, want it to name the input artifact and the unsafe entry", act.Error)
			}
			// Nothing landed outside the workspace: not in the temp tree, not in /tmp.
			err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err == nil && strings.Contains(d.Name(), "zip-slip") {
					t.Errorf("a file escaped the workspace: %s", p)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"/tmp/zip-slip-through-link.txt", "/tmp/zip-slip-absolute-" + strconv.Itoa(os.Getpid()) + ".txt"} {
				if _, err := os.Lstat(p); err == nil {
					os.Remove(p)
					t.Errorf("a file escaped the workspace: %s", p)
				}
			}
			// The workspace itself was cleaned up.
			if entries, _ := os.ReadDir(filepath.Join(c.workRoot, run.ID)); len(entries) != 0 {
				t.Errorf("workspace left behind: %v", entries)
			}
		})
	}
}

// crossAccountPipeline deploys, as B's deploy role, the source into B's bucket "deploy-b".
func crossAccountPipeline(x *crossAccount, withKey bool) *pipeline.Pipeline {
	deploy := pipeline.Action{
		Name: "ToB", Category: "Deploy", Owner: "AWS", Provider: "S3", Version: "1", RoleARN: x.deployRole,
		Configuration:  map[string]string{"BucketName": "deploy-b", "Extract": "true", "ObjectKey": "site"},
		InputArtifacts: []string{"src"},
	}
	p := &pipeline.Pipeline{
		Name: "xacct", RoleARN: arn.AWS.Role(acctA, "pipeline"),
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: x.bucket, Type: "S3"}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{{
				Name: "Fetch", Category: "Source", Owner: "AWS", Provider: "S3", Version: "1",
				Configuration:   map[string]string{"S3Bucket": "xacct-source", "S3ObjectKey": "app.zip"},
				OutputArtifacts: []string{"src"},
			}}},
			{Name: "Deploy", Actions: []pipeline.Action{deploy}},
		},
	}
	if withKey {
		p.ArtifactStores[0].EncryptionKey = &pipeline.EncryptionKey{ID: x.key.ARN, Type: "KMS"}
	}
	return p
}

// setupCrossAccountRun adds to the seed's cross-account setup the source bucket in A, the
// deploy bucket in B and the pipeline; deployGrant says whether B's role may write the
// deploy bucket.
func setupCrossAccountRun(t *testing.T, x *crossAccount, withKey, deployGrant bool) {
	t.Helper()
	ctx := context.Background()
	must[*backend.Bucket](t)(x.a.CreateBucket(ctx, backend.Bucket{Name: "xacct-source", Versioning: true}))
	must[string](t)(x.a.PutObject(ctx, "", "xacct-source", "app.zip", bytes.NewReader(zipOf(t, sourceFiles))))
	must[*backend.Bucket](t)(x.b.CreateBucket(ctx, backend.Bucket{Name: "deploy-b", Versioning: true}))
	var deployBuckets []string
	if deployGrant {
		deployBuckets = []string{"deploy-b"}
	}
	if err := x.b.PutRolePolicy(ctx, "deploy", "artifacts", policy.TargetRolePolicy(arn.AWS, x.bucket, x.key.ARN, deployBuckets...).JSON()); err != nil {
		t.Fatal(err)
	}
	must[*backend.PipelineRecord](t)(x.a.CreatePipeline(ctx, crossAccountPipeline(x, withKey)))
}

func TestCrossAccountDeployAtRunTime(t *testing.T) {
	ctx := context.Background()

	t.Run("granted", func(t *testing.T) {
		x := newCrossAccount(t)
		setupCrossAccountRun(t, x, true, true)
		run := startAndRun(t, x.a, "xacct", nil)
		if run.Status != backend.StatusSucceeded {
			t.Fatalf("run = %s (%s)", run.Status, run.StatusReason)
		}
		body, info := must2(t)(x.b.GetObject(ctx, "", "deploy-b", "site/index.html", ""))
		if string(body) != sourceFiles["index.html"] {
			t.Errorf("deployed object = %q", body)
		}
		versions := must[[]backend.ObjectInfo](t)(x.b.ListObjectVersions(ctx, "", "deploy-b", "site/"))
		if len(versions) != 1 || info.VersionID != versions[0].VersionID {
			t.Errorf("deploy bucket versions = %+v", versions)
		}

		// The grant is removed from the artifact bucket's policy outside Terraform: the next
		// run fails exactly where AWS would, reading the input as B's role.
		must[*backend.Bucket](t)(x.a.PutBucketPolicy(ctx, x.bucket, policy.BucketPolicy(arn.AWS, x.bucket, nil).JSON()))
		run = startAndRun(t, x.a, "xacct", nil)
		stage, act := run.Failed()
		if run.Status != backend.StatusFailed || stage == nil || stage.Name != "Deploy" || act.Name != "ToB" {
			t.Fatalf("run = %s, failed at %v / %v; want Failed at Deploy/ToB", run.Status, stage, act)
		}
		for _, want := range []string{"AccessDenied", x.deployRole, "s3:GetObjectVersion", "arn:aws:s3:::" + x.bucket + "/xacct/src/", "bucket policy"} {
			if !strings.Contains(act.Error, want) {
				t.Errorf("error %q does not name %q", act.Error, want)
			}
		}
		if run.Action("Source", "Fetch").Status != backend.StatusSucceeded {
			t.Errorf("the source action (the pipeline's own role) failed too")
		}
	})

	t.Run("deploy bucket not granted to the role", func(t *testing.T) {
		x := newCrossAccount(t)
		setupCrossAccountRun(t, x, true, false)
		run := startAndRun(t, x.a, "xacct", nil)
		act := run.Action("Deploy", "ToB")
		if run.Status != backend.StatusFailed || act.Status != backend.StatusFailed {
			t.Fatalf("run = %s, deploy = %s; want both Failed", run.Status, act.Status)
		}
		for _, want := range []string{"AccessDenied", x.deployRole, "s3:PutObject", "arn:aws:s3:::deploy-b/site/index.html", "identity"} {
			if !strings.Contains(act.Error, want) {
				t.Errorf("error %q does not name %q", act.Error, want)
			}
		}
		if _, _, err := x.b.GetObject(ctx, "", "deploy-b", "site/index.html", ""); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("the deploy bucket got the object anyway: %v", err)
		}
	})

	t.Run("no encryption key: aws/s3 of A is unusable by B", func(t *testing.T) {
		x := newCrossAccount(t)
		setupCrossAccountRun(t, x, false, true)
		run := must[*backend.Run](t)(x.a.StartRun(ctx, backend.RunRequest{Pipeline: "xacct"}))
		run = ended(t, drive(x.a, "xacct", run.ID))
		act := run.Action("Deploy", "ToB")
		if run.Status != backend.StatusFailed || act.Status != backend.StatusFailed {
			t.Fatalf("run = %s, deploy = %s; want both Failed", run.Status, act.Status)
		}
		for _, want := range []string{`reading input artifact "src"`, "AccessDenied", x.deployRole, "kms:Decrypt", "aws/s3"} {
			if !strings.Contains(act.Error, want) {
				t.Errorf("error %q does not name %q", act.Error, want)
			}
		}
		src := run.Action("Source", "Fetch").Outputs[0]
		_, info := must2(t)(x.a.GetObject(ctx, "", src.Bucket, src.Key, src.VersionID))
		if info.KMSKeyARN == x.key.ARN {
			t.Errorf("without encryption_key the artifact was encrypted with the bucket's key %s, want aws/s3", info.KMSKeyARN)
		}
	})
}

// gitRepo makes a repository with one commit on branch main and returns its path and commit.
func gitRepo(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=Test", "-c", "user.email=test@example.com"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("from git"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", "index.html")
	run("commit", "-q", "-m", "first commit")
	return dir, run("rev-parse", "HEAD")
}

func TestVariablesResolveAtRunTime(t *testing.T) {
	_, a, _ := accounts(t)
	ctx := context.Background()
	repo, commit := gitRepo(t)
	p := shellPipeline("vars", "", stage("Build", shell("Echo", 1,
		"echo greeting=#{variables.greeting} run=#{codepipeline.PipelineExecutionId} commit=#{SourceVariables.CommitId}",
		"test \"$(cat index.html)\" = 'from git'")))
	p.Stages[0].Actions[0] = pipeline.Action{
		Name: "Git", Category: "Source", Owner: "AWS", Provider: "CodeCommit", Version: "1", Namespace: "SourceVariables",
		Configuration:   map[string]string{"RepositoryName": repo, "BranchName": "main"},
		OutputArtifacts: []string{"src"},
	}
	p.Variables = []pipeline.Variable{{Name: "greeting", DefaultValue: "hello"}}
	setupShellPipeline(t, a, p, nil)

	for _, tc := range []struct {
		vars map[string]string
		want string
	}{{nil, "hello"}, {map[string]string{"greeting": "bonjour"}, "bonjour"}} {
		run := startAndRun(t, a, "vars", tc.vars)
		if run.Status != backend.StatusSucceeded {
			t.Fatalf("run = %s (%s)", run.Status, run.StatusReason)
		}
		if got := run.Action("Source", "Git").OutputVariables["CommitId"]; got != commit {
			t.Errorf("source CommitId = %q, want %s", got, commit)
		}
		log := string(must[[]byte](t)(a.ActionLog(ctx, "vars", run.ID, "Build", "Echo")))
		if want := "greeting=" + tc.want + " run=" + run.ID + " commit=" + commit + "\n"; !strings.Contains(log, want) {
			t.Errorf("log does not hold %q:\n%s", want, log)
		}
	}

	if _, err := a.StartRun(ctx, backend.RunRequest{Pipeline: "vars", Variables: map[string]string{"greting": "typo"}}); !errors.Is(err, backend.ErrInvalid) || !strings.Contains(err.Error(), `"greting"`) {
		t.Errorf("StartRun with an undeclared variable: %v, want ErrInvalid naming it", err)
	}

	p.Stages[1].Actions[0] = shell("Echo", 1, "echo #{variables.missing} #{SourceVariables.NoSuchVar}")
	must[*backend.PipelineRecord](t)(a.UpdatePipeline(ctx, p))
	run := startAndRun(t, a, "vars", nil)
	act := run.Action("Build", "Echo")
	if run.Status != backend.StatusFailed || act.Status != backend.StatusFailed {
		t.Fatalf("run = %s, action = %s; want Failed", run.Status, act.Status)
	}
	for _, want := range []string{"#{variables.missing}", "#{SourceVariables.NoSuchVar}"} {
		if !strings.Contains(act.Error, want) {
			t.Errorf("error %q does not name %s", act.Error, want)
		}
	}
}

func TestActionLogsArePerExecutionAndCapped(t *testing.T) {
	_, a, _ := accounts(t)
	ctx := context.Background()
	p := shellPipeline("logs", "", stage("Build", shell("Chatty", 1,
		"echo HEAD-OF-#{variables.tag}",
		// 1 MiB of lines, four times the cap, then a last line.
		"yes 'the quick brown fox jumps over the lazy dog' | head -c 1048576",
		"echo TAIL-OF-#{variables.tag} >&2")))
	p.Variables = []pipeline.Variable{{Name: "tag", DefaultValue: "one"}}
	setupShellPipeline(t, a, p, nil)
	first := startAndRun(t, a, "logs", nil)
	second := startAndRun(t, a, "logs", map[string]string{"tag": "two"})
	for _, tc := range []struct {
		run *backend.Run
		tag string
	}{{first, "one"}, {second, "two"}} {
		if tc.run.Status != backend.StatusSucceeded {
			t.Fatalf("run = %s (%s)", tc.run.Status, tc.run.StatusReason)
		}
		log := must[[]byte](t)(a.ActionLog(ctx, "logs", tc.run.ID, "Build", "Chatty"))
		if len(log) > maxLogBytes+200 {
			t.Errorf("log of %d bytes, want at most the cap (%d) and a note", len(log), maxLogBytes)
		}
		for _, want := range []string{"HEAD-OF-" + tc.tag, "TAIL-OF-" + tc.tag, "bytes of output omitted"} {
			if !bytes.Contains(log, []byte(want)) {
				t.Errorf("log of run %s lacks %q", tc.tag, want)
			}
		}
		other := map[string]string{"one": "two", "two": "one"}[tc.tag]
		if bytes.Contains(log, []byte("HEAD-OF-"+other)) {
			t.Errorf("log of run %s holds the other run's output", tc.tag)
		}
	}
	// The source action's log is its own.
	src := string(must[[]byte](t)(a.ActionLog(ctx, "logs", first.ID, "Source", "Fetch")))
	if !strings.HasPrefix(src, "source: s3://logs-source/app.zip version ") {
		t.Errorf("source log = %q", src)
	}
}

func TestActionTimeoutKillsTheWholeProcessGroup(t *testing.T) {
	saved := defaultActionTimeout
	defaultActionTimeout = 2 * time.Second
	t.Cleanup(func() { defaultActionTimeout = saved })

	_, a, _ := accounts(t)
	// The background child is found by its command line: its pid inside the action's sandbox
	// means nothing out here.
	marker := "1000." + strconv.FormatInt(time.Now().UnixNano(), 10)
	p := shellPipeline("hang", "", stage("Build",
		shell("Hang", 1, "sleep "+marker+" &", "wait")),
		stage("Deploy", shell("Never", 1, "true")),
	)
	setupShellPipeline(t, a, p, nil)
	started := must[*backend.Run](t)(a.StartRun(context.Background(), backend.RunRequest{Pipeline: "hang"}))
	done := drive(a, "hang", started.ID)
	eventually(t, "the background child to start", func() bool { return len(processesWith(marker)) > 0 })
	run := ended(t, done)
	act := run.Action("Build", "Hang")
	if run.Status != backend.StatusFailed || act.Status != backend.StatusFailed || !strings.Contains(act.Error, "timed out after 2s") {
		t.Fatalf("run = %s, action = %s (%s); want Failed, timed out", run.Status, act.Status, act.Error)
	}
	if run.Stages[2].Status != backend.StatusCancelled {
		t.Errorf("the stage after the timeout = %q, want Cancelled", run.Stages[2].Status)
	}
	// The background child was in the action's process group: it is killed with it (the
	// signal is delivered asynchronously, hence the wait).
	eventually(t, "the background child to be killed", func() bool { return len(processesWith(marker)) == 0 })
}
