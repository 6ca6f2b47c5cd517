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

// Dirs are the build's directories: the primary source (CODEBUILD_SRC_DIR), where relative
// paths start, and the secondary sources (CODEBUILD_SRC_DIR_<identifier>). An absolute path in
// an artifact section must lead inside one of them.
type Dirs struct {
	Primary   string
	Secondary map[string]string
}

// CollectArtifacts selects the files of the primary and secondary artifacts, applying
// base-directory, exclude-paths and discard-paths. The spec's artifact sections must be
// expanded already (Result.Expanded): a relative base directory starts at the primary source,
// an absolute one must lie inside one of dirs. A pattern that names a directory selects the
// files below it. Directories are not descended through symlinks; a symlink itself is selected
// like a file. It fails, naming the field, when an artifact selects no file at all ("no
// matching artifact paths found"), when a base directory is missing or leaves the build's
// directories, or when discard-paths gives two files the same name.
func CollectArtifacts(spec *Spec, dirs Dirs) (*Artifacts, error) {
	out := &Artifacts{}
	var errs []error
	if spec.Artifacts != nil {
		o, err := collect(spec.Artifacts, dirs, "artifacts")
		if err != nil {
			errs = append(errs, err)
		}
		out.Primary = o
	}
	if len(spec.SecondaryArtifacts) > 0 {
		out.Secondary = map[string]*Output{}
		for _, id := range sortedKeys(spec.SecondaryArtifacts) {
			o, err := collect(spec.SecondaryArtifacts[id], dirs, "artifacts.secondary-artifacts."+id)
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// buildDir is one of the build's directories, named by its variable.
type buildDir struct {
	variable, path string
}

func (d Dirs) list() []buildDir {
	out := []buildDir{{"CODEBUILD_SRC_DIR", d.Primary}}
	for _, id := range sortedKeys(d.Secondary) {
		out = append(out, buildDir{"CODEBUILD_SRC_DIR_" + id, d.Secondary[id]})
	}
	return out
}

func (d Dirs) describe() string {
	var parts []string
	for _, bd := range d.list() {
		parts = append(parts, fmt.Sprintf("%s (%s)", bd.variable, bd.path))
	}
	return strings.Join(parts, ", ")
}

// locate finds the build directory an absolute path lies in, and the path relative to it.
func (d Dirs) locate(abs string) (buildDir, string, bool) {
	abs = filepath.Clean(abs)
	for _, bd := range d.list() {
		for _, dir := range []string{bd.path, realPath(bd.path)} {
			rel, err := filepath.Rel(dir, abs)
			if err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
				return bd, filepath.ToSlash(rel), true
			}
		}
	}
	return buildDir{}, "", false
}

func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// baseDir is a resolved base directory: the build directory it is in and the real path.
type baseDir struct {
	root string // the build directory's real path
	rel  string // the base relative to root, slash-separated ("." for root itself)
}

// resolveBase finds the base directories of an artifact section: base-directory relative to
// the primary source, or absolute inside one of the build's directories; a pattern
// ('my-build*') names every directory it matches.
func resolveBase(a *ArtifactSpec, dirs Dirs, field string) ([]baseDir, error) {
	fe := func(format string, args ...any) error {
		return &FieldError{Field: field + ".base-directory", Message: fmt.Sprintf(format, args...)}
	}
	bd, rel := buildDir{"CODEBUILD_SRC_DIR", dirs.Primary}, a.BaseDirectory
	if filepath.IsAbs(a.BaseDirectory) {
		var ok bool
		if bd, rel, ok = dirs.locate(a.BaseDirectory); !ok {
			return nil, fe("%s is outside the build's directories: an absolute base directory must lie inside %s", a.BaseDirectory, dirs.describe())
		}
	}
	clean, err := cleanRelative(rel)
	if err != nil {
		return nil, fe("%s leaves %s (%s): a relative base directory starts there", a.BaseDirectory, bd.variable, bd.path)
	}
	root, err := os.OpenRoot(bd.path)
	if err != nil {
		return nil, fmt.Errorf("artifacts: %w", err)
	}
	defer root.Close()
	rootReal := realPath(bd.path)
	var candidates []string
	if hasMeta(strings.Split(clean, "/")) {
		candidates, err = matchDirs(root, strings.Split(clean, "/"))
		if err != nil {
			return nil, fe("%s: %v", a.BaseDirectory, err)
		}
		if len(candidates) == 0 {
			return nil, fe("%s matches no directory under %s (%s)", a.BaseDirectory, bd.variable, bd.path)
		}
	} else {
		candidates = []string{clean}
	}
	var out []baseDir
	for _, c := range candidates {
		// Stat through the root: a base directory reached through a symlink that leaves the
		// build directory is refused here.
		if fi, err := root.Stat(c); err != nil || !fi.IsDir() {
			msg := "not a directory"
			if err != nil {
				msg = err.Error()
			}
			return nil, fe("%s: %s", a.BaseDirectory, msg)
		}
		real := realPath(filepath.Join(bd.path, filepath.FromSlash(c)))
		r, err := filepath.Rel(rootReal, real)
		if err != nil || r == ".." || strings.HasPrefix(r, "../") {
			return nil, fe("%s resolves outside %s (%s)", a.BaseDirectory, bd.variable, bd.path)
		}
		out = append(out, baseDir{root: rootReal, rel: filepath.ToSlash(r)})
	}
	return out, nil
}

// matchDirs lists the directories under root whose path matches the pattern elements.
func matchDirs(root *os.Root, elems []string) ([]string, error) {
	level := []string{"."}
	for _, e := range elems {
		var next []string
		for _, dir := range level {
			if e == "**" {
				return nil, errors.New("** is not allowed in a base directory")
			}
			if !hasMeta(pattern{e}) {
				if fi, err := root.Stat(path.Join(dir, e)); err == nil && fi.IsDir() {
					next = append(next, path.Join(dir, e))
				}
				continue
			}
			f, err := root.Open(dir)
			if err != nil {
				continue
			}
			entries, err := f.ReadDir(-1)
			f.Close()
			if err != nil {
				continue
			}
			for _, de := range entries {
				if ok, _ := path.Match(e, de.Name()); ok {
					if fi, err := root.Stat(path.Join(dir, de.Name())); err == nil && fi.IsDir() {
						next = append(next, path.Join(dir, de.Name()))
					}
				}
			}
		}
		level = next
	}
	sort.Strings(level)
	return level, nil
}

// relativePatterns makes the section's patterns relative to a base: an absolute pattern must
// lie inside the base directory.
func relativePatterns(list []string, base string, field string) ([]pattern, error) {
	out := make([]pattern, 0, len(list))
	for i, s := range list {
		if filepath.IsAbs(s) {
			rel, err := filepath.Rel(base, filepath.Clean(s))
			if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
				return nil, &FieldError{Field: fmt.Sprintf("%s[%d]", field, i), Message: fmt.Sprintf("%s is outside the base directory %s: an absolute path must lie inside it", s, base)}
			}
			s = filepath.ToSlash(rel)
		}
		p, err := cleanPattern(s)
		if err != nil {
			return nil, &FieldError{Field: fmt.Sprintf("%s[%d]", field, i), Message: err.Error()}
		}
		out = append(out, p)
	}
	return out, nil
}

func collect(a *ArtifactSpec, dirs Dirs, field string) (*Output, error) {
	if len(a.deferred) > 0 {
		for _, key := range sortedKeys(a.deferred) {
			return nil, &FieldError{Field: field + "." + key, Message: fmt.Sprintf("%q was not expanded", a.deferred[key])}
		}
	}
	bases, err := resolveBase(a, dirs, field)
	if err != nil {
		return nil, err
	}
	o := &Output{Name: a.Name, EnableSymlinks: a.EnableSymlinks}
	// One base: the entries are relative to it. Several (a base-directory pattern): relative
	// to the build directory, named relative to their base.
	o.Dir = filepath.Join(bases[0].root, filepath.FromSlash(bases[0].rel))
	if len(bases) > 1 {
		o.Dir = bases[0].root
	}
	matched := make([]bool, len(a.Files))
	names := map[string]string{}
	var dupErr error
	for _, b := range bases {
		base := filepath.Join(b.root, filepath.FromSlash(b.rel))
		include, err := relativePatterns(a.Files, base, field+".files")
		if err != nil {
			return nil, err
		}
		exclude, err := relativePatterns(a.ExcludePaths, base, field+".exclude-paths")
		if err != nil {
			return nil, err
		}
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
			entryPath := rel
			if len(bases) > 1 {
				entryPath = path.Join(b.rel, rel)
			}
			if prev, dup := names[name]; dup && dupErr == nil {
				dupErr = &FieldError{Field: field + ".discard-paths", Message: fmt.Sprintf("%s and %s would both be named %q in the artifact", prev, entryPath, name)}
			}
			names[name] = entryPath
			e := artifact.Entry{Path: entryPath}
			if name != entryPath {
				e.Name = name
			}
			o.Entries = append(o.Entries, e)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
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
		where := a.BaseDirectory
		if where == "" {
			where = "."
		}
		return nil, &FieldError{Field: field + ".files", Message: fmt.Sprintf("no matching artifact paths found (patterns %s under %s)", strings.Join(a.Files, ", "), where)}
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
