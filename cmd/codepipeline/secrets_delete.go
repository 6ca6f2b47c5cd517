package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() { register("secrets", newSecretsDeleteCmd) }

func newSecretsDeleteCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "delete ID",
		Short:   "Delete a secret and all its versions at once (no recovery window)",
		Example: "  codepipeline secrets delete prod/db",
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		store, done, err := openSecrets(cmd.Context(), cf)
		if err != nil {
			return err
		}
		defer done()
		if err := store.DeleteSecret(cmd.Context(), args[0]); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "deleted secret %s\n", args[0])
		return nil
	}
	return cmd
}
