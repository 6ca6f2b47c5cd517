package local

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// How object bodies are stored.
//
// A body is encrypted under its own fresh data key with AES-256-GCM, in chunks, so that bodies
// of any size stream through small buffers and can be read at any offset:
//
//	header:  "pkobj" 0x00 0x02 0x00 (8 bytes) | chunk size (uint32, big-endian)
//	chunks:  GCM ciphertext+tag of each chunk-size piece of the body in order; the last one is
//	         shorter (possibly empty: an empty body is one tag-only chunk)
//
// The nonce of chunk i is i (uint64, big-endian) followed by a uint32 that is 1 for the last
// chunk and 0 otherwise: with a key used for one body only, counter nonces never repeat, and
// stored bytes that were altered, reordered, truncated or appended to fail to open. Every
// chunk's additional data is bodyAAD (bucket, key, version id), binding the body to its
// version. The chunk count follows from the stored size, which must also agree with the
// plaintext size recorded in the row.
//
// Where the stored bytes live:
//   - up to inlineMax bytes, in the version's row (one SQLite commit makes them durable: no
//     file, no file and directory fsync — most artifacts of small actions are this size);
//   - larger, in a file objects/ab/abcd… named by a random 128-bit id, written to a temporary
//     name, synced and linked into place (a reader never sees a partial file, and a link never
//     replaces an existing one).
//
// Files written before random names were named by the SHA-256 of their bytes (64 hex
// characters); their digest is still checked when they are opened. Bodies stored before the
// chunked format are one seal(): nonce || ciphertext+tag; they are still read.
const (
	streamMagic  = "pkobj\x00\x02\x00"
	streamHeader = len(streamMagic) + 4
	streamChunk  = 1 << 20
	maxChunk     = 64 << 20 // what a reader accepts as the chunk size of a stored body
	gcmOverhead  = 16
	inlineMax    = 64 << 10
	blobIDLen    = 32 // hex characters of a random blob name
	digestLen    = sha256.Size * 2
)

// chunkPool holds chunk-sized buffers (with room for a tag): a run moves many small artifacts,
// and allocating (and zeroing) megabyte buffers for each dominated the engine's own cost.
var chunkPool = sync.Pool{New: func() any { b := make([]byte, streamChunk+gcmOverhead); return &b }}

func getChunk() *[]byte  { return chunkPool.Get().(*[]byte) }
func putChunk(b *[]byte) { chunkPool.Put(b) }

func streamNonce(nonce []byte, i uint64, last bool) {
	binary.BigEndian.PutUint64(nonce[:8], i)
	binary.BigEndian.PutUint32(nonce[8:], uint32(boolInt(last)))
}

// readChunk fills buf as far as r allows; a short count means r is exhausted.
func readChunk(r io.Reader, buf []byte) (int, error) {
	n, err := io.ReadFull(r, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return n, nil
	}
	if err != nil {
		return n, fmt.Errorf("reading object body: %w", err)
	}
	return n, nil
}

// ---- writing ----

// storedBody is where putObject's stored bytes went: inline bytes or a blob file.
type storedBody struct {
	size     int64  // plaintext bytes
	checksum []byte // plaintext SHA-256, when asked for
	inline   []byte
	blob     string
}

// storeBody encrypts r under dataKey in the chunked format and stores the result inline or in
// a new blob file. With checksum it also returns the plaintext's SHA-256 (S3's
// ChecksumSHA256; artifacts written by the executor do not ask for it, as CodePipeline does not).
func (c *Cloud) storeBody(r io.Reader, dataKey, aad []byte, checksum bool) (storedBody, error) {
	sink := &spillWriter{dir: filepath.Join(c.dir, objectsDir), limit: c.inlineMax}
	defer sink.discard()
	var h hash.Hash
	if checksum {
		h = sha256.New()
	}
	size, err := sealStream(sink, r, dataKey, aad, h)
	if err != nil {
		return storedBody{}, err
	}
	out := storedBody{size: size}
	if h != nil {
		out.checksum = h.Sum(nil)
	}
	if sink.file == nil {
		out.inline = sink.buf.Bytes()
		return out, nil
	}
	if out.blob, err = c.linkBlob(sink); err != nil {
		return storedBody{}, err
	}
	return out, nil
}

