package pipeline

import (
	"fmt"
	"strings"
	"testing"
)

// withTrigger turns the valid pipeline's source into a CodeStarSourceConnection action and
// adds a valid git trigger on it, so each case mutates one thing away from valid.
func withTrigger(in *Input) {
	src := &in.Pipeline.Stages[0].Actions[0]
	src.Provider = "CodeStarSourceConnection"
	src.Configuration = map[string]string{
		"ConnectionArn":    "arn:aws:codeconnections:us-east-1:111111111111:connection/abc",
		"FullRepositoryId": "org/app",
		"BranchName":       "main",
	}
	in.Pipeline.Triggers = []Trigger{{
		ProviderType:     TriggerProviderCodeStarSourceConnection,
		SourceActionName: "Checkout",
		Push:             []GitFilter{{Branches: &GlobFilter{Includes: []string{"main"}}}},
	}}
}

// trigger0 returns trigger 0 of in, for mutations that follow withTrigger.
func trigger0(in *Input) *Trigger { return &in.Pipeline.Triggers[0] }

func TestRuleV2Only(t *testing.T) {
	v1 := func(in *Input) { in.Pipeline.PipelineType = PipelineTypeV1 }
	runRuleCases(t, "v2-only", []ruleCase{
		{name: "V1 without V2 features passes", mutate: v1},
		{name: "default type with every V2 feature passes", mutate: func(in *Input) {
			withTrigger(in)
			in.Pipeline.Variables = []Variable{{Name: "env"}}
			in.Pipeline.ExecutionMode = ExecutionModeParallel
		}},
		{name: "V1 with SUPERSEDED passes", mutate: func(in *Input) {
			v1(in)
			in.Pipeline.ExecutionMode = ExecutionModeSuperseded
		}},
		{name: "V1 with a trigger fails", mutate: func(in *Input) { withTrigger(in); v1(in) },
			want: []got{errAt("v2-only", "trigger")}},
		{name: "V1 with variables fails", mutate: func(in *Input) {
			v1(in)
			in.Pipeline.Variables = []Variable{{Name: "a"}, {Name: "b"}}
		}, want: []got{errAt("v2-only", "variable")}},
		{name: "V1 in QUEUED mode fails", mutate: func(in *Input) {
			v1(in)
			in.Pipeline.ExecutionMode = ExecutionModeQueued
		}, want: []got{errAt("v2-only", "execution_mode")}},
		{name: "V1 with all three fails once per feature", mutate: func(in *Input) {
			withTrigger(in)
			v1(in)
			in.Pipeline.Variables = []Variable{{Name: "a"}}
			in.Pipeline.ExecutionMode = ExecutionModeParallel
		}, want: []got{errAt("v2-only", "trigger"), errAt("v2-only", "variable"), errAt("v2-only", "execution_mode")}},
		{name: "V1 with stage conditions fails once per block", mutate: func(in *Input) {
			v1(in)
			in.Pipeline.Stages[1].BeforeEntry = &Condition{Rules: []ConditionRule{windowRule("Window")}}
			in.Pipeline.Stages[2].OnSuccess = &Condition{Rules: []ConditionRule{windowRule("Window")}}
			in.Pipeline.Stages[2].OnFailure = &FailureConditions{Result: ResultRollback}
		}, want: []got{errAt("v2-only", "stage[1].before_entry"), errAt("v2-only", "stage[2].on_success"), errAt("v2-only", "stage[2].on_failure")}},
		{name: "V1 with a Commands action fails", mutate: func(in *Input) {
			v1(in)
			withCommandsAction(in)
		}, want: []got{errAt("v2-only", "stage[1].action[0]")}},
		{name: "V2 with conditions and a Commands action passes", mutate: func(in *Input) {
			withCommandsAction(in)
			in.Pipeline.Stages[2].BeforeEntry = &Condition{Rules: []ConditionRule{windowRule("Window")}}
		}},
		{name: "unknown pipeline type is skipped", mutate: func(in *Input) {
			withTrigger(in)
			in.Pipeline.PipelineType = Unknown
		}},
		{name: "unknown execution mode is skipped", mutate: func(in *Input) {
			v1(in)
			in.Pipeline.ExecutionMode = Unknown
		}},
	})
}

