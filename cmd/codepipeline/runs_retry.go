package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

func init() { register("runs", newRunsRetryCmd) }

func newRunsRetryCmd(c *cli) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "retry PIPELINE ID STAGE",
		Short: "Run a failed stage of a run again, here, and watch it",
		Long: `Runs the failed actions of a failed stage again (-all: all of its actions), drives the run in
this process until it ends, and shows it. Exit 0 when the run then succeeds.`,
		Example: "  codepipeline runs retry quickstart 5b0c4f7e-... Test",
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.ValidArgsFunction = completeRunArgs(cf)
	cmd.Flags().BoolVar(&all, "all", false, "run all of the stage's actions again, not only the failed ones")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		s, err := cf.openPipeline(cmd.Context(), args[0], openOptions{runs: true})
		if err != nil {
			return err
		}
		defer s.Close()
		run, err := s.run(cmd.Context(), args[0], args[1])
		if err != nil {
			return err
		}
		st, err := stageOf(run, args[2])
		if err != nil {
			return err
		}
		if st.Status != backend.StatusFailed {
			return fmt.Errorf("stage %q of run %s did not fail (it is %s): only a failed stage runs again; `codepipeline start %s` starts a new run",
				st.Name, run.ID, statusBadge(st.Status), run.Pipeline)
		}
		if run, err = s.runs.RetryStage(cmd.Context(), args[0], run.ID, args[2], all); err != nil {
			return err
		}
		return driveAndWatch(cmd.Context(), s.runs, run, c.stdout)
	}
	return cmd
}
