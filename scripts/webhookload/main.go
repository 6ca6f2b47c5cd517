// Command webhookload measures the webhook endpoint of `codepipeline serve` from a second
// process: it prepares a state directory with a pipeline and a GITHUB_HMAC webhook, starts the
// daemon, and sends correctly signed push payloads for a bounded time from a few connections.
// The payloads name another branch than the source's, so every request is verified (HMAC,
// JSON, filters) and none starts a run. Run it with scripts/bench-webhook.sh.
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	_ "github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/backends"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

const secret = "load-test-secret"

func main() {
	cli := flag.String("codepipeline", "bin/codepipeline", "the codepipeline CLI binary")
	duration := flag.Duration("duration", 10*time.Second, "how long to send requests")
	conns := flag.Int("conns", 8, "concurrent keep-alive connections")
	flag.Parse()

	dir, err := os.MkdirTemp("", "webhookload-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg := backend.Config{Kind: backend.KindLocal, AccountID: backend.DefaultAccountID, Region: backend.DefaultRegion, StateDir: dir}
	if err := prepare(cfg); err != nil {
		log.Fatal(err)
	}
	addr, err := freeAddr()
	if err != nil {
		log.Fatal(err)
	}
	daemon := exec.Command(*cli, "serve", "-state-dir", dir, "-listen", addr)
	daemon.Stdout, daemon.Stderr = io.Discard, io.Discard // its request log lines are part of its cost, not of the report
	if err := daemon.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() { _ = daemon.Process.Signal(syscall.SIGTERM); _ = daemon.Wait() }()
	if err := waitHealthy(addr); err != nil {
		log.Fatal(err)
	}

	url := backend.WebhookURL(addr, cfg.AccountID, cfg.Region, "gh")
	body := []byte(`{"ref":"refs/heads/feature","repository":{"name":"app"},"head_commit":{"id":"0123456789abcdef"}}`)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns}}

	var mu sync.Mutex
	statuses := map[int]int{}
	var latencies []time.Duration
	deadline := time.Now().Add(*duration)
	var wg sync.WaitGroup
	start := time.Now()
	for range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			counts := map[int]int{}
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Hub-Signature-256", sig)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					counts[-1]++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
				counts[resp.StatusCode]++
			}
			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, mine...)
			for k, v := range counts {
				statuses[k] += v
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	n := len(latencies)
	if n == 0 {
		log.Fatalf("no request completed: %v", statuses)
	}
	fmt.Printf("webhook requests: %d in %s from %d connections = %.0f req/s (HMAC verified, filters not matching)\n",
		n, elapsed.Round(time.Millisecond), *conns, float64(n)/elapsed.Seconds())
	fmt.Printf("latency: p50 %s, p99 %s, max %s; statuses: %v\n",
		latencies[n/2].Round(time.Microsecond), latencies[n*99/100].Round(time.Microsecond), latencies[n-1].Round(time.Microsecond), statuses)
	if statuses[http.StatusOK] != n {
		os.Exit(1)
	}
}

// prepare creates the artifact store, a pipeline with a CodeCommit source on main, and the
// webhook targeting it.
func prepare(cfg backend.Config) error {
	ctx := context.Background()
	a, err := backend.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	hooks, err := backend.WebhooksOf(a)
	if err != nil {
		return err
	}
	if _, err := a.CreateBucket(ctx, backend.Bucket{Name: "load-artifacts", Versioning: true}); err != nil {
		return err
	}
	p := &pipeline.Pipeline{
		Name: "app", RoleARN: cfg.Partition().Role(cfg.AccountID, "pipeline"),
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "load-artifacts", Type: "S3"}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{{Name: "Source", Category: "Source", Owner: "AWS", Provider: "CodeCommit", Version: "1",
				Configuration: map[string]string{"RepositoryName": "app", "BranchName": "main", "PollForSourceChanges": "false"}, OutputArtifacts: []string{"src"}}}},
			{Name: "Approve", Actions: []pipeline.Action{{Name: "Gate", Category: "Approval", Owner: "AWS", Provider: "Manual", Version: "1"}}},
		},
	}
	if _, err := a.CreatePipeline(ctx, p); err != nil {
		return err
	}
	_, err = hooks.PutWebhook(ctx, &backend.Webhook{Name: "gh", Authentication: pipeline.WebhookAuthGitHubHMAC, SecretToken: secret,
		Filters:        []pipeline.WebhookFilter{{JSONPath: "$.ref", MatchEquals: "refs/heads/{Branch}"}},
		TargetPipeline: "app", TargetAction: "Source"}, false)
	return err
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitHealthy(addr string) error {
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("the daemon at %s did not become healthy", addr)
}
