package pipeline

import (
	"strings"
	"testing"
)

// lambdaAction returns an Invoke/Lambda action (0–5 inputs, 0–5 outputs), the most permissive
// AWS type, so artifact-flow tests can wire any inputs and outputs.
func lambdaAction(name string, runOrder int, inputs, outputs []string) Action {
	return Action{Name: name, Category: CategoryInvoke, Owner: OwnerAWS, Provider: "Lambda", Version: "1",
		RunOrder: runOrder, Configuration: map[string]string{"FunctionName": "f"},
		InputArtifacts: inputs, OutputArtifacts: outputs}
}

// appendAction adds a to stage i.
func appendAction(in *Input, i int, a Action) {
	in.Pipeline.Stages[i].Actions = append(in.Pipeline.Stages[i].Actions, a)
}

func TestRuleArtifactUnique(t *testing.T) {
	const id = "artifact-unique"
	runRuleCases(t, id, []ruleCase{
		{name: "distinct outputs pass"},
		{name: "same output in two stages fails at the later producer", mutate: func(in *Input) {
			in.Pipeline.Stages[1].Actions[0].OutputArtifacts = []string{"src"}
			in.Pipeline.Stages[2].Actions[0].InputArtifacts = []string{"src"}
		}, want: []got{errAt(id, "stage[1].action[0].output_artifacts[0]")}},
		{name: "three producers report the two later ones", mutate: func(in *Input) {
			appendAction(in, 1, lambdaAction("Notify", 2, []string{"src"}, []string{"x", "bin"}))
			appendAction(in, 2, lambdaAction("Report", 2, []string{"bin"}, []string{"bin"}))
		}, want: []got{
			errAt(id, "stage[1].action[1].output_artifacts[1]"),
			errAt(id, "stage[2].action[1].output_artifacts[0]"),
		}},
		{name: "name listed twice by one action fails at the repeat", mutate: func(in *Input) {
			in.Pipeline.Stages[1].Actions[0].OutputArtifacts = []string{"bin", "bin"}
		}, want: []got{errAt(id, "stage[1].action[0].output_artifacts[1]")}},
		{name: "unknown names are skipped", mutate: func(in *Input) {
			in.Pipeline.Stages[0].Actions[0].OutputArtifacts[0] = Unknown
			in.Pipeline.Stages[1].Actions[0].OutputArtifacts[0] = Unknown
		}},
	})
}

func TestRuleArtifactUniqueMessage(t *testing.T) {
	p := validPipeline()
	p.Stages[2].Actions[0].OutputArtifacts = []string{"src"}
	fs := ValidateWith(Input{Pipeline: p}, Options{Only: []string{"artifact-unique"}})
	if len(fs) != 1 {
		t.Fatalf("want one finding, got %v", fs)
	}
	for _, w := range []string{`"src"`, `action "Upload" in stage "Deploy"`, `produced by action "Checkout" in stage "Source"`} {
		if !strings.Contains(fs[0].Message, w) {
			t.Errorf("message %q does not contain %q", fs[0].Message, w)
		}
	}
}

