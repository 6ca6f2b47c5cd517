package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/console"
)

func init() { register("", newConsoleCmd) }

func newConsoleCmd(c *cli) *cobra.Command {
	var printOnly bool
	cmd := &cobra.Command{
		Use:     "console",
		Short:   "Open the web console of a running codepipeline serve (or print its address)",
		GroupID: groupCloud,
		Long: `Opens the web console that codepipeline serve serves for the state directory, with the
directory's access token in the address, in a browser: $BROWSER when set, else the desktop's
opener. Where there is no browser (no display, or -print), it prints the address instead.`,
		Example: "  codepipeline console\n  codepipeline console -print -state-dir .codepipeline",
	}
	cf := &cloudFlags{c: c}
	cmd.Flags().StringVar(&cf.stateDir, "state-dir", "", "the local backend's state `DIR` (default: found as codepipeline -h says)")
	_ = cmd.RegisterFlagCompletionFunc("state-dir", cobra.FixedCompletions(nil, cobra.ShellCompDirectiveFilterDirs))
	cmd.Flags().BoolVar(&printOnly, "print", false, "print the address, do not open a browser")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		loc, err := cf.locate()
		if err != nil {
			return err
		}
		addr, err := console.ReadAddress(loc.dir)
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no console is served for %s (%s): start `codepipeline serve -state-dir %s` first", loc.dir, loc.how, loc.dir)
		}
		if err != nil {
			return err
		}
		if err := reachable(addr); err != nil {
			return fmt.Errorf("`codepipeline serve` said it serves %s, but %w: is it still running?", addr, err)
		}
		token, err := console.LoadToken(loc.dir)
		if err != nil {
			return err
		}
		url := console.URL(addr, token)
		if printOnly {
			fmt.Fprintln(c.stdout, url)
			return nil
		}
		if opened := openBrowser(url); opened != "" {
			fmt.Fprintf(c.stdout, "opened the console with %s\n", opened)
			return nil
		}
		fmt.Fprintf(c.stdout, "no browser here: open\n  %s\n", url)
		return nil
	}
	return cmd
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
