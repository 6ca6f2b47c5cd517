package graph

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// guarded is the quickstart with conditions on Deploy: an entry gate, an on-success check and
// an automatic retry on failure; and an on_failure condition on Test.
func guarded() *pipeline.Pipeline {
	p := quickstart()
	rule := func(name, provider string) pipeline.ConditionRule {
		return pipeline.ConditionRule{Name: name, RuleTypeID: pipeline.RuleTypeID{Category: "Rule", Owner: "AWS", Provider: provider, Version: "1"}}
	}
	p.Stages[2].OnFailure = &pipeline.FailureConditions{Result: pipeline.ResultRollback,
		Condition: &pipeline.Condition{Rules: []pipeline.ConditionRule{rule("Flaky", "LambdaInvoke")}}}
	p.Stages[3].BeforeEntry = &pipeline.Condition{Result: pipeline.ResultSkip, Rules: []pipeline.ConditionRule{rule("Window", "DeploymentWindow"), rule("Main", "VariableCheck")}}
	p.Stages[3].OnSuccess = &pipeline.Condition{Rules: []pipeline.ConditionRule{rule("Smoke", "Commands")}}
	p.Stages[3].OnFailure = &pipeline.FailureConditions{Result: pipeline.ResultRetry}
	return p
}

func TestConditionsAreMarkedOnTheStagesEdges(t *testing.T) {
	d := Layout(guarded())
	for _, i := range []int{0, 1} {
		if len(d.Stages[i].Conditions) != 0 {
			t.Errorf("stage %s has no condition, yet is marked: %+v", d.Stages[i].Name, d.Stages[i].Conditions)
		}
	}
	test, deploy := d.Stages[2], d.Stages[3]
	type mark struct {
		Type, Result string
		Rules        []string
		Left         bool
	}
	marks := func(st Stage) []mark {
		var out []mark
		for _, c := range st.Conditions {
			switch c.Mark.X {
			case st.Box.X, st.Box.Right():
			default:
				t.Errorf("%s %s: mark at x %v, not on the stage's edge (%v or %v)", st.Name, c.Type, c.Mark.X, st.Box.X, st.Box.Right())
			}
			if c.Mark.Y-condMark < st.Box.Y || c.Mark.Y+condMark > st.Box.Y+stageHeader+rowGap {
				t.Errorf("%s %s: mark at y %v, not beside the stage's header", st.Name, c.Type, c.Mark.Y)
			}
			out = append(out, mark{c.Type, c.Result, c.Rules, c.Mark.X == st.Box.X})
		}
		return out
	}
	want := []mark{
		{pipeline.ConditionBeforeEntry, pipeline.ResultSkip, []string{"Window (DeploymentWindow)", "Main (VariableCheck)"}, true},
		{pipeline.ConditionOnSuccess, pipeline.ResultFail, []string{"Smoke (Commands)"}, false}, // FAIL: on_success's default
		{pipeline.ConditionOnFailure, pipeline.ResultRetry, nil, false},
	}
	if diff := cmp.Diff(want, marks(deploy)); diff != "" {
		t.Errorf("Deploy's marks (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]mark{{pipeline.ConditionOnFailure, pipeline.ResultRollback, []string{"Flaky (LambdaInvoke)"}, false}}, marks(test)); diff != "" {
		t.Errorf("Test's marks (-want +got):\n%s", diff)
	}
	if a, b := deploy.Conditions[1].Mark, deploy.Conditions[2].Mark; b.Y-a.Y < 2*condMark {
		t.Errorf("the on_success and on_failure diamonds overlap: %v and %v", a, b)
	}

	var svg bytes.Buffer
	if err := d.SVG(&svg, SVGOptions{ConditionStatus: func(stage int, ct string) string {
		if stage == 3 && ct == pipeline.ConditionBeforeEntry {
			return "Succeeded"
		}
		return ""
	}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<g class="pg-cond" id="c-3-before_entry" data-condition="BEFORE_ENTRY" data-status="Succeeded"><title>entry condition (before_entry), result SKIP, rules Window (DeploymentWindow), Main (VariableCheck)</title>`,
		`id="c-3-on_success" data-condition="ON_SUCCESS" data-status=""`,
		`<title>on failure (on_failure): RETRY</title>`,
		`id="c-2-on_failure"`,
	} {
		if !strings.Contains(svg.String(), want) {
			t.Errorf("the SVG lacks %s", want)
		}
	}
	if n := strings.Count(svg.String(), `class="pg-cond"`); n != 4 {
		t.Errorf("%d condition marks, want 4", n)
	}
	var dot bytes.Buffer
	if err := d.DOT(&dot); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dot.String(), `label="Deploy\n◆ entry condition (before_entry), result SKIP, rules Window (DeploymentWindow), Main (VariableCheck)\n◆ on-success`) {
		t.Errorf("the DOT's Deploy cluster does not name its conditions:\n%s", dot.String())
	}
}
