package console

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	_ "github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/backends"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// The console's tests run against a real local cloud opened through backend.Open, with runs
// executed by the local backend (Build/Commands actions run bash), as `codepipeline serve` has it.

const (
	acctA  = "111111111111"
	acctB  = "222222222222"
	region = "us-east-1"
	// waitFor bounds every wait for a run or a page: generous, because a loaded CI machine is
	// slow, and never an assertion on speed.
	waitFor = 60 * time.Second
)

type env struct {
	t      testing.TB
	dir    string
	cloud  backend.Triggers
	a, b   backend.TriggerAccount
	srv    *Server
	ts     *httptest.Server
	token  string
	logs   *logSink
	driven sync.WaitGroup
	mu     sync.Mutex
	runs   []startedRun
}

type startedRun struct {
	acct         backend.TriggerAccount
	pipeline, id string
}

type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// newEnv opens a fresh state directory with account A's pipelines (see the pipelines below)
// and account B's pipeline "other", and serves a console over it on 127.0.0.1.
func newEnv(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	cfg := backend.Config{Kind: backend.KindLocal, AccountID: acctA, Region: region, StateDir: filepath.Join(dir, "state")}
	b, err := backend.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	cloud, err := backend.TriggersOf(b)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, cloud: cloud, a: cloud.Account(acctA, region), b: cloud.Account(acctB, region), logs: &logSink{}}
	t.Cleanup(func() { e.a.Close(); e.b.Close() })
	e.token, err = LoadToken(cfg.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*pipeline.Pipeline{quickPipeline("quick"), gatePipeline(), slowPipeline(), flakyPipeline(), logsPipeline()} {
		e.create(e.a, p, acctA)
	}
	e.create(e.b, otherPipeline(), acctB)
	// A pipeline never run, whose store breaks rules the stores page shows: a bucket whose
	// versioning was suspended, a customer-managed key without rotation.
	key, err := e.a.CreateKey(context.Background(), backend.KeySpec{Description: "unversioned's key", Alias: "alias/unversioned"})
	if err != nil {
		t.Fatal(err)
	}
	unversioned := base("unversioned", pipeline.Stage{Name: "Build", Actions: []pipeline.Action{shell("Noop", 1, []string{"src"}, nil, "true")}})
	unversioned.ArtifactStores[0].EncryptionKey = &pipeline.EncryptionKey{ID: key.ARN, Type: "KMS"}
	e.create(e.a, unversioned, acctA)
	if _, err := e.a.PutBucketVersioning(context.Background(), "unversioned-artifacts", false); err != nil {
		t.Fatal(err)
	}
	e.srv, err = New(Config{Backend: cloud, Token: e.token, Logger: slog.New(slog.NewTextHandler(e.logs, nil)), Coalesce: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.ts = httptest.NewServer(e.srv.Handler())
	t.Cleanup(func() {
		e.srv.EndStreams()
		e.ts.Close()
		e.srv.Close()
		// A test that failed half way leaves runs going: stop them, or the wait never ends.
		e.mu.Lock()
		for _, r := range e.runs {
			_ = r.acct.StopRun(context.Background(), r.pipeline, r.id, true, "the test ended")
		}
		e.mu.Unlock()
		e.driven.Wait()
	})
	return e
}

// create makes p's artifact store and source bucket (with a source object) and p itself.
func (e *env) create(acct backend.TriggerAccount, p *pipeline.Pipeline, account string) {
	e.t.Helper()
	ctx := context.Background()
	for _, name := range []string{p.Name + "-artifacts", p.Name + "-source", p.Name + "-site"} {
		if _, err := acct.CreateBucket(ctx, backend.Bucket{Name: name, Versioning: true}); err != nil {
			e.t.Fatal(err)
		}
	}
	if _, err := acct.PutObject(ctx, "", p.Name+"-source", "app.zip", bytes.NewReader(zipOf(e.t, map[string]string{"index.html": "<h1>" + p.Name + "</h1>"}))); err != nil {
		e.t.Fatal(err)
	}
	p.RoleARN = "arn:aws:iam::" + account + ":role/" + p.Name
	if _, err := acct.CreatePipeline(ctx, p); err != nil {
		e.t.Fatalf("creating %s: %v", p.Name, err)
	}
}

func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// base is a pipeline with an S3 source stage (artifact "src") followed by stages.
func base(name string, stages ...pipeline.Stage) *pipeline.Pipeline {
	return &pipeline.Pipeline{
		Name: name, PipelineType: pipeline.PipelineTypeV2,
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: name + "-artifacts", Type: "S3"}},
		Stages: append([]pipeline.Stage{{Name: "Source", Actions: []pipeline.Action{{
			Name: "Fetch", Category: "Source", Owner: "AWS", Provider: "S3", Version: "1",
			Configuration:   map[string]string{"S3Bucket": name + "-source", "S3ObjectKey": "app.zip", "PollForSourceChanges": "false"},
			OutputArtifacts: []string{"src"},
		}}}}, stages...),
	}
}

// shell is a Build/Commands action running commands (one per line) on its inputs.
func shell(name string, runOrder int, in, out []string, commands ...string) pipeline.Action {
	return pipeline.Action{Name: name, Category: "Build", Owner: "AWS", Provider: "Commands", Version: "1", RunOrder: runOrder,
		Configuration: map[string]string{"Commands": strings.Join(commands, "\n")}, InputArtifacts: in, OutputArtifacts: out}
}

