package console

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// guardedPipeline deploys behind stage conditions: an entry condition whose Gate rule waits
// for the file #{variables.gate}, an on-success check, and an automatic retry on failure. Its
// Publish action fails the first time (it leaves the file #{variables.marker}) and succeeds
// when the retry runs it again.
func guardedPipeline() *pipeline.Pipeline {
	check := func(name string) pipeline.ConditionRule {
		return pipeline.ConditionRule{Name: name, RuleTypeID: pipeline.RuleTypeID{Category: "Rule", Owner: "AWS", Provider: pipeline.RuleVariableCheck, Version: "1"},
			Configuration: map[string]string{"Variable": "#{variables.ok}", "Operator": "EQ", "Value": "yes"}}
	}
	gate := pipeline.ConditionRule{Name: "Gate", RuleTypeID: pipeline.RuleTypeID{Category: "Rule", Owner: "AWS", Provider: pipeline.RuleCommands, Version: "1"},
		InputArtifacts: []string{"src"},
		Commands:       []string{"while [ ! -e #{variables.gate} ]; do sleep 0.05; done", "echo THE-GATE-OPENED"}}
	p := base("guarded", pipeline.Stage{Name: "Deploy",
		BeforeEntry: &pipeline.Condition{Result: pipeline.ResultFail, Rules: []pipeline.ConditionRule{check("Healthy"), gate}},
		OnSuccess:   &pipeline.Condition{Rules: []pipeline.ConditionRule{check("StillHealthy")}},
		OnFailure:   &pipeline.FailureConditions{Result: pipeline.ResultRetry, RetryConfiguration: &pipeline.RetryConfiguration{RetryMode: pipeline.RetryFailedActions}},
		Actions: []pipeline.Action{shell("Publish", 1, []string{"src"}, nil,
			"if [ ! -e #{variables.marker} ]; then touch #{variables.marker}; echo the first attempt fails; exit 3; fi", "echo published")},
	})
	p.Variables = []pipeline.Variable{{Name: "ok", DefaultValue: "yes"}, {Name: "gate", DefaultValue: "/nonexistent"}, {Name: "marker", DefaultValue: "/nonexistent"}}
	return p
}

