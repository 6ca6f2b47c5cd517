package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func init() { register("secrets", newSecretsListCmd) }

func newSecretsListCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the secrets of the account and region with their current version, without values",
		Example: "  codepipeline secrets list",
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		store, done, err := openSecrets(cmd.Context(), cf)
		if err != nil {
			return err
		}
		defer done()
		list, err := store.ListSecrets(cmd.Context())
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintln(c.stderr, "no secrets: store one with `codepipeline secrets put NAME VALUE`.")
			return nil
		}
		fmt.Fprintf(c.stdout, "%-32s  %-36s  %-12s  %s\n", "NAME", "CURRENT VERSION", "STAGES", "ARN")
		for _, s := range list {
			fmt.Fprintf(c.stdout, "%-32s  %-36s  %-12s  %s\n", s.Name, s.VersionID, strings.Join(s.Stages, ","), s.ARN)
		}
		return nil
	}
	return cmd
}
