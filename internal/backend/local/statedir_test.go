package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// largeBody is a body stored in a file of objects/ (larger than inlineMax).
func largeBody(tag string) []byte {
	return bytes.Repeat([]byte(tag), inlineMax/len(tag)+100)
}

// populated opens a new state directory, stores n large objects in bucket "bkt" of account A
// and closes it; it returns the directory and the version ids.
func populated(t *testing.T, n int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	c, err := Open(backend.Config{Kind: backend.KindLocal, AccountID: acctA, Region: region, StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	a := c.As(acctA, region)
	ctx := context.Background()
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "bkt", Versioning: true}))
	var versions []string
	for i := range n {
		versions = append(versions, must[string](t)(a.PutObject(ctx, "", "bkt", "k", bytes.NewReader(largeBody(fmt.Sprint(i))))))
	}
	a.Close()
	c.Close()
	return dir, versions
}

// dirListing lists every file and directory under dir with its mode, size and modification time.
func dirListing(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %v %d %d", strings.TrimPrefix(p, dir), fi.Mode(), fi.Size(), fi.ModTime().UnixNano()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func openErr(dir string, opts ...Option) error {
	c, err := Open(backend.Config{Kind: backend.KindLocal, AccountID: acctA, Region: region, StateDir: dir}, opts...)
	if err == nil {
		c.Close()
	}
	return err
}

// TestMissingOrEmptyDatabaseIsRefused: a state directory whose state.db is gone or empty, next
// to a master key and object files, was silently given a fresh database, whose sweep then
// deleted the objects. Open must refuse it, say how to restore or start over, and change
// nothing.
func TestMissingOrEmptyDatabaseIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(dir string) error
	}{
		{"missing", func(dir string) error { return os.Remove(filepath.Join(dir, dbFile)) }},
		{"empty", func(dir string) error { return os.Truncate(filepath.Join(dir, dbFile), 0) }},
		{"missing, master key gone too", func(dir string) error {
			return errors.Join(os.Remove(filepath.Join(dir, dbFile)), os.Remove(filepath.Join(dir, masterKeyFile)))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := populated(t, 2)
			if err := tc.damage(dir); err != nil {
				t.Fatal(err)
			}
			before := dirListing(t, dir)
			// Long after: a sweep, had it run, would have found every file old enough.
			clk := &clock{t: time.Now().Add(48 * time.Hour)}
			err := openErr(dir, WithNow(clk.Now))
			if !errors.Is(err, ErrStateDamaged) {
				t.Fatalf("Open = %v, want ErrStateDamaged", err)
			}
			for _, want := range []string{"no database", "back from a backup", "to start over", "Nothing was changed"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			// The CLI opens only what exists: it must say the same, not that there is no state.
			_, err = OpenBackend(context.Background(), backend.Config{Kind: backend.KindLocal, AccountID: acctA, Region: region, StateDir: dir},
				backend.OpenOptions{ExistingOnly: true})
			if !errors.Is(err, ErrStateDamaged) {
				t.Errorf("OpenBackend(ExistingOnly) = %v, want ErrStateDamaged", err)
			}
			if diff := cmp.Diff(before, dirListing(t, dir)); diff != "" {
				t.Errorf("Open changed the state directory (-before +after):\n%s", diff)
			}
		})
	}
}

