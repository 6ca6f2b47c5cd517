package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

func init() { register("runs", newRunsStopCmd) }

func newRunsStopCmd(c *cli) *cobra.Command {
	var abandon bool
	var reason string
	cmd := &cobra.Command{
		Use:   "stop PIPELINE [ID]",
		Short: "Stop a run: let its running actions finish, or -abandon them",
		Example: `  codepipeline runs stop quickstart
  codepipeline runs stop quickstart 5b0c4f7e-... -abandon -reason "wrong branch"`,
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.ValidArgsFunction = completeRunArgs(cf)
	cmd.Flags().BoolVar(&abandon, "abandon", false, "stop running actions at once instead of letting them finish")
	cmd.Flags().StringVar(&reason, "reason", "", "why, recorded with the run")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		s, err := cf.openPipeline(cmd.Context(), args[0], openOptions{runs: true})
		if err != nil {
			return err
		}
		defer s.Close()
		id := ""
		if len(args) > 1 {
			id = args[1]
		}
		run, err := s.run(cmd.Context(), args[0], id)
		if err != nil {
			return err
		}
		if backend.RunEnded(run.Status) {
			return fmt.Errorf("run %s of %q already ended (%s): there is nothing to stop", run.ID, run.Pipeline, run.Status)
		}
		if err := s.runs.StopRun(cmd.Context(), args[0], run.ID, abandon, reason); err != nil {
			return err
		}
		how := "running actions finish first"
		if abandon {
			how = "running actions are abandoned"
		}
		fmt.Fprintf(c.stdout, "stop requested (%s)\n", how)
		return nil
	}
	return cmd
}
