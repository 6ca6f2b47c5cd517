package graph

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func act(name, category, provider string, runOrder int, in, out []string) pipeline.Action {
	return pipeline.Action{Name: name, Category: category, Owner: "AWS", Provider: provider, Version: "1",
		RunOrder: runOrder, InputArtifacts: in, OutputArtifacts: out}
}

// quickstart is the shape of examples/quickstart: source → build → two tests in parallel → deploy.
func quickstart() *pipeline.Pipeline {
	return &pipeline.Pipeline{
		Name: "quickstart", RoleARN: "arn:aws:iam::111111111111:role/quickstart-pipeline",
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "quickstart-artifacts", Type: "S3"}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{act("Checkout", "Source", "CodeCommit", 0, nil, []string{"source"})}},
			{Name: "Build", Actions: []pipeline.Action{act("Build", "Build", "CodeBuild", 0, []string{"source"}, []string{"site"})}},
			{Name: "Test", Actions: []pipeline.Action{
				act("Html", "Test", "CodeBuild", 1, []string{"site"}, nil),
				act("Content", "Test", "CodeBuild", 1, []string{"site"}, nil),
			}},
			{Name: "Deploy", Actions: []pipeline.Action{act("Publish", "Deploy", "S3", 0, []string{"site"}, nil)}},
		},
	}
}

// crossAccount has groups in sequence inside a stage, a group wider than a row, an input of the
// same stage, and a deploy acting as a role of another account.
func crossAccount() *pipeline.Pipeline {
	deploy := act("Prod", "Deploy", "S3", 2, []string{"site"}, nil)
	deploy.RoleARN = "arn:aws:iam::222222222222:role/deployer"
	wide := []pipeline.Action{act("Package", "Build", "CodeBuild", 1, []string{"src"}, []string{"site", "docs"})}
	for i := range 5 {
		wide = append(wide, act(fmt.Sprintf("Check%d", i), "Test", "CodeBuild", 2, []string{"site"}, nil))
	}
	wide = append(wide, act("Docs", "Build", "CodeBuild", 3, []string{"docs"}, []string{"docsite"}))
	return &pipeline.Pipeline{
		Name: "xacct", RoleARN: "arn:aws:iam::111111111111:role/pipeline",
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "xacct-artifacts", Type: "S3",
			EncryptionKey: &pipeline.EncryptionKey{ID: "arn:aws:kms:us-east-1:111111111111:key/1234", Type: "KMS"}}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{act("Fetch", "Source", "S3", 0, nil, []string{"src"})}},
			{Name: "Build", Actions: wide},
			{Name: "Approve", Actions: []pipeline.Action{act("Gate", "Approval", "Manual", 0, nil, nil)}},
			{Name: "Deploy", Actions: []pipeline.Action{act("Staging", "Deploy", "S3", 1, []string{"site"}, nil), deploy}},
		},
	}
}

func TestStagesLeftToRightGroupsTopToBottomParallelSideBySide(t *testing.T) {
	d := Layout(quickstart())
	for i := 1; i < len(d.Stages); i++ {
		if prev, cur := d.Stages[i-1].Box, d.Stages[i].Box; cur.X < prev.Right() {
			t.Errorf("stage %s starts at x=%v, before stage %s ends (%v)", d.Stages[i].Name, cur.X, d.Stages[i-1].Name, prev.Right())
		}
	}
	test := d.Stages[2].Groups
	if len(test) != 1 || len(test[0].Actions) != 2 {
		t.Fatalf("Test stage groups = %+v, want one group of two", test)
	}
	html, content := test[0].Actions[0].Box, test[0].Actions[1].Box
	if html.Y != content.Y || content.X < html.Right() {
		t.Errorf("parallel actions not side by side: Html %+v, Content %+v", html, content)
	}

	d = Layout(crossAccount())
	build := d.Stages[1].Groups
	if len(build) != 3 {
		t.Fatalf("Build stage has %d groups, want 3 (run orders 1, 2, 3)", len(build))
	}
	for i := 1; i < len(build); i++ {
		if build[i].Actions[0].Box.Y <= build[i-1].Actions[len(build[i-1].Actions)-1].Box.Bottom() {
			t.Errorf("group run order %d does not come below group %d", build[i].RunOrder, build[i-1].RunOrder)
		}
	}
	checks := build[1].Actions
	if len(checks) != 5 {
		t.Fatalf("run order 2 has %d actions", len(checks))
	}
	// Five in parallel: a row of MaxSideBySide, then the rest below, all inside the group's outline.
	for k := 1; k < MaxSideBySide; k++ {
		if checks[k].Box.Y != checks[0].Box.Y || checks[k].Box.X < checks[k-1].Box.Right() {
			t.Errorf("Check%d is not beside Check%d: %+v, %+v", k, k-1, checks[k].Box, checks[k-1].Box)
		}
	}
	if checks[MaxSideBySide].Box.Y <= checks[0].Box.Bottom() {
		t.Errorf("Check%d should wrap below the first row", MaxSideBySide)
	}
	for _, a := range checks {
		if !inside(a.Box, build[1].Box) {
			t.Errorf("%s %+v outside its group's outline %+v", a.Name, a.Box, build[1].Box)
		}
	}
	prod := d.action(pipeline.ActionRef{Stage: 3, Action: 1})
	if !prod.CrossAccount || prod.RoleARN == "" {
		t.Errorf("the deploy acting as account 222222222222's role is not marked cross-account: %+v", prod)
	}
}