func TestRuleVariables(t *testing.T) {
	vars := func(n int) []Variable {
		out := make([]Variable, n)
		for i := range out {
			out[i].Name = fmt.Sprintf("v%d", i)
		}
		return out
	}
	runRuleCases(t, "variables", []ruleCase{
		{name: "no variables pass"},
		{name: "fifty variables at their limits pass", mutate: func(in *Input) {
			in.Pipeline.Variables = vars(50)
			in.Pipeline.Variables[0].DefaultValue = strings.Repeat("x", 1000)
			in.Pipeline.Variables[1].Description = strings.Repeat("é", 200) // characters, not bytes
			in.Pipeline.Variables[2].DefaultValue = "x"
		}},
		{name: "fifty-one variables fail", mutate: func(in *Input) { in.Pipeline.Variables = vars(51) },
			want: []got{errAt("variables", "variable")}},
		{name: "duplicate name fails at the later one", mutate: func(in *Input) {
			in.Pipeline.Variables = vars(3)
			in.Pipeline.Variables[2].Name = "v0"
		}, want: []got{errAt("variables", "variable[2].name")}},
		{name: "three of a name fail at each later one", mutate: func(in *Input) {
			in.Pipeline.Variables = []Variable{{Name: "a"}, {Name: "a"}, {Name: "a"}}
		}, want: []got{errAt("variables", "variable[1].name"), errAt("variables", "variable[2].name")}},
		{name: "unknown and empty names are not duplicates", mutate: func(in *Input) {
			in.Pipeline.Variables = []Variable{{Name: Unknown}, {Name: Unknown}, {Name: ""}, {Name: ""}}
		}},
		{name: "default over 1000 characters fails", mutate: func(in *Input) {
			in.Pipeline.Variables = []Variable{{Name: "a", DefaultValue: strings.Repeat("x", 1001)}}
		}, want: []got{errAt("variables", "variable[0].default_value")}},
		{name: "description over 200 characters fails", mutate: func(in *Input) {
			in.Pipeline.Variables = []Variable{{Name: "a"}, {Name: "b", Description: strings.Repeat("d", 201)}}
		}, want: []got{errAt("variables", "variable[1].description")}},
		{name: "unknown default and description are skipped", mutate: func(in *Input) {
			in.Pipeline.Variables = []Variable{{Name: "a", DefaultValue: Unknown, Description: Unknown}}
		}},
	})
}

func TestRuleTriggerSource(t *testing.T) {
	const path = "trigger[0].git_configuration[0].source_action_name"
	runRuleCases(t, "trigger-source", []ruleCase{
		{name: "no triggers pass"},
		{name: "trigger on a connection source passes", mutate: withTrigger},
		{name: "unknown source action name is skipped", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).SourceActionName = Unknown
		}},
		{name: "missing source action fails", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).SourceActionName = "Nope"
		}, want: []got{errAt("trigger-source", path)}},
		{name: "empty source action name fails", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).SourceActionName = ""
		}, want: []got{errAt("trigger-source", path)}},
		{name: "non-source action of that name fails", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).SourceActionName = "Compile"
		}, want: []got{errAt("trigger-source", path)}},
		{name: "source provider without trigger support fails", mutate: func(in *Input) {
			in.Pipeline.Triggers = []Trigger{{ProviderType: TriggerProviderCodeStarSourceConnection, SourceActionName: "Checkout"}}
		}, want: []got{errAt("trigger-source", path)}},
		{name: "unknown source provider is skipped", mutate: func(in *Input) {
			withTrigger(in)
			in.Pipeline.Stages[0].Actions[0].Provider = Unknown
		}},
		{name: "second trigger on the same source fails at the later one", mutate: func(in *Input) {
			withTrigger(in)
			in.Pipeline.Triggers = append(in.Pipeline.Triggers, in.Pipeline.Triggers[0], in.Pipeline.Triggers[0])
		}, want: []got{
			errAt("trigger-source", "trigger[1].git_configuration[0].source_action_name"),
			errAt("trigger-source", "trigger[2].git_configuration[0].source_action_name"),
		}},
		{name: "triggers on two connection sources pass", mutate: func(in *Input) {
			withTrigger(in)
			src2 := in.Pipeline.Stages[0].Actions[0]
			src2.Name, src2.OutputArtifacts = "Checkout2", []string{"src2"}
			in.Pipeline.Stages[0].Actions = append(in.Pipeline.Stages[0].Actions, src2)
			t2 := in.Pipeline.Triggers[0]
			t2.SourceActionName = "Checkout2"
			in.Pipeline.Triggers = append(in.Pipeline.Triggers, t2)
		}},
		{name: "other provider type fails", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).ProviderType = "GitHub"
		}, want: []got{errAt("trigger-source", "trigger[0].provider_type")}},
		{name: "empty provider type fails", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).ProviderType = ""
		}, want: []got{errAt("trigger-source", "trigger[0].provider_type")}},
		{name: "unknown provider type is skipped", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).ProviderType = Unknown
		}},
	})
}

