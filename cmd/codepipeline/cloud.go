package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// cloudFlags locate the local cloud and the account acting on it: the flags of every command
// that opens a backend.
type cloudFlags struct {
	c                             *cli
	stateDir, account, region     string
	repositoriesDir, functionsDir string
}

// addCloudFlags adds the flags to cmd; withAccount adds -account and -region too (serve acts
// for every account of the state directory, and has neither).
func (c *cli) addCloudFlags(cmd *cobra.Command, withAccount bool) *cloudFlags {
	f := &cloudFlags{c: c}
	fs := cmd.Flags()
	fs.StringVar(&f.stateDir, "state-dir", "", "the local backend's state `DIR` (default: found as codepipeline -h says)")
	if withAccount {
		fs.StringVar(&f.account, "account", "", "the `ACCOUNT` to act as (default: the configuration's, else "+backend.DefaultAccountID+")")
		fs.StringVar(&f.region, "region", "", "the `REGION` to act in (default: the configuration's, else "+backend.DefaultRegion+")")
	}
	fs.StringVar(&f.repositoriesDir, "repositories-dir", "", "`DIR` of the git repositories of local sources (default: the pipeline's, else under the state directory)")
	fs.StringVar(&f.functionsDir, "functions-dir", "", "`DIR` of the Invoke/Lambda handlers (default: the pipeline's, else under the state directory)")
	for _, name := range []string{"state-dir", "repositories-dir", "functions-dir"} {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(nil, cobra.ShellCompDirectiveFilterDirs))
	}
	return f
}

// location is the state directory a command acts on, and how it was found.
type location struct {
	dir string
	// how says where dir came from, for messages: "-state-dir", "CODEPIPELINE_STATE_DIR", the
	// working directory's record, or the default.
	how string
	// configured are the configurations terraform recorded for dir, when the record was used:
	// the accounts and regions to look in when none is given.
	configured []backend.WorkdirConfigured
	// looked lists what discovery tried before settling on the default, for a message when
	// the default does not exist either.
	looked string
}

// locate finds the state directory, in the order the provider's own resolution and the
// working directory suggest: -state-dir, CODEPIPELINE_STATE_DIR, the record terraform left in
// the nearest .terraform/ at or above the current directory, ./.codepipeline.
func (f *cloudFlags) locate() (location, error) {
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return filepath.Clean(p)
		}
		return filepath.Join(f.c.workdir, p)
	}
	if f.stateDir != "" {
		return location{dir: abs(f.stateDir), how: "-state-dir"}, nil
	}
	if env := f.c.getenv(backend.StateDirEnv); env != "" {
		return location{dir: abs(env), how: backend.StateDirEnv}, nil
	}
	rec, path, err := backend.FindWorkdirRecord(f.c.workdir, f.c.getenv)
	switch {
	case err == nil:
		var local []backend.WorkdirConfigured
		for _, cfg := range rec.Configurations {
			if cfg.Kind == backend.KindLocal && cfg.StateDir != "" {
				local = append(local, cfg)
			}
		}
		if len(local) > 0 {
			// Several provider blocks over several state directories: the first block's, and
			// the accounts configured over that one.
			loc := location{dir: local[0].StateDir, how: "recorded by terraform in " + path}
			for _, cfg := range local {
				if cfg.StateDir == loc.dir {
					loc.configured = append(loc.configured, cfg)
				}
			}
			return loc, nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return location{}, err
	}
	return location{
		dir: abs(backend.DefaultStateDir), how: "the default",
		looked: fmt.Sprintf("no -state-dir, no %s, and no %s/%s in %s or above", backend.StateDirEnv, backend.DefaultDataDir, backend.WorkdirRecordFile, f.c.workdir),
	}, nil
}

// configs are the configurations to try, in order: the flags' account and region when given,
// else those terraform configured over the state directory, else the defaults.
func (f *cloudFlags) configs(loc location) ([]backend.Config, error) {
	var out []backend.Config
	add := func(account, region, repos, functions string) error {
		if f.account != "" {
			account = f.account
		}
		if f.region != "" {
			region = f.region
		}
		if f.repositoriesDir != "" {
			repos = f.repositoriesDir
		}
		if f.functionsDir != "" {
			functions = f.functionsDir
		}
		cfg, err := backend.Resolve(backend.Settings{
			StateDir:        backend.Setting{Value: loc.dir, Set: true},
			AccountID:       backend.Setting{Value: account, Set: account != ""},
			Region:          backend.Setting{Value: region, Set: region != ""},
			RepositoriesDir: backend.Setting{Value: repos, Set: repos != ""},
			FunctionsDir:    backend.Setting{Value: functions, Set: functions != ""},
		}, f.c.getenv)
		if err != nil {
			return err
		}
		for _, seen := range out {
			if seen.AccountID == cfg.AccountID && seen.Region == cfg.Region {
				return nil
			}
		}
		out = append(out, cfg)
		return nil
	}
	for _, rec := range loc.configured {
		if err := add(rec.AccountID, rec.Region, rec.RepositoriesDir, rec.FunctionsDir); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		if err := add("", "", "", ""); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// session is an open backend and where it was found.
type session struct {
	loc     location
	cfg     backend.Config
	b       backend.Backend
	runs    backend.Runner // nil unless asked for
	configs []backend.Config
}

func (s *session) Close() error { return s.b.Close() }

// openOptions say how a command opens the backend.
type openOptions struct {
	create bool // serve: the state directory may be created; every other command only reads what exists
	runs   bool // the command needs the runs capability
}

// open finds the state directory and opens it as the first configuration (see configs).
func (f *cloudFlags) open(ctx context.Context, o openOptions) (*session, error) {
	loc, err := f.locate()
	if err != nil {
		return nil, err
	}
	configs, err := f.configs(loc)
	if err != nil {
		return nil, err
	}
	return f.openAs(ctx, loc, configs, 0, o)
}

func (f *cloudFlags) openAs(ctx context.Context, loc location, configs []backend.Config, i int, o openOptions) (*session, error) {
	var opts []backend.OpenOption
	if !o.create {
		opts = append(opts, backend.ExistingOnly())
	}
	b, err := backend.Open(ctx, configs[i], opts...)
	var none *backend.NoStateError
	if errors.As(err, &none) {
		return nil, noStateError(loc)
	}
	if err != nil {
		return nil, err
	}
	for _, w := range backend.Warnings(b) {
		fmt.Fprintln(f.c.stderr, "codepipeline: warning:", w)
	}
	s := &session{loc: loc, cfg: configs[i], b: b, configs: configs}
	if o.runs {
		if s.runs, err = backend.RunsOf(b); err != nil {
			b.Close()
			return nil, err
		}
	}
	return s, nil
}

// noStateError says that there is no state where the command looked, where it looked, and how
// to point it at the right place.
func noStateError(loc location) error {
	msg := fmt.Sprintf("no state directory at %s (%s", loc.dir, loc.how)
	if loc.looked != "" {
		msg += ": " + loc.looked
	}
	msg += ").\n\nRun this from the directory where you ran terraform apply (the CLI finds the state directory\n" +
		"that configuration used), or name it: -state-dir DIR, or " + backend.StateDirEnv + "=DIR. The\n" +
		"provider's state_dir is relative to the directory terraform ran in."
	return errors.New(msg)
}
