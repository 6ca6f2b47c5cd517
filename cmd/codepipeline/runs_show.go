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
	cmd.Flags().BoolVar(&watch, "watch", false, "follow the run until it ends; exit 1 unless it succeeded")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		b, runs, err := cf.openRuns(cmd.Context())
		if err != nil {
			return err
		}
		defer b.Close()
		id := ""
		if len(args) > 1 {
			id = args[1]
		}
		if watch {
			if err := watchRun(cmd.Context(), runs, args[0], id, c.stdout); err != nil {
				return err
			}
			run, err := runs.GetRun(cmd.Context(), args[0], id)
			if err != nil {
				return err
			}
			return runOutcome(run)
		}
		run, err := runs.GetRun(cmd.Context(), args[0], id)
		if err != nil {
			return err
		}
		printRun(c.stdout, run)
		return nil
	}
	return cmd
}
