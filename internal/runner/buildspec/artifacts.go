package buildspec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/artifact"
)

// Output is the file selection of one output artifact, ready for artifact.Zip(w, Dir, Entries).
type Output struct {
	// Identifier is the secondary artifact's identifier, empty for the primary artifact.
	Identifier string
	// Name is the buildspec's name setting, possibly empty.
	Name string
	// Dir is the directory the entries' paths are relative to (the base directory).
	Dir string
	// Entries are the selected files in walk order, named as they go into the archive.
	Entries []artifact.Entry
	// EnableSymlinks is the buildspec's enable-symlinks setting.
	EnableSymlinks bool
	// Warnings name patterns that matched nothing (CodeBuild's "Skipping invalid file path").
	Warnings []string
}

// Artifacts are the selections of a build's output artifacts.
type Artifacts struct {
	Primary   *Output
	Secondary map[string]*Output
}

// CollectArtifacts selects the files of the primary and secondary artifacts under srcDir (the
// primary source directory, CODEBUILD_SRC_DIR), applying base-directory, exclude-paths and
// discard-paths. A pattern that names a directory selects the files below it. Directories are
// not descended through symlinks; a symlink itself is selected like a file. It fails, naming
// the field, when an artifact selects no file at all ("no matching artifact paths found"),
// when a base directory is missing or leaves srcDir, or when discard-paths gives two files the
// same name.
func CollectArtifacts(spec *Spec, srcDir string) (*Artifacts, error) {
	out := &Artifacts{}
	var errs []error
	if spec.Artifacts != nil {
		o, err := collect(spec.Artifacts, srcDir, "artifacts")
		if err != nil {
			errs = append(errs, err)
		}
		out.Primary = o
	}
	if len(spec.SecondaryArtifacts) > 0 {
		out.Secondary = map[string]*Output{}
		ids := make([]string, 0, len(spec.SecondaryArtifacts))
		for id := range spec.SecondaryArtifacts {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			o, err := collect(spec.SecondaryArtifacts[id], srcDir, "artifacts.secondary-artifacts."+id)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			o.Identifier = id
			out.Secondary[id] = o
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func collect(a *ArtifactSpec, srcDir, field string) (*Output, error) {
	baseRel, err := cleanRelative(a.BaseDirectory)
	if err != nil {
		return nil, &FieldError{Field: field + ".base-directory", Message: err.Error()}
	}
	root, err := os.OpenRoot(srcDir)
	if err != nil {
		return nil, fmt.Errorf("artifacts: %w", err)
	}
	defer root.Close()
	// Stat through the root: a base directory reached through a symlink that leaves the source
	// directory is refused here.
	if fi, err := root.Stat(baseRel); err != nil || !fi.IsDir() {
		msg := "not a directory"
		if err != nil {
			msg = err.Error()
		}
		return nil, &FieldError{Field: field + ".base-directory", Message: fmt.Sprintf("%s: %s", a.BaseDirectory, msg)}
	}
	include, err := compilePatterns(a.Files)
	if err != nil {
		return nil, &FieldError{Field: field + ".files", Message: err.Error()}
	}
	exclude, err := compilePatterns(a.ExcludePaths)
	if err != nil {
		return nil, &FieldError{Field: field + ".exclude-paths", Message: err.Error()}
	}
	base := filepath.Join(srcDir, filepath.FromSlash(baseRel))
	// Resolve the base once so that the walk and later zip see the same directory.
	if real, err := filepath.EvalSymlinks(base); err == nil {
		base = real
	}

	o := &Output{Name: a.Name, Dir: base, EnableSymlinks: a.EnableSymlinks}
	matched := make([]bool, len(include))
	names := map[string]string{}
	var dupErr error
	err = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil // sockets, pipes, devices: never artifact content
		}
		rel, err := filepath.Rel(base, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		hit := false
		for i, pat := range include {
			if pat.selects(rel) {
				matched[i] = true
				hit = true
			}
		}
		if !hit {
			return nil
		}
		for _, pat := range exclude {
			if pat.selects(rel) {
				return nil
			}
		}
		name := rel
		if a.DiscardPaths {
			name = path.Base(rel)
		}
		if prev, dup := names[name]; dup && dupErr == nil {
			dupErr = &FieldError{Field: field + ".discard-paths", Message: fmt.Sprintf("%s and %s would both be named %q in the artifact", prev, rel, name)}
		}
		names[name] = rel
		e := artifact.Entry{Path: rel}
		if name != rel {
			e.Name = name
		}
		o.Entries = append(o.Entries, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	if dupErr != nil {
		return nil, dupErr
	}
	for i, ok := range matched {
		if !ok {
			o.Warnings = append(o.Warnings, fmt.Sprintf("%s.files: skipping invalid file path %s", field, a.Files[i]))
		}
	}
	if len(o.Entries) == 0 {
		return nil, &FieldError{Field: field + ".files", Message: fmt.Sprintf("no matching artifact paths found (patterns %s under %s)", strings.Join(a.Files, ", "), baseRel)}
	}
	return o, nil
}

// cleanRelative cleans a slash path relative to the source directory; "" and "./" mean ".".
func cleanRelative(s string) (string, error) {
	if s == "" {
		return ".", nil
	}
	if strings.HasPrefix(s, "/") || filepath.IsAbs(s) {
		return "", fmt.Errorf("%q must be relative to the source directory", s)
	}
	c := path.Clean(filepath.ToSlash(s))
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%q leaves the source directory", s)
	}
	return c, nil
}

// pattern is a compiled file pattern: its elements, where "**" matches any number of elements.
type pattern []string

func compilePatterns(list []string) ([]pattern, error) {
	out := make([]pattern, 0, len(list))
	for _, s := range list {
		p, err := cleanPattern(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func cleanPattern(s string) (pattern, error) {
	c, err := cleanRelative(s)
	if err != nil {
		return nil, err
	}
	if c == "." {
		c = "**"
	}
	elems := strings.Split(c, "/")
	for _, e := range elems {
		if e == "**" {
			continue
		}
		if _, err := path.Match(e, ""); err != nil {
			return nil, fmt.Errorf("bad pattern %q: %w", s, err)
		}
	}
	return elems, nil
}

// selects reports whether the pattern matches the file rel. A pattern without wildcards also
// selects the files below the directory it names; "dir/*" stays one level deep, as in CodeBuild.
func (p pattern) selects(rel string) bool {
	parts := strings.Split(rel, "/")
	if matchElems(p, parts) {
		return true
	}
	if len(p) < len(parts) && !hasMeta(p) {
		return matchElems(p, parts[:len(p)])
	}
	return false
}

func hasMeta(p pattern) bool {
	for _, e := range p {
		if strings.ContainsAny(e, `*?[\`) {
			return true
		}
	}
	return false
}

func matchElems(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			for i := 0; i <= len(name); i++ {
				if matchElems(rest, name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}
