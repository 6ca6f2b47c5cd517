package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() { register("parameters", newParametersListCmd) }

func newParametersListCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the parameters of the account and region, without their values",
		Example: "  codepipeline parameters list\n  codepipeline parameters list -account 222222222222",
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		store, done, err := openSecrets(cmd.Context(), cf)
		if err != nil {
			return err
		}
		defer done()
		list, err := store.ListParameters(cmd.Context())
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintln(c.stderr, "no parameters: store one with `codepipeline parameters put NAME VALUE`.")
			return nil
		}
		fmt.Fprintf(c.stdout, "%-40s  %-12s  %-7s  %s\n", "NAME", "TYPE", "VERSION", "MODIFIED")
		for _, p := range list {
			fmt.Fprintf(c.stdout, "%-40s  %-12s  %-7d  %s\n", p.Name, p.Type, p.Version, p.LastModified.Local().Format("2006-01-02 15:04:05"))
		}
		return nil
	}
	return cmd
}