// spillWriter keeps what is written in memory up to limit bytes, then moves it to a
// temporary file in dir and writes the rest there.
type spillWriter struct {
	dir           string
	limit         int
	buf           bytes.Buffer
	file          *os.File
	written, sent int64 // bytes in the file, and how many were handed to writeback
}

// writebackEvery is how much of a large body is written before its writeback is started.
const writebackEvery = 8 << 20

func (s *spillWriter) Write(p []byte) (int, error) {
	if s.file == nil && s.buf.Len()+len(p) <= s.limit {
		return s.buf.Write(p)
	}
	if s.file == nil {
		// The name says which process writes it: a killed writer's file goes at the next
		// Open (sweep.go).
		f, err := os.CreateTemp(s.dir, writerPrefix(blobTempPrefix)+"*")
		if err != nil {
			return 0, fmt.Errorf("object store: %w", err)
		}
		s.file = f
		n, err := f.Write(s.buf.Bytes())
		s.written += int64(n)
		if err != nil {
			return 0, fmt.Errorf("object store: writing %s: %w", f.Name(), err)
		}
		s.buf = bytes.Buffer{}
	}
	n, err := s.file.Write(p)
	s.written += int64(n)
	if err != nil {
		return n, fmt.Errorf("object store: writing %s: %w", s.file.Name(), err)
	}
	if s.written-s.sent >= writebackEvery {
		startWriteback(s.file, s.sent, s.written-s.sent)
		s.sent = s.written
	}
	return n, nil
}

// discard removes the temporary file unless it was linked into place (the link keeps it).
func (s *spillWriter) discard() {
	if s.file != nil {
		s.file.Close()
		os.Remove(s.file.Name())
	}
}

