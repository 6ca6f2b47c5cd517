// Package buildspec parses CodeBuild buildspec files (version 0.2), runs their phases on the
// local machine with CodeBuild's phase transitions, and selects their output artifacts.
package buildspec

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// PhaseName names a build phase, as written in the buildspec.
type PhaseName string

// The phases, in the order CodeBuild runs them.
const (
	Install   PhaseName = "install"
	PreBuild  PhaseName = "pre_build"
	Build     PhaseName = "build"
	PostBuild PhaseName = "post_build"
)

// Phases lists the phases in execution order.
var Phases = []PhaseName{Install, PreBuild, Build, PostBuild}

// OnFailure is a phase's on-failure setting.
type OnFailure string

const (
	// DefaultTransitions is on-failure left out: after a failure CodeBuild follows its build
	// phase transitions (see Run).
	DefaultTransitions OnFailure = ""
	// Abort ends the build when the phase fails: no later phase runs, nothing is uploaded.
	Abort OnFailure = "ABORT"
	// Continue goes on to the next phase as if the phase had succeeded; the build still fails.
	Continue OnFailure = "CONTINUE"
)

// Spec is a parsed buildspec.
type Spec struct {
	Version string
	// Shell is "bash" or "sh".
	Shell string
	// RunAs is the top-level run-as: the user every phase without its own run-as runs as;
	// empty for the user running the build.
	RunAs string
	// Variables are env.variables, plain values.
	Variables map[string]string
	// ParameterStore are env.parameter-store: variable name → Systems Manager parameter name.
	ParameterStore map[string]string
	// SecretsManager are env.secrets-manager: variable name → secret reference.
	SecretsManager map[string]SecretRef
	// ExportedVariables are env.exported-variables: the names whose final values the build
	// reports (the CodeBuild action's output variables).
	ExportedVariables []string
	// Phases holds the phases the buildspec defines; a missing phase has nothing to run.
	Phases map[PhaseName]*Phase
	// HasPhases tells that the buildspec has a phases section: only a buildspec with a batch
	// section may go without one (its builds may each name their own buildspec).
	HasPhases bool
	// Artifacts is the primary artifact's selection, nil when the buildspec has none.
	Artifacts *ArtifactSpec
	// SecondaryArtifacts are artifacts.secondary-artifacts by identifier.
	SecondaryArtifacts map[string]*ArtifactSpec
	// Reports are the reports section by report group name (or ARN).
	Reports map[string]*ReportSpec
	// Batch is the batch section, nil when there is none.
	Batch *Batch
	// Warnings name the settings that were read but have no local effect.
	Warnings []string
}

// Phase is one phase's commands.
type Phase struct {
	// RunAs is the phase's run-as, which wins over the top-level one; empty when not set.
	RunAs     string
	OnFailure OnFailure
	Commands  []string
	// Finally runs after Commands, even when one of them failed.
	Finally []string
}

// ReportSpec is one report group of the reports section: the files of its test or coverage
// reports, selected like an artifact's, and their format.
type ReportSpec struct {
	*ArtifactSpec
	// FileFormat is the report's format in upper case, JUNITXML when not set.
	FileFormat string
}

// Report file formats (reports/<group>/file-format). The first six are test reports, the
// others code coverage reports.
var ReportFormats = []string{"JUNITXML", "CUCUMBERJSON", "NUNITXML", "NUNIT3XML", "TESTNGXML", "VISUALSTUDIOTRX",
	"CLOVERXML", "COBERTURAXML", "JACOCOXML", "SIMPLECOV"}

// SecretRef is an env.secrets-manager reference, secret-id:json-key:version-stage:version-id
// (every part after the secret id optional; the secret id may be an ARN, itself with colons).
type SecretRef struct {
	SecretID string
	// JSONKey, when set, picks that key of the secret's JSON value.
	JSONKey      string
	VersionStage string
	VersionID    string
}

