package main

import (
	"github.com/spf13/cobra"
)

func init() { register("runs", newRunsShowCmd) }

func newRunsShowCmd(c *cli) *cobra.Command {
	var watch bool
	cmd := &cobra.Command{
		Use:   "show PIPELINE [ID]",
		Short: "Show a run's stages and actions in pipeline order (default: the latest run)",
		Long: `Shows a run: its status, then each stage in pipeline order with its actions, their status,
elapsed time and summary or error.

With -watch it follows the run until it ends: on a terminal the table is redrawn in place,
otherwise one line is printed per change. With -watch the exit status is the run's: 0 when it
succeeded, 1 when it failed or was stopped.`,
		Example: "  codepipeline runs show quickstart\n  codepipeline runs show quickstart -watch",
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.ValidArgsFunction = completeRunArgs(cf)
	cmd.Flags().BoolVar(&watch, "watch", false, "follow the run until it ends; exit 1 unless it succeeded")
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
		if !watch {
			printRun(c.stdout, run)
			return nil
		}
		if err := watchRun(cmd.Context(), s.runs, args[0], run.ID, c.stdout); err != nil {
			return err
		}
		if run, err = s.runs.GetRun(cmd.Context(), args[0], run.ID); err != nil {
			return err
		}
		return runOutcome(run)
	}
	return cmd
}
