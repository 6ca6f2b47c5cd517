package pipeline

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The rules of stage conditions: which results each position accepts, the retry
// configuration, the number of rules, and each rule's type, configuration and inputs — what
// CodePipeline's API model and User Guide say it accepts.

// eachCondition calls fn for every condition of the pipeline under validation, in pipeline
// order (stage by stage, in ConditionTypes order).
func eachCondition(p *Pass, fn func(stage int, pc PlacedCondition)) {
	if p.Pipeline == nil {
		return
	}
	for i := range p.Pipeline.Stages {
		for _, pc := range p.Pipeline.Stages[i].Conditions() {
			fn(i, pc)
		}
	}
}

// eachConditionRule calls fn for every rule of every condition.
func eachConditionRule(p *Pass, fn func(stage int, pc PlacedCondition, k int, r *ConditionRule)) {
	eachCondition(p, func(i int, pc PlacedCondition) {
		for k := range pc.Condition.Rules {
			fn(i, pc, k, &pc.Condition.Rules[k])
		}
	})
}

// describeRule names a rule for a message: rule "Window" of the before_entry condition of stage "Deploy".
func describeRule(pl *Pipeline, stage int, pc PlacedCondition, r *ConditionRule) string {
	return fmt.Sprintf("rule %q of the %s condition of stage %q", r.Name, ConditionBlock(pc.Type), pl.Stages[stage].Name)
}

var _ = register(&Rule{
	ID: "condition-result", Severity: SeverityError, Where: AtPlan,
	Title: "Condition Result Is Not Allowed Here",
	Doc: "A before_entry condition's result is FAIL or SKIP, an on_success condition's FAIL or ROLLBACK, an on_failure condition's ROLLBACK, " +
		"and an on_failure block's own result ROLLBACK, FAIL or RETRY.",
	Check: func(p *Pass) {
		if p.Pipeline == nil {
			return
		}
		for i := range p.Pipeline.Stages {
			st := &p.Pipeline.Stages[i]
			if f := st.OnFailure; f != nil && f.Result != "" && IsKnown(f.Result) && !slices.Contains(OnFailureResults, f.Result) {
				p.Reportf(OnFailurePath(i).Attr("result"), fmt.Sprintf("Use one of %s.", quotedList(OnFailureResults)),
					"Stage %q has on_failure result %q; a failed stage can only %s.", st.Name, f.Result, resultVerbs(OnFailureResults))
			}
			for _, pc := range st.Conditions() {
				res := pc.Condition.Result
				allowed := ConditionResultsAt(pc.Type)
				if res == "" || !IsKnown(res) || slices.Contains(allowed, res) {
					continue
				}
				p.Reportf(pc.Path(i).Attr("result"),
					fmt.Sprintf("Use %s (or leave result unset for %s).", quotedOr(allowed), allowed[0]),
					"The %s condition of stage %q has result %q; when an %s condition fails, CodePipeline can only %s.",
					ConditionBlock(pc.Type), st.Name, res, ConditionBlock(pc.Type), resultVerbs(allowed))
			}
		}
	},
})