func TestRuleTriggerFilters(t *testing.T) {
	const gc = "trigger[0].git_configuration[0]"
	branches := func(p ...string) *GlobFilter { return &GlobFilter{Includes: p} }
	filters := func(n int, f GitFilter) []GitFilter {
		out := make([]GitFilter, n)
		for i := range out {
			out[i] = f
		}
		return out
	}
	patterns := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("release/%d", i)
		}
		return out
	}
	runRuleCases(t, "trigger-filters", []ruleCase{
		{name: "push on branches passes", mutate: withTrigger},
		{name: "full push and pull request filters at their limits pass", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).Push = filters(3, GitFilter{
				Branches:  &GlobFilter{Includes: patterns(8), Excludes: []string{strings.Repeat("b", 255)}},
				FilePaths: &GlobFilter{Excludes: []string{"docs/**"}},
			})
			trigger0(in).PullRequest = filters(3, GitFilter{
				Branches: branches("main"), Events: PullRequestEvents,
			})
		}},
		{name: "push on tags only passes", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).Push = []GitFilter{{Tags: branches("v*")}}
		}},
		{name: "pull request without events passes", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).Push = nil
			trigger0(in).PullRequest = []GitFilter{{Branches: branches("main")}}
		}},
		{name: "no filter at all fails", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).Push = nil
		}, want: []got{errAt("trigger-filters", gc)}},
		{name: "four push filters fail", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).Push = filters(4, GitFilter{Branches: branches("main")})
		}, want: []got{errAt("trigger-filters", gc+".push")}},
		{name: "four pull request filters fail", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).PullRequest = filters(4, GitFilter{Branches: branches("main")})
		}, want: []got{errAt("trigger-filters", gc+".pull_request")}},
		{name: "push without branches or tags fails", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).Push = append(trigger0(in).Push, GitFilter{})
		}, want: []got{errAt("trigger-filters", gc+".push[1]")}},
		{name: "push file paths without branches fail", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).Push = []GitFilter{{Tags: branches("v*"), FilePaths: branches("src/**")}}
		}, want: []got{errAt("trigger-filters", gc+".push[0].file_paths")}},
		{name: "pull request without branches fails", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).PullRequest = []GitFilter{{FilePaths: branches("src/**"), Events: []string{PullRequestEventOpen}}}
		}, want: []got{errAt("trigger-filters", gc+".pull_request[0]")}},
		{name: "unknown pull request events fail once per filter", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).PullRequest = []GitFilter{
				{Branches: branches("main"), Events: []string{"OPEN", "MERGED", "open", Unknown}},
				{Branches: branches("main"), Events: []string{Unknown}},
			}
		}, want: []got{errAt("trigger-filters", gc+".pull_request[0].events")}},
		{name: "empty branches block fails", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).Push = []GitFilter{{Branches: &GlobFilter{Includes: []string{}}}}
		}, want: []got{errAt("trigger-filters", gc+".push[0].branches[0]")}},
		{name: "empty file paths block on a pull request fails", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).PullRequest = []GitFilter{{Branches: branches("main"), FilePaths: &GlobFilter{}}}
		}, want: []got{errAt("trigger-filters", gc+".pull_request[0].file_paths[0]")}},
		{name: "nine includes fail", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).Push[0].Branches.Includes = patterns(9)
		}, want: []got{errAt("trigger-filters", gc+".push[0].branches[0].includes")}},
		{name: "empty and overlong patterns fail once per list", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).Push = []GitFilter{{Tags: &GlobFilter{
				Includes: []string{"v*", "", strings.Repeat("t", 256)},
				Excludes: []string{""},
			}}}
		}, want: []got{
			errAt("trigger-filters", gc+".push[0].tags[0].includes"),
			errAt("trigger-filters", gc+".push[0].tags[0].excludes"),
		}},
		{name: "unknown patterns are skipped", mutate: func(in *Input) {
			withTrigger(in)
			trigger0(in).Push[0].Branches.Includes = []string{Unknown}
		}},
	})
}

