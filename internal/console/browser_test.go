package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// The console in a real browser: headless Chromium driven through the DevTools protocol
// (chromedp). One browser serves every test, each in a tab of its own. Chromium is required:
// without it these tests fail, saying how to install it; they never skip.

// screenshotDir is where the tests write a screenshot of each page at each size, to be looked
// at: CONSOLE_SCREENSHOTS, or codepipeline-console-screenshots in the temporary directory.
func screenshotDir() string {
	if d := os.Getenv("CONSOLE_SCREENSHOTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "codepipeline-console-screenshots")
}

// The two sizes every page is looked at: a laptop and a phone.
var viewports = []struct {
	name          string
	width, height int64
}{{"1280x800", 1280, 800}, {"390x844", 390, 844}}

var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

// chromiumPath finds the browser: CHROMIUM, or chromium on PATH.
func chromiumPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium is not installed: the console's browser tests need it (Debian: apt-get install -y chromium; .ci/run installs it). They are never skipped.")
	return ""
}

// tab opens a browser tab for the test (starting the browser the first time).
func tab(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx(t))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// browserCtx is the browser's context, started the first time.
func browserCtx(t testing.TB) context.Context {
	t.Helper()
	path := chromiumPath(t)
	browser.once.Do(func() {
		dir, err := os.MkdirTemp("", "console-chromium-")
		if err != nil {
			browser.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(dir),
			chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		)
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(alloc)
		if err := chromedp.Do(ctx); err != nil {
			browser.err = fmt.Errorf("starting %s: %w", path, err)
		}
		browser.ctx = ctx
		browser.cancel = func() { cancelCtx(); cancelAlloc(); os.RemoveAll(dir) }
	})
	if browser.err != nil {
		t.Fatal(browser.err)
	}
	return browser.ctx
}

