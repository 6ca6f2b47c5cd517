package pipeline

import "testing"

func TestCodeBuildBatchRule(t *testing.T) {
	cfg := func(kv ...string) func(in *Input) {
		return func(in *Input) {
			for i := 0; i+1 < len(kv); i += 2 {
				mutAction(in, 1, 0).Configuration[kv[i]] = kv[i+1]
			}
		}
	}
	runRuleCases(t, "codebuild-batch", []ruleCase{
		{name: "no batch settings"},
		{name: "a batch with separate artifacts", mutate: cfg("BatchEnabled", "true")},
		{name: "a combined batch with one output", mutate: cfg("BatchEnabled", "true", "CombineArtifacts", "true")},
		{name: "false is fine", mutate: cfg("BatchEnabled", "false", "CombineArtifacts", "False")},
		{name: "BatchEnabled not a boolean", mutate: cfg("BatchEnabled", "yes"),
			want: []got{errAt("codebuild-batch", buildAct+`.configuration["BatchEnabled"]`)}},
		{name: "CombineArtifacts without BatchEnabled", mutate: cfg("CombineArtifacts", "true"),
			want: []got{errAt("codebuild-batch", buildAct+`.configuration["CombineArtifacts"]`)}},
		{name: "CombineArtifacts with BatchEnabled false", mutate: cfg("CombineArtifacts", "true", "BatchEnabled", "false"),
			want: []got{errAt("codebuild-batch", buildAct+`.configuration["CombineArtifacts"]`)}},
		{name: "a combined batch with two outputs", mutate: func(in *Input) {
			cfg("BatchEnabled", "true", "CombineArtifacts", "true")(in)
			mutAction(in, 1, 0).OutputArtifacts = []string{"bin", "docs"}
		}, want: []got{errAt("codebuild-batch", buildAct+".output_artifacts")}},
		{name: "a CodeBuild test action is checked too", mutate: func(in *Input) {
			cfg("CombineArtifacts", "true")(in)
			mutAction(in, 1, 0).Category = CategoryTest
		}, want: []got{errAt("codebuild-batch", buildAct+`.configuration["CombineArtifacts"]`)}},
		{name: "unknown BatchEnabled is skipped", mutate: cfg("BatchEnabled", Unknown, "CombineArtifacts", "true")},
		{name: "unknown outputs are skipped", mutate: func(in *Input) {
			cfg("BatchEnabled", "true", "CombineArtifacts", "true")(in)
			mutAction(in, 1, 0).UnknownAttrs = []string{"output_artifacts"}
		}},
		{name: "other action types are not checked", mutate: func(in *Input) {
			mutAction(in, 2, 0).Configuration["CombineArtifacts"] = "maybe"
		}},
	})
}