// TestLostMasterKeyIsNotReplaced: a deleted master.key next to a database that used it was
// replaced by a fresh key. Open must refuse, and not create one.
func TestLostMasterKeyIsNotReplaced(t *testing.T) {
	dir, _ := populated(t, 1)
	if err := os.Remove(filepath.Join(dir, masterKeyFile)); err != nil {
		t.Fatal(err)
	}
	err := openErr(dir)
	if !errors.Is(err, ErrStateDamaged) || !strings.Contains(err.Error(), "Restore master.key from a backup") {
		t.Fatalf("Open = %v, want ErrStateDamaged saying to restore master.key", err)
	}
	if _, err := os.Stat(filepath.Join(dir, masterKeyFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open made a new master key: %v", err)
	}
}

// TestInterruptedFirstOpenIsFinished: a first Open killed after the schema committed and before
// the master key existed leaves a database without a key check; the next Open finishes it.
func TestInterruptedFirstOpenIsFinished(t *testing.T) {
	dir := t.TempDir()
	c := openCloud(t, dir)
	if _, err := c.writer.Exec(`DELETE FROM meta WHERE name = 'master_check'`); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := os.Remove(filepath.Join(dir, masterKeyFile)); err != nil {
		t.Fatal(err)
	}
	if err := openErr(dir); err != nil {
		t.Fatalf("reopening: %v", err)
	}
}

// TestSweepKeepsFilesTheDatabaseDoesNotName: a database restored from an older backup does not
// name the objects stored after the backup; the sweep deleted them, and restoring the newer
// database left those artifacts unreadable. Only a database that names a file may remove it.
func TestSweepKeepsFilesTheDatabaseDoesNotName(t *testing.T) {
	dir, first := populated(t, 2)
	backup := filepath.Join(t.TempDir(), "state.db.1")
	copyTestFile(t, filepath.Join(dir, dbFile), backup)

	c := openCloud(t, dir)
	a := c.As(acctA, region)
	ctx := context.Background()
	later := must[string](t)(a.PutObject(ctx, "", "bkt", "k", bytes.NewReader(largeBody("later"))))
	a.Close()
	c.Close()
	newest := filepath.Join(t.TempDir(), "state.db.2")
	copyTestFile(t, filepath.Join(dir, dbFile), newest)

	// The older backup is restored and used a day later; then the newer one comes back.
	copyTestFile(t, backup, filepath.Join(dir, dbFile))
	clk := &clock{t: time.Now().Add(48 * time.Hour)}
	openCloud(t, dir, WithNow(clk.Now)).Close()
	copyTestFile(t, newest, filepath.Join(dir, dbFile))

	c2 := openCloud(t, dir)
	a2 := c2.As(acctA, region)
	defer a2.Close()
	for i, v := range append(first, later) {
		if _, _, err := a2.GetObject(ctx, "", "bkt", "k", v); err != nil {
			t.Errorf("object version %d after restoring the newer database: %v", i, err)
		}
	}
}

func copyTestFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(to + "-wal")
	os.Remove(to + "-shm")
}

// TestStateFilesArePrivate: state.db and its -wal and -shm were created 0644, and an existing
// 0755 state directory was left as it was, so another local user could read action logs and
// run variables.
func TestStateFilesArePrivate(t *testing.T) {
	dir := t.TempDir()
	c := openCloud(t, dir)
	a := c.As(acctA, region)
	ctx := context.Background()
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "bkt", Versioning: true}))
	must[string](t)(a.PutObject(ctx, "", "bkt", "k", bytes.NewReader(largeBody("x"))))
	a.Close()
	for _, f := range []string{dbFile, dbFile + "-wal", dbFile + "-shm", masterKeyFile} {
		if got := mode(t, filepath.Join(dir, f)); got != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", f, got)
		}
	}
	c.Close()

	// Widened by hand, then opened again: tightened, and said so.
	for _, f := range []string{"", objectsDir} {
		if err := os.Chmod(filepath.Join(dir, f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, dbFile), 0o644); err != nil {
		t.Fatal(err)
	}
	c2 := openCloud(t, dir)
	for _, f := range []string{"", objectsDir} {
		if got := mode(t, filepath.Join(dir, f)); got != 0o700 {
			t.Errorf("directory %q has mode %04o after Open, want 0700", f, got)
		}
	}
	if got := mode(t, filepath.Join(dir, dbFile)); got != 0o600 {
		t.Errorf("state.db has mode %04o after Open, want 0600", got)
	}
	if w := strings.Join(c2.Warnings(), "\n"); !strings.Contains(w, "had mode 0755") || !strings.Contains(w, "had mode 0644") {
		t.Errorf("warnings = %q, want them to say what was tightened", w)
	}
}

