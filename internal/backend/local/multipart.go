package local

import (
	"context"
	"crypto/md5"  //nolint:gosec // S3's ETag is an MD5, not a security measure
	"crypto/sha1" //nolint:gosec // S3's SHA-1 checksum, as the client asked for it
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// Multipart uploads. Each part's body is sealed in the chunked format of bodies.go under a
// fresh data key of its own (sealed with the master key, bound to the upload, part and file) in
// a file uploads/UPLOAD/NNNNN-RANDOM, outside objects/: parts have their own life, ending when
// the upload completes or is aborted (or its bucket is deleted), which removes the upload's
// directory. Completing streams the parts, decrypted in order, into one new version, sealed as
// any other under the bucket's key: the stored object is the same as a single PUT's.

const uploadsDir = "uploads"

// maxPartNumber is S3's largest part number.
const maxPartNumber = 10000

type uploadRow struct {
	backend.Upload
	meta objectMetaRecord
}

func validUploadID(id string) bool {
	if len(id) != blobIDLen {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

func (c *Cloud) uploadDir(id string) string { return filepath.Join(c.dir, uploadsDir, id) }

func partKeyAAD(uploadID string, n int, file string) []byte {
	return []byte("part-key\x00" + uploadID + "\x00" + strconv.Itoa(n) + "\x00" + file)
}

func partAAD(uploadID string, n int, file string) []byte {
	return []byte("part\x00" + uploadID + "\x00" + strconv.Itoa(n) + "\x00" + file)
}

// multipartAccess authorizes action on the object of an upload and returns the bucket.
func (a *Account) multipartAccess(ctx context.Context, principal, bucket, key, action string) (*bucketRow, string, error) {
	principal = a.normalizePrincipal(principal)
	if err := checkObjectKey(key); err != nil {
		return nil, "", err
	}
	b, err := a.c.bucketRow(ctx, a.c.reader, bucket)
	if err != nil {
		return nil, "", err
	}
	resource := b.partition().Object(bucket, key)
	if action == "s3:ListBucketMultipartUploads" {
		resource = b.partition().Bucket(bucket)
	}
	return b, principal, a.c.authorize(ctx, a.c.reader, accessRequest{
		principal: principal, action: action, resource: resource,
		resourceKind: "bucket policy", resourcePolicy: b.policy, resourceAccount: b.account,
		context: map[string]string{"s3:x-amz-server-side-encryption": "aws:kms"},
	})
}

// CreateMultipartUpload starts an upload of in.Key with in's metadata, tags and key.
func (a *Account) CreateMultipartUpload(ctx context.Context, in backend.PutObjectInput) (*backend.Upload, error) {
	_, principal, err := a.multipartAccess(ctx, in.Principal, in.Bucket, in.Key, "s3:PutObject")
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	meta, err := encodeObjectMeta(metaRecordOf(in.Meta, in.Tags))
	if err != nil {
		return nil, err
	}
	u := &backend.Upload{ID: newVersionID(), Bucket: in.Bucket, Key: in.Key, Initiator: principal, Initiated: a.c.now().UTC(), Meta: in.Meta, KMSKeyID: in.KMSKeyID}
	err = a.c.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO multipart_uploads (id, bucket, object_key, initiator, kms_key_id, meta, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Bucket, u.Key, u.Initiator, u.KMSKeyID, meta, timeText(u.Initiated))
		return err
	})
	return u, err
}

func (c *Cloud) upload(ctx context.Context, q querier, bucket, key, id string) (*uploadRow, error) {
	var u uploadRow
	var meta, created string
	err := q.QueryRowContext(ctx, `SELECT id, bucket, object_key, initiator, kms_key_id, meta, created_at FROM multipart_uploads
		WHERE id = ? AND bucket = ? AND object_key = ?`, id, bucket, key).Scan(&u.ID, &u.Bucket, &u.Key, &u.Initiator, &u.KMSKeyID, &meta, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, backend.NotFoundError(backend.KindUpload, id)
	}
	if err != nil {
		return nil, err
	}
	u.Initiated = parseTime(created)
	if meta != "" {
		if err := json.Unmarshal([]byte(meta), &u.meta); err != nil {
			return nil, fmt.Errorf("upload %s: stored metadata: %w: %w", id, err, ErrCorrupt)
		}
	}
	u.Meta = u.meta.objectMeta()
	return &u, nil
}

type partRow struct {
	backend.Part
	file      string
	sealedKey []byte
}

func (c *Cloud) parts(ctx context.Context, q querier, uploadID string) ([]partRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT part_number, size, etag, checksums, file, sealed_key, created_at FROM multipart_parts
		WHERE upload_id = ? ORDER BY part_number`, uploadID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []partRow
	for rows.Next() {
		var p partRow
		var sums, created string
		if err := rows.Scan(&p.Number, &p.Size, &p.ETag, &sums, &p.file, &p.sealedKey, &created); err != nil {
			return nil, err
		}
		p.LastModified = parseTime(created)
		if sums != "" {
			if err := json.Unmarshal([]byte(sums), &p.Checksums); err != nil {
				return nil, fmt.Errorf("upload %s part %d: stored checksums: %w: %w", uploadID, p.Number, err, ErrCorrupt)
			}
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// UploadPart seals one part into the upload's directory and records it; a part uploaded again
// replaces the earlier one.
func (a *Account) UploadPart(ctx context.Context, in backend.UploadPartInput) (backend.Part, error) {
	if in.Number < 1 || in.Number > maxPartNumber {
		return backend.Part{}, fmt.Errorf("part number %d: 1 to %d: %w", in.Number, maxPartNumber, backend.ErrInvalid)
	}
	if _, _, err := a.multipartAccess(ctx, in.Principal, in.Bucket, in.Key, "s3:PutObject"); err != nil {
		return backend.Part{}, err
	}
	if _, err := a.c.upload(ctx, a.c.reader, in.Bucket, in.Key, in.UploadID); err != nil {
		return backend.Part{}, err
	}
	dir := a.c.uploadDir(in.UploadID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return backend.Part{}, fmt.Errorf("upload store: %w", err)
	}
	file := fmt.Sprintf("%05d-%s", in.Number, newVersionID()[:16])
	dataKey, err := randomKey()
	if err != nil {
		return backend.Part{}, err
	}
	defer clear(dataKey)
	sealedKey, err := seal(a.c.master, dataKey, partKeyAAD(in.UploadID, in.Number, file))
	if err != nil {
		return backend.Part{}, err
	}
	size, err := writeSealedFile(filepath.Join(dir, file), in.Body, dataKey, partAAD(in.UploadID, in.Number, file))
	if err != nil {
		return backend.Part{}, err
	}
	p := backend.Part{Number: in.Number, Size: size, LastModified: a.c.now().UTC()}
	var digests map[string]string
	if in.Digests != nil {
		digests = in.Digests()
	}
	for alg, v := range digests {
		switch {
		case alg == "md5":
			sum, err := base64.StdEncoding.DecodeString(v)
			if err != nil || len(sum) != md5.Size {
				os.Remove(filepath.Join(dir, file))
				return backend.Part{}, fmt.Errorf("md5 digest %q: %w", v, backend.ErrInvalid)
			}
			p.ETag = hex.EncodeToString(sum)
		case checksumAlgorithms[alg]:
			if p.Checksums == nil {
				p.Checksums = map[string]string{}
			}
			p.Checksums[alg] = v
		}
	}
	if p.ETag == "" {
		sum := md5.Sum([]byte(in.UploadID + "\x00" + file)) //nolint:gosec // an identifier
		p.ETag = hex.EncodeToString(sum[:])
	}
	var sums string
	if len(p.Checksums) > 0 {
		b, _ := json.Marshal(p.Checksums)
		sums = string(b)
	}
	var replaced string
	err = a.c.write(ctx, func(tx *sql.Tx) error {
		replaced = ""
		if _, err := a.c.upload(ctx, tx, in.Bucket, in.Key, in.UploadID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT file FROM multipart_parts WHERE upload_id = ? AND part_number = ?`, in.UploadID, in.Number).Scan(&replaced)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO multipart_parts (upload_id, part_number, size, etag, checksums, file, sealed_key, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag,
			checksums = excluded.checksums, file = excluded.file, sealed_key = excluded.sealed_key, created_at = excluded.created_at`,
			in.UploadID, in.Number, size, p.ETag, sums, file, sealedKey, timeText(p.LastModified))
		return err
	})
	if err != nil {
		os.Remove(filepath.Join(dir, file))
		return backend.Part{}, err
	}
	if replaced != "" {
		os.Remove(filepath.Join(dir, replaced))
	}
	return p, nil
}

// writeSealedFile seals r into a new file at path (written to a temporary name, synced and
// renamed into place) and returns the plaintext size.
func writeSealedFile(path string, r io.Reader, key, aad []byte) (int64, error) {
	// Named by its writer, like an object's temporary file: a killed writer's goes at the next
	// Open (sweep.go).
	tmp, err := os.CreateTemp(filepath.Dir(path), writerPrefix(blobTempPrefix)+"*")
	if err != nil {
		return 0, fmt.Errorf("upload store: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	size, err := sealStream(tmp, r, key, aad, nil)
	if err != nil {
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		return 0, fmt.Errorf("upload store: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("upload store: %w", err)
	}
	syncDir(filepath.Dir(path))
	return size, nil
}

// ListParts returns the upload and its parts.
func (a *Account) ListParts(ctx context.Context, principal, bucket, key, uploadID string) (*backend.Upload, []backend.Part, error) {
	if _, _, err := a.multipartAccess(ctx, principal, bucket, key, "s3:ListMultipartUploadParts"); err != nil {
		return nil, nil, err
	}
	u, err := a.c.upload(ctx, a.c.reader, bucket, key, uploadID)
	if err != nil {
		return nil, nil, err
	}
	rows, err := a.c.parts(ctx, a.c.reader, uploadID)
	if err != nil {
		return nil, nil, err
	}
	out := make([]backend.Part, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.Part)
	}
	return &u.Upload, out, nil
}

// ListMultipartUploads lists the uploads in progress in bucket under prefix, by key and start.
func (a *Account) ListMultipartUploads(ctx context.Context, principal, bucket, prefix string) ([]backend.Upload, error) {
	if _, _, err := a.multipartAccess(ctx, principal, bucket, "-", "s3:ListBucketMultipartUploads"); err != nil {
		return nil, err
	}
	rows, err := a.c.reader.QueryContext(ctx, `SELECT id, object_key FROM multipart_uploads WHERE bucket = ? AND substr(object_key, 1, length(?)) = ?
		ORDER BY object_key, created_at`, bucket, prefix, prefix)
	if err != nil {
		return nil, err
	}
	var ids, keys []string
	for rows.Next() {
		var id, key string
		if err := rows.Scan(&id, &key); err != nil {
			rows.Close()
			return nil, err
		}
		ids, keys = append(ids, id), append(keys, key)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]backend.Upload, 0, len(ids))
	for i := range ids {
		u, err := a.c.upload(ctx, a.c.reader, bucket, keys[i], ids[i])
		if err != nil {
			return nil, err
		}
		out = append(out, u.Upload)
	}
	return out, nil
}

// AbortMultipartUpload ends an upload and removes its parts.
func (a *Account) AbortMultipartUpload(ctx context.Context, principal, bucket, key, uploadID string) error {
	if _, _, err := a.multipartAccess(ctx, principal, bucket, key, "s3:AbortMultipartUpload"); err != nil {
		return err
	}
	if err := a.c.endUpload(ctx, bucket, key, uploadID); err != nil {
		return err
	}
	a.c.removeUploadFiles([]string{uploadID})
	return nil
}

func (c *Cloud) endUpload(ctx context.Context, bucket, key, uploadID string) error {
	return c.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM multipart_uploads WHERE id = ? AND bucket = ? AND object_key = ?`, uploadID, bucket, key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backend.NotFoundError(backend.KindUpload, uploadID)
		}
		return nil
	})
}

