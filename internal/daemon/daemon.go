// Package daemon is `codepipeline serve`: the process that starts pipeline runs on the local
// backend when something changes. It watches the sources of every pipeline of a state
// directory (S3 object versions, branches and tags of local git repositories), applies V2 git
// triggers, polls the sources that ask for polling, serves the webhooks, and drives the runs it
// starts so that execution modes apply.
//
// Change detection is event-based: object writes append to the state database's ordered log
// (object_versions.seq), and a filesystem notification on the database files wakes the daemon;
// git ref updates wake it through notifications on each repository's refs and packed-refs. A
// slow rescan only backs these up. Several daemons may run over one state directory: a lease in
// the database names the one that watches sources, and each start is recorded under a unique
// key, so one change starts one run.
package daemon

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Defaults of Config.
const (
	DefaultPollInterval = 60 * time.Second
	DefaultRescan       = 30 * time.Second
	DefaultLeaseTTL     = 10 * time.Second
	DefaultStopGrace    = 30 * time.Second
	// DefaultMaxBodyBytes is the largest webhook body read: GitHub caps its deliveries at 25 MB
	// (a push of 2,048 commits), and a delivery it sends must not be refused.
	DefaultMaxBodyBytes = 25 << 20
	DefaultReplayWindow = 7 * 24 * time.Hour
	leaseName           = "triggers"
	debounce            = 20 * time.Millisecond // a git commit touches several files; one scan
	stopReason          = "stopped: the codepipeline serve daemon shut down"
)

// Config configures a daemon.
type Config struct {
	// Backend is the partition the daemon serves, opened through backend.Open with the
	// repositories and functions directories of the provider configurations (they must match
	// for the daemon to see the same repositories).
	Backend backend.Triggers
	// Listen is the address to serve webhooks on ("" = backend.DefaultServeAddr); Listener, when
	// set, is used instead.
	Listen   string
	Listener net.Listener
	// PollInterval times the sources with PollForSourceChanges = "true"; Rescan the safety-net
	// scan of the event-driven ones.
	PollInterval, Rescan time.Duration
	LeaseTTL             time.Duration
	// StopGrace is how long shutdown waits for stopped runs to record their end before it
	// cancels them outright.
	StopGrace time.Duration
	// MaxBodyBytes caps a webhook body (0 = DefaultMaxBodyBytes); a larger one gets 413.
	MaxBodyBytes int64
	// ReplayWindow is how long a signed webhook delivery is remembered by its content, so that
	// re-sending a captured body and signature starts nothing (0 = DefaultReplayWindow).
	// Delivery ids are remembered for ever.
	ReplayWindow time.Duration
	Logger       *slog.Logger
	// Owner names this daemon in the lease ("" = host:pid:random).
	Owner string
	// Console, when set, is served under /console/ on the same listener (internal/console).
	Console http.Handler
}

// Daemon is one running `codepipeline serve`.
type Daemon struct {
	cfg   Config
	log   *slog.Logger
	ln    net.Listener
	owner string
	// decoy is the secret a request to an unknown webhook is checked against, so that it is
	// answered exactly as a known webhook answers a bad signature (see serveWebhook).
	decoy string

	accMu    sync.Mutex
	accounts map[[2]string]backend.TriggerAccount

	// Runs this daemon drives.
	runMu      sync.Mutex
	runWG      sync.WaitGroup
	active     map[string]activeRun
	runCtx     context.Context
	cancelRuns context.CancelFunc

	// holdsLease mirrors held for the health check.
	holdsLease atomic.Bool

	// Main loop state (one goroutine).
	held          bool
	sources       []*source
	objectSeq     int64
	pipelinesMark string
	watcher       *fsnotify.Watcher
	gitDirs       map[string]bool
}

type activeRun struct {
	acct     backend.Runner
	pipeline string
}

