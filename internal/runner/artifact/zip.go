// Package artifact turns a directory into a pipeline artifact (a zip) and back.
//
// Zip is deterministic: the same files give the same bytes (entries sorted by name, fixed
// modification times, permission bits kept), so artifact versions can be compared by digest.
// Unzip treats the archive as hostile: it refuses names that leave the destination, entries
// written through symlinks, symlinks that point outside, special files, and archives whose
// entry count or expanded size exceeds a cap. Both stream: neither holds a file in memory.
package artifact

import (
	"archive/zip"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Epoch is the modification time of every entry Zip writes (the zip format's own epoch).
var Epoch = time.Date(1980, time.January, 1, 0, 0, 0, 0, time.UTC)

// Compression selects how Zip compresses file contents.
type Compression int

const (
	// CompressFast is deflate at flate.BestSpeed: the default, most of the size saving for a
	// fraction of the time.
	CompressFast Compression = iota
	// CompressNone stores contents uncompressed.
	CompressNone
	// CompressBest is deflate at flate.BestCompression.
	CompressBest
)

// Options adjust Zip. The zero value is the default.
type Options struct {
	Compression Compression
}

// Entry selects one path of the directory for the archive.
type Entry struct {
	// Path is the slash-separated path of the file, directory or symlink, relative to the
	// directory being zipped.
	Path string
	// Name is the slash-separated name in the archive; empty means Path. It differs from Path
	// when a buildspec discards paths or sets a base directory.
	Name string
}

func (e Entry) name() string {
	if e.Name != "" {
		return e.Name
	}
	return e.Path
}

// Stats counts what Zip wrote or Unzip extracted.
type Stats struct {
	Files    int
	Dirs     int
	Symlinks int
	// Bytes is the uncompressed size of the file contents.
	Bytes int64
}

// Zip writes a zip of dir to w. With a nil selection it archives the whole tree, directories
// included; otherwise exactly the selected entries (their parent directories are implied).
// Symlinks are stored as symlinks when their target, resolved both in dir and from the entry's
// archive name, stays inside the tree; any other symlink is refused, as are device files, pipes
// and sockets.
func Zip(w io.Writer, dir string, selection []Entry, opts Options) (Stats, error) {
	var st Stats
	root, err := os.OpenRoot(dir)
	if err != nil {
		return st, fmt.Errorf("zip: %w", err)
	}
	defer root.Close()

	if selection == nil {
		if selection, err = walkAll(root); err != nil {
			return st, fmt.Errorf("zip %s: %w", dir, err)
		}
	}
	entries, err := checkSelection(selection)
	if err != nil {
		return st, fmt.Errorf("zip %s: %w", dir, err)
	}

	zw := zip.NewWriter(w)
	method := zip.Deflate
	switch opts.Compression {
	case CompressNone:
		method = zip.Store
	case CompressBest:
		zw.RegisterCompressor(zip.Deflate, bestDeflate)
	default:
		zw.RegisterCompressor(zip.Deflate, fastDeflate)
	}
	bufp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bufp)
	buf := *bufp
	for _, e := range entries {
		if err := addEntry(zw, root, e, method, buf, &st); err != nil {
			return st, fmt.Errorf("zip %s: %s: %w", dir, e.Path, err)
		}
	}
	if err := zw.Close(); err != nil {
		return st, fmt.Errorf("zip %s: %w", dir, err)
	}
	return st, nil
}

// walkAll lists the tree below root, directories included, without following symlinks.
func walkAll(root *os.Root) ([]Entry, error) {
	var out []Entry
	err := fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != "." {
			out = append(out, Entry{Path: p})
		}
		return nil
	})
	return out, err
}

