package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// storedBytes returns the stored (encrypted) bytes of an object version, from its row or its
// file, and whether they are inline.
func storedBytes(t *testing.T, c *Cloud, o *objectRow) ([]byte, bool) {
	t.Helper()
	if o.blob == "" {
		var inline []byte
		if err := c.reader.QueryRow(`SELECT body FROM object_versions WHERE seq = ?`, o.seq).Scan(&inline); err != nil {
			t.Fatal(err)
		}
		return inline, true
	}
	data, err := os.ReadFile(c.blobPath(o.blob))
	if err != nil {
		t.Fatal(err)
	}
	return data, false
}

// replaceStored makes forged the stored bytes of o where o keeps them, as if the store had
// been tampered with by someone who can write it (not decrypt it).
func replaceStored(t *testing.T, c *Cloud, o *objectRow, forged []byte) {
	t.Helper()
	var err error
	if o.blob == "" {
		_, err = c.writer.Exec(`UPDATE object_versions SET body = ? WHERE seq = ?`, forged, o.seq)
	} else {
		err = os.WriteFile(c.blobPath(o.blob), forged, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// writeLegacyBlob stores data as files were named before random ids: by their SHA-256.
func writeLegacyBlob(t *testing.T, c *Cloud, o *objectRow, data []byte) string {
	t.Helper()
	sum := sha256.Sum256(data)
	name := hex.EncodeToString(sum[:])
	if err := os.MkdirAll(filepath.Dir(c.blobPath(name)), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.blobPath(name), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.writer.Exec(`UPDATE object_versions SET blob_sha256 = ?, body = NULL WHERE seq = ?`, name, o.seq); err != nil {
		t.Fatal(err)
	}
	return name
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// TestBodiesRoundTrip puts bodies around every boundary (inline limit, chunk size) and reads
// them back whole and at offsets; it checks the stored layout and where the bytes went.
func TestBodiesRoundTrip(t *testing.T) {
	ctx := context.Background()
	c, a, _ := accounts(t)
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "chunks", Versioning: true}))
	overhead := streamHeader + 16
	for _, size := range []int{0, 1, inlineMax - overhead, inlineMax - overhead + 1, streamChunk - 1, streamChunk, streamChunk + 1, 3*streamChunk + 17} {
		body := randomBytes(size)
		v := must[string](t)(a.PutObject(ctx, "", "chunks", "k", bytes.NewReader(body)))
		got, info := must2(t)(a.GetObject(ctx, "", "chunks", "k", v))
		if !bytes.Equal(got, body) || info.Size != int64(size) {
			t.Errorf("body of %d bytes came back as %d bytes (size %d)", size, len(got), info.Size)
		}
		if sum := sha256.Sum256(body); info.ChecksumSHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("body of %d bytes: checksum %s, want its SHA-256", size, info.ChecksumSHA256)
		}
		o := must[*objectRow](t)(c.objectVersion(ctx, c.reader, "chunks", "k", v))
		stored, inline := storedBytes(t, c, o)
		chunks := max(1, (size+streamChunk-1)/streamChunk)
		if size > 0 && size%streamChunk == 0 {
			chunks = size / streamChunk
		}
		if want := streamHeader + size + 16*chunks; len(stored) != want {
			t.Errorf("body of %d bytes stored in %d bytes, want %d (header, %d chunk(s))", size, len(stored), want, chunks)
		}
		if wantInline := len(stored) <= inlineMax; inline != wantInline {
			t.Errorf("body of %d bytes (%d stored): inline = %v, want %v", size, len(stored), inline, wantInline)
		}
		// In place, at offsets that straddle chunks.
		r, _, err := a.openObject(ctx, "", "chunks", "k", v)
		if err != nil {
			t.Fatal(err)
		}
		for _, off := range []int{0, size / 3, streamChunk - 5, size - 1} {
			if off < 0 || off >= size {
				continue
			}
			p := make([]byte, min(10, size-off))
			if n, err := r.ReadAt(p, int64(off)); n != len(p) || (err != nil && !errors.Is(err, io.EOF)) || !bytes.Equal(p, body[off:off+n]) {
				t.Errorf("body of %d bytes: ReadAt(%d) = %d, %v", size, off, n, err)
			}
		}
		if n, err := r.ReadAt(make([]byte, 1), int64(size)); n != 0 || !errors.Is(err, io.EOF) {
			t.Errorf("body of %d bytes: ReadAt past the end = %d, %v; want 0, EOF", size, n, err)
		}
		r.Close()
	}
}

// TestArtifactBodiesSkipTheChecksum: the executor's artifacts are written without the
// SHA-256 CodePipeline does not ask for; their bodies still authenticate.
func TestArtifactBodiesSkipTheChecksum(t *testing.T) {
	ctx := context.Background()
	c, a, _ := accounts(t)
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "arts", Versioning: true}))
	body := randomBytes(2*streamChunk + 5)
	v := must[string](t)(a.putObject(ctx, "", "arts", "k", bytes.NewReader(body), putOptions{}))
	got, info := must2(t)(a.GetObject(ctx, "", "arts", "k", v))
	if !bytes.Equal(got, body) || info.ChecksumSHA256 != "" {
		t.Errorf("artifact body: equal = %v, checksum %q (want none)", bytes.Equal(got, body), info.ChecksumSHA256)
	}
	o := must[*objectRow](t)(c.objectVersion(ctx, c.reader, "arts", "k", v))
	stored, _ := storedBytes(t, c, o)
	stored[len(stored)-1] ^= 1
	replaceStored(t, c, o, stored)
	if _, _, err := a.GetObject(ctx, "", "arts", "k", v); !errors.Is(err, ErrCorrupt) {
		t.Errorf("tampered artifact: %v, want ErrCorrupt", err)
	}
}

