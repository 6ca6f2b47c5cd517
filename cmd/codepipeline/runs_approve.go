package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() {
	register("runs", func(c *cli) *cobra.Command { return newRunsDecideCmd(c, true) })
	register("runs", func(c *cli) *cobra.Command { return newRunsDecideCmd(c, false) })
}

// newRunsDecideCmd is `runs approve` or `runs reject`: the decision on a waiting manual approval.
func newRunsDecideCmd(c *cli, approve bool) *cobra.Command {
	verb, done, short := "approve", "approved", "Approve a manual approval action that is waiting"
	if !approve {
		verb, done, short = "reject", "rejected", "Reject a manual approval action that is waiting (the run fails)"
	}
	var summary string
	cmd := &cobra.Command{
		Use:     verb + " PIPELINE ID STAGE ACTION",
		Short:   short,
		Example: fmt.Sprintf("  codepipeline runs %s release 5b0c4f7e-... Approve Manual -summary \"checked the staging site\"", verb),
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.ValidArgsFunction = completeRunArgs(cf)
	cmd.Flags().StringVar(&summary, "summary", "", "a comment recorded with the decision")
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
		if _, err := actionOf(run, args[2], args[3]); err != nil {
			return err
		}
		if err := s.runs.PutApprovalResult(cmd.Context(), args[0], args[1], args[2], args[3], approve, summary); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s %s/%s of run %s\n", done, args[2], args[3], args[1])
		return nil
	}
	return cmd
}
