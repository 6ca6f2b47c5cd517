package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// windowRule is a valid DeploymentWindow rule.
func windowRule(name string) ConditionRule {
	return ConditionRule{Name: name, RuleTypeID: RuleTypeID{Category: RuleCategoryRule, Owner: RuleOwnerAWS, Provider: RuleDeploymentWindow, Version: "1"},
		Configuration: map[string]string{"Cron": "* * 9-16 ? * MON-FRI", "TimeZone": "Europe/Paris"}}
}

// ruleOf is a rule of provider p with configuration cfg, owner and version unset.
func ruleOf(name, provider string, cfg map[string]string) ConditionRule {
	return ConditionRule{Name: name, RuleTypeID: RuleTypeID{Category: RuleCategoryRule, Provider: provider}, Configuration: cfg}
}

// withCommandsAction makes the valid pipeline's build a Compute/Commands action.
func withCommandsAction(in *Input) {
	a := &in.Pipeline.Stages[1].Actions[0]
	a.Category, a.Provider, a.Configuration = CategoryCompute, "Commands", nil
	a.Commands = []string{"make", "make test"}
}

// stage2 returns the deploy stage of the valid pipeline.
func stage2(in *Input) *Stage { return &in.Pipeline.Stages[2] }

const (
	beforeEntry = "stage[2].before_entry[0].condition[0]"
	onSuccess   = "stage[2].on_success[0].condition[0]"
	onFailure   = "stage[2].on_failure[0]"
)

func TestRuleConditionResult(t *testing.T) {
	entry := func(result string) func(*Input) {
		return func(in *Input) {
			stage2(in).BeforeEntry = &Condition{Result: result, Rules: []ConditionRule{windowRule("W")}}
		}
	}
	success := func(result string) func(*Input) {
		return func(in *Input) {
			stage2(in).OnSuccess = &Condition{Result: result, Rules: []ConditionRule{windowRule("W")}}
		}
	}
	failure := func(result, condResult string) func(*Input) {
		return func(in *Input) {
			f := &FailureConditions{Result: result}
			if condResult != "-" {
				f.Condition = &Condition{Result: condResult, Rules: []ConditionRule{windowRule("W")}}
			}
			if result == ResultRetry {
				f.RetryConfiguration = &RetryConfiguration{RetryMode: RetryAllActions}
			}
			stage2(in).OnFailure = f
		}
	}
	runRuleCases(t, "condition-result", []ruleCase{
		{name: "no conditions pass"},
		{name: "before_entry FAIL passes", mutate: entry(ResultFail)},
		{name: "before_entry SKIP passes", mutate: entry(ResultSkip)},
		{name: "before_entry without result passes", mutate: entry("")},
		{name: "before_entry ROLLBACK fails", mutate: entry(ResultRollback), want: []got{errAt("condition-result", beforeEntry+".result")}},
		{name: "before_entry RETRY fails", mutate: entry(ResultRetry), want: []got{errAt("condition-result", beforeEntry+".result")}},
		{name: "on_success ROLLBACK passes", mutate: success(ResultRollback)},
		{name: "on_success FAIL passes", mutate: success(ResultFail)},
		{name: "on_success SKIP fails", mutate: success(ResultSkip), want: []got{errAt("condition-result", onSuccess+".result")}},
		{name: "on_success junk fails", mutate: success("MAYBE"), want: []got{errAt("condition-result", onSuccess+".result")}},
		{name: "on_failure ROLLBACK passes", mutate: failure(ResultRollback, "-")},
		{name: "on_failure RETRY passes", mutate: failure(ResultRetry, "-")},
		{name: "on_failure FAIL passes", mutate: failure(ResultFail, "-")},
		{name: "on_failure SKIP fails", mutate: failure(ResultSkip, "-"), want: []got{errAt("condition-result", onFailure+".result")}},
		{name: "on_failure condition ROLLBACK passes", mutate: failure("", ResultRollback)},
		{name: "on_failure condition FAIL fails", mutate: failure("", ResultFail), want: []got{errAt("condition-result", onFailure+".condition[0].result")}},
		{name: "unknown result is skipped", mutate: entry(Unknown)},
	})
}