func TestRuleArtifactProducedBefore(t *testing.T) {
	const id = "artifact-produced-before"
	deployInput := "stage[2].action[0].input_artifacts[0]"
	runRuleCases(t, id, []ruleCase{
		{name: "artifacts of earlier stages pass"},
		{name: "lower run_order in the same stage passes", mutate: func(in *Input) {
			appendAction(in, 1, lambdaAction("Package", 2, []string{"bin"}, []string{"pkg"}))
			appendAction(in, 1, lambdaAction("Publish", 3, []string{"pkg", "src"}, nil))
		}},
		{name: "no producer at all fails", mutate: func(in *Input) {
			in.Pipeline.Stages[2].Actions[0].InputArtifacts = []string{"missing"}
		}, want: []got{errAt(id, deployInput)}},
		{name: "parallel producer fails", mutate: func(in *Input) {
			appendAction(in, 1, lambdaAction("Package", 1, []string{"bin"}, nil))
		}, want: []got{errAt(id, "stage[1].action[1].input_artifacts[0]")}},
		{name: "parallel producer with explicit and default run_order fails", mutate: func(in *Input) {
			appendAction(in, 1, lambdaAction("Package", 0, []string{"src", "bin"}, nil))
			in.Pipeline.Stages[1].Actions[0].RunOrder = 1
		}, want: []got{errAt(id, "stage[1].action[1].input_artifacts[1]")}},
		{name: "producer later in the same stage fails", mutate: func(in *Input) {
			in.Pipeline.Stages[1].Actions[0].RunOrder = 3
			appendAction(in, 1, lambdaAction("Package", 2, []string{"bin"}, nil))
		}, want: []got{errAt(id, "stage[1].action[1].input_artifacts[0]")}},
		// AWS CDK accepts this; CodePipeline rejects it.
		{name: "producer in a later stage fails", mutate: func(in *Input) {
			appendAction(in, 2, lambdaAction("Render", 1, nil, []string{"site"}))
			appendAction(in, 1, lambdaAction("Preview", 1, []string{"site"}, nil))
		}, want: []got{errAt(id, "stage[1].action[1].input_artifacts[0]")}},
		{name: "action consuming its own output fails", mutate: func(in *Input) {
			appendAction(in, 1, lambdaAction("Loop", 1, []string{"src", "loop"}, []string{"loop"}))
		}, want: []got{errAt(id, "stage[1].action[1].input_artifacts[1]")}},
		{name: "one earlier producer among duplicates is enough", mutate: func(in *Input) {
			appendAction(in, 2, lambdaAction("Rebuild", 2, nil, []string{"bin"}))
		}},
		{name: "unknown run_order is skipped", mutate: func(in *Input) {
			appendAction(in, 1, lambdaAction("Package", UnknownInt, []string{"bin"}, nil))
		}},
		{name: "unknown run_order of the producer is skipped", mutate: func(in *Input) {
			in.Pipeline.Stages[1].Actions[0].RunOrder = UnknownInt
			appendAction(in, 1, lambdaAction("Package", 1, []string{"bin"}, nil))
		}},
		{name: "unknown input name is skipped", mutate: func(in *Input) {
			in.Pipeline.Stages[2].Actions[0].InputArtifacts[0] = Unknown
		}},
		{name: "unknown output of an earlier stage may be the producer", mutate: func(in *Input) {
			in.Pipeline.Stages[1].Actions[0].OutputArtifacts[0] = Unknown
			in.Pipeline.Stages[2].Actions[0].InputArtifacts = []string{"whatever"}
		}},
		{name: "unknown output list of a lower run_order may be the producer", mutate: func(in *Input) {
			a := lambdaAction("Gen", 1, nil, nil)
			a.UnknownAttrs = []string{"output_artifacts"}
			in.Pipeline.Stages[2].Actions[0].RunOrder = 2
			appendAction(in, 2, a)
			in.Pipeline.Stages[2].Actions[0].InputArtifacts = []string{"generated"}
		}},
		{name: "unknown output of a later action does not hide a missing producer", mutate: func(in *Input) {
			appendAction(in, 2, lambdaAction("Gen", 2, nil, []string{Unknown}))
			in.Pipeline.Stages[2].Actions[0].InputArtifacts = []string{"generated"}
		}, want: []got{errAt(id, deployInput)}},
		{name: "an action's own unknown output does not feed it", mutate: func(in *Input) {
			a := lambdaAction("Gen", UnknownInt, []string{"generated"}, []string{Unknown})
			appendAction(in, 2, a)
		}, want: []got{errAt(id, "stage[2].action[1].input_artifacts[0]")}},
		{name: "nil pipeline is skipped", mutate: func(in *Input) { in.Pipeline = nil }},
	})
}

// TestRuleArtifactProducedBeforeMessages checks that each way of failing has its own message,
// naming the artifact and the actions involved.
func TestRuleArtifactProducedBeforeMessages(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(in *Input)
		want   []string
	}{
		{"missing", func(in *Input) { in.Pipeline.Stages[2].Actions[0].InputArtifacts = []string{"missing"} },
			[]string{`"missing"`, `action "Upload"`, "not produced by any action"}},
		{"parallel", func(in *Input) { appendAction(in, 1, lambdaAction("Package", 1, []string{"bin"}, nil)) },
			[]string{`"bin"`, `action "Package"`, `action "Compile"`, "in parallel", "run_order 1"}},
		{"later in stage", func(in *Input) {
			in.Pipeline.Stages[1].Actions[0].RunOrder = 3
			appendAction(in, 1, lambdaAction("Package", 2, []string{"bin"}, nil))
		}, []string{`"bin"`, `action "Package" (run_order 2)`, `action "Compile" (run_order 3)`, "runs after it"}},
		{"later stage", func(in *Input) {
			appendAction(in, 2, lambdaAction("Render", 1, nil, []string{"site"}))
			appendAction(in, 1, lambdaAction("Preview", 1, []string{"site"}, nil))
		}, []string{`"site"`, `action "Preview" in stage "Build"`, `action "Render" in the later stage "Deploy"`}},
		{"self", func(in *Input) {
			appendAction(in, 1, lambdaAction("Loop", 1, []string{"loop"}, []string{"loop"}))
		}, []string{`"loop"`, `Action "Loop"`, "its own output"}},
	}
	seen := map[string]string{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Pipeline: validPipeline()}
			tc.mutate(&in)
			fs := ValidateWith(in, Options{Only: []string{"artifact-produced-before"}})
			if len(fs) != 1 {
				t.Fatalf("want one finding, got %v", fs)
			}
			for _, w := range tc.want {
				if !strings.Contains(fs[0].Message, w) {
					t.Errorf("message %q does not contain %q", fs[0].Message, w)
				}
			}
			if fs[0].Fix == "" {
				t.Error("finding has no fix")
			}
			if prev, dup := seen[fs[0].Fix]; dup {
				t.Errorf("fix of %q is the same as for %q", tc.name, prev)
			}
			seen[fs[0].Fix] = tc.name
		})
	}
}