// TestReadOnlySideFilesAreRecovered: a -shm (or -wal) created read-only, while state.db was
// read-only, kept the database unwritable after state.db's mode was fixed. A read-only
// state.db itself is an error that says what to do.
//
// Root writes read-only files (and SQLite gives root's -shm the database's mode), so as root
// the test runs itself again as an unprivileged user.
func TestReadOnlySideFilesAreRecovered(t *testing.T) {
	dir, ok := asUnprivilegedUser(t)
	if !ok {
		return
	}
	openCloud(t, dir).Close()
	db := filepath.Join(dir, dbFile)
	if err := os.Chmod(db, 0o444); err != nil {
		t.Fatal(err)
	}
	err := openErr(dir)
	if err == nil || !strings.Contains(err.Error(), "read-only") || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("Open of a read-only state.db = %v, want an error saying to make it writable", err)
	}
	// The user fixes state.db; the side files SQLite made meanwhile are still read-only.
	if err := os.Chmod(db, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{db + "-shm", db + "-wal"} {
		if err := os.WriteFile(side, nil, 0o444); err != nil && !errors.Is(err, fs.ErrPermission) {
			t.Fatal(err)
		}
		if err := os.Chmod(side, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	c := openCloud(t, dir)
	for _, side := range []string{db + "-shm", db + "-wal"} {
		if got := mode(t, side); got != 0o600 {
			t.Errorf("%s has mode %04o after Open, want 0600", filepath.Base(side), got)
		}
	}
	if _, err := c.As(acctA, region).CreateBucket(context.Background(), backend.Bucket{Name: "written", Versioning: true}); err != nil {
		t.Errorf("writing after the fix: %v", err)
	}
}

// TestSideFileOfAnotherUserIsRefused: a -shm that another user (root, running the CLI once
// with sudo) created and this user cannot write keeps SQLite from writing the database however
// state.db's mode is fixed, and this user cannot change its mode. Open refuses it, naming the
// file, its owner and what to run, instead of failing at the first write ("attempt to write a
// readonly database").
//
// Only root can leave a file of another user: as root the test prepares the directory and runs
// the check as the user nobody; as any other user it checks the message Open gives.
func TestSideFileOfAnotherUserIsRefused(t *testing.T) {
	if os.Getenv(unprivilegedDirEnv) == "" && os.Geteuid() != 0 {
		shm := filepath.Join(t.TempDir(), dbFile+"-shm")
		if err := os.WriteFile(shm, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(shm)
		if err != nil {
			t.Fatal(err)
		}
		msg := notWritableError(shm, fakeOwner{fi, 0}, "or remove it").Error()
		for _, want := range []string{shm, "belongs to user id 0", fmt.Sprintf("chown %d %s", os.Geteuid(), shm), "or remove it"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not say %q", msg, want)
			}
		}
		return
	}
	dir, ok := asUnprivilegedUserAfter(t, func(dir string) {
		// A state directory of the user nobody, with a -shm root made (0644: nobody reads it,
		// cannot write it).
		openCloud(t, dir).Close()
		if err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, 65534, 65534)
		}); err != nil {
			t.Fatal(err)
		}
		shm := filepath.Join(dir, dbFile+"-shm")
		if err := os.WriteFile(shm, make([]byte, 32768), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(os.Chown(shm, 0, 0), os.Chmod(shm, 0o644)); err != nil {
			t.Fatal(err)
		}
	})
	if !ok {
		return
	}
	shm := filepath.Join(dir, dbFile+"-shm")
	err := openErr(dir)
	if err == nil {
		t.Fatal("Open with a -shm this user cannot write succeeded; the first write would fail")
	}
	for _, want := range []string{shm, "belongs to user id 0", fmt.Sprintf("chown %d %s", os.Geteuid(), shm), "rm " + shm} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if !errors.Is(err, backend.ErrInvalid) {
		t.Errorf("error %v is not ErrInvalid", err)
	}
}

