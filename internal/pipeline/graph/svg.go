package graph

import (
	_ "embed"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// CSS styles the SVG's classes: a standalone SVG carries it in a <style> element; a page that
// draws the SVG inline serves it in its own stylesheet (a Content-Security-Policy without
// inline styles refuses a <style> inside the page).
//
//go:embed graph.css
var CSS string

// SVGOptions tune SVG.
type SVGOptions struct {
	// Standalone writes a document of its own (an XML declaration and the styles), for a
	// file; otherwise the SVG is for a page that styles it with CSS.
	Standalone bool
	// IDPrefix prefixes the SVG's element ids, so that two pictures in one page differ.
	IDPrefix string
	// ActionStatus and StageStatus colour the picture with a run's statuses ("" = not
	// reached): the status is an attribute (data-status) a page's script can change.
	ActionStatus func(pipeline.ActionRef) string
	StageStatus  func(stage int) string
	// ConditionStatus colours a stage's condition with its status in a run.
	ConditionStatus func(stage int, conditionType string) string
}

// ActionID is the id of an action's element in the SVG (with its options' IDPrefix before it).
func ActionID(r pipeline.ActionRef) string { return fmt.Sprintf("a-%d-%d", r.Stage, r.Action) }

// StageID is the id of a stage's element.
func StageID(stage int) string { return fmt.Sprintf("s-%d", stage) }

// SVG writes the diagram as SVG.
func (d *Diagram) SVG(w io.Writer, o SVGOptions) error {
	sw := &svgWriter{w: w, pre: o.IDPrefix}
	if o.Standalone {
		sw.printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	}
	sw.printf(`<svg xmlns="http://www.w3.org/2000/svg" class="pg" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-labelledby="%spg-title %spg-desc">`+"\n",
		num(d.Width), num(d.Height), num(d.Width), num(d.Height), sw.pre, sw.pre)
	sw.printf(`<title id="%spg-title">Pipeline %s</title>`+"\n", sw.pre, esc(d.Name))
	sw.printf(`<desc id="%spg-desc">%s</desc>`+"\n", sw.pre, esc(d.Describe()))
	if o.Standalone {
		sw.printf("<style>\n%s</style>\n", CSS)
	}
	sw.printf(`<defs><marker id="%spg-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="8" markerHeight="8" orient="auto"><path class="pg-arrow" d="M0,0 L8,4 L0,8 z"/></marker></defs>`+"\n", sw.pre)
	sw.printf(`<rect class="pg-bg" x="0" y="0" width="%s" height="%s"/>`+"\n", num(d.Width), num(d.Height))
	sw.printf(`<text class="pg-name" x="%d" y="%d">%s</text>`+"\n", margin, margin+16, esc(d.Name))

	for _, st := range d.Stages {
		status := ""
		if o.StageStatus != nil {
			status = o.StageStatus(st.Index)
		}
		sw.printf(`<g class="pg-stage" id="%s%s" data-stage="%s" data-status="%s">`, sw.pre, StageID(st.Index), esc(st.Name), esc(status))
		sw.printf(`<rect class="pg-stage-box" x="%s" y="%s" width="%s" height="%s" rx="8"/>`, num(st.Box.X), num(st.Box.Y), num(st.Box.W), num(st.Box.H))
		sw.printf(`<text class="pg-stage-name" x="%s" y="%s">%s</text>`, num(st.Box.X+stagePad), num(st.Box.Y+20), esc(fit(st.Name, st.Box.W-2*stagePad-60)))
		sw.printf(`<text class="pg-stage-status" x="%s" y="%s" text-anchor="end">%s</text>`, num(st.Box.Right()-stagePad), num(st.Box.Y+20), esc(status))
		sw.printf("</g>\n")
		for _, c := range st.Conditions {
			cs := ""
			if o.ConditionStatus != nil {
				cs = o.ConditionStatus(st.Index, c.Type)
			}
			sw.condition(st.Index, c, cs)
			sw.printf("\n")
		}
		for _, g := range st.Groups {
			if g.Box.W == 0 {
				continue
			}
			sw.printf(`<rect class="pg-group" x="%s" y="%s" width="%s" height="%s" rx="6"/>`, num(g.Box.X), num(g.Box.Y), num(g.Box.W), num(g.Box.H))
			sw.printf(`<text class="pg-group-label" x="%s" y="%s" text-anchor="end">run order %d · %d in parallel</text>`+"\n", num(g.Box.Right()-6), num(g.Box.Y+12), g.RunOrder, len(g.Actions))
		}
	}

	for _, e := range d.Edges {
		from, to := d.action(e.From), d.action(e.To)
		sw.printf(`<g class="pg-edge" data-artifact="%s"><title>%s: %s/%s → %s/%s</title><path d="%s" marker-end="url(#%spg-arrow)"/></g>`+"\n",
			esc(e.Artifact), esc(e.Artifact), esc(from.Stage), esc(from.Name), esc(to.Stage), esc(to.Name), pathOf(e.Route), sw.pre)
	}

	for _, a := range d.Actions() {
		status := ""
		if o.ActionStatus != nil {
			status = o.ActionStatus(a.Ref)
		}
		class := "pg-action"
		if a.CrossAccount {
			class += " pg-cross-account"
		}
		sw.printf(`<g class="%s" id="%s%s" data-stage="%s" data-action="%s" data-category="%s" data-status="%s">`,
			class, sw.pre, ActionID(a.Ref), esc(a.Stage), esc(a.Name), esc(a.Type.Category), esc(status))
		sw.printf(`<title>%s</title>`, esc(a.describe()))
		sw.printf(`<rect class="pg-action-box" x="%s" y="%s" width="%s" height="%s" rx="6"/>`, num(a.Box.X), num(a.Box.Y), num(a.Box.W), num(a.Box.H))
		sw.printf(`<rect class="pg-action-bar" x="%s" y="%s" width="4" height="%s"/>`, num(a.Box.X), num(a.Box.Y), num(a.Box.H))
		tx := a.Box.X + 12
		sw.printf(`<text class="pg-action-name" x="%s" y="%s">%s</text>`, num(tx), num(a.Box.Y+20), esc(fit(a.Name, a.Box.W-24-56)))
		sw.printf(`<text class="pg-action-status" x="%s" y="%s" text-anchor="end">%s</text>`, num(a.Box.Right()-8), num(a.Box.Y+20), esc(status))
		sw.printf(`<text class="pg-action-type" x="%s" y="%s">%s</text>`, num(tx), num(a.Box.Y+38), esc(fit(a.Type.Provider+" · "+a.Type.Category, a.Box.W-24)))
		if a.RoleARN != "" {
			sw.printf(`<text class="pg-action-role" x="%s" y="%s">%s</text>`, num(tx), num(a.Box.Y+54), esc(fit(roleLabel(a), a.Box.W-24)))
		}
		sw.printf("</g>\n")
	}

	for _, e := range d.Edges {
		if e.HasLabel {
			sw.printf(`<text class="pg-edge-label" x="%s" y="%s">%s</text>`+"\n", num(e.Label.X), num(e.Label.Y), esc(fit(e.Artifact, e.labelWidth)))
		}
	}

	y := d.storesY + 12
	if len(d.Stores) == 0 {
		sw.printf(`<text class="pg-store" x="%d" y="%s">No artifact store</text>`+"\n", margin, num(y))
	}
	for _, s := range d.Stores {
		sw.printf(`<text class="pg-store" x="%d" y="%s">%s</text>`+"\n", margin, num(y), esc(s.String()))
		y += storeLineHeight
	}
	sw.printf("</svg>\n")
	return sw.err
}

// String says where a store is and how it is encrypted.
func (s Store) String() string {
	out := "Artifact store: " + s.Type + " bucket " + s.Location
	if s.Region != "" {
		out += " (" + s.Region + ")"
	}
	if s.Key == "" {
		return out + " · key: the account's AWS-managed aws/s3 key"
	}
	return out + " · key: " + s.Key
}

// Describe says in words what the picture shows, for its <desc> and screen readers.
func (d *Diagram) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d stages, left to right.", len(d.Stages))
	for _, st := range d.Stages {
		fmt.Fprintf(&b, " Stage %s", st.Name)
		for _, c := range st.Conditions {
			fmt.Fprintf(&b, " (%s)", c.Describe())
		}
		b.WriteString(":")
		for gi, g := range st.Groups {
			if gi > 0 {
				b.WriteString(", then")
			}
			names := make([]string, len(g.Actions))
			for k, a := range g.Actions {
				names[k] = a.Name
			}
			if len(names) > 1 {
				fmt.Fprintf(&b, " %s in parallel", strings.Join(names, " and "))
			} else {
				fmt.Fprintf(&b, " %s", names[0])
			}
		}
		b.WriteString(".")
	}
	return b.String()
}

