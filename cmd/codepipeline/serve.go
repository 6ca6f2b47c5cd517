package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/daemon"
)

func init() {
	commands["serve"] = command{summary: "run the trigger daemon: source events, polling, V2 git triggers and webhooks", run: runServe}
}

const serveUsage = `Usage: codepipeline serve [flags]

Watches every pipeline of the state directory and starts runs when their sources change (new
object versions, commits, tags), polls the sources with PollForSourceChanges = "true", applies
V2 git triggers, serves the webhooks at http://LISTEN/webhooks/ACCOUNT/REGION/NAME, and drives
the runs it starts. It serves the web console at http://LISTEN/console/ too, and prints its
address with the state directory's access token (` + "`codepipeline console`" + ` opens it). Ctrl-C or
SIGTERM stops it: runs it drives are stopped (Stopped).

Flags:
`

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := os.Getenv(backend.StateDirEnv)
	if def == "" {
		def = backend.DefaultStateDir
	}
	stateDir := fs.String("state-dir", def, "the local backend's state directory (env "+backend.StateDirEnv+")")
	repositories := fs.String("repositories-dir", "", "directory of the git repositories of local sources (default: under the state directory)")
	functions := fs.String("functions-dir", "", "directory of the Invoke/Lambda handlers (default: under the state directory)")
	listen := fs.String("listen", backend.DefaultServeAddr, "address to serve webhooks on; webhook URLs name "+backend.DefaultServeAddr+", and another interface must be asked for explicitly")
	poll := fs.Duration("poll-interval", daemon.DefaultPollInterval, "how often sources with PollForSourceChanges = \"true\" are polled")
	rescan := fs.Duration("rescan", daemon.DefaultRescan, "safety-net rescan of the event-driven sources")
	grace := fs.Duration("stop-grace", daemon.DefaultStopGrace, "on shutdown, how long stopped runs get to record their end")
	jsonLogs := fs.Bool("json", false, "log JSON lines instead of key=value text")
	verbose := fs.Bool("v", false, "log debug lines too (why a change did not start a run)")
	withConsole := fs.Bool("console", true, "serve the web console under /console/ (its address, with the state directory's token, is printed)")
	fs.Usage = func() { fmt.Fprint(stderr, serveUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return exitUsage
	}
	cfg, err := backend.Resolve(backend.Settings{
		StateDir:        backend.Setting{Value: *stateDir, Set: true},
		RepositoriesDir: backend.Setting{Value: *repositories, Set: *repositories != ""},
		FunctionsDir:    backend.Setting{Value: *functions, Set: *functions != ""},
	}, os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline:", err)
		return exitUsage
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})
	if *jsonLogs {
		handler = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})
	}
	b, err := backend.Open(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline:", err)
		return exitUsage
	}
	defer b.Close()
	triggers, err := backend.TriggersOf(b)
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline:", err)
		return exitUsage
	}
	con, err := startConsole(*withConsole, cfg.StateDir, triggers, slog.New(handler))
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline:", err)
		return exitUsage
	}
	defer con.close()
	d, err := daemon.New(daemon.Config{
		Backend: triggers,
		Listen:  *listen, PollInterval: *poll, Rescan: *rescan, StopGrace: *grace, Logger: slog.New(handler),
		Console: con.handler(),
	})
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline:", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	con.announce(ctx, d.Addr(), stdout, slog.New(handler))
	start := time.Now()
	if err := d.Run(ctx); err != nil {
		fmt.Fprintln(stderr, "codepipeline:", err)
		return exitFindings
	}
	fmt.Fprintf(stdout, "codepipeline serve: stopped after %s\n", time.Since(start).Round(time.Second))
	return exitOK
}
