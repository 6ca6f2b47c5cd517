package artifact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// deepName is a file name nested depth elements deep (depth-1 directories and the file).
func deepName(depth int) string { return strings.Repeat("a/", depth-1) + "f" }

// TestUnzipDepthLimit: a few kilobytes of "a/a/a/…" made unzip create thousands of nested
// directories, each resolved again from the destination (4.6 s, 17.8 s, 85 s for depths 1500,
// 3000, 6000). An entry deeper than the limit is refused before anything is written, with an
// error that names the limit; one at the limit extracts.
func TestUnzipDepthLimit(t *testing.T) {
	parent := t.TempDir()
	dest := filepath.Join(parent, "dest")
	_, err := unzipBytes(craft(t, rawEntry{name: deepName(1500), body: "x"}), dest, Limits{})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "a path of 1500 elements, deeper than the limit of 256") {
		t.Fatalf("depth 1500: err = %v, want ErrLimit naming the depth and the limit", err)
	}
	if _, err := os.Stat(dest); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused archive created the destination: %v", err)
	}

	dest = filepath.Join(parent, "ok")
	if _, err := unzipBytes(craft(t, rawEntry{name: deepName(DefaultLimits.MaxDepth), body: "deep"}), dest, Limits{}); err != nil {
		t.Fatalf("depth %d: %v", DefaultLimits.MaxDepth, err)
	}
	b, err := os.ReadFile(filepath.Join(dest, filepath.FromSlash(deepName(DefaultLimits.MaxDepth))))
	if err != nil || string(b) != "deep" {
		t.Fatalf("the deepest file: %q, %v", b, err)
	}
	if _, err := unzipBytes(craft(t, rawEntry{name: "x/" + deepName(3), body: "x"}), filepath.Join(parent, "small"), Limits{MaxDepth: 3}); !errors.Is(err, ErrLimit) {
		t.Errorf("depth 4 with MaxDepth 3: %v, want ErrLimit", err)
	}
}

// TestUnzipMovesBetweenDirectories: entries go into directories in any order, the open path
// shared with the previous entry's is kept, and a name that merely starts like another ("a/b"
// and "a/bb") is its own directory.
func TestUnzipMovesBetweenDirectories(t *testing.T) {
	entries := []rawEntry{
		{name: "a/b/c/f1", body: "1"},
		{name: "a/x/f2", body: "2"},
		{name: "a/b/c/d/f3", body: "3"},
		{name: "z/f4", body: "4"},
		{name: "a/bb/f5", body: "5"},
		{name: "a/b/f6", body: "6"},
		{name: "top", body: "7"},
		{name: "a/b/c/d/e/", mode: fs.ModeDir | 0o750},
		{name: "a/b/c/d/e/f8", body: "8"},
		{name: "a/b/l", mode: fs.ModeSymlink | 0o777, body: "c/d"},
	}
	dest := t.TempDir()
	st, err := unzipBytes(craft(t, entries...), dest, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 8 || st.Dirs != 1 || st.Symlinks != 1 {
		t.Errorf("stats = %+v", st)
	}
	for _, e := range entries {
		p := filepath.Join(dest, filepath.FromSlash(strings.TrimSuffix(e.name, "/")))
		switch {
		case e.mode&fs.ModeSymlink != 0:
			if target, err := os.Readlink(p); err != nil || target != e.body {
				t.Errorf("%s -> %q, %v", e.name, target, err)
			}
		case e.mode.IsDir():
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o750 {
				t.Errorf("%s: %v %v", e.name, fi, err)
			}
		default:
			if b, err := os.ReadFile(p); err != nil || string(b) != e.body {
				t.Errorf("%s = %q, %v", e.name, b, err)
			}
		}
	}
}

// cancelAfter is an io.ReaderAt that cancels a context once it has served n reads.
type cancelAfter struct {
	r      *bytes.Reader
	n      int64
	reads  atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelAfter) ReadAt(p []byte, off int64) (int, error) {
	if c.reads.Add(1) == c.n {
		c.cancel()
	}
	return c.r.ReadAt(p, off)
}

// TestUnzipStopsWhenCancelled: unzip ignored its caller's cancellation (a "stop and abandon"
// took effect only once a long extraction ended). It stops at the next entry, or the next
// buffer of a large one.
func TestUnzipStopsWhenCancelled(t *testing.T) {
	var entries []rawEntry
	for i := range 500 {
		entries = append(entries, rawEntry{name: fmt.Sprintf("d%d/f%d", i%7, i), body: "x"})
	}
	archive := craft(t, entries...)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dest := filepath.Join(t.TempDir(), "dest")
	if _, err := Unzip(ctx, bytes.NewReader(archive), int64(len(archive)), dest, Limits{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("with an ended context: %v, want context.Canceled", err)
	}

	// Cancelled while extracting: after the directory and a few entries were read.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	r := &cancelAfter{r: bytes.NewReader(archive), n: 40, cancel: cancel}
	dest = filepath.Join(t.TempDir(), "dest")
	st, err := Unzip(ctx, r, int64(len(archive)), dest, Limits{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while extracting: %v, want context.Canceled", err)
	}
	if st.Files >= len(entries) || st.Files == 0 {
		t.Errorf("extracted %d of %d entries before stopping, want some and not all", st.Files, len(entries))
	}

	// A large entry stops between buffers.
	noise := make([]byte, 8<<20) // incompressible: read from the archive buffer by buffer
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	big := craft(t, rawEntry{name: "big", body: string(noise)})
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	r = &cancelAfter{r: bytes.NewReader(big), n: 6, cancel: cancel}
	st, err = Unzip(ctx, r, int64(len(big)), filepath.Join(t.TempDir(), "dest"), Limits{})
	if !errors.Is(err, context.Canceled) || st.Files != 0 {
		t.Fatalf("cancelled in a large entry: %v, %d files, want context.Canceled and none", err, st.Files)
	}
}

// TestUnzipErrorsQuoteNamesShort: a 60 KB entry name was echoed in full in the error.
func TestUnzipErrorsQuoteNamesShort(t *testing.T) {
	long := strings.Repeat("é", 30<<10) + `\evil`
	cases := map[string][]rawEntry{
		"backslash": {{name: long, body: "x"}},
		"duplicate": {{name: strings.Repeat("d", 60<<10), body: "1"}, {name: strings.Repeat("d", 60<<10), body: "2"}},
		"too deep":  {{name: strings.Repeat("ab/", 20<<10) + "f", body: "x"}},
	}
	for name, entries := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := unzipBytes(craft(t, entries...), filepath.Join(t.TempDir(), "dest"), Limits{})
			if err == nil {
				t.Fatal("extracted")
			}
			if msg := err.Error(); len(msg) > 400 || !strings.Contains(msg, " bytes)") {
				t.Errorf("error of %d bytes, want a short one that gives the name's length: %.500s", len(msg), msg)
			}
		})
	}
}

// BenchmarkUnzipDeep measures extraction time against depth (make bench): linear work makes
// the time per element flat as the depth doubles.
func BenchmarkUnzipDeep(b *testing.B) {
	for _, depth := range []int{1500, 3000, 6000} {
		b.Run(fmt.Sprintf("depth-%d", depth), func(b *testing.B) {
			archive := craft(b, rawEntry{name: deepName(depth), body: "x"})
			for b.Loop() {
				dest, err := os.MkdirTemp("", "unzip-deep-")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Unzip(context.Background(), bytes.NewReader(archive), int64(len(archive)), dest, Limits{MaxDepth: depth}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				os.RemoveAll(dest)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(depth), "ns/element")
		})
	}
}
