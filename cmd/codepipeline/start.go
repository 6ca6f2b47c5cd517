package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

func init() { register("", newStartCmd) }

func newStartCmd(c *cli) *cobra.Command {
	var vars []string
	cmd := &cobra.Command{
		Use:     "start PIPELINE",
		Short:   "Start a pipeline run and drive it here, showing it live",
		GroupID: groupRuns,
		Long: `Starts a run of the pipeline and drives it in this process until it ends, showing its stages
as they go (Ctrl-C stops the run). Exit 0 when the run succeeded, 1 otherwise.

The run reads local git sources and Invoke handlers from the directories the pipeline was
created with (the provider's repositories_dir and functions_dir); -repositories-dir and
-functions-dir override them.`,
		Example: `  codepipeline start quickstart
  codepipeline start release -var ENV=staging -var VERSION=1.2.3`,
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.ValidArgsFunction = completeRunArgs(cf)
	cmd.Flags().StringArrayVar(&vars, "var", nil, "a pipeline variable for this run, NAME=VALUE (repeatable)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		overrides := map[string]string{}
		for _, v := range vars {
			name, value, ok := strings.Cut(v, "=")
			if !ok {
				return usagef(cmd, "-var %q is not NAME=VALUE", v)
			}
			overrides[name] = value
		}
		s, err := cf.openPipeline(cmd.Context(), args[0], openOptions{runs: true})
		if err != nil {
			return err
		}
		defer s.Close()
		run, err := s.runs.StartRun(cmd.Context(), backend.RunRequest{Pipeline: args[0], Variables: overrides, Trigger: backend.TriggerManual, TriggerDetail: "codepipeline start"})
		if err != nil {
			return err
		}
		return driveAndWatch(cmd.Context(), s.runs, run, c.stdout)
	}
	return cmd
}
