package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/endpoint"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/daemon"
)

// The AWS endpoint `codepipeline serve` runs beside the webhook listener: the local cloud over
// the AWS wire (internal/awsapi/endpoint), for the AWS CLI, the SDKs and the AWS provider.

// DefaultAWSListen is where the AWS endpoint listens unless told otherwise (LocalStack's port,
// which tools already expect).
const DefaultAWSListen = "127.0.0.1:4566"

// endpointAnnouncementTTL is how long the AWS endpoint's announcement to actions outlives the
// last renewal: a serve that died stops handing out its URL after this long.
const endpointAnnouncementTTL = 30 * time.Second

// awsFlags are serve's flags for the AWS endpoint.
type awsFlags struct {
	listen, auth *string
	tls          *bool
}

func addAWSFlags(fs *pflag.FlagSet) awsFlags {
	return awsFlags{
		listen: fs.String("aws-listen", DefaultAWSListen, "`ADDR` of the AWS endpoint (STS, S3, KMS, IAM, CodePipeline, SSM, Secrets Manager); empty disables it"),
		auth:   fs.String("auth", "sigv4", "authentication of the AWS endpoint: sigv4 (the keys of codepipeline credentials), or none (every request acts as the root of account "+backend.DefaultAccountID+")"),
		tls:    fs.Bool("aws-tls", false, "serve the AWS endpoint over HTTPS with a certificate of a CA generated in the state directory (aws-tls/ca.pem: set AWS_CA_BUNDLE to it)"),
	}
}

// startAWSEndpoint serves the AWS endpoint until ctx ends; runs started through it are driven
// by d. It returns a function that waits for it to stop, or nil when it is disabled.
func startAWSEndpoint(ctx context.Context, f awsFlags, cfg backend.Config, b backend.Backend, d *daemon.Daemon, log *slog.Logger, stdout io.Writer) (func(), error) {
	if *f.listen == "" {
		return nil, nil
	}
	if *f.auth != "sigv4" && *f.auth != "none" {
		return nil, fmt.Errorf("-auth %q: sigv4 or none", *f.auth)
	}
	c, err := backend.CloudOf(b)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", *f.listen)
	if err != nil {
		return nil, fmt.Errorf("the AWS endpoint: listening on %s: %w (-aws-listen \"\" disables it)", *f.listen, err)
	}
	ep := endpoint.New(endpoint.Config{
		Cloud: c, AuthNone: *f.auth == "none", DefaultAccount: cfg.AccountID, DefaultRegion: cfg.Region, Drive: d.Drive,
		Logf: func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) },
	})
	srv := &http.Server{Handler: ep, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	scheme, ca := "http", ""
	if *f.tls {
		if srv.TLSConfig, ca, err = endpoint.TLSConfig(filepath.Join(cfg.StateDir, "aws-tls")); err != nil {
			ln.Close()
			return nil, err
		}
		scheme = "https"
	}
	served := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			served <- srv.ServeTLS(ln, "", "")
		} else {
			served <- srv.Serve(ln)
		}
	}()
	url := scheme + "://" + ln.Addr().String()
	log.Info("serving the AWS APIs", "endpoint", url, "auth", *f.auth, "ca", ca)
	fmt.Fprintf(stdout, "codepipeline serve: AWS endpoint %s (eval \"$(codepipeline credentials)\"; aws --endpoint-url %s …)\n", url, url)
	if ca != "" {
		fmt.Fprintf(stdout, "codepipeline serve: its CA: export AWS_CA_BUNDLE=%s\n", ca)
	}
	// Announced while it serves, so that actions run by any process act as their role here.
	announced := backend.EndpointAnnouncement{URL: url, CABundle: ca}
	if err := c.AnnounceEndpoint(ctx, announced, endpointAnnouncementTTL); err != nil {
		log.Warn("announcing the AWS endpoint to actions", "err", err)
	}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(endpointAnnouncementTTL / 3)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := c.AnnounceEndpoint(ctx, announced, endpointAnnouncementTTL); err != nil && ctx.Err() == nil {
					log.Warn("announcing the AWS endpoint to actions", "err", err)
				}
			}
		}
	}()
	go func() {
		defer close(done)
		<-ctx.Done()
		if err := c.AnnounceEndpoint(context.Background(), announced, 0); err != nil {
			log.Warn("withdrawing the AWS endpoint's announcement", "err", err)
		}
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
		}
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("the AWS endpoint stopped", "err", err)
		}
		ep.Close()
	}()
	return func() { <-done }, nil
}
