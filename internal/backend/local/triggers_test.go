package local

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// triggerPipeline is an S3 source and nothing else.
func triggerPipeline(name string) *pipeline.Pipeline {
	return &pipeline.Pipeline{
		Name: name, RoleARN: "arn:aws:iam::" + acctA + ":role/pipeline",
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "trig-artifacts", Type: "S3"}},
		Stages: []pipeline.Stage{{Name: "Source", Actions: []pipeline.Action{{
			Name: "Fetch", Category: "Source", Owner: "AWS", Provider: "S3", Version: "1",
			Configuration:   map[string]string{"S3Bucket": "trig-source", "S3ObjectKey": "app.zip"},
			OutputArtifacts: []string{"src"},
		}}}},
	}
}

func TestLeaseHasOneHolder(t *testing.T) {
	clk := newClock()
	c := openCloud(t, "", WithNow(clk.Now))
	ctx := context.Background()
	if !must[bool](t)(c.AcquireLease(ctx, "triggers", "d1", 10*time.Second)) {
		t.Fatal("d1 did not get a free lease")
	}
	if must[bool](t)(c.AcquireLease(ctx, "triggers", "d2", 10*time.Second)) {
		t.Fatal("d2 got the lease d1 holds")
	}
	if !must[bool](t)(c.AcquireLease(ctx, "triggers", "d1", 10*time.Second)) {
		t.Fatal("d1 could not renew its lease")
	}
	clk.Advance(11 * time.Second)
	if !must[bool](t)(c.AcquireLease(ctx, "triggers", "d2", 10*time.Second)) {
		t.Fatal("d2 did not take over an expired lease")
	}
	if err := c.ReleaseLease(ctx, "triggers", "d1"); err != nil {
		t.Fatal(err)
	}
	if must[bool](t)(c.AcquireLease(ctx, "triggers", "d1", 10*time.Second)) {
		t.Fatal("a release by a non-holder freed d2's lease")
	}
	if err := c.ReleaseLease(ctx, "triggers", "d2"); err != nil {
		t.Fatal(err)
	}
	if !must[bool](t)(c.AcquireLease(ctx, "triggers", "d1", 10*time.Second)) {
		t.Fatal("d1 did not get a released lease")
	}
}

func TestStartTriggeredRunOncePerRevision(t *testing.T) {
	c := openCloud(t, "")
	ctx := context.Background()
	a := c.As(acctA, region)
	defer a.Close()
	must[*backend.PipelineRecord](t)(a.CreatePipeline(ctx, triggerPipeline("trig")))
	// Two Clouds over one directory stand for two daemons.
	c2 := openCloud(t, c.Dir())
	a2 := c2.As(acctA, region)
	defer a2.Close()

	var wg sync.WaitGroup
	started := make([]*backend.Run, 8)
	errs := make([]error, 8)
	for i := range started {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			acct := a
			if i%2 == 1 {
				acct = a2
			}
			started[i], errs[i] = acct.StartTriggeredRun(ctx, backend.RunRequest{Pipeline: "trig", Trigger: backend.TriggerEvent}, "Fetch", "s3://trig-source/app.zip@v1")
		}(i)
	}
	wg.Wait()
	n := 0
	for i := range started {
		if errs[i] != nil {
			t.Fatalf("start %d: %v", i, errs[i])
		}
		if started[i] != nil {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d runs started for one revision, want 1", n)
	}
	if runs := must[[]*backend.Run](t)(a.ListRuns(ctx, "trig", 0)); len(runs) != 1 || runs[0].Trigger != backend.TriggerEvent {
		t.Fatalf("runs = %+v, want one CloudWatchEvent run", runs)
	}
	if run := must[*backend.Run](t)(a.StartTriggeredRun(ctx, backend.RunRequest{Pipeline: "trig"}, "Fetch", "s3://trig-source/app.zip@v2")); run == nil {
		t.Fatal("a new revision started no run")
	}
	// A start that fails releases its reservation, so the change is tried again.
	if _, err := a.StartTriggeredRun(ctx, backend.RunRequest{Pipeline: "missing"}, "Fetch", "r1"); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("start of a missing pipeline: %v, want ErrNotFound", err)
	}
	if _, err := a.StartTriggeredRun(ctx, backend.RunRequest{Pipeline: "missing"}, "Fetch", "r1"); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("second start of a missing pipeline: %v, want ErrNotFound again (not a silent skip)", err)
	}
}