// TestTamperedBodiesDoNotOpen rewrites stored bytes (as someone who can write the store but
// not decrypt it): reordered, dropped, appended and flipped chunks are refused, in a file and
// inline, and so is a row whose size was changed.
func TestTamperedBodiesDoNotOpen(t *testing.T) {
	ctx := context.Background()
	c, a, _ := accounts(t)
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "tamper", Versioning: true}))
	body := bytes.Repeat([]byte("0123456789abcdef"), 3*streamChunk/16)
	v := must[string](t)(a.PutObject(ctx, "", "tamper", "k", bytes.NewReader(body)))
	o := must[*objectRow](t)(c.objectVersion(ctx, c.reader, "tamper", "k", v))
	stored, _ := storedBytes(t, c, o)
	per := streamChunk + 16
	chunk := func(i int) []byte { return stored[streamHeader+i*per : streamHeader+(i+1)*per] }
	join := func(parts ...[]byte) []byte {
		return bytes.Join(append([][]byte{stored[:streamHeader]}, parts...), nil)
	}
	flipped := bytes.Clone(stored)
	flipped[streamHeader+per+7] ^= 0x20
	for name, forged := range map[string][]byte{
		"reordered": join(chunk(1), chunk(0), chunk(2)),
		"truncated": join(chunk(0), chunk(1)),
		"appended":  join(chunk(0), chunk(1), chunk(2), chunk(2)),
		"flipped":   flipped,
	} {
		replaceStored(t, c, o, forged)
		if _, _, err := a.GetObject(ctx, "", "tamper", "k", v); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "is corrupted") {
			t.Errorf("%s chunks: %v, want ErrCorrupt", name, err)
		}
	}
	replaceStored(t, c, o, stored)
	if got, _ := must2(t)(a.GetObject(ctx, "", "tamper", "k", v)); !bytes.Equal(got, body) {
		t.Fatal("the original bytes no longer read back")
	}
	if _, err := c.writer.Exec(`UPDATE object_versions SET size = size - 1 WHERE seq = ?`, o.seq); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.GetObject(ctx, "", "tamper", "k", v); !errors.Is(err, ErrCorrupt) {
		t.Errorf("row size changed: %v, want ErrCorrupt", err)
	}

	// Inline: a flipped byte, and an empty body swapped for another empty body's bytes.
	small := must[string](t)(a.PutObject(ctx, "", "tamper", "small", strings.NewReader("precious bytes")))
	so := must[*objectRow](t)(c.objectVersion(ctx, c.reader, "tamper", "small", small))
	sb, inline := storedBytes(t, c, so)
	if !inline {
		t.Fatal("a small body is not inline")
	}
	sb[len(sb)-3] ^= 1
	replaceStored(t, c, so, sb)
	if _, _, err := a.GetObject(ctx, "", "tamper", "small", small); !errors.Is(err, ErrCorrupt) {
		t.Errorf("flipped inline body: %v, want ErrCorrupt", err)
	}
	e1 := must[string](t)(a.PutObject(ctx, "", "tamper", "e1", strings.NewReader("")))
	e2 := must[string](t)(a.PutObject(ctx, "", "tamper", "e2", strings.NewReader("")))
	o1 := must[*objectRow](t)(c.objectVersion(ctx, c.reader, "tamper", "e1", e1))
	o2 := must[*objectRow](t)(c.objectVersion(ctx, c.reader, "tamper", "e2", e2))
	other, _ := storedBytes(t, c, o2)
	replaceStored(t, c, o1, other)
	if _, _, err := a.GetObject(ctx, "", "tamper", "e1", e1); !errors.Is(err, ErrCorrupt) {
		t.Errorf("empty body swapped for another version's: %v, want ErrCorrupt", err)
	}
}

