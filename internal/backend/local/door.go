package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// The local backend behind internal/backend's door: OpenBackend is its backend.Opener (the
// wiring in internal/backend/backends registers it), and an *Account offers every capability.
var (
	_ backend.Backend        = (*Account)(nil)
	_ backend.Runner         = (*Account)(nil)
	_ backend.Webhooks       = (*Account)(nil)
	_ backend.Triggers       = (*Account)(nil)
	_ backend.TriggerAccount = (*Account)(nil)
)

// shared keeps one open Cloud per state directory for the backend values of this process:
// one writer connection per process is the design (see Open), and the provider is configured
// many times in one process (every in-process acceptance test step). A Cloud closes when the
// last value opened over it closes; the provider's values live as long as the process.
var shared = struct {
	sync.Mutex
	byDir map[string]*sharedCloud
}{byDir: map[string]*sharedCloud{}}

type sharedCloud struct {
	c     *Cloud
	views int
}

// OpenBackend opens cfg's state directory (or takes the Cloud this process has open over it)
// and returns the value acting as cfg's account and region. With opts.Unshared the value has
// a Cloud of its own, as another process would.
func OpenBackend(_ context.Context, cfg backend.Config, opts backend.OpenOptions) (backend.Backend, error) {
	if opts.ExistingOnly {
		// The database is the state: a directory without one (or no directory) is no state.
		if st, err := os.Stat(filepath.Join(cfg.StateDir, dbFile)); err != nil || !st.Mode().IsRegular() {
			// ... unless the rest of a state is there: then it is damaged, and Open says so.
			if p, err := inspectStateDir(cfg.StateDir); err != nil || (!p.key && p.objects == 0) {
				return nil, &backend.NoStateError{Kind: backend.KindLocal, Dir: cfg.StateDir}
			}
		}
	}
	if opts.Unshared {
		a, err := OpenAccount(cfg)
		if err != nil {
			return nil, stateDirError(cfg, err)
		}
		return a, nil
	}
	dir, err := filepath.Abs(cfg.StateDir)
	if err != nil || cfg.StateDir == "" {
		return nil, stateDirError(cfg, fmt.Errorf("state directory %q: %w", cfg.StateDir, errors.Join(err, backend.ErrInvalid)))
	}
	shared.Lock()
	defer shared.Unlock()
	sc := shared.byDir[dir]
	if sc == nil {
		c, err := Open(cfg)
		if err != nil {
			return nil, stateDirError(cfg, err)
		}
		sc = &sharedCloud{c: c}
		shared.byDir[dir] = sc
	}
	sc.views++
	a := sc.c.For(cfg)
	a.onClose = func() {
		shared.Lock()
		defer shared.Unlock()
		if sc.views--; sc.views == 0 {
			delete(shared.byDir, dir)
			sc.c.Close()
		}
	}
	return a, nil
}

// stateDirError is a failure to open the state directory, as the provider reports it on
// state_dir; errors.Is still sees the cause (ErrSchemaTooNew, a damaged database, ...).
func stateDirError(cfg backend.Config, err error) error {
	detail := fmt.Sprintf("%v\n\nFix: point state_dir (or %s) at a writable directory.", err, backend.StateDirEnv)
	if errors.Is(err, ErrStateDamaged) {
		detail = err.Error() // it says how to restore the directory or start over
	}
	return &backend.ConfigError{Attribute: "state_dir", Summary: "Cannot Open The Local State Directory", Detail: detail, Err: err}
}

// Warnings says what opening the state directory changed that its user should know.
func (a *Account) Warnings() []string { return a.c.Warnings() }

// ---- backend.Triggers: the state directory as the trigger daemon sees it ----

// WatchedFiles are the database and its write-ahead log: every write lands in one of them.
func (a *Account) WatchedFiles() (string, []string) {
	return a.c.dir, []string{dbFile, dbFile + "-wal"}
}

// AllPipelines returns every pipeline of every account and region of the state directory.
func (a *Account) AllPipelines(ctx context.Context) ([]*backend.PipelineRecord, error) {
	return a.c.AllPipelines(ctx)
}

// ChangeMarks: see backend.Triggers.
func (a *Account) ChangeMarks(ctx context.Context) (int64, string, error) {
	return a.c.ChangeMarks(ctx)
}

// LatestObjectVersion: see backend.Triggers.
func (a *Account) LatestObjectVersion(ctx context.Context, bucket, key string) (int64, string, bool, error) {
	return a.c.LatestObjectVersion(ctx, bucket, key)
}

// TriggerCursor: see backend.Triggers.
func (a *Account) TriggerCursor(ctx context.Context, k backend.CursorKey) (string, error) {
	return a.c.TriggerCursor(ctx, k)
}

// SaveTriggerCursor: see backend.Triggers.
func (a *Account) SaveTriggerCursor(ctx context.Context, k backend.CursorKey, state string) error {
	return a.c.SaveTriggerCursor(ctx, k, state)
}

// AcquireLease: see backend.Triggers.
func (a *Account) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	return a.c.AcquireLease(ctx, name, owner, ttl)
}

// ReleaseLease: see backend.Triggers.
func (a *Account) ReleaseLease(ctx context.Context, name, owner string) error {
	return a.c.ReleaseLease(ctx, name, owner)
}

// LookupWebhook: see backend.Triggers.
func (a *Account) LookupWebhook(ctx context.Context, accountID, region, name string) (*backend.Webhook, error) {
	return a.c.LookupWebhook(ctx, accountID, region, name)
}

// Account is the value acting as another account and region of the same state directory,
// with this value's repositories and functions directories.
func (a *Account) Account(accountID, region string) backend.TriggerAccount {
	b := a.c.As(accountID, region)
	b.repositoriesDir, b.functionsDir = a.repositoriesDir, a.functionsDir
	return b
}