func TestLatestObjectVersionAndMarks(t *testing.T) {
	c := openCloud(t, "")
	ctx := context.Background()
	a := c.As(acctA, region)
	defer a.Close()
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "trig-source", Versioning: true}))
	if _, _, found, err := c.LatestObjectVersion(ctx, "trig-source", "app.zip"); err != nil || found {
		t.Fatalf("empty bucket: found=%v err=%v", found, err)
	}
	seq0, marks0 := marks(t)(c.ChangeMarks(ctx))
	v1 := must[string](t)(a.PutObject(ctx, "", "trig-source", "app.zip", bytes.NewReader([]byte("one"))))
	seq1, id1, found, err := c.LatestObjectVersion(ctx, "trig-source", "app.zip")
	if err != nil || !found || id1 != v1 {
		t.Fatalf("latest = %s found=%v err=%v, want %s", id1, found, err, v1)
	}
	if s, _ := marks(t)(c.ChangeMarks(ctx)); s <= seq0 || s != seq1 {
		t.Fatalf("object mark %d after a put, want %d (> %d)", s, seq1, seq0)
	}
	must[*backend.PipelineRecord](t)(a.CreatePipeline(ctx, triggerPipeline("trig")))
	if _, m := marks(t)(c.ChangeMarks(ctx)); m == marks0 {
		t.Fatal("creating a pipeline did not change the pipelines mark")
	}
	must[backend.ObjectInfo](t)(a.DeleteObject(ctx, "", "trig-source", "app.zip", ""))
	if _, _, found, _ := c.LatestObjectVersion(ctx, "trig-source", "app.zip"); found {
		t.Fatal("a delete marker counted as a new version")
	}
	if all := must[[]*backend.PipelineRecord](t)(c.AllPipelines(ctx)); len(all) != 1 || all[0].AccountID != acctA || all[0].Definition.Name != "trig" {
		t.Fatalf("AllPipelines = %+v", all)
	}
}

func marks(t *testing.T) func(int64, string, error) (int64, string) {
	return func(n int64, s string, err error) (int64, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n, s
	}
}

func TestWebhookSecretSealed(t *testing.T) {
	c := openCloud(t, "")
	ctx := context.Background()
	a := c.As(acctA, region)
	defer a.Close()
	const secret = "s3cr3t-token-for-the-test"
	w := &backend.Webhook{
		Name: "gh", Authentication: pipeline.WebhookAuthGitHubHMAC, SecretToken: secret,
		Filters:        []pipeline.WebhookFilter{{JSONPath: "$.ref", MatchEquals: "refs/heads/{Branch}"}},
		TargetPipeline: "trig", TargetAction: "Fetch", Tags: map[string]string{"team": "a"},
	}
	got := must[*backend.Webhook](t)(a.PutWebhook(ctx, w, false))
	if got.SecretToken != secret || got.ARN != "arn:aws:codepipeline:"+region+":"+acctA+":webhook:gh" || got.Tags["team"] != "a" {
		t.Fatalf("stored webhook = %+v", got)
	}
	if _, err := a.PutWebhook(ctx, w, false); !errors.Is(err, backend.ErrAlreadyExists) {
		t.Fatalf("second create: %v, want ErrAlreadyExists", err)
	}
	if err := c.writer.Close(); err != nil { // flush nothing pending; the WAL holds the rows
		t.Fatal(err)
	}
	for _, f := range []string{"state.db", "state.db-wal"} {
		raw, err := os.ReadFile(c.Dir() + "/" + f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(secret)) {
			t.Fatalf("%s holds the secret token in plaintext", f)
		}
	}
}

