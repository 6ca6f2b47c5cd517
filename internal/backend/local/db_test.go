package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

func TestOpenCreatesStateDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "state")
	c := openCloud(t, dir)
	for _, name := range []string{dbFile, masterKeyFile, objectsDir} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	st, err := os.Stat(filepath.Join(dir, masterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("master.key mode = %o, want 600", perm)
	}
	// The DSN pragmas really apply, on both pools.
	var mode string
	if err := c.writer.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var timeout int
	if err := c.reader.QueryRow("PRAGMA busy_timeout").Scan(&timeout); err != nil || timeout != 10000 {
		t.Errorf("busy_timeout = %d, %v; want 10000", timeout, err)
	}
}

func TestMigrationsIdempotentOnReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	c1 := openCloud(t, dir)
	a := c1.As(acctA, region)
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "kept", Versioning: true}))
	a.Close()
	c1.Close()

	for range 2 {
		c := openCloud(t, dir)
		var v, rows int
		if err := c.reader.QueryRow(`SELECT version, (SELECT count(*) FROM schema_version) FROM schema_version`).Scan(&v, &rows); err != nil {
			t.Fatal(err)
		}
		if v != SchemaVersion() || rows != 1 {
			t.Errorf("schema_version = %d (%d rows), want %d (1 row)", v, rows, SchemaVersion())
		}
		if _, err := c.As(acctA, region).GetBucket(ctx, "kept"); err != nil {
			t.Errorf("bucket lost on reopen: %v", err)
		}
		c.Close()
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	c := openCloud(t, dir)
	if _, err := c.writer.Exec(`UPDATE schema_version SET version = ?`, SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	c.Close()
	_, err := Open(backend.Config{StateDir: dir})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema: err = %v, want ErrSchemaTooNew", err)
	}
	t.Log(err)
}

func TestReplacedMasterKeyRefused(t *testing.T) {
	dir := t.TempDir()
	openCloud(t, dir).Close()
	if err := os.WriteFile(filepath.Join(dir, masterKeyFile), []byte(fmt.Sprintf("%064x\n", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(backend.Config{StateDir: dir}); err == nil {
		t.Fatal("Open with a foreign master key succeeded")
	}
}

// Two Opens of one state directory behave like two processes: each has its own pools, and
// only SQLite's file locking keeps them apart.
func TestConcurrentProcesses(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	c1, c2 := openCloud(t, dir), openCloud(t, dir)
	p1, p2 := c1.As(acctA, region), c2.As(acctB, region)

	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i, acct := range []*Account{p1, p2} {
		for w := range 5 { // several goroutines per "process"
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := w; n < 50; n += 5 {
					name := fmt.Sprintf("p%d-bucket-%02d", i, n)
					if _, err := acct.CreateBucket(ctx, backend.Bucket{Name: name, Versioning: true}); err != nil {
						errs <- fmt.Errorf("%s: %w", name, err)
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int
	if err := c1.reader.QueryRow(`SELECT count(*) FROM buckets`).Scan(&n); err != nil || n != 100 {
		t.Errorf("buckets = %d, %v; want 100", n, err)
	}

	// Racing creates of one bucket: exactly one wins, the other is ErrAlreadyExists.
	for round := range 10 {
		name := fmt.Sprintf("contested-%d", round)
		results := make([]error, 2)
		var start sync.WaitGroup
		start.Add(1)
		var done sync.WaitGroup
		for i, acct := range []*Account{p1, p2} {
			done.Add(1)
			go func() {
				defer done.Done()
				start.Wait()
				_, results[i] = acct.CreateBucket(ctx, backend.Bucket{Name: name})
			}()
		}
		start.Done()
		done.Wait()
		ok, exists := 0, 0
		for _, err := range results {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, backend.ErrAlreadyExists):
				exists++
			default:
				t.Errorf("%s: unexpected error %v", name, err)
			}
		}
		if ok != 1 || exists != 1 {
			t.Errorf("%s: %d successes and %d ErrAlreadyExists, want 1 and 1", name, ok, exists)
		}
	}

	if err := c1.writer.QueryRow(`PRAGMA integrity_check`).Scan(new(string)); err != nil {
		t.Fatal(err)
	}
	var check string
	if err := c2.reader.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("ok", check); diff != "" {
		t.Errorf("integrity_check (-want +got):\n%s", diff)
	}
}

func withBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// A writer that holds the lock longer than the busy timeout and every retry makes a clear
// ErrConflict, not a hang and not a half-done write.
func TestLockedDatabaseGivesUpWithConflict(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	holder := openCloud(t, dir)
	c := openCloud(t, dir, withBusyTimeout(20*time.Millisecond))
	tx, err := holder.writer.BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	_, err = c.As(acctA, region).CreateBucket(ctx, backend.Bucket{Name: "blocked"})
	if !errors.Is(err, backend.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	t.Log(err)
	_ = tx.Rollback()
	if _, err := c.As(acctA, region).CreateBucket(ctx, backend.Bucket{Name: "blocked"}); err != nil {
		t.Fatalf("after the lock is released: %v", err)
	}
}

func TestOpenAccountAndReferences(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	a, err := OpenAccount(backend.Config{AccountID: acctB, Region: "eu-west-1", StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := backend.Identity{Kind: backend.KindLocal, AccountID: acctB, Region: "eu-west-1"}
	if diff := cmp.Diff(want, a.Identity()); diff != "" {
		t.Errorf("Identity (-want +got):\n%s", diff)
	}
	// A second account over the same Cloud stays usable after the first is closed.
	other := a.Cloud().As("", "")
	if got := other.Identity(); got.AccountID != acctB || got.Region != "eu-west-1" {
		t.Errorf("As(\"\", \"\") = %+v, want the configuration's account and region", got)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a.Close() // idempotent: must not release other's reference
	if _, err := other.CreateBucket(ctx, backend.Bucket{Name: "still-open"}); err != nil {
		t.Fatalf("after closing the first account: %v", err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.GetBucket(ctx, "still-open"); err == nil {
		t.Error("database still open after the last reference was released")
	}
	if _, err := Open(backend.Config{Kind: backend.KindAWS, StateDir: dir}); !errors.Is(err, backend.ErrInvalid) {
		t.Errorf("Open of an aws configuration: err = %v, want ErrInvalid", err)
	}
}
