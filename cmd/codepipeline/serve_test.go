package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// syncBuffer is a buffer a running command writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var servingOn = regexp.MustCompile(`webhooks on http://(\S+)\n`)

// startServe runs `codepipeline serve` on dir in this process until the test ends, and returns
// the address it serves on.
func startServe(t *testing.T, dir string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runIn(ctx, &cli{stdout: &out, stderr: &errOut, workdir: t.TempDir(), getenv: func(string) string { return "" }},
			[]string{"serve", "-state-dir", dir, "-listen", "127.0.0.1:0"})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Error("serve did not stop")
		}
	})
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if m := servingOn.FindStringSubmatch(errOut.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never said where it listens:\n%s", errOut.String())
		}
	}
}

// TestSecondServeSaysWhoHoldsThePort: a serve refused its address says which process holds
// it — a serve of the same state directory, of another one, or another program — and how to
// pick another address.
func TestSecondServeSaysWhoHoldsThePort(t *testing.T) {
	rc := newRunsCloud(t)
	addr := startServe(t, rc.dir)

	code, _, errOut := runCLI("serve", "-state-dir", rc.dir, "-listen", addr)
	if code != exitFindings || !strings.Contains(errOut, fmt.Sprintf("cannot listen on %s: the address is already in use by another codepipeline serve of this same state directory (pid %d)", addr, os.Getpid())) ||
		!strings.Contains(errOut, "you need not\nstart a second one") || !strings.Contains(errOut, "-listen 127.0.0.1:0") {
		t.Errorf("second serve of the same state directory: exit %d\n%s", code, errOut)
	}

	other := t.TempDir()
	code, _, errOut = runCLI("serve", "-state-dir", other, "-listen", addr)
	if code != exitFindings || !strings.Contains(errOut, "by a codepipeline serve of another state directory, "+rc.dir) || !strings.Contains(errOut, "-listen") {
		t.Errorf("serve of another state directory: exit %d\n%s", code, errOut)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, errOut = runCLI("serve", "-state-dir", other, "-listen", ln.Addr().String())
	if code != exitFindings || !strings.Contains(errOut, fmt.Sprintf("by process %d (", os.Getpid())) || !strings.Contains(errOut, "-listen 127.0.0.1:0") {
		t.Errorf("address held by another program: exit %d\n%s", code, errOut)
	}
}

func TestServeRefusesANonPositiveWebhookBodyCap(t *testing.T) {
	code, _, errOut := runCLI("serve", "-state-dir", t.TempDir(), "-listen", "127.0.0.1:0", "-webhook-max-body", "0")
	if code == 0 || !strings.Contains(errOut, "-webhook-max-body 0: the largest webhook body must be a positive number of bytes") {
		t.Fatalf("exit %d, stderr %q; want a refusal naming -webhook-max-body", code, errOut)
	}
}

// TestServeAnnouncesItsAWSEndpointToBuilds: while serve runs its AWS endpoint, a build that
// another command runs (codepipeline start) gets AWS_ENDPOINT_URL and a role session's key;
// once serve stopped, the next build gets neither.
func TestServeAnnouncesItsAWSEndpointToBuilds(t *testing.T) {
	root := t.TempDir()
	dir, repos := filepath.Join(root, "state"), filepath.Join(root, "repos")
	gitRepoAt(t, filepath.Join(repos, "app"))
	cfg := backend.Config{Kind: backend.KindLocal, AccountID: backend.DefaultAccountID, Region: backend.DefaultRegion, StateDir: dir, RepositoriesDir: repos}
	b, err := backend.Open(context.Background(), cfg, backend.Unshared())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if _, err := b.CreateBucket(ctx, backend.Bucket{Name: "app-artifacts", Versioning: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreatePipeline(ctx, &pipeline.Pipeline{
		Name: "app", RoleARN: "arn:aws:iam::" + backend.DefaultAccountID + ":role/pipeline",
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "app-artifacts", Type: "S3"}},
		Stages: []pipeline.Stage{{Name: "Source", Actions: []pipeline.Action{{
			Name: "Checkout", Category: pipeline.CategorySource, Owner: "AWS", Provider: "CodeCommit", Version: "1",
			Configuration: map[string]string{"RepositoryName": "app", "BranchName": "main"}, OutputArtifacts: []string{"src"},
		}}}, buildStage("Build", "Env", `echo "endpoint=${AWS_ENDPOINT_URL:-none} key=${AWS_ACCESS_KEY_ID:0:4}"`)},
	}); err != nil {
		t.Fatal(err)
	}
	buildLog := func() string {
		t.Helper()
		if code, _, errOut := runCLI("start", "app", "-state-dir", dir); code != exitOK {
			t.Fatalf("start: exit %d\n%s", code, errOut)
		}
		runs, err := backend.RunsOf(b)
		if err != nil {
			t.Fatal(err)
		}
		list, err := runs.ListRuns(ctx, "app", 1)
		if err != nil || len(list) != 1 {
			t.Fatalf("runs %v, %v", list, err)
		}
		logs, err := backend.ActionLogsOf(b)
		if err != nil {
			t.Fatal(err)
		}
		log, err := logs.ActionLog(ctx, "app", list[0].ID, "Build", "Env")
		if err != nil {
			t.Fatal(err)
		}
		return string(log)
	}

	serveCtx, stop := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runIn(serveCtx, &cli{stdout: &out, stderr: &errOut, workdir: t.TempDir(), getenv: func(string) string { return "" }},
			[]string{"serve", "-state-dir", dir, "-listen", "127.0.0.1:0", "-aws-listen", "127.0.0.1:0"})
	}()
	endpoint := regexp.MustCompile(`AWS endpoint (http://\S+) `)
	var url string
	for deadline := time.Now().Add(time.Minute); url == ""; time.Sleep(20 * time.Millisecond) {
		if m := endpoint.FindStringSubmatch(out.String() + errOut.String()); m != nil {
			url = m[1]
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("serve never said where its AWS endpoint listens:\n%s%s", out.String(), errOut.String())
		}
	}
	if log := buildLog(); !strings.Contains(log, "endpoint="+url+" key=ASIA") {
		t.Errorf("a build while serve runs:\n%s\nwant endpoint=%s and a session key", log, url)
	}
	stop()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop")
	}
	if log := buildLog(); !strings.Contains(log, "endpoint=none key=\n") {
		t.Errorf("a build after serve stopped:\n%s\nwant no endpoint and no key", log)
	}
}
