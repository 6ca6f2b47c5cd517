package pipeline

import "fmt"

// actionAt returns the action r refers to in pl.
func actionAt(pl *Pipeline, r ActionRef) *Action { return &pl.Stages[r.Stage].Actions[r.Action] }

// describeAction names the action r refers to for a message: action "Compile" in stage "Build".
func describeAction(pl *Pipeline, r ActionRef) string {
	return fmt.Sprintf("action %q in stage %q", actionAt(pl, r).Name, pl.Stages[r.Stage].Name)
}

var _ = register(&Rule{
	ID: "artifact-unique", Severity: SeverityError, Where: AtPlan,
	Title: "Output Artifact Names Must Be Unique",
	Doc:   "Every output artifact name is produced by exactly one action in the whole pipeline.",
	Check: func(p *Pass) {
		pl := p.Pipeline
		if pl == nil {
			return
		}
		for i := range pl.Stages {
			for j := range pl.Stages[i].Actions {
				ref := ActionRef{Stage: i, Action: j}
				var mine map[string]bool // this action's outputs so far, to catch a name listed twice
				for k, out := range actionAt(pl, ref).OutputArtifacts {
					if !IsKnown(out) {
						continue
					}
					path := func() Path { return ref.Path().Attr("output_artifacts").Index(k) } // built only for a report
					if prods := p.Index.Producers[out]; len(prods) > 0 && prods[0] != ref {
						p.Reportf(path(), "Rename one of the two outputs, and the inputs that consume it.",
							"Output artifact %q of %s is already produced by %s; each output artifact name is produced by exactly one action.",
							out, describeAction(pl, ref), describeAction(pl, prods[0]))
						continue
					}
					if mine[out] {
						p.Reportf(path(), "Remove the repeated name.",
							"Output artifact %q is listed twice by %s.", out, describeAction(pl, ref))
						continue
					}
					if mine == nil {
						mine = map[string]bool{}
					}
					mine[out] = true
				}
			}
		}
	},
})

// flow is the verdict on whether one action's output can be another action's input.
type flow int

const (
	flowOK           flow = iota // earlier stage, or lower run_order in the same stage
	flowUndecided                // same stage and a run_order is not known yet
	flowSelf                     // the action consumes its own output
	flowParallel                 // same stage, same run_order: the two run at once
	flowLaterInStage             // same stage, higher run_order
	flowLaterStage               // a later stage
)

// flowBetween says whether the output of action prod can feed action cons.
func flowBetween(pl *Pipeline, prod, cons ActionRef) flow {
	switch {
	case prod == cons:
		return flowSelf
	case prod.Stage < cons.Stage:
		return flowOK
	case prod.Stage > cons.Stage:
		return flowLaterStage
	}
	pa, ca := actionAt(pl, prod), actionAt(pl, cons)
	if pa.RunOrder == UnknownInt || ca.RunOrder == UnknownInt {
		return flowUndecided
	}
	switch po, co := pa.Order(), ca.Order(); {
	case po < co:
		return flowOK
	case po == co:
		return flowParallel
	default:
		return flowLaterInStage
	}
}

// hiddenProducers summarises the actions whose output names are not all known: any of them
// might produce any artifact, so an input they might feed cannot be judged. The summary keeps
// the check linear: per stage, how many there are and the lowest run order among them.
type hiddenProducers struct {
	firstStage int // the first stage holding one; -1 when there is none
	stages     map[int]*hiddenStage
}

type hiddenStage struct {
	count        int
	unknownOrder bool // one of them has an unknown run_order
	minOrder     int  // the lowest known effective run_order among them (0 when none known)
}

func hasHiddenOutputs(a *Action) bool {
	if a.IsUnknown("output_artifacts") {
		return true
	}
	for _, out := range a.OutputArtifacts {
		if !IsKnown(out) {
			return true
		}
	}
	return false
}

func newHiddenProducers(pl *Pipeline) hiddenProducers {
	h := hiddenProducers{firstStage: -1, stages: map[int]*hiddenStage{}}
	for i := range pl.Stages {
		for j := range pl.Stages[i].Actions {
			a := &pl.Stages[i].Actions[j]
			if !hasHiddenOutputs(a) {
				continue
			}
			if h.firstStage < 0 {
				h.firstStage = i
			}
			s := h.stages[i]
			if s == nil {
				s = &hiddenStage{}
				h.stages[i] = s
			}
			s.count++
			if a.RunOrder == UnknownInt {
				s.unknownOrder = true
			} else if s.minOrder == 0 || a.Order() < s.minOrder {
				s.minOrder = a.Order()
			}
		}
	}
	return h
}

// mayFeed reports whether some action with unknown outputs might run before action c (of pl).
func (h hiddenProducers) mayFeed(pl *Pipeline, c ActionRef) bool {
	if h.firstStage < 0 || h.firstStage > c.Stage {
		return false
	}
	if h.firstStage < c.Stage {
		return true
	}
	s := h.stages[c.Stage]
	if s == nil {
		return false
	}
	a := actionAt(pl, c)
	if a.RunOrder == UnknownInt {
		others := s.count
		if hasHiddenOutputs(a) {
			others-- // an action never feeds itself
		}
		return others > 0
	}
	return s.unknownOrder || (s.minOrder > 0 && s.minOrder < a.Order())
}