// CompleteMultipartUpload stores the listed parts, in order, as one version of the object.
func (a *Account) CompleteMultipartUpload(ctx context.Context, principal, bucket, key, uploadID string, parts []backend.CompletedPart) (backend.ObjectInfo, error) {
	if _, _, err := a.multipartAccess(ctx, principal, bucket, key, "s3:PutObject"); err != nil {
		return backend.ObjectInfo{}, err
	}
	u, err := a.c.upload(ctx, a.c.reader, bucket, key, uploadID)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	stored, err := a.c.parts(ctx, a.c.reader, uploadID)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	chosen, err := choosePartRows(stored, parts)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	rec := u.meta
	rec.Parts = len(chosen)
	rec.Checksums = compositeChecksums(chosen)
	etag := compositeETag(chosen)
	r := &partsReader{c: a.c, uploadID: uploadID, parts: chosen}
	defer r.Close()
	v, err := a.putObject(ctx, principal, bucket, key, r, putOptions{kmsKeyID: u.KMSKeyID, meta: rec, etag: etag})
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	if err := a.c.endUpload(ctx, bucket, key, uploadID); err != nil && !isNotFound(err) {
		return backend.ObjectInfo{}, err
	}
	r.Close()
	a.c.removeUploadFiles([]string{uploadID})
	o, err := a.c.objectVersion(ctx, a.c.reader, bucket, key, v)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	return o.ObjectInfo, nil
}

