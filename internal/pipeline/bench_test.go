package pipeline

import (
	"fmt"
	"testing"
)

// benchPipeline builds a valid pipeline of stages × perStage actions, deterministically: the
// first stage holds CodeCommit sources, every later action is a CodeBuild build that reads the
// artifact of the action at its position in the previous stage and writes its own, so every
// input is looked up across stages. Odd actions run second in their stage and also read their
// left neighbour's output (a same-stage, lower run_order producer, with PrimarySource set).
func benchPipeline(stages, perStage int) *Pipeline {
	art := func(i, j int) string { return fmt.Sprintf("s%d_a%d", i, j) }
	p := &Pipeline{
		Name:           "bench",
		RoleARN:        "arn:aws:iam::111111111111:role/pipeline",
		ArtifactStores: []ArtifactStoreRef{{Location: "bench-artifacts", Type: "S3"}},
	}
	for i := 0; i < stages; i++ {
		s := Stage{Name: fmt.Sprintf("Stage%d", i)}
		for j := 0; j < perStage; j++ {
			a := Action{Name: fmt.Sprintf("Action%d", j), Version: "1", OutputArtifacts: []string{art(i, j)}}
			if i == 0 {
				a.Category, a.Owner, a.Provider = CategorySource, OwnerAWS, "CodeCommit"
				a.Configuration = map[string]string{"RepositoryName": fmt.Sprintf("repo%d", j), "BranchName": "main"}
			} else {
				a.Category, a.Owner, a.Provider = CategoryBuild, OwnerAWS, "CodeBuild"
				a.Configuration = map[string]string{"ProjectName": fmt.Sprintf("build%d", j)}
				a.InputArtifacts = []string{art(i-1, j)}
				if j%2 == 1 {
					a.RunOrder = 2
					a.InputArtifacts = append(a.InputArtifacts, art(i, j-1))
					a.Configuration["PrimarySource"] = art(i-1, j)
				}
			}
			s.Actions = append(s.Actions, a)
		}
		p.Stages = append(p.Stages, s)
	}
	return p
}

// benchSizes are the benchmarked shapes: stages × actions per stage.
var benchSizes = []struct {
	name             string
	stages, perStage int
}{
	{"actions=2", 2, 1},
	{"actions=50", 5, 10},
	{"actions=500", 10, 50},
	{"stages=50", 50, 10},
}

func benchInput(stages, perStage int) Input {
	return Input{Pipeline: benchPipeline(stages, perStage), Facts: Facts{AccountID: "111111111111"}}
}

func BenchmarkValidate(b *testing.B) {
	for _, size := range benchSizes {
		in := benchInput(size.stages, size.perStage)
		b.Run(size.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Validate(in)
			}
		})
	}
}

// TestBenchPipelinesValid keeps the benchmarks honest: they measure the path a valid pipeline
// takes, not the cost of reporting hundreds of findings.
func TestBenchPipelinesValid(t *testing.T) {
	for _, size := range benchSizes {
		if fs := Validate(benchInput(size.stages, size.perStage)); len(fs) > 0 {
			t.Errorf("%s: want no findings, got %d, first: %v", size.name, len(fs), fs[0])
		}
	}
}

// TestValidateScalesLinearly checks growth structurally: allocations are deterministic where
// time is not. Ten times the actions must cost well under a hundred times the allocations (a
// quadratic rule would), so the ratio is held under 20.
func TestValidateScalesLinearly(t *testing.T) {
	allocs := func(stages, perStage int) float64 {
		in := benchInput(stages, perStage)
		return testing.AllocsPerRun(3, func() { Validate(in) })
	}
	small := allocs(5, 10) // 50 actions
	for _, big := range []struct {
		name             string
		stages, perStage int
	}{{"10 stages x 50 actions", 10, 50}, {"50 stages x 10 actions", 50, 10}} {
		n := allocs(big.stages, big.perStage)
		if ratio := n / small; ratio > 20 {
			t.Errorf("%s: %.0f allocations against %.0f for 50 actions (%.1fx); want under 20x for 10x the actions", big.name, n, small, ratio)
		} else {
			t.Logf("%s: %.0f allocations against %.0f for 50 actions (%.1fx)", big.name, n, small, ratio)
		}
	}
}
