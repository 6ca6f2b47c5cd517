package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/console"
)

func init() {
	commands["console"] = command{summary: "open the web console of a running `codepipeline serve` (or print its address)", run: runConsole}
}

const consoleUsage = `Usage: codepipeline console [flags]

Opens the web console that ` + "`codepipeline serve`" + ` serves for the state directory, with the
directory's access token in the address, in a browser: $BROWSER when set, else the desktop's
opener. Where there is no browser (no display, or -print), it prints the address instead.

Flags:
`

func runConsole(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := os.Getenv(backend.StateDirEnv)
	if def == "" {
		def = backend.DefaultStateDir
	}
	stateDir := fs.String("state-dir", def, "the local backend's state directory (env "+backend.StateDirEnv+")")
	printOnly := fs.Bool("print", false, "print the address, do not open a browser")
	fs.Usage = func() { fmt.Fprint(stderr, consoleUsage); fs.PrintDefaults() }
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
	dir, err := filepath.Abs(*stateDir)
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline console:", err)
		return exitUsage
	}
	addr, err := console.ReadAddress(dir)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "codepipeline console: no console is served for %s: start `codepipeline serve -state-dir %s` first\n", dir, *stateDir)
		return exitFindings
	}
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline console:", err)
		return exitFindings
	}
	if err := reachable(addr); err != nil {
		fmt.Fprintf(stderr, "codepipeline console: `codepipeline serve` said it serves %s, but %v: is it still running?\n", addr, err)
		return exitFindings
	}
	token, err := console.LoadToken(dir)
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline console:", err)
		return exitFindings
	}
	url := console.URL(addr, token)
	if *printOnly {
		fmt.Fprintln(stdout, url)
		return exitOK
	}
	if opened := openBrowser(url); opened != "" {
		fmt.Fprintf(stdout, "opened the console with %s\n", opened)
		return exitOK
	}
	fmt.Fprintf(stdout, "no browser here: open\n  %s\n", url)
	return exitOK
}

// reachable checks that a console answers at addr.
func reachable(addr string) error {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get("http://" + addr + console.Prefix + "login")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("it answers %s", resp.Status)
	}
	return nil
}

// openBrowser starts a browser on url and says which; "" when there is none to start.
func openBrowser(url string) string {
	var cmd string
	switch {
	case os.Getenv("BROWSER") != "":
		cmd = os.Getenv("BROWSER")
	case runtime.GOOS == "darwin":
		cmd = "open"
	case os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != "":
		cmd = "xdg-open"
	default:
		return ""
	}
	path, err := exec.LookPath(cmd)
	if err != nil {
		return ""
	}
	if err := exec.Command(path, url).Start(); err != nil {
		return ""
	}
	return cmd
}

// served is the console as `serve` runs it: made before the daemon, announced once the
// daemon listens, closed after it.
type served struct {
	srv           *console.Server
	token         string
	stateDir      string
	removeAddress func()
}

// startConsole makes the console of the state directory (nil when disabled).
func startConsole(enabled bool, stateDir string, triggers backend.Triggers, log *slog.Logger) (*served, error) {
	if !enabled {
		return nil, nil
	}
	token, err := console.LoadToken(stateDir)
	if err != nil {
		return nil, err
	}
	srv, err := console.New(console.Config{Backend: triggers, Token: token, Logger: log})
	if err != nil {
		return nil, err
	}
	return &served{srv: srv, token: token, stateDir: stateDir}, nil
}

func (c *served) handler() http.Handler {
	if c == nil {
		return nil
	}
	return c.srv.Handler()
}

// announce prints the console's address, token included, and records the address for
// `codepipeline console`; when ctx ends it ends the live pages' streams, so the daemon's
// shutdown does not wait for them.
func (c *served) announce(ctx context.Context, addr string, stdout io.Writer, log *slog.Logger) {
	if c == nil {
		return
	}
	remove, err := console.WriteAddress(c.stateDir, addr)
	if err != nil {
		log.Warn("console address not recorded: `codepipeline console` will not find it", "err", err)
	}
	c.removeAddress = remove
	fmt.Fprintf(stdout, "console: %s\n", console.URL(addr, c.token))
	go func() { <-ctx.Done(); c.srv.EndStreams() }()
}

func (c *served) close() {
	if c == nil {
		return
	}
	if c.removeAddress != nil {
		c.removeAddress()
	}
	_ = c.srv.Close()
}
