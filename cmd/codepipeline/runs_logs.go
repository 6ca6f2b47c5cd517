package main

import (
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
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		b, runs, err := cf.openRuns(cmd.Context())
		if err != nil {
			return err
		}
		defer b.Close()
		log, err := runs.ActionLog(cmd.Context(), args[0], args[1], args[2], args[3])
		if err != nil {
			return err
		}
		_, err = c.stdout.Write(log)
		return err
	}
	return cmd
}