// choosePartRows checks the completion's list against the stored parts: ascending numbers,
// each uploaded with that ETag, every part but the last at least backend.MinPartSize.
func choosePartRows(stored []partRow, parts []backend.CompletedPart) ([]partRow, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("no parts to complete the upload with (MalformedXML): %w", backend.ErrInvalid)
	}
	byNumber := make(map[int]partRow, len(stored))
	for _, p := range stored {
		byNumber[p.Number] = p
	}
	out := make([]partRow, 0, len(parts))
	for i, p := range parts {
		if i > 0 && p.Number <= parts[i-1].Number {
			return nil, fmt.Errorf("part %d after part %d: the list must be in ascending order (InvalidPartOrder): %w", p.Number, parts[i-1].Number, backend.ErrInvalid)
		}
		row, ok := byNumber[p.Number]
		if !ok || strings.Trim(p.ETag, `"`) != row.ETag {
			return nil, fmt.Errorf("part %d with ETag %s was not uploaded (InvalidPart): %w", p.Number, p.ETag, backend.ErrInvalid)
		}
		out = append(out, row)
	}
	for _, p := range out[:len(out)-1] {
		if p.Size < backend.MinPartSize {
			return nil, fmt.Errorf("part %d has %d bytes; every part but the last needs at least %d (EntityTooSmall): %w", p.Number, p.Size, backend.MinPartSize, backend.ErrInvalid)
		}
	}
	return out, nil
}