func (a *Action) describe() string {
	s := fmt.Sprintf("%s (stage %s, run order %d): %s/%s/%s", a.Name, a.Stage, a.RunOrder, a.Type.Category, a.Type.Owner, a.Type.Provider)
	if a.RoleARN != "" {
		s += ", role " + a.RoleARN
		if a.CrossAccount {
			s += " (cross-account)"
		}
	}
	if a.Region != "" {
		s += ", region " + a.Region
	}
	return s
}

// roleLabel is the short form of an action's role: the account and the role name.
func roleLabel(a *Action) string {
	acct := pipeline.AccountOfARN(a.RoleARN)
	name := a.RoleARN[strings.LastIndex(a.RoleARN, "/")+1:]
	prefix := "role "
	if a.CrossAccount {
		prefix = "⇄ role "
	}
	if acct == "" {
		return prefix + name
	}
	return prefix + acct + ":" + name
}

// pathOf draws a route with rounded corners.
func pathOf(pts []Point) string {
	if len(pts) == 0 {
		return ""
	}
	const r = 6.0
	var b strings.Builder
	fmt.Fprintf(&b, "M%s,%s", num(pts[0].X), num(pts[0].Y))
	for i := 1; i < len(pts)-1; i++ {
		p, c, n := pts[i-1], pts[i], pts[i+1]
		in := math.Min(r, dist(p, c)/2)
		out := math.Min(r, dist(c, n)/2)
		a := toward(c, p, in)
		z := toward(c, n, out)
		fmt.Fprintf(&b, " L%s,%s Q%s,%s %s,%s", num(a.X), num(a.Y), num(c.X), num(c.Y), num(z.X), num(z.Y))
	}
	last := pts[len(pts)-1]
	fmt.Fprintf(&b, " L%s,%s", num(last.X), num(last.Y))
	return b.String()
}

func dist(a, b Point) float64 { return math.Hypot(b.X-a.X, b.Y-a.Y) }

// toward is the point at distance l from c in the direction of p.
func toward(c, p Point, l float64) Point {
	d := dist(c, p)
	if d == 0 {
		return c
	}
	return Point{c.X + (p.X-c.X)*l/d, c.Y + (p.Y-c.Y)*l/d}
}

// fit shortens s to what a width holds, with an ellipsis.
func fit(s string, width float64) string {
	n := int(width / charWidth)
	if n < 1 {
		n = 1
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// num writes a coordinate: an integer when it is one, else one decimal.
func num(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%.1f", f)
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

// esc escapes text and attribute values.
func esc(s string) string { return xmlEscaper.Replace(s) }

type svgWriter struct {
	w   io.Writer
	pre string
	err error
}

func (s *svgWriter) printf(format string, args ...any) {
	if s.err == nil {
		_, s.err = fmt.Fprintf(s.w, format, args...)
	}
}
