package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

func init() { register("parameters", newParametersPutCmd) }

func newParametersPutCmd(c *cli) *cobra.Command {
	var typ, description string
	var overwrite bool
	cmd := &cobra.Command{
		Use:   "put NAME [VALUE]",
		Short: "Store a parameter's new version (the value from standard input without VALUE)",
		Example: `  codepipeline parameters put /ci/region eu-west-1
  codepipeline parameters put /ci/npm-token -type SecureString < token.txt
  codepipeline parameters put /ci/region eu-central-1 -overwrite`,
	}
	cf := c.addCloudFlags(cmd, true)
	fs := cmd.Flags()
	fs.StringVar(&typ, "type", backend.ParameterString, "the parameter's `TYPE`: "+strings.Join(backend.ParameterTypes, ", "))
	fs.StringVar(&description, "description", "", "what the parameter is for")
	fs.BoolVar(&overwrite, "overwrite", false, "store a new version of an existing parameter")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if !slices.Contains(backend.ParameterTypes, typ) {
			return &usageError{cmd: cmd, err: fmt.Errorf("-type %q: one of %s", typ, strings.Join(backend.ParameterTypes, ", "))}
		}
		value, err := valueArg(cmd, args, 1)
		if err != nil {
			return err
		}
		store, done, err := openSecrets(cmd.Context(), cf)
		if err != nil {
			return err
		}
		defer done()
		p, err := store.PutParameter(cmd.Context(), &backend.Parameter{Name: args[0], Type: typ, Value: value, Description: description}, overwrite)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s version %d (%s)\n", p.Name, p.Version, p.Type)
		return nil
	}
	return cmd
}