// Every edge runs from its producer's bottom edge to its consumer's top edge, in horizontal
// and vertical segments, and crosses no action box on the way.
func TestEdgesRunBetweenActionsWithoutCrossingAny(t *testing.T) {
	for _, p := range []*pipeline.Pipeline{quickstart(), crossAccount()} {
		d := Layout(p)
		inputs := 0
		for _, s := range p.Stages {
			for _, a := range s.Actions {
				inputs += len(a.InputArtifacts)
			}
		}
		if len(d.Edges) != inputs {
			t.Errorf("%s: %d edges, want one per input (%d)", p.Name, len(d.Edges), inputs)
		}
		for _, e := range d.Edges {
			from, to := d.action(e.From), d.action(e.To)
			first, last := e.Route[0], e.Route[len(e.Route)-1]
			if first.Y != from.Box.Bottom() || first.X <= from.Box.X || first.X >= from.Box.Right() {
				t.Errorf("%s: edge %s does not leave %s through its bottom: %v", p.Name, e.Artifact, from.Name, first)
			}
			if last.Y != to.Box.Y || last.X <= to.Box.X || last.X >= to.Box.Right() {
				t.Errorf("%s: edge %s does not enter %s through its top: %v", p.Name, e.Artifact, to.Name, last)
			}
			for i := 1; i < len(e.Route); i++ {
				a, b := e.Route[i-1], e.Route[i]
				if a.X != b.X && a.Y != b.Y {
					t.Errorf("%s: edge %s has a slanted segment %v → %v", p.Name, e.Artifact, a, b)
				}
				for _, box := range d.Actions() {
					if crosses(a, b, box.Box) {
						t.Errorf("%s: edge %s (%s → %s) crosses %s: segment %v → %v", p.Name, e.Artifact, from.Name, to.Name, box.Name, a, b)
					}
				}
			}
		}
	}
}

// inside reports whether a lies in b.
func inside(a, b Rect) bool {
	return a.X >= b.X && a.Y >= b.Y && a.Right() <= b.Right() && a.Bottom() <= b.Bottom()
}

// crosses reports whether the axis-parallel segment a→b passes through the inside of box.
func crosses(a, b Point, box Rect) bool {
	minX, maxX := min(a.X, b.X), max(a.X, b.X)
	minY, maxY := min(a.Y, b.Y), max(a.Y, b.Y)
	return maxX > box.X && minX < box.Right() && maxY > box.Y && minY < box.Bottom()
}

func TestSVGIsWellFormedWithUniqueIDs(t *testing.T) {
	for _, standalone := range []bool{true, false} {
		var buf bytes.Buffer
		d := Layout(crossAccount())
		status := func(r pipeline.ActionRef) string { return map[int]string{0: "Succeeded", 1: "InProgress"}[r.Stage] }
		if err := d.SVG(&buf, SVGOptions{Standalone: standalone, ActionStatus: status}); err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(&buf)
		ids := map[string]bool{}
		styles := 0
		for {
			tok, err := dec.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("standalone=%v: not well-formed XML: %v", standalone, err)
				}
				break
			}
			if se, ok := tok.(xml.StartElement); ok {
				if se.Name.Local == "style" {
					styles++
				}
				for _, a := range se.Attr {
					if a.Name.Local == "id" {
						if ids[a.Value] {
							t.Errorf("duplicate id %q", a.Value)
						}
						ids[a.Value] = true
					}
				}
			}
		}
		if want := map[bool]int{true: 1, false: 0}[standalone]; styles != want {
			t.Errorf("standalone=%v: %d <style> elements, want %d", standalone, styles, want)
		}
		if !ids[ActionID(pipeline.ActionRef{Stage: 3, Action: 1})] {
			t.Errorf("no element for the Prod action")
		}
	}
}

// The quickstart's picture and DOT are golden: a change of layout shows in review.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		p      *pipeline.Pipeline
		render func(*Diagram, *bytes.Buffer) error
	}{
		{"quickstart.svg", quickstart(), func(d *Diagram, b *bytes.Buffer) error { return d.SVG(b, SVGOptions{Standalone: true}) }},
		{"quickstart.dot", quickstart(), func(d *Diagram, b *bytes.Buffer) error { return d.DOT(b) }},
		{"xacct.svg", crossAccount(), func(d *Diagram, b *bytes.Buffer) error { return d.SVG(b, SVGOptions{Standalone: true}) }},
		{"xacct.dot", crossAccount(), func(d *Diagram, b *bytes.Buffer) error { return d.DOT(b) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.render(Layout(tc.p), &buf); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s differs (-want +got; -update rewrites it):\n%s", tc.name, diff)
			}
		})
	}
}

func TestDOTEscapesNames(t *testing.T) {
	p := quickstart()
	p.Name = `we"ird\name`
	var buf bytes.Buffer
	if err := Layout(p).DOT(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `digraph "we\"ird\\name" {`) {
		t.Errorf("name not escaped:\n%s", buf.String())
	}
}

// A narrow pipeline's picture is as wide as its store's line, which is never cut.
func TestTheStoreLineFitsThePicture(t *testing.T) {
	p := &pipeline.Pipeline{Name: "one", ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "a-bucket-with-a-rather-long-name-artifacts", Type: "S3"}},
		Stages: []pipeline.Stage{{Name: "Source", Actions: []pipeline.Action{act("Fetch", "Source", "S3", 0, nil, []string{"src"})}}}}
	d := Layout(p)
	if need := 2*margin + float64(len([]rune(d.Stores[0].String())))*charWidth; d.Width < need {
		t.Errorf("picture %v wide, its store's line needs %v", d.Width, need)
	}
}
