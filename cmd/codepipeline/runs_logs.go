package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() { register("runs", newRunsLogsCmd) }

func newRunsLogsCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "logs PIPELINE ID STAGE ACTION",
		Short:   "Print what an action of a run printed",
		Example: "  codepipeline runs logs quickstart 5b0c4f7e-... Test Html",
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.ValidArgsFunction = completeRunArgs(cf)
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
		act, err := actionOf(run, args[2], args[3])
		if err != nil {
			return err
		}
		if act.Status == "" {
			return fmt.Errorf("action %q of stage %q has not run in run %s (the run is %s)", args[3], args[2], run.ID, run.Status)
		}
		log, err := s.runs.ActionLog(cmd.Context(), args[0], run.ID, args[2], args[3])
		if err != nil {
			return err
		}
		if len(log) == 0 {
			fmt.Fprintf(c.stderr, "action %s/%s printed nothing (%s).\n", args[2], args[3], act.Status)
		}
		_, err = c.stdout.Write(log)
		return err
	}
	return cmd
}
