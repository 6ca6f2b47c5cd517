package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// githubDeliveries are the real payloads GitHub sends for event (testdata/webhooks-examples, from
// the npm package @octokit/webhooks-examples), each as GitHub's compact JSON.
func githubDeliveries(t *testing.T, event string) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "webhooks-examples", event+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var examples []json.RawMessage
	if err := json.Unmarshal(raw, &examples); err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, len(examples))
	for i, ex := range examples {
		var buf bytes.Buffer
		if err := json.Compact(&buf, ex); err != nil {
			t.Fatal(err)
		}
		out[i] = buf.Bytes()
	}
	return out
}

// branchPushes are the push deliveries to a branch (not a tag, not a deletion).
func branchPushes(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	for _, body := range githubDeliveries(t, "push") {
		var p struct {
			Ref     string `json:"ref"`
			Deleted bool   `json:"deleted"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		if !p.Deleted && bytes.HasPrefix([]byte(p.Ref), []byte("refs/heads/")) {
			out = append(out, body)
		}
	}
	if len(out) == 0 {
		t.Fatal("no branch push among the examples")
	}
	return out
}

// helloWorld is the repository of the examples (Codertocat/Hello-World, branch master) as a
// local git source with a GitHub HMAC webhook whose filters are the ones AWS documents.
// prepare, when given, changes the repository before the daemon starts watching it.
func helloWorld(t *testing.T, prepare ...func(e *env, repo string)) (*env, *running, func(name string) string) {
	t.Helper()
	e := newEnv(t)
	repo := e.initRepo("Hello-World")
	e.git(repo, "branch", "-m", "master")
	for _, p := range prepare {
		p(e, repo)
	}
	p := gitPipeline("hello", "Hello-World", "", "true")
	p.Stages[0].Actions[0].Configuration["BranchName"] = "master"
	e.createPipeline(p)
	filters := []pipeline.WebhookFilter{
		{JSONPath: "$.ref", MatchEquals: "refs/heads/{Branch}"},
		{JSONPath: "$.repository.name", MatchEquals: "Hello-World"},
	}
	if _, err := e.acct.PutWebhook(context.Background(), &backend.Webhook{Name: "gh", Authentication: pipeline.WebhookAuthGitHubHMAC,
		SecretToken: secret, Filters: filters, TargetPipeline: "hello", TargetAction: "Source"}, false); err != nil {
		t.Fatal(err)
	}
	d := e.startDaemon(e.cloud, nil)
	return e, d, func(name string) string { return backend.WebhookURL(d.Addr(), acct, region, name) }
}

func TestWebhookBodyIsOneJSONDocument(t *testing.T) {
	e, _, url := helloWorld(t)
	delivery := branchPushes(t)[0]
	for _, c := range []struct {
		name  string
		trail string
	}{
		{"a trailing ]", "]"},
		{"a trailing }", "}"},
		{"a second document", `{"ref":"refs/heads/master"}`},
		{"a trailing comma", ","},
		{"a trailing word after white space", "\n true"},
	} {
		body := append(bytes.Clone(delivery), c.trail...)
		status, resp := post(t, url("gh"), body, map[string]string{"X-Hub-Signature-256": sign(body, secret)})
		if status != http.StatusBadRequest || resp.Result != "body is not one JSON document" {
			t.Errorf("delivery with %s: %d %+v, want 400 body is not one JSON document", c.name, status, resp)
		}
	}
	if n := e.runCount("hello"); n != 0 {
		t.Fatalf("%d runs after refused bodies, want 0", n)
	}
	body := append(bytes.Clone(delivery), " \r\n"...)
	if status, resp := post(t, url("gh"), body, map[string]string{"X-Hub-Signature-256": sign(body, secret)}); status != http.StatusOK || resp.Result != "started" {
		t.Fatalf("the real delivery followed by white space: %d %+v, want started", status, resp)
	}
	e.waitEnded("hello")
}

// GitHub's "application/x-www-form-urlencoded" content type sends the JSON as the form field
// `payload`, signed over the raw form body.
func TestWebhookFormDeliveries(t *testing.T) {
	e, _, url := helloWorld(t)
	form := func(payload []byte) []byte { return []byte("payload=" + neturl.QueryEscape(string(payload))) }
	postForm := func(body []byte, signature string) (int, webhookResponse) {
		return post(t, url("gh"), body, map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Hub-Signature-256": signature})
	}
	deliveries := branchPushes(t)
	for i, delivery := range deliveries {
		body := form(delivery)
		if status, resp := postForm(body, sign(body, secret)); status != http.StatusOK || resp.Result != "started" {
			t.Errorf("form delivery %d: %d %+v, want started", i, status, resp)
		}
	}
	body := form(deliveries[0])
	for _, c := range []struct {
		name      string
		body      []byte
		signature string
		status    int
		result    string
	}{
		{"signed over the JSON, not the form", body, sign(deliveries[0], secret), http.StatusUnauthorized, "signature does not match"},
		{"no payload field", []byte("other=1"), sign([]byte("other=1"), secret), http.StatusBadRequest, "form body needs exactly one payload field"},
		{"two payload fields", append(bytes.Clone(body), "&"+string(body)...), sign(append(bytes.Clone(body), "&"+string(body)...), secret), http.StatusBadRequest, "form body needs exactly one payload field"},
		{"a payload with a trailing ]", form(append(bytes.Clone(deliveries[0]), ']')), sign(form(append(bytes.Clone(deliveries[0]), ']')), secret), http.StatusBadRequest, "body is not one JSON document"},
	} {
		if status, resp := postForm(c.body, c.signature); status != c.status || resp.Result != c.result {
			t.Errorf("%s: %d %+v, want %d %q", c.name, status, resp, c.status, c.result)
		}
	}
	if n := len(e.waitEnded("hello")); n != len(deliveries) {
		t.Fatalf("%d runs, want %d (one per accepted delivery)", n, len(deliveries))
	}
}

// A push of 2,048 commits (the most GitHub lists in one delivery) is several megabytes, under
// GitHub's 25 MB cap: the default cap takes it.
func TestWebhookLargeDelivery(t *testing.T) {
	e, _, url := helloWorld(t)
	var push map[string]any
	if err := json.Unmarshal(branchPushes(t)[0], &push); err != nil {
		t.Fatal(err)
	}
	commits := push["commits"].([]any)
	commit := commits[0].(map[string]any)
	for len(commits) < 2048 {
		c := map[string]any{}
		for k, v := range commit {
			c[k] = v
		}
		c["id"] = fmt.Sprintf("%040x", len(commits))
		c["message"] = strings.Repeat("A long commit message line, as real ones have. ", 20)
		commits = append(commits, c)
	}
	push["commits"] = commits
	body, err := json.Marshal(push)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) <= 2<<20 {
		t.Fatalf("the large delivery is only %d bytes", len(body))
	}
	if status, resp := post(t, url("gh"), body, map[string]string{"X-Hub-Signature-256": sign(body, secret)}); status != http.StatusOK || resp.Result != "started" {
		t.Fatalf("a %d-byte delivery of %d commits: %d %+v, want started", len(body), len(commits), status, resp)
	}
	e.waitEnded("hello")
}

// A push delivery names the commit it pushed (`after`): the run builds that commit, as a
// CodePipeline execution started by a webhook or trigger builds the commit that triggered it,
// even when the branch has moved on since.
func TestWebhookRunBuildsTheDeliveredCommit(t *testing.T) {
	var pushed, later string
	e, _, url := helloWorld(t, func(e *env, repo string) {
		pushed = e.commit(repo, "app.txt", "the pushed commit")
		later = e.commit(repo, "app.txt", "a later commit")
	})
	var delivery map[string]any
	if err := json.Unmarshal(branchPushes(t)[0], &delivery); err != nil {
		t.Fatal(err)
	}
	delivery["after"] = pushed // the real delivery, naming a commit of the local repository
	body, _ := json.Marshal(delivery)
	status, resp := post(t, url("gh"), body, map[string]string{"X-Hub-Signature-256": sign(body, secret)})
	if status != http.StatusOK || resp.Result != "started" {
		t.Fatalf("push delivery: %d %+v, want started", status, resp)
	}
	e.waitEnded("hello")
	run, err := e.acct.GetRun(context.Background(), "hello", resp.ExecutionID)
	if err != nil {
		t.Fatal(err)
	}
	if got := run.SourceRevisions["Source"]; got != pushed {
		t.Fatalf("run source revisions %v, want Source pinned to the pushed commit %s", run.SourceRevisions, pushed)
	}
	if got := run.Stages[0].Actions[0].OutputVariables["CommitId"]; run.Status != backend.StatusSucceeded || got != pushed {
		t.Fatalf("run %s built commit %s, want the pushed %s (the branch head is %s)", run.Status, got, pushed, later)
	}

	// A delivery that names no commit (GitHub's ping) builds the branch head, as a manual run.
	ping := githubDeliveries(t, "ping")[0]
	p := gitPipeline("ping", "Hello-World", "", "true")
	p.Stages[0].Actions[0].Configuration["BranchName"] = "master"
	e.createPipeline(p)
	if _, err := e.acct.PutWebhook(context.Background(), &backend.Webhook{Name: "ping", Authentication: pipeline.WebhookAuthGitHubHMAC,
		SecretToken: secret, TargetPipeline: "ping", TargetAction: "Source",
		Filters: []pipeline.WebhookFilter{{JSONPath: "$.repository.name", MatchEquals: "Hello-World"}}}, false); err != nil {
		t.Fatal(err)
	}
	status, resp = post(t, url("ping"), ping, map[string]string{"X-Hub-Signature-256": sign(ping, secret)})
	if status != http.StatusOK || resp.Result != "started" {
		t.Fatalf("ping delivery: %d %+v, want started", status, resp)
	}
	e.waitEnded("ping")
	run, err = e.acct.GetRun(context.Background(), "ping", resp.ExecutionID)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.SourceRevisions) != 0 || run.Stages[0].Actions[0].OutputVariables["CommitId"] != later {
		t.Fatalf("ping run: revisions %v, commit %s; want none pinned and the branch head %s",
			run.SourceRevisions, run.Stages[0].Actions[0].OutputVariables["CommitId"], later)
	}
}

// GitHub's Redeliver sends the same body and X-GitHub-Delivery: once a delivery started a run,
// redelivering it starts nothing; a delivery that started nothing starts its run when
// redelivered after the cause is fixed (the triggers guide says both).
func TestWebhookRedeliver(t *testing.T) {
	e, _, url := helloWorld(t)
	ctx := context.Background()
	delivery := branchPushes(t)[0]
	headers := map[string]string{"X-Hub-Signature-256": sign(delivery, secret), "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"}
	hook, err := e.acct.GetWebhook(ctx, "gh")
	if err != nil {
		t.Fatal(err)
	}
	wrong := *hook
	wrong.Filters = []pipeline.WebhookFilter{{JSONPath: "$.repository.name", MatchEquals: "another-repository"}}
	if _, err := e.acct.PutWebhook(ctx, &wrong, true); err != nil {
		t.Fatal(err)
	}
	if status, resp := post(t, url("gh"), delivery, headers); status != http.StatusOK || resp.Result != "no match" {
		t.Fatalf("delivery with the wrong filter: %d %+v, want no match", status, resp)
	}
	if _, err := e.acct.PutWebhook(ctx, hook, true); err != nil {
		t.Fatal(err)
	}
	if status, resp := post(t, url("gh"), delivery, headers); status != http.StatusOK || resp.Result != "started" {
		t.Fatalf("redelivery after the filter was fixed: %d %+v, want started", status, resp)
	}
	if status, resp := post(t, url("gh"), delivery, headers); status != http.StatusOK || resp.Result != "duplicate delivery" {
		t.Fatalf("redelivery of a delivery that started a run: %d %+v, want duplicate delivery", status, resp)
	}
	if n := len(e.waitEnded("hello")); n != 1 {
		t.Fatalf("%d runs, want 1", n)
	}
}
