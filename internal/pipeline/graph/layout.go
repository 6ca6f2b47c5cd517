// Package graph draws a pipeline: stages left to right, each stage's action groups (run_order)
// top to bottom, the parallel actions of a group side by side, and each artifact as an edge
// from the action that produces it to the actions that consume it. Layout computes the picture
// once, as boxes and orthogonal edge routes in pixels; SVG and DOT write it. The console draws
// a pipeline and a run with it, and `codepipeline graph` writes the same picture to a file.
//
// The package knows the domain model only: no HTTP, no backend, no Terraform.
package graph

import (
	"fmt"
	"slices"
	"sort"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Geometry of the picture, in pixels. Channels are the empty bands edges run in: the gap
// between two rows of actions (and between a stage's header and its first row), the gutter
// between two stage columns, and the lanes above every stage for edges that skip a column.
const (
	ActionWidth     = 190
	actionHeight    = 50
	roleLineHeight  = 16
	parallelGap     = 12 // between the actions of one row
	rowGap          = 34 // between rows: the channel of the edges leaving the row above
	stagePad        = 12
	stageHeader     = 30
	gutter          = 72 // between stage columns
	laneStep        = 7
	margin          = 16
	titleHeight     = 30
	storeLineHeight = 18
	groupLabel      = 14 // the "run order N · parallel" line above a group of several actions
	charWidth       = 6.6
	// MaxSideBySide is how many actions of one group stand side by side in a row; a bigger
	// group wraps onto more rows inside its outline.
	MaxSideBySide = 3
)

// Rect is a box.
type Rect struct{ X, Y, W, H float64 }

// Right and Bottom are the far edges of the box.
func (r Rect) Right() float64  { return r.X + r.W }
func (r Rect) Bottom() float64 { return r.Y + r.H }

// Point is a point of an edge's route.
type Point struct{ X, Y float64 }

// Diagram is a laid-out pipeline.
type Diagram struct {
	Name          string
	AccountID     string // the pipeline's account, from its role ARN ("" when unknown)
	Width, Height float64
	Stages        []Stage
	Edges         []Edge
	Stores        []Store
	storesY       float64
}

// Stage is a stage column.
type Stage struct {
	Index  int
	Name   string
	Box    Rect
	Groups []Group
	// Conditions are the stage's conditions, marked on its edges (conditions.go).
	Conditions []Condition
}

// Group is an action group: the actions of a stage with one run_order, which run in parallel.
type Group struct {
	RunOrder int
	// Box outlines the group; it is drawn only around a group of several actions.
	Box     Rect
	Actions []Action
}

// Action is an action's box.
type Action struct {
	Ref      pipeline.ActionRef
	Stage    string
	Name     string
	Type     pipeline.ActionTypeID
	Box      Rect
	RoleARN  string // the action's own role_arn, "" when it acts as the pipeline's role
	Region   string
	RunOrder int
	// CrossAccount is true when the action's role is in another account than the pipeline.
	CrossAccount bool
	// inY and outY are the channels the action's incoming and outgoing edges run in: above
	// and below its row.
	inY, outY float64
}

// Edge is an artifact going from the action that produces it to one that consumes it.
type Edge struct {
	Artifact string
	From, To pipeline.ActionRef
	// Route is the edge's path, from the producer's bottom to the consumer's top; the segments
	// are horizontal or vertical.
	Route []Point
	// Label is where the artifact's name is written (once per output, beside its port).
	Label      Point
	HasLabel   bool
	labelWidth float64
}

// Store is an artifact store block and its key, as the pipeline names them.
type Store struct {
	Location string
	Type     string
	Region   string
	Key      string // the key id or ARN; "" for the account's AWS-managed aws/s3 key
}

// Layout lays p out.
func Layout(p *pipeline.Pipeline) *Diagram {
	d := &Diagram{Name: p.Name, AccountID: pipeline.AccountOfARN(p.RoleARN)}
	for _, s := range p.ArtifactStores {
		st := Store{Location: s.Location, Type: s.Type, Region: s.Region}
		if s.EncryptionKey != nil {
			st.Key = s.EncryptionKey.ID
		}
		d.Stores = append(d.Stores, st)
	}
	producers := producersOf(p)
	top := margin + titleHeight + float64(skippingEdges(p, producers))*laneStep + laneStep
	x := float64(margin)
	bottom := top
	for i, s := range p.Stages {
		st := layoutStage(d, i, &s, x, top)
		d.Stages = append(d.Stages, st)
		x = st.Box.Right() + gutter
		bottom = max(bottom, st.Box.Bottom())
	}
	// Every stage column as tall as the tallest: the picture reads as one row of stages.
	for i := range d.Stages {
		d.Stages[i].Box.H = bottom - top
	}
	d.Width = max(x-gutter+margin, 2*margin+ActionWidth)
	for _, st := range d.Stores { // a store's line is never cut by the picture's edge
		d.Width = max(d.Width, 2*margin+float64(len([]rune(st.String())))*charWidth)
	}
	d.storesY = bottom + margin
	d.Height = d.storesY + float64(max(len(d.Stores), 1))*storeLineHeight + margin
	d.route(p, producers, top)
	return d
}

// actionRows splits a stage's actions into groups by run order, ascending, keeping the
// definition's order inside a group.
func actionGroups(s *pipeline.Stage) [][]int {
	byOrder := map[int][]int{}
	for j := range s.Actions {
		o := s.Actions[j].Order()
		byOrder[o] = append(byOrder[o], j)
	}
	orders := make([]int, 0, len(byOrder))
	for o := range byOrder {
		orders = append(orders, o)
	}
	sort.Ints(orders)
	out := make([][]int, 0, len(orders))
	for _, o := range orders {
		out = append(out, byOrder[o])
	}
	return out
}

func layoutStage(d *Diagram, si int, s *pipeline.Stage, x, top float64) Stage {
	st := Stage{Index: si, Name: s.Name}
	groups := actionGroups(s)
	widest := 1
	for _, g := range groups {
		widest = max(widest, min(len(g), MaxSideBySide))
	}
	inner := float64(widest)*ActionWidth + float64(widest-1)*parallelGap
	width := inner + 2*stagePad
	y := top + stageHeader + rowGap // the channel above the first row
	for gi, idx := range groups {
		if gi > 0 {
			y += rowGap
		}
		g := Group{RunOrder: s.Actions[idx[0]].Order()}
		parallel := len(idx) > 1
		if parallel {
			y += groupLabel
		}
		groupTop := y
		inY := y - rowGap/2
		if parallel {
			inY -= groupLabel
		}
		first := len(g.Actions)
		for start := 0; start < len(idx); start += MaxSideBySide {
			row := idx[start:min(start+MaxSideBySide, len(idx))]
			h := float64(actionHeight)
			for _, j := range row {
				if s.Actions[j].RoleARN != "" {
					h = actionHeight + roleLineHeight
				}
			}
			// A row narrower than the stage is centred in it.
			rowW := float64(len(row))*ActionWidth + float64(len(row)-1)*parallelGap
			ax := x + stagePad + (inner-rowW)/2
			if start > 0 {
				y += parallelGap
				inY = y - parallelGap/2
			}
			rowStart := len(g.Actions)
			for _, j := range row {
				a := &s.Actions[j]
				act := Action{
					Ref: pipeline.ActionRef{Stage: si, Action: j}, Stage: s.Name, Name: a.Name, Type: a.Type(),
					Box: Rect{ax, y, ActionWidth, h}, RoleARN: a.RoleARN, Region: a.Region, RunOrder: a.Order(),
					inY: inY,
				}
				if acct := pipeline.AccountOfARN(a.RoleARN); acct != "" && d.AccountID != "" && acct != d.AccountID {
					act.CrossAccount = true
				}
				g.Actions = append(g.Actions, act)
				ax += ActionWidth + parallelGap
			}
			y += h
			for k := rowStart; k < len(g.Actions); k++ {
				g.Actions[k].outY = y + parallelGap/2 // the gap to the group's next row
			}
		}
		for k := first; k < len(g.Actions); k++ {
			if g.Actions[k].outY > y { // the group's last row: the channel below the group
				g.Actions[k].outY = y + rowGap/2
			}
		}
		if parallel {
			g.Box = Rect{x + stagePad/2, groupTop - groupLabel - 4, width - stagePad, y - groupTop + groupLabel + 8}
		}
		st.Groups = append(st.Groups, g)
	}
	y += rowGap // the channel below the last row
	st.Box = Rect{x, top, width, y - top}
	st.Conditions = stageConditions(s, st.Box)
	return st
}

// producersOf maps each output artifact to the (first) action producing it.
func producersOf(p *pipeline.Pipeline) map[string]pipeline.ActionRef {
	producers := map[string]pipeline.ActionRef{}
	for i := range p.Stages {
		for j := range p.Stages[i].Actions {
			for _, out := range p.Stages[i].Actions[j].OutputArtifacts {
				if _, dup := producers[out]; !dup {
					producers[out] = pipeline.ActionRef{Stage: i, Action: j}
				}
			}
		}
	}
	return producers
}

// skippingEdges counts the edges that skip a stage: each takes a lane above the stages.
func skippingEdges(p *pipeline.Pipeline, producers map[string]pipeline.ActionRef) int {
	n := 0
	for i := range p.Stages {
		for j := range p.Stages[i].Actions {
			for _, in := range p.Stages[i].Actions[j].InputArtifacts {
				if from, ok := producers[in]; ok && i > from.Stage+1 {
					n++
				}
			}
		}
	}
	return n
}

// action finds an action's box.
func (d *Diagram) action(r pipeline.ActionRef) *Action {
	for gi := range d.Stages[r.Stage].Groups {
		g := &d.Stages[r.Stage].Groups[gi]
		for k := range g.Actions {
			if g.Actions[k].Ref == r {
				return &g.Actions[k]
			}
		}
	}
	return nil
}

// Actions lists every action box, stage by stage, in the order of the definition.
func (d *Diagram) Actions() []*Action {
	var out []*Action
	for si := range d.Stages {
		var stage []*Action
		for gi := range d.Stages[si].Groups {
			for k := range d.Stages[si].Groups[gi].Actions {
				stage = append(stage, &d.Stages[si].Groups[gi].Actions[k])
			}
		}
		slices.SortFunc(stage, func(a, b *Action) int { return a.Ref.Action - b.Ref.Action })
		out = append(out, stage...)
	}
	return out
}

// route draws every edge. An artifact leaves its producer through a port on the bottom edge
// (one port per output) into the channel below the producer's row, and enters each consumer
// through a port on its top edge (one per input) from the channel above the consumer's row.
// Between the two it runs down the gutter right of the producer's stage and, when it skips
// stages, along a lane of its own above all the stages. No edge crosses an action.
func (d *Diagram) route(p *pipeline.Pipeline, producers map[string]pipeline.ActionRef, top float64) {
	lane := 0
	labelled := map[string]bool{}
	gutterUse := map[int]int{} // edges already running down each stage's right gutter
	for ci := range p.Stages {
		for cj := range p.Stages[ci].Actions {
			consumer := &p.Stages[ci].Actions[cj]
			for k, in := range consumer.InputArtifacts {
				from, ok := producers[in]
				if !ok {
					continue // an input nobody produces: a rule reports it; nothing to draw
				}
				prod := p.Stages[from.Stage].Actions[from.Action]
				pa, ca := d.action(from), d.action(pipeline.ActionRef{Stage: ci, Action: cj})
				if pa == nil || ca == nil {
					continue
				}
				oi := slices.Index(prod.OutputArtifacts, in)
				px := outPort(pa.Box, oi, len(prod.OutputArtifacts))
				cx := inPort(ca.Box, k)
				// Different artifacts in one channel run a few pixels apart.
				below, above := pa.outY+float64(oi%3)*4, ca.inY-float64(k%3)*4
				e := Edge{Artifact: in, From: from, To: pipeline.ActionRef{Stage: ci, Action: cj}}
				route := []Point{{px, pa.Box.Bottom()}, {px, below}}
				switch {
				case from.Stage == ci && pa.outY == ca.inY:
					// The consumer's row comes right after the producer's: one channel joins them.
					route = append(route, Point{cx, below})
				default:
					g := d.Stages[from.Stage].Box.Right() + gutter/4 + float64(gutterUse[from.Stage]%8)*4
					gutterUse[from.Stage]++
					route = append(route, Point{g, below})
					if ci > from.Stage+1 {
						ly := top - float64(lane+1)*laneStep
						lane++
						gc := d.Stages[ci].Box.X - gutter/4 - float64(lane%4)*3
						route = append(route, Point{g, ly}, Point{gc, ly}, Point{gc, above})
					} else {
						route = append(route, Point{g, above})
					}
					route = append(route, Point{cx, above})
				}
				route = append(route, Point{cx, ca.Box.Y})
				e.Route = route
				key := fmt.Sprintf("%d/%d/%s", from.Stage, from.Action, in)
				if !labelled[key] {
					labelled[key] = true
					e.Label, e.HasLabel = Point{px + 5, pa.Box.Bottom() + 11}, true
					e.labelWidth = outPortGap(pa.Box, len(prod.OutputArtifacts)) - 8
				}
				d.Edges = append(d.Edges, e)
			}
		}
	}
}

// Ports sit near a box's left end, so that the label of a group of parallel actions, on the
// right of its outline's top, stays clear of the edges coming in.
const (
	portInset     = 22
	inPortStep    = 12
	maxOutPortGap = 64
)

// inPort is the x of input i on a box's top edge.
func inPort(b Rect, i int) float64 {
	return b.X + portInset + float64(i%8)*inPortStep
}

// outPort is the x of output i of n on a box's bottom edge, spaced for their labels.
func outPort(b Rect, i, n int) float64 {
	return b.X + portInset + float64(i)*outPortGap(b, n)
}

func outPortGap(b Rect, n int) float64 {
	if n <= 1 {
		return maxOutPortGap
	}
	return min(maxOutPortGap, (b.W-2*portInset)/float64(n-1))
}
