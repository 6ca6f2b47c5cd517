package buildspec

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// BatchKind is the kind of a batch section.
type BatchKind string

// The batch kinds of CodeBuild's batch build buildspec reference.
const (
	BuildList   BatchKind = "build-list"
	BuildGraph  BatchKind = "build-graph"
	BuildMatrix BatchKind = "build-matrix"
)

// Batch is the batch section: the builds a batch build runs.
type Batch struct {
	// FastFail stops the running builds once one build fails (a failure it may not ignore).
	FastFail bool
	Kind     BatchKind
	// Builds are the builds of a build-list or build-graph, and those of a build-matrix
	// expanded (see Matrix), in the buildspec's order.
	Builds []BatchBuild
}

// BatchBuild is one build of a batch.
type BatchBuild struct {
	Identifier string
	// Buildspec is the path of the build's buildspec in the primary source; empty for the
	// buildspec that holds the batch.
	Buildspec string
	// DependOn are the identifiers of the builds that must end before this one starts
	// (build-graph only).
	DependOn []string
	// Variables override env.variables for this build.
	Variables map[string]string
	// IgnoreFailure lets the batch succeed when this build fails.
	IgnoreFailure bool
}

// batch reads the batch section. A build-matrix is expanded into its builds here: one per
// combination of its dynamic buildspecs and variable values, in the order the reference
// lists them (buildspec first, then each variable's values), named build1, build2, …
func (p *parser) batch(n *yaml.Node) {
	b := &Batch{}
	p.spec.Batch = b
	p.mapping("batch", n, func(key string, k, v *yaml.Node) {
		f := join("batch", key)
		switch key {
		case "fast-fail":
			b.FastFail = p.boolean(f, v)
		case string(BuildList), string(BuildGraph), string(BuildMatrix):
			if b.Kind != "" {
				p.fail(f, k, "a batch has one kind of build: %s is already given", b.Kind)
				return
			}
			b.Kind = BatchKind(key)
			if b.Kind == BuildMatrix {
				b.Builds = p.matrix(f, v)
			} else {
				b.Builds = p.batchBuilds(f, v, b.Kind == BuildGraph)
			}
		default:
			p.fail(f, k, "unknown key")
		}
	})
	if b.Kind == "" && resolve(n).Kind == yaml.MappingNode {
		p.fail("batch", n, "needs one of build-list, build-graph or build-matrix")
	}
	if b.Kind == BuildGraph {
		p.checkGraph(b.Builds, n)
	}
}

func (p *parser) batchBuilds(field string, n *yaml.Node, graph bool) []BatchBuild {
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		p.fail(field, n, "must be a list of builds, got %s", kindName(n))
		return nil
	}
	var builds []BatchBuild
	seen := map[string]bool{}
	for i, item := range n.Content {
		f := fmt.Sprintf("%s[%d]", field, i)
		b := BatchBuild{}
		p.mapping(f, item, func(key string, k, v *yaml.Node) {
			kf := join(f, key)
			switch key {
			case "identifier":
				if s, ok := p.scalar(kf, v); ok {
					if !identifier.MatchString(s) {
						p.fail(kf, v, "%q: an identifier is letters, digits and underscores", s)
						return
					}
					b.Identifier = s
				}
			case "buildspec":
				if s, ok := p.scalar(kf, v); ok {
					b.Buildspec = s
				}
			case "depend-on":
				if !graph {
					p.fail(kf, k, "only the builds of a build-graph depend on others")
					return
				}
				b.DependOn = p.commands(kf, v)
			case "env":
				b.Variables = p.batchEnv(kf, v, false)
			case "ignore-failure":
				b.IgnoreFailure = p.boolean(kf, v)
			case "debug-session":
				p.boolean(kf, v)
				p.warn(kf, "ignored by the local backend: there is no session to attach to")
			default:
				p.fail(kf, k, "unknown key")
			}
		})
		switch {
		case b.Identifier == "" && resolve(item).Kind == yaml.MappingNode:
			p.fail(join(f, "identifier"), item, "required")
		case seen[b.Identifier]:
			p.fail(join(f, "identifier"), item, "duplicate identifier %q", b.Identifier)
		}
		seen[b.Identifier] = true
		builds = append(builds, b)
	}
	if len(builds) == 0 && n.Kind == yaml.SequenceNode {
		p.fail(field, n, "lists no build")
	}
	return builds
}