func TestRuleStageRetry(t *testing.T) {
	onFail := func(f *FailureConditions) func(*Input) { return func(in *Input) { stage2(in).OnFailure = f } }
	runRuleCases(t, "stage-retry", []ruleCase{
		{name: "RETRY with a retry configuration passes", mutate: onFail(&FailureConditions{Result: ResultRetry, RetryConfiguration: &RetryConfiguration{RetryMode: RetryFailedActions}})},
		{name: "RETRY with an empty retry configuration passes (FAILED_ACTIONS)", mutate: onFail(&FailureConditions{Result: ResultRetry, RetryConfiguration: &RetryConfiguration{}})},
		{name: "ROLLBACK without retry configuration passes", mutate: onFail(&FailureConditions{Result: ResultRollback})},
		{name: "RETRY without retry configuration fails", mutate: onFail(&FailureConditions{Result: ResultRetry}),
			want: []got{errAt("stage-retry", onFailure)}},
		{name: "retry configuration without RETRY fails", mutate: onFail(&FailureConditions{Result: ResultRollback, RetryConfiguration: &RetryConfiguration{}}),
			want: []got{errAt("stage-retry", onFailure+".retry_configuration")}},
		{name: "retry configuration without result fails", mutate: onFail(&FailureConditions{RetryConfiguration: &RetryConfiguration{RetryMode: RetryAllActions}}),
			want: []got{errAt("stage-retry", onFailure+".retry_configuration")}},
		{name: "unknown retry mode fails", mutate: onFail(&FailureConditions{Result: ResultRetry, RetryConfiguration: &RetryConfiguration{RetryMode: "SOME_ACTIONS"}}),
			want: []got{errAt("stage-retry", onFailure+".retry_configuration[0].retry_mode")}},
		{name: "unknown result is skipped", mutate: onFail(&FailureConditions{Result: Unknown})},
	})
}

func TestRuleConditionRules(t *testing.T) {
	withRules := func(rules ...ConditionRule) func(*Input) {
		return func(in *Input) { stage2(in).BeforeEntry = &Condition{Rules: rules} }
	}
	six := make([]ConditionRule, 6)
	for i := range six {
		six[i] = windowRule(string(rune('A' + i)))
	}
	runRuleCases(t, "condition-rules", []ruleCase{
		{name: "one rule passes", mutate: withRules(windowRule("A"))},
		{name: "five rules pass", mutate: withRules(six[:5]...)},
		{name: "no rule fails", mutate: withRules(), want: []got{errAt("condition-rules", beforeEntry)}},
		{name: "six rules fail", mutate: withRules(six...), want: []got{errAt("condition-rules", beforeEntry+".rule")}},
		{name: "two rules of one name fail", mutate: withRules(windowRule("A"), windowRule("A")),
			want: []got{errAt("condition-rules", beforeEntry+".rule[1].name")}},
		{name: "the same name in two conditions passes", mutate: func(in *Input) {
			withRules(windowRule("A"))(in)
			stage2(in).OnSuccess = &Condition{Rules: []ConditionRule{windowRule("A")}}
		}},
		{name: "an on_failure condition without rules fails", mutate: func(in *Input) {
			stage2(in).OnFailure = &FailureConditions{Condition: &Condition{}}
		}, want: []got{errAt("condition-rules", onFailure+".condition[0]")}},
	})
}