// New checks cfg and binds the listener, so the address is known before Run.
func New(cfg Config) (*Daemon, error) {
	if cfg.Backend == nil {
		return nil, errors.New("daemon: no backend")
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Rescan <= 0 {
		cfg.Rescan = DefaultRescan
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = DefaultStopGrace
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.ReplayWindow <= 0 {
		cfg.ReplayWindow = DefaultReplayWindow
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	d := &Daemon{cfg: cfg, log: cfg.Logger, owner: cfg.Owner, accounts: map[[2]string]backend.TriggerAccount{},
		active: map[string]activeRun{}, gitDirs: map[string]bool{}, decoy: rand.Text()}
	if d.owner == "" {
		host, _ := os.Hostname()
		d.owner = fmt.Sprintf("%s:%d:%d", host, os.Getpid(), time.Now().UnixNano()%1e9)
	}
	d.ln = cfg.Listener
	if d.ln == nil {
		addr := cfg.Listen
		if addr == "" {
			addr = backend.DefaultServeAddr
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("daemon: listening on %s: %w", addr, err)
		}
		d.ln = ln
	}
	d.runCtx, d.cancelRuns = context.WithCancel(context.Background())
	return d, nil
}

// Addr is the address webhooks are served on.
func (d *Daemon) Addr() string { return d.ln.Addr().String() }

// Run serves and watches until ctx ends, then shuts down: it stops serving, stops the runs it
// drives (their running actions are abandoned and the runs end Stopped), and gives up the lease.
func (d *Daemon) Run(ctx context.Context) error {
	srv := &http.Server{
		Handler:           d.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(d.ln) }()
	stateDir, _ := d.cfg.Backend.WatchedFiles()
	d.log.Info("serving webhooks", "addr", d.Addr(), "state_dir", stateDir, "owner", d.owner)

	var err error
	if d.watcher, err = fsnotify.NewWatcher(); err != nil {
		_ = srv.Close()
		return fmt.Errorf("daemon: file notifications: %w", err)
	}
	if err := d.watcher.Add(stateDir); err != nil {
		_ = srv.Close()
		d.watcher.Close()
		return fmt.Errorf("daemon: watching %s: %w", stateDir, err)
	}
	d.loop(ctx)
	d.shutdown(srv)
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (d *Daemon) loop(ctx context.Context) {
	leaseTick := time.NewTicker(d.cfg.LeaseTTL / 3)
	pollTick := time.NewTicker(d.cfg.PollInterval)
	rescanTick := time.NewTicker(d.cfg.Rescan)
	defer leaseTick.Stop()
	defer pollTick.Stop()
	defer rescanTick.Stop()

	d.renewLease(ctx)
	var settle <-chan time.Time
	dbDirty := false
	dirtyRepos := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-d.watcher.Events:
			if !ok {
				return
			}
			if d.classify(ev, &dbDirty, dirtyRepos) && settle == nil {
				settle = time.After(debounce)
			}
		case err, ok := <-d.watcher.Errors:
			if ok {
				// An overflow loses events: rescan everything now rather than wait.
				d.log.Warn("file notifications", "err", err)
				dbDirty = true
				for dir := range d.gitDirs {
					dirtyRepos[dir] = true
				}
				settle = time.After(debounce)
			}
		case <-settle:
			settle = nil
			if d.held {
				if dbDirty {
					d.onDatabaseChange(ctx)
				}
				if len(dirtyRepos) > 0 {
					d.scan(ctx, "git ref update", func(s *source) bool { return !s.polling && s.kind == kindGit && dirtyRepos[s.gitDir] })
				}
			}
			dbDirty = false
			clear(dirtyRepos)
		case <-leaseTick.C:
			d.renewLease(ctx)
		case <-pollTick.C:
			if d.held {
				d.scan(ctx, "poll", func(s *source) bool { return s.polling })
			}
		case <-rescanTick.C:
			if d.held {
				d.reload(ctx)
				d.scan(ctx, "rescan", func(s *source) bool { return !s.polling })
			}
		}
	}
}

// classify records what an event makes dirty and reports whether it matters.
func (d *Daemon) classify(ev fsnotify.Event, dbDirty *bool, dirtyRepos map[string]bool) bool {
	if dir, files := d.cfg.Backend.WatchedFiles(); filepath.Dir(ev.Name) == dir {
		if slices.Contains(files, filepath.Base(ev.Name)) {
			*dbDirty = true
			return true
		}
		return false
	}
	if strings.HasSuffix(ev.Name, ".lock") {
		return false
	}
	for dir := range d.gitDirs {
		rel, err := filepath.Rel(dir, ev.Name)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		if rel != "packed-refs" && !strings.HasPrefix(rel, "refs"+string(filepath.Separator)) {
			return false
		}
		// A new directory under refs (a branch feature/x) needs its own watch.
		if ev.Has(fsnotify.Create) {
			if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
				d.watchTree(ev.Name)
			}
		}
		dirtyRepos[dir] = true
		return true
	}
	return false
}

// renewLease takes or renews the lease; a daemon that gets it reloads and scans everything,
// which also catches up on what changed while no daemon was watching.
func (d *Daemon) renewLease(ctx context.Context) {
	held, err := d.cfg.Backend.AcquireLease(ctx, leaseName, d.owner, d.cfg.LeaseTTL)
	if err != nil {
		d.log.Warn("renewing the lease", "err", err)
		held = false
	}
	switch {
	case held && !d.held:
		d.held = true
		d.holdsLease.Store(true)
		d.log.Info("lease acquired: watching sources and starting runs")
		d.reload(ctx)
		d.scan(ctx, "lease acquired", func(*source) bool { return true })
	case !held && d.held:
		d.held = false
		d.holdsLease.Store(false)
		d.log.Warn("lease lost: another daemon starts runs now")
	}
}

// onDatabaseChange reacts to a write to the state database: new or changed pipelines are
// reloaded, and a new object version is checked against the S3 sources.
func (d *Daemon) onDatabaseChange(ctx context.Context) {
	seq, mark, err := d.cfg.Backend.ChangeMarks(ctx)
	if err != nil {
		d.log.Warn("reading the state database", "err", err)
		return
	}
	switch {
	case mark != d.pipelinesMark:
		d.reload(ctx)
		d.scan(ctx, "pipelines changed", func(s *source) bool { return !s.polling })
	case seq != d.objectSeq:
		d.scan(ctx, "object write", func(s *source) bool { return !s.polling && s.kind == kindS3 })
	}
	d.objectSeq = seq
}

// reload reads every pipeline's sources and watches their repositories.
func (d *Daemon) reload(ctx context.Context) {
	seq, mark, err := d.cfg.Backend.ChangeMarks(ctx)
	if err != nil {
		d.log.Warn("reading the state database", "err", err)
		return
	}
	recs, err := d.cfg.Backend.AllPipelines(ctx)
	if err != nil {
		d.log.Warn("reading pipelines", "err", err)
		return
	}
	d.objectSeq, d.pipelinesMark = seq, mark
	var sources []*source
	wantDirs := map[string]bool{}
	for _, rec := range recs {
		acct := d.account(rec.AccountID, rec.Region)
		srcs, problems := sourcesOf(rec, func(name string) (string, error) { return acct.RepositoryPath(rec, name) })
		for _, p := range problems {
			d.log.Warn("source not watched", "err", p)
		}
		for _, s := range srcs {
			if s.kind == kindGit {
				wantDirs[s.gitDir] = true
			}
		}
		sources = append(sources, srcs...)
	}
	for dir := range wantDirs {
		if !d.gitDirs[dir] {
			d.watchRepo(dir)
		}
	}
	for dir := range d.gitDirs {
		if !wantDirs[dir] {
			_ = d.watcher.Remove(dir)
			delete(d.gitDirs, dir)
		}
	}
	if len(sources) != len(d.sources) {
		d.log.Info("watching sources", "sources", len(sources), "repositories", len(d.gitDirs))
	}
	d.sources = sources
}

// watchRepo watches a git directory's top level (packed-refs) and its refs tree.
func (d *Daemon) watchRepo(gitDir string) {
	if err := d.watcher.Add(gitDir); err != nil {
		d.log.Warn("cannot watch repository", "dir", gitDir, "err", err)
		return
	}
	d.gitDirs[gitDir] = true
	d.watchTree(filepath.Join(gitDir, "refs"))
}

func (d *Daemon) watchTree(root string) {
	_ = filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			if err := d.watcher.Add(path); err != nil {
				d.log.Warn("cannot watch", "dir", path, "err", err)
			}
		}
		return nil
	})
}