// batchEnv reads a batch build's env: its variables (one value each, or a list of values in a
// build-matrix's dynamic section, read by the caller); the build environment settings warn.
func (p *parser) batchEnv(field string, n *yaml.Node, dynamic bool) map[string]string {
	vars := map[string]string{}
	p.mapping(field, n, func(key string, k, v *yaml.Node) {
		f := join(field, key)
		switch key {
		case "variables":
			if dynamic {
				return
			}
			p.variables(f, v, func(name, value string) { vars[name] = value })
		case "compute-type", "image", "privileged-mode", "type", "fleet":
			p.warn(f, "ignored by the local backend: builds run on this machine")
		default:
			p.fail(f, k, "unknown key")
		}
	})
	return vars
}

// matrix reads a build-matrix and expands it.
func (p *parser) matrix(field string, n *yaml.Node) []BatchBuild {
	ignoreFailure := false
	staticVars := map[string]string{}
	buildspecs := []string{""}
	type variable struct {
		name   string
		values []string
	}
	var dynVars []variable
	p.mapping(field, n, func(key string, k, v *yaml.Node) {
		f := join(field, key)
		switch key {
		case "static":
			p.mapping(f, v, func(key string, k, v *yaml.Node) {
				sf := join(f, key)
				switch key {
				case "ignore-failure":
					ignoreFailure = p.boolean(sf, v)
				case "env":
					staticVars = p.batchEnv(sf, v, false)
				case "debug-session":
					p.boolean(sf, v)
					p.warn(sf, "ignored by the local backend: there is no session to attach to")
				default:
					p.fail(sf, k, "unknown key")
				}
			})
		case "dynamic":
			p.mapping(f, v, func(key string, k, v *yaml.Node) {
				df := join(f, key)
				switch key {
				case "buildspec":
					if list := p.commands(df, v); len(list) > 0 {
						buildspecs = list
					}
				case "env":
					p.batchEnv(df, v, true)
					p.mapping(df, v, func(key string, k, v *yaml.Node) {
						if key != "variables" {
							return
						}
						vf := join(df, key)
						p.mapping(vf, v, func(name string, nk, nv *yaml.Node) {
							nf := join(vf, name)
							if !envName.MatchString(name) || strings.HasPrefix(name, "CODEBUILD_") {
								p.fail(nf, nk, "not a valid environment variable name (or one starting with the reserved CODEBUILD_)")
								return
							}
							values := p.commands(nf, nv)
							if len(values) == 0 {
								p.fail(nf, nv, "lists no value")
								return
							}
							dynVars = append(dynVars, variable{name, values})
						})
					})
				default:
					p.fail(df, k, "unknown key")
				}
			})
		default:
			p.fail(f, k, "unknown key")
		}
	})
	// Every combination, the buildspec varying slowest, as in the reference's example.
	combos := []BatchBuild{}
	for _, bs := range buildspecs {
		vars := map[string]string{}
		for k, v := range staticVars {
			vars[k] = v
		}
		combos = append(combos, BatchBuild{Buildspec: bs, IgnoreFailure: ignoreFailure, Variables: vars})
	}
	for _, dv := range dynVars {
		var next []BatchBuild
		for _, c := range combos {
			for _, value := range dv.values {
				vars := map[string]string{}
				for k, v := range c.Variables {
					vars[k] = v
				}
				vars[dv.name] = value
				next = append(next, BatchBuild{Buildspec: c.Buildspec, IgnoreFailure: c.IgnoreFailure, Variables: vars})
			}
		}
		combos = next
	}
	for i := range combos {
		combos[i].Identifier = "build" + strconv.Itoa(i+1)
	}
	return combos
}

// checkGraph reports dependencies on unknown builds and cycles.
func (p *parser) checkGraph(builds []BatchBuild, n *yaml.Node) {
	index := map[string]int{}
	for i, b := range builds {
		index[b.Identifier] = i
	}
	for i, b := range builds {
		for _, dep := range b.DependOn {
			if _, ok := index[dep]; !ok {
				p.fail(fmt.Sprintf("batch.build-graph[%d].depend-on", i), n, "%q is not the identifier of a build of the graph", dep)
			}
		}
	}
	// Depth-first search; state 1 = on the current path, 2 = done.
	state := make([]int, len(builds))
	var visit func(i int, path []string) bool
	visit = func(i int, path []string) bool {
		switch state[i] {
		case 1:
			p.fail("batch.build-graph", n, "builds depend on each other in a cycle: %s", strings.Join(append(path, builds[i].Identifier), " → "))
			return false
		case 2:
			return true
		}
		state[i] = 1
		for _, dep := range builds[i].DependOn {
			if j, ok := index[dep]; ok && !visit(j, append(path, builds[i].Identifier)) {
				return false
			}
		}
		state[i] = 2
		return true
	}
	for i := range builds {
		if !visit(i, nil) {
			return
		}
	}
}
