package graph

import (
	"fmt"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// A stage's conditions are gates at its sides: the entry condition (before_entry) a diamond on
// the stage's left edge, where runs come in; the on_success and on_failure conditions diamonds
// on its right edge, where runs leave. A run colours each as it colours stages and actions.

// condMark is the half-diagonal of a condition's diamond.
const condMark = 7

// Condition is a stage condition as the picture marks it.
type Condition struct {
	Type string // pipeline.ConditionBeforeEntry, ConditionOnSuccess, ConditionOnFailure
	// Result is what the stage does when the condition fails; for an on_failure block without
	// a condition, what it does when the stage fails (RETRY, ROLLBACK, FAIL).
	Result string
	// Rules name the condition's rules: "Name (Provider)"; none for an on_failure block that
	// only names a result.
	Rules []string
	// Mark is the centre of the condition's diamond.
	Mark Point
}

// ConditionID is the id of a stage condition's element in the SVG.
func ConditionID(stage int, conditionType string) string {
	return fmt.Sprintf("c-%d-%s", stage, pipeline.ConditionBlock(conditionType))
}

// stageConditions lists the conditions of s, each with its mark on the stage's box.
func stageConditions(s *pipeline.Stage, box Rect) []Condition {
	var out []Condition
	add := func(t string, c *pipeline.Condition, result string, mark Point) {
		cond := Condition{Type: t, Result: result, Mark: mark}
		if c != nil {
			cond.Result = c.EffectiveResult(t)
			for _, r := range c.Rules {
				cond.Rules = append(cond.Rules, r.Name+" ("+r.RuleTypeID.Provider+")")
			}
		}
		out = append(out, cond)
	}
	headerY := box.Y + stageHeader/2
	if s.BeforeEntry != nil {
		add(pipeline.ConditionBeforeEntry, s.BeforeEntry, "", Point{box.X, headerY})
	}
	if s.OnSuccess != nil {
		add(pipeline.ConditionOnSuccess, s.OnSuccess, "", Point{box.Right(), headerY})
	}
	if f := s.OnFailure; f != nil && (f.Condition != nil || f.Result != "") {
		result := f.Result
		if result == "" {
			result = pipeline.ResultFail
		}
		add(pipeline.ConditionOnFailure, f.Condition, result, Point{box.Right(), headerY + 2*condMark + 4})
	}
	return out
}

// Describe says what the condition is, for its <title> and the picture's description.
func (c Condition) Describe() string {
	var what string
	switch c.Type {
	case pipeline.ConditionBeforeEntry:
		what = "entry condition (before_entry)"
	case pipeline.ConditionOnSuccess:
		what = "on-success condition (on_success)"
	default:
		what = "on-failure condition (on_failure)"
		if len(c.Rules) == 0 {
			return "on failure (on_failure): " + c.Result
		}
	}
	s := what + ", result " + c.Result
	if len(c.Rules) > 0 {
		s += ", rules " + strings.Join(c.Rules, ", ")
	}
	return s
}

// svgCondition writes a condition's diamond.
func (sw *svgWriter) condition(stage int, c Condition, status string) {
	x, y := c.Mark.X, c.Mark.Y
	sw.printf(`<g class="pg-cond" id="%s%s" data-condition="%s" data-status="%s"><title>%s</title>`,
		sw.pre, ConditionID(stage, c.Type), esc(c.Type), esc(status), esc(c.Describe()))
	sw.printf(`<path class="pg-cond-mark" d="M%s,%s L%s,%s L%s,%s L%s,%s z"/></g>`,
		num(x-condMark), num(y), num(x), num(y-condMark), num(x+condMark), num(y), num(x), num(y+condMark))
}