func TestRuleParallelNoRollback(t *testing.T) {
	rollback := func(in *Input) { in.Pipeline.Stages[2].OnFailure = &FailureConditions{Result: OnFailureRollback} }
	parallel := func(in *Input) { in.Pipeline.ExecutionMode = ExecutionModeParallel }
	onSuccess := func(result string) func(*Input) {
		return func(in *Input) {
			parallel(in)
			in.Pipeline.Stages[2].OnSuccess = &Condition{Result: result, Rules: []ConditionRule{windowRule("Window")}}
		}
	}
	runRuleCases(t, "parallel-no-rollback", []ruleCase{
		{name: "PARALLEL without rollback passes", mutate: func(in *Input) {
			parallel(in)
			in.Pipeline.Stages[1].OnFailure = &FailureConditions{Result: ResultRetry, RetryConfiguration: &RetryConfiguration{}}
		}},
		{name: "default mode with rollback passes", mutate: rollback},
		{name: "QUEUED with rollback passes", mutate: func(in *Input) {
			rollback(in)
			in.Pipeline.ExecutionMode = ExecutionModeQueued
		}},
		{name: "PARALLEL with rollback fails", mutate: func(in *Input) {
			rollback(in)
			parallel(in)
		}, want: []got{errAt("parallel-no-rollback", "stage[2].on_failure[0].result")}},
		{name: "PARALLEL with an on_success condition that fails the stage passes", mutate: onSuccess(ResultFail)},
		{name: "PARALLEL with an on_success condition without result passes (FAIL)", mutate: onSuccess("")},
		{name: "PARALLEL with an on_success condition that rolls back fails", mutate: onSuccess(ResultRollback),
			want: []got{errAt("parallel-no-rollback", "stage[2].on_success[0].condition[0].result")}},
		{name: "PARALLEL with an on_failure condition fails (its result is ROLLBACK)", mutate: func(in *Input) {
			parallel(in)
			in.Pipeline.Stages[2].OnFailure = &FailureConditions{Condition: &Condition{Rules: []ConditionRule{windowRule("Window")}}}
		}, want: []got{errAt("parallel-no-rollback", "stage[2].on_failure[0].condition[0].result")}},
		{name: "unknown mode is skipped", mutate: func(in *Input) {
			rollback(in)
			in.Pipeline.ExecutionMode = Unknown
		}},
		{name: "unknown condition result is skipped", mutate: onSuccess(Unknown)},
	})
}

func TestRulePollingDeprecated(t *testing.T) {
	const path = `stage[0].action[0].configuration["PollForSourceChanges"]`
	poll := func(v string) func(*Input) {
		return func(in *Input) { in.Pipeline.Stages[0].Actions[0].Configuration["PollForSourceChanges"] = v }
	}
	runRuleCases(t, "polling-deprecated", []ruleCase{
		{name: "no setting passes"},
		{name: "false passes", mutate: poll("false")},
		{name: "true warns", mutate: poll("true"), want: []got{warnAt("polling-deprecated", path)}},
		{name: "True warns regardless of case", mutate: poll("True"), want: []got{warnAt("polling-deprecated", path)}},
		{name: "unknown value is skipped", mutate: poll(Unknown)},
		{name: "unknown configuration is skipped", mutate: func(in *Input) {
			poll("true")(in)
			in.Pipeline.Stages[0].Actions[0].UnknownAttrs = []string{"configuration"}
		}},
		{name: "nil configuration passes", mutate: func(in *Input) { in.Pipeline.Stages[0].Actions[0].Configuration = nil }},
		{name: "non-source action is not a poller", mutate: func(in *Input) {
			in.Pipeline.Stages[1].Actions[0].Configuration["PollForSourceChanges"] = "true"
		}},
	})
}

func TestRulesV2NilPipeline(t *testing.T) {
	for _, id := range []string{"v2-only", "variables", "trigger-source", "trigger-filters", "parallel-no-rollback", "polling-deprecated"} {
		if fs := findingsOf(Input{}, id); len(fs) != 0 {
			t.Errorf("%s on an empty input: %v", id, fs)
		}
	}
}
