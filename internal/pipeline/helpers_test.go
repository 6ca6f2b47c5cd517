package pipeline

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// validPipeline returns a small pipeline that passes every rule: a CodeCommit source, a
// CodeBuild build and an S3 deploy, in the account 111111111111.
func validPipeline() *Pipeline {
	return &Pipeline{
		Name:    "app",
		RoleARN: "arn:aws:iam::111111111111:role/pipeline",
		ArtifactStores: []ArtifactStoreRef{{
			Location: "app-artifacts", Type: "S3",
		}},
		Stages: []Stage{
			{Name: "Source", Actions: []Action{{
				Name: "Checkout", Category: CategorySource, Owner: OwnerAWS, Provider: "CodeCommit", Version: "1",
				Configuration:   map[string]string{"RepositoryName": "app", "BranchName": "main"},
				OutputArtifacts: []string{"src"},
			}}},
			{Name: "Build", Actions: []Action{{
				Name: "Compile", Category: CategoryBuild, Owner: OwnerAWS, Provider: "CodeBuild", Version: "1",
				Configuration:   map[string]string{"ProjectName": "app"},
				InputArtifacts:  []string{"src"},
				OutputArtifacts: []string{"bin"},
			}}},
			{Name: "Deploy", Actions: []Action{{
				Name: "Upload", Category: CategoryDeploy, Owner: OwnerAWS, Provider: "S3", Version: "1",
				Configuration:  map[string]string{"BucketName": "site", "Extract": "true"},
				InputArtifacts: []string{"bin"},
			}}},
		},
	}
}

// got is a finding reduced to what rule tests assert: rule, severity and path.
type got struct {
	Rule     string
	Severity Severity
	Path     string
}

// findingsOf runs only rule id over in and reduces the findings.
func findingsOf(in Input, id string) []got {
	var out []got
	for _, f := range ValidateWith(in, Options{Only: []string{id}}) {
		out = append(out, got{f.Rule, f.Severity, f.Path.String()})
	}
	return out
}

// ruleCase is one row of a rule's table test: mutate a valid input, expect these findings of
// the rule under test (none for a passing case).
type ruleCase struct {
	name   string
	mutate func(in *Input)
	want   []got
}

// runRuleCases runs the cases of rule id, each from a fresh input holding validPipeline().
func runRuleCases(t *testing.T, id string, cases []ruleCase) {
	t.Helper()
	if _, ok := Lookup(id); !ok {
		t.Fatalf("rule %q is not in the catalogue", id)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Pipeline: validPipeline(), Facts: Facts{AccountID: "111111111111"}}
			if tc.mutate != nil {
				tc.mutate(&in)
			}
			if diff := cmp.Diff(tc.want, findingsOf(in, id)); diff != "" {
				t.Errorf("findings of %s (-want +got):\n%s", id, diff)
			}
		})
	}
}

// errAt is the expected error finding of rule id at path.
func errAt(id, path string) got { return got{id, SeverityError, path} }

// warnAt is the expected warning finding of rule id at path.
func warnAt(id, path string) got { return got{id, SeverityWarning, path} }

// addStage appends a stage with the given actions.
func addStage(p *Pipeline, name string, actions ...Action) {
	p.Stages = append(p.Stages, Stage{Name: name, Actions: actions})
}
