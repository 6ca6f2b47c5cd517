package console

import (
	"fmt"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// timeline is a run's chart: one row per action (and one for each wait of a stage for another
// run to leave it), a bar from its start to its end (or to now while it runs), on a common
// time axis from the run's start.
type timeline struct {
	Width, Height, LabelWidth, ChartWidth float64
	Ticks                                 []tick
	Rows                                  []timelineRow
	Span                                  string
}

type tick struct {
	X      float64
	Label  string
	Anchor string // the label's text-anchor: the first and last stay inside the chart
}

type timelineRow struct {
	Y, TextY float64
	Label    string
	Bar      *timelineBar
}

type timelineBar struct {
	X, W  float64
	Class string // the bar's kind: a status, "lock" or "approval"
	Title string
}

const (
	timelineWidth = 760
	timelineLabel = 200
	timelineRowH  = 20
	timelineTop   = 26
)

func buildTimeline(def *pipeline.Pipeline, run *backend.Run, now time.Time) timeline {
	t := timeline{Width: timelineWidth, LabelWidth: timelineLabel, ChartWidth: timelineWidth - timelineLabel - 10}
	start := run.Started
	end := run.Ended
	if end.IsZero() {
		end = now
	}
	span := end.Sub(start)
	if span < 100*time.Millisecond {
		span = 100 * time.Millisecond
	}
	t.Span = duration(start, start.Add(span))
	x := func(at time.Time) float64 {
		if at.Before(start) {
			at = start
		}
		return timelineLabel + float64(at.Sub(start))/float64(span)*t.ChartWidth
	}
	for i := 0; i <= 4; i++ {
		at := start.Add(span * time.Duration(i) / 4)
		t.Ticks = append(t.Ticks, tick{X: x(at), Label: duration(start, at), Anchor: "middle"})
	}
	t.Ticks[0].Label, t.Ticks[0].Anchor, t.Ticks[4].Anchor = "0s", "start", "end"
	y := float64(timelineTop)
	row := func(label string, bar *timelineBar) {
		t.Rows = append(t.Rows, timelineRow{Y: y, TextY: y + 14, Label: label, Bar: bar})
		y += timelineRowH
	}
	barOf := func(from, to time.Time, class, title string) *timelineBar {
		if from.IsZero() {
			return nil
		}
		if to.IsZero() {
			to = end
		}
		b := &timelineBar{X: x(from), Class: class, Title: title}
		b.W = max(x(to)-b.X, 2)
		return b
	}
	for _, st := range run.Stages {
		if !st.WaitingSince.IsZero() {
			title := fmt.Sprintf("Stage %s: waited for another run to leave it, from %s", st.Name, when(st.WaitingSince))
			if !st.Entered.IsZero() {
				title += " to " + when(st.Entered) + " (" + duration(st.WaitingSince, st.Entered) + ")"
			}
			row(st.Name+" · waiting for the stage", barOf(st.WaitingSince, st.Entered, "lock", title))
		}
		defStage := stageOf(def, st.Name)
		for _, a := range st.Actions {
			class, what := statusClass(a.Status), a.Status
			if defStage != nil {
				if da := actionOf(defStage, a.Name); da != nil && da.Category == pipeline.CategoryApproval {
					class, what = "approval", "approval "+statusText(a.Status)
					if a.Status == backend.StatusInProgress {
						what = "waiting for approval"
					}
				}
			}
			title := fmt.Sprintf("%s/%s: %s", st.Name, a.Name, what)
			if !a.Started.IsZero() {
				title += ", from " + when(a.Started)
				if !a.Ended.IsZero() {
					title += " to " + when(a.Ended) + " (" + duration(a.Started, a.Ended) + ")"
				}
			}
			row(st.Name+" / "+a.Name, barOf(a.Started, a.Ended, class, title))
		}
	}
	t.Height = y + 8
	return t
}

// statusClass is a status as a CSS class name.
func statusClass(s string) string {
	switch s {
	case "":
		return "none"
	case backend.StatusInProgress, backend.StatusSucceeded, backend.StatusFailed, backend.StatusStopped,
		backend.StatusStopping, backend.StatusAbandoned, backend.StatusCancelled, backend.StatusSuperseded:
		return s
	}
	return "other"
}