// The run page shows a stage's conditions, their rules and results live; the picture marks
// each condition on its stage's edge and colours it; the retry is counted; a rollback is a
// run of type ROLLBACK that names the run it went back to.
func TestBrowserStageConditionsRetriesAndRollback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.create(e.a, guardedPipeline(), acctA)
	dir := t.TempDir()
	gateFile, marker := filepath.Join(dir, "gate"), filepath.Join(dir, "marker")
	run := e.start(e.a, "guarded", map[string]string{"gate": gateFile, "marker": marker})
	e.waitRun(e.a, "guarded", run.ID, "the entry condition evaluated", func(r *backend.Run) bool {
		c := r.Stages[1].Condition(pipeline.ConditionBeforeEntry)
		return c != nil && c.Status == backend.StatusInProgress
	})
	ctx := tab(t)
	e.open(t, ctx, runPath("guarded", run.ID))
	markDocument(t, ctx)
	const entry = `document.getElementById("cond-Deploy-before_entry")`
	until(t, ctx, "the entry condition in progress, its Gate rule running", entry+`.getAttribute("data-status") === "InProgress" &&
		`+entry+`.querySelector('tr[data-rule="Gate"]').getAttribute("data-status") === "InProgress"`)
	if got := eval[string](t, ctx, entry+`.querySelector("h4").textContent.replace(/\s+/g, " ").trim()`); got != "Entry condition before_entry InProgress if it fails: FAIL" {
		t.Errorf("the entry condition's heading: %q", got)
	}
	if got := eval[string](t, ctx, `[...`+entry+`.querySelectorAll("tr[data-rule]")].map(r => r.getAttribute("data-rule") + " " + r.querySelector("th .muted").textContent).join(", ")`); got != "Healthy VariableCheck, Gate Commands" {
		t.Errorf("the entry condition's rules: %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector("#cond-Deploy-on_failure h4").textContent.replace(/\s+/g, " ").trim()`); got != "On failure on_failure → RETRY (FAILED_ACTIONS)" {
		t.Errorf("the on_failure block: %q", got)
	}

	// The picture: a diamond on Deploy's left edge (entry), two on its right edge (on_success
	// above on_failure), none on Source; the entry diamond coloured InProgress.
	type pt struct{ X, Y float64 }
	marks := eval[map[string]pt](t, ctx, `Object.fromEntries([...document.querySelectorAll("g.pg-cond")].map(g => {
		const r = g.querySelector("path").getBoundingClientRect();
		return [g.id, {X: (r.left + r.right) / 2, Y: (r.top + r.bottom) / 2}];
	}))`)
	stage := eval[map[string]float64](t, ctx, `(() => { const r = document.querySelector("#s-1 rect").getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top}; })()`)
	if len(marks) != 3 {
		t.Fatalf("condition marks %v, want Deploy's three", marks)
	}
	near := func(a, b float64) bool { return a-b < 1 && b-a < 1 }
	be, os, of := marks["c-1-before_entry"], marks["c-1-on_success"], marks["c-1-on_failure"]
	if !near(be.X, stage["left"]) || !near(os.X, stage["right"]) || !near(of.X, stage["right"]) || of.Y <= os.Y || be.Y < stage["top"] {
		t.Errorf("marks %v on stage %v: want the entry on the left edge, on_success then on_failure on the right edge", marks, stage)
	}
	if got := eval[string](t, ctx, `document.getElementById("c-1-before_entry").getAttribute("data-status")`); got != backend.StatusInProgress {
		t.Errorf("the entry diamond is %q, want InProgress", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll(".legend .cond-key").length`); n != 1 {
		t.Errorf("the page explains the diamonds %d times, want once", n)
	}

	// The gate opens: the condition passes, Publish fails once and is retried automatically,
	// the on-success condition passes, the run succeeds — all on the same page.
	writeFile(t, gateFile)
	until(t, ctx, "the run Succeeded", summaryBadge+` === "Succeeded"`)
	until(t, ctx, "the on-success condition Succeeded", `document.querySelector('#cond-Deploy-on_success[data-status="Succeeded"] tr[data-rule="StillHealthy"][data-status="Succeeded"]')`)
	sameDocument(t, ctx)
	if got := eval[string](t, ctx, entry+`.getAttribute("data-status") + " " + document.getElementById("c-1-before_entry").getAttribute("data-status") + " " + document.getElementById("c-1-on_success").getAttribute("data-status")`); got != "Succeeded Succeeded Succeeded" {
		t.Errorf("entry condition, its diamond, the on-success diamond: %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector("#stage-1 .retries").textContent.trim()`); got != "Retried 1 time automatically and 0 times by hand (latest: AutomatedStageRetry)." {
		t.Errorf("the retries: %q", got)
	}
	if got := eval[string](t, ctx, entry+`.querySelector('tr[data-rule="Healthy"]').textContent`); !strings.Contains(got, "Variable") || !strings.Contains(got, "yes") {
		t.Errorf("the Healthy rule does not show its resolved configuration: %q", got)
	}
	// The Gate rule's log, from its link.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#cond-Deploy-before_entry tr[data-rule="Gate"] a`)))
	until(t, ctx, "the Gate rule's log", `document.getElementById("log") && document.getElementById("log").textContent.includes("THE-GATE-OPENED")`)

	// A rollback of Deploy to this run: its page says ROLLBACK and links to the run.
	rb, err := e.a.RollbackStage(context.Background(), "guarded", "Deploy", run.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.runs = append(e.runs, startedRun{e.a, "guarded", rb.ID})
	e.mu.Unlock()
	e.driven.Add(1)
	go func() { defer e.driven.Done(); _, _ = e.a.ExecuteRun(context.Background(), "guarded", rb.ID) }()
	e.waitRun(e.a, "guarded", rb.ID, "the rollback", ended)
	do(t, ctx, chromedp.Navigate(e.ts.URL+runPath("guarded", rb.ID)))
	summary := eval[string](t, ctx, `document.getElementById("run-summary").innerText.replace(/\s+/g, " ")`)
	if !strings.Contains(summary, "Type ROLLBACK") || !strings.Contains(summary, "Rolled back stage Deploy to the artifacts of run "+run.ID) {
		t.Errorf("the rollback's summary: %q", summary)
	}
	if href := eval[string](t, ctx, `document.querySelector("#run-summary a").getAttribute("href")`); href != runPath("guarded", run.ID) {
		t.Errorf("the rollback links to %q, want the run it went back to", href)
	}
	// The pipeline's page: the rollback tagged in the runs, the conditions in the definition.
	do(t, ctx, chromedp.Navigate(e.ts.URL+pipelineURL(acctA, region, "guarded")))
	if n := eval[int](t, ctx, `[...document.querySelectorAll("tbody tr")].filter(r => r.querySelector(".tag") && r.textContent.includes("`+rb.ID+`")).length`); n != 1 {
		t.Errorf("the runs table does not tag the rollback")
	}
	def := eval[string](t, ctx, `document.querySelector("#def-h").parentElement.innerText.replace(/\s+/g, " ")`)
	if !strings.Contains(def, "Stage Deploy entry condition (before_entry), result FAIL, rules Healthy (VariableCheck), Gate (Commands)") ||
		!strings.Contains(def, "on failure (on_failure): RETRY") {
		t.Errorf("the definition does not list Deploy's conditions: %q", def)
	}
}