// scan checks the selected sources and starts a run for each change.
func (d *Daemon) scan(ctx context.Context, why string, selected func(*source) bool) {
	refsByRepo := map[string]map[string]string{}
	for _, s := range d.sources {
		if !selected(s) {
			continue
		}
		if err := d.check(ctx, s, why, refsByRepo); err != nil {
			d.log.Warn("checking source", "pipeline", s.key.Pipeline, "action", s.key.Action, "err", err)
		}
	}
}

func (d *Daemon) check(ctx context.Context, s *source, why string, refsByRepo map[string]map[string]string) error {
	var refs map[string]string
	if s.kind == kindGit {
		var ok bool
		if refs, ok = refsByRepo[s.repoPath]; !ok {
			var err error
			if refs, err = gitRefs(ctx, s.repoPath); err != nil {
				return err
			}
			refsByRepo[s.repoPath] = refs
		}
	}
	raw, err := d.cfg.Backend.TriggerCursor(ctx, s.key)
	if err != nil {
		return err
	}
	changes, next, err := d.detect(ctx, s, decodeCursor(raw), refs)
	if err != nil {
		return err
	}
	for _, ch := range changes {
		if err := d.startFor(ctx, s, ch, why); err != nil {
			// The cursor stays where it was: the change is tried again on the next wake-up.
			return err
		}
	}
	if enc := encodeCursor(next); enc != raw {
		return d.cfg.Backend.SaveTriggerCursor(ctx, s.key, enc)
	}
	return nil
}

