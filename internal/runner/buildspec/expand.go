package buildspec

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// expandSections returns a copy of spec whose artifacts and reports sections are expanded
// as the shell expands a word in double quotes — variables, ${…} forms, command substitution
// and arithmetic, but no word splitting and no globbing, so patterns keep their wildcards —
// with the build's final environment, in its final directory, as the top-level run-as user.
// CodeBuild documents this for artifact names ("the name uses the Shell command language");
// its multi-input sample relies on it for base-directory ($CODEBUILD_SRC_DIR_source2).
// Values without $ or ` are left as they are, and when none has one no shell runs.
func (r *runner) expandSections(spec *Spec, id *identity) (*Spec, error) {
	out := *spec
	var work expansion
	if spec.Artifacts != nil {
		out.Artifacts = work.section(spec.Artifacts, "artifacts")
	}
	if spec.SecondaryArtifacts != nil {
		out.SecondaryArtifacts = map[string]*ArtifactSpec{}
		for _, k := range sortedKeys(spec.SecondaryArtifacts) {
			out.SecondaryArtifacts[k] = work.section(spec.SecondaryArtifacts[k], "artifacts.secondary-artifacts."+k)
		}
	}
	if spec.Reports != nil {
		out.Reports = map[string]*ReportSpec{}
		for _, k := range sortedKeys(spec.Reports) {
			rep := spec.Reports[k]
			out.Reports[k] = &ReportSpec{ArtifactSpec: work.section(rep.ArtifactSpec, "reports."+k), FileFormat: rep.FileFormat}
		}
	}
	if len(work.values) == 0 {
		return &out, nil
	}
	var bad []error
	for i, v := range work.values {
		if strings.ContainsAny(v, "\n\r\x00") {
			bad = append(bad, &FieldError{Field: work.fields[i], Message: "must be one line"})
		}
	}
	if len(bad) > 0 {
		return nil, errors.Join(bad...)
	}
	expanded, err := r.shellExpand(work.values, id)
	if err != nil {
		return nil, err
	}
	for i, set := range work.sets {
		set(expanded[i])
	}
	var errs []error
	for _, f := range work.after {
		if err := f(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &out, nil
}

// expansion gathers the values to expand and where each expanded value goes.
type expansion struct {
	values []string
	fields []string
	sets   []func(string)
	after  []func() error
}

func (e *expansion) add(field, value string, set func(string)) {
	if !expandable(value) {
		set(value)
		return
	}
	e.values = append(e.values, value)
	e.fields = append(e.fields, field)
	e.sets = append(e.sets, set)
}

// section copies a, queueing its expandable values.
func (e *expansion) section(a *ArtifactSpec, field string) *ArtifactSpec {
	c := &ArtifactSpec{DiscardPaths: a.DiscardPaths, EnableSymlinks: a.EnableSymlinks}
	c.Files = make([]string, len(a.Files))
	for i, f := range a.Files {
		e.add(fmt.Sprintf("%s.files[%d]", field, i), f, func(v string) { c.Files[i] = v })
	}
	if a.ExcludePaths != nil {
		c.ExcludePaths = make([]string, len(a.ExcludePaths))
		for i, f := range a.ExcludePaths {
			e.add(fmt.Sprintf("%s.exclude-paths[%d]", field, i), f, func(v string) { c.ExcludePaths[i] = v })
		}
	}
	e.add(field+".base-directory", a.BaseDirectory, func(v string) { c.BaseDirectory = v })
	e.add(field+".name", a.Name, func(v string) { c.Name = v })
	for _, key := range sortedKeys(a.deferred) {
		target := &c.DiscardPaths
		if key == "enable-symlinks" {
			target = &c.EnableSymlinks
		}
		f, raw := field+"."+key, a.deferred[key]
		var got string
		e.add(f, raw, func(v string) { got = v })
		e.after = append(e.after, func() error {
			switch strings.ToLower(got) {
			case "yes", "true":
				*target = true
			case "no", "false", "":
				*target = false
			default:
				return &FieldError{Field: f, Message: fmt.Sprintf("must be yes or no, got %q (from %s)", got, raw)}
			}
			return nil
		})
	}
	return c
}

// shellExpand expands values in the build's shell: each goes through a here-document with an
// unquoted delimiter, which expands exactly like a double-quoted word (without the quotes'
// own escaping of "), and the results come back NUL-separated.
func (r *runner) shellExpand(values []string, id *identity) ([]string, error) {
	tag := make([]byte, 12)
	if _, err := rand.Read(tag); err != nil {
		return nil, err
	}
	delim := "__CODEBUILD_EXPAND_" + hex.EncodeToString(tag)
	r.seq++
	prefix := filepath.Join(r.state, strconv.Itoa(r.seq))
	var b strings.Builder
	fmt.Fprintf(&b, "exec > %s\n", shellQuote(prefix+".out"))
	for _, v := range values {
		// A failed expansion (${X:?}) fails cat, not the shell: stop there.
		fmt.Fprintf(&b, "cat <<%s || exit\n%s\n%s\nprintf '\\0'\n", delim, v, delim)
	}
	if err := r.writeScript(prefix+".sh", b.String(), id, prefix+".out"); err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	errOut := io.MultiWriter(r.stderr(), &stderr)
	res, err := r.start(prefix+".sh", id, nil, errOut)
	r.flush()
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("expanding the artifact sections failed (exit status %d): %s", res.ExitCode, strings.TrimSpace(stderr.String()))
	}
	data, err := os.ReadFile(prefix + ".out")
	if err != nil {
		return nil, fmt.Errorf("expanding the artifact sections: %w", err)
	}
	parts := strings.Split(string(data), "\x00")
	if len(parts) != len(values)+1 {
		return nil, fmt.Errorf("expanding the artifact sections: %d values came back for %d", len(parts)-1, len(values))
	}
	out := make([]string, len(values))
	for i := range values {
		out[i] = strings.TrimSuffix(parts[i], "\n")
	}
	return out, nil
}

func (r *runner) stderr() io.Writer {
	if r.out.Stderr != nil {
		return r.out.Stderr
	}
	return io.Discard
}