func TestRuleConditionRuleType(t *testing.T) {
	withType := func(id RuleTypeID) func(*Input) {
		return func(in *Input) {
			r := windowRule("W")
			r.RuleTypeID = id
			stage2(in).OnSuccess = &Condition{Rules: []ConditionRule{r}}
		}
	}
	path := onSuccess + ".rule[0].rule_type_id[0]"
	runRuleCases(t, "condition-rule-type", []ruleCase{
		{name: "full type passes", mutate: withType(RuleTypeID{"Rule", "AWS", "DeploymentWindow", "1"})},
		{name: "owner and version unset pass", mutate: withType(RuleTypeID{Category: "Rule", Provider: "VariableCheck"})},
		{name: "every provider of the table passes", mutate: func(in *Input) {
			var rules []ConditionRule
			for _, p := range RuleProviders() {
				rules = append(rules, ruleOf(p, p, nil))
			}
			stage2(in).OnSuccess = &Condition{Rules: rules}
		}},
		{name: "an action category fails", mutate: withType(RuleTypeID{Category: "Deploy", Provider: "DeploymentWindow"}),
			want: []got{errAt("condition-rule-type", path+".category")}},
		{name: "a custom owner fails", mutate: withType(RuleTypeID{Category: "Rule", Owner: "Custom", Provider: "DeploymentWindow"}),
			want: []got{errAt("condition-rule-type", path+".owner")}},
		{name: "an unknown provider fails", mutate: withType(RuleTypeID{Category: "Rule", Provider: "Clock"}),
			want: []got{errAt("condition-rule-type", path+".provider")}},
		{name: "an action provider fails", mutate: withType(RuleTypeID{Category: "Rule", Provider: "Lambda"}),
			want: []got{errAt("condition-rule-type", path+".provider")}},
		{name: "version 2 fails", mutate: withType(RuleTypeID{Category: "Rule", Provider: "DeploymentWindow", Version: "2"}),
			want: []got{errAt("condition-rule-type", path+".version")}},
		{name: "unknown values are skipped", mutate: withType(RuleTypeID{Unknown, Unknown, Unknown, Unknown})},
	})
}

