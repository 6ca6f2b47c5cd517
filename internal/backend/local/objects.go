package local

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// NullVersion is the version id of an object written while versioning is off, as in S3.
const NullVersion = "null"

// ErrCorrupt is wrapped when a stored object file does not match its recorded SHA-256.
var ErrCorrupt = errors.New("stored object is corrupted")

// ObjectInfo describes one object version or delete marker.
type ObjectInfo struct {
	Bucket, Key, VersionID string
	IsLatest               bool
	DeleteMarker           bool
	Size                   int64
	ChecksumSHA256         string // hex SHA-256 of the plaintext body
	KMSKeyARN              string // the key the body's data key is sealed with
	LastModified           time.Time
}

// objectRow is an object_versions row.
type objectRow struct {
	ObjectInfo
	seq             int64
	blob            string
	materialVersion int
	sealedDataKey   []byte
}

const objectColumns = `seq, bucket, object_key, version_id, is_latest, delete_marker, size, checksum_sha256, blob_sha256, kms_key_arn, material_version, sealed_data_key, created_at`

func scanObject(row interface{ Scan(...any) error }) (*objectRow, error) {
	var o objectRow
	var latest, marker int
	var created string
	if err := row.Scan(&o.seq, &o.Bucket, &o.Key, &o.VersionID, &latest, &marker, &o.Size, &o.ChecksumSHA256, &o.blob,
		&o.KMSKeyARN, &o.materialVersion, &o.sealedDataKey, &created); err != nil {
		return nil, err
	}
	o.IsLatest, o.DeleteMarker, o.LastModified = latest != 0, marker != 0, parseTime(created)
	return &o, nil
}

// bodyAAD binds an encrypted body to its object version, so a file cannot be passed off as
// another version's.
func bodyAAD(bucket, key, versionID string) []byte {
	return []byte("object\x00" + bucket + "\x00" + key + "\x00" + versionID)
}

func checkObjectKey(key string) error {
	if key == "" || len(key) > 1024 {
		return fmt.Errorf("object key of %d bytes: it must be 1–1024 bytes: %w", len(key), backend.ErrInvalid)
	}
	return nil
}

// bucketKey is the key that encrypts new objects of b: its configured key, resolved in the
// bucket's account and region, or that account's AWS-managed aws/s3 key.
func (c *Cloud) bucketKey(ctx context.Context, b *bucketRow) (*keyRow, error) {
	if b.keyARN == "" {
		return c.ensureManagedKey(ctx, b.account, b.region)
	}
	k, err := c.resolveKey(ctx, c.reader, b.account, b.region, b.keyARN)
	if err != nil {
		return nil, fmt.Errorf("bucket %s encryption key: %w", b.name, err)
	}
	return k, nil
}

// PutObject stores body as a new version of key in bucket, acting as principal (a role ARN,
// an account root ARN, or "" for the acting account's root). The principal needs s3:PutObject
// on the object (identity and bucket policy) and kms:GenerateDataKey on the bucket's key
// (identity and key policy). With versioning on the new version gets a fresh id; with
// versioning off it replaces the "null" version. Returns the version id.
func (a *Account) PutObject(ctx context.Context, principal, bucket, key string, body io.Reader) (string, error) {
	return a.putObject(ctx, principal, bucket, key, "", body)
}

