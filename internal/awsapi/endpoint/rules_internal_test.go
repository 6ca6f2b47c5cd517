package endpoint

import (
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// TestStructureRulesExist: every rule CreatePipeline checks is in the catalogue (a renamed rule
// would otherwise stop being checked without a word).
func TestStructureRulesExist(t *testing.T) {
	for _, id := range structureRules {
		if _, ok := pipeline.Lookup(id); !ok {
			t.Errorf("structureRules names %q, which the catalogue does not have", id)
		}
	}
}