func TestRuleConditionRuleConfig(t *testing.T) {
	with := func(r ConditionRule) func(*Input) {
		return func(in *Input) { stage2(in).BeforeEntry = &Condition{Rules: []ConditionRule{r}} }
	}
	cfgPath := beforeEntry + ".rule[0].configuration"
	withCfg := func(provider string, kv ...string) func(*Input) {
		cfg := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			cfg[kv[i]] = kv[i+1]
		}
		return with(ruleOf("R", provider, cfg))
	}
	commandsRule := func(cmds ...string) ConditionRule {
		r := ruleOf("R", RuleCommands, nil)
		r.Commands = cmds
		return r
	}
	runRuleCases(t, "condition-rule-config", []ruleCase{
		{name: "a deployment window passes", mutate: with(windowRule("W"))},
		{name: "a window without time zone passes (UTC)", mutate: withCfg(RuleDeploymentWindow, "Cron", "0 0/5 * ? * *")},
		{name: "a window with year, L and # passes", mutate: withCfg(RuleDeploymentWindow, "Cron", "* * 22-23 ? * 6#3 2030")},
		{name: "a window without Cron fails", mutate: withCfg(RuleDeploymentWindow, "TimeZone", "UTC"),
			want: []got{errAt("condition-rule-config", cfgPath)}},
		{name: "a five-field (Unix) cron fails", mutate: withCfg(RuleDeploymentWindow, "Cron", "* 9-17 * * 1-5"),
			want: []got{errAt("condition-rule-config", cfgPath+`["Cron"]`)}},
		{name: "a cron with both day fields fails", mutate: withCfg(RuleDeploymentWindow, "Cron", "* * 9 1 * MON"),
			want: []got{errAt("condition-rule-config", cfgPath+`["Cron"]`)}},
		{name: "hour 24 fails", mutate: withCfg(RuleDeploymentWindow, "Cron", "* * 9-24 ? * *"),
			want: []got{errAt("condition-rule-config", cfgPath+`["Cron"]`)}},
		{name: "an unknown time zone fails", mutate: withCfg(RuleDeploymentWindow, "Cron", "* * * ? * *", "TimeZone", "Mars/Olympus_Mons"),
			want: []got{errAt("condition-rule-config", cfgPath+`["TimeZone"]`)}},
		{name: "an unknown cron is skipped", mutate: withCfg(RuleDeploymentWindow, "Cron", Unknown)},
		{name: "a variable check passes", mutate: withCfg(RuleVariableCheck, "Variable", "#{SourceVariables.BranchName}", "Operator", "EQ", "Value", "main")},
		{name: "every operator passes", mutate: func(in *Input) {
			var rules []ConditionRule
			for _, op := range VariableCheckOperators {
				rules = append(rules, ruleOf(op, RuleVariableCheck, map[string]string{"Variable": "#{variables.v}", "Operator": op, "Value": "x"}))
			}
			stage2(in).BeforeEntry = &Condition{Rules: rules}
		}},
		{name: "a variable check with an unknown operator fails", mutate: withCfg(RuleVariableCheck, "Variable", "#{variables.v}", "Operator", "GT", "Value", "1"),
			want: []got{errAt("condition-rule-config", cfgPath+`["Operator"]`)}},
		{name: "a variable check without Value fails", mutate: withCfg(RuleVariableCheck, "Variable", "#{variables.v}", "Operator", "EQ"),
			want: []got{errAt("condition-rule-config", cfgPath)}},
		{name: "a variable check with an empty Value fails", mutate: withCfg(RuleVariableCheck, "Variable", "#{variables.v}", "Operator", "EQ", "Value", ""),
			want: []got{errAt("condition-rule-config", cfgPath+`["Value"]`), errAt("condition-rule-config", cfgPath)}},
		{name: "a Lambda rule without FunctionName fails", mutate: withCfg(RuleLambdaInvoke, "UserParameters", "x"),
			want: []got{errAt("condition-rule-config", cfgPath)}},
		{name: "an alarm with a bad wait time and state fails", mutate: withCfg(RuleCloudWatchAlarm, "AlarmName", "a", "WaitTime", "soon", "AlarmStates", "ALARM, BROKEN"),
			want: []got{errAt("condition-rule-config", cfgPath+`["WaitTime"]`), errAt("condition-rule-config", cfgPath+`["AlarmStates"]`)}},
		{name: "a Commands rule passes", mutate: with(commandsRule("./check.sh"))},
		{name: "a Commands rule without commands fails", mutate: with(commandsRule()),
			want: []got{errAt("condition-rule-config", beforeEntry+".rule[0].commands")}},
		{name: "a multi-line command fails", mutate: with(commandsRule("a\nb")),
			want: []got{errAt("condition-rule-config", beforeEntry+".rule[0].commands[0]")}},
		{name: "51 commands fail", mutate: with(commandsRule(strings.Split(strings.Repeat("x,", 50)+"x", ",")...)),
			want: []got{errAt("condition-rule-config", beforeEntry+".rule[0].commands")}},
		{name: "commands on a window rule fail", mutate: func(in *Input) {
			r := windowRule("W")
			r.Commands = []string{"true"}
			with(r)(in)
		}, want: []got{errAt("condition-rule-config", beforeEntry+".rule[0].commands")}},
		{name: "a timeout of 4 minutes fails", mutate: func(in *Input) {
			r := windowRule("W")
			r.TimeoutInMinutes = 4
			with(r)(in)
		}, want: []got{errAt("condition-rule-config", beforeEntry+".rule[0].timeout_in_minutes")}},
		{name: "six input artifacts fail", mutate: func(in *Input) {
			r := commandsRule("true")
			r.InputArtifacts = []string{"src", "bin", "a", "b", "c", "d"}
			with(r)(in)
		}, want: []got{errAt("condition-rule-config", beforeEntry+".rule[0].input_artifacts")}},
		{name: "a too long value fails", mutate: withCfg(RuleLambdaInvoke, "FunctionName", "f", "UserParameters", strings.Repeat("u", 10001)),
			want: []got{errAt("condition-rule-config", cfgPath+`["UserParameters"]`)}},
		{name: "unknown configuration is skipped", mutate: func(in *Input) {
			r := ruleOf("R", RuleDeploymentWindow, nil)
			r.UnknownAttrs = []string{"configuration"}
			with(r)(in)
		}},
		{name: "an unknown rule type is left to condition-rule-type", mutate: withCfg("Clock")},
	})
}