func TestWebhookValidationAndDelete(t *testing.T) {
	c := openCloud(t, "")
	ctx := context.Background()
	a := c.As(acctA, region)
	defer a.Close()
	base := backend.Webhook{Name: "w", Authentication: pipeline.WebhookAuthIP, AllowedIPRange: "10.0.0.0/8",
		Filters: []pipeline.WebhookFilter{{JSONPath: "$.ref", MatchEquals: "x"}}, TargetPipeline: "p", TargetAction: "a"}
	for name, mutate := range map[string]func(w *backend.Webhook){
		"bad cidr":    func(w *backend.Webhook) { w.AllowedIPRange = "10.0.0.0" },
		"no filters":  func(w *backend.Webhook) { w.Filters = nil },
		"hmac secret": func(w *backend.Webhook) { w.Authentication = pipeline.WebhookAuthGitHubHMAC },
		"bad auth":    func(w *backend.Webhook) { w.Authentication = "BASIC" },
		"bad name":    func(w *backend.Webhook) { w.Name = "a b" },
	} {
		w := base
		mutate(&w)
		if _, err := a.PutWebhook(ctx, &w, false); !errors.Is(err, backend.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	w := base
	must[*backend.Webhook](t)(a.PutWebhook(ctx, &w, false))
	w.AllowedIPRange = "192.0.2.0/24"
	if got := must[*backend.Webhook](t)(a.PutWebhook(ctx, &w, true)); got.AllowedIPRange != "192.0.2.0/24" || got.SecretToken != "" {
		t.Fatalf("updated webhook = %+v", got)
	}
	if err := a.DeleteWebhook(ctx, "w"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetWebhook(ctx, "w"); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("after delete: %v, want ErrNotFound", err)
	}
	if err := a.DeleteWebhook(ctx, "w"); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if !strings.HasSuffix(backend.WebhookURL("", acctA, region, "w"), "/webhooks/"+acctA+"/"+region+"/w") {
		t.Fatal(backend.WebhookURL("", acctA, region, "w"))
	}
}

// TestReplayKeysAreRememberedForTheirWindow: a digest key is remembered for its window, a
// delivery id for ever, and a trigger whose keys include one seen before reserves none of the
// others.
func TestReplayKeysAreRememberedForTheirWindow(t *testing.T) {
	clk := newClock()
	_, a, _ := accounts(t, WithNow(clk.Now))
	ctx := context.Background()
	setupShellPipeline(t, a, shellPipeline("hooked", "", stage("Build", shell("B", 1, "true"))), nil)
	req := backend.RunRequest{Pipeline: "hooked", Trigger: backend.TriggerWebhook}
	start := func(keys ...backend.ReplayKey) bool {
		t.Helper()
		run, err := a.StartTriggeredRunOnce(ctx, req, "webhook:gh", keys...)
		if err != nil {
			t.Fatal(err)
		}
		return run != nil
	}
	digest := backend.ReplayKey{Value: "sha256:aaaa", Window: time.Hour}
	if !start(digest, backend.ReplayKey{Value: "d-1"}) {
		t.Fatal("first delivery did not start a run")
	}
	if start(digest) || start(digest, backend.ReplayKey{Value: "d-2"}) {
		t.Fatal("the same digest within its window started a run")
	}
	// d-2 came with a digest seen before: it was not reserved.
	if !start(backend.ReplayKey{Value: "sha256:bbbb", Window: time.Hour}, backend.ReplayKey{Value: "d-2"}) {
		t.Fatal("delivery d-2 was reserved by a trigger that started nothing")
	}
	clk.Advance(2 * time.Hour)
	if !start(digest) {
		t.Error("the digest was still remembered after its window")
	}
	if start(backend.ReplayKey{Value: "d-1"}) {
		t.Error("a delivery id was forgotten")
	}
}
