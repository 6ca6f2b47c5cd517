package local

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// ErrCorrupt is wrapped when a stored object file does not match its recorded SHA-256.
var ErrCorrupt = errors.New("stored object is corrupted")

// objectRow is an object_versions row.
type objectRow struct {
	backend.ObjectInfo
	seq             int64
	blob            string
	materialVersion int
	sealedDataKey   []byte
}

const objectColumns = `seq, bucket, object_key, version_id, is_latest, delete_marker, size, checksum_sha256, blob_sha256, kms_key_arn, material_version, sealed_data_key, created_at, etag, meta`

func scanObject(row interface{ Scan(...any) error }) (*objectRow, error) {
	var o objectRow
	var latest, marker int
	var created, meta string
	if err := row.Scan(&o.seq, &o.Bucket, &o.Key, &o.VersionID, &latest, &marker, &o.Size, &o.ChecksumSHA256, &o.blob,
		&o.KMSKeyARN, &o.materialVersion, &o.sealedDataKey, &created, &o.ETag, &meta); err != nil {
		return nil, err
	}
	o.IsLatest, o.DeleteMarker, o.LastModified = latest != 0, marker != 0, parseTime(created)
	if err := decodeObjectMeta(meta, &o.ObjectInfo); err != nil {
		return nil, fmt.Errorf("object %s/%s version %s: %w", o.Bucket, o.Key, o.VersionID, err)
	}
	if o.ETag == "" && !o.DeleteMarker {
		o.ETag = derivedETag(&o.ObjectInfo)
	}
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
	return a.putObject(ctx, principal, bucket, key, body, putOptions{checksum: true})
}

// putOptions are the parts of a PutObject request the executor sets.
type putOptions struct {
	// kmsKeyID is the request's SSE-KMS key (a key id, key ARN or alias, as CodePipeline writes
	// artifacts with the pipeline's key); "" is the bucket's key.
	kmsKeyID string
	// checksum asks for the body's SHA-256 (S3's ChecksumSHA256, the S3 source's ETag).
	checksum bool
	// meta is what the version keeps besides its body (WriteObject); digests gives the body's
	// digests once it is read (backend.PutObjectInput.Digests); etag, when set, is the ETag
	// (a completed multipart upload's).
	meta    objectMetaRecord
	digests func() map[string]string
	etag    string
}

