// Package console is the local cloud's web console, served by `codepipeline serve` under
// /console/: every account's pipelines, each pipeline drawn as a picture (internal/pipeline/graph),
// its runs live, approvals, stop and retry, each action's log, artifact downloads, and the
// artifact stores and keys with the rule findings that apply to them.
//
// Pages are rendered on the server (html/template) and work without script; a small script
// (static/app.js) follows a run and a log through server-sent events. Every request but the
// login hint and the static files needs the state directory's access token (once, in the
// URL, then a cookie); every change (approve, reject, stop, retry, start) is a POST with a
// CSRF token, made through internal/backend's capabilities as the account the page shows.
package console

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline/graph"
)

// Prefix is the path the console is served under.
const Prefix = "/console/"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures a console.
type Config struct {
	// Backend is the state directory's partition-wide view (as the daemon has it): the
	// console lists every account's pipelines with it, and acts in an account through
	// Backend.Account.
	Backend backend.Triggers
	// Token is the state directory's access token (LoadToken).
	Token  string
	Logger *slog.Logger
	// Coalesce is how long a change of the state database is given to settle before live
	// pages are updated (0 = DefaultCoalesce); Rescan re-reads live pages even without a
	// change notification, as a safety net (0 = DefaultRescan).
	Coalesce, Rescan time.Duration
	// StopGrace is how long Close waits for the runs the console drives (retried and started
	// from it) to record that they stopped.
	StopGrace time.Duration
}

// Defaults of Config.
const (
	DefaultCoalesce  = 40 * time.Millisecond
	DefaultRescan    = 2 * time.Second
	DefaultStopGrace = 10 * time.Second
	keepAlive        = 15 * time.Second
)

// Server is a console.
type Server struct {
	cfg     Config
	log     *slog.Logger
	tmpl    map[string]*template.Template
	static  http.Handler
	changes *notifier
	runs    *driver
	auth    auth

	accMu    sync.Mutex
	accounts map[[2]string]backend.TriggerAccount

	// ending is closed when live streams must end: the server is shutting down.
	ending    chan struct{}
	endingNow sync.Once

	handler http.Handler
}

// New makes a console and starts watching the state directory for changes.
func New(cfg Config) (*Server, error) {
	if cfg.Backend == nil {
		return nil, errors.New("console: no backend")
	}
	if len(cfg.Token) < minTokenLength {
		return nil, errors.New("console: the access token is missing or too short")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Coalesce <= 0 {
		cfg.Coalesce = DefaultCoalesce
	}
	if cfg.Rescan <= 0 {
		cfg.Rescan = DefaultRescan
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = DefaultStopGrace
	}
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, tmpl: tmpl,
		static:   http.StripPrefix(Prefix+"static/", http.FileServerFS(static)),
		auth:     newAuth(cfg.Token),
		accounts: map[[2]string]backend.TriggerAccount{},
		runs:     newDriver(cfg.Logger),
		ending:   make(chan struct{}),
	}
	dir, files := cfg.Backend.WatchedFiles()
	s.changes = newNotifier(dir, files, cfg.Coalesce, cfg.Rescan, cfg.Logger)
	s.handler = s.routes()
	return s, nil
}

// Handler serves the console's paths (all under Prefix).
func (s *Server) Handler() http.Handler { return s.handler }

// EndStreams ends the live pages' event streams, so that a server shutting down does not wait
// for them. Pages stop following; a reload starts again.
func (s *Server) EndStreams() { s.endingNow.Do(func() { close(s.ending) }) }

// Close ends the streams, stops the runs the console drives (they end Stopped), stops watching
// and closes the accounts it opened.
func (s *Server) Close() error {
	s.EndStreams()
	s.runs.shutdown(s.cfg.StopGrace)
	s.changes.close()
	s.accMu.Lock()
	defer s.accMu.Unlock()
	for k, a := range s.accounts {
		a.Close()
		delete(s.accounts, k)
	}
	return nil
}

// account is the console's view of an account and region: every read and change of its pages
// is made through it, as that account.
func (s *Server) account(accountID, region string) backend.TriggerAccount {
	s.accMu.Lock()
	defer s.accMu.Unlock()
	k := [2]string{accountID, region}
	if a, ok := s.accounts[k]; ok {
		return a
	}
	a := s.cfg.Backend.Account(accountID, region)
	s.accounts[k] = a
	return a
}

