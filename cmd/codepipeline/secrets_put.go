package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func init() { register("secrets", newSecretsPutCmd) }

func newSecretsPutCmd(c *cli) *cobra.Command {
	var stages []string
	cmd := &cobra.Command{
		Use:   "put NAME [VALUE]",
		Short: "Store a secret's new version, creating the secret (the value from standard input without VALUE)",
		Example: `  codepipeline secrets put ci/dockerhub '{"user":"octo","token":"…"}'
  codepipeline secrets put ci/dockerhub -stage AWSPENDING < next.json`,
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.Flags().StringSliceVar(&stages, "stage", nil, "the new version's stage `LABEL`s (repeatable; default AWSCURRENT)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		value, err := valueArg(cmd, args, 1)
		if err != nil {
			return err
		}
		store, done, err := openSecrets(cmd.Context(), cf)
		if err != nil {
			return err
		}
		defer done()
		s, err := store.PutSecretValue(cmd.Context(), args[0], value, stages)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s version %s (%s)\n", s.ARN, s.VersionID, strings.Join(s.Stages, ", "))
		return nil
	}
	return cmd
}
