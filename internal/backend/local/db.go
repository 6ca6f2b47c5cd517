// Package local is the embedded local cloud: a small, faithful AWS for pipelines kept in one
// state directory. Buckets, object versions, KMS keys, roles and pipelines of several accounts
// and regions live in an SQLite database (state.db, WAL mode) that several processes share;
// object bodies are encrypted with envelope encryption in authenticated chunks, kept in their
// row when small and in files under objects/ otherwise (see bodies.go); KMS key material is
// sealed with a master key kept in
// master.key. Access to objects and keys is decided by evaluating the real policy documents
// with internal/policy.
//
// A *Cloud is one open state directory; (*Cloud).As gives the per-account value, an
// *Account, which implements backend.Backend. Two provider configurations acting as two
// accounts use two *Account values over one state directory.
package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/artifact"
)

// Files and directories of a state directory.
const (
	dbFile        = "state.db"
	masterKeyFile = "master.key"
	objectsDir    = "objects"
)

// busyTimeout is how long SQLite itself waits for another process's lock before a statement
// fails with SQLITE_BUSY; maxWriteAttempts bounds the retries on top of that, so a wedged peer
// turns into a clear ErrConflict instead of a hang.
const (
	busyTimeout      = 10 * time.Second
	maxWriteAttempts = 5
)

// Option configures Open.
type Option func(*options)

type options struct {
	now         func() time.Time
	busyTimeout time.Duration // tests shorten it to see the bounded retries give up
	heartbeat   time.Duration
	staleAfter  time.Duration
	compression *artifact.Compression
	workDir     string
	sandbox     string
}

// WithHeartbeat sets how often a run's driver proves it is alive, and after how long without
// a heartbeat a run whose driver cannot be checked directly counts as abandoned.
func WithHeartbeat(every, staleAfter time.Duration) Option {
	return func(o *options) { o.heartbeat, o.staleAfter = every, staleAfter }
}

// WithArtifactCompression sets how the executor compresses the output artifacts it zips,
// overriding CODEPIPELINE_ARTIFACT_COMPRESSION.
func WithArtifactCompression(c artifact.Compression) Option {
	return func(o *options) { o.compression = &c }
}

// WithWorkDir sets the work root, where actions get their workspaces (see workspaces.go),
// overriding CODEPIPELINE_WORK_DIR.
func WithWorkDir(dir string) Option {
	return func(o *options) { o.workDir = dir }
}

// WithActionSandbox sets whether actions run in a sandbox ("auto", "required" or "off"),
// overriding CODEPIPELINE_ACTION_SANDBOX (see isolation.go).
func WithActionSandbox(mode string) Option {
	return func(o *options) { o.sandbox = mode }
}

