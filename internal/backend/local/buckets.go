package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

var bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// bucketRow is a buckets row.
type bucketRow struct {
	name, account, region string
	versioning, suspended bool
	keyARN, policy        string
	created               time.Time
}

func (b *bucketRow) toBucket() *backend.Bucket {
	return &backend.Bucket{
		Name: b.name, ARN: b.partition().Bucket(b.name), AccountID: b.account, Region: b.region,
		Versioning: b.versioning, EncryptionKeyARN: b.keyARN, Policy: b.policy,
		VersioningSuspended: b.suspended && !b.versioning, Created: b.created,
	}
}

const bucketColumns = `name, account_id, region, versioning, encryption_key_arn, policy, versioning_suspended, created_at`

func scanBucket(row interface{ Scan(...any) error }) (*bucketRow, error) {
	var b bucketRow
	var v, susp int
	var created string
	if err := row.Scan(&b.name, &b.account, &b.region, &v, &b.keyARN, &b.policy, &susp, &created); err != nil {
		return nil, err
	}
	b.versioning, b.suspended, b.created = v != 0, susp != 0, parseTime(created)
	return &b, nil
}

func (c *Cloud) bucketRow(ctx context.Context, q querier, name string) (*bucketRow, error) {
	b, err := scanBucket(q.QueryRowContext(ctx, `SELECT `+bucketColumns+` FROM buckets WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, backend.NotFoundError(backend.KindBucket, name)
	}
	return b, err
}

// bucketWithTags is the bucket of row with its tags.
func (c *Cloud) bucketWithTags(ctx context.Context, q querier, row *bucketRow) (*backend.Bucket, error) {
	b := row.toBucket()
	var err error
	b.Tags, err = loadTags(ctx, q, b.ARN)
	return b, err
}

// checkBucketName applies S3's naming rules for general purpose buckets.
func checkBucketName(name string) error {
	switch {
	case !bucketNamePattern.MatchString(name):
		return fmt.Errorf("bucket name %q: 3–63 characters of a-z0-9.- starting and ending with a letter or digit: %w", name, backend.ErrInvalid)
	case strings.Contains(name, ".."):
		return fmt.Errorf("bucket name %q: two adjacent periods: %w", name, backend.ErrInvalid)
	case net.ParseIP(name) != nil:
		return fmt.Errorf("bucket name %q: formatted as an IP address: %w", name, backend.ErrInvalid)
	}
	return nil
}

func checkBucketPolicy(name, doc string) error {
	if strings.TrimSpace(doc) == "" {
		return nil
	}
	if _, err := policy.Parse(doc); err != nil {
		return fmt.Errorf("bucket %s policy: %w: %w", name, err, backend.ErrInvalid)
	}
	return nil
}

// CreateBucket creates a bucket owned by the acting account, in b.Region or the acting region.
// Bucket names are global: a name taken by any account is ErrAlreadyExists.
func (a *Account) CreateBucket(ctx context.Context, b backend.Bucket) (*backend.Bucket, error) {
	if err := a.ownAccount(b.AccountID, "bucket"); err != nil {
		return nil, err
	}
	if err := checkBucketName(b.Name); err != nil {
		return nil, err
	}
	if err := checkBucketPolicy(b.Name, b.Policy); err != nil {
		return nil, err
	}
	if err := checkTags(b.Tags); err != nil {
		return nil, err
	}
	if b.Region != "" && !backend.RegionPattern().MatchString(b.Region) {
		return nil, fmt.Errorf("bucket %s: region %q is not an AWS region name: %w", b.Name, b.Region, backend.ErrInvalid)
	}
	row := &bucketRow{name: b.Name, account: a.id.AccountID, region: orDefault(b.Region, a.id.Region),
		versioning: b.Versioning, keyARN: b.EncryptionKeyARN, policy: b.Policy}
	err := a.c.write(ctx, func(tx *sql.Tx) error {
		if existing, err := a.c.bucketRow(ctx, tx, b.Name); err == nil {
			if existing.account == a.id.AccountID {
				return fmt.Errorf("bucket %s already exists and is owned by account %s (BucketAlreadyOwnedByYou): %w", b.Name, existing.account, backend.ErrAlreadyExists)
			}
			return fmt.Errorf("bucket %s already exists in another account; bucket names are global (BucketAlreadyExists): %w", b.Name, backend.ErrAlreadyExists)
		} else if !isNotFound(err) {
			return err
		}
		row.created = a.c.now().UTC()
		_, err := tx.ExecContext(ctx, `INSERT INTO buckets (name, account_id, region, versioning, encryption_key_arn, policy, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			row.name, row.account, row.region, boolInt(row.versioning), row.keyARN, row.policy, row.created.Format(time.RFC3339Nano))
		if isUniqueViolation(err) {
			return fmt.Errorf("bucket %s: %w", b.Name, backend.ErrAlreadyExists)
		}
		if err != nil {
			return err
		}
		return setTags(ctx, tx, row.partition().Bucket(row.name), b.Tags, true)
	})
	if err != nil {
		return nil, err
	}
	out := row.toBucket()
	out.Tags = b.Tags
	return out, nil
}

