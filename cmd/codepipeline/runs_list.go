package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() { register("runs", newRunsListCmd) }

func newRunsListCmd(c *cli) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:     "list PIPELINE",
		Short:   "List a pipeline's runs, newest first",
		Example: "  codepipeline runs list quickstart\n  codepipeline runs list quickstart -n 5",
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.ValidArgsFunction = completeRunArgs(cf)
	cmd.Flags().IntVarP(&limit, "limit", "n", 20, "how many runs")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		s, err := cf.openPipeline(cmd.Context(), args[0], openOptions{runs: true})
		if err != nil {
			return err
		}
		defer s.Close()
		list, err := s.runs.ListRuns(cmd.Context(), args[0], limit)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintf(c.stderr, "pipeline %q has no run yet: start one with `codepipeline start %s`, or apply a codepipeline_run.\n", args[0], args[0])
			return nil
		}
		w := c.stdout
		fmt.Fprintf(w, "%-36s  %-10s  %-20s  %-9s  %s\n", "EXECUTION", "STATUS", "STARTED", "DURATION", "TRIGGER")
		for _, r := range list {
			fmt.Fprintf(w, "%-36s  %-10s  %-20s  %-9s  %s\n", r.ID, r.Status, r.Started.Local().Format("2006-01-02 15:04:05"), duration(r.Started, r.Ended), r.Trigger)
		}
		return nil
	}
	return cmd
}