// do runs browser actions, failing the test on an error.
func do(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, waitFor)
	defer cancel()
	if err := chromedp.Do(wctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// until waits until a JavaScript expression is true in the page; what says what for. It asks
// again while the page navigates (a form's POST and its redirect), when there is briefly no
// document to ask.
func until(t testing.TB, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	var last error
	for time.Now().Before(deadline) {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(wctx, chromedp.Evaluate[bool](`!!(`+expr+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(25 * time.Millisecond)
	}
	bctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	body, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 3000) : ""`))
	t.Fatalf("timed out waiting for %s (%s; last error %v)\npage:\n%s", what, expr, last, body)
}

// submit clicks a form's button and waits for the page the form's POST leads to.
func submit(t testing.TB, ctx context.Context, button string) {
	t.Helper()
	markDocument(t, ctx)
	do(t, ctx, chromedp.Click(chromedp.CSS(button)))
	until(t, ctx, "the page after "+button, `window.__sameDocument !== true && document.readyState === "complete"`)
}

// open opens the console in the tab with its token (the session cookie is then set).
func (e *env) open(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(e.ts.URL+Prefix+"?token="+url.QueryEscape(e.token)))
	do(t, ctx, chromedp.Navigate(e.ts.URL+path))
}

// markDocument marks the page's document: it is still the same document (not reloaded) as
// long as the mark is there.
func markDocument(t testing.TB, ctx context.Context) {
	eval[bool](t, ctx, `window.__sameDocument = true`)
}

func sameDocument(t testing.TB, ctx context.Context) {
	t.Helper()
	if !eval[bool](t, ctx, `window.__sameDocument === true`) {
		t.Fatal("the page was reloaded: it was to follow the run live")
	}
}

const summaryBadge = `document.querySelector('#run-summary .badge').textContent.trim()`

func TestBrowserOpensOnlyWithTheToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := tab(t)
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(e.ts.URL+accountURL(acctA, region)))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 401 {
		t.Errorf("without the token: %d, want 401", resp.Status)
	}
	text := eval[string](t, ctx, `document.body.innerText`)
	if !strings.Contains(text, "codepipeline console") || strings.Contains(text, "quick") || strings.Contains(text, acctA) {
		t.Errorf("without the token the page shows more than the login hint:\n%s", text)
	}
	do(t, ctx, chromedp.Navigate(e.ts.URL+Prefix+"?token="+url.QueryEscape(e.token)))
	loc := eval[string](t, ctx, `location.href`)
	if strings.Contains(loc, "token") || !strings.HasSuffix(loc, accountURL(acctA, region)) {
		t.Errorf("after the token the address is %s: want the account page, without the token", loc)
	}
	names := eval[string](t, ctx, `[...document.querySelectorAll('main table tbody th, main table tbody td:first-child')].map(e => e.textContent.trim()).join(',')`)
	if names != "flaky,gate,logs,quick,slow,unversioned" {
		t.Errorf("pipelines listed: %q", names)
	}
	// The switcher leads to the other account, whose page shows its own pipeline only.
	submit(t, ctx, `nav.accounts a[href="`+accountURL(acctB, region)+`"]`)
	if p := eval[string](t, ctx, `location.pathname`); p != accountURL(acctB, region) {
		t.Fatalf("the switcher led to %s", p)
	}
	if names := eval[string](t, ctx, `[...document.querySelectorAll('main table tbody td:first-child')].map(e => e.textContent.trim()).join(',')`); names != "otherteam" {
		t.Errorf("account B's pipelines: %q", names)
	}
}

// A run started with "Release change" goes from InProgress to Succeeded on its page, live.
func TestBrowserRunGoesLiveFromInProgressToSucceeded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := tab(t)
	e.open(t, ctx, pipelineURL(acctA, region, "quick"))
	submit(t, ctx, `form[action$="/start"] button`)
	if p := eval[string](t, ctx, `location.pathname`); !strings.Contains(p, "/r/") {
		t.Fatalf("Release change led to %s, not a run's page", p)
	}
	markDocument(t, ctx)
	if first := eval[string](t, ctx, summaryBadge); first != backend.StatusInProgress {
		t.Fatalf("the new run's page shows %q, want InProgress", first)
	}
	until(t, ctx, "the Build action drawn InProgress or done", `["InProgress","Succeeded"].includes(document.getElementById("a-1-0").getAttribute("data-status"))`)
	until(t, ctx, "the run Succeeded", summaryBadge+` === "Succeeded"`)
	sameDocument(t, ctx)
	statuses := eval[string](t, ctx, `[...document.querySelectorAll('g.pg-action')].map(g => g.id + "=" + g.getAttribute("data-status")).join(",")`)
	if statuses != "a-0-0=Succeeded,a-1-0=Succeeded,a-2-0=Succeeded,a-2-1=Succeeded,a-3-0=Succeeded" {
		t.Errorf("the picture's actions: %s", statuses)
	}
	if n := eval[int](t, ctx, `window.consoleLive.applied`); n < 2 {
		t.Errorf("the page applied %d updates: it did not follow the run", n)
	}
	// The timeline has a bar per action, and the artifact is downloadable.
	if bars := eval[int](t, ctx, `document.querySelectorAll('#run-timeline rect.tl-bar').length`); bars != 5 {
		t.Errorf("timeline bars: %d, want 5", bars)
	}
	href := eval[string](t, ctx, `document.querySelector('a[href*="/artifact/Build/Build/site"]').href`)
	c := e.client(true)
	status, body, h := get(t, c, href)
	if status != 200 || h.Get("Content-Type") != "application/zip" || !strings.HasPrefix(body, "PK") {
		t.Errorf("artifact download: %d %s %q", status, h.Get("Content-Type"), body[:min(len(body), 20)])
	}
}

// A waiting approval is approved by clicking, and the run goes on to its end on the page.
func TestBrowserApproveByClicking(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	run := e.start(e.a, "gate", nil)
	e.waitRun(e.a, "gate", run.ID, "the approval waiting", actionIs("Approve", "Sign-off", backend.StatusInProgress))
	ctx := tab(t)
	e.open(t, ctx, runPath("gate", run.ID))
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#comment-0`)), chromedp.SendKeys(chromedp.CSS(`#comment-0`), "looks good"))
	submit(t, ctx, `#run-approvals button[value="approve"]`)
	until(t, ctx, "the flash after approving", `document.querySelector(".flash") && document.querySelector(".flash").textContent.includes("Approved")`)
	markDocument(t, ctx)
	until(t, ctx, "the run Succeeded", summaryBadge+` === "Succeeded"`)
	sameDocument(t, ctx)
	got := e.waitRun(e.a, "gate", run.ID, "the run's end", ended)
	if got.Status != backend.StatusSucceeded || got.Action("Build", "After").Status != backend.StatusSucceeded {
		t.Fatalf("run = %s, After = %s", got.Status, got.Action("Build", "After").Status)
	}
	if s := got.Action("Approve", "Sign-off").Summary; !strings.Contains(s, "looks good") {
		t.Errorf("the approval's summary %q lacks the comment", s)
	}
}

