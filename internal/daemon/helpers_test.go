package daemon

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	_ "github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/backends"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

const (
	acct   = "111111111111"
	region = "us-east-1"
	store  = "daemon-artifacts"
	// waitFor bounds every wait for the daemon: generous, because a loaded CI machine is slow,
	// and never an assertion on speed.
	waitFor = 30 * time.Second
)

// env is a state directory with an artifact store and a repositories directory, opened
// through backend.Open as `codepipeline serve` opens it.
type env struct {
	t     testing.TB
	cfg   backend.Config
	cloud backend.Triggers
	acct  account
	repos string
}

// account is what the tests do as the account: what the daemon does, and webhooks.
type account interface {
	backend.TriggerAccount
	backend.Webhooks
}

func newEnv(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	repos := filepath.Join(dir, "repos")
	cfg := backend.Config{Kind: backend.KindLocal, AccountID: acct, Region: region, StateDir: filepath.Join(dir, "state"), RepositoriesDir: repos}
	b, err := backend.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	a, ok := b.(account)
	triggers, err := backend.TriggersOf(b)
	if !ok || err != nil {
		t.Fatalf("the %s backend does not offer what the daemon needs (%v)", cfg.Kind, backend.Capabilities(b))
	}
	if _, err := a.CreateBucket(context.Background(), backend.Bucket{Name: store, Versioning: true}); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, cfg: cfg, cloud: triggers, acct: a, repos: repos}
}

// reopen is a second connection to the same state directory: what a second daemon process has.
func (e *env) reopen() backend.Triggers {
	b, err := backend.Open(context.Background(), e.cfg, backend.Unshared())
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { b.Close() })
	t, err := backend.TriggersOf(b)
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

// logSink collects a daemon's log lines and shows them when the test fails.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// running is a daemon started by a test.
type running struct {
	*Daemon
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned, with err set
	err    error
	logs   *logSink
}

// stop shuts the daemon down and waits for it.
func (r *running) stop(t testing.TB) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		if r.err != nil {
			t.Errorf("daemon: %v", r.err)
		}
	case <-time.After(waitFor):
		t.Fatal("the daemon did not shut down")
	}
}

func (e *env) startDaemon(c backend.Triggers, tweak func(*Config)) *running {
	e.t.Helper()
	logs := &logSink{}
	cfg := Config{
		Backend: c, Listen: "127.0.0.1:0",
		Rescan: time.Hour, PollInterval: time.Hour, LeaseTTL: 900 * time.Millisecond, StopGrace: 20 * time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	d, err := New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Daemon: d, cancel: cancel, done: make(chan struct{}), logs: logs}
	go func() { r.err = d.Run(ctx); close(r.done) }()
	e.t.Cleanup(func() {
		cancel()
		<-r.done
		if e.t.Failed() {
			e.t.Logf("daemon %s log:\n%s", d.Addr(), logs.String())
		}
	})
	return r
}

// initRepo creates a git repository with one commit on main.
func (e *env) initRepo(name string) string {
	e.t.Helper()
	dir := filepath.Join(e.repos, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		e.t.Fatal(err)
	}
	e.git(dir, "init", "-q", "-b", "main")
	e.commit(dir, "README.md", "hello")
	return dir
}

