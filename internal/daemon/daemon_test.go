package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

func TestCommitStartsRun(t *testing.T) {
	e := newEnv(t)
	e.initRepo("app")
	e.createPipeline(gitPipeline("app", "app", "", "true"))
	e.startDaemon(e.cloud, nil)
	e.waitCursor("app", "Source", nil)

	commit := e.commit(filepath.Join(e.repos, "app"), "main.go", "package main")
	runs := e.waitRuns("app", 1)
	if runs[0].Trigger != backend.TriggerEvent || !strings.Contains(runs[0].TriggerDetail, commit[:12]) {
		t.Fatalf("run trigger = %s %q, want %s naming commit %s", runs[0].Trigger, runs[0].TriggerDetail, backend.TriggerEvent, commit[:12])
	}
	ended := e.waitEnded("app")
	if ended[0].Status != backend.StatusSucceeded {
		t.Fatalf("run ended %s: %s", ended[0].Status, ended[0].StatusReason)
	}
	if src := ended[0].Action("Source", "Source"); src == nil || src.OutputVariables["CommitId"] != commit {
		t.Fatalf("the run built %v, want commit %s", src, commit)
	}

	// A commit on another branch is not a change of the watched branch.
	repo := filepath.Join(e.repos, "app")
	e.git(repo, "checkout", "-q", "-b", "other")
	other := e.commit(repo, "other.txt", "x")
	e.waitCursor("app", "Source", func(c *cursor) bool { return c.Refs["refs/heads/main"] == commit })
	e.git(repo, "checkout", "-q", "main")
	second := e.commit(repo, "main.go", "package main // 2")
	runs = e.waitRuns("app", 2)
	if len(runs) != 2 || !strings.Contains(runs[1].TriggerDetail, second[:12]) || strings.Contains(runs[1].TriggerDetail, other[:12]) {
		t.Fatalf("runs after a commit on another branch and one on main: %d, last %q", len(runs), runs[len(runs)-1].TriggerDetail)
	}
}

