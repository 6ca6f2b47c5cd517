package pipeline

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
