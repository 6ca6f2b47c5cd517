package artifact

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits cap what Unzip extracts, against archive bombs. A zero field takes DefaultLimits'
// value.
type Limits struct {
	// MaxEntries caps the number of entries (files, directories and symlinks).
	MaxEntries int
	// MaxBytes caps the total expanded size of the file contents.
	MaxBytes int64
	// MaxDepth caps the number of path elements of an entry's name (a/b/c is 3).
	MaxDepth int
}

// DefaultLimits is generous for build outputs and small enough to stop a bomb early. No build
// output nests 256 directories deep; a zip that does is a few kilobytes of "a/a/a/…" made to
// create thousands of directories.
var DefaultLimits = Limits{MaxEntries: 200_000, MaxBytes: 8 << 30, MaxDepth: 256}

// ErrLimit is wrapped by the errors Unzip returns when an archive exceeds its Limits.
var ErrLimit = errors.New("archive exceeds the extraction limit")

// ErrUnsafe is wrapped by the errors Unzip returns for entries it refuses to write.
var ErrUnsafe = errors.New("unsafe archive entry")

// maxLinkTarget bounds how much of a symlink entry is read as its target.
const maxLinkTarget = 4096

// UnzipFile extracts the zip file at zipPath into dest; see Unzip.
func UnzipFile(ctx context.Context, zipPath, dest string, limits Limits) (Stats, error) {
	f, err := os.Open(zipPath)
	if err != nil {
		return Stats{}, fmt.Errorf("unzip: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Stats{}, fmt.Errorf("unzip: %w", err)
	}
	return Unzip(ctx, f, fi.Size(), dest, limits)
}

// Unzip extracts the zip in r (size bytes) into dest, creating dest if needed. It refuses, with
// an error wrapping ErrUnsafe: names that are absolute, contain "..", "." or empty elements or
// backslashes; duplicate names; entries whose parent is a symlink (writing through a link);
// symlinks whose target is absolute or resolves outside dest, also through other links; and
// device files, pipes and sockets. Setuid, setgid and sticky bits are dropped. It stops with an
// error wrapping ErrLimit when the entry count, an entry's depth or the bytes actually written
// exceed limits (the sizes the archive declares are checked first, then enforced while
// writing, since they can lie), and with ctx's error once ctx ends (checked for every entry
// and every buffer copied). Existing files are never overwritten. On error dest may hold a
// partial extraction: the caller owns dest and removes it.
//
// Its work is linear in the size of the names: every directory is reached from the one open
// before it, one path element at a time, never resolved again from dest.
func Unzip(ctx context.Context, r io.ReaderAt, size int64, dest string, limits Limits) (Stats, error) {
	var st Stats
	if limits.MaxEntries <= 0 {
		limits.MaxEntries = DefaultLimits.MaxEntries
	}
	if limits.MaxBytes <= 0 {
		limits.MaxBytes = DefaultLimits.MaxBytes
	}
	if limits.MaxDepth <= 0 {
		limits.MaxDepth = DefaultLimits.MaxDepth
	}
	if err := ctx.Err(); err != nil {
		return st, fmt.Errorf("unzip: %w", err)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return st, fmt.Errorf("unzip: %w", err)
	}
	if n := len(zr.File); n > limits.MaxEntries {
		return st, fmt.Errorf("unzip: %d entries, more than the limit of %d: %w", n, limits.MaxEntries, ErrLimit)
	}
	if err := checkNames(zr.File, limits); err != nil {
		return st, fmt.Errorf("unzip: %w", err)
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return st, fmt.Errorf("unzip: %w", err)
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return st, fmt.Errorf("unzip: %w", err)
	}
	defer root.Close()

	bufp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bufp)
	x := &extractor{ctx: ctx, root: root, limits: limits, dirs: map[string]bool{".": true}, buf: *bufp}
	defer x.cwd.close()
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return st, fmt.Errorf("unzip: %w", err)
		}
		if err := x.extract(f, &st); err != nil {
			return st, fmt.Errorf("unzip: %s: %w", shortName(f.Name), err)
		}
	}
	x.cwd.close()
	// A symlink that was dangling when written can resolve outside once a later entry exists
	// (s -> "l/.." written before l -> "."), so every link is checked again at the end.
	for _, l := range x.links {
		if err := ctx.Err(); err != nil {
			return st, fmt.Errorf("unzip: %w", err)
		}
		if err := resolveInside(root, l); err != nil {
			return st, fmt.Errorf("unzip: %s: %w", shortName(l), err)
		}
	}
	// Directory modes last, deepest first, so a read-only directory did not block its entries.
	slices.SortFunc(x.dirModes, func(a, b dirMode) int { return strings.Count(b.name, "/") - strings.Count(a.name, "/") })
	for _, d := range x.dirModes {
		if err := root.Chmod(d.name, d.mode); err != nil {
			return st, fmt.Errorf("unzip: %s: %w", shortName(d.name), err)
		}
	}
	return st, nil
}

