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

// namedGate returns a Manual approval action named name: valid anywhere but the first stage,
// and without artifacts, so tests can add it without touching the artifact rules.
func namedGate(name string) Action {
	return Action{Name: name, Category: CategoryApproval, Owner: OwnerAWS, Provider: "Manual", Version: "1"}
}

// namedS3Source returns an S3 Source action named name producing artifact out.
func namedS3Source(name, out string) Action {
	return Action{Name: name, Category: CategorySource, Owner: OwnerAWS, Provider: "S3", Version: "1",
		Configuration:   map[string]string{"S3Bucket": "b", "S3ObjectKey": "k.zip"},
		OutputArtifacts: []string{out}}
}

func TestRuleStageActions(t *testing.T) {
	fill := func(n int) func(in *Input) {
		return func(in *Input) {
			for j := len(in.Pipeline.Stages[2].Actions); j < n; j++ {
				in.Pipeline.Stages[2].Actions = append(in.Pipeline.Stages[2].Actions, namedGate(fmt.Sprintf("Gate%d", j)))
			}
		}
	}
	runRuleCases(t, "stage-actions", []ruleCase{
		{name: "one action per stage passes"},
		{name: "empty stage fails", mutate: func(in *Input) { in.Pipeline.Stages[1].Actions = nil },
			want: []got{errAt("stage-actions", "stage[1].action")}},
		{name: "fifty actions pass", mutate: fill(50)},
		{name: "fifty-one actions fail", mutate: fill(51), want: []got{errAt("stage-actions", "stage[2].action")}},
		{name: "no stages is left to stage-count", mutate: func(in *Input) { in.Pipeline.Stages = nil }},
	})
}

func TestRuleActionUnique(t *testing.T) {
	runRuleCases(t, "action-unique", []ruleCase{
		{name: "distinct names pass"},
		{name: "same name in different stages passes", mutate: func(in *Input) {
			in.Pipeline.Stages[2].Actions[0].Name = "Compile"
		}},
		{name: "repeated name fails at the later action", mutate: func(in *Input) {
			st := &in.Pipeline.Stages[2]
			st.Actions = append(st.Actions, namedGate("Approve"), namedGate("Upload"), namedGate("Approve"))
		}, want: []got{
			errAt("action-unique", "stage[2].action[2].name"),
			errAt("action-unique", "stage[2].action[3].name"),
		}},
		{name: "unknown names are skipped", mutate: func(in *Input) {
			st := &in.Pipeline.Stages[2]
			st.Actions = append(st.Actions, namedGate(Unknown), namedGate(Unknown))
		}},
	})
}

func TestRuleFirstStageSource(t *testing.T) {
	const id = "first-stage-source"
	runRuleCases(t, id, []ruleCase{
		{name: "source-only first stage passes"},
		{name: "two sources pass", mutate: func(in *Input) {
			in.Pipeline.Stages[0].Actions = append(in.Pipeline.Stages[0].Actions, namedS3Source("Assets", "assets"))
		}},
		{name: "non-source action in the first stage fails at its category", mutate: func(in *Input) {
			in.Pipeline.Stages[0].Actions = append(in.Pipeline.Stages[0].Actions, namedGate("Approve"))
		}, want: []got{errAt(id, "stage[0].action[1].category")}},
		{name: "first stage without a source fails at the stage too", mutate: func(in *Input) {
			in.Pipeline.Stages = in.Pipeline.Stages[1:]
		}, want: []got{errAt(id, "stage[0].action[0].category"), errAt(id, "stage[0]")}},
		{name: "empty first stage fails", mutate: func(in *Input) { in.Pipeline.Stages[0].Actions = nil },
			want: []got{errAt(id, "stage[0]")}},
		{name: "unknown category is not judged", mutate: func(in *Input) {
			in.Pipeline.Stages[0].Actions[0].Category = Unknown
		}},
		{name: "unknown category next to a build still reports the build", mutate: func(in *Input) {
			in.Pipeline.Stages[0].Actions[0].Category = Unknown
			in.Pipeline.Stages[0].Actions = append(in.Pipeline.Stages[0].Actions, namedGate("Approve"))
		}, want: []got{errAt(id, "stage[0].action[1].category")}},
		{name: "no stages is left to stage-count", mutate: func(in *Input) { in.Pipeline.Stages = nil }},
	})
}

func TestRuleSourceFirstOnly(t *testing.T) {
	const id = "source-first-only"
	runRuleCases(t, id, []ruleCase{
		{name: "sources only in the first stage pass"},
		{name: "source in a later stage fails at its category", mutate: func(in *Input) {
			in.Pipeline.Stages[2].Actions = append(in.Pipeline.Stages[2].Actions, namedS3Source("Late", "late"))
		}, want: []got{errAt(id, "stage[2].action[1].category")}},
		{name: "unknown category is skipped", mutate: func(in *Input) {
			in.Pipeline.Stages[1].Actions[0].Category = Unknown
		}},
	})
}

func TestRuleNeedsNonSource(t *testing.T) {
	const id = "needs-non-source"
	runRuleCases(t, id, []ruleCase{
		{name: "pipeline with a build passes"},
		{name: "sources only fails", mutate: func(in *Input) {
			in.Pipeline.Stages[1].Actions = []Action{namedS3Source("Other", "other")}
			in.Pipeline.Stages = in.Pipeline.Stages[:2]
		}, want: []got{errAt(id, "stage")}},
		{name: "no actions at all fails", mutate: func(in *Input) { in.Pipeline.Stages = nil },
			want: []got{errAt(id, "stage")}},
		{name: "unknown category may be non-source", mutate: func(in *Input) {
			in.Pipeline.Stages = in.Pipeline.Stages[:2]
			in.Pipeline.Stages[1].Actions[0].Category = Unknown
		}},
	})
}

func TestRuleRunOrder(t *testing.T) {
	const id = "run-order"
	set := func(n int) func(in *Input) {
		return func(in *Input) { in.Pipeline.Stages[2].Actions[0].RunOrder = n }
	}
	runRuleCases(t, id, []ruleCase{
		{name: "unset passes"},
		{name: "explicit 0 fails", mutate: func(in *Input) {
			a := &in.Pipeline.Stages[2].Actions[0]
			a.RunOrder, a.RunOrderSet = 0, true
		}, want: []got{errAt(id, "stage[2].action[0].run_order")}},
		{name: "1 passes", mutate: set(1)},
		{name: "999 passes", mutate: set(999)},
		{name: "1000 fails", mutate: set(1000), want: []got{errAt(id, "stage[2].action[0].run_order")}},
		{name: "negative fails", mutate: set(-1), want: []got{errAt(id, "stage[2].action[0].run_order")}},
		{name: "unknown is skipped", mutate: set(UnknownInt)},
	})
}
