package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() { register("parameters", newParametersDeleteCmd) }

func newParametersDeleteCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a parameter and all its versions",
		Example: "  codepipeline parameters delete /ci/region",
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		store, done, err := openSecrets(cmd.Context(), cf)
		if err != nil {
			return err
		}
		defer done()
		if err := store.DeleteParameter(cmd.Context(), args[0]); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "deleted parameter %s\n", args[0])
		return nil
	}
	return cmd
}