// shortName is an entry name for a message: names can be 64 KiB long, and an error that
// echoes one in full buries what it says.
func shortName(name string) string {
	const keep = 120
	if len(name) <= keep {
		return fmt.Sprintf("%q", name)
	}
	cut := keep
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return fmt.Sprintf("%q… (%d bytes)", name[:cut], len(name))
}

// entryName validates a zip entry name and returns it without a trailing slash.
func entryName(f *zip.File) (string, error) {
	n := f.Name
	if strings.ContainsAny(n, "\\\x00") {
		return "", fmt.Errorf("%w: name %s contains a backslash or NUL", ErrUnsafe, shortName(n))
	}
	if strings.HasPrefix(n, "/") {
		return "", fmt.Errorf("%w: absolute path %s", ErrUnsafe, shortName(n))
	}
	trimmed := strings.TrimSuffix(n, "/")
	if trimmed == "." {
		return ".", nil
	}
	if !fs.ValidPath(trimmed) {
		return "", fmt.Errorf("%w: path %s leaves the destination or is not clean (.., . or empty elements)", ErrUnsafe, shortName(n))
	}
	return trimmed, nil
}

func checkNames(files []*zip.File, limits Limits) error {
	seen := make(map[string]bool, len(files))
	var declared uint64
	for _, f := range files {
		name, err := entryName(f)
		if err != nil {
			return err
		}
		if name != "." {
			if depth := strings.Count(name, "/") + 1; depth > limits.MaxDepth {
				return fmt.Errorf("%s: a path of %d elements, deeper than the limit of %d: %w", shortName(name), depth, limits.MaxDepth, ErrLimit)
			}
			if seen[name] {
				return fmt.Errorf("%w: duplicate entry %s", ErrUnsafe, shortName(name))
			}
			seen[name] = true
		}
		declared += f.UncompressedSize64
		if declared > uint64(limits.MaxBytes) {
			return fmt.Errorf("declared size over %d bytes, more than the limit: %w", limits.MaxBytes, ErrLimit)
		}
	}
	return nil
}

type dirMode struct {
	name string
	mode fs.FileMode
}

type extractor struct {
	ctx      context.Context
	root     *os.Root
	limits   Limits
	written  int64
	dirs     map[string]bool // directories known to be real directories (not links)
	cwd      openPath        // the directory the last entry went into, open
	links    []string
	dirModes []dirMode
	buf      []byte
}

// openPath is a directory below the destination, held open element by element: handles[i] is
// the directory of path[:ends[i]]. Moving to another directory closes what is not shared and
// opens the rest, one element at a time: entries of one directory, or of a directory below the
// last one, cost a step each, however deep they are.
type openPath struct {
	path    string
	ends    []int
	handles []*os.Root
}

func (o *openPath) close() {
	for _, h := range o.handles {
		h.Close()
	}
	*o = openPath{}
}