// putObject is PutObject with the request's options.
func (a *Account) putObject(ctx context.Context, principal, bucket, key string, r io.Reader, opts putOptions) (string, error) {
	principal = a.normalizePrincipal(principal)
	if err := checkObjectKey(key); err != nil {
		return "", err
	}
	b, err := a.c.bucketRow(ctx, a.c.reader, bucket)
	if err != nil {
		return "", err
	}
	objectARN := b.partition().Object(bucket, key)
	if err := a.c.authorize(ctx, a.c.reader, accessRequest{
		principal: principal, action: "s3:PutObject", resource: objectARN,
		resourceKind: "bucket policy", resourcePolicy: b.policy, resourceAccount: b.account,
		context: map[string]string{"s3:x-amz-server-side-encryption": "aws:kms"},
	}); err != nil {
		return "", err
	}
	k, err := a.c.bucketKey(ctx, b)
	switch {
	case opts.kmsKeyID == managedS3Alias:
		k, err = a.c.ensureManagedKey(ctx, b.account, b.region)
	case opts.kmsKeyID != "":
		k, err = a.c.resolveKey(ctx, a.c.reader, b.account, b.region, opts.kmsKeyID)
	}
	if err != nil {
		return "", err
	}
	if err := a.c.checkKeyUse(ctx, a.c.reader, principal, "kms:GenerateDataKey", k, b.region); err != nil {
		return "", err
	}
	versionID := backend.NullVersion
	if b.versioning {
		versionID = newVersionID()
	}
	dataKey, sealedKey, materialVersion, err := a.c.generateDataKey(ctx, a.c.reader, k, objectARN)
	if err != nil {
		return "", err
	}
	body, err := a.c.storeBody(r, dataKey, bodyAAD(bucket, key, versionID), opts.checksum)
	clear(dataKey)
	if err != nil {
		return "", err
	}
	etag, meta, err := opts.finish(&body)
	if err != nil {
		a.c.removeUnreferencedBlobs(ctx, []string{body.blob})
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
		if versionID == backend.NullVersion {
			// A put without versioning replaces the null version (S3): drop its row; its
			// file goes once nothing refers to it. Other versions are kept.
			var old string
			err := tx.QueryRowContext(ctx, `SELECT blob_sha256 FROM object_versions WHERE bucket = ? AND object_key = ? AND version_id = ?`,
				bucket, key, backend.NullVersion).Scan(&old)
			switch {
			case err == nil:
				replaced = append(replaced, old)
				if err := a.c.intendBlobs(ctx, tx, replaced); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM object_versions WHERE bucket = ? AND object_key = ? AND version_id = ?`, bucket, key, backend.NullVersion); err != nil {
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
				checksum_sha256, blob_sha256, body, kms_key_arn, material_version, sealed_data_key, created_by, created_at, etag, meta)
			VALUES (?, ?, ?, ?, ?, 1, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			bucket, b.account, b.region, key, versionID, body.size, hex.EncodeToString(body.checksum), body.blob, body.inline,
			k.arn, materialVersion, sealedKey, principal, a.c.timestamp(), etag, meta)
		if isUniqueViolation(err) {
			return fmt.Errorf("object %s version %s: %w", objectARN, versionID, backend.ErrConflict)
		}
		if err != nil || body.blob == "" {
			return err
		}
		// The version names its file now: the intent recorded before the file was linked
		// is fulfilled.
		_, err = tx.ExecContext(ctx, `DELETE FROM blob_intents WHERE name = ?`, body.blob)
		return err
	})
	if err != nil {
		a.c.removeUnreferencedBlobs(ctx, []string{body.blob})
		return "", err
	}
	a.c.removeUnreferencedBlobs(ctx, replaced)
	return versionID, nil
}

// GetObject returns the body and description of one version of key ("" = the latest),
// acting as principal. It needs s3:GetObject (s3:GetObjectVersion when a version is named) and
// kms:Decrypt on the key the version was encrypted with. Every chunk of the stored body is
// authenticated as it is decrypted: altered bytes are ErrCorrupt, never a wrong body.
func (a *Account) GetObject(ctx context.Context, principal, bucket, key, versionID string) ([]byte, backend.ObjectInfo, error) {
	body, info, err := a.openObject(ctx, principal, bucket, key, versionID)
	if err != nil {
		return nil, info, err
	}
	defer body.Close()
	var buf bytes.Buffer
	buf.Grow(int(body.Size()))
	if _, err := body.WriteTo(&buf); err != nil {
		return nil, info, fmt.Errorf("object %s version %s is corrupted: %w", a.partition().Object(bucket, key), info.VersionID, err)
	}
	return buf.Bytes(), info, nil
}

// openObject authorizes a read of one version as principal (see GetObject) and returns its
// body for reading in place, at any offset: an artifact's zip is unpacked straight from the
// store. The caller closes the body.
func (a *Account) openObject(ctx context.Context, principal, bucket, key, versionID string) (*sealedBody, backend.ObjectInfo, error) {
	principal = a.normalizePrincipal(principal)
	b, err := a.c.bucketRow(ctx, a.c.reader, bucket)
	if err != nil {
		return nil, backend.ObjectInfo{}, err
	}
	action := "s3:GetObject"
	if versionID != "" {
		action = "s3:GetObjectVersion"
	}
	objectARN := b.partition().Object(bucket, key)
	if err := a.c.authorize(ctx, a.c.reader, accessRequest{
		principal: principal, action: action, resource: objectARN,
		resourceKind: "bucket policy", resourcePolicy: b.policy, resourceAccount: b.account,
	}); err != nil {
		return nil, backend.ObjectInfo{}, err
	}
	o, err := a.c.objectVersion(ctx, a.c.reader, bucket, key, versionID)
	if err != nil {
		return nil, backend.ObjectInfo{}, err
	}
	if o.DeleteMarker {
		return nil, o.ObjectInfo, fmt.Errorf("object %s version %s is a delete marker: %w", objectARN, o.VersionID, backend.ErrNotFound)
	}
	k, err := scanKey(a.c.reader.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM kms_keys WHERE arn = ?`, o.KMSKeyARN))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, o.ObjectInfo, fmt.Errorf("object %s version %s: its KMS key %s no longer exists: %w", objectARN, o.VersionID, o.KMSKeyARN, ErrKeyState)
	}
	if err != nil {
		return nil, o.ObjectInfo, err
	}
	if err := a.c.checkKeyUse(ctx, a.c.reader, principal, "kms:Decrypt", k, b.region); err != nil {
		return nil, o.ObjectInfo, err
	}
	dataKey, err := a.c.decryptDataKey(ctx, a.c.reader, k, o.materialVersion, o.sealedDataKey, objectARN)
	if err != nil {
		return nil, o.ObjectInfo, err
	}
	defer clear(dataKey)
	var src io.ReaderAt
	var closer io.Closer
	var storedSize int64
	if o.blob == "" {
		var inline []byte
		if err := a.c.reader.QueryRowContext(ctx, `SELECT body FROM object_versions WHERE seq = ?`, o.seq).Scan(&inline); err != nil {
			return nil, o.ObjectInfo, fmt.Errorf("object %s version %s: %w", objectARN, o.VersionID, err)
		}
		src, storedSize = bytes.NewReader(inline), int64(len(inline))
	} else {
		f, size, err := a.c.openBlob(o.blob)
		if err != nil {
			return nil, o.ObjectInfo, fmt.Errorf("object %s version %s: %w", objectARN, o.VersionID, err)
		}
		src, closer, storedSize = f, f, size
	}
	body, err := openBody(src, closer, storedSize, o.Size, dataKey, bodyAAD(bucket, key, o.VersionID))
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, o.ObjectInfo, fmt.Errorf("object %s version %s is corrupted: %w", objectARN, o.VersionID, err)
	}
	return body, o.ObjectInfo, nil
}

