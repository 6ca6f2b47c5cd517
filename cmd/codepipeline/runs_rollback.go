package main

import (
	"github.com/spf13/cobra"
)

func init() { register("runs", newRunsRollbackCmd) }

func newRunsRollbackCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollback PIPELINE STAGE TARGET_ID",
		Short: "Run a stage again with an earlier run's artifacts (a ROLLBACK run), here, and watch it",
		Long: `Starts a new run of type ROLLBACK that runs the stage's actions again, and only them, with the
artifacts and variables of the run TARGET_ID, which must have succeeded in the stage with the
pipeline's current version; drives it in this process until it ends, and shows it. Exit 0 when
the rollback succeeds.`,
		Example: "  codepipeline runs rollback quickstart Deploy 5b0c4f7e-...",
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		s, err := cf.openPipeline(cmd.Context(), args[0], openOptions{runs: true})
		if err != nil {
			return err
		}
		defer s.Close()
		target, err := s.run(cmd.Context(), args[0], args[2])
		if err != nil {
			return err
		}
		if _, err := stageOf(target, args[1]); err != nil {
			return err
		}
		run, err := s.runs.RollbackStage(cmd.Context(), args[0], args[1], target.ID)
		if err != nil {
			return err
		}
		return driveAndWatch(cmd.Context(), s.runs, run, c.stdout)
	}
	return cmd
}
