package console

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// Without the token, every page answers 401 with the login hint, and nothing of the state.
func TestWithoutTheTokenOnlyTheLoginHint(t *testing.T) {
	e := newEnv(t)
	run := e.start(e.a, "quick", map[string]string{"pause": "0"})
	e.waitRun(e.a, "quick", run.ID, "the run's end", ended)
	anon := e.client(false)
	for _, path := range []string{
		Prefix, Prefix + "rules", accountURL(acctA, region), accountURL(acctA, region) + "stores",
		pipelineURL(acctA, region, "quick"), pipelineURL(acctA, region, "quick") + "graph.svg",
		runPath("quick", run.ID), runPath("quick", run.ID) + "events", runPath("quick", run.ID) + "log/Build/Build",
		runPath("quick", run.ID) + "artifact/Build/Build/site", Prefix + "nowhere",
		Prefix + "?token=" + strings.Repeat("0", 64), // a wrong token
	} {
		status, body, _ := get(t, anon, e.ts.URL+path)
		if status != http.StatusUnauthorized {
			t.Errorf("GET %s without the token = %d, want 401", path, status)
		}
		for _, secret := range []string{"quick", acctA, acctB, run.ID, "otherteam"} {
			if strings.Contains(body, secret) {
				t.Errorf("GET %s without the token shows %q", path, secret)
			}
		}
		if !strings.Contains(body, "codepipeline console") {
			t.Errorf("GET %s without the token: no login hint in\n%s", path, body)
		}
	}
	// A POST without the token changes nothing either.
	resp, err := anon.PostForm(e.ts.URL+pipelineURL(acctA, region, "quick")+"start", url.Values{"csrf": {e.srv.auth.csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST start without the token = %d, want 401", resp.StatusCode)
	}
	if runs, _ := e.a.ListRuns(t.Context(), "quick", 0); len(runs) != 1 {
		t.Errorf("quick has %d runs, want the test's one", len(runs))
	}

	// With the token: a cookie, a redirect to the address without it, and the pages.
	c := e.client(true)
	status, body, _ := get(t, c, e.ts.URL+accountURL(acctA, region))
	if status != http.StatusOK || !strings.Contains(body, "quick") {
		t.Fatalf("account page with the cookie = %d\n%s", status, body)
	}
}

// A POST with the session but without the CSRF token, or from another origin, is refused
// (403) and changes nothing.
func TestForgedPostsAreRefused(t *testing.T) {
	e := newEnv(t)
	run := e.start(e.a, "gate", nil)
	e.waitRun(e.a, "gate", run.ID, "the approval waiting", actionIs("Approve", "Sign-off", backend.StatusInProgress))
	c := e.client(true)
	approve := url.Values{"stage": {"Approve"}, "action": {"Sign-off"}, "decision": {"approve"}}
	for _, tc := range []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"no CSRF token", approve, nil},
		{"wrong CSRF token", withCSRF(approve, strings.Repeat("a", 64)), nil},
		{"from another site", withCSRF(approve, e.srv.auth.csrf), map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+runPath("gate", run.ID)+"approval", strings.NewReader(tc.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: POST approval = %d, want 403", tc.name, resp.StatusCode)
		}
	}
	if got, _ := e.a.GetRun(t.Context(), "gate", run.ID); got.Action("Approve", "Sign-off").Status != backend.StatusInProgress {
		t.Fatalf("a refused POST decided the approval: %s", got.Action("Approve", "Sign-off").Status)
	}
	// The same POST with the token goes through: the refusals above were for the token.
	resp, err := c.PostForm(e.ts.URL+runPath("gate", run.ID)+"approval", withCSRF(approve, e.srv.auth.csrf))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST approval with the CSRF token = %d", resp.StatusCode)
	}
	e.waitRun(e.a, "gate", run.ID, "the run's end", ended)
}

func withCSRF(v url.Values, token string) url.Values {
	out := url.Values{"csrf": {token}}
	for k, vs := range v {
		out[k] = vs
	}
	return out
}