// putObject is PutObject with the KMS key of the request (SSE-KMS with a key id, key ARN or
// alias, as CodePipeline writes artifacts with the pipeline's key); "" is the bucket's key.
func (a *Account) putObject(ctx context.Context, principal, bucket, key, kmsKeyID string, body io.Reader) (string, error) {
	principal = a.normalizePrincipal(principal)
	if err := checkObjectKey(key); err != nil {
		return "", err
	}
	b, err := a.c.bucketRow(ctx, a.c.reader, bucket)
	if err != nil {
		return "", err
	}
	objectARN := policy.ObjectARN(bucket, key)
	if err := a.c.authorize(ctx, a.c.reader, accessRequest{
		principal: principal, action: "s3:PutObject", resource: objectARN,
		resourceKind: "bucket policy", resourcePolicy: b.policy, resourceAccount: b.account,
		context: map[string]string{"s3:x-amz-server-side-encryption": "aws:kms"},
	}); err != nil {
		return "", err
	}
	k, err := a.c.bucketKey(ctx, b)
	switch {
	case kmsKeyID == managedS3Alias:
		k, err = a.c.ensureManagedKey(ctx, b.account, b.region)
	case kmsKeyID != "":
		k, err = a.c.resolveKey(ctx, a.c.reader, b.account, b.region, kmsKeyID)
	}
	if err != nil {
		return "", err
	}
	if err := a.c.checkKeyUse(ctx, a.c.reader, principal, "kms:GenerateDataKey", k, b.region); err != nil {
		return "", err
	}
	versionID := NullVersion
	if b.versioning {
		versionID = newVersionID()
	}
	dataKey, sealedKey, materialVersion, err := a.c.generateDataKey(ctx, a.c.reader, k, objectARN)
	if err != nil {
		return "", err
	}
	var size int64
	var plainSum []byte
	digest, err := a.c.writeBlobFrom(func(w io.Writer) error {
		var err error
		size, plainSum, err = sealStream(w, body, dataKey, bodyAAD(bucket, key, versionID))
		return err
	})
	clear(dataKey)
	if err != nil {
		return "", err
	}

	var replaced []string
	err = a.c.write(ctx, func(tx *sql.Tx) error {
		replaced = nil
		now, err := a.c.bucketRow(ctx, tx, bucket)
		if err != nil {
			return err
		}
		if now.versioning != b.versioning || now.account != b.account {
			return fmt.Errorf("bucket %s changed while the object was written; retry: %w", bucket, backend.ErrConflict)
		}
		if versionID == NullVersion {
			// A put without versioning replaces the null version (S3): drop its row; its
			// file goes once nothing refers to it. Other versions are kept.
			var old string
			err := tx.QueryRowContext(ctx, `SELECT blob_sha256 FROM object_versions WHERE bucket = ? AND object_key = ? AND version_id = ?`,
				bucket, key, NullVersion).Scan(&old)
			switch {
			case err == nil:
				replaced = append(replaced, old)
				if _, err := tx.ExecContext(ctx, `DELETE FROM object_versions WHERE bucket = ? AND object_key = ? AND version_id = ?`, bucket, key, NullVersion); err != nil {
					return err
				}
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE object_versions SET is_latest = 0 WHERE bucket = ? AND object_key = ?`, bucket, key); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO object_versions (bucket, account_id, region, object_key, version_id, is_latest, delete_marker, size,
				checksum_sha256, blob_sha256, kms_key_arn, material_version, sealed_data_key, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, 1, 0, ?, ?, ?, ?, ?, ?, ?, ?)`,
			bucket, b.account, b.region, key, versionID, size, hex.EncodeToString(plainSum), digest,
			k.arn, materialVersion, sealedKey, principal, a.c.timestamp())
		if isUniqueViolation(err) {
			return fmt.Errorf("object %s version %s: %w", objectARN, versionID, backend.ErrConflict)
		}
		return err
	})
	if err != nil {
		a.c.removeUnreferencedBlobs(ctx, []string{digest})
		return "", err
	}
	a.c.removeUnreferencedBlobs(ctx, replaced)
	return versionID, nil
}

// GetObject returns the body and description of one version of key ("" = the latest),
// acting as principal. It needs s3:GetObject (s3:GetObjectVersion when a version is named) and
// kms:Decrypt on the key the version was encrypted with. The stored file's SHA-256 is checked
// before anything is decrypted.
func (a *Account) GetObject(ctx context.Context, principal, bucket, key, versionID string) ([]byte, ObjectInfo, error) {
	var buf bytes.Buffer
	info, err := a.getObjectTo(ctx, principal, bucket, key, versionID, &buf, func(size int64) { buf.Grow(int(size)) })
	if err != nil {
		return nil, info, err
	}
	return buf.Bytes(), info, nil
}

// getObjectTo is GetObject writing the body to w as it is decrypted, for bodies too large to
// hold in memory. On error w may have received part of the body (or a body whose plaintext
// checksum then did not match): the caller discards what it wrote. sized, when not nil, is
// told the body's size first.
func (a *Account) getObjectTo(ctx context.Context, principal, bucket, key, versionID string, w io.Writer, sized func(int64)) (ObjectInfo, error) {
	principal = a.normalizePrincipal(principal)
	b, err := a.c.bucketRow(ctx, a.c.reader, bucket)
	if err != nil {
		return ObjectInfo{}, err
	}
	action := "s3:GetObject"
	if versionID != "" {
		action = "s3:GetObjectVersion"
	}
	objectARN := policy.ObjectARN(bucket, key)
	if err := a.c.authorize(ctx, a.c.reader, accessRequest{
		principal: principal, action: action, resource: objectARN,
		resourceKind: "bucket policy", resourcePolicy: b.policy, resourceAccount: b.account,
	}); err != nil {
		return ObjectInfo{}, err
	}
	o, err := a.c.objectVersion(ctx, a.c.reader, bucket, key, versionID)
	if err != nil {
		return ObjectInfo{}, err
	}
	if o.DeleteMarker {
		return o.ObjectInfo, fmt.Errorf("object %s version %s is a delete marker: %w", objectARN, o.VersionID, backend.ErrNotFound)
	}
	k, err := scanKey(a.c.reader.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM kms_keys WHERE arn = ?`, o.KMSKeyARN))
	if errors.Is(err, sql.ErrNoRows) {
		return o.ObjectInfo, fmt.Errorf("object %s version %s: its KMS key %s no longer exists: %w", objectARN, o.VersionID, o.KMSKeyARN, ErrKeyState)
	}
	if err != nil {
		return o.ObjectInfo, err
	}
	if err := a.c.checkKeyUse(ctx, a.c.reader, principal, "kms:Decrypt", k, b.region); err != nil {
		return o.ObjectInfo, err
	}
	f, storedSize, err := a.c.openBlob(o.blob)
	if err != nil {
		return o.ObjectInfo, fmt.Errorf("object %s version %s: %w", objectARN, o.VersionID, err)
	}
	defer f.Close()
	dataKey, err := a.c.decryptDataKey(ctx, a.c.reader, k, o.materialVersion, o.sealedDataKey, objectARN)
	if err != nil {
		return o.ObjectInfo, err
	}
	if sized != nil {
		sized(o.Size)
	}
	sum, err := openStream(w, f, storedSize, dataKey, bodyAAD(bucket, key, o.VersionID))
	clear(dataKey)
	if err != nil {
		var we *writeError
		if errors.As(err, &we) {
			return o.ObjectInfo, fmt.Errorf("object %s version %s: %w", objectARN, o.VersionID, we.err)
		}
		return o.ObjectInfo, fmt.Errorf("object %s version %s does not decrypt: %w: %w", objectARN, o.VersionID, err, ErrCorrupt)
	}
	if hex.EncodeToString(sum) != o.ChecksumSHA256 {
		return o.ObjectInfo, fmt.Errorf("object %s version %s: plaintext checksum mismatch: %w", objectARN, o.VersionID, ErrCorrupt)
	}
	return o.ObjectInfo, nil
}

func (c *Cloud) objectVersion(ctx context.Context, q querier, bucket, key, versionID string) (*objectRow, error) {
	var row *sql.Row
	if versionID == "" {
		row = q.QueryRowContext(ctx, `SELECT `+objectColumns+` FROM object_versions WHERE bucket = ? AND object_key = ? AND is_latest = 1`, bucket, key)
	} else {
		row = q.QueryRowContext(ctx, `SELECT `+objectColumns+` FROM object_versions WHERE bucket = ? AND object_key = ? AND version_id = ?`, bucket, key, versionID)
	}
	o, err := scanObject(row)
	if errors.Is(err, sql.ErrNoRows) {
		name := policy.ObjectARN(bucket, key)
		if versionID != "" {
			name += " version " + versionID
		}
		return nil, backend.NotFoundError("object", name)
	}
	return o, err
}

// ListObjectVersions lists every version and delete marker of the keys under prefix, by key
// and newest first (as S3 does); it needs s3:ListBucketVersions on the bucket.
func (a *Account) ListObjectVersions(ctx context.Context, principal, bucket, prefix string) ([]ObjectInfo, error) {
	return a.list(ctx, principal, bucket, prefix, "s3:ListBucketVersions",
		`SELECT `+objectColumns+` FROM object_versions WHERE bucket = ? AND substr(object_key, 1, length(?)) = ? ORDER BY object_key, seq DESC`)
}

// ListObjects lists the current (latest, not deleted) versions under prefix; it needs
// s3:ListBucket on the bucket.
func (a *Account) ListObjects(ctx context.Context, principal, bucket, prefix string) ([]ObjectInfo, error) {
	return a.list(ctx, principal, bucket, prefix, "s3:ListBucket",
		`SELECT `+objectColumns+` FROM object_versions WHERE bucket = ? AND substr(object_key, 1, length(?)) = ? AND is_latest = 1 AND delete_marker = 0 ORDER BY object_key`)
}

func (a *Account) list(ctx context.Context, principal, bucket, prefix, action, query string) ([]ObjectInfo, error) {
	principal = a.normalizePrincipal(principal)
	b, err := a.c.bucketRow(ctx, a.c.reader, bucket)
	if err != nil {
		return nil, err
	}
	if err := a.c.authorize(ctx, a.c.reader, accessRequest{
		principal: principal, action: action, resource: policy.BucketARN(bucket),
		resourceKind: "bucket policy", resourcePolicy: b.policy, resourceAccount: b.account,
		context: map[string]string{"s3:prefix": prefix},
	}); err != nil {
		return nil, err
	}
	rows, err := a.c.reader.QueryContext(ctx, query, bucket, prefix, prefix)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ObjectInfo
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o.ObjectInfo)
	}
	return out, rows.Err()
}

// DeleteObject deletes key as S3 does, acting as principal. Without a version id it needs
// s3:DeleteObject: on a versioned bucket it adds a delete marker (nothing is removed); without
// versioning it removes the null version, leaving a null delete marker when older versions
// remain. With a version id it needs s3:DeleteObjectVersion and removes that version for good.
// It returns the delete marker created, or the version removed.
func (a *Account) DeleteObject(ctx context.Context, principal, bucket, key, versionID string) (ObjectInfo, error) {
	principal = a.normalizePrincipal(principal)
	b, err := a.c.bucketRow(ctx, a.c.reader, bucket)
	if err != nil {
		return ObjectInfo{}, err
	}
	action := "s3:DeleteObject"
	if versionID != "" {
		action = "s3:DeleteObjectVersion"
	}
	if err := a.c.authorize(ctx, a.c.reader, accessRequest{
		principal: principal, action: action, resource: policy.ObjectARN(bucket, key),
		resourceKind: "bucket policy", resourcePolicy: b.policy, resourceAccount: b.account,
	}); err != nil {
		return ObjectInfo{}, err
	}
	var out ObjectInfo
	var removed []string
	err = a.c.write(ctx, func(tx *sql.Tx) error {
		removed, out = nil, ObjectInfo{}
		now, err := a.c.bucketRow(ctx, tx, bucket)
		if err != nil {
			return err
		}
		remove := func(o *objectRow) error {
			if o.blob != "" {
				removed = append(removed, o.blob)
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM object_versions WHERE seq = ?`, o.seq)
			return err
		}
		if versionID != "" {
			o, err := a.c.objectVersion(ctx, tx, bucket, key, versionID)
			if err != nil {
				return err
			}
			if err := remove(o); err != nil {
				return err
			}
			out = o.ObjectInfo
			// The newest remaining version becomes the latest again.
			_, err = tx.ExecContext(ctx, `UPDATE object_versions SET is_latest = 1 WHERE seq =
				(SELECT max(seq) FROM object_versions WHERE bucket = ? AND object_key = ?)`, bucket, key)
			return err
		}
		marker := newVersionID()
		if !now.versioning {
			marker = NullVersion
			o, err := a.c.objectVersion(ctx, tx, bucket, key, NullVersion)
			switch {
			case err == nil:
				if err := remove(o); err != nil {
					return err
				}
				out = o.ObjectInfo
			case !isNotFound(err):
				return err
			}
			var others int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM object_versions WHERE bucket = ? AND object_key = ?`, bucket, key).Scan(&others); err != nil {
				return err
			}
			if others == 0 {
				return nil // an unversioned object is simply gone
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE object_versions SET is_latest = 0 WHERE bucket = ? AND object_key = ?`, bucket, key); err != nil {
			return err
		}
		created := a.c.timestamp()
		if _, err := tx.ExecContext(ctx, `INSERT INTO object_versions (bucket, account_id, region, object_key, version_id, is_latest, delete_marker, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, 1, 1, ?, ?)`, bucket, now.account, now.region, key, marker, principal, created); err != nil {
			return err
		}
		out = ObjectInfo{Bucket: bucket, Key: key, VersionID: marker, IsLatest: true, DeleteMarker: true, LastModified: parseTime(created)}
		return nil
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	a.c.removeUnreferencedBlobs(ctx, removed)
	return out, nil
}

