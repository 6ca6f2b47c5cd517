package local

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzOpenBody feeds arbitrary stored bytes and recorded sizes to the reader of bodies: it
// must never panic, and whatever it returns without an error must be the body that was sealed
// (a forgery cannot pass the tags).
func FuzzOpenBody(f *testing.F) {
	key := bytes.Repeat([]byte{7}, 32)
	aad := bodyAAD("b", "k", "v")
	seed := func(body []byte) []byte {
		var buf bytes.Buffer
		if _, err := sealStream(&buf, bytes.NewReader(body), key, aad, nil); err != nil {
			f.Fatal(err)
		}
		return buf.Bytes()
	}
	body := bytes.Repeat([]byte("fuzz"), 300)
	f.Add(seed(body), int64(len(body)), int64(0))
	f.Add(seed(nil), int64(0), int64(0))
	f.Add(seed(body)[:40], int64(len(body)), int64(3))
	legacy, err := seal(key, body, aad)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(legacy, int64(len(body)), int64(17))
	f.Fuzz(func(t *testing.T, stored []byte, size, off int64) {
		if size < 0 || size > 1<<20 || off < 0 {
			return
		}
		b, err := openBody(bytes.NewReader(stored), nil, int64(len(stored)), size, key, aad)
		if err != nil {
			return
		}
		defer b.Close()
		var whole bytes.Buffer
		if _, err := b.WriteTo(&whole); err != nil {
			return
		}
		if whole.Len() != int(size) || (size > 0 && !bytes.Equal(whole.Bytes(), body)) {
			t.Fatalf("opened %d bytes that were not the sealed body", whole.Len())
		}
		p := make([]byte, 64)
		n, err := b.ReadAt(p, off)
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("ReadAt after a whole read: %v", err)
		}
		if off < size && !bytes.Equal(p[:n], whole.Bytes()[off:off+int64(n)]) {
			t.Fatalf("ReadAt(%d) disagrees with the whole read", off)
		}
	})
}