func (r SecretRef) String() string {
	s := r.SecretID
	if r.JSONKey != "" || r.VersionStage != "" || r.VersionID != "" {
		s += ":" + r.JSONKey
	}
	if r.VersionStage != "" || r.VersionID != "" {
		s += ":" + r.VersionStage
	}
	if r.VersionID != "" {
		s += ":" + r.VersionID
	}
	return s
}

// ParseSecretRef reads a secrets-manager reference.
func ParseSecretRef(s string) (SecretRef, error) {
	parts := strings.Split(s, ":")
	idParts := 1
	if strings.HasPrefix(s, "arn:") {
		// arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME
		idParts = 7
		if len(parts) < idParts {
			return SecretRef{}, fmt.Errorf("%q is not a secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)", s)
		}
	}
	if len(parts) > idParts+3 {
		return SecretRef{}, fmt.Errorf("%q has too many parts: the form is secret-id:json-key:version-stage:version-id", s)
	}
	ref := SecretRef{SecretID: strings.Join(parts[:idParts], ":")}
	rest := append(parts[idParts:], "", "", "")
	ref.JSONKey, ref.VersionStage, ref.VersionID = rest[0], rest[1], rest[2]
	switch {
	case ref.SecretID == "":
		return SecretRef{}, fmt.Errorf("%q names no secret", s)
	case ref.VersionStage != "" && ref.VersionID != "":
		return SecretRef{}, fmt.Errorf("%q gives both a version stage and a version id: give one", s)
	}
	return ref, nil
}

// ArtifactSpec selects the files of one output artifact.
type ArtifactSpec struct {
	// Files are the patterns of files to include, relative to BaseDirectory: "**" matches any
	// number of path elements, other elements follow path.Match.
	Files []string
	// ExcludePaths are patterns of files to leave out.
	ExcludePaths []string
	// BaseDirectory is the directory, relative to the primary source directory, that Files and
	// the archive's names are relative to.
	BaseDirectory string
	// DiscardPaths puts every file at the top of the archive.
	DiscardPaths bool
	Name         string
	// EnableSymlinks asks to keep symlinks as symlinks in the zip.
	EnableSymlinks bool
	// deferred holds the yes/no settings (discard-paths, enable-symlinks) written with a
	// variable or a command substitution: they are read once expanded, after the build.
	deferred map[string]string
}

// FieldError is a problem with one field of a buildspec.
type FieldError struct {
	// Field is the dotted path of the field, e.g. "phases.build.on-failure".
	Field string
	// Line is the 1-based line in the buildspec, 0 when unknown.
	Line    int
	Message string
}

func (e *FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("buildspec %s (line %d): %s", e.Field, e.Line, e.Message)
	}
	return fmt.Sprintf("buildspec %s: %s", e.Field, e.Message)
}

var (
	envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// Identifiers become part of environment variable names (CODEBUILD_SRC_DIR_<id>).
	identifier = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
)

// Parse reads a buildspec. Every problem found is reported, each as a *FieldError naming its
// field (errors.Join of them); read them with errors.As or by unwrapping.
func Parse(data []byte) (*Spec, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &FieldError{Field: "(document)", Message: "not valid YAML: " + err.Error()}
	}
	p := &parser{spec: &Spec{Shell: "bash", Variables: map[string]string{}, Phases: map[PhaseName]*Phase{}}}
	if len(doc.Content) == 0 {
		return nil, &FieldError{Field: "(document)", Message: "empty buildspec"}
	}
	p.top(doc.Content[0])
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return p.spec, nil
}

type parser struct {
	spec *Spec
	errs []error
}

func (p *parser) fail(field string, n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errs = append(p.errs, &FieldError{Field: field, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (p *parser) warn(field, why string) {
	p.spec.Warnings = append(p.spec.Warnings, fmt.Sprintf("%s: %s", field, why))
}

// mapping walks a YAML mapping, calling fn for each key in document order; duplicate keys and
// non-mapping nodes are reported.
func (p *parser) mapping(field string, n *yaml.Node, fn func(key string, keyNode, val *yaml.Node)) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		p.fail(field, n, "must be a mapping, got %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			p.fail(join(field, k.Value), k, "duplicate key")
			continue
		}
		seen[k.Value] = true
		fn(k.Value, k, v)
	}
}

func (p *parser) scalar(field string, n *yaml.Node) (string, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.fail(field, n, "must be a single value, got %s", kindName(n))
		return "", false
	}
	return n.Value, true
}

