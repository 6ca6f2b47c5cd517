package proc

import (
	"bytes"
	"fmt"
	"sync"
)

// DefaultLogLimit is the size cap NewLog uses for a non-positive limit.
const DefaultLogLimit = 1 << 20

// Log is an io.Writer that keeps at most about limit bytes of what is written to it: the first
// half and the last half, with a note of how much was left out between them. It is safe for
// concurrent writers; each Write is kept whole relative to other Writes.
type Log struct {
	mu      sync.Mutex
	headMax int
	tailMax int
	head    []byte
	// tail holds the most recent bytes after the head filled up; it grows to twice tailMax
	// before the old half is dropped, so trimming costs amortised O(1) per byte.
	tail  []byte
	total int64
}

// NewLog returns a Log keeping at most limit bytes (head and tail halves).
func NewLog(limit int) *Log {
	if limit <= 0 {
		limit = DefaultLogLimit
	}
	if limit < 2 {
		limit = 2
	}
	return &Log{headMax: limit / 2, tailMax: limit - limit/2}
}

// Write records p. It never fails.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	l.total += int64(n)
	if room := l.headMax - len(l.head); room > 0 {
		take := min(room, len(p))
		l.head = append(l.head, p[:take]...)
		p = p[take:]
	}
	if len(p) == 0 {
		return n, nil
	}
	if len(p) >= l.tailMax {
		l.tail = append(l.tail[:0], p[len(p)-l.tailMax:]...)
		return n, nil
	}
	l.tail = append(l.tail, p...)
	if len(l.tail) > 2*l.tailMax {
		l.tail = append(l.tail[:0], l.tail[len(l.tail)-l.tailMax:]...)
	}
	return n, nil
}

// Len is the number of bytes written, kept or not.
func (l *Log) Len() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// Truncated reports whether bytes were left out.
func (l *Log) Truncated() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.omitted() > 0
}

func (l *Log) keptTail() []byte {
	if len(l.tail) > l.tailMax {
		return l.tail[len(l.tail)-l.tailMax:]
	}
	return l.tail
}

func (l *Log) omitted() int64 {
	return l.total - int64(len(l.head)) - int64(len(l.keptTail()))
}

// Bytes returns the kept head, a truncation note when bytes were left out, and the kept tail.
func (l *Log) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	tail := l.keptTail()
	var b bytes.Buffer
	b.Grow(len(l.head) + len(tail) + 64)
	b.Write(l.head)
	if n := l.omitted(); n > 0 {
		if len(l.head) > 0 && l.head[len(l.head)-1] != '\n' {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "[... %d bytes of output omitted ...]\n", n)
	}
	b.Write(tail)
	return b.Bytes()
}

// String is Bytes as a string.
func (l *Log) String() string { return string(l.Bytes()) }

// LastLines returns up to n final lines of the kept output (without a trailing newline), for
// error messages that quote the end of a failed action's log.
func (l *Log) LastLines(n int) string {
	if n <= 0 {
		return ""
	}
	b := bytes.TrimRight(l.Bytes(), "\n")
	if len(b) == 0 {
		return ""
	}
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