// ---- the content-addressed file store ----

// blobPath is objects/ab/abcdef… for the SHA-256 digest abcdef….
func (c *Cloud) blobPath(digest string) string {
	return filepath.Join(c.dir, objectsDir, digest[:2], digest)
}

// writeBlob stores data under its SHA-256 and returns the digest; see writeBlobFrom.
func (c *Cloud) writeBlob(data []byte) (string, error) {
	return c.writeBlobFrom(func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeBlobFrom stores what fill writes under its SHA-256 and returns the digest. The file is
// written to a temporary name while it is hashed, synced, and linked into place: a reader
// never sees a partial file, and an existing file is never replaced (a link onto an existing
// name fails; same name means same content).
func (c *Cloud) writeBlobFrom(fill func(w io.Writer) error) (string, error) {
	dir := filepath.Join(c.dir, objectsDir)
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("object store: %w", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, h), blobBuffer)
	if err := fill(bw); err != nil {
		tmp.Close()
		return "", err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("object store: writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("object store: syncing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("object store: %w", err)
	}
	digest := hex.EncodeToString(h.Sum(nil))
	path := c.blobPath(digest)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("object store: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("object store: storing %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return digest, nil
}

// readBlob reads the file of digest and checks its SHA-256.
func (c *Cloud) readBlob(digest string) ([]byte, error) {
	f, _, err := c.openBlob(digest)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}
	return data, nil
}

// openBlob opens the file of digest after checking its SHA-256 (one pass over the file), and
// returns it positioned at its start with its size.
func (c *Cloud) openBlob(digest string) (*os.File, int64, error) {
	if len(digest) != sha256.Size*2 {
		return nil, 0, fmt.Errorf("object store: bad digest %q: %w", digest, ErrCorrupt)
	}
	path := c.blobPath(digest)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, fmt.Errorf("object store: %s is missing: %w", path, ErrCorrupt)
		}
		return nil, 0, fmt.Errorf("object store: %w", err)
	}
	h := sha256.New()
	size, err := io.CopyBuffer(h, f, make([]byte, blobBuffer))
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("object store: reading %s: %w", path, err)
	}
	if sum := h.Sum(nil); hex.EncodeToString(sum) != digest {
		f.Close()
		return nil, 0, fmt.Errorf("object store: %s is corrupted: its SHA-256 is %x, not %s: %w", path, sum, digest, ErrCorrupt)
	}
	return f, size, nil
}

