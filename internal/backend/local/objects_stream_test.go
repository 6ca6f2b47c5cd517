package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

func TestChunkedBodiesRoundTrip(t *testing.T) {
	ctx := context.Background()
	c, a, _ := accounts(t)
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "chunks", Versioning: true}))
	for _, size := range []int{0, 1, streamChunk - 1, streamChunk, streamChunk + 1, 3*streamChunk + 17} {
		body := make([]byte, size)
		_, _ = rand.Read(body)
		v := must[string](t)(a.PutObject(ctx, "", "chunks", "k", bytes.NewReader(body)))
		got, info := must2(t)(a.GetObject(ctx, "", "chunks", "k", v))
		if !bytes.Equal(got, body) || info.Size != int64(size) {
			t.Errorf("body of %d bytes came back as %d bytes (size %d)", size, len(got), info.Size)
		}
		o := must[*objectRow](t)(c.objectVersion(ctx, c.reader, "chunks", "k", v))
		stored := must[[]byte](t)(c.readBlob(o.blob))
		chunks := max(1, (size+streamChunk-1)/streamChunk)
		if size > 0 && size%streamChunk == 0 {
			chunks = size / streamChunk
		}
		if want := streamHeader + size + 16*chunks; len(stored) != want {
			t.Errorf("body of %d bytes stored in %d bytes, want %d (header, %d chunk(s))", size, len(stored), want, chunks)
		}
	}
}

// TestTamperedChunksDoNotOpen rewrites a stored file with its digest updated (as if the store
// itself had been tampered with consistently): reordered, dropped and appended chunks are
// refused by the decryption, not only by the file digest.
func TestTamperedChunksDoNotOpen(t *testing.T) {
	ctx := context.Background()
	c, a, _ := accounts(t)
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "tamper", Versioning: true}))
	body := bytes.Repeat([]byte("0123456789abcdef"), 3*streamChunk/16)
	v := must[string](t)(a.PutObject(ctx, "", "tamper", "k", bytes.NewReader(body)))
	o := must[*objectRow](t)(c.objectVersion(ctx, c.reader, "tamper", "k", v))
	stored := must[[]byte](t)(c.readBlob(o.blob))
	per := streamChunk + 16
	chunk := func(i int) []byte { return stored[streamHeader+i*per : streamHeader+(i+1)*per] }
	join := func(parts ...[]byte) []byte {
		return bytes.Join(append([][]byte{stored[:streamHeader]}, parts...), nil)
	}
	for name, forged := range map[string][]byte{
		"reordered": join(chunk(1), chunk(0), chunk(2)),
		"truncated": join(chunk(0), chunk(1)),
		"appended":  join(chunk(0), chunk(1), chunk(2), chunk(2)),
	} {
		digest := must[string](t)(c.writeBlob(forged))
		if _, err := c.writer.Exec(`UPDATE object_versions SET blob_sha256 = ? WHERE seq = ?`, digest, o.seq); err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.GetObject(ctx, "", "tamper", "k", v); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "does not decrypt") {
			t.Errorf("%s chunks: %v, want ErrCorrupt (does not decrypt)", name, err)
		}
	}
}

// TestBodiesStoredBeforeChunkingStillRead stores a body in the earlier format (one seal) and
// reads it back.
func TestBodiesStoredBeforeChunkingStillRead(t *testing.T) {
	ctx := context.Background()
	c, a, _ := accounts(t)
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "legacy", Versioning: true}))
	v := must[string](t)(a.PutObject(ctx, "", "legacy", "k", strings.NewReader("old body")))
	o := must[*objectRow](t)(c.objectVersion(ctx, c.reader, "legacy", "k", v))
	k := must[*keyRow](t)(scanKey(c.reader.QueryRow(`SELECT `+keyColumns+` FROM kms_keys WHERE arn = ?`, o.KMSKeyARN)))
	dataKey := must[[]byte](t)(c.decryptDataKey(ctx, c.reader, k, o.materialVersion, o.sealedDataKey, "arn:aws:s3:::legacy/k"))
	old := must[[]byte](t)(seal(dataKey, []byte("old body"), bodyAAD("legacy", "k", v)))
	digest := must[string](t)(c.writeBlob(old))
	if _, err := c.writer.Exec(`UPDATE object_versions SET blob_sha256 = ? WHERE seq = ?`, digest, o.seq); err != nil {
		t.Fatal(err)
	}
	if body, _ := must2(t)(a.GetObject(ctx, "", "legacy", "k", v)); string(body) != "old body" {
		t.Errorf("legacy body = %q", body)
	}
	// Streaming to a file gives the same.
	path := t.TempDir() + "/out"
	if _, err := a.getObjectFile(ctx, "", "legacy", "k", v, path); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old body" {
		t.Errorf("legacy body streamed = %q", b)
	}
}