// truncate keeps the first n elements open.
func (o *openPath) truncate(n int) {
	for _, h := range o.handles[n:] {
		h.Close()
	}
	o.handles, o.ends = o.handles[:n], o.ends[:n]
	if n == 0 {
		o.path = ""
	} else {
		o.path = o.path[:o.ends[n-1]]
	}
}

func (x *extractor) extract(f *zip.File, st *Stats) error {
	name, err := entryName(f)
	if err != nil {
		return err
	}
	mode := f.Mode()
	isDir := strings.HasSuffix(f.Name, "/") || mode.IsDir()
	if name == "." {
		if !isDir {
			return fmt.Errorf("%w: a file named like the destination itself", ErrUnsafe)
		}
		return nil
	}
	parent, err := x.enter(path.Dir(name))
	if err != nil {
		return err
	}
	base := path.Base(name)
	switch {
	case isDir:
		if err := x.mkdir(parent, name, base); err != nil {
			return err
		}
		// The owner keeps rwx so that the workspace can always be cleaned up.
		x.dirModes = append(x.dirModes, dirMode{name, mode.Perm() | 0o700})
		st.Dirs++
		return nil
	case mode&fs.ModeSymlink != 0:
		return x.symlink(f, parent, name, base, st)
	case mode.Type() == 0:
		return x.file(f, parent, base, mode.Perm(), st)
	default:
		return fmt.Errorf("%w: %s entries are not extracted", ErrUnsafe, mode.Type())
	}
}

// enter opens dir (a clean relative path, "." for the destination itself), creating the
// directories it lacks and refusing any element that exists as a symlink or a non-directory:
// an entry must never be written through a link. It returns dir's handle.
func (x *extractor) enter(dir string) (*os.Root, error) {
	if dir == "." {
		x.cwd.truncate(0)
		return x.root, nil
	}
	// Keep the open elements dir shares with the open path.
	keep := 0
	for keep < len(x.cwd.ends) {
		end := x.cwd.ends[keep]
		if end > len(dir) || dir[:end] != x.cwd.path[:end] || end < len(dir) && dir[end] != '/' {
			break
		}
		keep++
	}
	x.cwd.truncate(keep)
	start := 0
	if keep > 0 {
		start = x.cwd.ends[keep-1] + 1
	}
	for start <= len(dir) {
		end := strings.IndexByte(dir[start:], '/')
		if end < 0 {
			end = len(dir)
		} else {
			end += start
		}
		parent := x.root
		if n := len(x.cwd.handles); n > 0 {
			parent = x.cwd.handles[n-1]
		}
		if err := x.mkdir(parent, dir[:end], dir[start:end]); err != nil {
			return nil, err
		}
		h, err := parent.OpenRoot(dir[start:end])
		if err != nil {
			return nil, err
		}
		x.cwd.path = dir[:end]
		x.cwd.ends = append(x.cwd.ends, end)
		x.cwd.handles = append(x.cwd.handles, h)
		start = end + 1
	}
	return x.cwd.handles[len(x.cwd.handles)-1], nil
}

// mkdir makes the element base of parent (the directory p) a directory, accepting an existing
// real directory and nothing else.
func (x *extractor) mkdir(parent *os.Root, p, base string) error {
	if x.dirs[p] {
		return nil
	}
	fi, err := parent.Lstat(base)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%w: %s is a symlink; refusing to write through it", ErrUnsafe, shortName(p))
	case err == nil && !fi.IsDir():
		return fmt.Errorf("%w: %s exists and is not a directory", ErrUnsafe, shortName(p))
	case errors.Is(err, fs.ErrNotExist):
		if err := parent.Mkdir(base, 0o755); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	x.dirs[p] = true
	return nil
}

