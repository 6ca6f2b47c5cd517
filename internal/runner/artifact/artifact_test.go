package artifact

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tree describes a directory: paths ending in "/" are directories, "-> target" makes a symlink.
type node struct {
	mode fs.FileMode
	data string
	link string
}

func writeTree(t *testing.T, dir string, nodes map[string]node) {
	t.Helper()
	for name, n := range nodes {
		p := filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(name, "/")))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(name, "/"):
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case n.link != "":
			if err := os.Symlink(n.link, p); err != nil {
				t.Fatal(err)
			}
		default:
			if err := os.WriteFile(p, []byte(n.data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Modes after creation, so that read-only directories do not block their contents.
	for name, n := range nodes {
		if n.mode != 0 && n.link == "" {
			if err := os.Chmod(filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(name, "/"))), n.mode); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// readTree describes dir in the same terms as writeTree's input.
func readTree(t *testing.T, dir string) map[string]node {
	t.Helper()
	out := map[string]node{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			out[rel+"/"] = node{mode: fi.Mode().Perm()}
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = node{link: target}
		default:
			b, _ := os.ReadFile(p)
			out[rel] = node{mode: fi.Mode().Perm(), data: string(b)}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func zipBytes(t *testing.T, dir string, sel []Entry, opts Options) ([]byte, Stats, error) {
	t.Helper()
	var buf bytes.Buffer
	st, err := Zip(&buf, dir, sel, opts)
	return buf.Bytes(), st, err
}

func unzipBytes(b []byte, dest string, limits Limits) (Stats, error) {
	return Unzip(context.Background(), bytes.NewReader(b), int64(len(b)), dest, limits)
}

func TestZipUnzipRoundTrip(t *testing.T) {
	want := map[string]node{
		"a.txt":            {mode: 0o644, data: "alpha"},
		"bin/run.sh":       {mode: 0o755, data: "#!/bin/sh\necho hi\n"},
		"bin/":             {mode: 0o755},
		"secret/":          {mode: 0o700},
		"secret/key":       {mode: 0o600, data: "k"},
		"empty/":           {mode: 0o755},
		"deep/er/file":     {mode: 0o644, data: strings.Repeat("x", 100_000)},
		"deep/":            {mode: 0o755},
		"deep/er/":         {mode: 0o755},
		"links/":           {mode: 0o755},
		"links/to-file":    {link: "../a.txt"},
		"links/to-dir":     {link: "../deep"},
		"links/dangling":   {link: "missing"},
		"links/to-self-up": {link: "."},
	}
	for _, c := range []Compression{CompressFast, CompressNone, CompressBest} {
		src, dest := t.TempDir(), filepath.Join(t.TempDir(), "out")
		writeTree(t, src, want)
		b, zst, err := zipBytes(t, src, nil, Options{Compression: c})
		if err != nil {
			t.Fatal(err)
		}
		ust, err := unzipBytes(b, dest, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if zst != ust || zst.Files != 4 || zst.Symlinks != 4 || zst.Dirs != 6 {
			t.Errorf("compression %d: zip stats %+v, unzip stats %+v", c, zst, ust)
		}
		got := readTree(t, dest)
		if len(got) != len(want) {
			t.Errorf("compression %d: %d entries, want %d: %v", c, len(got), len(want), got)
		}
		for name, w := range want {
			if got[name] != w {
				t.Errorf("compression %d: %s = %+v, want %+v", c, name, got[name], w)
			}
		}
	}
}

func TestZipIsDeterministic(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]node{"b": {data: "b"}, "a/c": {data: "c"}, "l": {link: "b"}})
	first, _, err := zipBytes(t, src, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	later := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, p := range []string{"b", "a/c", "a"} {
		if err := os.Chtimes(filepath.Join(src, p), later, later); err != nil {
			t.Fatal(err)
		}
	}
	second, _, err := zipBytes(t, src, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Fatal("same tree, different modification times: different archives")
	}
	zr, err := zip.NewReader(bytes.NewReader(first), int64(len(first)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if !f.Modified.Equal(Epoch) {
			t.Errorf("%s modified %v, want %v", f.Name, f.Modified, Epoch)
		}
	}
	if got := strings.Join(names, " "); got != "a/ a/c b l" {
		t.Errorf("entry order %q", got)
	}
}

func TestZipSelection(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]node{"x/one": {data: "1"}, "y/two": {data: "2"}, "y/one": {data: "other"}, "skip": {data: "s"}})

	b, st, err := zipBytes(t, src, []Entry{{Path: "x/one", Name: "one"}, {Path: "y/two", Name: "two"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 2 {
		t.Errorf("stats %+v", st)
	}
	dest := t.TempDir()
	if _, err := unzipBytes(b, dest, Limits{}); err != nil {
		t.Fatal(err)
	}
	got := readTree(t, dest)
	if len(got) != 2 || got["one"].data != "1" || got["two"].data != "2" {
		t.Errorf("extracted %v", got)
	}

	for _, tc := range []struct {
		name string
		sel  []Entry
		want string
	}{
		{"duplicate archive names", []Entry{{Path: "x/one", Name: "one"}, {Path: "y/one", Name: "one"}}, `same archive name "one"`},
		{"path leaves the directory", []Entry{{Path: "../etc/passwd"}}, "invalid path"},
		{"absolute path", []Entry{{Path: "/etc/passwd"}}, "invalid path"},
		{"name leaves the archive", []Entry{{Path: "skip", Name: "../skip"}}, "invalid archive name"},
		{"missing file", []Entry{{Path: "nope"}}, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := zipBytes(t, src, tc.sel, Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestZipRefusesEscapingSymlinksAndSpecialFiles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nodes map[string]node
		sel   []Entry
		want  string
	}{
		{"absolute target", map[string]node{"l": {link: "/etc/passwd"}}, nil, "absolute"},
		{"parent target", map[string]node{"l": {link: "../outside"}}, nil, "outside the directory"},
		{"deep parent target", map[string]node{"a/b/l": {link: "../../../x"}}, nil, "outside the directory"},
		{"escape through another link", map[string]node{"up": {link: "."}, "s": {link: "up/.."}}, nil, "escapes"},
		{"escape through a linked directory", map[string]node{"d": {link: "/tmp"}, "f": {data: "x"}}, []Entry{{Path: "d/anything"}}, "escapes"},
		{"inside on disk, outside once renamed", map[string]node{"a/b/l": {link: "../c"}, "a/c": {data: "c"}}, []Entry{{Path: "a/b/l", Name: "l"}}, "outside the archive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := t.TempDir()
			writeTree(t, src, tc.nodes)
			if _, _, err := zipBytes(t, src, tc.sel, Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	t.Run("named pipe", func(t *testing.T) {
		src := t.TempDir()
		if err := syscall.Mkfifo(filepath.Join(src, "fifo"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := zipBytes(t, src, nil, Options{}); err == nil || !strings.Contains(err.Error(), "refusing") {
			t.Errorf("err = %v", err)
		}
	})
}

// rawEntry is one entry of a hand-crafted archive.
type rawEntry struct {
	name string
	mode fs.FileMode
	body string
}

func craft(t testing.TB, entries ...rawEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		hdr.SetMode(mode)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestUnzipRefusesHostileArchives(t *testing.T) {
	link := fs.ModeSymlink | 0o777
	for _, tc := range []struct {
		name    string
		entries []rawEntry
		want    string
	}{
		{"zip slip", []rawEntry{{name: "../evil", body: "x"}}, "leaves the destination"},
		{"zip slip inside a path", []rawEntry{{name: "a/../../evil", body: "x"}}, "leaves the destination"},
		{"zip slip that stays inside lexically", []rawEntry{{name: "a/../b", body: "x"}}, "not clean"},
		{"absolute path", []rawEntry{{name: "/tmp/evil", body: "x"}}, "absolute path"},
		{"backslash", []rawEntry{{name: `..\evil`, body: "x"}}, "backslash"},
		{"dot element", []rawEntry{{name: "a/./b", body: "x"}}, "not clean"},
		{"empty element", []rawEntry{{name: "a//b", body: "x"}}, "not clean"},
		{"duplicate", []rawEntry{{name: "x", body: "1"}, {name: "x", body: "2"}}, "duplicate"},
		{"absolute symlink", []rawEntry{{name: "l", mode: link, body: "/etc"}}, "absolute"},
		{"parent symlink", []rawEntry{{name: "l", mode: link, body: "../outside"}}, "outside"},
		{"deep parent symlink", []rawEntry{{name: "a/b/l", mode: link, body: "../../.."}}, "outside"},
		{"write through an inside symlink", []rawEntry{{name: "sub/", mode: fs.ModeDir | 0o755}, {name: "l", mode: link, body: "sub"}, {name: "l/x", body: "x"}}, "write through"},
		{"write through a dot symlink", []rawEntry{{name: "l", mode: link, body: "."}, {name: "l/x", body: "x"}}, "write through"},
		{"symlink chain escape", []rawEntry{{name: "s", mode: link, body: "l/.."}, {name: "l", mode: link, body: "."}}, "resolves outside"},
		{"symlink loop", []rawEntry{{name: "a", mode: link, body: "b"}, {name: "b", mode: link, body: "a"}}, "too many levels"},
		{"symlink then same-named directory", []rawEntry{{name: "l", mode: link, body: "."}, {name: "l/", mode: fs.ModeDir | 0o755}}, "duplicate"},
		{"device file", []rawEntry{{name: "dev", mode: fs.ModeDevice | 0o644}}, "not extracted"},
		{"char device", []rawEntry{{name: "tty", mode: fs.ModeDevice | fs.ModeCharDevice | 0o644}}, "not extracted"},
		{"named pipe", []rawEntry{{name: "fifo", mode: fs.ModeNamedPipe | 0o644}}, "not extracted"},
		{"socket", []rawEntry{{name: "sock", mode: fs.ModeSocket | 0o644}}, "not extracted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dest := filepath.Join(parent, "dest")
			_, err := unzipBytes(craft(t, tc.entries...), dest, Limits{})
			if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrUnsafe containing %q", err, tc.want)
			}
			// Nothing was written next to the destination.
			ents, _ := os.ReadDir(parent)
			for _, e := range ents {
				if e.Name() != "dest" {
					t.Errorf("wrote %s next to the destination", e.Name())
				}
			}
		})
	}
}

// A destination that already holds a symlink (placed by an earlier step) is not written through.
func TestUnzipDoesNotFollowExistingSymlinks(t *testing.T) {
	outside := t.TempDir()
	dest := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dest, "pre")); err != nil {
		t.Fatal(err)
	}
	for _, e := range []rawEntry{{name: "pre/x", body: "x"}, {name: "pre", body: "x"}} {
		if _, err := unzipBytes(craft(t, e), dest, Limits{}); err == nil {
			t.Errorf("%s: extracted through an existing symlink", e.name)
		}
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("wrote outside: %v", ents)
	}
}

func TestUnzipModes(t *testing.T) {
	dest := t.TempDir()
	b := craft(t,
		rawEntry{name: "./", mode: fs.ModeDir | 0o755},
		rawEntry{name: "suid", mode: fs.ModeSetuid | fs.ModeSetgid | 0o755, body: "x"},
		rawEntry{name: "ro/", mode: fs.ModeDir | 0o555},
		rawEntry{name: "ro/f", mode: 0o400, body: "y"},
	)
	if _, err := unzipBytes(b, dest, Limits{}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]fs.FileMode{"suid": 0o755, "ro": fs.ModeDir | 0o755, "ro/f": 0o400} {
		fi, err := os.Lstat(filepath.Join(dest, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s mode %v, want %v", name, fi.Mode(), want)
		}
	}
}

func TestUnzipLimits(t *testing.T) {
	// 64 MiB of zeros deflates to about 64 KiB: a small bomb.
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	w, err := zw.Create("zeros")
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range 64 {
		if _, err := w.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}

	many := make([]rawEntry, 11)
	for i := range many {
		many[i] = rawEntry{name: strings.Repeat("f", i+1), body: "x"}
	}
	for _, tc := range []struct {
		name    string
		archive []byte
		limits  Limits
		want    string
	}{
		{"expanded size", bomb.Bytes(), Limits{MaxBytes: 16 << 20}, "declared size"},
		{"entry count", craft(t, many...), Limits{MaxEntries: 10}, "11 entries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dest := t.TempDir()
			_, err := unzipBytes(tc.archive, dest, tc.limits)
			if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrLimit containing %q", err, tc.want)
			}
			if ents, _ := os.ReadDir(dest); len(ents) != 0 {
				t.Errorf("extracted %d entries before refusing", len(ents))
			}
		})
	}
	t.Run("within limits", func(t *testing.T) {
		st, err := unzipBytes(bomb.Bytes(), t.TempDir(), Limits{MaxBytes: 64 << 20, MaxEntries: 1})
		if err != nil || st.Bytes != 64<<20 {
			t.Fatalf("stats %+v, err %v", st, err)
		}
	})
}

// An entry whose declared size is smaller than its data is refused, not extracted in full.
func TestUnzipRefusesLyingSizes(t *testing.T) {
	data := bytes.Repeat([]byte{'a'}, 1<<20)
	var compressed bytes.Buffer
	fw, _ := flate.NewWriter(&compressed, flate.BestSpeed)
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: "liar", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(data),
		CompressedSize64: uint64(compressed.Len()), UncompressedSize64: 10}
	w, err := zw.CreateRaw(hdr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(compressed.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}

	dest := t.TempDir()
	if _, err := unzipBytes(buf.Bytes(), dest, Limits{}); err == nil {
		t.Fatal("extracted an entry larger than its declared size")
	}
	if fi, err := os.Stat(filepath.Join(dest, "liar")); err == nil && fi.Size() > 1<<19 {
		t.Errorf("wrote %d bytes of a 10-byte entry", fi.Size())
	}
}

func TestUnzipFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.zip")
	if err := os.WriteFile(p, craft(t, rawEntry{name: "hello", body: "world"}), 0o644); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(dir, "out")
	if _, err := UnzipFile(context.Background(), p, dest, Limits{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "hello")); string(b) != "world" {
		t.Errorf("hello = %q", b)
	}
	if _, err := UnzipFile(context.Background(), filepath.Join(dir, "missing.zip"), dest, Limits{}); err == nil {
		t.Error("no error for a missing archive")
	}
}
