package pipeline

var ruleStageCount = register(&Rule{
	ID: "stage-count", Severity: SeverityError, Where: AtPlan,
	Title: "Pipeline Needs 2 To 50 Stages",
	Doc:   "A pipeline has from 2 to 50 stages.",
	Check: func(p *Pass) {
		if p.Pipeline == nil {
			return
		}
		if n := len(p.Pipeline.Stages); n < 2 || n > 50 {
			p.Reportf(Root("stage"), "Give the pipeline at least a source stage and one more stage, and at most 50 stages.",
				"The pipeline has %d stage(s); CodePipeline accepts 2 to 50.", n)
		}
	},
})

var ruleStageUnique = register(&Rule{
	ID: "stage-unique", Severity: SeverityError, Where: AtPlan,
	Title: "Stage Names Must Be Unique",
	Doc:   "Stage names are unique in the pipeline.",
	Check: func(p *Pass) {
		if p.Pipeline == nil {
			return
		}
		first := map[string]int{}
		for i, s := range p.Pipeline.Stages {
			if !IsKnown(s.Name) {
				continue
			}
			if prev, dup := first[s.Name]; dup {
				p.Reportf(StagePath(i).Attr("name"), "Rename one of the two stages.",
					"Stage name %q is already used by stage %d.", s.Name, prev)
				continue
			}
			first[s.Name] = i
		}
	},
})
