package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

func init() { register("secrets", newSecretsGetCmd) }

func newSecretsGetCmd(c *cli) *cobra.Command {
	var stage, versionID, key string
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Print a secret's value (ID: its name or ARN; AWSCURRENT unless -stage or -version-id)",
		Example: `  codepipeline secrets get prod/db
  codepipeline secrets get prod/db -key password -stage AWSPREVIOUS`,
	}
	cf := c.addCloudFlags(cmd, true)
	fs := cmd.Flags()
	fs.StringVar(&stage, "stage", "", "the version with this stage `LABEL`")
	fs.StringVar(&versionID, "version-id", "", "the version with this `ID`")
	fs.StringVar(&key, "key", "", "print only this `KEY` of a JSON secret, as a buildspec's json-key reads it")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		store, done, err := openSecrets(cmd.Context(), cf)
		if err != nil {
			return err
		}
		defer done()
		s, err := store.GetSecretValue(cmd.Context(), args[0], stage, versionID)
		if err != nil {
			return err
		}
		if key == "" {
			fmt.Fprintln(c.stdout, s.Value)
			return nil
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(s.Value), &doc); err != nil {
			return fmt.Errorf("secret %s is not a JSON object, so it has no key %q", s.Name, key)
		}
		v, ok := doc[key]
		if !ok {
			return fmt.Errorf("secret %s has no key %q", s.Name, key)
		}
		if str, ok := v.(string); ok {
			fmt.Fprintln(c.stdout, str)
			return nil
		}
		b, _ := json.Marshal(v)
		fmt.Fprintln(c.stdout, string(b))
		return nil
	}
	return cmd
}
