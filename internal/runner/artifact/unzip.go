package artifact

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// Limits cap what Unzip extracts, against archive bombs. A zero field takes DefaultLimits'
// value.
type Limits struct {
	// MaxEntries caps the number of entries (files, directories and symlinks).
	MaxEntries int
	// MaxBytes caps the total expanded size of the file contents.
	MaxBytes int64
}

// DefaultLimits is generous for build outputs and small enough to stop a bomb early.
var DefaultLimits = Limits{MaxEntries: 200_000, MaxBytes: 8 << 30}

// ErrLimit is wrapped by the errors Unzip returns when an archive exceeds its Limits.
var ErrLimit = errors.New("archive exceeds the extraction limit")

// ErrUnsafe is wrapped by the errors Unzip returns for entries it refuses to write.
var ErrUnsafe = errors.New("unsafe archive entry")

// maxLinkTarget bounds how much of a symlink entry is read as its target.
const maxLinkTarget = 4096

// UnzipFile extracts the zip file at zipPath into dest; see Unzip.
func UnzipFile(zipPath, dest string, limits Limits) (Stats, error) {
	f, err := os.Open(zipPath)
	if err != nil {
		return Stats{}, fmt.Errorf("unzip: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Stats{}, fmt.Errorf("unzip: %w", err)
	}
	return Unzip(f, fi.Size(), dest, limits)
}

// Unzip extracts the zip in r (size bytes) into dest, creating dest if needed. It refuses, with
// an error wrapping ErrUnsafe: names that are absolute, contain "..", "." or empty elements or
// backslashes; duplicate names; entries whose parent is a symlink (writing through a link);
// symlinks whose target is absolute or resolves outside dest, also through other links; and
// device files, pipes and sockets. Setuid, setgid and sticky bits are dropped. It stops with an
// error wrapping ErrLimit when the entry count or the bytes actually written exceed limits (the
// sizes the archive declares are checked first, then enforced while writing, since they can
// lie). Existing files are never overwritten. On error dest may hold a partial extraction: the
// caller owns dest and removes it.
func Unzip(r io.ReaderAt, size int64, dest string, limits Limits) (Stats, error) {
	var st Stats
	if limits.MaxEntries <= 0 {
		limits.MaxEntries = DefaultLimits.MaxEntries
	}
	if limits.MaxBytes <= 0 {
		limits.MaxBytes = DefaultLimits.MaxBytes
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
	x := &extractor{root: root, limits: limits, dirs: map[string]bool{".": true}, buf: *bufp}
	for _, f := range zr.File {
		if err := x.extract(f, &st); err != nil {
			return st, fmt.Errorf("unzip: %s: %w", f.Name, err)
		}
	}
	// A symlink that was dangling when written can resolve outside once a later entry exists
	// (s -> "l/.." written before l -> "."), so every link is checked again at the end.
	for _, l := range x.links {
		if err := resolveInside(root, l); err != nil {
			return st, fmt.Errorf("unzip: %s: %w", l, err)
		}
	}
	// Directory modes last, deepest first, so a read-only directory did not block its entries.
	slices.SortFunc(x.dirModes, func(a, b dirMode) int { return strings.Count(b.name, "/") - strings.Count(a.name, "/") })
	for _, d := range x.dirModes {
		if err := root.Chmod(d.name, d.mode); err != nil {
			return st, fmt.Errorf("unzip: %s: %w", d.name, err)
		}
	}
	return st, nil
}

// entryName validates a zip entry name and returns it without a trailing slash.
func entryName(f *zip.File) (string, error) {
	n := f.Name
	if strings.ContainsAny(n, "\\\x00") {
		return "", fmt.Errorf("%w: name %q contains a backslash or NUL", ErrUnsafe, n)
	}
	if strings.HasPrefix(n, "/") {
		return "", fmt.Errorf("%w: absolute path %q", ErrUnsafe, n)
	}
	trimmed := strings.TrimSuffix(n, "/")
	if trimmed == "." {
		return ".", nil
	}
	if !fs.ValidPath(trimmed) {
		return "", fmt.Errorf("%w: path %q leaves the destination or is not clean (.., . or empty elements)", ErrUnsafe, n)
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
			if seen[name] {
				return fmt.Errorf("%w: duplicate entry %q", ErrUnsafe, name)
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
	root     *os.Root
	limits   Limits
	written  int64
	dirs     map[string]bool // directories known to be real directories (not links)
	links    []string
	dirModes []dirMode
	buf      []byte
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
	if err := x.ensureParents(name); err != nil {
		return err
	}
	switch {
	case isDir:
		if err := x.mkdir(name); err != nil {
			return err
		}
		// The owner keeps rwx so that the workspace can always be cleaned up.
		x.dirModes = append(x.dirModes, dirMode{name, mode.Perm() | 0o700})
		st.Dirs++
		return nil
	case mode&fs.ModeSymlink != 0:
		return x.symlink(f, name, st)
	case mode.Type() == 0:
		return x.file(f, name, mode.Perm(), st)
	default:
		return fmt.Errorf("%w: %s entries are not extracted", ErrUnsafe, mode.Type())
	}
}

// ensureParents creates the parent directories of name, refusing any that exists as a symlink
// or a non-directory: an entry must never be written through a link.
func (x *extractor) ensureParents(name string) error {
	parent := path.Dir(name)
	if x.dirs[parent] {
		return nil
	}
	parts := strings.Split(parent, "/")
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		if x.dirs[p] {
			continue
		}
		if err := x.mkdir(p); err != nil {
			return err
		}
	}
	return nil
}

// mkdir makes p a directory, accepting an existing real directory and nothing else.
func (x *extractor) mkdir(p string) error {
	if x.dirs[p] {
		return nil
	}
	fi, err := x.root.Lstat(p)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%w: %s is a symlink; refusing to write through it", ErrUnsafe, p)
	case err == nil && !fi.IsDir():
		return fmt.Errorf("%w: %s exists and is not a directory", ErrUnsafe, p)
	case errors.Is(err, fs.ErrNotExist):
		if err := x.root.Mkdir(p, 0o755); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	x.dirs[p] = true
	return nil
}

func (x *extractor) file(f *zip.File, name string, perm fs.FileMode, st *Stats) error {
	remaining := x.limits.MaxBytes - x.written
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	// O_EXCL: an existing file or link (even dangling) at name is never followed or replaced.
	out, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	// onlyWriter hides *os.File's ReaderFrom, whose generic path would copy through 32 KiB.
	n, err := io.CopyBuffer(onlyWriter{out}, io.LimitReader(rc, remaining+1), x.buf)
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

func (x *extractor) symlink(f *zip.File, name string, st *Stats) error {
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
		return fmt.Errorf("%w: symlink to absolute path %q", ErrUnsafe, target)
	case !lexicallyInside(name, target):
		return fmt.Errorf("%w: symlink to %q points outside the destination", ErrUnsafe, target)
	}
	if err := x.root.Symlink(target, name); err != nil {
		return err
	}
	x.links = append(x.links, name)
	st.Symlinks++
	return nil
}

// resolveInside follows name inside root component by component, symlinks included, and fails
// if the resolution ever climbs above root or uses an absolute link. A missing component ends
// the physical walk; the rest is resolved lexically.
func resolveInside(root *os.Root, name string) error {
	var stack []string
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
			stack = stack[:len(stack)-1]
			continue
		}
		cur := path.Join(append(stack, c)...)
		fi, err := root.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			stack = append(stack, c)
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			stack = append(stack, c)
			continue
		}
		if hops++; hops > 40 {
			return fmt.Errorf("%w: too many levels of symlinks", ErrUnsafe)
		}
		target, err := root.Readlink(cur)
		if err != nil {
			return err
		}
		if strings.HasPrefix(target, "/") {
			return fmt.Errorf("%w: symlink %s to absolute path %q", ErrUnsafe, cur, target)
		}
		pending = append(strings.Split(target, "/"), pending...)
	}
	return nil
}

type onlyWriter struct{ io.Writer }
