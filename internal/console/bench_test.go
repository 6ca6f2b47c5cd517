package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// The console's numbers (make bench-console): how soon a big pipeline's page paints, how many
// live updates a page takes during a 500-action run without falling behind, and what ten open
// consoles cost `codepipeline serve` in memory. Each is measured against a baseline in the
// same run; none is asserted.

// wide is a pipeline of stages stages after its source, each of perStage actions in one group
// (parallel), every action reading the source artifact.
func wide(name string, stages, perStage int) *pipeline.Pipeline {
	var st []pipeline.Stage
	for i := range stages {
		s := pipeline.Stage{Name: fmt.Sprintf("S%02d", i)}
		for j := range perStage {
			s.Actions = append(s.Actions, shell(fmt.Sprintf("A%02d", j), 1, []string{"src"}, nil, "true"))
		}
		st = append(st, s)
	}
	return base(name, st...)
}

// chain50 is a pipeline of 50 stages: its source, then 49 stages of two parallel actions and
// a third after them, each stage consuming the artifact the stage before produced.
func chain50() *pipeline.Pipeline {
	var st []pipeline.Stage
	prev := "src"
	for i := 1; i < 50; i++ {
		out := fmt.Sprintf("art%02d", i)
		st = append(st, pipeline.Stage{Name: fmt.Sprintf("Stage%02d", i), Actions: []pipeline.Action{
			shell("Build", 1, []string{prev}, []string{out}, "true"),
			shell("Lint", 1, []string{prev}, nil, "true"),
			shell("Check", 2, []string{out}, nil, "true"),
		}})
		prev = out
	}
	return base("chain50", st...)
}

// paints opens path in a fresh tab and returns its first contentful paint, in milliseconds.
func paints(b *testing.B, e *env, path string) float64 {
	ctx := tab(b)
	do(b, ctx, chromedp.Navigate(e.ts.URL+Prefix+"?token="+url.QueryEscape(e.token)))
	do(b, ctx, chromedp.Navigate(e.ts.URL+path))
	until(b, ctx, "the first contentful paint", `performance.getEntriesByName("first-contentful-paint").length > 0`)
	return eval[float64](b, ctx, `performance.getEntriesByName("first-contentful-paint")[0].startTime`)
}

func median(xs []float64) float64 {
	sort.Float64s(xs)
	return xs[len(xs)/2]
}

func BenchmarkFirstPaint50StagePipeline(b *testing.B) {
	e := newEnv(b)
	e.create(e.a, chain50(), acctA)
	c := e.client(true)
	_, svg, _ := get(b, c, e.ts.URL+pipelineURL(acctA, region, "chain50")+"graph.svg")
	_, page, _ := get(b, c, e.ts.URL+pipelineURL(acctA, region, "chain50"))
	var big, small []float64
	for b.Loop() {
		big = append(big, paints(b, e, pipelineURL(acctA, region, "chain50")))
		small = append(small, paints(b, e, pipelineURL(acctA, region, "gate")))
	}
	b.ReportMetric(median(big), "fcp-ms-50-stages")
	b.ReportMetric(median(small), "fcp-ms-3-stages")
	b.ReportMetric(median(big)/median(small), "fcp-ratio")
	b.ReportMetric(float64(len(svg)), "svg-bytes")
	b.ReportMetric(float64(len(page)), "page-bytes")
}