func (e *env) git(dir string, args ...string) string {
	e.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+e.t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes a file and commits it on the checked-out branch; it returns the commit id.
func (e *env) commit(repo, file, content string) string {
	e.t.Helper()
	path := filepath.Join(repo, file)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.git(repo, "add", "-A")
	e.git(repo, "commit", "-q", "-m", "change "+file)
	return e.git(repo, "rev-parse", "HEAD")
}

// gitPipeline is a git source (CodeCommit, or CodeStarSourceConnection when triggers are
// given) and a Commands build running buildCommands.
func gitPipeline(name, repo, mode, buildCommands string, triggers ...pipeline.Trigger) *pipeline.Pipeline {
	source := pipeline.Action{Name: "Source", Category: "Source", Owner: "AWS", Provider: "CodeCommit", Version: "1",
		Configuration: map[string]string{"RepositoryName": repo, "BranchName": "main"}, OutputArtifacts: []string{"src"}}
	if len(triggers) > 0 {
		source.Provider = "CodeStarSourceConnection"
		source.Configuration = map[string]string{"FullRepositoryId": repo, "BranchName": "main",
			"ConnectionArn": "arn:aws:codestar-connections:us-east-1:" + acct + ":connection/local"}
	}
	return &pipeline.Pipeline{
		Name: name, RoleARN: "arn:aws:iam::" + acct + ":role/pipeline", ExecutionMode: mode, Triggers: triggers,
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: store, Type: "S3"}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{source}},
			{Name: "Build", Actions: []pipeline.Action{{Name: "Build", Category: "Build", Owner: "AWS", Provider: "Commands", Version: "1",
				Configuration: map[string]string{"Commands": buildCommands}, InputArtifacts: []string{"src"}}}},
		},
	}
}

// s3Pipeline is an S3 source and a Commands build.
func s3Pipeline(name, bucket string, poll bool) *pipeline.Pipeline {
	cfg := map[string]string{"S3Bucket": bucket, "S3ObjectKey": "app.zip"}
	if poll {
		cfg["PollForSourceChanges"] = "true"
	}
	p := gitPipeline(name, "", "", "true")
	p.Stages[0].Actions[0] = pipeline.Action{Name: "Source", Category: "Source", Owner: "AWS", Provider: "S3", Version: "1",
		Configuration: cfg, OutputArtifacts: []string{"src"}}
	return p
}

func (e *env) createPipeline(p *pipeline.Pipeline) {
	e.t.Helper()
	if _, err := e.acct.CreatePipeline(context.Background(), p); err != nil {
		e.t.Fatal(err)
	}
}

// waitCursor waits until the daemon has recorded the source's state and cond holds for it:
// the daemon writes a cursor only after acting on what it saw, so this is the barrier that
// says "the daemon has processed this change".
func (e *env) waitCursor(pipelineName, action string, cond func(*cursor) bool) {
	e.t.Helper()
	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		raw, err := e.cloud.TriggerCursor(context.Background(), backend.CursorKey{AccountID: acct, Region: region, Pipeline: pipelineName, Action: action})
		if err != nil {
			e.t.Fatal(err)
		}
		if c := decodeCursor(raw); c != nil && (cond == nil || cond(c)) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("the daemon did not record the expected state of %s/%s", pipelineName, action)
}

// waitRuns waits until the pipeline has at least n runs and returns them, oldest first.
func (e *env) waitRuns(pipelineName string, n int) []*backend.Run {
	e.t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		runs, err := e.acct.ListRuns(context.Background(), pipelineName, 0)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(runs) >= n {
			for i, j := 0, len(runs)-1; i < j; i, j = i+1, j-1 {
				runs[i], runs[j] = runs[j], runs[i]
			}
			return runs
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("pipeline %s has %d runs after %s, want %d", pipelineName, len(runs), waitFor, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) runCount(pipelineName string) int {
	e.t.Helper()
	runs, err := e.acct.ListRuns(context.Background(), pipelineName, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(runs)
}

// waitEnded waits until every run of the pipeline has ended and returns them, oldest first.
func (e *env) waitEnded(pipelineName string) []*backend.Run {
	e.t.Helper()
	deadline := time.Now().Add(2 * waitFor)
	for {
		runs := e.waitRuns(pipelineName, 1)
		ended := true
		for _, r := range runs {
			ended = ended && backend.RunEnded(r.Status)
		}
		if ended {
			return runs
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("runs of %s did not end", pipelineName)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func hmacHex(body []byte, key string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func timeNow() time.Time { return time.Now() }

func sleep() { time.Sleep(20 * time.Millisecond) }

// zipDir zips the files at the top of dir.
func zipDir(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		data, err := os.ReadFile(filepath.Join(dir, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(en.Name())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