// routes maps the console's paths. Every path is behind the access check but the login hint
// and the static files (which hold no data).
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	const a = "/console/a/{account}/{region}"
	const p = a + "/p/{pipeline}"
	const r = p + "/r/{run}"
	mux.HandleFunc("GET /console/{$}", s.index)
	mux.HandleFunc("GET /console/rules", s.rulesPage)
	mux.HandleFunc("GET "+a+"/{$}", s.inAccount(s.accountPage))
	mux.HandleFunc("GET "+a+"/stores", s.inAccount(s.storesPage))
	mux.HandleFunc("GET "+p+"/{$}", s.inAccount(s.pipelinePage))
	mux.HandleFunc("GET "+p+"/graph.svg", s.inAccount(s.graphFile("svg")))
	mux.HandleFunc("GET "+p+"/graph.dot", s.inAccount(s.graphFile("dot")))
	mux.HandleFunc("POST "+p+"/start", s.inAccount(s.startRun))
	mux.HandleFunc("GET "+r+"/{$}", s.inAccount(s.runPage))
	mux.HandleFunc("GET "+r+"/events", s.inAccount(s.runEvents))
	mux.HandleFunc("GET "+r+"/log/{stage}/{action}", s.inAccount(s.logPage))
	mux.HandleFunc("GET "+r+"/log/{stage}/{action}/events", s.inAccount(s.logEvents))
	mux.HandleFunc("GET "+r+"/artifact/{stage}/{action}/{artifact}", s.inAccount(s.downloadArtifact))
	mux.HandleFunc("POST "+r+"/approval", s.inAccount(s.decideApproval))
	mux.HandleFunc("POST "+r+"/stop", s.inAccount(s.stopRun))
	mux.HandleFunc("POST "+r+"/retry", s.inAccount(s.retryStage))
	mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "There is no such page.")
	})

	open := http.NewServeMux()
	open.Handle("GET /console/static/", s.static)
	open.HandleFunc("GET /console/static/graph.css", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		_, _ = w.Write([]byte(graph.CSS)) // the picture's styles: one source, internal/pipeline/graph
	})
	open.HandleFunc("GET /console/login", s.loginHint)
	open.Handle("/console/", s.auth.require(mux, s.loginHint))
	return securityHeaders(hostCheck(open))
}

// inAccount checks the account and region of the path: well formed, and an account of the
// state directory (one with a pipeline), so that a page never opens an account nobody uses.
func (s *Server) inAccount(h func(http.ResponseWriter, *http.Request, *accountCtx)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		accountID, region := r.PathValue("account"), r.PathValue("region")
		if !backend.AccountIDPattern().MatchString(accountID) || !backend.RegionPattern().MatchString(region) {
			s.fail(w, r, http.StatusNotFound, "There is no such account or region.")
			return
		}
		known, err := s.knownAccounts(r.Context())
		if err != nil {
			s.internal(w, r, err)
			return
		}
		for _, k := range known {
			if k.AccountID == accountID && k.Region == region {
				h(w, r, &accountCtx{id: k, acct: s.account(accountID, region), known: known})
				return
			}
		}
		s.fail(w, r, http.StatusNotFound, "The state directory has no pipeline in account "+accountID+" ("+region+").")
	}
}

// accountCtx is the account a request acts as, and the accounts the switcher lists.
type accountCtx struct {
	id    accountRef
	acct  backend.TriggerAccount
	known []accountRef
}

// accountRef is an account and region of the state directory.
type accountRef struct {
	AccountID, Region string
	Pipelines         int
}

// knownAccounts lists the accounts and regions that have pipelines, in order.
func (s *Server) knownAccounts(ctx context.Context) ([]accountRef, error) {
	recs, err := s.cfg.Backend.AllPipelines(ctx)
	if err != nil {
		return nil, err
	}
	var out []accountRef
	for _, rec := range recs {
		if n := len(out); n > 0 && out[n-1].AccountID == rec.AccountID && out[n-1].Region == rec.Region {
			out[n-1].Pipelines++
			continue
		}
		out = append(out, accountRef{AccountID: rec.AccountID, Region: rec.Region, Pipelines: 1})
	}
	return out, nil
}