// checkSelection validates paths and names and sorts by archive name.
func checkSelection(sel []Entry) ([]Entry, error) {
	out := make([]Entry, 0, len(sel))
	seen := make(map[string]string, len(sel))
	for _, e := range sel {
		e.Path = strings.TrimSuffix(e.Path, "/")
		e.Name = strings.TrimSuffix(e.Name, "/")
		if !fs.ValidPath(e.Path) || e.Path == "." {
			return nil, fmt.Errorf("invalid path %q: must be relative, slash-separated, without . or .. elements", e.Path)
		}
		name := e.name()
		if !fs.ValidPath(name) || name == "." || strings.Contains(name, `\`) {
			return nil, fmt.Errorf("invalid archive name %q for %s", name, e.Path)
		}
		if prev, dup := seen[name]; dup {
			return nil, fmt.Errorf("%s and %s have the same archive name %q", prev, e.Path, name)
		}
		seen[name] = e.Path
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.name(), b.name()) })
	return out, nil
}

func addEntry(zw *zip.Writer, root *os.Root, e Entry, method uint16, buf []byte, st *Stats) error {
	fi, err := root.Lstat(e.Path)
	if err != nil {
		return err
	}
	name := e.name()
	hdr := &zip.FileHeader{Name: name, Modified: Epoch}
	mode := fi.Mode()
	switch {
	case mode.IsDir():
		hdr.Name += "/"
		hdr.SetMode(fs.ModeDir | mode.Perm())
		hdr.Method = zip.Store
		_, err := zw.CreateHeader(hdr)
		st.Dirs++
		return err
	case mode&fs.ModeSymlink != 0:
		target, err := root.Readlink(e.Path)
		if err != nil {
			return err
		}
		if err := symlinkStaysInside(root, e.Path, name, target); err != nil {
			return err
		}
		hdr.SetMode(fs.ModeSymlink | 0o777)
		hdr.Method = zip.Store
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, target)
		st.Symlinks++
		return err
	case mode.IsRegular():
		f, err := root.Open(e.Path)
		if err != nil {
			return err
		}
		defer f.Close()
		hdr.SetMode(mode.Perm())
		hdr.Method = method
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		// onlyReader hides *os.File's WriterTo, whose generic path would use a 32 KiB buffer.
		n, err := io.CopyBuffer(w, onlyReader{f}, buf)
		st.Files++
		st.Bytes += n
		return err
	default:
		return fmt.Errorf("refusing %s: only regular files, directories and symlinks go into an artifact", mode.Type())
	}
}

// symlinkStaysInside checks a link both where it is on disk and where it will be in the
// archive: discard-paths or a base directory move it, and a relative target moves with it.
func symlinkStaysInside(root *os.Root, p, name, target string) error {
	if target == "" || filepath.IsAbs(target) || path.IsAbs(target) {
		return fmt.Errorf("refusing symlink to %q: absolute or empty target", target)
	}
	if !lexicallyInside(p, target) {
		return fmt.Errorf("refusing symlink to %q: it points outside the directory", target)
	}
	if !lexicallyInside(name, target) {
		return fmt.Errorf("refusing symlink to %q: from its archive name %s it points outside the archive", target, name)
	}
	// Resolve physically too: a target can climb out through another symlink ("l/.." where l
	// points at "."). os.Root refuses any resolution that leaves the root.
	if _, err := root.Stat(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("refusing symlink to %q: %w", target, err)
	}
	return nil
}

// lexicallyInside reports whether target, relative to the directory of the slash path p,
// stays below the root without resolving other links.
func lexicallyInside(p, target string) bool {
	j := path.Join(path.Dir(p), filepath.ToSlash(target))
	return j != ".." && !strings.HasPrefix(j, "../") && !path.IsAbs(j)
}

type onlyReader struct{ io.Reader }

// copyBuffers holds the buffers Zip and Unzip copy file contents through: many small
// artifacts pass through one process, and a fresh 256 KiB buffer each was measurable.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// fastDeflate and bestDeflate reuse flate writers across entries and archives: each holds
// about a megabyte of state, which would otherwise be allocated per file.
var (
	fastDeflate = pooledDeflate(flate.BestSpeed)
	bestDeflate = pooledDeflate(flate.BestCompression)
)

func pooledDeflate(level int) zip.Compressor {
	pool := &sync.Pool{}
	return func(w io.Writer) (io.WriteCloser, error) {
		if fw, ok := pool.Get().(*flate.Writer); ok {
			fw.Reset(w)
			return &pooledWriter{Writer: fw, pool: pool}, nil
		}
		fw, err := flate.NewWriter(w, level)
		if err != nil {
			return nil, err
		}
		return &pooledWriter{Writer: fw, pool: pool}, nil
	}
}

type pooledWriter struct {
	*flate.Writer
	pool *sync.Pool
}

func (p *pooledWriter) Close() error {
	err := p.Writer.Close()
	p.pool.Put(p.Writer)
	return err
}
