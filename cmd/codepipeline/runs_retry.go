package main

import (
	"github.com/spf13/cobra"
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
	cmd.Flags().BoolVar(&all, "all", false, "run all of the stage's actions again, not only the failed ones")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		b, runs, err := cf.openRuns(cmd.Context())
		if err != nil {
			return err
		}
		defer b.Close()
		run, err := runs.RetryStage(cmd.Context(), args[0], args[1], args[2], all)
		if err != nil {
			return err
		}
		return driveAndWatch(cmd.Context(), runs, run, c.stdout)
	}
	return cmd
}