// removeUnreferencedBlobs deletes the files of digests no version refers to any more. It runs
// after the deleting transaction committed, so a failure leaves at worst an orphan file, never
// a version without its file.
func (c *Cloud) removeUnreferencedBlobs(ctx context.Context, digests []string) {
	for _, d := range digests {
		if len(d) != sha256.Size*2 {
			continue
		}
		var n int
		if err := c.reader.QueryRowContext(ctx, `SELECT count(*) FROM object_versions WHERE blob_sha256 = ?`, d).Scan(&n); err != nil || n > 0 {
			continue
		}
		_ = os.Remove(c.blobPath(d))
	}
}

// ---- the stored format of object bodies ----

// An object body is stored encrypted under its own fresh data key with AES-256-GCM, in chunks,
// so that bodies of any size stream through small buffers:
//
//	header:  "pkobj" 0x00 0x02 0x00 (8 bytes) | chunk size (uint32, big-endian)
//	chunks:  GCM ciphertext+tag of each chunk-size piece of the body in order; the last one is
//	         shorter (possibly empty: an empty body is one tag-only chunk)
//
// The nonce of chunk i is i (uint64, big-endian) followed by a uint32 that is 1 for the last
// chunk and 0 otherwise: with a key used for one body only, counter nonces never repeat, and a
// file whose chunks were reordered, dropped or appended to fails to open. Every chunk's
// additional data is bodyAAD (bucket, key, version id), binding the body to its version. The
// chunk count follows from the file's size. The SHA-256 of the stored file (its name in the
// store) is checked before decrypting and the SHA-256 of the plaintext after.
//
// Bodies stored before this format are one seal(): nonce || ciphertext+tag; they are still read.
const (
	streamMagic  = "pkobj\x00\x02\x00"
	streamHeader = len(streamMagic) + 4
	streamChunk  = 1 << 20
	maxChunk     = 64 << 20 // what a reader accepts as the chunk size of a stored file
	blobBuffer   = 1 << 20
)

