package pipeline

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWhereSelectsTheRulesOfAPhase: a phase runs the rules of its own and of every earlier
// phase; a rule of a later phase only waits for it.
func TestWhereSelectsTheRulesOfAPhase(t *testing.T) {
	report := func(p *Pass) { p.Report(Root("x"), "m", "f") }
	rules := []*Rule{
		{ID: "plan-only", Where: AtPlan, Check: report},
		{ID: "apply-only", Where: AtApply, Check: report},
		{ID: "run-only", Where: AtRun, Check: report},
		{ID: "plan-and-run", Where: AtPlan | AtRun, Check: report},
	}
	want := map[Where][]string{
		AtPlan:  {"plan-only", "plan-and-run"},
		AtApply: {"plan-only", "apply-only", "plan-and-run"},
		AtRun:   {"plan-only", "apply-only", "run-only", "plan-and-run"},
		0:       {"plan-only", "apply-only", "run-only", "plan-and-run"}, // no phase: every rule (codepipeline check)
	}
	for at, ids := range want {
		var got []string
		for _, f := range validate(rules, Input{}, Options{At: at}) {
			got = append(got, f.Rule)
		}
		if diff := cmp.Diff(ids, got); diff != "" {
			t.Errorf("phase %q (-want +got):\n%s", at, diff)
		}
	}
	if got := (AtPlan | AtRun).String(); got != "plan, run" {
		t.Errorf("Where.String = %q", got)
	}
}

// TestEveryRuleHasAPhase: a rule without one would never run in the provider.
func TestEveryRuleHasAPhase(t *testing.T) {
	for _, r := range Rules() {
		if r.Where == 0 || r.Where&^(AtPlan|AtApply|AtRun) != 0 {
			t.Errorf("rule %s: Where = %d", r.ID, r.Where)
		}
	}
}

// TestFactFindingsAreWhatTheFactsAdd: ModifyPlan reports what the backend's facts add to
// what ValidateConfig reported without them, and nothing twice.
func TestFactFindingsAreWhatTheFactsAdd(t *testing.T) {
	p := &Pipeline{
		Name: "p", RoleARN: "arn:aws:iam::111111111111:role/pipeline",
		ArtifactStores: []ArtifactStoreRef{{Location: "unversioned", Type: "S3"}},
		Stages: []Stage{
			{Name: "Source", Actions: []Action{{Name: "Fetch", Category: CategorySource, Owner: OwnerAWS, Provider: "S3", Version: "1",
				Configuration: map[string]string{"S3Bucket": "b", "S3ObjectKey": "k"}, OutputArtifacts: []string{"src"}}}},
			{Name: "Build", Actions: []Action{{Name: "Make", Category: CategoryBuild, Owner: OwnerAWS, Provider: "CodeBuild", Version: "1",
				InputArtifacts: []string{"missing"}, Configuration: map[string]string{"ProjectName": "x"}}}},
		},
	}
	offline := ValidateWith(Input{Pipeline: p}, Options{At: AtPlan})
	facts := Facts{AccountID: "111111111111", Region: "us-east-1",
		Stores: map[string]*ArtifactStore{"unversioned": {Bucket: "unversioned", AccountID: "111111111111", Region: "us-east-1"}}}
	added := FactFindings(Input{Pipeline: p, Facts: facts}, AtPlan)
	var offlineIDs, addedIDs []string
	for _, f := range offline {
		offlineIDs = append(offlineIDs, f.Rule)
	}
	for _, f := range added {
		addedIDs = append(addedIDs, f.Rule)
	}
	if diff := cmp.Diff([]string{"artifact-produced-before"}, offlineIDs); diff != "" {
		t.Errorf("offline findings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"store-versioning"}, addedIDs); diff != "" {
		t.Errorf("what the facts add (-want +got):\n%s", diff)
	}
}

// TestIncompleteParts checks that a part known only after apply silences the rules that need
// it whole, and only those: the same pipeline with the part complete fails them.
func TestIncompleteParts(t *testing.T) {
	cases := []struct {
		name   string
		part   Parts
		mutate func(p *Pipeline)
		rules  []string // the rules that fail when the part is complete
	}{
		{
			name:   "stages of a dynamic block",
			part:   PartStages,
			mutate: func(p *Pipeline) { p.Stages = nil },
			rules:  []string{"needs-non-source", "stage-count"},
		},
		{
			name: "actions of a stage from a dynamic block",
			part: PartStages,
			mutate: func(p *Pipeline) {
				p.Stages[0].Actions = nil // the source action: the build's input is not produced
				p.Stages[2].Actions = nil
			},
			rules: []string{"artifact-produced-before", "first-stage-source", "stage-actions"},
		},
		{
			name:   "artifact stores of a dynamic block",
			part:   PartArtifactStores,
			mutate: func(p *Pipeline) { p.ArtifactStores = nil },
			rules:  []string{"store-region"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := validPipeline()
			tc.mutate(p)
			complete := ruleIDs(Validate(Input{Pipeline: p}))
			if diff := cmp.Diff(tc.rules, complete); diff != "" {
				t.Fatalf("rules failing with the part complete (-want +got):\n%s", diff)
			}
			p.Incomplete = tc.part
			if got := ruleIDs(Validate(Input{Pipeline: p})); len(got) != 0 {
				t.Errorf("rules failing with the part incomplete: %v, want none", got)
			}
		})
	}
}

// TestNeedsNamesParts checks that a rule's Needs only names parts that exist.
func TestNeedsNamesParts(t *testing.T) {
	all := PartStages | PartArtifactStores | PartTriggers | PartVariables
	for _, r := range Rules() {
		if r.Needs&^all != 0 {
			t.Errorf("rule %s needs unknown parts %b", r.ID, r.Needs&^all)
		}
	}
}

func ruleIDs(fs []Finding) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range fs {
		if !seen[f.Rule] {
			seen[f.Rule] = true
			out = append(out, f.Rule)
		}
	}
	return out
}
