package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// Damaged or missing state is refused, never silently re-created.
//
// A state directory is new when it holds no database, no master key and no object files; then
// Open creates them, in that order (database, master key, the master key check in the
// database), so that a first Open killed half way is finished by the next one. Every other
// combination of missing parts is damage that re-creating would make permanent:
//
//   - objects or a master key but no database (state.db missing or empty): a fresh database
//     would know none of the objects (and a sweep would count them as garbage);
//   - a database that has used its master key (it holds the key check) but no master.key: a
//     fresh key cannot open the KMS key material sealed with the lost one.
//
// Open then fails with ErrStateDamaged and changes nothing; the message says how to restore
// the missing part or how to start over.

// ErrStateDamaged is wrapped by Open's errors for a state directory with missing parts.
var ErrStateDamaged = errors.New("the state directory is damaged")

// stateParts is what a state directory holds, looked at before anything is created.
type stateParts struct {
	db      bool // state.db (or its WAL) holds data
	key     bool // master.key exists
	objects int  // object files found (counted only when there is no database; at most a few)
}

func inspectStateDir(dir string) (stateParts, error) {
	var p stateParts
	for _, name := range []string{dbFile, dbFile + "-wal"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		switch {
		case err == nil && fi.Size() > 0:
			p.db = true
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return p, fmt.Errorf("local backend: %w", err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, masterKeyFile)); err == nil {
		p.key = true
	} else if !errors.Is(err, fs.ErrNotExist) {
		return p, fmt.Errorf("local backend: %w", err)
	}
	if !p.db {
		p.objects = countObjectFiles(filepath.Join(dir, objectsDir), 3)
	}
	return p, nil
}

// countObjectFiles counts the object files under root, temporary files aside, stopping at max.
func countObjectFiles(root string, limit int) int {
	n := 0
	stop := errors.New("enough")
	_ = filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if !d.IsDir() && validBlobName(d.Name()) {
			if n++; n >= limit {
				return stop
			}
		}
		return nil
	})
	return n
}

// refuseWithoutDatabase is the error for objects or a master key without a database.
func refuseWithoutDatabase(dir string, p stateParts) error {
	var held []string
	if p.key {
		held = append(held, "a master key ("+masterKeyFile+")")
	}
	if p.objects > 0 {
		held = append(held, "stored objects (objects/)")
	}
	return fmt.Errorf("local backend: the state directory %s holds %s but no database: %s is missing or empty. "+
		"Nothing was changed. To restore, copy %s (and %s-wal, if it was saved with it) back from a backup; "+
		"to start over, move the directory aside (mv %s %s.damaged): the objects cannot be read without their database: %w",
		dir, strings.Join(held, " and "), dbFile, dbFile, dbFile, dir, dir, ErrStateDamaged)
}