// writeError is a failure to write the decrypted body to its destination (not a corruption).
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

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

// sealStream encrypts r to w in the chunked format and returns the plaintext's size and SHA-256.
func sealStream(w io.Writer, r io.Reader, key, aad []byte) (int64, []byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return 0, nil, err
	}
	header := make([]byte, streamHeader)
	copy(header, streamMagic)
	binary.BigEndian.PutUint32(header[len(streamMagic):], streamChunk)
	if _, err := w.Write(header); err != nil {
		return 0, nil, fmt.Errorf("object store: %w", err)
	}
	h := sha256.New()
	cur, next := make([]byte, streamChunk), make([]byte, streamChunk)
	out := make([]byte, 0, streamChunk+gcm.Overhead())
	nonce := make([]byte, gcm.NonceSize())
	n, err := readChunk(r, cur)
	if err != nil {
		return 0, nil, err
	}
	var size int64
	for i := uint64(0); ; i++ {
		last, m := n < streamChunk, 0
		if !last {
			// A full chunk is the last one only when nothing follows it.
			if m, err = readChunk(r, next); err != nil {
				return 0, nil, err
			}
			last = m == 0
		}
		h.Write(cur[:n])
		size += int64(n)
		streamNonce(nonce, i, last)
		out = gcm.Seal(out[:0], nonce, cur[:n], aad)
		if _, err := w.Write(out); err != nil {
			return 0, nil, fmt.Errorf("object store: %w", err)
		}
		if last {
			return size, h.Sum(nil), nil
		}
		cur, next, n = next, cur, m
	}
}

