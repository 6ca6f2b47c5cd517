package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
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
func helloWorld(t *testing.T) (*env, *running, func(name string) string) {
	t.Helper()
	e := newEnv(t)
	repo := e.initRepo("Hello-World")
	e.git(repo, "branch", "-m", "master")
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