func TestRuleArtifactCount(t *testing.T) {
	const id = "artifact-count"
	runRuleCases(t, id, []ruleCase{
		{name: "counts that fit pass"},
		{name: "CodeBuild without input fails", mutate: func(in *Input) {
			in.Pipeline.Stages[1].Actions[0].InputArtifacts = nil
		}, want: []got{errAt(id, "stage[1].action[0].input_artifacts")}},
		{name: "CodeBuild with six outputs fails", mutate: func(in *Input) {
			in.Pipeline.Stages[1].Actions[0].OutputArtifacts = []string{"a", "b", "c", "d", "e", "f"}
		}, want: []got{errAt(id, "stage[1].action[0].output_artifacts")}},
		{name: "S3 deploy with an output fails", mutate: func(in *Input) {
			in.Pipeline.Stages[2].Actions[0].OutputArtifacts = []string{"out"}
		}, want: []got{errAt(id, "stage[2].action[0].output_artifacts")}},
		{name: "source with an input and no output fails on both", mutate: func(in *Input) {
			a := &in.Pipeline.Stages[0].Actions[0]
			a.InputArtifacts, a.OutputArtifacts = []string{"x"}, nil
		}, want: []got{
			errAt(id, "stage[0].action[0].input_artifacts"),
			errAt(id, "stage[0].action[0].output_artifacts"),
		}},
		{name: "Custom action takes up to five", mutate: func(in *Input) {
			appendAction(in, 2, Action{Name: "Jenkins", Category: CategoryTest, Owner: OwnerCustom, Provider: "MyCI", Version: "1",
				InputArtifacts: []string{"src", "bin", "src", "bin", "src"}})
		}},
		{name: "Custom action with six inputs fails", mutate: func(in *Input) {
			appendAction(in, 2, Action{Name: "Jenkins", Category: CategoryTest, Owner: OwnerCustom, Provider: "MyCI", Version: "1",
				InputArtifacts: []string{"src", "bin", "src", "bin", "src", "bin"}})
		}, want: []got{errAt(id, "stage[2].action[1].input_artifacts")}},
		{name: "unknown action type is skipped", mutate: func(in *Input) {
			a := &in.Pipeline.Stages[1].Actions[0]
			a.Provider, a.InputArtifacts = "NoSuchProvider", nil
		}},
		{name: "unknown provider is skipped", mutate: func(in *Input) {
			a := &in.Pipeline.Stages[1].Actions[0]
			a.Provider, a.InputArtifacts = Unknown, nil
		}},
		{name: "unknown list is skipped", mutate: func(in *Input) {
			a := &in.Pipeline.Stages[1].Actions[0]
			a.InputArtifacts, a.UnknownAttrs = nil, []string{"input_artifacts"}
		}},
	})
}

func TestRuleArtifactCountMessage(t *testing.T) {
	p := validPipeline()
	p.Stages[2].Actions[0].OutputArtifacts = []string{"out"}
	p.Stages[1].Actions[0].InputArtifacts = nil
	fs := ValidateWith(Input{Pipeline: p}, Options{Only: []string{"artifact-count"}})
	if len(fs) != 2 {
		t.Fatalf("want two findings, got %v", fs)
	}
	checks := [][]string{
		{`"Compile"`, "Build/AWS/CodeBuild", "has 0 input artifact(s)", "takes 1 to 5"},
		{`"Upload"`, "Deploy/AWS/S3", "has 1 output artifact(s)", "takes none"},
	}
	for i, want := range checks {
		for _, w := range want {
			if !strings.Contains(fs[i].Message, w) {
				t.Errorf("message %q does not contain %q", fs[i].Message, w)
			}
		}
	}
}

// TestArtifactRulesOnPartialInput runs the rules of this file over inputs with holes: they
// must not panic, whatever is missing.
func TestArtifactRulesOnPartialInput(t *testing.T) {
	ids := []string{"artifact-unique", "artifact-produced-before", "artifact-count", "name-format",
		"stage-actions", "action-unique", "first-stage-source", "source-first-only", "needs-non-source", "run-order"}
	inputs := map[string]Input{
		"empty input":    {},
		"empty pipeline": {Pipeline: &Pipeline{}},
		"empty stages":   {Pipeline: &Pipeline{Stages: []Stage{{}, {}}}},
		"empty actions":  {Pipeline: &Pipeline{Stages: []Stage{{Actions: []Action{{}}}, {Actions: []Action{{RunOrder: UnknownInt}}}}}},
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			ValidateWith(in, Options{Only: ids})
		})
	}
}
