package pipeline

import (
	"fmt"
	"testing"
)

// withAllConditions gives every stage after the first an entry, a success and a failure
// condition of five rules each (a deployment window, variable checks, a Commands rule reading
// the stage's input), and an automatic retry: the most a pipeline can carry.
func withAllConditions(p *Pipeline) *Pipeline {
	for i := 1; i < len(p.Stages); i++ {
		in := p.Stages[i].Actions[0].InputArtifacts[0]
		rules := func() []ConditionRule {
			rs := []ConditionRule{{Name: "Window", RuleTypeID: RuleTypeID{Category: RuleCategoryRule, Provider: RuleDeploymentWindow},
				Configuration: map[string]string{"Cron": "* * 9-16 ? * MON-FRI", "TimeZone": "Europe/Paris"}}}
			for k := 0; k < 3; k++ {
				rs = append(rs, ConditionRule{Name: fmt.Sprintf("Check%d", k), RuleTypeID: RuleTypeID{Category: RuleCategoryRule, Provider: RuleVariableCheck},
					Configuration: map[string]string{"Variable": "#{variables.env}", "Operator": "EQ", "Value": "prod"}})
			}
			return append(rs, ConditionRule{Name: "Smoke", RuleTypeID: RuleTypeID{Category: RuleCategoryRule, Provider: RuleCommands},
				Commands: []string{"./smoke.sh"}, InputArtifacts: []string{in}})
		}
		p.Stages[i].BeforeEntry = &Condition{Result: ResultFail, Rules: rules()}
		p.Stages[i].OnSuccess = &Condition{Result: ResultRollback, Rules: rules()}
		p.Stages[i].OnFailure = &FailureConditions{Result: ResultRetry, RetryConfiguration: &RetryConfiguration{RetryMode: RetryAllActions},
			Condition: &Condition{Rules: rules()}}
	}
	return p
}

// BenchmarkValidateWithConditions is BenchmarkValidate's 50-stage pipeline with and without
// the conditions of withAllConditions (735 rules): what the rules of conditions add to a plan.
func BenchmarkValidateWithConditions(b *testing.B) {
	for _, with := range []bool{false, true} {
		name := "conditions=none"
		in := benchInput(50, 10)
		if with {
			name = "conditions=all"
			withAllConditions(in.Pipeline)
		}
		if fs := Validate(in); HasErrors(fs) {
			b.Fatalf("the benchmark pipeline is not valid: %v", fs)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				Validate(in)
			}
		})
	}
}