// commands reads a sequence of command strings. A single string is accepted as a one-item list.
func (p *parser) commands(field string, n *yaml.Node) []string {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		p.fail(field, n, "must be a list of commands, got %s", kindName(n))
		return nil
	}
	var out []string
	for i, c := range n.Content {
		s, ok := p.scalar(fmt.Sprintf("%s[%d]", field, i), c)
		if !ok {
			continue
		}
		if strings.ContainsRune(s, 0) {
			p.fail(fmt.Sprintf("%s[%d]", field, i), c, "contains a NUL byte")
			continue
		}
		out = append(out, s)
	}
	return out
}

func (p *parser) boolean(field string, n *yaml.Node) bool {
	s, ok := p.scalar(field, n)
	if !ok {
		return false
	}
	switch strings.ToLower(s) {
	case "yes", "true":
		return true
	case "no", "false":
		return false
	}
	p.fail(field, n, "must be yes or no, got %q", s)
	return false
}

func (p *parser) top(n *yaml.Node) {
	var versionSeen bool
	p.mapping("(document)", n, func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			versionSeen = true
			if s, ok := p.scalar("version", v); ok {
				if s != "0.2" {
					p.fail("version", v, "must be 0.2, got %q (version 0.1 runs each command in its own shell and is not supported)", s)
				}
				p.spec.Version = s
			}
		case "run-as":
			p.spec.RunAs = p.userName("run-as", v)
		case "env":
			p.env(v)
		case "phases":
			p.spec.HasPhases = true
			p.phases(v)
		case "artifacts":
			p.artifacts(v)
		case "reports":
			p.reports(v)
		case "batch":
			p.batch(v)
		case "cache":
			p.warn(key, "ignored by the local backend: nothing is cached between builds")
		case "proxy":
			p.warn(key, "ignored by the local backend: builds reach the network as this machine does")
		default:
			p.fail(key, k, "unknown key")
		}
	})
	if resolve(n).Kind != yaml.MappingNode {
		return
	}
	if !versionSeen {
		p.fail("version", n, "required")
	}
	if !p.spec.HasPhases && p.spec.Batch == nil {
		p.fail("phases", n, "required")
	}
}

// userName reads a run-as value: a Linux user name (or a numeric id).
func (p *parser) userName(field string, n *yaml.Node) string {
	s, ok := p.scalar(field, n)
	if !ok {
		return ""
	}
	if !userPattern.MatchString(s) {
		p.fail(field, n, "%q is not a Linux user name", s)
		return ""
	}
	return s
}

var userPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$`)

func (p *parser) env(n *yaml.Node) {
	p.mapping("env", n, func(key string, k, v *yaml.Node) {
		field := join("env", key)
		switch key {
		case "shell":
			if s, ok := p.scalar(field, v); ok {
				switch s {
				case "bash", "/bin/bash":
					p.spec.Shell = "bash"
				case "sh", "/bin/sh":
					p.spec.Shell = "sh"
				default:
					p.fail(field, v, "must be bash or sh, got %q", s)
				}
			}
		case "variables":
			p.variables(field, v, func(name, value string) { p.spec.Variables[name] = value })
		case "parameter-store":
			p.variables(field, v, func(name, value string) {
				if p.spec.ParameterStore == nil {
					p.spec.ParameterStore = map[string]string{}
				}
				p.spec.ParameterStore[name] = value
			})
		case "secrets-manager":
			p.mapping(field, v, func(name string, nk, nv *yaml.Node) {
				vf := join(field, name)
				value, ok := p.variable(vf, name, nk, nv)
				if !ok {
					return
				}
				ref, err := ParseSecretRef(value)
				if err != nil {
					p.fail(vf, nv, "%v", err)
					return
				}
				if p.spec.SecretsManager == nil {
					p.spec.SecretsManager = map[string]SecretRef{}
				}
				p.spec.SecretsManager[name] = ref
			})
		case "exported-variables":
			for i, name := range p.commands(field, v) {
				if !envName.MatchString(name) {
					p.fail(fmt.Sprintf("%s[%d]", field, i), v, "%q is not a valid environment variable name", name)
					continue
				}
				p.spec.ExportedVariables = append(p.spec.ExportedVariables, name)
			}
		case "git-credential-helper":
			p.boolean(field, v)
			p.warn(field, "ignored by the local backend: git uses this machine's credentials")
		case "compute-type", "image", "privileged-mode", "type", "fleet":
			// Build environment settings some buildspecs carry next to their variables.
			p.warn(field, "ignored by the local backend: builds run on this machine")
		default:
			p.fail(field, k, "unknown key")
		}
	})
}

// variables reads a mapping of environment variable names to values.
func (p *parser) variables(field string, n *yaml.Node, set func(name, value string)) {
	p.mapping(field, n, func(name string, nk, nv *yaml.Node) {
		if value, ok := p.variable(join(field, name), name, nk, nv); ok {
			set(name, value)
		}
	})
}

func (p *parser) variable(field, name string, nk, nv *yaml.Node) (string, bool) {
	if !envName.MatchString(name) {
		p.fail(field, nk, "not a valid environment variable name")
		return "", false
	}
	if strings.HasPrefix(name, "CODEBUILD_") {
		p.fail(field, nk, "names starting with CODEBUILD_ are reserved")
		return "", false
	}
	return p.scalar(field, nv)
}

func (p *parser) phases(n *yaml.Node) {
	p.mapping("phases", n, func(key string, k, v *yaml.Node) {
		field := join("phases", key)
		name := PhaseName(key)
		if !slices.Contains(Phases, name) {
			p.fail(field, k, "unknown phase; phases are install, pre_build, build and post_build")
			return
		}
		ph := &Phase{}
		if resolve(v).Tag == "!!null" {
			p.spec.Phases[name] = ph
			return
		}
		p.mapping(field, v, func(key string, k, v *yaml.Node) {
			f := join(field, key)
			switch key {
			case "commands":
				ph.Commands = p.commands(f, v)
			case "finally":
				ph.Finally = p.commands(f, v)
			case "on-failure":
				if s, ok := p.scalar(f, v); ok {
					switch OnFailure(s) {
					case Abort, Continue:
						ph.OnFailure = OnFailure(s)
					default:
						p.fail(f, v, "must be ABORT or CONTINUE, got %q", s)
					}
				}
			case "runtime-versions":
				if name != Install {
					p.fail(f, k, "only the install phase has runtime-versions")
					return
				}
				p.warn(f, "ignored by the local backend: the tools on this machine's PATH are used")
			case "run-as":
				ph.RunAs = p.userName(f, v)
			default:
				p.fail(f, k, "unknown key")
			}
		})
		p.spec.Phases[name] = ph
	})
}

func (p *parser) artifacts(n *yaml.Node) {
	primary := &ArtifactSpec{}
	hasPrimary := false
	p.mapping("artifacts", n, func(key string, k, v *yaml.Node) {
		if key == "secondary-artifacts" {
			p.spec.SecondaryArtifacts = map[string]*ArtifactSpec{}
			p.mapping("artifacts.secondary-artifacts", v, func(id string, ik, iv *yaml.Node) {
				f := join("artifacts.secondary-artifacts", id)
				if !identifier.MatchString(id) {
					p.fail(f, ik, "identifier must be letters, digits and underscores")
					return
				}
				a := &ArtifactSpec{}
				p.mapping(f, iv, func(key string, k, v *yaml.Node) { p.artifactField(f, a, key, k, v) })
				if len(a.Files) == 0 {
					p.fail(join(f, "files"), iv, "required")
				}
				p.spec.SecondaryArtifacts[id] = a
			})
			return
		}
		hasPrimary = true
		p.artifactField("artifacts", primary, key, k, v)
	})
	if hasPrimary {
		if len(primary.Files) == 0 {
			p.fail("artifacts.files", n, "required")
		}
		p.spec.Artifacts = primary
	}
}

func (p *parser) artifactField(field string, a *ArtifactSpec, key string, k, v *yaml.Node) {
	f := join(field, key)
	switch key {
	case "files":
		a.Files = p.patterns(f, v)
	case "exclude-paths":
		a.ExcludePaths = p.patterns(f, v)
	case "base-directory":
		if s, ok := p.scalar(f, v); ok {
			if !expandable(s) && !filepath.IsAbs(s) {
				if _, err := cleanRelative(s); err != nil {
					p.fail(f, v, "%v", err)
					return
				}
			}
			a.BaseDirectory = s
		}
	case "discard-paths", "enable-symlinks":
		target := &a.DiscardPaths
		if key == "enable-symlinks" {
			target = &a.EnableSymlinks
		}
		if s, ok := p.scalar(f, v); ok && expandable(s) {
			if a.deferred == nil {
				a.deferred = map[string]string{}
			}
			a.deferred[key] = s
			return
		}
		*target = p.boolean(f, v)
	case "name":
		if s, ok := p.scalar(f, v); ok {
			a.Name = s
		}
	case "s3-prefix":
		p.warn(f, "ignored by the local backend: the artifact store decides object keys")
	default:
		p.fail(f, k, "unknown key")
	}
}

// patterns reads file patterns. Those written with a variable or an absolute path are checked
// once expanded, against the build's directories (see CollectArtifacts).
func (p *parser) patterns(field string, n *yaml.Node) []string {
	list := p.commands(field, n)
	for i, pat := range list {
		if expandable(pat) || filepath.IsAbs(pat) {
			continue
		}
		if _, err := cleanPattern(pat); err != nil {
			p.fail(fmt.Sprintf("%s[%d]", field, i), n, "%v", err)
		}
	}
	return list
}

// expandable reports whether s has something the shell expands: a variable, a command
// substitution or an arithmetic expansion.
func expandable(s string) bool {
	return strings.ContainsAny(s, "$`")
}

