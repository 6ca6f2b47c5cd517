package backendtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// runs returns account A's runs, or checks that the backend refuses them as it should and
// returns nil: the case then has nothing more to check.
func (e *env) runs() backend.Runner {
	e.t.Helper()
	r, err := backend.RunsOf(e.a)
	var ue *backend.UnsupportedError
	if err != nil {
		if !errors.As(err, &ue) || ue.Capability != backend.CapabilityRuns {
			e.t.Fatalf("RunsOf = %v, want the runs or an UnsupportedError", err)
		}
		return nil
	}
	return r
}

// drive runs ExecuteRun in the background; the channel yields its result.
func drive(e *env, r backend.Runner, pipelineName, id string) <-chan runResult {
	done := make(chan runResult, 1)
	go func() {
		run, err := r.ExecuteRun(e.ctx, pipelineName, id)
		done <- runResult{run, err}
	}()
	return done
}

type runResult struct {
	run *backend.Run
	err error
}

// ended waits for a driven run to end.
func ended(e *env, done <-chan runResult) *backend.Run {
	e.t.Helper()
	select {
	case res := <-done:
		ok(e.t, res.err)
		return res.run
	case <-time.After(waitFor):
		e.t.Fatalf("the run did not end within %s", waitFor)
		return nil
	}
}