// TestOlderStoredFormatsStillRead: a file named by its SHA-256 (checked before reading, so a
// flipped byte names the digest), and a body in the format before chunking (one seal).
func TestOlderStoredFormatsStillRead(t *testing.T) {
	ctx := context.Background()
	c, a, _ := accounts(t)
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "legacy", Versioning: true}))
	v := must[string](t)(a.PutObject(ctx, "", "legacy", "k", strings.NewReader("old body")))
	o := must[*objectRow](t)(c.objectVersion(ctx, c.reader, "legacy", "k", v))
	k := must[*keyRow](t)(scanKey(c.reader.QueryRow(`SELECT `+keyColumns+` FROM kms_keys WHERE arn = ?`, o.KMSKeyARN)))
	dataKey := must[[]byte](t)(c.decryptDataKey(ctx, c.reader, k, o.materialVersion, o.sealedDataKey, "arn:aws:s3:::legacy/k"))
	old := must[[]byte](t)(seal(dataKey, []byte("old body"), bodyAAD("legacy", "k", v)))
	name := writeLegacyBlob(t, c, o, old)
	if body, _ := must2(t)(a.GetObject(ctx, "", "legacy", "k", v)); string(body) != "old body" {
		t.Errorf("legacy body = %q", body)
	}
	// Read in place too, as artifacts are unpacked.
	r, _, err := a.openObject(ctx, "", "legacy", "k", v)
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 4)
	if n, err := r.ReadAt(p, 4); n != 4 || err != nil || string(p) != "body" {
		t.Errorf("legacy body ReadAt(4) = %q, %d, %v", p[:n], n, err)
	}
	r.Close()
	old[3] ^= 1
	if err := os.WriteFile(c.blobPath(name), old, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.GetObject(ctx, "", "legacy", "k", v); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "its SHA-256 is") {
		t.Errorf("legacy file with a flipped byte: %v, want its digest named", err)
	}
}

// TestSealedBodyConcurrentReadAt: io.ReaderAt allows parallel calls; chunks are shared and
// recycled underneath them (run with -race).
func TestSealedBodyConcurrentReadAt(t *testing.T) {
	ctx := context.Background()
	_, a, _ := accounts(t)
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "par", Versioning: true}))
	body := randomBytes(5*streamChunk + 123)
	v := must[string](t)(a.PutObject(ctx, "", "par", "k", bytes.NewReader(body)))
	r, _, err := a.openObject(ctx, "", "par", "k", v)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := make([]byte, 300_001)
			for off := int64(g * 7919); off < int64(len(body)); off += int64(len(p)) / 2 {
				n, err := r.ReadAt(p, off)
				if (err != nil && !errors.Is(err, io.EOF)) || !bytes.Equal(p[:n], body[off:off+int64(n)]) {
					t.Errorf("ReadAt(%d) = %d, %v (or wrong bytes)", off, n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// failingWriter fails once more than limit bytes were written.
type failingWriter struct{ n, limit int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n += len(p); w.n > w.limit {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// TestSealStreamFailuresEnd: a failing destination or source ends sealStream with that error
// (no goroutine left waiting), and the store keeps no file of a failed put.
func TestSealStreamFailuresEnd(t *testing.T) {
	key := randomBytes(32)
	body := randomBytes(6*streamChunk + 1)
	if _, err := sealStream(&failingWriter{limit: 2 * streamChunk}, bytes.NewReader(body), key, nil, nil); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("failing writer: %v", err)
	}
	src := io.MultiReader(bytes.NewReader(body[:3*streamChunk]), iotest(errors.New("source broke")))
	if _, err := sealStream(io.Discard, src, key, nil, nil); err == nil || !strings.Contains(err.Error(), "source broke") {
		t.Errorf("failing source: %v", err)
	}

	ctx := context.Background()
	c, a, _ := accounts(t)
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "broken", Versioning: true}))
	if _, err := a.PutObject(ctx, "", "broken", "k", io.MultiReader(bytes.NewReader(body), iotest(errors.New("source broke")))); err == nil {
		t.Fatal("a put from a failing source succeeded")
	}
	if files := blobFiles(t, c); len(files) != 0 {
		t.Errorf("files left by a failed put: %v", files)
	}
	entries, _ := os.ReadDir(filepath.Join(c.dir, objectsDir))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// iotest is a reader that fails with err.
func iotest(err error) io.Reader { return errReader{err} }

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
