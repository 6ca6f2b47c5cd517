package main

import (
	"github.com/spf13/cobra"
)

func init() { register("runs", newRunsOverrideCmd) }

func newRunsOverrideCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "override-condition PIPELINE ID STAGE CONDITION",
		Short: "Let a run past a stage condition that is being evaluated (a deployment window not open yet)",
		Long: `Ends the stage's before-entry or on-success condition (CONDITION: before-entry or on-success)
as Overridden while the run's driver evaluates it, and the run goes on. A condition that already
failed cannot be overridden: retry the stage instead.`,
		Example: "  codepipeline runs override-condition quickstart 5b0c4f7e-... Deploy before-entry",
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		t, err := conditionTypeArg(args[3])
		if err != nil {
			return usagef(cmd, "%v", err)
		}
		s, err := cf.openPipeline(cmd.Context(), args[0], openOptions{runs: true})
		if err != nil {
			return err
		}
		defer s.Close()
		run, err := s.run(cmd.Context(), args[0], args[1])
		if err != nil {
			return err
		}
		if _, err := stageOf(run, args[2]); err != nil {
			return err
		}
		return overrideCondition(cmd.Context(), s.runs, args[0], run.ID, args[2], t, c.stdout)
	}
	return cmd
}