// Stop and abandon from the page: the running action is abandoned and the run Stopped.
func TestBrowserStopARun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	run := e.start(e.a, "slow", nil)
	e.waitRun(e.a, "slow", run.ID, "the action running", actionIs("Build", "Sleep", backend.StatusInProgress))
	ctx := tab(t)
	e.open(t, ctx, runPath("slow", run.ID))
	do(t, ctx, chromedp.Click(chromedp.CSS(`#run-controls input[value="abandon"]`)),
		chromedp.SendKeys(chromedp.CSS(`#stop-reason`), "no longer needed"))
	submit(t, ctx, `#run-controls button.danger`)
	until(t, ctx, "the run Stopped", summaryBadge+` === "Stopped"`)
	got := e.waitRun(e.a, "slow", run.ID, "the run's end", ended)
	if got.Status != backend.StatusStopped || got.Action("Build", "Sleep").Status != backend.StatusAbandoned {
		t.Fatalf("run = %s, Sleep = %s", got.Status, got.Action("Build", "Sleep").Status)
	}
	if !strings.Contains(got.StatusReason, "no longer needed") {
		t.Errorf("reason %q", got.StatusReason)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#run-controls form').length`); n != 0 {
		t.Errorf("a stopped run still offers %d controls", n)
	}
}

// A failed stage is retried from the page, and the run goes on to succeed.
func TestBrowserRetryAFailedStage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ok := filepath.Join(t.TempDir(), "ok")
	run := e.start(e.a, "flaky", map[string]string{"ok": ok})
	e.waitRun(e.a, "flaky", run.ID, "the run failing", ended)
	ctx := tab(t)
	e.open(t, ctx, runPath("flaky", run.ID))
	if s := eval[string](t, ctx, summaryBadge); s != backend.StatusFailed {
		t.Fatalf("the run's page shows %s", s)
	}
	writeFile(t, ok)
	submit(t, ctx, `#run-controls form[action$="/retry"] button`)
	until(t, ctx, "the flash after retrying", `document.querySelector(".flash") && document.querySelector(".flash").textContent.includes("Retrying")`)
	until(t, ctx, "the run Succeeded", summaryBadge+` === "Succeeded"`)
	got := e.waitRun(e.a, "flaky", run.ID, "the run's end", ended)
	if got.Status != backend.StatusSucceeded || got.Action("Build", "Check").Attempt != 2 {
		t.Fatalf("run = %s, Check attempt %d", got.Status, got.Action("Build", "Check").Attempt)
	}
}

// An action's log shows on its page as the action prints it.
func TestBrowserLogStreams(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gate := filepath.Join(t.TempDir(), "gate")
	run := e.start(e.a, "logs", map[string]string{"gate": gate})
	e.waitRun(e.a, "logs", run.ID, "the action running", actionIs("Build", "Talk", backend.StatusInProgress))
	ctx := tab(t)
	e.open(t, ctx, runPath("logs", run.ID)+"log/Build/Talk")
	markDocument(t, ctx)
	until(t, ctx, "the first line", `document.getElementById("log").textContent.includes("FIRST-LINE-OF-THE-LOG")`)
	if got, _ := e.a.GetRun(t.Context(), "logs", run.ID); got.Action("Build", "Talk").Status != backend.StatusInProgress {
		t.Fatal("the action ended before its log was read: the log did not stream")
	}
	if strings.Contains(eval[string](t, ctx, `document.getElementById("log").textContent`), "LAST-LINE") {
		t.Fatal("the last line is there before the action printed it")
	}
	writeFile(t, gate)
	until(t, ctx, "the last line", `document.getElementById("log").textContent.includes("LAST-LINE-OF-THE-LOG")`)
	until(t, ctx, "the end of the log", `document.body.getAttribute("data-live-ended") === "true"`)
	sameDocument(t, ctx)
	final, err := e.a.ActionLog(t.Context(), "logs", run.ID, "Build", "Talk")
	if err != nil {
		t.Fatal(err)
	}
	if shown := eval[string](t, ctx, `document.getElementById("log").textContent`); shown != string(final) {
		t.Errorf("the page shows the log\n%s\nwant what the action printed\n%s", shown, final)
	}
}

