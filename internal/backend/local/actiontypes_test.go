package local

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// TestLocalProvidersAreKnownActionTypes: every local provider is an action type the domain
// accepts, and ActionTypes lists each once.
func TestLocalProvidersAreKnownActionTypes(t *testing.T) {
	for id := range localProviders {
		if _, ok := pipeline.LookupActionType(id); !ok {
			t.Errorf("local provider %s is not an action type the rules accept", id)
		}
	}
	seen := map[pipeline.ActionTypeID]bool{}
	for _, id := range executedActionTypes() {
		if seen[id] || localProviders[id] == nil {
			t.Errorf("ActionTypes lists %s twice or without a provider", id)
		}
		seen[id] = true
	}
	if len(seen) != len(localProviders) {
		t.Errorf("ActionTypes lists %d types, %d local providers are registered", len(seen), len(localProviders))
	}
}

// TestGuideListsTheExecutedActionTypes: the local backend guide's table of action types
// executed locally is the list the executor has, no more, no less.
func TestGuideListsTheExecutedActionTypes(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "templates", "guides", "local-backend.md.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "### Action types executed locally")
	if !ok {
		t.Fatal("the guide has no section \"Action types executed locally\"")
	}
	var listed []pipeline.ActionTypeID
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.Contains(cells[1], " / ") {
			if len(listed) > 0 && strings.TrimSpace(line) == "" {
				break // the end of the table
			}
			continue
		}
		// "Build, Test / CodeBuild" or "Source / CodeCommit, Source / CodeStarSourceConnection".
		var categories []string
		for _, tok := range strings.Split(strings.TrimSpace(cells[1]), ", ") {
			cat, provider, found := strings.Cut(tok, " / ")
			categories = append(categories, cat)
			if found {
				for _, c := range categories {
					listed = append(listed, pipeline.ActionTypeID{Category: c, Owner: pipeline.OwnerAWS, Provider: provider})
				}
				categories = nil
			}
		}
	}
	key := func(ids []pipeline.ActionTypeID) []string {
		var out []string
		for _, id := range ids {
			out = append(out, id.String())
		}
		return out
	}
	var executed []pipeline.ActionTypeID
	for _, id := range executedActionTypes() {
		if id.Provider != benchNoopProvider { // registered by this package's benchmarks only
			executed = append(executed, id)
		}
	}
	if diff := cmp.Diff(key(executed), key(listed), cmp.Transformer("sort", func(in []string) []string {
		out := append([]string(nil), in...)
		sort.Strings(out)
		return out
	})); diff != "" {
		t.Errorf("templates/guides/local-backend.md.tmpl lists other action types than the executor runs (-executed +listed):\n%s", diff)
	}
}