func TestRuleConditionRuleInputs(t *testing.T) {
	withInput := func(ct string, artifact string) func(*Input) {
		return func(in *Input) {
			r := ruleOf("R", RuleCommands, nil)
			r.Commands, r.InputArtifacts = []string{"true"}, []string{artifact}
			c := &Condition{Rules: []ConditionRule{r}}
			st := &in.Pipeline.Stages[1]
			switch ct {
			case ConditionBeforeEntry:
				st.BeforeEntry = c
			case ConditionOnSuccess:
				st.OnSuccess = c
			}
		}
	}
	path := "stage[1].%s[0].condition[0].rule[0].input_artifacts[0]"
	runRuleCases(t, "condition-rule-inputs", []ruleCase{
		{name: "before_entry reading an earlier stage's output passes", mutate: withInput(ConditionBeforeEntry, "src")},
		{name: "on_success reading the stage's own output passes", mutate: withInput(ConditionOnSuccess, "bin")},
		{name: "before_entry reading the stage's own output fails", mutate: withInput(ConditionBeforeEntry, "bin"),
			want: []got{errAt("condition-rule-inputs", strings.Replace(path, "%s", "before_entry", 1))}},
		{name: "an artifact nobody produces fails", mutate: withInput(ConditionOnSuccess, "nope"),
			want: []got{errAt("condition-rule-inputs", strings.Replace(path, "%s", "on_success", 1))}},
		{name: "an unknown artifact is skipped", mutate: withInput(ConditionBeforeEntry, Unknown)},
	})
}

func TestRuleCommandsAction(t *testing.T) {
	build := "stage[1].action[0]"
	mutate := func(f func(a *Action)) func(*Input) {
		return func(in *Input) {
			withCommandsAction(in)
			f(&in.Pipeline.Stages[1].Actions[0])
		}
	}
	runRuleCases(t, "commands-action", []ruleCase{
		{name: "a Commands action with commands passes", mutate: withCommandsAction},
		{name: "a Build/Commands action passes", mutate: mutate(func(a *Action) { a.Category = CategoryBuild })},
		{name: "output variables pass", mutate: mutate(func(a *Action) { a.OutputVariables = []string{"IMAGE_TAG", "CODEBUILD_BUILD_ID"} })},
		{name: "the deprecated configuration key alone passes (it warns elsewhere)", mutate: mutate(func(a *Action) {
			a.Commands, a.Configuration = nil, map[string]string{"Commands": "make"}
		})},
		{name: "no commands fail", mutate: mutate(func(a *Action) { a.Commands = nil }), want: []got{errAt("commands-action", build+".commands")}},
		{name: "both commands and the key fail", mutate: mutate(func(a *Action) { a.Configuration = map[string]string{"Commands": "make"} }),
			want: []got{errAt("commands-action", build+`.configuration["Commands"]`)}},
		{name: "a multi-line command fails", mutate: mutate(func(a *Action) { a.Commands = []string{"make", "if true; then\n  echo\nfi"} }),
			want: []got{errAt("commands-action", build+".commands[1]")}},
		{name: "an empty command fails", mutate: mutate(func(a *Action) { a.Commands = []string{""} }),
			want: []got{errAt("commands-action", build+".commands[0]")}},
		{name: "16 output variables fail", mutate: mutate(func(a *Action) {
			for i := 0; i < 16; i++ {
				a.OutputVariables = append(a.OutputVariables, string(rune('A'+i)))
			}
		}), want: []got{errAt("commands-action", build+".output_variables")}},
		{name: "an empty output variable list fails", mutate: mutate(func(a *Action) { a.OutputVariables = []string{} }),
			want: []got{errAt("commands-action", build+".output_variables")}},
		{name: "a repeated output variable fails", mutate: mutate(func(a *Action) { a.OutputVariables = []string{"A", "A"} }),
			want: []got{errAt("commands-action", build+".output_variables[1]")}},
		{name: "commands on a CodeBuild action fail", mutate: func(in *Input) { in.Pipeline.Stages[1].Actions[0].Commands = []string{"make"} },
			want: []got{errAt("commands-action", build+".commands")}},
		{name: "output variables on a CodeBuild action fail", mutate: func(in *Input) { in.Pipeline.Stages[1].Actions[0].OutputVariables = []string{"X"} },
			want: []got{errAt("commands-action", build+".output_variables")}},
		{name: "unknown commands are skipped", mutate: mutate(func(a *Action) { a.Commands, a.UnknownAttrs = nil, []string{"commands"} })},
	})
}