// quickPipeline is the quickstart's shape: source → build → two tests in parallel → deploy.
// Each action waits #{variables.pause} seconds, so a page sees it run.
func quickPipeline(name string) *pipeline.Pipeline {
	p := base(name,
		pipeline.Stage{Name: "Build", Actions: []pipeline.Action{shell("Build", 1, []string{"src"}, []string{"site"}, "sleep #{variables.pause}", "echo built >> index.html")}},
		pipeline.Stage{Name: "Test", Actions: []pipeline.Action{
			shell("Html", 1, []string{"site"}, nil, "sleep #{variables.pause}", "true"),
			shell("Content", 1, []string{"site"}, nil, "sleep #{variables.pause}", "true"),
		}},
		pipeline.Stage{Name: "Deploy", Actions: []pipeline.Action{{Name: "Publish", Category: "Deploy", Owner: "AWS", Provider: "S3", Version: "1",
			Configuration: map[string]string{"BucketName": name + "-site", "Extract": "true"}, InputArtifacts: []string{"site"}}}},
	)
	p.Variables = []pipeline.Variable{{Name: "pause", DefaultValue: "0.5"}}
	return p
}

// gatePipeline waits for a manual approval, then builds.
func gatePipeline() *pipeline.Pipeline {
	return base("gate",
		pipeline.Stage{Name: "Approve", Actions: []pipeline.Action{{Name: "Sign-off", Category: "Approval", Owner: "AWS", Provider: "Manual", Version: "1",
			Configuration: map[string]string{"CustomData": "Ship the release?"}}}},
		pipeline.Stage{Name: "Build", Actions: []pipeline.Action{shell("After", 1, []string{"src"}, nil, "echo approved and built")}},
	)
}

// slowPipeline runs an action for as long as a test lets it.
func slowPipeline() *pipeline.Pipeline {
	return base("slow", pipeline.Stage{Name: "Build", Actions: []pipeline.Action{shell("Sleep", 1, []string{"src"}, nil, "sleep 120")}})
}

// flakyPipeline fails until the file named by #{variables.ok} exists.
func flakyPipeline() *pipeline.Pipeline {
	p := base("flaky", pipeline.Stage{Name: "Build", Actions: []pipeline.Action{shell("Check", 1, []string{"src"}, nil, "test -e #{variables.ok}")}})
	p.Variables = []pipeline.Variable{{Name: "ok", DefaultValue: "/nonexistent"}}
	return p
}

// logsPipeline prints a line, waits for the gate file #{variables.gate}, prints another.
func logsPipeline() *pipeline.Pipeline {
	p := base("logs", pipeline.Stage{Name: "Build", Actions: []pipeline.Action{shell("Talk", 1, []string{"src"}, nil,
		"echo FIRST-LINE-OF-THE-LOG", "while [ ! -e #{variables.gate} ]; do sleep 0.05; done", "echo LAST-LINE-OF-THE-LOG")}})
	p.Variables = []pipeline.Variable{{Name: "gate", DefaultValue: "/nonexistent"}}
	return p
}

// otherPipeline is account B's: its names must never show on account A's pages.
func otherPipeline() *pipeline.Pipeline {
	return base("otherteam", pipeline.Stage{Name: "Build", Actions: []pipeline.Action{shell("Secret", 1, []string{"src"}, nil, "echo b-only")}})
}

// start starts a run of a pipeline of acct and drives it in the background.
func (e *env) start(acct backend.TriggerAccount, name string, vars map[string]string) *backend.Run {
	e.t.Helper()
	run, err := acct.StartRun(context.Background(), backend.RunRequest{Pipeline: name, Variables: vars, Trigger: backend.TriggerManual})
	if err != nil {
		e.t.Fatal(err)
	}
	e.mu.Lock()
	e.runs = append(e.runs, startedRun{acct, name, run.ID})
	e.mu.Unlock()
	e.driven.Add(1)
	go func() {
		defer e.driven.Done()
		_, _ = acct.ExecuteRun(context.Background(), name, run.ID)
	}()
	return run
}

// waitRun waits until the run's status satisfies ok.
func (e *env) waitRun(acct backend.TriggerAccount, name, id string, what string, ok func(*backend.Run) bool) *backend.Run {
	e.t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		run, err := acct.GetRun(context.Background(), name, id)
		if err != nil {
			e.t.Fatal(err)
		}
		if ok(run) {
			return run
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s: run %s is %s (%s)", what, id, run.Status, run.StatusReason)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ended(r *backend.Run) bool { return backend.RunEnded(r.Status) }

func actionIs(stage, action, status string) func(*backend.Run) bool {
	return func(r *backend.Run) bool { a := r.Action(stage, action); return a != nil && a.Status == status }
}

// runPath is the path of a run's page in account A.
func runPath(name, id string) string { return runURL(acctA, region, name, id) }

// client is an HTTP client holding the console's cookie (after opening the token URL).
func (e *env) client(withToken bool) *http.Client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if withToken {
		resp, err := c.Get(e.ts.URL + Prefix + "?token=" + url.QueryEscape(e.token))
		if err != nil {
			e.t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			e.t.Fatalf("opening with the token: %s", resp.Status)
		}
	}
	return c
}

func get(t testing.TB, c *http.Client, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// writeFile creates a file a pipeline's commands wait for.
func writeFile(t testing.TB, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}