// fakeOwner is a FileInfo whose file belongs to uid.
type fakeOwner struct {
	fs.FileInfo
	uid uint32
}

func (f fakeOwner) Sys() any { return &syscall.Stat_t{Uid: f.uid} }

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// unprivilegedDirEnv hands the state directory to the test binary run again as another user.
const unprivilegedDirEnv = "CODEPIPELINE_TEST_UNPRIVILEGED_DIR"

// asUnprivilegedUser returns the directory the test works in and true when the test is to run
// in this process: always when this process is not root. As root, it runs the test again in
// a child process as the user nobody (65534), over a directory that user owns, fails the test
// when the child fails, and returns false.
func asUnprivilegedUser(t *testing.T) (string, bool) {
	t.Helper()
	return asUnprivilegedUserAfter(t, nil)
}

// asUnprivilegedUserAfter is asUnprivilegedUser, with prepare (when not nil) run as root on
// the directory before the child runs: to leave there what only root can.
func asUnprivilegedUserAfter(t *testing.T, prepare func(dir string)) (string, bool) {
	t.Helper()
	if dir := os.Getenv(unprivilegedDirEnv); dir != "" {
		return dir, true
	}
	if os.Geteuid() != 0 {
		return t.TempDir(), true
	}
	const nobody = 65534
	base, err := os.MkdirTemp("", "unprivileged-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	dir := filepath.Join(base, "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(os.Chmod(base, 0o755), os.Chown(dir, nobody, nobody)); err != nil {
		t.Fatal(err)
	}
	if prepare != nil {
		prepare(dir)
	}
	// The test binary sits in a directory only root may enter: the child runs a copy.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(base, "test.bin")
	copyTestFile(t, self, exe)
	if err := os.Chmod(exe, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), unprivilegedDirEnv+"="+dir, "HOME="+dir, "TMPDIR="+dir)
	cmd.Dir = base
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("the test as user %d: %v\n%s", nobody, err, out)
	}
	return "", false
}

// TestNewStateDirectoryIsMadePrivateQuietly: a directory made for the state (0755 by mkdir)
// holds nothing yet: it is made private without a warning.
func TestNewStateDirectoryIsMadePrivateQuietly(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := openCloud(t, dir)
	if got := mode(t, dir); got != 0o700 {
		t.Errorf("new state directory has mode %04o, want 0700", got)
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("warnings for a new state directory: %q", w)
	}
}

// TestConcurrentFirstOpensAgree: processes opening a new state directory at once (terraform
// starts several provider processes) all succeed: one that looked before another made the
// master key must not take the key it then finds in use for a lost one.
func TestConcurrentFirstOpensAgree(t *testing.T) {
	for round := range 30 {
		dir := filepath.Join(t.TempDir(), "state")
		errs := make(chan error, 6)
		for range 6 {
			go func() { errs <- openErr(dir) }()
		}
		for range 6 {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: a concurrent first Open failed: %v", round, err)
			}
		}
	}
}

// TestKeyMadeAfterTheLookIsNotLost: the parts of a state directory are looked at before its
// database is opened; another process may make the master key (and record its use) between
// the two. A key that exists when the database is read is not lost.
func TestKeyMadeAfterTheLookIsNotLost(t *testing.T) {
	dir := t.TempDir()
	c := openCloud(t, dir)
	// What a process saw before c made the key: a database, no key.
	stale := stateParts{db: true, key: false}
	if err := checkDatabaseParts(context.Background(), c.writer, dir, stale); err != nil {
		t.Fatalf("a key made after the look was taken for lost: %v", err)
	}
}
