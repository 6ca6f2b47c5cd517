package local

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// What a killed writer leaves behind, and how it goes.
//
//   - A temporary file (objects/.tmp-*, uploads/ID/.tmp-*, .master-*): its name says which process of which
//     machine writes it (writerPrefix). One whose writer is a process of this machine that is
//     gone is removed when a state directory is opened; one whose writer cannot be asked
//     (another machine, an older name) once it has not changed for sweepGrace.
//   - A blob file linked into objects/ by a put that died before committing its version, or
//     left by a delete that died after committing and before removing the file. Both are
//     recorded in blob_intents before the file is linked or the version deleted, in a
//     committed transaction; removeUnreferencedBlobs and sweepBlobs act only on what
//     blob_intents names and object_versions does not reference. A file the database does not
//     name at all is never removed: it may belong to another copy of the database (a backup
//     about to be restored), and only a database that names a file can prove it unreferenced.
const sweepGrace = time.Hour

// Prefixes of temporary files.
const (
	blobTempPrefix   = ".tmp-"
	masterTempPrefix = ".master-"
)

// sweep removes what killed writers left behind (see above). It never fails Open: left-overs
// cost only disk space.
func (c *Cloud) sweep(ctx context.Context) {
	c.sweepTemporaryFiles(filepath.Join(c.dir, objectsDir), blobTempPrefix)
	c.sweepTemporaryFiles(c.dir, masterTempPrefix)
	if uploads, err := os.ReadDir(filepath.Join(c.dir, uploadsDir)); err == nil {
		for _, u := range uploads {
			if u.IsDir() && validUploadID(u.Name()) {
				c.sweepTemporaryFiles(c.uploadDir(u.Name()), blobTempPrefix)
			}
		}
	}
	_, _ = c.sweepBlobs(ctx)
	_ = c.sweepWorkspaces(ctx)
}

// sweepTemporaryFiles removes the temporary files named prefix* in dir whose writer is gone.
func (c *Cloud) sweepTemporaryFiles(dir, prefix string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || e.IsDir() {
			continue
		}
		gone, known := tempWriterGone(prefix, name)
		if !known {
			info, err := e.Info()
			gone = err == nil && c.now().Sub(info.ModTime()) >= sweepGrace
		}
		if gone {
			_ = os.Remove(filepath.Join(dir, name))
		}
	}
}

// intendBlobs records, in tx, that the blob files names may have to be removed by writer (this
// process): see sweepBlobs.
func (c *Cloud) intendBlobs(ctx context.Context, tx *sql.Tx, names []string) error {
	for _, name := range names {
		if !validBlobName(name) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO blob_intents (name, writer, created_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET writer = excluded.writer, created_at = excluded.created_at`, name, c.owner, c.timestamp()); err != nil {
			return err
		}
	}
	return nil
}

// removeUnreferencedBlobs deletes the files of the blobs names that no version references, and
// then their intents. It runs after the transaction that unreferenced them committed, so a
// failure leaves at worst an intent for sweepBlobs, never a version without its file.
func (c *Cloud) removeUnreferencedBlobs(ctx context.Context, names []string) {
	for _, name := range names {
		if !validBlobName(name) {
			continue
		}
		_ = c.write(ctx, func(tx *sql.Tx) error {
			return c.dropBlobIntent(ctx, tx, name)
		})
	}
}

// dropBlobIntent removes the file of blob name unless a version references it, then its
// intent, in tx: the check and the removal of the intent are one transaction, and the file is
// removed while tx holds the write lock, so a put cannot commit a version naming it meanwhile.
func (c *Cloud) dropBlobIntent(ctx context.Context, tx *sql.Tx, name string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM object_versions WHERE blob_sha256 = ?`, name).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if err := os.Remove(c.blobPath(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM blob_intents WHERE name = ?`, name)
	return err
}

// sweepBlobs settles the intents whose writer is gone (see above) and returns how many files
// it removed.
func (c *Cloud) sweepBlobs(ctx context.Context) (int, error) {
	type intent struct{ name, writer, created string }
	rows, err := c.reader.QueryContext(ctx, `SELECT name, writer, created_at FROM blob_intents`)
	if err != nil {
		return 0, err
	}
	var settle []intent
	for rows.Next() {
		var in intent
		if err := rows.Scan(&in.name, &in.writer, &in.created); err != nil {
			rows.Close()
			return 0, err
		}
		if in.writer == c.owner {
			continue // this process's own put or delete, in flight
		}
		if host, _, _, ok := parseOwner(in.writer); ok && host == hostname() {
			if c.ownerGone(in.writer, time.Time{}) {
				settle = append(settle, in)
			}
			continue
		}
		if c.now().Sub(parseTime(in.created)) >= sweepGrace {
			settle = append(settle, in)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	removed := 0
	for _, in := range settle {
		_, statErr := os.Stat(c.blobPath(in.name))
		err := c.write(ctx, func(tx *sql.Tx) error {
			// Still the same intent: nobody took the name over meanwhile.
			var writer string
			err := tx.QueryRowContext(ctx, `SELECT writer FROM blob_intents WHERE name = ?`, in.name).Scan(&writer)
			if errors.Is(err, sql.ErrNoRows) || err == nil && writer != in.writer {
				return nil
			}
			if err != nil {
				return err
			}
			return c.dropBlobIntent(ctx, tx, in.name)
		})
		if err != nil {
			return removed, err
		}
		if _, err := os.Stat(c.blobPath(in.name)); statErr == nil && errors.Is(err, fs.ErrNotExist) {
			removed++
		}
	}
	return removed, nil
}