// compositeETag is S3's ETag of a multipart upload: the MD5 of the parts' MD5s, and their count.
func compositeETag(parts []partRow) string {
	h := md5.New() //nolint:gosec // S3's ETag
	for _, p := range parts {
		sum, _ := hex.DecodeString(p.ETag)
		h.Write(sum)
	}
	return hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))
}

// compositeChecksums are S3's checksums of a multipart upload, for each algorithm every part
// has: the checksum of the parts' checksums, and their count ("…-3").
func compositeChecksums(parts []partRow) map[string]string {
	newHash := map[string]func() hash.Hash{
		"crc32":  func() hash.Hash { return crc32.NewIEEE() },
		"crc32c": func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
		"sha1":   sha1.New,
		"sha256": sha256.New,
	}
	var out map[string]string
	for alg, mk := range newHash {
		h := mk()
		complete := true
		for _, p := range parts {
			raw, err := base64.StdEncoding.DecodeString(p.Checksums[alg])
			if p.Checksums[alg] == "" || err != nil {
				complete = false
				break
			}
			h.Write(raw)
		}
		if complete {
			if out == nil {
				out = map[string]string{}
			}
			out[alg] = base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))
		}
	}
	return out
}

// partsReader reads the chosen parts' plaintext in order, opening one part at a time.
type partsReader struct {
	c        *Cloud
	uploadID string
	parts    []partRow
	next     int
	cur      *sealedBody
	r        io.Reader
}

func (p *partsReader) Read(b []byte) (int, error) {
	for {
		if p.r == nil {
			if p.next == len(p.parts) {
				return 0, io.EOF
			}
			if err := p.open(p.parts[p.next]); err != nil {
				return 0, err
			}
			p.next++
		}
		n, err := p.r.Read(b)
		if errors.Is(err, io.EOF) {
			p.closeCurrent()
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (p *partsReader) open(row partRow) error {
	key, err := unseal(p.c.master, row.sealedKey, partKeyAAD(p.uploadID, row.Number, row.file))
	if err != nil {
		return fmt.Errorf("upload %s part %d: its key does not open: %w", p.uploadID, row.Number, ErrCorrupt)
	}
	defer clear(key)
	f, err := os.Open(filepath.Join(p.c.uploadDir(p.uploadID), row.file))
	if err != nil {
		return fmt.Errorf("upload %s part %d: %w", p.uploadID, row.Number, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	body, err := openBody(f, f, fi.Size(), row.Size, key, partAAD(p.uploadID, row.Number, row.file))
	if err != nil {
		f.Close()
		return fmt.Errorf("upload %s part %d is corrupted: %w", p.uploadID, row.Number, err)
	}
	p.cur, p.r = body, body.Reader()
	return nil
}

func (p *partsReader) closeCurrent() {
	if p.cur != nil {
		p.cur.Close()
	}
	p.cur, p.r = nil, nil
}

func (p *partsReader) Close() { p.closeCurrent() }

// bucketUploads lists the ids of a bucket's uploads (their rows go with the bucket's).
func bucketUploads(ctx context.Context, tx *sql.Tx, bucket string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM multipart_uploads WHERE bucket = ?`, bucket)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// removeUploadFiles removes the directories of ended uploads.
func (c *Cloud) removeUploadFiles(ids []string) {
	for _, id := range ids {
		if validUploadID(id) {
			_ = os.RemoveAll(c.uploadDir(id))
		}
	}
}