func TestRuleCommandsInConfiguration(t *testing.T) {
	legacy := func(in *Input) {
		withCommandsAction(in)
		a := &in.Pipeline.Stages[1].Actions[0]
		a.Commands, a.Configuration = nil, map[string]string{"Commands": "make\n\nmake test\n"}
	}
	path := `stage[1].action[0].configuration["Commands"]`
	runRuleCases(t, "commands-in-configuration", []ruleCase{
		{name: "the commands list passes", mutate: withCommandsAction},
		{name: "the configuration key warns", mutate: legacy, want: []got{warnAt("commands-in-configuration", path)}},
		{name: "a Commands key of another action type is not this rule's", mutate: func(in *Input) {
			in.Pipeline.Stages[1].Actions[0].Configuration["Commands"] = "make"
		}},
	})
	in := Input{Pipeline: validPipeline()}
	legacy(&in)
	fs := ValidateWith(in, Options{Only: []string{"commands-in-configuration"}})
	if len(fs) != 1 || !strings.Contains(fs[0].Fix, `commands = ["make", "make test"]`) {
		t.Errorf("the warning does not show the replacement: %+v", fs)
	}
}

func TestNewRulesOnNilPipeline(t *testing.T) {
	for _, id := range []string{"condition-result", "stage-retry", "condition-rules", "condition-rule-type", "condition-rule-config",
		"condition-rule-inputs", "commands-action", "commands-in-configuration"} {
		if fs := findingsOf(Input{}, id); len(fs) != 0 {
			t.Errorf("%s on an empty input: %v", id, fs)
		}
	}
}

// TestNameFormatOfConditionRules: rule names and rule input artifacts are names too.
func TestNameFormatOfConditionRules(t *testing.T) {
	runRuleCases(t, "name-format", []ruleCase{
		{name: "a valid rule name passes", mutate: func(in *Input) {
			stage2(in).BeforeEntry = &Condition{Rules: []ConditionRule{windowRule("Office.Hours@EU")}}
		}},
		{name: "a rule name with a space fails", mutate: func(in *Input) {
			stage2(in).BeforeEntry = &Condition{Rules: []ConditionRule{windowRule("office hours")}}
		}, want: []got{errAt("name-format", beforeEntry+".rule[0].name")}},
		{name: "a rule input named with a dot fails", mutate: func(in *Input) {
			r := windowRule("W")
			r.InputArtifacts = []string{"a.b"}
			stage2(in).OnSuccess = &Condition{Rules: []ConditionRule{r}}
		}, want: []got{errAt("name-format", onSuccess+".rule[0].input_artifacts[0]")}},
	})
}