// linkBlob syncs the spilled file and links it into the store under a new random name.
func (c *Cloud) linkBlob(s *spillWriter) (string, error) {
	if err := s.file.Sync(); err != nil {
		return "", fmt.Errorf("object store: syncing %s: %w", s.file.Name(), err)
	}
	name := newVersionID() // 128 random bits, hex
	path := c.blobPath(name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("object store: %w", err)
	}
	// Recorded before the file exists under its name: should this process die before its
	// version commits, the database names the orphan and the sweep may remove it (sweep.go).
	ctx := context.Background()
	if err := c.write(ctx, func(tx *sql.Tx) error { return c.intendBlobs(ctx, tx, []string{name}) }); err != nil {
		return "", fmt.Errorf("object store: %w", err)
	}
	if err := os.Link(s.file.Name(), path); err != nil {
		return "", fmt.Errorf("object store: storing %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return name, nil
}

// sealStream encrypts r to w in the chunked format, feeding the plaintext to sum when it is
// not nil, and returns the plaintext's size. A body of more than one chunk is read and hashed
// in one goroutine while chunks are sealed in parallel and written in order by the caller:
// on a multi-core machine the body then moves at about the speed of its slowest step.
func sealStream(w io.Writer, r io.Reader, key []byte, aad []byte, sum hash.Hash) (int64, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return 0, err
	}
	header := make([]byte, streamHeader)
	copy(header, streamMagic)
	binary.BigEndian.PutUint32(header[len(streamMagic):], streamChunk)
	if _, err := w.Write(header); err != nil {
		return 0, fmt.Errorf("object store: %w", err)
	}
	first := getChunk()
	n, err := readChunk(r, (*first)[:streamChunk])
	if err != nil {
		putChunk(first)
		return 0, err
	}
	if n < streamChunk {
		// One chunk (every small body): sealed in place, no goroutines.
		defer putChunk(first)
		if sum != nil {
			sum.Write((*first)[:n])
		}
		nonce := make([]byte, gcm.NonceSize())
		streamNonce(nonce, 0, true)
		out := getChunk()
		defer putChunk(out)
		if _, err := w.Write(gcm.Seal((*out)[:0], nonce, (*first)[:n], aad)); err != nil {
			return 0, fmt.Errorf("object store: %w", err)
		}
		return int64(n), nil
	}
	return sealChunks(w, r, gcm, aad, sum, first)
}

// sealJob is one chunk on its way through sealChunks.
type sealJob struct {
	index uint64
	last  bool
	plain *[]byte
	n     int
	out   *[]byte
	done  chan struct{}
}

const sealDepth = 4 // chunks in flight: bounds memory at a few MiB whatever the body's size

// sealChunks is sealStream's pipeline for bodies of more than one chunk; first holds the
// first full chunk already read.
func sealChunks(w io.Writer, r io.Reader, gcm cipher.AEAD, aad []byte, sum hash.Hash, first *[]byte) (int64, error) {
	work := make(chan *sealJob, sealDepth)
	order := make(chan *sealJob, sealDepth)
	stop := make(chan struct{})
	var readErr error
	var size int64

	var workers sync.WaitGroup
	for range 2 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			nonce := make([]byte, gcm.NonceSize())
			for job := range work {
				streamNonce(nonce, job.index, job.last)
				*job.out = gcm.Seal((*job.out)[:0], nonce, (*job.plain)[:job.n], aad)
				close(job.done)
			}
		}()
	}
	// The reader: reads ahead one chunk to know which chunk is the last, hashes in order.
	go func() {
		defer close(order)
		defer close(work)
		cur, n := first, streamChunk
		for i := uint64(0); ; i++ {
			select {
			case <-stop: // the writer failed: stop reading
				putChunk(cur)
				return
			default:
			}
			last, next, m := n < streamChunk, (*[]byte)(nil), 0
			if !last {
				next = getChunk()
				var err error
				if m, err = readChunk(r, (*next)[:streamChunk]); err != nil {
					readErr = err
					putChunk(next)
					putChunk(cur)
					return
				}
				last = m == 0
			}
			if sum != nil {
				sum.Write((*cur)[:n])
			}
			size += int64(n)
			job := &sealJob{index: i, last: last, plain: cur, n: n, out: getChunk(), done: make(chan struct{})}
			select {
			case order <- job:
			case <-stop:
				putChunk(cur)
				putChunk(job.out)
				if next != nil {
					putChunk(next)
				}
				return
			}
			work <- job
			if last {
				if next != nil {
					putChunk(next)
				}
				return
			}
			cur, n = next, m
		}
	}()

	var writeErr error
	for job := range order {
		<-job.done
		if writeErr == nil {
			if _, err := w.Write(*job.out); err != nil {
				writeErr = fmt.Errorf("object store: %w", err)
				close(stop)
			}
		}
		putChunk(job.plain)
		putChunk(job.out)
	}
	workers.Wait()
	switch {
	case writeErr != nil:
		return 0, writeErr
	case readErr != nil:
		return 0, readErr
	}
	return size, nil
}

// ---- reading ----

// sealedBody reads a stored body: at any offset (io.ReaderAt, so a zip is read in place,
// without a decrypted copy on disk) or whole (io.WriterTo). Each chunk is authenticated as it
// is decrypted, and the chunk after the one read is decrypted in the background, so a
// sequential reader overlaps its own work with decryption. Close releases the buffers and
// the file.
type sealedBody struct {
	src      io.ReaderAt
	closer   io.Closer
	gcm      cipher.AEAD
	aad      []byte
	size     int64 // plaintext
	chunk    int64 // plaintext bytes per chunk
	chunks   int64
	lastSize int64 // stored bytes of the last chunk
	legacy   []byte

	mu    sync.Mutex
	slots map[int64]*chunkSlot
}

// chunkSlot is one decrypted chunk. Its buffer goes back to the pool once it is evicted,
// decrypted and no ReadAt is copying from it (refs), all decided under sealedBody.mu.
type chunkSlot struct {
	done     chan struct{}
	plain    *[]byte
	n        int
	err      error
	finished bool
	evicted  bool
	refs     int
}