// checkDatabaseParts refuses a database that is not this directory's (it has no schema while
// objects or a master key exist) and a lost master key (the database has used one). It runs on
// the open database before any migration.
func checkDatabaseParts(ctx context.Context, db *sql.DB, dir string, p stateParts) error {
	has := func(table string) (bool, error) {
		var n int
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&n)
		return n > 0, err
	}
	schema, err := has("schema_version")
	if err != nil {
		return fmt.Errorf("local backend: reading %s: %w", filepath.Join(dir, dbFile), err)
	}
	if !schema {
		if p.key || countObjectFiles(filepath.Join(dir, objectsDir), 1) > 0 {
			p.objects = countObjectFiles(filepath.Join(dir, objectsDir), 3)
			return refuseWithoutDatabase(dir, p)
		}
		return nil // a new directory whose first Open stopped before the schema committed
	}
	if p.key {
		return nil
	}
	used := false
	if ok, err := has("meta"); err == nil && ok {
		err = db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM meta WHERE name = 'master_check'`).Scan(&used)
		if err != nil {
			return fmt.Errorf("local backend: reading %s: %w", filepath.Join(dir, dbFile), err)
		}
	}
	if !used {
		return nil // the key was never made: a first Open stopped before it
	}
	// The key check is recorded only once the key file exists: a key that exists now was made
	// by another process after this one looked (a first Open of several at once).
	if _, err := os.Stat(filepath.Join(dir, masterKeyFile)); err == nil {
		return nil
	}
	return fmt.Errorf("local backend: %s is missing, but the database in %s was sealed with it: without it the KMS key material, "+
		"and so every stored object and webhook secret, cannot be opened, and a new key would not help. Nothing was changed. "+
		"Restore %s from a backup; to start over, move the directory aside (mv %s %s.damaged): %w",
		filepath.Join(dir, masterKeyFile), dir, masterKeyFile, dir, dir, ErrStateDamaged)
}

// Modes of the state directory's parts: private to this user.
const (
	privateDir  fs.FileMode = 0o700
	privateFile fs.FileMode = 0o600
)

// tightenModes makes the state directory and its files private, returning (when the directory
// already held state: a new one is made private silently) a warning for each part that was
// readable or writable by others (or, for the database's -wal and -shm files,
// not writable by their owner, which keeps SQLite from writing even once state.db is fixed).
// A state.db its owner cannot write is an error that says so, instead of SQLite's "attempt to
// write a readonly database" at the first write.
func tightenModes(dir string, existing bool) (warnings []string, err error) {
	defer func() {
		if !existing {
			warnings = nil
		}
	}()
	fix := func(path string, want fs.FileMode, why string) {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&fs.ModeSymlink != 0 {
			return
		}
		if err := os.Chmod(path, want); err != nil {
			warnings = append(warnings, fmt.Sprintf("%s has mode %04o and could not be changed to %04o: %v", path, fi.Mode().Perm(), want, err))
			return
		}
		warnings = append(warnings, fmt.Sprintf("%s had mode %04o (%s); changed to %04o", path, fi.Mode().Perm(), why, want))
	}
	// Group and other bits go; the owner's stay as they are.
	check := func(path string) {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&fs.ModeSymlink != 0 {
			return
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			fix(path, perm&^0o077, "readable or writable by other users")
		}
	}
	check(dir)
	objects := filepath.Join(dir, objectsDir)
	check(objects)
	if entries, err := os.ReadDir(objects); err == nil {
		// Up to 256 of them: one warning for all.
		n := 0
		for _, e := range entries {
			if fi, err := e.Info(); err == nil && fi.IsDir() && fi.Mode().Perm()&0o077 != 0 {
				if os.Chmod(filepath.Join(objects, e.Name()), fi.Mode().Perm()&^0o077) == nil {
					n++
				}
			}
		}
		if n > 0 {
			warnings = append(warnings, fmt.Sprintf("%d directories under %s were readable or writable by other users; made private", n, objects))
		}
	}
	check(filepath.Join(dir, masterKeyFile))
	db := filepath.Join(dir, dbFile)
	check(db)
	if fi, err := os.Stat(db); err == nil {
		if owner := fileOwner(fi); owner == os.Geteuid() && fi.Mode().Perm()&0o200 == 0 {
			return warnings, fmt.Errorf("local backend: %s is read-only (mode %04o): the backend must write it; make it writable (chmod 600 %s): %w",
				db, fi.Mode().Perm(), db, backend.ErrInvalid)
		}
		if err := unix.Access(db, unix.R_OK|unix.W_OK); err != nil {
			return warnings, notWritableError(db, fi, "")
		}
	}
	for _, side := range []string{db + "-wal", db + "-shm"} {
		fi, err := os.Lstat(side)
		if err != nil || fi.Mode()&fs.ModeSymlink != 0 {
			continue
		}
		if fi.Mode().Perm() != privateFile {
			fix(side, privateFile, "SQLite needs it private and writable, like state.db")
		}
		// One this user cannot make writable (another user's) keeps SQLite from writing:
		// refused here with what to do, not at the first write as "readonly database".
		if err := unix.Access(side, unix.R_OK|unix.W_OK); err != nil {
			remedy := "or remove it (rm " + side + "): SQLite makes it again"
			if strings.HasSuffix(side, "-wal") {
				remedy = "do not remove it: it may hold committed writes not yet copied into " + dbFile
			}
			return warnings, notWritableError(side, fi, remedy)
		}
	}
	return warnings, nil
}

// fileOwner is the user id owning fi's file (-1 when the platform does not say).
func fileOwner(fi fs.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

// notWritableError says that this user cannot read and write path, a part of the database,
// whose owner and mode fi gives, and what to do, with remedy added.
func notWritableError(path string, fi fs.FileInfo, remedy string) error {
	if remedy != "" {
		remedy = "; " + remedy
	}
	me := os.Geteuid()
	if owner := fileOwner(fi); owner != me {
		return fmt.Errorf("local backend: %s (mode %04o) belongs to user id %d, and this user (%d) cannot write it, so SQLite cannot write the database. "+
			"With no other process using the state directory, give it to this user (as root: chown %d %s && chmod 600 %s)%s: %w",
			path, fi.Mode().Perm(), owner, me, me, path, path, remedy, backend.ErrInvalid)
	}
	return fmt.Errorf("local backend: %s (mode %04o) cannot be written by this user, so SQLite cannot write the database. "+
		"Make it writable (chmod 600 %s)%s: %w", path, fi.Mode().Perm(), path, remedy, backend.ErrInvalid)
}

// createPrivateFile creates path with mode 0600 when it does not exist, so that SQLite, which
// gives its -wal and -shm files the database's mode, keeps all three private.
func createPrivateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, privateFile)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}
