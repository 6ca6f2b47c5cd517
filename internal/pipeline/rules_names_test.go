package pipeline

import (
	"strings"
	"testing"
)

func TestRuleNameFormat(t *testing.T) {
	const id = "name-format"
	build := func(in *Input) *Action { return &in.Pipeline.Stages[1].Actions[0] }
	runRuleCases(t, id, []ruleCase{
		{name: "valid names pass"},
		{name: "every allowed character passes", mutate: func(in *Input) {
			in.Pipeline.Name = "My.app@v2_x-Y9"
			in.Pipeline.Stages[1].Name = "Build.1@eu_west-1"
			build(in).Name = "Compile.go@1_x-y"
			build(in).Namespace = "Build@1_x-y"
			in.Pipeline.Variables = []Variable{{Name: "Var@1_x-y"}}
			// rename an artifact on both ends so the pipeline stays consistent
			build(in).OutputArtifacts[0] = "bin_x-1"
			in.Pipeline.Stages[2].Actions[0].InputArtifacts[0] = "bin_x-1"
		}},
		{name: "pipeline name with a space fails", mutate: func(in *Input) { in.Pipeline.Name = "my app" },
			want: []got{errAt(id, "name")}},
		{name: "pipeline name of 100 characters passes", mutate: func(in *Input) { in.Pipeline.Name = strings.Repeat("a", 100) }},
		{name: "pipeline name of 101 characters fails", mutate: func(in *Input) { in.Pipeline.Name = strings.Repeat("a", 101) },
			want: []got{errAt(id, "name")}},
		{name: "empty pipeline name fails", mutate: func(in *Input) { in.Pipeline.Name = "" },
			want: []got{errAt(id, "name")}},
		{name: "stage name with a slash fails", mutate: func(in *Input) { in.Pipeline.Stages[1].Name = "Build/1" },
			want: []got{errAt(id, "stage[1].name")}},
		{name: "empty stage name fails", mutate: func(in *Input) { in.Pipeline.Stages[2].Name = "" },
			want: []got{errAt(id, "stage[2].name")}},
		{name: "action name with non-ASCII letter fails", mutate: func(in *Input) { build(in).Name = "Compilé" },
			want: []got{errAt(id, "stage[1].action[0].name")}},
		{name: "artifact name with a dot fails at both ends", mutate: func(in *Input) {
			build(in).OutputArtifacts[0] = "bin.zip"
			in.Pipeline.Stages[2].Actions[0].InputArtifacts[0] = "bin.zip"
		}, want: []got{
			errAt(id, "stage[1].action[0].output_artifacts[0]"),
			errAt(id, "stage[2].action[0].input_artifacts[0]"),
		}},
		{name: "artifact name with @ fails", mutate: func(in *Input) { build(in).InputArtifacts[0] = "src@1" },
			want: []got{errAt(id, "stage[1].action[0].input_artifacts[0]")}},
		{name: "artifact name of 101 characters fails", mutate: func(in *Input) {
			in.Pipeline.Stages[0].Actions[0].OutputArtifacts[0] = strings.Repeat("s", 101)
		}, want: []got{errAt(id, "stage[0].action[0].output_artifacts[0]")}},
		{name: "empty artifact name fails", mutate: func(in *Input) { build(in).InputArtifacts = []string{"src", ""} },
			want: []got{errAt(id, "stage[1].action[0].input_artifacts[1]")}},
		{name: "unset namespace passes", mutate: func(in *Input) { build(in).Namespace = "" }},
		{name: "namespace with a dot fails", mutate: func(in *Input) { build(in).Namespace = "Build.Vars" },
			want: []got{errAt(id, "stage[1].action[0].namespace")}},
		{name: "namespace of 101 characters fails", mutate: func(in *Input) { build(in).Namespace = strings.Repeat("n", 101) },
			want: []got{errAt(id, "stage[1].action[0].namespace")}},
		{name: "variable name of 128 characters passes", mutate: func(in *Input) {
			in.Pipeline.Variables = []Variable{{Name: strings.Repeat("v", 128)}}
		}},
		{name: "variable name of 129 characters fails", mutate: func(in *Input) {
			in.Pipeline.Variables = []Variable{{Name: "ok"}, {Name: strings.Repeat("v", 129)}}
		}, want: []got{errAt(id, "variable[1].name")}},
		{name: "variable name with a dot fails", mutate: func(in *Input) {
			in.Pipeline.Variables = []Variable{{Name: "app.version"}}
		}, want: []got{errAt(id, "variable[0].name")}},
		{name: "empty variable name fails", mutate: func(in *Input) { in.Pipeline.Variables = []Variable{{Name: ""}} },
			want: []got{errAt(id, "variable[0].name")}},
		{name: "unknown values are skipped", mutate: func(in *Input) {
			in.Pipeline.Name = Unknown
			in.Pipeline.Stages[1].Name = Unknown
			build(in).Name = Unknown
			build(in).Namespace = Unknown
			build(in).InputArtifacts[0] = Unknown
			in.Pipeline.Variables = []Variable{{Name: Unknown}}
		}},
		{name: "nil pipeline is skipped", mutate: func(in *Input) { in.Pipeline = nil }},
	})
}