// Account A's pages show nothing of account B: not its pipelines, runs, buckets or keys, and
// B's things through A's addresses are 404.
func TestAnAccountsPagesNeverShowAnotherAccountsObjects(t *testing.T) {
	e := newEnv(t)
	bRun := e.start(e.b, "otherteam", nil)
	e.waitRun(e.b, "otherteam", bRun.ID, "account B's run to end", ended)
	aRun := e.start(e.a, "quick", map[string]string{"pause": "0"})
	e.waitRun(e.a, "quick", aRun.ID, "account A's run to end", ended)
	c := e.client(true)
	bThings := []string{"otherteam", bRun.ID, "b-only"}
	for _, path := range []string{
		accountURL(acctA, region), accountURL(acctA, region) + "stores", pipelineURL(acctA, region, "quick"),
		runPath("quick", aRun.ID), runPath("quick", aRun.ID) + "log/Build/Build",
	} {
		status, body, _ := get(t, c, e.ts.URL+path)
		if status != http.StatusOK {
			t.Fatalf("GET %s = %d", path, status)
		}
		for _, s := range bThings {
			if strings.Contains(body, s) {
				t.Errorf("account A's page %s shows account B's %q", path, s)
			}
		}
	}
	for _, path := range []string{
		pipelineURL(acctA, region, "otherteam"),
		runURL(acctA, region, "otherteam", bRun.ID),
		runURL(acctA, region, "otherteam", bRun.ID) + "log/Build/Secret",
		runURL(acctA, region, "otherteam", bRun.ID) + "artifact/Source/Fetch/src",
		runURL(acctA, region, "quick", bRun.ID),
		accountURL("333333333333", region), // an account nobody uses is not opened
	} {
		status, body, _ := get(t, c, e.ts.URL+path)
		if status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, status)
		}
		if strings.Contains(body, "b-only") {
			t.Errorf("GET %s shows account B's log", path)
		}
	}
	// B's own pages show B's things (the switcher leads there).
	status, body, _ := get(t, c, e.ts.URL+accountURL(acctB, region))
	if status != http.StatusOK || !strings.Contains(body, "otherteam") || strings.Contains(body, ">quick<") {
		t.Errorf("account B's page = %d, want its pipeline only:\n%s", status, body)
	}
}

// Every page carries a Content-Security-Policy without inline script, and holds no inline
// script, style attribute or event handler that such a policy would block.
func TestPagesHaveAStrictContentSecurityPolicy(t *testing.T) {
	e := newEnv(t)
	run := e.start(e.a, "gate", nil)
	e.waitRun(e.a, "gate", run.ID, "the approval waiting", actionIs("Approve", "Sign-off", backend.StatusInProgress))
	c := e.client(true)
	scripts := regexp.MustCompile(`(?is)<script([^>]*)>(.*?)</script>`)
	inTags := regexp.MustCompile(`(?i)<[^>]*\s(style|on[a-z]+)\s*=[^>]*>|javascript:`)
	for _, path := range []string{
		accountURL(acctA, region), accountURL(acctA, region) + "stores", pipelineURL(acctA, region, "gate"),
		runPath("gate", run.ID), runPath("gate", run.ID) + "log/Source/Fetch", Prefix + "rules", Prefix + "login", Prefix + "nowhere",
	} {
		status, body, h := get(t, c, e.ts.URL+path)
		if status >= 500 {
			t.Fatalf("GET %s = %d", path, status)
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
		for _, m := range scripts.FindAllStringSubmatch(body, -1) {
			if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
				t.Errorf("GET %s: inline script %q", path, m[0])
			}
		}
		if m := inTags.FindString(body); m != "" {
			t.Errorf("GET %s: inline style or event handler %q", path, m)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: headers %v", path, h)
		}
	}
	// A page asked for under another host name (DNS rebinding) is refused.
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+accountURL(acctA, region), nil)
	req.Host = "evil.example"
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("Host evil.example = %d, want 403", resp.StatusCode)
	}
	// Approve so the run ends before the cleanup.
	resp, err = c.PostForm(e.ts.URL+runPath("gate", run.ID)+"approval", withCSRF(url.Values{"stage": {"Approve"}, "action": {"Sign-off"}, "decision": {"reject"}}, e.srv.auth.csrf))
	if err == nil {
		resp.Body.Close()
	}
	e.waitRun(e.a, "gate", run.ID, "the run's end", ended)
}

