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

// A put that dies between writing its file and committing its version (a SIGKILLed apply)
// leaves a file no version names, and a put that dies while writing leaves a temporary file.
// Neither is ever read; sweepObjects removes them, at most once per sweepEvery, when a state
// directory is opened. A file is only removed once it has not changed for sweepGrace: a put
// in flight in another process links its file a moment before it commits.
const (
	sweepEvery = 24 * time.Hour
	sweepGrace = time.Hour
	sweptAtKey = "objects_swept_at"
)

// sweepObjects removes orphaned object files (see above) and returns how many it removed.
func (c *Cloud) sweepObjects(ctx context.Context) (int, error) {
	now := c.now()
	var last string
	err := c.reader.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = ?`, sweptAtKey).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	if last != "" && now.Sub(parseTime(last)) < sweepEvery {
		return 0, nil
	}
	// Claim this sweep first, so that processes opening the directory together sweep once.
	claimed := false
	err = c.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE value = ?`, sweptAtKey, c.timestamp(), last)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	if err != nil || !claimed {
		return 0, err
	}

	referenced := map[string]bool{}
	rows, err := c.reader.QueryContext(ctx, `SELECT DISTINCT blob_sha256 FROM object_versions WHERE blob_sha256 != ''`)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return 0, err
		}
		referenced[name] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}

	removed := 0
	root := filepath.Join(c.dir, objectsDir)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		orphan := strings.HasPrefix(name, ".tmp-") || validBlobName(name) && !referenced[name]
		if !orphan {
			return nil
		}
		if info, ierr := d.Info(); ierr != nil || now.Sub(info.ModTime()) < sweepGrace {
			return nil // gone meanwhile, or too recent to be an orphan for sure
		}
		// Checked again just before removing: the version naming it may have been committed
		// since the list was read.
		var n int
		if validBlobName(name) {
			if err := c.reader.QueryRowContext(ctx, `SELECT count(*) FROM object_versions WHERE blob_sha256 = ?`, name).Scan(&n); err != nil {
				return err
			}
		}
		if n == 0 && os.Remove(path) == nil {
			removed++
		}
		return nil
	})
	return removed, err
}