// openBody prepares the stored bytes of src (storedSize of them) for reading; size is the
// plaintext size the row records. The layout is checked here; the bytes, as they are read.
func openBody(src io.ReaderAt, closer io.Closer, storedSize, size int64, key, aad []byte) (*sealedBody, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	b := &sealedBody{src: src, closer: closer, gcm: gcm, aad: aad, size: size, slots: map[int64]*chunkSlot{}}
	header := make([]byte, streamHeader)
	hn, err := src.ReadAt(header, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if hn < streamHeader || string(header[:len(streamMagic)]) != streamMagic {
		// The format before chunking: one sealed value.
		stored := make([]byte, storedSize)
		if _, err := src.ReadAt(stored, 0); err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if b.legacy, err = unseal(key, stored, aad); err != nil {
			return nil, fmt.Errorf("%w: %w", err, ErrCorrupt)
		}
		if int64(len(b.legacy)) != size {
			return nil, fmt.Errorf("body of %d bytes, the object records %d: %w", len(b.legacy), size, ErrCorrupt)
		}
		return b, nil
	}
	b.chunk = int64(binary.BigEndian.Uint32(header[len(streamMagic):]))
	if b.chunk <= 0 || b.chunk > maxChunk {
		return nil, fmt.Errorf("chunk size %d out of range: %w", b.chunk, ErrCorrupt)
	}
	per, total := b.chunk+gcmOverhead, storedSize-int64(streamHeader)
	b.chunks, b.lastSize = total/per, total%per
	switch {
	case b.lastSize == 0 && b.chunks > 0:
		b.lastSize = per
	case b.lastSize >= gcmOverhead:
		b.chunks++
	default:
		return nil, fmt.Errorf("stored size %d is not a whole number of chunks: %w", storedSize, ErrCorrupt)
	}
	if plain := (b.chunks-1)*b.chunk + b.lastSize - gcmOverhead; plain != size {
		return nil, fmt.Errorf("stored chunks hold %d bytes, the object records %d: %w", plain, size, ErrCorrupt)
	}
	if size == 0 {
		// Nothing will be read, but the one empty chunk still proves the body is genuine.
		s, err := b.chunkAt(0)
		if err != nil {
			return nil, err
		}
		b.unref(s)
	}
	return b, nil
}

// Size is the plaintext size.
func (b *sealedBody) Size() int64 { return b.size }

// Reader reads the whole plaintext from the start: an object version copied as it is.
func (b *sealedBody) Reader() io.Reader { return io.NewSectionReader(b, 0, b.size) }

// Close releases the decrypted chunks and closes the stored file.
func (b *sealedBody) Close() error {
	b.mu.Lock()
	for i, s := range b.slots {
		delete(b.slots, i)
		b.evict(s)
	}
	closer := b.closer
	b.closer = nil // a second Close does nothing
	b.mu.Unlock()
	if closer != nil {
		return closer.Close()
	}
	return nil
}

// evict drops s from use; its buffer is released now or by whoever holds it last. b.mu is held.
func (b *sealedBody) evict(s *chunkSlot) {
	s.evicted = true
	b.releaseIfUnused(s)
}

func (b *sealedBody) releaseIfUnused(s *chunkSlot) {
	if s.evicted && s.finished && s.refs == 0 && s.plain != nil {
		putChunk(s.plain)
		s.plain = nil
	}
}

// chunkAt returns chunk i decrypted, holding a reference the caller gives back with unref,
// and starts the decryption of chunk i+1. Chunks before i are evicted: readers move forward
// (the zip reader's one jump from the central directory back to the start is the exception).
func (b *sealedBody) chunkAt(i int64) (*chunkSlot, error) {
	b.mu.Lock()
	s := b.slot(i)
	s.refs++
	if i+1 < b.chunks {
		b.slot(i + 1)
	}
	for k, old := range b.slots {
		if k < i || k > i+1 {
			delete(b.slots, k)
			b.evict(old)
		}
	}
	b.mu.Unlock()
	<-s.done
	if s.err != nil {
		b.unref(s)
		return nil, s.err
	}
	return s, nil
}

func (b *sealedBody) unref(s *chunkSlot) {
	b.mu.Lock()
	s.refs--
	b.releaseIfUnused(s)
	b.mu.Unlock()
}

// slot finds or starts the decryption of chunk i; b.mu is held.
func (b *sealedBody) slot(i int64) *chunkSlot {
	if s, ok := b.slots[i]; ok {
		return s
	}
	s := &chunkSlot{done: make(chan struct{})}
	b.slots[i] = s
	go func() {
		plain, n, err := b.decrypt(i)
		b.mu.Lock()
		s.plain, s.n, s.err, s.finished = plain, n, err, true
		b.releaseIfUnused(s)
		b.mu.Unlock()
		close(s.done)
	}()
	return s
}

func (b *sealedBody) decrypt(i int64) (*[]byte, int, error) {
	per := b.chunk + gcmOverhead
	n, last := per, i == b.chunks-1
	if last {
		n = b.lastSize
	}
	stored := getChunk()
	defer putChunk(stored)
	if int64(cap(*stored)) < n {
		*stored = make([]byte, n) // a chunk size larger than ours, from another writer
	}
	if _, err := b.src.ReadAt((*stored)[:n], int64(streamHeader)+i*per); err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, err
	}
	nonce := make([]byte, b.gcm.NonceSize())
	streamNonce(nonce, uint64(i), last)
	plain := getChunk()
	if int64(cap(*plain)) < n-gcmOverhead {
		*plain = make([]byte, n-gcmOverhead)
	}
	out, err := b.gcm.Open((*plain)[:0], nonce, (*stored)[:n], b.aad)
	if err != nil {
		putChunk(plain)
		return nil, 0, fmt.Errorf("chunk %d does not decrypt: %w: %w", i, err, ErrCorrupt)
	}
	return plain, len(out), nil
}

