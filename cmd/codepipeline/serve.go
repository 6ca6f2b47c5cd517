package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/daemon"
)

func init() { register("", newServeCmd) }

func newServeCmd(c *cli) *cobra.Command {
	var (
		listen            string
		poll, rescan      time.Duration
		grace             time.Duration
		maxBody           int64
		jsonLogs, verbose bool
		withConsole       bool
	)
	cmd := &cobra.Command{
		Use:     "serve",
		Short:   "Run the trigger daemon: source events, polling, V2 git triggers and webhooks",
		GroupID: groupCloud,
		Long: `Watches every pipeline of the state directory and starts runs when their sources change (new
object versions, commits, tags), polls the sources with PollForSourceChanges = "true", applies
V2 git triggers, serves the webhooks at http://LISTEN/webhooks/ACCOUNT/REGION/NAME, serves the
AWS APIs (STS, S3, KMS, IAM, CodePipeline, SSM, Secrets Manager) at http://AWS-LISTEN for the AWS CLI, the SDKs and
the AWS provider (keys: codepipeline credentials), and drives the runs it and they start. It
serves the web console at http://LISTEN/console/ too, and prints its address with the state
directory's access token (codepipeline console opens it). Ctrl-C or SIGTERM stops it: runs it
drives are stopped (Stopped).

Several serve processes may share a state directory (a lease makes one of them act on each
change), each on its own -listen address.`,
		Example: `  codepipeline serve
  codepipeline serve -state-dir .codepipeline -repositories-dir repos -listen 127.0.0.1:8348`,
	}
	cf := c.addCloudFlags(cmd, false)
	fs := cmd.Flags()
	fs.StringVar(&listen, "listen", backend.DefaultServeAddr, "address to serve webhooks on; webhook URLs name "+backend.DefaultServeAddr+", and another interface must be asked for explicitly")
	fs.DurationVar(&poll, "poll-interval", daemon.DefaultPollInterval, "how often sources with PollForSourceChanges = \"true\" are polled")
	fs.DurationVar(&rescan, "rescan", daemon.DefaultRescan, "safety-net rescan of the event-driven sources")
	fs.DurationVar(&grace, "stop-grace", daemon.DefaultStopGrace, "on shutdown, how long stopped runs get to record their end")
	fs.Int64Var(&maxBody, "webhook-max-body", daemon.DefaultMaxBodyBytes, "largest webhook body accepted, in bytes (GitHub sends up to 25 MB); a larger one gets 413")
	fs.BoolVar(&jsonLogs, "json", false, "log JSON lines instead of key=value text")
	fs.BoolVarP(&verbose, "verbose", "v", false, "log debug lines too (why a change did not start a run)")
	fs.BoolVar(&withConsole, "console", true, "serve the web console under /console/ (its address, with the state directory's token, is printed)")
	awsf := addAWSFlags(fs)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if maxBody <= 0 {
			return fmt.Errorf("-webhook-max-body %d: the largest webhook body must be a positive number of bytes (default %d, GitHub's 25 MB)", maxBody, daemon.DefaultMaxBodyBytes)
		}
		level := slog.LevelInfo
		if verbose {
			level = slog.LevelDebug
		}
		var handler slog.Handler = slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level})
		if jsonLogs {
			handler = slog.NewJSONHandler(c.stderr, &slog.HandlerOptions{Level: level})
		}
		s, err := cf.open(cmd.Context(), openOptions{create: true})
		if err != nil {
			return err
		}
		defer s.Close()
		triggers, err := backend.TriggersOf(s.b)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", listen)
		if errors.Is(err, syscall.EADDRINUSE) {
			return addressTaken(cmd.Context(), listen, s.cfg.StateDir)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "codepipeline serve: state directory %s (%s); webhooks on http://%s\n", s.loc.dir, s.loc.how, ln.Addr())
		con, err := startConsole(withConsole, s.cfg.StateDir, triggers, slog.New(handler))
		if err != nil {
			ln.Close()
			return err
		}
		defer con.close()
		d, err := daemon.New(daemon.Config{
			Backend: triggers, Listener: ln,
			PollInterval: poll, Rescan: rescan, StopGrace: grace, MaxBodyBytes: maxBody, Logger: slog.New(handler),
			Console: con.handler(),
		})
		if err != nil {
			ln.Close()
			return err
		}
		ctx, cancel := context.WithCancel(cmd.Context())
		defer cancel()
		con.announce(ctx, d.Addr(), c.stdout, slog.New(handler))
		awsDone, err := startAWSEndpoint(ctx, awsf, s.cfg, s.b, d, slog.New(handler), c.stderr)
		if err != nil {
			return err
		}
		if awsDone != nil {
			defer func() { cancel(); awsDone() }()
		}
		start := time.Now()
		if err := d.Run(ctx); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "codepipeline serve: stopped after %s\n", time.Since(start).Round(time.Second))
		return nil
	}
	return cmd
}