func (x *extractor) file(f *zip.File, parent *os.Root, base string, perm fs.FileMode, st *Stats) error {
	remaining := x.limits.MaxBytes - x.written
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	// O_EXCL: an existing file or link (even dangling) at name is never followed or replaced.
	out, err := parent.OpenFile(base, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	// onlyWriter hides *os.File's ReaderFrom, whose generic path would copy through 32 KiB;
	// ctxReader stops a large entry once ctx ends.
	n, err := io.CopyBuffer(onlyWriter{out}, ctxReader{x.ctx, io.LimitReader(rc, remaining+1)}, x.buf)
	x.written += n
	if err == nil && n > remaining {
		err = fmt.Errorf("expanded size over %d bytes: %w", x.limits.MaxBytes, ErrLimit)
	}
	if err == nil {
		err = out.Chmod(perm)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	st.Files++
	st.Bytes += n
	return nil
}

func (x *extractor) symlink(f *zip.File, parent *os.Root, name, base string, st *Stats) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(rc, maxLinkTarget+1))
	rc.Close()
	if err != nil {
		return err
	}
	target := string(b)
	switch {
	case len(b) > maxLinkTarget:
		return fmt.Errorf("%w: symlink target longer than %d bytes", ErrUnsafe, maxLinkTarget)
	case target == "" || strings.ContainsRune(target, 0):
		return fmt.Errorf("%w: empty or NUL symlink target", ErrUnsafe)
	case strings.HasPrefix(target, "/"):
		return fmt.Errorf("%w: symlink to absolute path %s", ErrUnsafe, shortName(target))
	case !lexicallyInside(name, target):
		return fmt.Errorf("%w: symlink to %s points outside the destination", ErrUnsafe, shortName(target))
	}
	if err := parent.Symlink(target, base); err != nil {
		return err
	}
	x.links = append(x.links, name)
	st.Symlinks++
	return nil
}

// resolveInside follows name inside root element by element, symlinks included, and fails if
// the resolution ever climbs above root or uses an absolute link. A missing element ends the
// physical walk below it; the rest is resolved lexically. Each step is taken from the directory
// open before it.
func resolveInside(root *os.Root, name string) error {
	// stack holds the resolved elements: an open handle for a real directory, nil below a
	// missing element or a file.
	type elem struct {
		handle  *os.Root
		missing bool
	}
	var stack []elem
	defer func() {
		for _, e := range stack {
			if e.handle != nil {
				e.handle.Close()
			}
		}
	}()
	pending := strings.Split(name, "/")
	hops := 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return fmt.Errorf("%w: symlink resolves outside the destination", ErrUnsafe)
			}
			if h := stack[len(stack)-1].handle; h != nil {
				h.Close()
			}
			stack = stack[:len(stack)-1]
			continue
		}
		dir := root
		if n := len(stack); n > 0 {
			if stack[n-1].handle == nil {
				if !stack[n-1].missing {
					return fmt.Errorf("%w: symlink resolves through a file", ErrUnsafe)
				}
				stack = append(stack, elem{missing: true})
				continue
			}
			dir = stack[n-1].handle
		}
		fi, err := dir.Lstat(c)
		if errors.Is(err, fs.ErrNotExist) {
			stack = append(stack, elem{missing: true})
			continue
		}
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			if hops++; hops > 40 {
				return fmt.Errorf("%w: too many levels of symlinks", ErrUnsafe)
			}
			target, err := dir.Readlink(c)
			if err != nil {
				return err
			}
			if strings.HasPrefix(target, "/") {
				return fmt.Errorf("%w: symlink %s to absolute path %s", ErrUnsafe, shortName(c), shortName(target))
			}
			pending = append(strings.Split(target, "/"), pending...)
		case fi.IsDir():
			h, err := dir.OpenRoot(c)
			if err != nil {
				return err
			}
			stack = append(stack, elem{handle: h})
		default:
			stack = append(stack, elem{})
		}
	}
	return nil
}

// ctxReader fails reads once ctx has ended.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

type onlyWriter struct{ io.Writer }