// The picture puts parallel actions side by side and stages left to right: asserted on the
// geometry the browser laid out.
func TestBrowserGraphGeometry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := tab(t)
	e.open(t, ctx, pipelineURL(acctA, region, "quick"))
	type box struct{ Left, Top, Right, Bottom float64 }
	boxes := eval[map[string]box](t, ctx, `Object.fromEntries([...document.querySelectorAll('g.pg-action, g.pg-stage')].map(g => {
		const r = g.querySelector('rect').getBoundingClientRect();
		return [g.id, {Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom}];
	}))`)
	html, content := boxes["a-2-0"], boxes["a-2-1"]
	if html.Top != content.Top || html.Right > content.Left {
		t.Errorf("the parallel tests Html %+v and Content %+v are not side by side", html, content)
	}
	for i := 1; i < 4; i++ {
		prev, cur := boxes[fmt.Sprintf("s-%d", i-1)], boxes[fmt.Sprintf("s-%d", i)]
		if cur.Left <= prev.Right {
			t.Errorf("stage %d (%+v) is not right of stage %d (%+v)", i, cur, i-1, prev)
		}
	}
	for id, b := range boxes {
		if strings.HasPrefix(id, "a-1-") && (b.Left < boxes["s-1"].Left || b.Right > boxes["s-1"].Right) {
			t.Errorf("action %s %+v outside its stage %+v", id, b, boxes["s-1"])
		}
	}
	labels := eval[string](t, ctx, `[...document.querySelectorAll('text.pg-edge-label')].map(t => t.textContent).join(",")`)
	if labels != "src,site" {
		t.Errorf("artifact labels %q, want src,site", labels)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('g.pg-edge').length`); n != 4 {
		t.Errorf("%d artifact edges, want 4 (src → Build, site → Html, Content, Publish)", n)
	}
}

// Keyboard alone: skip to the content, reach the approval's comment, type, approve.
func TestBrowserKeyboardOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	run := e.start(e.a, "gate", nil)
	e.waitRun(e.a, "gate", run.ID, "the approval waiting", actionIs("Approve", "Sign-off", backend.StatusInProgress))
	ctx := tab(t)
	e.open(t, ctx, runPath("gate", run.ID))
	do(t, ctx, chromedp.KeyEvent("\t"))
	if cls := eval[string](t, ctx, `document.activeElement.className`); cls != "skip" {
		t.Fatalf("the first Tab focuses %q, want the skip link", cls)
	}
	if !eval[bool](t, ctx, `getComputedStyle(document.activeElement).left !== "-9999px"`) {
		t.Error("the focused skip link is not on screen")
	}
	for i := 0; eval[string](t, ctx, `document.activeElement.id`) != "comment-0"; i++ {
		if i > 60 {
			t.Fatal("60 Tabs did not reach the approval's comment")
		}
		do(t, ctx, chromedp.KeyEvent("\t"))
	}
	do(t, ctx, chromedp.KeyEvent("approved from the keyboard"), chromedp.KeyEvent("\t"))
	if v := eval[string](t, ctx, `document.activeElement.value`); v != "approve" {
		t.Fatalf("Tab after the comment focuses %q, want the Approve button", v)
	}
	markDocument(t, ctx)
	do(t, ctx, chromedp.KeyEvent("\r"))
	until(t, ctx, "the page after approving", `window.__sameDocument !== true && document.readyState === "complete"`)
	until(t, ctx, "the run Succeeded", `document.querySelector('#run-summary .badge') && `+summaryBadge+` === "Succeeded"`)
	got := e.waitRun(e.a, "gate", run.ID, "the run's end", ended)
	if !strings.Contains(got.Action("Approve", "Sign-off").Summary, "approved from the keyboard") {
		t.Errorf("summary %q", got.Action("Approve", "Sign-off").Summary)
	}
}

// Every page, at both sizes: a screenshot to look at, and axe-core's audit with no serious or
// critical violation.
func TestBrowserPagesAreAccessibleAndScreenshotted(t *testing.T) {
	e := newEnv(t)
	done := e.start(e.a, "quick", map[string]string{"pause": "0"})
	e.waitRun(e.a, "quick", done.ID, "a finished run", ended)
	failed := e.start(e.a, "flaky", nil)
	e.waitRun(e.a, "flaky", failed.ID, "a failed run", ended)
	waiting := e.start(e.a, "gate", nil)
	e.waitRun(e.a, "gate", waiting.ID, "the approval waiting", actionIs("Approve", "Sign-off", backend.StatusInProgress))
	// A run through stage conditions and an automatic retry (the gate open from the start).
	e.create(e.a, guardedPipeline(), acctA)
	open := filepath.Join(t.TempDir(), "gate")
	writeFile(t, open)
	guarded := e.start(e.a, "guarded", map[string]string{"gate": open, "marker": filepath.Join(t.TempDir(), "marker")})
	e.waitRun(e.a, "guarded", guarded.ID, "the guarded run", ended)
	axe, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	dir := screenshotDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(e.ts.URL+Prefix+"login"))
	pages := []struct{ name, path string }{
		{"login", ""}, // without the token: first, before the cookie is set
		{"pipelines", accountURL(acctA, region)},
		{"pipeline", pipelineURL(acctA, region, "quick")},
		{"run-succeeded", runPath("quick", done.ID)},
		{"run-failed", runPath("flaky", failed.ID)},
		{"run-approval", runPath("gate", waiting.ID)},
		{"run-conditions", runPath("guarded", guarded.ID)},
		{"pipeline-conditions", pipelineURL(acctA, region, "guarded")},
		{"log", runPath("quick", done.ID) + "log/Build/Build"},
		{"stores", accountURL(acctA, region) + "stores"},
		{"rules", Prefix + "rules"},
		{"not-found", pipelineURL(acctA, region, "nosuch")},
	}
	for i, p := range pages {
		if i == 1 {
			do(t, ctx, chromedp.Navigate(e.ts.URL+Prefix+"?token="+url.QueryEscape(e.token)))
		}
		if p.path != "" {
			do(t, ctx, chromedp.Navigate(e.ts.URL+p.path))
		} else {
			do(t, ctx, chromedp.Navigate(e.ts.URL+accountURL(acctA, region)))
		}
		for _, vp := range viewports {
			do(t, ctx, chromedp.EmulateViewport(vp.width, vp.height))
			// The whole page at the viewport's width: what a reader scrolls through.
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d-%s-%s.png", i, p.name, vp.name)), png, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](string(axe))); err != nil {
				t.Fatalf("injecting axe-core into %s: %v", p.name, err)
			}
			raw := eval[string](t, ctx, `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations
				.filter(v => v.impact === "serious" || v.impact === "critical")
				.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + ": " + n.failureSummary)}))))`)
			var violations []map[string]any
			if err := json.Unmarshal([]byte(raw), &violations); err != nil {
				t.Fatal(err)
			}
			for _, v := range violations {
				t.Errorf("%s at %s: axe %v (%v): %v\n  %v", p.name, vp.name, v["id"], v["impact"], v["help"], v["nodes"])
			}
		}
		do(t, ctx, chromedp.EmulateViewport(1280, 800))
	}
	if err := e.a.StopRun(t.Context(), "gate", waiting.ID, true, "test over"); err != nil {
		t.Fatal(err)
	}
}