func (p *parser) reports(n *yaml.Node) {
	p.spec.Reports = map[string]*ReportSpec{}
	p.mapping("reports", n, func(group string, gk, gv *yaml.Node) {
		f := join("reports", group)
		r := &ReportSpec{ArtifactSpec: &ArtifactSpec{}, FileFormat: "JUNITXML"}
		p.mapping(f, gv, func(key string, k, v *yaml.Node) {
			switch key {
			case "file-format":
				if s, ok := p.scalar(join(f, key), v); ok {
					if !slices.Contains(ReportFormats, strings.ToUpper(s)) {
						p.fail(join(f, key), v, "must be one of %s, got %q", strings.Join(ReportFormats, ", "), s)
						return
					}
					r.FileFormat = strings.ToUpper(s)
				}
			case "files", "base-directory", "discard-paths":
				p.artifactField(f, r.ArtifactSpec, key, k, v)
			default:
				p.fail(join(f, key), k, "unknown key")
			}
		})
		if len(r.Files) == 0 {
			p.fail(join(f, "files"), gv, "required")
		}
		p.spec.Reports[group] = r
	})
}

// resolve follows YAML aliases and document nodes.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && (n.Kind == yaml.AliasNode || n.Kind == yaml.DocumentNode) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) > 0 {
			n = n.Content[0]
		} else {
			break
		}
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Tag == "!!null":
		return "an empty value"
	default:
		return "a single value"
	}
}

func join(field, key string) string {
	if field == "(document)" {
		return key
	}
	return field + "." + key
}
