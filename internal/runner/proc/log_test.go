package proc

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestLogCap(t *testing.T) {
	for _, tc := range []struct {
		name      string
		limit     int
		writes    []string
		want      string
		truncated bool
	}{
		{"empty", 10, nil, "", false},
		{"fits", 10, []string{"abc", "def"}, "abcdef", false},
		{"exactly full", 10, []string{"0123456789"}, "0123456789", false},
		{"one over", 10, []string{"0123456789x"}, "01234\n[... 1 bytes of output omitted ...]\n6789x", true},
		{"many small writes", 6, []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}, "abc\n[... 3 bytes of output omitted ...]\nghi", true},
		{"big write after head", 4, []string{"ab", "cdefghij"}, "ab\n[... 6 bytes of output omitted ...]\nij", true},
		{"head ends in newline", 8, []string{"a\nb\n", "ccccc", "dddd"}, "a\nb\n[... 5 bytes of output omitted ...]\ndddd", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := NewLog(tc.limit)
			total := 0
			for _, w := range tc.writes {
				n, err := l.Write([]byte(w))
				if err != nil || n != len(w) {
					t.Fatalf("Write = %d, %v", n, err)
				}
				total += n
			}
			if got := l.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			if l.Truncated() != tc.truncated {
				t.Errorf("Truncated() = %v", l.Truncated())
			}
			if l.Len() != int64(total) {
				t.Errorf("Len() = %d, want %d", l.Len(), total)
			}
		})
	}
}

// The tail keeps the newest bytes across many trims of its buffer.
func TestLogTailAcrossManyWrites(t *testing.T) {
	l := NewLog(20)
	for i := range 1000 {
		fmt.Fprintf(l, "line %04d\n", i)
	}
	got := l.String()
	if !strings.HasPrefix(got, "line 0000\n") {
		t.Errorf("head = %q", got)
	}
	if !strings.HasSuffix(got, "line 0999\n") {
		t.Errorf("tail = %q", got)
	}
	if want := int64(1000 * 10); l.Len() != want {
		t.Errorf("Len = %d, want %d", l.Len(), want)
	}
	if !strings.Contains(got, fmt.Sprintf("[... %d bytes of output omitted ...]", 10000-20)) {
		t.Errorf("no truncation note with the omitted count: %q", got)
	}
}

func TestLogLastLines(t *testing.T) {
	l := NewLog(0)
	if _, err := l.Write([]byte("one\ntwo\nthree\n")); err != nil {
		t.Fatal(err)
	}
	for n, want := range map[int]string{0: "", 1: "three", 2: "two\nthree", 5: "one\ntwo\nthree"} {
		if got := l.LastLines(n); got != want {
			t.Errorf("LastLines(%d) = %q, want %q", n, got, want)
		}
	}
}

// Concurrent writers (run with -race): every byte is counted, and each Write stays whole.
func TestLogConcurrentWriters(t *testing.T) {
	l := NewLog(1 << 20)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				fmt.Fprintf(l, "writer %d line %03d\n", g, i)
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(l.String(), "\n"), "\n")
	if len(lines) != 8*500 {
		t.Fatalf("%d lines, want %d", len(lines), 8*500)
	}
	seen := map[string]bool{}
	for _, line := range lines {
		var g, i int
		if _, err := fmt.Sscanf(line, "writer %d line %d", &g, &i); err != nil {
			t.Fatalf("interleaved write: %q", line)
		}
		seen[line] = true
	}
	if len(seen) != 8*500 {
		t.Errorf("%d distinct lines, want %d", len(seen), 8*500)
	}
}
