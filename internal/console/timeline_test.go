package console

import (
	"strings"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// The timeline draws each action from its start to its end on one axis, a stage's wait for
// another run as a bar of its own, and an approval as an approval.
func TestTimelineShowsWaitsForAStageAndForApprovals(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	def := gatePipeline()
	run := &backend.Run{Started: t0, Status: backend.StatusInProgress, Stages: []backend.StageRun{
		{Name: "Source", Status: backend.StatusSucceeded, Entered: at(0), Actions: []backend.ActionRun{{Name: "Fetch", Status: backend.StatusSucceeded, Started: at(0), Ended: at(1)}}},
		{Name: "Approve", Status: backend.StatusInProgress, WaitingSince: at(1), Entered: at(4), Actions: []backend.ActionRun{{Name: "Sign-off", Status: backend.StatusInProgress, Started: at(4)}}},
		{Name: "Build", Actions: []backend.ActionRun{{Name: "After"}}},
	}}
	tl := buildTimeline(def, run, at(10))
	rows := map[string]*timelineBar{}
	for _, r := range tl.Rows {
		rows[r.Label] = r.Bar
	}
	fetch, wait, approval := rows["Source / Fetch"], rows["Approve · waiting for the stage"], rows["Approve / Sign-off"]
	if fetch == nil || wait == nil || approval == nil {
		t.Fatalf("rows: %v", tl.Rows)
	}
	if rows["Build / After"] != nil {
		t.Errorf("an action not reached has a bar")
	}
	if wait.Class != "lock" || !strings.Contains(wait.Title, "waited for another run") {
		t.Errorf("the wait for the stage: %+v", wait)
	}
	if approval.Class != "approval" || !strings.Contains(approval.Title, "waiting for approval") {
		t.Errorf("the approval: %+v", approval)
	}
	// One axis: 10 s over the chart's width; the wait from 1 s to 4 s, the approval from 4 s to now.
	per := tl.ChartWidth / 10
	near := func(a, b float64) bool { return a-b < 0.01 && b-a < 0.01 }
	if !near(fetch.X, timelineLabel) || !near(fetch.W, per) {
		t.Errorf("Fetch bar x=%v w=%v, want %v and %v", fetch.X, fetch.W, float64(timelineLabel), per)
	}
	if !near(wait.X, timelineLabel+per) || !near(wait.W, 3*per) || !near(approval.X, timelineLabel+4*per) || !near(approval.W, 6*per) {
		t.Errorf("wait %+v, approval %+v on an axis of %v per second", wait, approval, per)
	}
}
