package pipeline

import (
	"fmt"
	"testing"
)

func TestRuleStageCount(t *testing.T) {
	approval := Action{Name: "Approve", Category: CategoryApproval, Owner: OwnerAWS, Provider: "Manual", Version: "1"}
	runRuleCases(t, "stage-count", []ruleCase{
		{name: "three stages pass"},
		{name: "one stage fails", mutate: func(in *Input) { in.Pipeline.Stages = in.Pipeline.Stages[:1] },
			want: []got{errAt("stage-count", "stage")}},
		{name: "fifty stages pass", mutate: func(in *Input) {
			for i := len(in.Pipeline.Stages); i < 50; i++ {
				addStage(in.Pipeline, fmt.Sprintf("Gate%d", i), approval)
			}
		}},
		{name: "fifty-one stages fail", mutate: func(in *Input) {
			for i := len(in.Pipeline.Stages); i < 51; i++ {
				addStage(in.Pipeline, fmt.Sprintf("Gate%d", i), approval)
			}
		}, want: []got{errAt("stage-count", "stage")}},
	})
}

func TestRuleStageUnique(t *testing.T) {
	runRuleCases(t, "stage-unique", []ruleCase{
		{name: "distinct names pass"},
		{name: "repeated name fails at the second", mutate: func(in *Input) { in.Pipeline.Stages[2].Name = "Build" },
			want: []got{errAt("stage-unique", "stage[2].name")}},
		{name: "unknown names are skipped", mutate: func(in *Input) {
			in.Pipeline.Stages[1].Name = Unknown
			in.Pipeline.Stages[2].Name = Unknown
		}},
	})
}
