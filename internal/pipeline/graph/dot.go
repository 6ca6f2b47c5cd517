package graph

import (
	"fmt"
	"io"
	"strings"
)

// DOT writes the diagram in Graphviz's language: a cluster per stage (left to right), a
// cluster per group of parallel actions, an edge per artifact labelled with its name. Graphviz
// lays it out itself; the stages keep their order through invisible edges between them.
func (d *Diagram) DOT(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", quote(d.Name))
	b.WriteString("  rankdir=LR;\n  compound=true;\n  fontname=\"Helvetica\";\n")
	b.WriteString("  node [shape=box, style=\"rounded\", fontname=\"Helvetica\", fontsize=11];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=10];\n")
	fmt.Fprintf(&b, "  label=%s;\n  labelloc=t;\n", quote(d.Name))
	var firsts []string
	for _, st := range d.Stages {
		label := quote(st.Name)
		if len(st.Conditions) > 0 {
			lines := []string{st.Name}
			for _, c := range st.Conditions {
				lines = append(lines, "◆ "+c.Describe())
			}
			label = quoteLines(lines...)
		}
		fmt.Fprintf(&b, "  subgraph %s {\n    label=%s;\n    style=\"rounded\";\n", quote(fmt.Sprintf("cluster_s%d", st.Index)), label)
		for gi, g := range st.Groups {
			indent := "    "
			if len(g.Actions) > 1 {
				fmt.Fprintf(&b, "    subgraph %s {\n      label=%s;\n      style=\"dashed\";\n",
					quote(fmt.Sprintf("cluster_s%d_g%d", st.Index, gi)), quote(fmt.Sprintf("run order %d · parallel", g.RunOrder)))
				indent = "      "
			}
			for _, a := range g.Actions {
				lines := []string{a.Name, a.Type.Provider + " · " + a.Type.Category}
				if a.RoleARN != "" {
					lines = append(lines, roleLabel(&a))
				}
				attrs := "label=" + quoteLines(lines...)
				if a.CrossAccount {
					attrs += ", style=\"rounded,dashed\""
				}
				fmt.Fprintf(&b, "%s%s [%s];\n", indent, quote(nodeName(a)), attrs)
			}
			if len(g.Actions) > 1 {
				b.WriteString("    }\n")
			}
		}
		b.WriteString("  }\n")
		if len(st.Groups) > 0 && len(st.Groups[0].Actions) > 0 {
			firsts = append(firsts, nodeName(st.Groups[0].Actions[0]))
		}
	}
	for i := 1; i < len(firsts); i++ {
		fmt.Fprintf(&b, "  %s -> %s [style=invis];\n", quote(firsts[i-1]), quote(firsts[i]))
	}
	for _, e := range d.Edges {
		from, to := d.action(e.From), d.action(e.To)
		fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", quote(nodeName(*from)), quote(nodeName(*to)), quote(e.Artifact))
	}
	for i, s := range d.Stores {
		fmt.Fprintf(&b, "  %s [shape=note, label=%s];\n", quote(fmt.Sprintf("store_%d", i)), quote(s.String()))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func nodeName(a Action) string { return a.Stage + "/" + a.Name }

// quote is a DOT string literal.
func quote(s string) string { return quoteLines(s) }

// quoteLines is a DOT string literal of lines (joined by DOT's \n escape).
func quoteLines(lines ...string) string {
	esc := make([]string, len(lines))
	for i, l := range lines {
		esc[i] = dotEscaper.Replace(l)
	}
	return "\"" + strings.Join(esc, "\\n") + "\""
}

var dotEscaper = strings.NewReplacer("\\", "\\\\", "\"", "\\\"", "\n", " ")