func (c *Cloud) objectVersion(ctx context.Context, q querier, bucket, key, versionID string) (*objectRow, error) {
	if versionID == "" && key == "" {
		return nil, backend.NotFoundError(backend.KindObject, c.partition().Object(bucket, key))
	}
	var row *sql.Row
	if versionID == "" {
		row = q.QueryRowContext(ctx, `SELECT `+objectColumns+` FROM object_versions WHERE bucket = ? AND object_key = ? AND is_latest = 1`, bucket, key)
	} else {
		row = q.QueryRowContext(ctx, `SELECT `+objectColumns+` FROM object_versions WHERE bucket = ? AND object_key = ? AND version_id = ?`, bucket, key, versionID)
	}
	o, err := scanObject(row)
	if errors.Is(err, sql.ErrNoRows) {
		name := c.partition().Object(bucket, key)
		if versionID != "" {
			name += " version " + versionID
		}
		return nil, backend.NotFoundError(backend.KindObject, name)
	}
	return o, err
}

// ListObjectVersions lists every version and delete marker of the keys under prefix, by key
// and newest first (as S3 does); it needs s3:ListBucketVersions on the bucket.
func (a *Account) ListObjectVersions(ctx context.Context, principal, bucket, prefix string) ([]backend.ObjectInfo, error) {
	return a.list(ctx, principal, bucket, prefix, "s3:ListBucketVersions",
		`SELECT `+objectColumns+` FROM object_versions WHERE bucket = ? AND substr(object_key, 1, length(?)) = ? ORDER BY object_key, seq DESC`)
}

// ListObjects lists the current (latest, not deleted) versions under prefix; it needs
// s3:ListBucket on the bucket.
func (a *Account) ListObjects(ctx context.Context, principal, bucket, prefix string) ([]backend.ObjectInfo, error) {
	return a.list(ctx, principal, bucket, prefix, "s3:ListBucket",
		`SELECT `+objectColumns+` FROM object_versions WHERE bucket = ? AND substr(object_key, 1, length(?)) = ? AND is_latest = 1 AND delete_marker = 0 ORDER BY object_key`)
}

func (a *Account) list(ctx context.Context, principal, bucket, prefix, action, query string) ([]backend.ObjectInfo, error) {
	principal = a.normalizePrincipal(principal)
	b, err := a.c.bucketRow(ctx, a.c.reader, bucket)
	if err != nil {
		return nil, err
	}
	if err := a.c.authorize(ctx, a.c.reader, accessRequest{
		principal: principal, action: action, resource: b.partition().Bucket(bucket),
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
	var out []backend.ObjectInfo
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
func (a *Account) DeleteObject(ctx context.Context, principal, bucket, key, versionID string) (backend.ObjectInfo, error) {
	principal = a.normalizePrincipal(principal)
	b, err := a.c.bucketRow(ctx, a.c.reader, bucket)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	action := "s3:DeleteObject"
	if versionID != "" {
		action = "s3:DeleteObjectVersion"
	}
	if err := a.c.authorize(ctx, a.c.reader, accessRequest{
		principal: principal, action: action, resource: b.partition().Object(bucket, key),
		resourceKind: "bucket policy", resourcePolicy: b.policy, resourceAccount: b.account,
	}); err != nil {
		return backend.ObjectInfo{}, err
	}
	var out backend.ObjectInfo
	var removed []string
	err = a.c.write(ctx, func(tx *sql.Tx) error {
		removed, out = nil, backend.ObjectInfo{}
		now, err := a.c.bucketRow(ctx, tx, bucket)
		if err != nil {
			return err
		}
		remove := func(o *objectRow) error {
			if o.blob != "" {
				removed = append(removed, o.blob)
				if err := a.c.intendBlobs(ctx, tx, []string{o.blob}); err != nil {
					return err
				}
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
			marker = backend.NullVersion
			o, err := a.c.objectVersion(ctx, tx, bucket, key, backend.NullVersion)
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
		out = backend.ObjectInfo{Bucket: bucket, Key: key, VersionID: marker, IsLatest: true, DeleteMarker: true, LastModified: parseTime(created)}
		return nil
	})
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	a.c.removeUnreferencedBlobs(ctx, removed)
	return out, nil
}