// TestRuleNameFormatMessage checks that a message names the value, what is wrong with it and the
// characters that are allowed for its kind.
func TestRuleNameFormatMessage(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Pipeline)
		want   []string
	}{
		{"stage", func(p *Pipeline) { p.Stages[1].Name = "Build/1 x" },
			[]string{`stage name "Build/1 x"`, `contains "/", " "`, "A-Za-z0-9 and . @ _ -", "1 to 100"}},
		{"artifact", func(p *Pipeline) { p.Stages[1].Actions[0].InputArtifacts[0] = "src.zip" },
			[]string{`artifact name "src.zip"`, `contains "."`, "A-Za-z0-9 and _ -"}},
		{"variable", func(p *Pipeline) { p.Variables = []Variable{{Name: strings.Repeat("v", 130) + "."}} },
			[]string{"variable name", "is 131 characters long and contains \".\"", "A-Za-z0-9 and @ _ -", "1 to 128", "…"}},
		{"empty pipeline name", func(p *Pipeline) { p.Name = "" },
			[]string{`pipeline name "" is empty`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := validPipeline()
			tc.mutate(p)
			fs := ValidateWith(Input{Pipeline: p}, Options{Only: []string{"name-format"}})
			if len(fs) != 1 {
				t.Fatalf("want one finding, got %v", fs)
			}
			for _, w := range tc.want {
				if !strings.Contains(fs[0].Message, w) {
					t.Errorf("message %q does not contain %q", fs[0].Message, w)
				}
			}
			if !strings.Contains(fs[0].Fix, "characters of") {
				t.Errorf("fix %q does not say what to use", fs[0].Fix)
			}
		})
	}
}

func TestRuleNameDotSegment(t *testing.T) {
	const id = "name-dot-segment"
	runRuleCases(t, id, []ruleCase{
		{name: "ordinary names pass"},
		{name: "names with dots that are not path elements pass", mutate: func(in *Input) {
			in.Pipeline.Name = "app.v2"
			in.Pipeline.Stages[1].Name = "..."
			in.Pipeline.Stages[1].Actions[0].Name = ".hidden"
			in.Pipeline.Stages[2].Name = "Deploy.."
		}},
		{name: "stage named .. fails", mutate: func(in *Input) { in.Pipeline.Stages[1].Name = ".." },
			want: []got{errAt(id, "stage[1].name")}},
		{name: "stage named . fails", mutate: func(in *Input) { in.Pipeline.Stages[2].Name = "." },
			want: []got{errAt(id, "stage[2].name")}},
		{name: "action named .. fails", mutate: func(in *Input) { in.Pipeline.Stages[1].Actions[0].Name = ".." },
			want: []got{errAt(id, "stage[1].action[0].name")}},
		{name: "pipeline named . fails", mutate: func(in *Input) { in.Pipeline.Name = "." },
			want: []got{errAt(id, "name")}},
		{name: "unknown names are skipped", mutate: func(in *Input) {
			in.Pipeline.Name = Unknown
			in.Pipeline.Stages[1].Name = Unknown
		}},
		{name: "nil pipeline is skipped", mutate: func(in *Input) { in.Pipeline = nil }},
	})
}

// TestDotNamesPassNameFormat documents why name-dot-segment exists: AWS's own pattern, which
// name-format enforces, accepts "." and "..".
func TestDotNamesPassNameFormat(t *testing.T) {
	p := validPipeline()
	p.Stages[1].Name = ".."
	p.Stages[1].Actions[0].Name = "."
	if fs := ValidateWith(Input{Pipeline: p}, Options{Only: []string{"name-format"}}); len(fs) != 0 {
		t.Errorf("name-format findings = %v, want none (AWS accepts these names)", fs)
	}
}
