package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/check"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// TestEveryRuleHasSnippet fails when a rule of the catalogue has no snippet (the guide would
// not list it) or a snippet names no rule (it was renamed or removed).
func TestEveryRuleHasSnippet(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range pipeline.Rules() {
		ids[r.ID] = true
		if _, ok := snippets[r.ID]; !ok {
			t.Errorf("rule %s has no snippet in snippets.go", r.ID)
		}
	}
	for id := range snippets {
		if !ids[id] {
			t.Errorf("snippet %s names no rule of the catalogue", id)
		}
	}
}

// runCheck runs the check engine over config as a .tf directory.
func runCheck(t *testing.T, config string) []check.Result {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	inv, err := check.ReadDir(dir)
	if err != nil {
		t.Fatalf("reading the configuration: %v\n%s", err, config)
	}
	rep, err := check.Check(inv, check.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep.Findings
}

// TestSnippets checks every snippet in its frame with the check engine: the bad one reports
// its rule, on one of the resource types the guide says enforce it; the fixed one reports
// nothing at all, so the guide never shows a fix that trips another rule.
func TestSnippets(t *testing.T) {
	for id, s := range snippets {
		t.Run(id, func(t *testing.T) {
			badConfig := s.Frame.Place(s.Bad)
			bad := runCheck(t, badConfig)
			var reported []string
			found := false
			for _, f := range bad {
				reported = append(reported, f.Rule)
				if f.Rule != id {
					continue
				}
				found = true
				typ := strings.Split(f.Resource, ".")[0]
				if len(s.Resources) > 0 && !slices.Contains(s.Resources, typ) && !strings.HasPrefix(typ, "aws_") {
					t.Errorf("bad snippet: %s reported on %s, which is not among the resources the guide lists (%v)", id, f.Resource, s.Resources)
				}
			}
			if !found {
				t.Errorf("bad snippet does not report %s; it reports %v", id, reported)
			}
			for _, f := range runCheck(t, s.Frame.Place(s.Fixed)) {
				t.Errorf("fixed snippet reports [%s] at %s %s: %s", f.Rule, f.Resource, f.Path, f.Message)
			}
		})
	}
}

// TestSnippetsAreFormatted keeps the snippets in terraform fmt's canonical form.
func TestSnippetsAreFormatted(t *testing.T) {
	for id, s := range snippets {
		for name, src := range map[string]string{"bad": s.Bad, "fixed": s.Fixed} {
			src = trimSnippet(src)
			if got := string(hclwrite.Format([]byte(src))); got != src {
				t.Errorf("%s %s snippet is not formatted; terraform fmt gives:\n%s", id, name, got)
			}
		}
	}
}

// TestResourcePagesListTheirRules keeps each resource page's list of rules (links to the
// guide) equal to the rules whose snippets name that resource.
func TestResourcePagesListTheirRules(t *testing.T) {
	want := map[string][]string{}
	for id, s := range snippets {
		for _, r := range s.Resources {
			want[r] = append(want[r], id)
		}
	}
	// A page lists its rules as the rows of its Rules table, each starting with the link.
	link := regexp.MustCompile("(?m)^\\| \\[`([a-z0-9-]+)`\\]\\(\\.\\./guides/rules\\.md#([a-z0-9-]+)\\)")
	for _, r := range []string{pipelineResource, storeResource, keyResource, "codepipeline_cross_account_role"} {
		file := filepath.Join("..", "..", "templates", "resources", strings.TrimPrefix(r, "codepipeline_")+".md.tmpl")
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range link.FindAllStringSubmatch(string(data), -1) {
			if m[1] != m[2] {
				t.Errorf("%s: the link text %s and its anchor #%s differ", file, m[1], m[2])
			}
			if !slices.Contains(got, m[1]) {
				got = append(got, m[1])
			}
		}
		sort.Strings(got)
		sort.Strings(want[r])
		if !slices.Equal(got, want[r]) {
			t.Errorf("%s links the rules %v; the snippets say it enforces %v", file, got, want[r])
		}
	}
}

// TestGuideIsCurrent fails when templates/guides/rules.md.tmpl differs from a fresh render:
// run make generate.
func TestGuideIsCurrent(t *testing.T) {
	want, err := render(pipeline.Rules())
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", "templates", "guides", "rules.md.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Error("templates/guides/rules.md.tmpl is out of date: run make generate")
	}
}
