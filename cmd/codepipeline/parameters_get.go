package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() { register("parameters", newParametersGetCmd) }

func newParametersGetCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Print a parameter's value (NAME, NAME:VERSION or its ARN; a SecureString decrypted)",
		Example: `  codepipeline parameters get /ci/region
  codepipeline parameters get /ci/region:1`,
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		store, done, err := openSecrets(cmd.Context(), cf)
		if err != nil {
			return err
		}
		defer done()
		p, err := store.GetParameter(cmd.Context(), args[0])
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, p.Value)
		return nil
	}
	return cmd
}