// BenchmarkLiveUpdates500ParallelActions follows a run of 10 stages × 50 parallel actions
// (PARALLEL execution mode) on its page, and reports the updates the page applied per second,
// the action status changes it showed per second, and how far behind the server the page ever
// was. The page must end showing all 500 actions Succeeded.
func BenchmarkLiveUpdates500ParallelActions(b *testing.B) {
	e := newEnv(b)
	p := wide("wide500", 10, 50)
	p.ExecutionMode = pipeline.ExecutionModeParallel
	e.create(e.a, p, acctA)
	for b.Loop() {
		run, err := e.a.StartRun(context.Background(), backend.RunRequest{Pipeline: "wide500", Trigger: backend.TriggerManual})
		if err != nil {
			b.Fatal(err)
		}
		ctx := tab(b)
		e.open(b, ctx, runPath("wide500", run.ID))
		until(b, ctx, "the page following the run", `window.consoleLive && window.consoleLive.applied > 0`)
		start := time.Now()
		ended, err := e.a.ExecuteRun(context.Background(), "wide500", run.ID)
		if err != nil {
			b.Fatal(err)
		}
		until(b, ctx, "the page showing the end", `window.consoleLive.ended`)
		elapsed := time.Since(start)
		if ended.Status != backend.StatusSucceeded {
			b.Fatalf("run = %s (%s)", ended.Status, ended.StatusReason)
		}
		if n := eval[int](b, ctx, `document.querySelectorAll('g.pg-action[data-status="Succeeded"]').length`); n != 501 {
			b.Fatalf("the page shows %d actions Succeeded, want 501: it fell behind", n)
		}
		applied := eval[float64](b, ctx, `window.consoleLive.applied`)
		busy := eval[float64](b, ctx, `window.consoleLive.busyMs`)
		b.ReportMetric(applied/elapsed.Seconds(), "updates/s")
		// What the page could take: updates per second of its own time spent applying them.
		b.ReportMetric(busy/applied, "page-ms/update")
		b.ReportMetric(1000*applied/busy, "page-capacity-updates/s")
		b.ReportMetric(1000/elapsed.Seconds(), "status-changes/s")
		b.ReportMetric(eval[float64](b, ctx, `window.consoleLive.maxLagMs`), "max-lag-ms")
		b.ReportMetric(elapsed.Seconds(), "run-s")
	}
}

// BenchmarkServeMemory10Consoles runs `codepipeline serve` as a process of its own over a state
// directory with a run in progress, and reports its resident memory with no console open and
// with ten pages following the run.
func BenchmarkServeMemory10Consoles(b *testing.B) {
	e := newEnv(b)
	bin := filepath.Join(b.TempDir(), "codepipeline")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/codepipeline").CombinedOutput(); err != nil {
		b.Fatalf("building codepipeline: %v\n%s", err, out)
	}
	gate := e.start(e.a, "gate", nil)
	e.waitRun(e.a, "gate", gate.ID, "the approval waiting", actionIs("Approve", "Sign-off", backend.StatusInProgress))
	for b.Loop() {
		cmd := exec.Command(bin, "serve", "-state-dir", filepath.Join(e.dir, "state"), "-listen", "127.0.0.1:0")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		consoleURL := ""
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "console: "); ok {
				consoleURL = u
				break
			}
		}
		go func() { _, _ = io.Copy(io.Discard, stdout) }()
		if consoleURL == "" {
			b.Fatal("serve printed no console address")
		}
		u, _ := url.Parse(consoleURL)
		root := u.Scheme + "://" + u.Host
		page := root + runPath("gate", gate.ID)
		time.Sleep(time.Second)
		before := rssKB(b, cmd.Process.Pid)
		// The first console in the browser; nine more as their pages cost serve: the page, then
		// its event stream held open and read (a browser keeps six connections per server over
		// HTTP/1.1, so one browser cannot hold ten streams to one serve).
		ctx := tab(b)
		do(b, ctx, chromedp.Navigate(consoleURL), chromedp.Navigate(page))
		until(b, ctx, "the browser's console following the run", `window.consoleLive && window.consoleLive.applied > 0`)
		streams := eval[string](b, ctx, `document.body.getAttribute("data-live")`)
		jar, _ := cookiejar.New(nil)
		client := &http.Client{Jar: jar}
		if resp, err := client.Get(consoleURL); err == nil {
			resp.Body.Close()
		}
		for i := range 9 {
			resp, err := client.Get(page)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			stream, err := client.Get(root + streams)
			if err != nil || stream.StatusCode != http.StatusOK {
				b.Fatalf("console %d's stream: %v", i+2, err)
			}
			b.Cleanup(func() { stream.Body.Close() })
			first := make(chan struct{})
			go func() {
				var once sync.Once
				sc := bufio.NewScanner(stream.Body)
				sc.Buffer(nil, 1<<22)
				for sc.Scan() {
					if strings.HasPrefix(sc.Text(), "event: update") {
						once.Do(func() { close(first) })
					}
				}
			}()
			select {
			case <-first:
			case <-time.After(waitFor):
				b.Fatalf("console %d got no update", i+2)
			}
		}
		time.Sleep(3 * time.Second) // rescans: every page reads the run again
		after := rssKB(b, cmd.Process.Pid)
		b.ReportMetric(float64(before)/1024, "rss-MiB-no-console")
		b.ReportMetric(float64(after)/1024, "rss-MiB-10-consoles")
		b.ReportMetric(float64(after-before)/10, "KiB-per-console")
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}
}

// rssKB is a process's resident memory (VmRSS), in KiB.
func rssKB(b *testing.B, pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
