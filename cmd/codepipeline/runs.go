package main

import "github.com/spf13/cobra"

func init() { register("", newRunsCmd) }

// newRunsCmd is the group of the commands on a pipeline's runs; each subcommand is a file
// runs_*.go registering itself under "runs".
func newRunsCmd(*cli) *cobra.Command {
	return &cobra.Command{
		Use:     "runs",
		Short:   "List, show, watch, approve, reject, stop, retry and roll back pipeline runs",
		GroupID: groupRuns,
		Long: `The runs of a pipeline on the local backend: list them, show one (live with -watch), read
what an action printed, decide a manual approval, stop a run, retry a failed stage, roll a stage
back to an earlier run's artifacts, let a run past a stage condition being evaluated.

A run is named by its pipeline and its execution id; commands that take an optional ID use the
pipeline's latest run without one.`,
		Example: `  codepipeline runs list quickstart
  codepipeline runs show quickstart -watch
  codepipeline runs logs quickstart 5b0c4f7e-... Build Build`,
	}
}