func TestCronWindows(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, paris)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := []struct {
		cron string
		in   []string
		out  []string
	}{
		{"* * 9-16 ? * MON-FRI", []string{"2025-01-06 09:00:00", "2025-01-10 16:59:59"}, []string{"2025-01-06 08:59:59", "2025-01-06 17:00:00", "2025-01-11 10:00:00"}},
		{"* 0/15 * ? * *", []string{"2025-03-01 10:00:30", "2025-03-01 10:45:00"}, []string{"2025-03-01 10:01:00"}},
		{"* * * L * ?", []string{"2024-02-29 12:00:00", "2025-04-30 00:00:00"}, []string{"2024-02-28 12:00:00"}},
		{"* * * LW * ?", []string{"2025-05-30 08:00:00"}, []string{"2025-05-31 08:00:00"}},  // May 31st 2025 is a Saturday
		{"* * * 15W * ?", []string{"2025-03-14 08:00:00"}, []string{"2025-03-15 08:00:00"}}, // March 15th 2025 is a Saturday
		{"* * * ? * 6#2", []string{"2025-01-10 08:00:00"}, []string{"2025-01-03 08:00:00", "2025-01-17 08:00:00"}},
		{"* * * ? * 2L", []string{"2025-01-27 08:00:00"}, []string{"2025-01-20 08:00:00"}},
		{"* * 8 ? JAN,JUL * 2025", []string{"2025-07-04 08:30:00"}, []string{"2026-07-03 08:30:00", "2025-06-04 08:30:00"}},
		{"0 0 12 1 * ?", []string{"2025-02-01 12:00:00"}, []string{"2025-02-01 12:00:01", "2025-02-02 12:00:00"}},
	}
	for _, tc := range cases {
		w, err := ParseDeploymentWindow(map[string]string{"Cron": tc.cron, "TimeZone": "Europe/Paris"})
		if err != nil {
			t.Fatalf("%s: %v", tc.cron, err)
		}
		for _, s := range tc.in {
			if !w.Open(at(s).UTC()) {
				t.Errorf("%s: closed at %s, want open", tc.cron, s)
			}
		}
		for _, s := range tc.out {
			if w.Open(at(s).UTC()) {
				t.Errorf("%s: open at %s, want closed", tc.cron, s)
			}
		}
	}
	w, _ := ParseDeploymentWindow(map[string]string{"Cron": "* * 9-16 ? * MON-FRI", "TimeZone": "Europe/Paris"})
	next, ok := w.NextOpen(at("2025-01-10 17:30:00"))
	if want := at("2025-01-13 09:00:00"); !ok || !next.Equal(want) {
		t.Errorf("next opening after Friday 17:30 = %s (%v), want %s", next, ok, want)
	}
	if _, ok := (&DeploymentWindow{Schedule: must(ParseCron("* * * ? * * 1999")), Location: time.UTC}).NextOpen(at("2025-01-01 00:00:00")); ok {
		t.Error("a window of 1999 opens again")
	}
	for _, bad := range []string{"", "* * * * *", "* * * ? * * * *", "61 * * ? * *", "* * * 0 * ?", "* * * ? 13 *", "* * * ? * 8", "* * * ? * MON#6", "* */0 * ? * *", "* * 5-2 ? * *"} {
		if _, err := ParseCron(bad); err == nil {
			t.Errorf("ParseCron(%q) accepted it", bad)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestVariableCheck(t *testing.T) {
	cases := []struct {
		op, variable, value string
		want                bool
	}{
		{"EQ", "main", "main", true}, {"EQ", "main", "Main", false},
		{"NE", "main", "dev", true}, {"NE", "main", "main", false},
		{"CONTAINS", "release/1.2", "release/", true}, {"CONTAINS", "main", "dev", false},
		{"MATCHES", "release/1.2", `release/\d+\.\d+`, true}, {"MATCHES", "xrelease/1.2", `release/.*`, false},
	}
	for _, tc := range cases {
		got, why, err := VariableCheck(tc.op, tc.variable, tc.value)
		if err != nil || got != tc.want || why == "" {
			t.Errorf("VariableCheck(%s, %q, %q) = %v, %q, %v; want %v", tc.op, tc.variable, tc.value, got, why, err, tc.want)
		}
	}
	if _, _, err := VariableCheck("MATCHES", "a", "(?<=x)a"); err == nil || !strings.Contains(err.Error(), "RE2") {
		t.Errorf("a lookbehind = %v, want an error naming the syntax", err)
	}
	if _, _, err := VariableCheck("GT", "2", "1"); err == nil {
		t.Error("operator GT accepted")
	}
}

func TestConditionDefaults(t *testing.T) {
	got := []string{
		(&Condition{}).EffectiveResult(ConditionBeforeEntry),
		(&Condition{}).EffectiveResult(ConditionOnSuccess),
		(&Condition{}).EffectiveResult(ConditionOnFailure),
		(&Condition{Result: ResultSkip}).EffectiveResult(ConditionBeforeEntry),
		(*RetryConfiguration)(nil).Mode(),
	}
	want := []string{ResultFail, ResultFail, ResultRollback, ResultSkip, RetryFailedActions}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}
