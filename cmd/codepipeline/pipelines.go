package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() {
	register("", newPipelinesCmd)
	register("pipelines", newPipelinesListCmd)
}

// newPipelinesCmd is the group of the commands on pipeline definitions.
func newPipelinesCmd(*cli) *cobra.Command {
	return &cobra.Command{
		Use:     "pipelines",
		Short:   "List the pipelines of the local backend",
		GroupID: groupRuns,
		Example: "  codepipeline pipelines list",
	}
}

func newPipelinesListCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the pipelines of the accounts the configuration uses (or -account's)",
		Long: `Lists the pipelines of the account and region the CLI acts as: -account and -region, else every
account terraform configured over the state directory (see codepipeline -h), else the default
account.`,
		Example: "  codepipeline pipelines list\n  codepipeline pipelines list -account 222222222222",
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		s, err := cf.open(cmd.Context(), openOptions{})
		if err != nil {
			return err
		}
		s.Close()
		rows := 0
		for i := range s.configs {
			si, err := cf.openAs(cmd.Context(), s.loc, s.configs, i, openOptions{})
			if err != nil {
				return err
			}
			recs, err := si.b.ListPipelines(cmd.Context())
			si.Close()
			if err != nil {
				return err
			}
			for _, p := range recs {
				if rows == 0 {
					fmt.Fprintf(c.stdout, "%-30s  %-12s  %-14s  %-7s  %s\n", "PIPELINE", "ACCOUNT", "REGION", "VERSION", "STAGES")
				}
				rows++
				stages := ""
				for j, st := range p.Definition.Stages {
					if j > 0 {
						stages += " → "
					}
					stages += st.Name
				}
				fmt.Fprintf(c.stdout, "%-30s  %-12s  %-14s  %-7d  %s\n", p.Name, p.AccountID, p.Region, p.Version, stages)
			}
		}
		if rows == 0 {
			fmt.Fprintf(c.stderr, "no pipeline in %s: terraform apply creates them.\n", s.where())
		}
		return nil
	}
	return cmd
}