func TestObjectPutStartsRun(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.acct.CreateBucket(ctx, backend.Bucket{Name: "daemon-source", Versioning: true}); err != nil {
		t.Fatal(err)
	}
	e.createPipeline(s3Pipeline("site", "daemon-source", false))
	e.startDaemon(e.cloud, nil)
	e.waitCursor("site", "Source", nil)

	version, err := e.acct.PutObject(ctx, "", "daemon-source", "app.zip", bytes.NewReader(zipOf(t, "index.html", "v1")))
	if err != nil {
		t.Fatal(err)
	}
	runs := e.waitRuns("site", 1)
	if runs[0].Trigger != backend.TriggerEvent || !strings.Contains(runs[0].TriggerDetail, version) {
		t.Fatalf("run trigger = %s %q, want %s naming version %s", runs[0].Trigger, runs[0].TriggerDetail, backend.TriggerEvent, version)
	}
	// Another key of the bucket is not the watched object.
	if _, err := e.acct.PutObject(ctx, "", "daemon-source", "other.zip", bytes.NewReader([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	if ended := e.waitEnded("site"); len(ended) != 1 || ended[0].Status != backend.StatusSucceeded {
		t.Fatalf("runs = %d, first %s %s", len(ended), ended[0].Status, ended[0].StatusReason)
	}
}

func TestPollingFindsChange(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.acct.CreateBucket(ctx, backend.Bucket{Name: "daemon-polled", Versioning: true}); err != nil {
		t.Fatal(err)
	}
	e.createPipeline(s3Pipeline("polled", "daemon-polled", true))
	e.startDaemon(e.cloud, func(c *Config) { c.PollInterval = 200e6 })
	e.waitCursor("polled", "Source", nil)
	if _, err := e.acct.PutObject(ctx, "", "daemon-polled", "app.zip", bytes.NewReader(zipOf(t, "a", "b"))); err != nil {
		t.Fatal(err)
	}
	runs := e.waitRuns("polled", 1)
	if runs[0].Trigger != backend.TriggerPoll {
		t.Fatalf("run trigger = %s, want %s", runs[0].Trigger, backend.TriggerPoll)
	}
}

func TestPipelineWithTriggersStartsOnMatchingPushOnly(t *testing.T) {
	e := newEnv(t)
	repo := e.initRepo("mono")
	trigger := pipeline.Trigger{ProviderType: pipeline.TriggerProviderCodeStarSourceConnection, SourceActionName: "Source",
		Push: []pipeline.GitFilter{
			{Branches: &pipeline.GlobFilter{Includes: []string{"main"}}, FilePaths: &pipeline.GlobFilter{Includes: []string{"src/**"}}},
			{Tags: &pipeline.GlobFilter{Includes: []string{"v*"}, Excludes: []string{"v*-rc*"}}},
		}}
	e.createPipeline(gitPipeline("mono", "mono", "", "true", trigger))
	e.startDaemon(e.cloud, nil)
	e.waitCursor("mono", "Source", nil)

	docs := e.commit(repo, "docs/guide.md", "words")
	e.waitCursor("mono", "Source", func(c *cursor) bool { return c.Refs["refs/heads/main"] == docs })
	e.git(repo, "tag", "v2-rc1")
	e.waitCursor("mono", "Source", func(c *cursor) bool { return c.Refs["refs/tags/v2-rc1"] != "" })
	if n := e.runCount("mono"); n != 0 {
		t.Fatalf("%d runs after a docs-only push and an excluded tag, want 0", n)
	}
	src := e.commit(repo, "src/app/main.go", "package app")
	runs := e.waitRuns("mono", 1)
	if runs[0].Trigger != backend.TriggerWebhookV2 || !strings.Contains(runs[0].TriggerDetail, src[:12]) {
		t.Fatalf("run = %s %q, want %s for %s", runs[0].Trigger, runs[0].TriggerDetail, backend.TriggerWebhookV2, src[:12])
	}
	e.git(repo, "tag", "v2")
	runs = e.waitRuns("mono", 2)
	if !strings.Contains(runs[1].TriggerDetail, "refs/tags/v2") {
		t.Fatalf("second run %q, want the tag push", runs[1].TriggerDetail)
	}
}

// ---- webhooks ----

const secret = "correct horse battery staple"

func sign(body []byte, key string) string {
	return "sha256=" + hmacHex(body, key)
}

func post(t *testing.T, url string, body []byte, headers map[string]string) (int, webhookResponse) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out webhookResponse
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func pushPayload(ref string) []byte {
	b, _ := json.Marshal(map[string]any{
		"ref": ref, "after": "0123456789abcdef0123456789abcdef01234567",
		"repository":  map[string]any{"name": "app", "full_name": "octo/app"},
		"head_commit": map[string]any{"id": "0123456789abcdef0123456789abcdef01234567", "message": "change"},
	})
	return b
}

func TestWebhookRequests(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.initRepo("app")
	e.createPipeline(gitPipeline("app", "app", "", "true"))
	filters := []pipeline.WebhookFilter{
		{JSONPath: "$.ref", MatchEquals: "refs/heads/{Branch}"},
		{JSONPath: "$['repository']['name']", MatchEquals: "app"},
	}
	for _, w := range []*backend.Webhook{
		{Name: "gh", Authentication: pipeline.WebhookAuthGitHubHMAC, SecretToken: secret, Filters: filters, TargetPipeline: "app", TargetAction: "Source"},
		{Name: "office", Authentication: pipeline.WebhookAuthIP, AllowedIPRange: "192.0.2.0/24", Filters: filters, TargetPipeline: "app", TargetAction: "Source"},
		{Name: "loopback", Authentication: pipeline.WebhookAuthIP, AllowedIPRange: "127.0.0.0/8", Filters: filters, TargetPipeline: "app", TargetAction: "Source"},
	} {
		if _, err := e.acct.PutWebhook(ctx, w, false); err != nil {
			t.Fatal(err)
		}
	}
	d := e.startDaemon(e.cloud, func(c *Config) { c.MaxBodyBytes = 64 << 10 })
	url := func(name string) string { return backend.WebhookURL(d.Addr(), acct, region, name) }

	good := pushPayload("refs/heads/main")
	tampered := bytes.Clone(good)
	tampered[bytes.IndexByte(tampered, 'm')] = 'M' // one byte of a correctly signed body changed
	otherBranch := pushPayload("refs/heads/feature")
	huge := append(append([]byte(`{"ref":"refs/heads/main","pad":"`), bytes.Repeat([]byte("x"), 100<<10)...), '"', '}')
	cases := []struct {
		name    string
		webhook string
		body    []byte
		headers map[string]string
		status  int
		result  string
	}{
		{"missing signature", "gh", good, nil, http.StatusUnauthorized, "missing X-Hub-Signature-256"},
		{"wrong signature", "gh", good, map[string]string{"X-Hub-Signature-256": sign(good, "not the secret")}, http.StatusUnauthorized, "signature does not match"},
		{"malformed signature", "gh", good, map[string]string{"X-Hub-Signature-256": "sha1=abc"}, http.StatusUnauthorized, "malformed X-Hub-Signature-256"},
		{"replayed body with a changed byte", "gh", tampered, map[string]string{"X-Hub-Signature-256": sign(good, secret)}, http.StatusUnauthorized, "signature does not match"},
		{"non-matching branch", "gh", otherBranch, map[string]string{"X-Hub-Signature-256": sign(otherBranch, secret)}, http.StatusOK, "no match"},
		{"malformed JSON", "gh", []byte(`{"ref":`), map[string]string{"X-Hub-Signature-256": sign([]byte(`{"ref":`), secret)}, http.StatusBadRequest, "body is not one JSON document"},
		{"oversized body", "gh", huge, map[string]string{"X-Hub-Signature-256": sign(huge, secret)}, http.StatusRequestEntityTooLarge, ""},
		{"address outside the range", "office", good, nil, http.StatusForbidden, "source address not allowed"},
		{"unknown webhook", "nope", good, nil, http.StatusUnauthorized, "missing X-Hub-Signature-256"},
	}
	for _, c := range cases {
		status, resp := post(t, url(c.webhook), c.body, c.headers)
		if status != c.status || (c.result != "" && resp.Result != c.result) || resp.ExecutionID != "" {
			t.Errorf("%s: %d %+v, want %d %q and no run", c.name, status, resp, c.status, c.result)
		}
	}
	if n := e.runCount("app"); n != 0 {
		t.Fatalf("%d runs after rejected requests, want 0", n)
	}

	status, resp := post(t, url("gh"), good, map[string]string{"X-Hub-Signature-256": sign(good, secret), "X-GitHub-Delivery": "d-1"})
	if status != http.StatusOK || resp.Result != "started" || resp.ExecutionID == "" {
		t.Fatalf("signed push: %d %+v, want a started run", status, resp)
	}
	run, err := e.acct.GetRun(ctx, "app", resp.ExecutionID)
	if err != nil || run.Trigger != backend.TriggerWebhook || !strings.Contains(run.TriggerDetail, "webhook gh") {
		t.Fatalf("run %+v (%v), want a Webhook run", run, err)
	}
	if status, resp := post(t, url("gh"), good, map[string]string{"X-Hub-Signature-256": sign(good, secret), "X-GitHub-Delivery": "d-1"}); status != http.StatusOK || resp.Result != "duplicate delivery" {
		t.Fatalf("redelivery: %d %+v, want a duplicate", status, resp)
	}
	if status, resp := post(t, url("loopback"), good, nil); status != http.StatusOK || resp.Result != "started" {
		t.Fatalf("IP webhook from an allowed address: %d %+v", status, resp)
	}
	if n := len(e.waitEnded("app")); n != 2 {
		t.Fatalf("%d runs, want 2", n)
	}
	if strings.Contains(d.logs.String(), secret) {
		t.Fatal("the daemon logged the secret token")
	}
}

// postRaw posts body to url and returns the status and the raw answer.
func postRaw(t *testing.T, url string, body []byte, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type") + "\n" + string(raw)
}

// TestUnknownWebhookIsAnsweredAsABadSignature: an unknown webhook name was answered 404 "no
// such webhook", so names could be enumerated. It is answered exactly as a known GitHub HMAC
// webhook answers the same request with a bad signature.
func TestUnknownWebhookIsAnsweredAsABadSignature(t *testing.T) {
	e := newEnv(t)
	e.initRepo("app")
	e.createPipeline(gitPipeline("app", "app", "", "true"))
	if _, err := e.acct.PutWebhook(context.Background(), &backend.Webhook{Name: "gh", Authentication: pipeline.WebhookAuthGitHubHMAC,
		SecretToken: secret, Filters: []pipeline.WebhookFilter{{JSONPath: "$.ref", MatchEquals: "refs/heads/{Branch}"}},
		TargetPipeline: "app", TargetAction: "Source"}, false); err != nil {
		t.Fatal(err)
	}
	d := e.startDaemon(e.cloud, func(c *Config) { c.MaxBodyBytes = 1 << 10 })
	body := pushPayload("refs/heads/main")
	for name, headers := range map[string]map[string]string{
		"no signature":        nil,
		"malformed signature": {"X-Hub-Signature-256": "sha256=zz"},
		"wrong signature":     {"X-Hub-Signature-256": sign(body, "guess")},
	} {
		knownStatus, known := postRaw(t, backend.WebhookURL(d.Addr(), acct, region, "gh"), body, headers)
		for _, other := range []string{"nope", "gh2", strings.Repeat("x", 100)} {
			status, got := postRaw(t, backend.WebhookURL(d.Addr(), acct, region, other), body, headers)
			if status != knownStatus || got != known {
				t.Errorf("%s to %q: %d %q; the known webhook answers %d %q", name, other, status, got, knownStatus, known)
			}
		}
	}
	big := bytes.Repeat([]byte("x"), 2<<10)
	knownStatus, known := postRaw(t, backend.WebhookURL(d.Addr(), acct, region, "gh"), big, nil)
	if status, got := postRaw(t, backend.WebhookURL(d.Addr(), acct, region, "nope"), big, nil); status != knownStatus || got != known {
		t.Errorf("oversized body to an unknown webhook: %d %q; the known webhook answers %d %q", status, got, knownStatus, known)
	}
	if n := e.runCount("app"); n != 0 {
		t.Fatalf("%d runs, want 0", n)
	}
}

// TestSignedDeliveryIsNotReplayed: a captured body with its valid signature started a new run
// each time it was re-sent without a delivery id, or with a new one.
func TestSignedDeliveryIsNotReplayed(t *testing.T) {
	e := newEnv(t)
	e.initRepo("app")
	e.createPipeline(gitPipeline("app", "app", "", "true"))
	if _, err := e.acct.PutWebhook(context.Background(), &backend.Webhook{Name: "gh", Authentication: pipeline.WebhookAuthGitHubHMAC,
		SecretToken: secret, Filters: []pipeline.WebhookFilter{{JSONPath: "$.ref", MatchEquals: "refs/heads/{Branch}"}},
		TargetPipeline: "app", TargetAction: "Source"}, false); err != nil {
		t.Fatal(err)
	}
	d := e.startDaemon(e.cloud, nil)
	url := backend.WebhookURL(d.Addr(), acct, region, "gh")
	body := pushPayload("refs/heads/main")
	signed := func(b []byte, delivery string) map[string]string {
		h := map[string]string{"X-Hub-Signature-256": sign(b, secret)}
		if delivery != "" {
			h["X-GitHub-Delivery"] = delivery
		}
		return h
	}
	if status, resp := post(t, url, body, signed(body, "")); status != http.StatusOK || resp.Result != "started" {
		t.Fatalf("first delivery: %d %+v", status, resp)
	}
	for _, delivery := range []string{"", "d-2", "d-3"} {
		if status, resp := post(t, url, body, signed(body, delivery)); status != http.StatusOK || resp.Result != "duplicate delivery" {
			t.Errorf("the same signed body again (delivery id %q): %d %+v, want a duplicate", delivery, status, resp)
		}
	}
	// Another body is another delivery; its delivery id then counts too.
	other := pushPayload("refs/heads/main")
	other = append(other[:len(other)-1], []byte(`,"n":2}`)...)
	if status, resp := post(t, url, other, signed(other, "d-4")); status != http.StatusOK || resp.Result != "started" {
		t.Fatalf("a new body: %d %+v", status, resp)
	}
	third := append(bytes.Clone(other[:len(other)-1]), []byte(`,"n":3}`)...)
	if status, resp := post(t, url, third, signed(third, "d-4")); status != http.StatusOK || resp.Result != "duplicate delivery" {
		t.Errorf("a new body under a delivery id seen before: %d %+v, want a duplicate", status, resp)
	}
	if n := len(e.waitEnded("app")); n != 2 {
		t.Fatalf("%d runs, want 2", n)
	}
}

func TestFiltersMatchPlaceholders(t *testing.T) {
	doc := map[string]any{"ref": "refs/heads/main", "repository": map[string]any{"name": "app"}}
	cfg := map[string]string{"BranchName": "main", "RepositoryName": "app"}
	cases := []struct {
		filters []pipeline.WebhookFilter
		want    bool
	}{
		{[]pipeline.WebhookFilter{{JSONPath: "$.ref", MatchEquals: "refs/heads/{BranchName}"}}, true},
		{[]pipeline.WebhookFilter{{JSONPath: "$.ref", MatchEquals: "refs/heads/{Branch}"}}, true},
		{[]pipeline.WebhookFilter{{JSONPath: "$.repository.name", MatchEquals: "{RepositoryName}"}}, true},
		{[]pipeline.WebhookFilter{{JSONPath: "$.ref", MatchEquals: "refs/heads/{Unknown}"}}, false},
		{[]pipeline.WebhookFilter{{JSONPath: "$.ref", MatchEquals: "refs/heads/main"}, {JSONPath: "$.missing", MatchEquals: "x"}}, false},
		{[]pipeline.WebhookFilter{{JSONPath: "$..ref", MatchEquals: "refs/heads/main"}}, false},
	}
	for i, c := range cases {
		if got, why := filtersMatch(c.filters, cfg, doc); got != c.want {
			t.Errorf("case %d: %v (%s), want %v", i, got, why, c.want)
		}
	}
}

func TestShutdownStopsRunningAction(t *testing.T) {
	e := newEnv(t)
	e.initRepo("slow")
	e.createPipeline(gitPipeline("slow", "slow", "", "sleep 120"))
	d := e.startDaemon(e.cloud, nil)
	e.waitCursor("slow", "Source", nil)
	e.commit(filepath.Join(e.repos, "slow"), "a.txt", "a")
	runs := e.waitRuns("slow", 1)
	e.waitAction("slow", runs[0].ID, "Build", "Build", backend.StatusInProgress)

	d.stop(t)
	run, err := e.acct.GetRun(context.Background(), "slow", runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	build := run.Action("Build", "Build")
	if run.Status != backend.StatusStopped || build.Status != backend.StatusAbandoned || run.Ended.IsZero() {
		t.Fatalf("after shutdown: run %s (%s), build %s; want Stopped with the build abandoned", run.Status, run.StatusReason, build.Status)
	}
	if !strings.Contains(run.StatusReason, "serve daemon shut down") {
		t.Errorf("reason %q does not say why", run.StatusReason)
	}
}

func (e *env) waitAction(pipelineName, id, stage, action, status string) {
	e.t.Helper()
	for deadline := timeNow().Add(waitFor); timeNow().Before(deadline); sleep() {
		run, err := e.acct.GetRun(context.Background(), pipelineName, id)
		if err != nil {
			e.t.Fatal(err)
		}
		if a := run.Action(stage, action); a != nil && a.Status == status {
			return
		}
	}
	e.t.Fatalf("%s/%s of run %s never reached %s", stage, action, id, status)
}

func zipOf(t *testing.T, name, content string) []byte {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return zipDir(t, dir)
}