func (d *Daemon) startFor(ctx context.Context, s *source, ch change, why string) error {
	acct := d.account(s.key.AccountID, s.key.Region)
	run, err := acct.StartTriggeredRun(ctx, backend.RunRequest{
		Pipeline: s.key.Pipeline, Trigger: s.triggerType(),
		TriggerDetail: ch.detail + " (source action " + s.key.Action + ")",
		// The run builds the revision that triggered it, not whatever is newest when its
		// source action runs (a QUEUED run may start long after a later push).
		SourceRevisions: map[string]string{s.key.Action: pinnedRevision(ch.revision)},
	}, s.key.Action, ch.revision)
	if err != nil {
		return fmt.Errorf("starting a run for %s: %w", ch.revision, err)
	}
	if run == nil {
		d.log.Debug("run already started for this revision", "pipeline", s.key.Pipeline, "revision", ch.revision)
		return nil
	}
	d.log.Info("run started", "pipeline", s.key.Pipeline, "account", s.key.AccountID, "region", s.key.Region,
		"execution", run.ID, "trigger", run.Trigger, "detail", run.TriggerDetail, "via", why)
	d.Drive(acct, run.Pipeline, run.ID)
	return nil
}

// Drive executes a run in a goroutine until it ends or shutdown stops it: the runs the daemon
// starts, and those started through the AWS endpoint the same process serves.
func (d *Daemon) Drive(acct backend.Runner, pipeline, id string) {
	d.runMu.Lock()
	d.active[id] = activeRun{acct: acct, pipeline: pipeline}
	d.runWG.Add(1)
	d.runMu.Unlock()
	go func() {
		defer d.runWG.Done()
		ended, err := acct.ExecuteRun(d.runCtx, pipeline, id)
		d.runMu.Lock()
		delete(d.active, id)
		d.runMu.Unlock()
		if err != nil {
			d.log.Warn("run not driven to its end", "pipeline", pipeline, "execution", id, "err", err)
			return
		}
		d.log.Info("run ended", "pipeline", pipeline, "execution", id, "status", ended.Status, "reason", ended.StatusReason)
	}()
}

// shutdown stops serving, stops the runs this daemon drives and gives up the lease.
func (d *Daemon) shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
	d.runMu.Lock()
	active := make(map[string]activeRun, len(d.active))
	for id, r := range d.active {
		active[id] = r
	}
	d.runMu.Unlock()
	for id, r := range active {
		if err := r.acct.StopRun(ctx, r.pipeline, id, true, stopReason); err != nil {
			d.log.Warn("stopping run", "pipeline", r.pipeline, "execution", id, "err", err)
		}
	}
	done := make(chan struct{})
	go func() { d.runWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d.cfg.StopGrace):
		d.log.Warn("runs did not stop in time; cancelling them", "grace", d.cfg.StopGrace)
		d.cancelRuns()
		<-done
	}
	d.cancelRuns()
	if d.held {
		if err := d.cfg.Backend.ReleaseLease(ctx, leaseName, d.owner); err != nil {
			d.log.Warn("releasing the lease", "err", err)
		}
	}
	if d.watcher != nil {
		d.watcher.Close()
	}
	d.accMu.Lock()
	for _, a := range d.accounts {
		a.Close()
	}
	d.accounts = map[[2]string]backend.TriggerAccount{}
	d.accMu.Unlock()
	d.log.Info("stopped", "runs_stopped", len(active))
}

// account is the daemon's view of an account and region, with its repositories directory.
func (d *Daemon) account(accountID, region string) backend.TriggerAccount {
	d.accMu.Lock()
	defer d.accMu.Unlock()
	k := [2]string{accountID, region}
	if a, ok := d.accounts[k]; ok {
		return a
	}
	a := d.cfg.Backend.Account(accountID, region)
	d.accounts[k] = a
	return a
}

// targetAction finds a webhook's target action in its pipeline.
func targetAction(p *pipeline.Pipeline, name string) *pipeline.Action {
	for i := range p.Stages {
		for j := range p.Stages[i].Actions {
			if p.Stages[i].Actions[j].Name == name {
				return &p.Stages[i].Actions[j]
			}
		}
	}
	return nil
}

// pinnedRevision is what a source action reads for a change: the object version id of
// "s3://bucket/key@version", the object id of "refs/...@id".
func pinnedRevision(revision string) string {
	return revision[strings.LastIndex(revision, "@")+1:]
}
