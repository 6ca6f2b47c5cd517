package daemon

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// BenchmarkWebhookNoMatch measures signed webhook requests over loopback from 8 concurrent
// keep-alive connections: lookup, HMAC-SHA256 verification, JSON parsing and filters that do
// not match, so no run starts.
//
//	go test ./internal/daemon -run '^$' -bench WebhookNoMatch -benchtime 10s
func BenchmarkWebhookNoMatch(b *testing.B) {
	e := newEnv(b)
	e.initRepo("app")
	e.createPipeline(gitPipeline("app", "app", "", "true"))
	if _, err := e.acct.PutWebhook(context.Background(), &backend.Webhook{Name: "gh", Authentication: pipeline.WebhookAuthGitHubHMAC, SecretToken: secret,
		Filters: []pipeline.WebhookFilter{{JSONPath: "$.ref", MatchEquals: "refs/heads/{Branch}"}}, TargetPipeline: "app", TargetAction: "Source"}, false); err != nil {
		b.Fatal(err)
	}
	d := e.startDaemon(e.cloud, nil)
	url := backend.WebhookURL(d.Addr(), acct, region, "gh")
	body := pushPayload("refs/heads/feature")
	sig := sign(body, secret)
	const conns = 8
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
	var next, failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("X-Hub-Signature-256", sig)
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d of %d requests failed", failed.Load(), b.N)
	}
	if n := e.runCount("app"); n != 0 {
		b.Fatalf("%d runs started by non-matching requests", n)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	d.stop(b)
}

// BenchmarkCommitToFirstAction measures the time from the end of `git commit` to the start of
// the run's first action, through the file notification on the repository's refs.
//
//	go test ./internal/daemon -run '^$' -bench CommitToFirstAction -benchtime 7x
func BenchmarkCommitToFirstAction(b *testing.B) {
	e := newEnv(b)
	repo := e.initRepo("lat")
	e.createPipeline(gitPipeline("lat", "lat", "PARALLEL", "true"))
	d := e.startDaemon(e.cloud, nil)
	e.waitCursor("lat", "Source", nil)
	var latencies []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.commit(repo, "f.txt", fmt.Sprint(i))
		committed := time.Now()
		runs := e.waitRuns("lat", i+1)
		id := runs[i].ID
		var started time.Time
		for deadline := time.Now().Add(waitFor); started.IsZero() && time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
			run, err := e.acct.GetRun(context.Background(), "lat", id)
			if err != nil {
				b.Fatal(err)
			}
			started = run.Action("Source", "Source").Started
		}
		latencies = append(latencies, started.Sub(committed))
	}
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(latencies[len(latencies)-1].Microseconds())/1000, "ms-max")
	e.waitEnded("lat")
	d.stop(b)
}