// WithNow replaces the clock (time.Now by default), so tests can move past a key's
// deletion date.
func WithNow(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// Cloud is one open state directory. It is safe for concurrent use; several Clouds (in one
// or several processes) may share a state directory.
type Cloud struct {
	dir string
	// workRoot holds the actions' workspaces, outside dir (see workspaces.go).
	workRoot string
	// sandbox says whether actions run in a sandbox (see isolation.go).
	sandbox string
	now     func() time.Time
	// compression is how output artifacts are zipped (see ArtifactCompressionEnv).
	compression artifact.Compression
	// inlineMax is the largest stored body kept in its row (inlineMax; tests set 0 to see files).
	inlineMax int
	master    []byte // the master key sealing KMS key material

	// owner names this process as the driver of runs; heartbeatEvery and staleAfter time
	// the proof that a driver is alive.
	owner                      string
	heartbeatEvery, staleAfter time.Duration

	// writer serializes this process's writes on one connection whose transactions begin
	// IMMEDIATE (the write lock is taken up front, so a transaction never fails half way
	// on a lock upgrade); reader serves reads, which WAL lets run beside a writer.
	writer *sql.DB
	reader *sql.DB

	defaultAccount, defaultRegion string

	// warnings are what Open changed that the user should know (modes it tightened).
	warnings []string

	mu     sync.Mutex
	refs   int
	closed bool
}

// Warnings says what Open changed in the state directory that its user should know: the modes
// it made private. The provider shows them as warnings; the CLI prints them.
func (c *Cloud) Warnings() []string { return c.warnings }

// Open opens the state directory cfg.StateDir, creating it, its database and its master key
// when it is new, refusing it when parts of it are missing (statedir.go), making it private,
// and applies pending schema migrations. The returned Cloud holds one reference,
// released by Close; each Account handed out by As holds another, released by its Close, and
// the database closes when the last reference is released.
func Open(cfg backend.Config, opts ...Option) (*Cloud, error) {
	if cfg.Kind != "" && cfg.Kind != backend.KindLocal {
		return nil, fmt.Errorf("local backend: configuration is for backend %q: %w", cfg.Kind, backend.ErrInvalid)
	}
	if cfg.StateDir == "" {
		return nil, fmt.Errorf("local backend: no state directory configured: %w", backend.ErrInvalid)
	}
	o := options{now: time.Now, heartbeat: defaultHeartbeat, staleAfter: defaultStaleAfter, busyTimeout: busyTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	dir, err := filepath.Abs(cfg.StateDir)
	if err != nil {
		return nil, fmt.Errorf("local backend: state directory %q: %w", cfg.StateDir, err)
	}
	workRoot, err := workRootFor(dir, o.workDir)
	if err != nil {
		return nil, err
	}
	compression, err := artifactCompression(o.compression)
	if err != nil {
		return nil, err
	}
	sandboxing, err := sandboxMode(o.sandbox)
	if err != nil {
		return nil, err
	}
	// Damaged state is refused before anything is created or changed (statedir.go).
	parts, err := inspectStateDir(dir)
	if err != nil {
		return nil, err
	}
	if !parts.db && (parts.key || parts.objects > 0) {
		return nil, refuseWithoutDatabase(dir, parts)
	}
	if err := os.MkdirAll(filepath.Join(dir, objectsDir), privateDir); err != nil {
		return nil, fmt.Errorf("local backend: creating state directory: %w", err)
	}
	warnings, err := tightenModes(dir, parts.db)
	if err != nil {
		return nil, err
	}
	if err := createPrivateFile(filepath.Join(dir, dbFile)); err != nil {
		return nil, fmt.Errorf("local backend: creating the database: %w", err)
	}
	c := &Cloud{
		dir: dir, workRoot: workRoot, sandbox: sandboxing, now: o.now, refs: 1, compression: compression, inlineMax: inlineMax,
		owner: processOwner(), heartbeatEvery: o.heartbeat, staleAfter: o.staleAfter, warnings: warnings,
		defaultAccount: orDefault(cfg.AccountID, backend.DefaultAccountID),
		defaultRegion:  orDefault(cfg.Region, backend.DefaultRegion),
	}
	if c.writer, err = openDB(filepath.Join(dir, dbFile), o.busyTimeout, true); err != nil {
		return nil, err
	}
	// One writer connection per process: in-process writers queue in database/sql rather
	// than spin on SQLite's busy handler; other processes are held off by the file lock.
	c.writer.SetMaxOpenConns(1)
	if parts.db {
		if err := checkDatabaseParts(context.Background(), c.writer, dir, parts); err != nil {
			c.writer.Close()
			return nil, err
		}
	}
	if err := c.migrate(context.Background()); err != nil {
		c.writer.Close()
		return nil, err
	}
	if c.reader, err = openDB(filepath.Join(dir, dbFile), o.busyTimeout, false); err != nil {
		c.writer.Close()
		return nil, err
	}
	// The master key is made after the database, and only while the database has never used
	// one (checkDatabaseParts refused a lost key).
	if c.master, err = loadOrCreateMasterKey(filepath.Join(dir, masterKeyFile)); err != nil {
		c.writer.Close()
		c.reader.Close()
		return nil, err
	}
	if err := c.checkMasterKey(context.Background()); err != nil {
		c.writer.Close()
		c.reader.Close()
		return nil, err
	}
	// A run whose driver died (a SIGKILLed terraform apply) is failed as abandoned by the next
	// process that opens the state directory, so its stage locks do not block later runs.
	if err := c.recoverAbandonedRuns(context.Background()); err != nil {
		c.writer.Close()
		c.reader.Close()
		return nil, fmt.Errorf("local backend: recovering abandoned runs: %w", err)
	}
	// What killed writers left behind costs only disk space: a failed sweep does not stop Open.
	c.sweep(context.Background())
	return c, nil
}

// openDB opens one pool over the database and checks that the DSN pragmas really applied
// (a silently ignored pragma would mean no WAL or no busy timeout, that is, lost writes or
// spurious failures under concurrency).
func openDB(path string, busyTimeout time.Duration, immediate bool) (*sql.DB, error) {
	// Switching a new database to WAL takes an exclusive lock that SQLite does not wait for
	// through the busy handler: two processes opening a fresh state directory at once (two
	// provider aliases) can see SQLITE_BUSY here. Retry, bounded by the busy timeout.
	deadline := time.Now().Add(busyTimeout)
	for attempt := 1; ; attempt++ {
		db, err := openDBOnce(path, busyTimeout, immediate)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return db, err
		}
		time.Sleep(time.Duration(attempt*20+rand.IntN(30)) * time.Millisecond)
	}
}

func openDBOnce(path string, busyTimeout time.Duration, immediate bool) (*sql.DB, error) {
	q := url.Values{}
	// busy_timeout first: switching to WAL itself needs a lock another process may hold.
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	if immediate {
		q.Set("_txlock", "immediate")
	}
	dsn := (&url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("local backend: opening %s: %w", path, err)
	}
	var mode string
	var timeout, fk int
	err = db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if err == nil {
		err = db.QueryRow("PRAGMA busy_timeout").Scan(&timeout)
	}
	if err == nil {
		err = db.QueryRow("PRAGMA foreign_keys").Scan(&fk)
	}
	if err == nil && (mode != "wal" || timeout != int(busyTimeout.Milliseconds()) || fk != 1) {
		err = fmt.Errorf("pragmas not applied (journal_mode=%s busy_timeout=%d foreign_keys=%d)", mode, timeout, fk)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("local backend: opening %s: %w", path, err)
	}
	return db, nil
}

// As returns the value acting as accountID in region over this state directory ("" takes
// the configuration's account or region). It holds a reference to the Cloud until its Close.
func (c *Cloud) As(accountID, region string) *Account {
	c.mu.Lock()
	c.refs++
	c.mu.Unlock()
	return &Account{c: c, id: backend.Identity{
		Kind:      backend.KindLocal,
		AccountID: orDefault(accountID, c.defaultAccount),
		Region:    orDefault(region, c.defaultRegion),
	}}
}

// OpenAccount opens cfg.StateDir and returns the value acting as cfg's account and region,
// with cfg's repositories and functions directories; closing it closes the state directory.
func OpenAccount(cfg backend.Config, opts ...Option) (*Account, error) {
	c, err := Open(cfg, opts...)
	if err != nil {
		return nil, err
	}
	a := c.For(cfg)
	c.Close()
	return a, nil
}

// Dir is the state directory.
func (c *Cloud) Dir() string { return c.dir }

// Close releases the reference Open returned.
func (c *Cloud) Close() error { return c.release() }

func (c *Cloud) release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.refs--
	if c.refs > 0 {
		return nil
	}
	c.closed = true
	return errors.Join(c.reader.Close(), c.writer.Close())
}

// write runs fn in one IMMEDIATE transaction, retrying a bounded number of times when the
// database stays locked by another process beyond the busy timeout. fn may run more than
// once, so it must only touch the database; it must not call write itself (the process has
// one writer connection, which fn's transaction holds).
func (c *Cloud) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var err error
	for attempt := 1; attempt <= maxWriteAttempts; attempt++ {
		err = c.writeOnce(ctx, fn)
		if !isBusy(err) {
			return err
		}
		backoff := time.Duration(attempt*50+rand.IntN(50)) * time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
	return fmt.Errorf("local backend: the state database stayed locked by another process after %d attempts (%w): %w",
		maxWriteAttempts, err, backend.ErrConflict)
}

func (c *Cloud) writeOnce(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := c.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// querier is what reads need: the reader pool or a write transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

func isBusy(err error) bool {
	code := sqliteCode(err) & 0xff
	return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
}

// isUniqueViolation backs up the explicit existence checks: a duplicate that slips past them
// is still reported as ErrAlreadyExists, never as an internal error.
func isUniqueViolation(err error) bool {
	code := sqliteCode(err)
	return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func (c *Cloud) timestamp() string { return c.now().UTC().Format(time.RFC3339Nano) }

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