// openStream decrypts a stored body of storedSize bytes from r to w and returns the
// plaintext's SHA-256. A failure to write to w is a *writeError; any other error means the
// stored bytes do not open.
func openStream(w io.Writer, r io.Reader, storedSize int64, key, aad []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	header := make([]byte, streamHeader)
	hn, err := io.ReadFull(r, header)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if hn < streamHeader || string(header[:len(streamMagic)]) != streamMagic {
		// The format before chunking: one sealed value.
		rest, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		body, err := unseal(key, append(header[:hn], rest...), aad)
		if err != nil {
			return nil, err
		}
		h.Write(body)
		if _, err := w.Write(body); err != nil {
			return nil, &writeError{err}
		}
		return h.Sum(nil), nil
	}
	chunk := int64(binary.BigEndian.Uint32(header[len(streamMagic):]))
	if chunk <= 0 || chunk > maxChunk {
		return nil, fmt.Errorf("chunk size %d out of range", chunk)
	}
	per, total := chunk+int64(gcm.Overhead()), storedSize-int64(streamHeader)
	chunks, lastLen := total/per, total%per
	switch {
	case lastLen == 0 && chunks > 0:
		lastLen = per
	case lastLen >= int64(gcm.Overhead()):
		chunks++
	default:
		return nil, fmt.Errorf("stored size %d is not a whole number of chunks", storedSize)
	}
	buf := make([]byte, per)
	plain := make([]byte, 0, chunk)
	nonce := make([]byte, gcm.NonceSize())
	for i := int64(0); i < chunks; i++ {
		n, last := per, i == chunks-1
		if last {
			n = lastLen
		}
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return nil, err
		}
		streamNonce(nonce, uint64(i), last)
		if plain, err = gcm.Open(plain[:0], nonce, buf[:n], aad); err != nil {
			return nil, fmt.Errorf("chunk %d: %w", i, err)
		}
		h.Write(plain)
		if _, err := w.Write(plain); err != nil {
			return nil, &writeError{err}
		}
	}
	return h.Sum(nil), nil
}