// GetBucket finds a bucket by name, whichever account owns it (names are global; the result
// says the owner). Reading objects is what policies guard.
func (a *Account) GetBucket(ctx context.Context, name string) (*backend.Bucket, error) {
	b, err := a.c.bucketRow(ctx, a.c.reader, name)
	if err != nil {
		return nil, err
	}
	return a.c.bucketWithTags(ctx, a.c.reader, b)
}

// ListBuckets lists the buckets of the acting account, in every region, by name.
func (a *Account) ListBuckets(ctx context.Context) ([]*backend.Bucket, error) {
	rows, err := a.c.reader.QueryContext(ctx, `SELECT `+bucketColumns+` FROM buckets WHERE account_id = ? ORDER BY name`, a.id.AccountID)
	if err != nil {
		return nil, err
	}
	var out []*backend.Bucket
	for rows.Next() {
		b, err := scanBucket(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, b.toBucket())
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, b := range out {
		if b.Tags, err = loadTags(ctx, a.c.reader, b.ARN); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PutBucketTagging replaces the tags of a bucket of the acting account.
func (a *Account) PutBucketTagging(ctx context.Context, name string, tags map[string]string) (*backend.Bucket, error) {
	return a.modifyBucket(ctx, name, func(tx *sql.Tx, row *bucketRow) error {
		return setTags(ctx, tx, row.partition().Bucket(name), tags, true)
	})
}

// UpdateBucket sets versioning (false on a versioned bucket suspends it), encryption key and
// policy of a bucket of the acting account.
func (a *Account) UpdateBucket(ctx context.Context, b backend.Bucket) (*backend.Bucket, error) {
	if err := checkBucketPolicy(b.Name, b.Policy); err != nil {
		return nil, err
	}
	return a.modifyBucket(ctx, b.Name, func(tx *sql.Tx, row *bucketRow) error {
		row.suspended = row.suspended || row.versioning && !b.Versioning
		row.versioning, row.keyARN, row.policy = b.Versioning, b.EncryptionKeyARN, b.Policy
		_, err := tx.ExecContext(ctx, `UPDATE buckets SET versioning = ?, versioning_suspended = ?, encryption_key_arn = ?, policy = ? WHERE name = ?`,
			boolInt(row.versioning), boolInt(row.suspended), row.keyARN, row.policy, row.name)
		return err
	})
}

// PutBucketPolicy replaces a bucket's policy ("" deletes it).
func (a *Account) PutBucketPolicy(ctx context.Context, name, doc string) (*backend.Bucket, error) {
	if err := checkBucketPolicy(name, doc); err != nil {
		return nil, err
	}
	return a.modifyBucket(ctx, name, func(tx *sql.Tx, row *bucketRow) error {
		row.policy = doc
		_, err := tx.ExecContext(ctx, `UPDATE buckets SET policy = ? WHERE name = ?`, doc, name)
		return err
	})
}

// PutBucketVersioning enables or suspends versioning.
func (a *Account) PutBucketVersioning(ctx context.Context, name string, enabled bool) (*backend.Bucket, error) {
	return a.modifyBucket(ctx, name, func(tx *sql.Tx, row *bucketRow) error {
		row.suspended = row.suspended || row.versioning && !enabled
		row.versioning = enabled
		_, err := tx.ExecContext(ctx, `UPDATE buckets SET versioning = ?, versioning_suspended = ? WHERE name = ?`, boolInt(enabled), boolInt(row.suspended), name)
		return err
	})
}

// PutBucketEncryption sets the bucket's default key ("" = the account's aws/s3 key).
func (a *Account) PutBucketEncryption(ctx context.Context, name, keyARN string) (*backend.Bucket, error) {
	return a.modifyBucket(ctx, name, func(tx *sql.Tx, row *bucketRow) error {
		row.keyARN = keyARN
		_, err := tx.ExecContext(ctx, `UPDATE buckets SET encryption_key_arn = ? WHERE name = ?`, keyARN, name)
		return err
	})
}

func (a *Account) modifyBucket(ctx context.Context, name string, change func(tx *sql.Tx, row *bucketRow) error) (*backend.Bucket, error) {
	var out *backend.Bucket
	err := a.c.write(ctx, func(tx *sql.Tx) error {
		row, err := a.ownBucket(ctx, tx, name)
		if err != nil {
			return err
		}
		if err := change(tx, row); err != nil {
			return err
		}
		out, err = a.c.bucketWithTags(ctx, tx, row)
		return err
	})
	return out, err
}

// ownBucket loads a bucket the acting account owns: only the owner changes or deletes it.
func (a *Account) ownBucket(ctx context.Context, q querier, name string) (*bucketRow, error) {
	row, err := a.c.bucketRow(ctx, q, name)
	if err != nil {
		return nil, err
	}
	if row.account != a.id.AccountID {
		return nil, &AccessDeniedError{Principal: a.partition().Root(a.id.AccountID), Action: "s3:PutBucket*", Resource: row.partition().Bucket(name),
			Reason: fmt.Sprintf("AccessDenied: account %s cannot change bucket %s: it is owned by account %s", a.id.AccountID, name, row.account)}
	}
	return row, nil
}

// DeleteBucket deletes a bucket of the acting account. A bucket holding any object version or
// delete marker is refused with ErrBucketNotEmpty unless force, which deletes them (and their
// files) first.
func (a *Account) DeleteBucket(ctx context.Context, name string, force bool) error {
	var blobs, uploads []string
	err := a.c.write(ctx, func(tx *sql.Tx) error {
		blobs = nil
		if _, err := a.ownBucket(ctx, tx, name); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM object_versions WHERE bucket = ?`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 && !force {
			return fmt.Errorf("bucket %s holds %d object versions and delete markers; delete them or set force_destroy: %w", name, n, backend.ErrBucketNotEmpty)
		}
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT blob_sha256 FROM object_versions WHERE bucket = ? AND blob_sha256 != ''`, name)
		if err != nil {
			return err
		}
		for rows.Next() {
			var d string
			if err := rows.Scan(&d); err != nil {
				rows.Close()
				return err
			}
			blobs = append(blobs, d)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := a.c.intendBlobs(ctx, tx, blobs); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM object_versions WHERE bucket = ?`, name); err != nil {
			return err
		}
		if uploads, err = bucketUploads(ctx, tx, name); err != nil {
			return err
		}
		if err := deleteTags(ctx, tx, a.partition().Bucket(name)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM buckets WHERE name = ?`, name)
		return err
	})
	if err != nil {
		return err
	}
	a.c.removeUploadFiles(uploads)
	a.c.removeUnreferencedBlobs(ctx, blobs)
	return nil
}