func TestTheTokenFileIsPrivateAndKept(t *testing.T) {
	dir := t.TempDir()
	tok, err := LoadToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, TokenFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	again, err := LoadToken(dir)
	if err != nil || again != tok {
		t.Fatalf("second load = %q, %v; want the same token", again, err)
	}
	if err := os.Chmod(filepath.Join(dir, TokenFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadToken(dir); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Errorf("a token file readable by others was used: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, TokenFile)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, TokenFile), []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadToken(dir); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("a damaged token file was used: %v", err)
	}
}

func TestURLShowsLoopbackForEveryInterface(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8477": "http://127.0.0.1:8477/console/?token=t",
		"0.0.0.0:9000":   "http://127.0.0.1:9000/console/?token=t",
		"[::]:9000":      "http://127.0.0.1:9000/console/?token=t",
		"[::1]:9000":     "http://[::1]:9000/console/?token=t",
	} {
		if got := URL(addr, "t"); got != want {
			t.Errorf("URL(%q) = %q, want %q", addr, got, want)
		}
	}
}

// The stores page shows the account's buckets and keys with the findings of the rules that
// judge them, each linked to its rule.
func TestStoresPageShowsTheFindingsThatApply(t *testing.T) {
	e := newEnv(t)
	c := e.client(true)
	status, body, _ := get(t, c, e.ts.URL+accountURL(acctA, region)+"stores")
	if status != http.StatusOK {
		t.Fatalf("stores page = %d", status)
	}
	for _, want := range []string{
		`<a class="rule" href="/console/rules#store-versioning">[store-versioning]</a>`,
		`<a class="rule" href="/console/rules#key-rotation">[key-rotation]</a>`,
		"Bucket <code>unversioned-artifacts</code>", "alias/unversioned", "Key policy", "quick-artifacts",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the stores page lacks %q", want)
		}
	}
	main := body[strings.Index(body, "<main"):]
	for _, not := range []string{"otherteam", acctB} { // (the switcher above names account B)
		if strings.Contains(main, not) {
			t.Errorf("account A's stores page shows account B's %q", not)
		}
	}
	status, body, _ = get(t, c, e.ts.URL+Prefix+"rules")
	if status != http.StatusOK || !strings.Contains(body, `id="store-versioning"`) || !strings.Contains(body, `id="key-rotation"`) {
		t.Errorf("the rules page has no anchor for the linked rules (%d)", status)
	}
}

// A live page's stream is not cut by the server's request timeouts (serve's server reads a
// request within 30 s): it stays open and keeps sending while the run goes.
func TestStreamsOutliveTheServersReadTimeout(t *testing.T) {
	e := newEnv(t)
	run := e.start(e.a, "gate", nil)
	e.waitRun(e.a, "gate", run.ID, "the approval waiting", actionIs("Approve", "Sign-off", backend.StatusInProgress))
	srv, err := New(Config{Backend: e.cloud, Token: e.token, Rescan: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Config.ReadTimeout = 300 * time.Millisecond
	ts.Start()
	defer ts.Close()
	defer srv.EndStreams()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+runPath("gate", run.ID)+"events", nil)
	req.AddCookie(&http.Cookie{Name: srv.auth.cookie, Value: srv.auth.session})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan string)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<22)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "id: ") {
				events <- sc.Text()
			}
		}
	}()
	deadline := time.After(waitFor)
	for n := 0; ; {
		select {
		case id, ok := <-events:
			if !ok {
				t.Fatalf("the stream ended after %d events", n)
			}
			if n++; id == "id: 8" { // over a second of updates, past the read timeout
				return
			}
		case <-deadline:
			t.Fatalf("only %d events", n)
		}
	}
}