var _ = register(&Rule{
	ID: "artifact-produced-before", Severity: SeverityError, Where: AtPlan,
	Needs: PartStages,
	Title: "Input Artifact Must Be Produced Earlier",
	Doc:   "Every input artifact is the output of an action in an earlier stage, or in the same stage with a strictly lower run_order.",
	Check: func(p *Pass) {
		pl := p.Pipeline
		if pl == nil {
			return
		}
		hidden := newHiddenProducers(pl)
		for i := range pl.Stages {
			for j := range pl.Stages[i].Actions {
				cons := ActionRef{Stage: i, Action: j}
				for k, in := range actionAt(pl, cons).InputArtifacts {
					if !IsKnown(in) {
						continue
					}
					checkArtifactSource(p, hidden, cons, k, in)
				}
			}
		}
	},
})

// checkArtifactSource judges input k (named in) of action cons against its producers, and
// reports why none of them can feed it. When several actions produce the name (an
// artifact-unique error), one that runs before cons is enough; otherwise the first producer is
// the one the message names.
func checkArtifactSource(p *Pass, hidden hiddenProducers, cons ActionRef, k int, in string) {
	pl := p.Pipeline
	prods := p.Index.Producers[in]
	for _, prod := range prods {
		if v := flowBetween(pl, prod, cons); v == flowOK || v == flowUndecided {
			return
		}
	}
	if hidden.mayFeed(pl, cons) {
		return
	}
	path := cons.Path().Attr("input_artifacts").Index(k)
	ca := actionAt(pl, cons)
	if len(prods) == 0 {
		p.Reportf(path, "Name an output artifact of an action that runs earlier, or add this name to that action's output_artifacts.",
			"Input artifact %q of %s is not produced by any action of the pipeline.", in, describeAction(pl, cons))
		return
	}
	culprit := prods[0]
	pa := actionAt(pl, culprit)
	stage := pl.Stages[cons.Stage].Name
	switch flowBetween(pl, culprit, cons) {
	case flowSelf:
		p.Reportf(path, "Take the input from an earlier action, or give the output another name.",
			"Action %q in stage %q consumes its own output artifact %q; an action can only read artifacts of actions that ran before it.",
			ca.Name, stage, in)
	case flowParallel:
		p.Reportf(path, "Give the consuming action a higher run_order than the producer, or move it to a later stage.",
			"Input artifact %q of action %q is produced by action %q, which runs in parallel with it (both run_order %d in stage %q).",
			in, ca.Name, pa.Name, ca.Order(), stage)
	case flowLaterInStage:
		p.Reportf(path, "Give the producer a lower run_order than the consumer, or move the consumer to a later stage.",
			"Input artifact %q of action %q (run_order %d) is produced by action %q (run_order %d), which runs after it in stage %q.",
			in, ca.Name, ca.Order(), pa.Name, pa.Order(), stage)
	case flowLaterStage:
		p.Reportf(path, "Move the producer to an earlier stage, or the consumer to a later one: artifacts only flow forward.",
			"Input artifact %q of action %q in stage %q (stage %d) is produced by action %q in the later stage %q (stage %d).",
			in, ca.Name, stage, cons.Stage, pa.Name, pl.Stages[culprit.Stage].Name, culprit.Stage)
	}
}

var _ = register(&Rule{
	ID: "artifact-count", Severity: SeverityError, Where: AtPlan,
	Title: "Artifact Counts Must Fit The Action Type",
	Doc:   "An action's input and output artifact counts fit what its action type accepts.",
	Check: func(p *Pass) {
		eachActionOf(p, func(ref ActionRef, a *Action) {
			t, ok := LookupActionType(a.Type())
			if !ok {
				return // action-type reports unknown types
			}
			checkArtifactCount(p, ref.Path, a, t, "input_artifacts", "input", a.InputArtifacts, t.Inputs)
			checkArtifactCount(p, ref.Path, a, t, "output_artifacts", "output", a.OutputArtifacts, t.Outputs)
		})
	},
})

// checkArtifactCount reports list attr of action a (at ap) when its length is outside r.
func checkArtifactCount(p *Pass, ap func() Path, a *Action, t *ActionType, attr, kind string, list []string, r Range) {
	if a.IsUnknown(attr) || r.Contains(len(list)) {
		return
	}
	fix := fmt.Sprintf("Give the action %s %s artifact(s).", rangeText(r), kind)
	if r.Max == 0 {
		fix = fmt.Sprintf("Remove %s: this action type takes none.", attr)
	}
	p.Reportf(ap().Attr(attr), fix,
		"Action %q (%s) has %d %s artifact(s); this action type takes %s.",
		a.Name, t.ID, len(list), kind, rangeText(r))
}

// rangeText describes an artifact count range in words.
func rangeText(r Range) string {
	switch {
	case r.Max == 0:
		return "none"
	case r.Min == r.Max:
		return fmt.Sprintf("exactly %d", r.Min)
	case r.Min == 0:
		return fmt.Sprintf("at most %d", r.Max)
	default:
		return fmt.Sprintf("%d to %d", r.Min, r.Max)
	}
}