// resultVerbs says what results do, for messages: "fail the stage or skip it".
func resultVerbs(results []string) string {
	verbs := map[string]string{ResultFail: "fail the stage", ResultSkip: "skip the stage", ResultRollback: "roll the stage back", ResultRetry: "retry the stage"}
	out := make([]string, 0, len(results))
	for _, r := range results {
		out = append(out, verbs[r]+" ("+r+")")
	}
	if len(out) == 1 {
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " or " + out[len(out)-1]
}

// quotedOr renders values as `"A" or "B"`.
func quotedOr(values []string) string {
	q := strings.Split(quotedList(values), ", ")
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

var _ = register(&Rule{
	ID: "stage-retry", Severity: SeverityError, Where: AtPlan,
	Title: "Automatic Retry Needs RETRY And A Retry Configuration",
	Doc:   "An on_failure result RETRY comes with a retry_configuration block, a retry_configuration only with RETRY, and its retry_mode is FAILED_ACTIONS or ALL_ACTIONS.",
	Check: func(p *Pass) {
		if p.Pipeline == nil {
			return
		}
		for i := range p.Pipeline.Stages {
			st := &p.Pipeline.Stages[i]
			f := st.OnFailure
			if f == nil || !IsKnown(f.Result) {
				continue
			}
			path := OnFailurePath(i)
			switch {
			case f.Result == ResultRetry && f.RetryConfiguration == nil:
				p.Reportf(path, fmt.Sprintf("Add retry_configuration { retry_mode = %q } (or %q) to the on_failure block.", RetryFailedActions, RetryAllActions),
					"Stage %q retries on failure but has no retry_configuration: CodePipeline needs to know whether to run the failed actions again or all of them.", st.Name)
			case f.Result != ResultRetry && f.RetryConfiguration != nil:
				p.Reportf(path.Attr("retry_configuration"), `Set result = "RETRY", or remove the retry_configuration block.`,
					"Stage %q has a retry_configuration but its on_failure result is %s, so it never retries automatically.", st.Name, describeResult(f.Result))
			}
			if rc := f.RetryConfiguration; rc != nil && rc.RetryMode != "" && IsKnown(rc.RetryMode) && !slices.Contains(RetryModes, rc.RetryMode) {
				p.Reportf(path.Attr("retry_configuration").Index(0).Attr("retry_mode"), fmt.Sprintf("Use %s.", quotedOr(RetryModes)),
					"Stage %q has retry_mode %q; CodePipeline retries the failed actions (%s) or all of the stage's actions (%s).",
					st.Name, rc.RetryMode, RetryFailedActions, RetryAllActions)
			}
		}
	},
})

func describeResult(r string) string {
	if r == "" {
		return "unset"
	}
	return strconv.Quote(r)
}

var _ = register(&Rule{
	ID: "condition-rules", Severity: SeverityError, Where: AtPlan,
	Needs: PartStages,
	Title: "A Condition Has 1 To 5 Uniquely Named Rules",
	Doc:   "Each stage condition has between 1 and 5 rules, and no two rules of a condition share a name.",
	Check: func(p *Pass) {
		eachCondition(p, func(i int, pc PlacedCondition) {
			st := &p.Pipeline.Stages[i]
			rules := pc.Condition.Rules
			switch n := len(rules); {
			case n == 0:
				p.Reportf(pc.Path(i), "Add a rule block (a VariableCheck, DeploymentWindow, LambdaInvoke, CloudWatchAlarm or Commands rule), or remove the condition.",
					"The %s condition of stage %q has no rule; a condition checks 1 to %d rules.", ConditionBlock(pc.Type), st.Name, MaxConditionRules)
			case n > MaxConditionRules:
				p.Reportf(pc.Path(i).Attr("rule"), "Merge checks into fewer rules (a LambdaInvoke or Commands rule can check several things).",
					"The %s condition of stage %q has %d rules; CodePipeline accepts 1 to %d.", ConditionBlock(pc.Type), st.Name, n, MaxConditionRules)
			}
			first := map[string]int{}
			for k, r := range rules {
				if r.Name == "" || !IsKnown(r.Name) {
					continue
				}
				if prev, dup := first[r.Name]; dup {
					p.Reportf(ConditionRulePath(i, pc.Type, k).Attr("name"), "Rename one of the two rules.",
						"Rule name %q is already used by rule %d of the same condition; rules are told apart by name in the run's state.", r.Name, prev)
					continue
				}
				first[r.Name] = k
			}
		})
	},
})

var _ = register(&Rule{
	ID: "condition-rule-type", Severity: SeverityError, Where: AtPlan,
	Title: "Condition Rule Type Is Not Valid",
	Doc:   "A rule's rule_type_id has category Rule, owner AWS (or unset), a known provider (CloudWatchAlarm, CodeBuild, Commands, DeploymentWindow, LambdaInvoke, VariableCheck) and version 1 (or unset).",
	Check: func(p *Pass) {
		eachConditionRule(p, func(i int, pc PlacedCondition, k int, r *ConditionRule) {
			path := lazyPath(func() Path { return ConditionRulePath(i, pc.Type, k).Attr("rule_type_id").Index(0) })
			id := r.RuleTypeID
			what := lazyString(func() string { return describeRule(p.Pipeline, i, pc, r) })
			if IsKnown(id.Category) && id.Category != RuleCategoryRule {
				p.Reportf(path().Attr("category"), fmt.Sprintf("Set category = %q.", RuleCategoryRule),
					"The category of %s is %q; every rule type's category is %q.", what(), id.Category, RuleCategoryRule)
			}
			if id.Owner != "" && IsKnown(id.Owner) && id.Owner != RuleOwnerAWS {
				p.Reportf(path().Attr("owner"), fmt.Sprintf("Set owner = %q, or leave it unset.", RuleOwnerAWS),
					"The owner of %s is %q; rule types are owned by %s.", what(), id.Owner, quotedOr(RuleOwners))
			}
			if IsKnown(id.Provider) {
				if _, ok := LookupRuleType(RuleTypeID{Category: RuleCategoryRule, Provider: id.Provider}); !ok {
					p.Reportf(path().Attr("provider"), fmt.Sprintf("Use one of %s.", quotedList(RuleProviders())),
						"The provider of %s is %q, which is not a CodePipeline rule type.", what(), id.Provider)
				}
			}
			if id.Version != "" && IsKnown(id.Version) && id.Version != RuleVersion1 {
				p.Reportf(path().Attr("version"), fmt.Sprintf("Set version = %q, or leave it unset.", RuleVersion1),
					"The version of %s is %q; every rule type has version %q.", what(), id.Version, RuleVersion1)
			}
		})
	},
})

// knownRuleType returns the table entry of r's type when its category, owner and provider are
// known and valid.
func knownRuleType(r *ConditionRule) (*RuleType, bool) {
	id := r.RuleTypeID
	if !IsKnown(id.Category) || !IsKnown(id.Owner) || !IsKnown(id.Provider) {
		return nil, false
	}
	return LookupRuleType(id)
}

var _ = register(&Rule{
	ID: "condition-rule-config", Severity: SeverityError, Where: AtPlan | AtApply,
	Title: "Condition Rule Configuration Is Not Valid",
	Doc: "A rule has the configuration its type requires with valid values (a VariableCheck operator, a DeploymentWindow cron expression and time zone), " +
		"commands only and always when it is a Commands rule, at most 200 configuration entries of 1–50 character keys and 1–10000 character values, " +
		"at most 5 input artifacts, and a timeout of 5 to 86400 minutes.",
	Check: func(p *Pass) {
		eachConditionRule(p, func(i int, pc PlacedCondition, k int, r *ConditionRule) {
			// The path and the description are made only for a report: most rules have none.
			rp := func() Path { return ConditionRulePath(i, pc.Type, k) }
			what := func() string { return describeRule(p.Pipeline, i, pc, r) }
			checkRuleConfigSize(p, rp, what, r)
			if !r.IsUnknown("input_artifacts") && len(r.InputArtifacts) > MaxRuleInputArtifacts {
				p.Reportf(rp().Attr("input_artifacts"), fmt.Sprintf("Give the rule at most %d input artifacts.", MaxRuleInputArtifacts),
					"%s has %d input artifacts; a rule reads at most %d.", capitalize(what()), len(r.InputArtifacts), MaxRuleInputArtifacts)
			}
			if t := r.TimeoutInMinutes; t != 0 && t != UnknownInt && (t < MinRuleTimeout || t > MaxRuleTimeout) {
				p.Reportf(rp().Attr("timeout_in_minutes"), fmt.Sprintf("Set timeout_in_minutes from %d to %d, or leave it unset.", MinRuleTimeout, MaxRuleTimeout),
					"%s has timeout_in_minutes %d; CodePipeline accepts %d to %d.", capitalize(what()), t, MinRuleTimeout, MaxRuleTimeout)
			}
			rt, ok := knownRuleType(r)
			if !ok {
				return
			}
			if !r.IsUnknown("commands") {
				switch {
				case rt.Commands && len(r.Commands) == 0:
					p.Reportf(rp().Attr("commands"), `Add commands = ["..."]: the shell commands the rule runs.`,
						"%s is a Commands rule without commands.", capitalize(what()))
				case !rt.Commands && len(r.Commands) > 0:
					p.Reportf(rp().Attr("commands"), "Remove commands, or make the rule a Commands rule.",
						"%s is a %s rule, which runs no commands; only Commands rules take commands.", capitalize(what()), rt.Provider)
				case rt.Commands:
					checkCommandList(p, rp().Attr("commands"), what(), r.Commands)
				}
			}
			if r.IsUnknown("configuration") {
				return
			}
			for _, key := range rt.Required() {
				if v, present := r.Configuration[key]; !present || v == "" {
					p.Reportf(rp().Attr("configuration"), fmt.Sprintf("Set configuration[%q].", key),
						"%s has no configuration %q; every %s rule needs it (%s).", capitalize(what()), key, rt.Provider, ruleKeyDoc(rt, key))
				}
			}
			checkRuleValues(p, rp, what, rt, r.Configuration)
		})
	},
})

// checkRuleConfigSize checks the number and the lengths of a rule's configuration entries.
func checkRuleConfigSize(p *Pass, rp func() Path, what func() string, r *ConditionRule) {
	if r.IsUnknown("configuration") {
		return
	}
	if n := len(r.Configuration); n > MaxRuleConfigEntries {
		p.Reportf(rp().Attr("configuration"), "Remove configuration entries.",
			"%s has %d configuration entries; CodePipeline accepts at most %d.", capitalize(what()), n, MaxRuleConfigEntries)
	}
	keys := make([]string, 0, len(r.Configuration))
	for key := range r.Configuration {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if IsKnown(key) {
			if prob := lengthProblem(key, MaxRuleConfigKeyLength); prob != "" {
				p.Reportf(rp().Attr("configuration").Key(key), "Use the configuration key the rule type documents.", "Configuration key %q of %s %s.", key, what(), prob)
			}
		}
		if v := r.Configuration[key]; IsKnown(v) {
			if prob := lengthProblem(v, MaxRuleConfigValueLength); prob != "" {
				p.Reportf(rp().Attr("configuration").Key(key), fmt.Sprintf("Give the key a value of 1 to %d characters, or remove it.", MaxRuleConfigValueLength),
					"The value of configuration key %q of %s %s.", key, what(), prob)
			}
		}
	}
}

// checkRuleValues checks the values the rule type gives a meaning to.
func checkRuleValues(p *Pass, rpath func() Path, describe func() string, rt *RuleType, cfg map[string]string) {
	rp := lazyPath(rpath)
	what := lazyString(describe)
	known := func(key string) (string, bool) {
		v, ok := cfg[key]
		return v, ok && v != "" && IsKnown(v)
	}
	switch rt.Provider {
	case RuleVariableCheck:
		if op, ok := known("Operator"); ok && !slices.Contains(VariableCheckOperators, op) {
			p.Reportf(rp().Attr("configuration").Key("Operator"), fmt.Sprintf("Use %s.", quotedOr(VariableCheckOperators)),
				"%s has Operator %q; VariableCheck compares with EQ (equals), CONTAINS (has the value as a substring), MATCHES (matches the value as a regular expression) or NE (not equal).",
				capitalize(what()), op)
		}
	case RuleDeploymentWindow:
		if c, ok := known("Cron"); ok {
			if _, err := ParseCron(c); err != nil {
				p.Reportf(rp().Attr("configuration").Key("Cron"),
					`Write the window as seconds minutes hours day-of-month month day-of-week [year], with ? in one of the two day fields: for example "* * 9-16 ? * MON-FRI" for 9:00 to 16:59 on weekdays.`,
					"The Cron of %s %s.", what(), err.Error())
			}
		}
		if tz, ok := known("TimeZone"); ok {
			if _, err := LoadTimeZone(tz); err != nil {
				p.Reportf(rp().Attr("configuration").Key("TimeZone"), `Name an IANA time zone such as "UTC", "Europe/Paris" or "America/New_York".`,
					"The TimeZone of %s: %s.", what(), err.Error())
			}
		}
	case RuleCloudWatchAlarm:
		if w, ok := known("WaitTime"); ok {
			if n, err := strconv.Atoi(w); err != nil || n < 0 {
				p.Reportf(rp().Attr("configuration").Key("WaitTime"), "Give WaitTime as a whole number of minutes.",
					"The WaitTime of %s is %q, not a number of minutes.", what(), w)
			}
		}
		if s, ok := known("AlarmStates"); ok {
			var bad []string
			for _, st := range strings.Split(s, ",") {
				if st = strings.TrimSpace(st); !slices.Contains(AlarmStates, st) {
					bad = append(bad, strconv.Quote(st))
				}
			}
			if len(bad) > 0 {
				p.Reportf(rp().Attr("configuration").Key("AlarmStates"), fmt.Sprintf("List alarm states among %s, separated by commas.", quotedList(AlarmStates)),
					"The AlarmStates of %s name %s, which are not CloudWatch alarm states.", what(), strings.Join(bad, ", "))
			}
		}
	}
}

// lazyPath and lazyString compute a value once, when first asked for.
func lazyPath(f func() Path) func() Path {
	var p Path
	return func() Path {
		if p == nil {
			p = f()
		}
		return p
	}
}

func lazyString(f func() string) func() string {
	var s string
	done := false
	return func() string {
		if !done {
			s, done = f(), true
		}
		return s
	}
}

// ruleKeyDoc returns the table's doc line of a rule type's configuration key.
func ruleKeyDoc(rt *RuleType, key string) string {
	for _, k := range rt.Config {
		if k.Name == key {
			return strings.TrimSuffix(strings.ToLower(k.Doc[:1])+k.Doc[1:], ".")
		}
	}
	return key
}

// checkCommandList checks a list of shell commands against CodePipeline's limits: 1 to 50
// commands of 1 to 1000 characters, none of them spanning lines.
func checkCommandList(p *Pass, path Path, what string, commands []string) {
	if len(commands) > MaxCommands {
		p.Reportf(path, "Move the commands into a script in the input artifact and run that.",
			"%s has %d commands; CodePipeline accepts 1 to %d.", capitalize(what), len(commands), MaxCommands)
	}
	for n, c := range commands {
		if !IsKnown(c) {
			continue
		}
		if prob := lengthProblem(c, MaxCommandLength); prob != "" {
			p.Reportf(path.Index(n), "Shorten the command, or move it into a script in the input artifact.",
				"Command %d of %s %s.", n, what, prob)
		}
		if strings.ContainsAny(c, "\r\n") {
			p.Reportf(path.Index(n), "Give each line its own list element (the commands run one after another in one shell).",
				"Command %d of %s spans several lines; CodePipeline runs commands of one line (multi-line formats are not supported).", n, what)
		}
	}
}

var _ = register(&Rule{
	ID: "condition-rule-inputs", Severity: SeverityError, Where: AtPlan,
	Needs: PartStages,
	Title: "Condition Rule Input Must Be Produced Before",
	Doc:   "Every input artifact of a rule is the output of an action of an earlier stage, or, for an on_success or on_failure rule, of the stage itself.",
	Check: func(p *Pass) {
		pl := p.Pipeline
		eachConditionRule(p, func(i int, pc PlacedCondition, k int, r *ConditionRule) {
			for n, in := range r.InputArtifacts {
				if !IsKnown(in) {
					continue
				}
				path := func() Path { return ConditionRulePath(i, pc.Type, k).Attr("input_artifacts").Index(n) } // built only for a report
				prods := p.Index.Producers[in]
				if len(prods) == 0 {
					p.Reportf(path(), "Name an output artifact of an earlier stage's action.",
						"Input artifact %q of %s is not produced by any action of the pipeline.", in, describeRule(pl, i, pc, r))
					continue
				}
				prod := prods[0]
				if prod.Stage < i || prod.Stage == i && pc.Type != ConditionBeforeEntry {
					continue
				}
				why := "a before_entry rule runs before the stage's actions, so it can only read artifacts of earlier stages"
				if prod.Stage > i {
					why = "that stage runs later"
				}
				p.Reportf(path(), "Read an artifact of an earlier stage, or move the rule to the on_success condition.",
					"Input artifact %q of %s is produced by %s: %s.", in, describeRule(pl, i, pc, r), describeAction(pl, prod), why)
			}
		})
	},
})
