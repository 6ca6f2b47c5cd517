package pipeline

var _ = register(&Rule{
	ID: "stage-count", Severity: SeverityError, Where: AtPlan,
	Needs: PartStages,
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

var _ = register(&Rule{
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

var _ = register(&Rule{
	ID: "stage-actions", Severity: SeverityError, Where: AtPlan,
	Needs: PartStages,
	Title: "Stage Needs 1 To 50 Actions",
	Doc:   "Each stage has from 1 to 50 actions.",
	Check: func(p *Pass) {
		if p.Pipeline == nil {
			return
		}
		for i, s := range p.Pipeline.Stages {
			if n := len(s.Actions); n < 1 || n > 50 {
				p.Reportf(StagePath(i).Attr("action"), "Give the stage at least one action and at most 50; split a larger stage in two.",
					"Stage %q has %d action(s); CodePipeline accepts 1 to 50 per stage.", s.Name, n)
			}
		}
	},
})

var _ = register(&Rule{
	ID: "action-unique", Severity: SeverityError, Where: AtPlan,
	Title: "Action Names Must Be Unique In A Stage",
	Doc:   "Action names are unique within a stage.",
	Check: func(p *Pass) {
		if p.Pipeline == nil {
			return
		}
		for i, s := range p.Pipeline.Stages {
			first := map[string]int{}
			for j, a := range s.Actions {
				if !IsKnown(a.Name) {
					continue
				}
				if prev, dup := first[a.Name]; dup {
					p.Reportf(ActionPath(i, j).Attr("name"), "Rename one of the two actions.",
						"Action name %q is already used by action %d of stage %q.", a.Name, prev, s.Name)
					continue
				}
				first[a.Name] = j
			}
		}
	},
})

// sourceKind tells whether a is a Source action; known is false when its category is unknown
// or unset (the action-type rule reports an unset one), so rules do not guess.
func sourceKind(a *Action) (source, known bool) {
	if !IsKnown(a.Category) || a.Category == "" {
		return false, false
	}
	return a.Category == CategorySource, true
}

var _ = register(&Rule{
	ID: "first-stage-source", Severity: SeverityError, Where: AtPlan,
	Needs: PartStages,
	Title: "First Stage Must Hold Only Source Actions",
	Doc:   "The first stage holds only Source actions, and at least one.",
	Check: func(p *Pass) {
		if p.Pipeline == nil || len(p.Pipeline.Stages) == 0 {
			return
		}
		st := &p.Pipeline.Stages[0]
		sources, undecided := 0, false
		for j := range st.Actions {
			a := &st.Actions[j]
			switch src, known := sourceKind(a); {
			case !known:
				undecided = true
			case src:
				sources++
			default:
				p.Reportf(ActionPath(0, j).Attr("category"), "Move the action to a later stage; the first stage only fetches sources.",
					"Action %q in the first stage %q has category %q; the first stage may hold only Source actions.", a.Name, st.Name, a.Category)
			}
		}
		// Each action is reported above; the missing source is a separate fix, so it is
		// reported too, unless an unknown category might still be Source.
		if sources == 0 && !undecided {
			p.Reportf(StagePath(0), "Add a Source action (for example CodeCommit, S3 or CodeStarSourceConnection) to the first stage.",
				"The first stage %q has no Source action; every pipeline starts with a stage of Source actions.", st.Name)
		}
	},
})

var _ = register(&Rule{
	ID: "source-first-only", Severity: SeverityError, Where: AtPlan,
	Title: "Source Actions Only In The First Stage",
	Doc:   "Source actions appear only in the first stage.",
	Check: func(p *Pass) {
		if p.Pipeline == nil {
			return
		}
		for i := 1; i < len(p.Pipeline.Stages); i++ {
			st := &p.Pipeline.Stages[i]
			for j := range st.Actions {
				a := &st.Actions[j]
				if src, _ := sourceKind(a); src {
					p.Reportf(ActionPath(i, j).Attr("category"), "Move the Source action into the first stage.",
						"Source action %q is in stage %q (stage %d); Source actions may appear only in the first stage.", a.Name, st.Name, i)
				}
			}
		}
	},
})

var _ = register(&Rule{
	ID: "needs-non-source", Severity: SeverityError, Where: AtPlan,
	Needs: PartStages,
	Title: "Pipeline Needs A Non-Source Action",
	Doc:   "At least one action in the pipeline is not a Source action.",
	Check: func(p *Pass) {
		if p.Pipeline == nil {
			return
		}
		for i := range p.Pipeline.Stages {
			for j := range p.Pipeline.Stages[i].Actions {
				// A non-Source action, or one whose category is not known yet, settles it.
				if src, known := sourceKind(&p.Pipeline.Stages[i].Actions[j]); !src || !known {
					return
				}
			}
		}
		p.Report(Root("stage"), "The pipeline has no action besides Source actions; it needs at least one action of another category to do anything with them.",
			"Add a stage with a Build, Test, Deploy, Invoke, Approval or Compute action.")
	},
})

var _ = register(&Rule{
	ID: "run-order", Severity: SeverityError, Where: AtPlan,
	Title: "Run Order Must Be 1 To 999",
	Doc:   "An action's run_order is an integer from 1 to 999; left out, it is 1 (an explicit 0 is an error).",
	Check: func(p *Pass) {
		if p.Pipeline == nil {
			return
		}
		for i := range p.Pipeline.Stages {
			for j, a := range p.Pipeline.Stages[i].Actions {
				// An absent run_order is 1; an explicit 0 is not. UnknownInt is decided at apply.
				unset := a.RunOrder == 0 && !a.RunOrderSet
				if unset || a.RunOrder == UnknownInt || (a.RunOrder >= 1 && a.RunOrder <= 999) {
					continue
				}
				p.Reportf(ActionPath(i, j).Attr("run_order"), "Set run_order between 1 and 999, or leave it unset for 1.",
					"Action %q has run_order %d; CodePipeline accepts 1 to 999.", a.Name, a.RunOrder)
			}
		}
	},
})