// ReadAt reads the plaintext at off.
func (b *sealedBody) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if b.legacy != nil || b.size == 0 {
		if off >= b.size {
			return 0, io.EOF
		}
		n := copy(p, b.legacy[off:])
		if n < len(p) {
			return n, io.EOF
		}
		return n, nil
	}
	read := 0
	for read < len(p) {
		if off >= b.size {
			return read, io.EOF
		}
		i := off / b.chunk
		s, err := b.chunkAt(i)
		if err != nil {
			return read, err
		}
		n := copy(p[read:], (*s.plain)[off-i*b.chunk:s.n])
		b.unref(s)
		read += n
		off += int64(n)
	}
	return read, nil
}

// WriteTo writes the whole plaintext to w.
func (b *sealedBody) WriteTo(w io.Writer) (int64, error) {
	if b.legacy != nil {
		n, err := w.Write(b.legacy)
		if err != nil {
			return int64(n), err
		}
		return int64(n), nil
	}
	var written int64
	for i := range b.chunks {
		s, err := b.chunkAt(i)
		if err != nil {
			return written, err
		}
		n, err := w.Write((*s.plain)[:s.n])
		b.unref(s)
		written += int64(n)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// ---- the blob files ----

// blobPath is objects/ab/abcdef… for the blob named abcdef….
func (c *Cloud) blobPath(name string) string {
	return filepath.Join(c.dir, objectsDir, name[:2], name)
}

// validBlobName accepts the names the store writes: a random id, or (older files) a SHA-256.
func validBlobName(name string) bool {
	if len(name) != blobIDLen && len(name) != digestLen {
		return false
	}
	_, err := hex.DecodeString(name)
	return err == nil
}

// openBlob opens the file of a blob and returns it with its size. A file named by its SHA-256
// (written before random names) has its digest checked first.
func (c *Cloud) openBlob(name string) (*os.File, int64, error) {
	if !validBlobName(name) {
		return nil, 0, fmt.Errorf("object store: bad blob name %q: %w", name, ErrCorrupt)
	}
	path := c.blobPath(name)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, fmt.Errorf("object store: %s is missing: %w", path, ErrCorrupt)
		}
		return nil, 0, fmt.Errorf("object store: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("object store: %w", err)
	}
	if len(name) == digestLen {
		h := sha256.New()
		buf := getChunk()
		_, err := io.CopyBuffer(h, onlyReader{f}, *buf)
		putChunk(buf)
		if err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("object store: reading %s: %w", path, err)
		}
		if sum := h.Sum(nil); hex.EncodeToString(sum) != name {
			f.Close()
			return nil, 0, fmt.Errorf("object store: %s is corrupted: its SHA-256 is %x, not %s: %w", path, sum, name, ErrCorrupt)
		}
	}
	return f, fi.Size(), nil
}

// onlyReader hides a reader's WriterTo, so that io.CopyBuffer uses the buffer it is given.
type onlyReader struct{ io.Reader }