// waitAction polls until an action of a run has status.
func waitAction(e *env, r backend.Runner, pipelineName, id, stage, action, status string) {
	e.t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		run, err := r.GetRun(e.ctx, pipelineName, id)
		ok(e.t, err)
		if a := run.Action(stage, action); a != nil && a.Status == status {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("action %s/%s of run %s is not %s after %s", stage, action, id, status, waitFor)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func approval(name string) pipeline.Action {
	return pipeline.Action{Name: name, Category: pipeline.CategoryApproval, Owner: pipeline.OwnerAWS, Provider: "Manual", Version: "1"}
}

var runCases = []Case{
	{"runs", "start and drive to the end", func(e *env) {
		r := e.runs()
		if r == nil {
			return
		}
		p := e.pipelineOf("app", pipeline.Stage{Name: "Build", Actions: []pipeline.Action{commands("Make", 1, "echo built #{variables.greeting}")}})
		p.Variables = []pipeline.Variable{{Name: "greeting", DefaultValue: "hello"}}
		e.setup(p)
		started := must[*backend.Run](e.t)(r.StartRun(e.ctx, backend.RunRequest{Pipeline: "app"}))
		if started.Status != backend.StatusInProgress || started.Trigger != backend.TriggerManual || started.PipelineVersion != 1 ||
			len(started.Stages) != 2 || started.Variables["greeting"] != "hello" {
			e.t.Errorf("StartRun = %+v", started)
		}
		run := must[*backend.Run](e.t)(r.ExecuteRun(e.ctx, "app", started.ID))
		if run.Status != backend.StatusSucceeded || run.Ended.IsZero() {
			e.t.Fatalf("run = %s (%s)", run.Status, run.StatusReason)
		}
		for _, st := range run.Stages {
			equal(e.t, "stage "+st.Name, st.Status, backend.StatusSucceeded)
		}
		out := run.Action("Source", "Fetch").Outputs
		if len(out) != 1 || out[0].Name != "src" || out[0].Bucket != "app-artifacts" || out[0].VersionID == "" {
			e.t.Errorf("source outputs = %+v", out)
		} else if _, _, err := e.a.GetObject(e.ctx, "", out[0].Bucket, out[0].Key, out[0].VersionID); err != nil {
			e.t.Errorf("the output artifact is not in the store: %v", err)
		}
		for _, id := range []string{"", run.ID} {
			got := must[*backend.Run](e.t)(r.GetRun(e.ctx, "app", id))
			if diff := cmp.Diff(run, got); diff != "" {
				e.t.Errorf("GetRun(%q) (-ended +got):\n%s", id, diff)
			}
		}
		_, err := r.ExecuteRun(e.ctx, "app", run.ID)
		if err == nil {
			if again := must[*backend.Run](e.t)(r.GetRun(e.ctx, "app", run.ID)); again.Status != backend.StatusSucceeded {
				e.t.Errorf("driving an ended run changed it: %s", again.Status)
			}
		}
	}},
	{"runs", "variables: overrides taken, undeclared refused", func(e *env) {
		r := e.runs()
		if r == nil {
			return
		}
		p := e.pipelineOf("vars", pipeline.Stage{Name: "Build", Actions: []pipeline.Action{commands("Make", 1, "echo #{variables.who}")}})
		p.Variables = []pipeline.Variable{{Name: "who", DefaultValue: "nobody"}}
		e.setup(p)
		run := must[*backend.Run](e.t)(r.StartRun(e.ctx, backend.RunRequest{Pipeline: "vars", Variables: map[string]string{"who": "somebody"}}))
		equal(e.t, "overridden variable", run.Variables["who"], "somebody")
		_, err := r.StartRun(e.ctx, backend.RunRequest{Pipeline: "vars", Variables: map[string]string{"what": "x"}})
		wantErr(e.t, "an undeclared variable", err, backend.ErrInvalid)
		_, err = r.StartRun(e.ctx, backend.RunRequest{Pipeline: "missing"})
		wantErr(e.t, "a run of a missing pipeline", err, backend.ErrNotFound)
	}},
	{"runs", "list newest first, with a limit", func(e *env) {
		r := e.runs()
		if r == nil {
			return
		}
		e.setup(e.pipelineOf("many", pipeline.Stage{Name: "Build", Actions: []pipeline.Action{commands("Make", 1, "true")}}))
		var ids []string
		for i := 0; i < 3; i++ {
			run := must[*backend.Run](e.t)(r.StartRun(e.ctx, backend.RunRequest{Pipeline: "many"}))
			must[*backend.Run](e.t)(r.ExecuteRun(e.ctx, "many", run.ID))
			ids = append([]string{run.ID}, ids...)
		}
		// The run CodePipeline starts when a pipeline is created (stopped at once by a backend
		// that meets it, see backend.TriggerCreate) comes before the three, if there is one.
		var got []string
		for _, run := range must[[]*backend.Run](e.t)(r.ListRuns(e.ctx, "many", 0)) {
			if run.Trigger == backend.TriggerCreate {
				if run.Status != backend.StatusStopped && run.Status != backend.StatusStopping {
					e.t.Errorf("the run of the pipeline's creation is %s, want it stopped", run.Status)
				}
				continue
			}
			got = append(got, run.ID)
		}
		if diff := cmp.Diff(ids, got); diff != "" {
			e.t.Errorf("ListRuns (-newest first +got):\n%s", diff)
		}
		if two := must[[]*backend.Run](e.t)(r.ListRuns(e.ctx, "many", 2)); len(two) != 2 || two[0].ID != ids[0] {
			e.t.Errorf("ListRuns with limit 2 = %d runs", len(two))
		}
		_, err := r.GetRun(e.ctx, "many", "no-such-run")
		wantErr(e.t, "GetRun of a missing run", err, backend.ErrNotFound)
		_, err = r.ListRuns(e.ctx, "missing", 0)
		if err != nil && !errors.Is(err, backend.ErrNotFound) {
			e.t.Errorf("ListRuns of a missing pipeline: %v", err)
		}
	}},
	{"runs", "a failed stage retried", func(e *env) {
		r := e.runs()
		if r == nil {
			return
		}
		fixed := filepath.Join(e.t.TempDir(), "fixed")
		e.setup(e.pipelineOf("retry",
			pipeline.Stage{Name: "Build", Actions: []pipeline.Action{commands("Good", 1, "true"), commands("Flaky", 1, "test -e "+fixed)}},
			pipeline.Stage{Name: "Deploy", Actions: []pipeline.Action{commands("Ship", 1, "true")}}))
		started := must[*backend.Run](e.t)(r.StartRun(e.ctx, backend.RunRequest{Pipeline: "retry"}))
		failed := must[*backend.Run](e.t)(r.ExecuteRun(e.ctx, "retry", started.ID))
		stage, action := failed.Failed()
		if failed.Status != backend.StatusFailed || stage == nil || stage.Name != "Build" || action.Name != "Flaky" || action.Error == "" {
			e.t.Fatalf("first attempt = %s, failed at %v %v", failed.Status, stage, action)
		}
		if st := failed.Stages[2].Status; st == backend.StatusSucceeded || st == backend.StatusInProgress {
			e.t.Errorf("the stage after the failed one ran: %s", st)
		}
		_, err := r.RetryStage(e.ctx, "retry", failed.ID, "Source", false)
		wantErr(e.t, "retrying a stage that did not fail", err, backend.ErrInvalid)
		ok(e.t, os.WriteFile(fixed, nil, 0o600))
		retried := must[*backend.Run](e.t)(r.RetryStage(e.ctx, "retry", failed.ID, "Build", false))
		equal(e.t, "retried run", retried.Status, backend.StatusInProgress)
		run := must[*backend.Run](e.t)(r.ExecuteRun(e.ctx, "retry", failed.ID))
		if run.Status != backend.StatusSucceeded || run.Action("Build", "Flaky").Attempt != 2 || run.Action("Build", "Good").Attempt != 1 {
			e.t.Errorf("after the retry: %s, Flaky attempt %d, Good attempt %d", run.Status, run.Action("Build", "Flaky").Attempt, run.Action("Build", "Good").Attempt)
		}
	}},
	{"runs", "manual approval approved and rejected", func(e *env) {
		r := e.runs()
		if r == nil {
			return
		}
		p := e.pipelineOf("gate", pipeline.Stage{Name: "Approve", Actions: []pipeline.Action{approval("Manual")}})
		p.ExecutionMode = pipeline.ExecutionModeParallel
		e.setup(p)
		for _, approved := range []bool{true, false} {
			run := must[*backend.Run](e.t)(r.StartRun(e.ctx, backend.RunRequest{Pipeline: "gate"}))
			if !backend.ExecutesRemotely(r) {
				// A run this process drives has not moved before it is driven; a service's
				// run (CodePipeline) may already be waiting by now.
				err := r.PutApprovalResult(e.ctx, "gate", run.ID, "Approve", "Manual", approved, "too early")
				wantErr(e.t, "deciding an approval that is not waiting yet", err, backend.ErrInvalid)
			}
			done := drive(e, r, "gate", run.ID)
			waitAction(e, r, "gate", run.ID, "Approve", "Manual", backend.StatusInProgress)
			err := r.PutApprovalResult(e.ctx, "gate", run.ID, "Approve", "Nobody", approved, "")
			wantErr(e.t, "deciding a missing action", err, backend.ErrNotFound)
			ok(e.t, r.PutApprovalResult(e.ctx, "gate", run.ID, "Approve", "Manual", approved, "looked at it"))
			ended := ended(e, done)
			want := map[bool]string{true: backend.StatusSucceeded, false: backend.StatusFailed}[approved]
			if ended.Status != want || ended.Action("Approve", "Manual").Status != want {
				e.t.Errorf("approved=%t: run %s, action %s; want %s", approved, ended.Status, ended.Action("Approve", "Manual").Status, want)
			}
		}
	}},
	{"runs", "stop: running actions abandoned", func(e *env) {
		r := e.runs()
		if r == nil {
			return
		}
		e.setup(e.pipelineOf("long", pipeline.Stage{Name: "Build", Actions: []pipeline.Action{commands("Sleep", 1, "sleep 120")}},
			pipeline.Stage{Name: "Deploy", Actions: []pipeline.Action{commands("Ship", 1, "true")}}))
		run := must[*backend.Run](e.t)(r.StartRun(e.ctx, backend.RunRequest{Pipeline: "long"}))
		done := drive(e, r, "long", run.ID)
		waitAction(e, r, "long", run.ID, "Build", "Sleep", backend.StatusInProgress)
		ok(e.t, r.StopRun(e.ctx, "long", run.ID, true, "enough"))
		stopped := ended(e, done)
		if stopped.Status != backend.StatusStopped || stopped.Action("Build", "Sleep").Status != backend.StatusAbandoned ||
			stopped.Stages[2].Status == backend.StatusSucceeded {
			e.t.Errorf("stopped run = %s, Sleep %s, Deploy %q", stopped.Status, stopped.Action("Build", "Sleep").Status, stopped.Stages[2].Status)
		}
		wantErr(e.t, "stopping an ended run", r.StopRun(e.ctx, "long", run.ID, true, "again"), backend.ErrInvalid)
		wantErr(e.t, "stopping a missing run", r.StopRun(e.ctx, "long", "no-such-run", true, ""), backend.ErrNotFound)
	}},
}

// notExecuted returns an action type of the domain's table the runner does not execute, with
// its required configuration, or ok=false when it executes them all.
func notExecuted(r backend.Runner) (pipeline.Action, bool) {
	executed := map[pipeline.ActionTypeID]bool{}
	for _, id := range r.ActionTypes() {
		executed[id] = true
	}
	for _, t := range pipeline.ActionTypes {
		if executed[t.ID] || t.ID.Category == pipeline.CategorySource || t.Inputs.Min > 1 || t.Outputs.Min > 0 {
			continue
		}
		a := pipeline.Action{Name: "Elsewhere", Category: t.ID.Category, Owner: t.ID.Owner, Provider: t.ID.Provider, Version: "1",
			Configuration: map[string]string{}}
		for _, k := range t.Required {
			a.Configuration[k] = "x"
		}
		if t.Inputs.Min == 1 {
			a.InputArtifacts = []string{"src"}
		}
		return a, true
	}
	return pipeline.Action{}, false
}

var actionLogCases = []Case{
	{string(backend.CapabilityActionLogs), "what an action printed, with the variables it saw", func(e *env) {
		r := e.runs()
		p := e.pipelineOf("logged", pipeline.Stage{Name: "Build", Actions: []pipeline.Action{commands("Make", 1, "echo run of #{SourceVariables.VersionId}")}})
		p.Stages[0].Actions[0].Namespace = "SourceVariables"
		e.setup(p)
		run := must[*backend.Run](e.t)(r.StartRun(e.ctx, backend.RunRequest{Pipeline: "logged"}))
		run = must[*backend.Run](e.t)(r.ExecuteRun(e.ctx, "logged", run.ID))
		logs := must[backend.ActionLogs](e.t)(backend.ActionLogsOf(e.a))
		version := run.Action("Source", "Fetch").OutputVariables["VersionId"]
		log := string(must[[]byte](e.t)(logs.ActionLog(e.ctx, "logged", run.ID, "Build", "Make")))
		if version == "" || !strings.Contains(log, "run of "+version) {
			e.t.Errorf("log of Build/Make = %q, want it to name source version %q", log, version)
		}
	}},
}

var runActionTypeCases = []Case{
	{"runs", "action types: the ones the suite needs, and a run reaching another fails there", func(e *env) {
		r := e.runs()
		if r == nil {
			return
		}
		types := map[string]bool{}
		for _, id := range r.ActionTypes() {
			if _, known := pipeline.LookupActionType(id); !known || types[id.String()] {
				e.t.Errorf("ActionTypes lists %s twice, or a type the rules do not accept", id)
			}
			types[id.String()] = true
		}
		for _, need := range []string{"Source/AWS/S3", "Build/AWS/Commands", "Approval/AWS/Manual"} {
			if !types[need] {
				e.t.Fatalf("the backend does not execute %s, which the suite's runs use (it executes %v)", need, r.ActionTypes())
			}
		}
		act, found := notExecuted(r)
		if !found {
			return // it executes every type of the table
		}
		e.setup(e.pipelineOf("elsewhere", pipeline.Stage{Name: "Other", Actions: []pipeline.Action{act}}))
		run := must[*backend.Run](e.t)(r.StartRun(e.ctx, backend.RunRequest{Pipeline: "elsewhere"}))
		ended := must[*backend.Run](e.t)(r.ExecuteRun(e.ctx, "elsewhere", run.ID))
		a := ended.Action("Other", "Elsewhere")
		if ended.Status != backend.StatusFailed || a.Status != backend.StatusFailed || !strings.Contains(a.Error, act.Type().String()) {
			e.t.Errorf("a run reaching %s: run %s, action %s %q; want it Failed there, naming the type", act.Type(), ended.Status, a.Status, a.Error)
		}
	}},
}

var webhookCases = []Case{
	{"webhooks", "put, get, update, delete", func(e *env) {
		w, err := backend.WebhooksOf(e.a)
		if err != nil {
			var ue *backend.UnsupportedError
			if !errors.As(err, &ue) || ue.Capability != backend.CapabilityWebhooks {
				e.t.Fatalf("WebhooksOf = %v", err)
			}
			return
		}
		hook := &backend.Webhook{Name: "gh", Authentication: pipeline.WebhookAuthGitHubHMAC, SecretToken: "s3cr3t",
			Filters:        []pipeline.WebhookFilter{{JSONPath: "$.ref", MatchEquals: "refs/heads/{Branch}"}},
			TargetPipeline: "app", TargetAction: "Source", Tags: map[string]string{"team": "ci"}}
		made := must[*backend.Webhook](e.t)(w.PutWebhook(e.ctx, hook, false))
		if made.ARN != arn.Webhook(e.region, AccountA, "gh") || made.SecretToken != "s3cr3t" || made.AccountID != AccountA ||
			!cmp.Equal(made.Filters, hook.Filters) || made.Tags["team"] != "ci" {
			e.t.Errorf("PutWebhook = %+v", made)
		}
		if diff := cmp.Diff(made, must[*backend.Webhook](e.t)(w.GetWebhook(e.ctx, "gh"))); diff != "" {
			e.t.Errorf("GetWebhook (-put +got):\n%s", diff)
		}
		_, err = w.PutWebhook(e.ctx, hook, false)
		wantErr(e.t, "creating it again", err, backend.ErrAlreadyExists)
		hook.Authentication, hook.SecretToken, hook.AllowedIPRange = pipeline.WebhookAuthIP, "", "10.0.0.0/8"
		updated := must[*backend.Webhook](e.t)(w.PutWebhook(e.ctx, hook, true))
		if updated.Authentication != pipeline.WebhookAuthIP || updated.SecretToken != "" || updated.AllowedIPRange != "10.0.0.0/8" {
			e.t.Errorf("updated = %+v", updated)
		}
		_, err = w.PutWebhook(e.ctx, &backend.Webhook{Name: "other", Authentication: pipeline.WebhookAuthUnauthenticated,
			Filters: hook.Filters, TargetPipeline: "app", TargetAction: "Source"}, true)
		wantErr(e.t, "updating a missing webhook", err, backend.ErrNotFound)
		_, err = w.PutWebhook(e.ctx, &backend.Webhook{Name: "nofilter", Authentication: pipeline.WebhookAuthUnauthenticated,
			TargetPipeline: "app", TargetAction: "Source"}, false)
		wantErr(e.t, "a webhook without filters", err, backend.ErrInvalid)
		ok(e.t, w.DeleteWebhook(e.ctx, "gh"))
		_, err = w.GetWebhook(e.ctx, "gh")
		wantErr(e.t, "GetWebhook after delete", err, backend.ErrNotFound)
		wantErr(e.t, "deleting it again", w.DeleteWebhook(e.ctx, "gh"), backend.ErrNotFound)
	}},
}

var triggerCases = []Case{
	{"triggers", "the partition as the daemon sees it", func(e *env) {
		tr, err := backend.TriggersOf(e.a)
		if err != nil {
			var ue *backend.UnsupportedError
			if !errors.As(err, &ue) || ue.Capability != backend.CapabilityTriggers {
				e.t.Fatalf("TriggersOf = %v", err)
			}
			return
		}
		seq0, marks0 := must2(e, tr.ChangeMarks)
		must[*backend.PipelineRecord](e.t)(e.a.CreatePipeline(e.ctx, e.pipelineOf("a-app")))
		must[*backend.PipelineRecord](e.t)(e.b.CreatePipeline(e.ctx, e.inB(e.pipelineOf("b-app"))))
		var all []string
		for _, rec := range must[[]*backend.PipelineRecord](e.t)(tr.AllPipelines(e.ctx)) {
			all = append(all, rec.AccountID+"/"+rec.Name)
		}
		if diff := cmp.Diff([]string{AccountA + "/a-app", AccountB + "/b-app"}, all); diff != "" {
			e.t.Errorf("AllPipelines (-want +got):\n%s", diff)
		}
		seq1, marks1 := must2(e, tr.ChangeMarks)
		if marks1 == marks0 || seq1 != seq0 {
			e.t.Errorf("marks after new pipelines: %d %q (before %d %q)", seq1, marks1, seq0, marks0)
		}
		must[*backend.Bucket](e.t)(e.b.CreateBucket(e.ctx, backend.Bucket{Name: "watched", Versioning: true}))
		_, _, found, err := tr.LatestObjectVersion(e.ctx, "watched", "app.zip")
		if err != nil || found {
			e.t.Errorf("LatestObjectVersion before any put: found %t, %v", found, err)
		}
		v := must[string](e.t)(e.b.PutObject(e.ctx, "", "watched", "app.zip", strings.NewReader("x")))
		seq2, _ := must2(e, tr.ChangeMarks)
		seq, version, found, err := tr.LatestObjectVersion(e.ctx, "watched", "app.zip")
		if err != nil || !found || version != v || seq != seq2 || seq2 <= seq1 {
			e.t.Errorf("after a put: LatestObjectVersion = %d %s %t %v, marks %d (before %d)", seq, version, found, err, seq2, seq1)
		}

		k := backend.CursorKey{AccountID: AccountB, Region: e.region, Pipeline: "b-app", Action: "Fetch"}
		if c := must[string](e.t)(tr.TriggerCursor(e.ctx, k)); c != "" {
			e.t.Errorf("a cursor never saved = %q", c)
		}
		ok(e.t, tr.SaveTriggerCursor(e.ctx, k, `{"seq":1}`))
		equal(e.t, "saved cursor", must[string](e.t)(tr.TriggerCursor(e.ctx, k)), `{"seq":1}`)

		if !must[bool](e.t)(tr.AcquireLease(e.ctx, "triggers", "one", time.Minute)) {
			e.t.Error("a free lease was not acquired")
		}
		if must[bool](e.t)(tr.AcquireLease(e.ctx, "triggers", "two", time.Minute)) {
			e.t.Error("a held lease was acquired by another owner")
		}
		ok(e.t, tr.ReleaseLease(e.ctx, "triggers", "one"))
		if !must[bool](e.t)(tr.AcquireLease(e.ctx, "triggers", "two", time.Minute)) {
			e.t.Error("a released lease was not acquired")
		}

		if w, err := backend.WebhooksOf(e.b); err == nil {
			must[*backend.Webhook](e.t)(w.PutWebhook(e.ctx, &backend.Webhook{Name: "hook", Authentication: pipeline.WebhookAuthUnauthenticated,
				Filters: []pipeline.WebhookFilter{{JSONPath: "$.x", MatchEquals: "y"}}, TargetPipeline: "b-app", TargetAction: "Fetch"}, false))
			if got, err := tr.LookupWebhook(e.ctx, AccountB, e.region, "hook"); err != nil || got.TargetPipeline != "b-app" {
				e.t.Errorf("LookupWebhook of account B from A = %+v, %v", got, err)
			}
		}
		_, err = tr.LookupWebhook(e.ctx, AccountA, e.region, "hook")
		wantErr(e.t, "LookupWebhook in an account without it", err, backend.ErrNotFound)

		view := tr.Account(AccountB, e.region)
		defer view.Close()
		if id := view.Identity(); id.AccountID != AccountB || id.Region != e.region {
			e.t.Errorf("Account(B) acts as %+v", id)
		}
		run := must[*backend.Run](e.t)(view.StartTriggeredRun(e.ctx, backend.RunRequest{Pipeline: "b-app", Trigger: backend.TriggerEvent}, "Fetch", "s3://watched/app.zip@"+v))
		if run == nil || run.Trigger != backend.TriggerEvent {
			e.t.Fatalf("StartTriggeredRun = %+v", run)
		}
		if again := must[*backend.Run](e.t)(view.StartTriggeredRun(e.ctx, backend.RunRequest{Pipeline: "b-app", Trigger: backend.TriggerEvent}, "Fetch", "s3://watched/app.zip@"+v)); again != nil {
			e.t.Errorf("a second start for one revision started run %s", again.ID)
		}
		if runs := must[[]*backend.Run](e.t)(view.ListRuns(e.ctx, "b-app", 0)); len(runs) != 1 {
			e.t.Errorf("%d runs of b-app, want 1", len(runs))
		}
	}},
}

func must2(e *env, f func(ctx context.Context) (int64, string, error)) (int64, string) {
	e.t.Helper()
	a, b, err := f(e.ctx)
	ok(e.t, err)
	return a, b
}
