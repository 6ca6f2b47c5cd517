package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// cloudFlags locate the local cloud and the account acting on it: the flags of every command
// that opens a backend.
type cloudFlags struct {
	c                                  *cli
	stateDir, account, region          string
	repositoriesDir, functionsDir      string
	withAccount                        bool
	stateDirSet, accountSet, regionSet bool
}

// addCloudFlags adds the flags to cmd; withAccount adds -account and -region too (serve acts
// for every account of the state directory, and has neither).
func (c *cli) addCloudFlags(cmd *cobra.Command, withAccount bool) *cloudFlags {
	f := &cloudFlags{c: c, withAccount: withAccount}
	fs := cmd.Flags()
	fs.StringVar(&f.stateDir, "state-dir", "", "the local backend's state `DIR` (default: found as codepipeline -h says)")
	if withAccount {
		fs.StringVar(&f.account, "account", "", "the `ACCOUNT` to act as (default: the configuration's, else "+backend.DefaultAccountID+")")
		fs.StringVar(&f.region, "region", "", "the `REGION` to act in (default: the configuration's, else "+backend.DefaultRegion+")")
	}
	fs.StringVar(&f.repositoriesDir, "repositories-dir", "", "`DIR` of the git repositories of local sources (default: the pipeline's, else under the state directory)")
	fs.StringVar(&f.functionsDir, "functions-dir", "", "`DIR` of the Invoke/Lambda handlers (default: the pipeline's, else under the state directory)")
	_ = cmd.RegisterFlagCompletionFunc("state-dir", cobra.FixedCompletions(nil, cobra.ShellCompDirectiveFilterDirs))
	_ = cmd.RegisterFlagCompletionFunc("repositories-dir", cobra.FixedCompletions(nil, cobra.ShellCompDirectiveFilterDirs))
	_ = cmd.RegisterFlagCompletionFunc("functions-dir", cobra.FixedCompletions(nil, cobra.ShellCompDirectiveFilterDirs))
	return f
}

// config resolves the flags and the environment into a backend configuration.
func (f *cloudFlags) config() (backend.Config, error) {
	return backend.Resolve(backend.Settings{
		StateDir:        backend.Setting{Value: f.stateDir, Set: f.stateDir != ""},
		AccountID:       backend.Setting{Value: f.account, Set: f.account != ""},
		Region:          backend.Setting{Value: f.region, Set: f.region != ""},
		RepositoriesDir: backend.Setting{Value: f.repositoriesDir, Set: f.repositoriesDir != ""},
		FunctionsDir:    backend.Setting{Value: f.functionsDir, Set: f.functionsDir != ""},
	}, f.c.getenv)
}

// open opens the backend as the flags' account.
func (f *cloudFlags) open(ctx context.Context) (backend.Backend, error) {
	cfg, err := f.config()
	if err != nil {
		return nil, err
	}
	return backend.Open(ctx, cfg)
}

// openRuns opens the backend and its runs capability; close closes the backend.
func (f *cloudFlags) openRuns(ctx context.Context) (backend.Backend, backend.Runner, error) {
	b, err := f.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	runs, err := backend.RunsOf(b)
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	return b, runs, nil
}
