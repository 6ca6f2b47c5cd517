package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

func init() { register("", newParametersCmd) }

// newParametersCmd is the group of the commands on the local parameter store; each subcommand
// is a file parameters_*.go registering itself under "parameters".
func newParametersCmd(*cli) *cobra.Command {
	return &cobra.Command{
		Use:     "parameters",
		Short:   "Put, get, list and delete parameters of the local cloud's parameter store (SSM)",
		GroupID: groupCloud,
		Long: `The local cloud's Systems Manager Parameter Store, per account and region: what builds read
through env.parameter-store and PARAMETER_STORE environment variables. Every value is stored
sealed with the state directory's master key; a SecureString is also never printed in a list.`,
		Example: `  codepipeline parameters put /ci/npm-token -type SecureString < token.txt
  codepipeline parameters get /ci/npm-token
  codepipeline parameters list`,
	}
}

// openSecrets opens the state directory's parameter and secret store for the command's account.
func openSecrets(ctx context.Context, cf *cloudFlags) (backend.Secrets, func(), error) {
	s, err := cf.open(ctx, openOptions{})
	if err != nil {
		return nil, nil, err
	}
	store, err := backend.SecretsOf(s.b)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return store, func() { s.Close() }, nil
}

// valueArg is the value argument, or standard input without one (so that a secret need not be
// on the command line, where other users of the machine can see it).
func valueArg(cmd *cobra.Command, args []string, i int) (string, error) {
	if len(args) > i {
		return args[i], nil
	}
	b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<20))
	if err != nil {
		return "", fmt.Errorf("reading the value from standard input: %w", err)
	}
	v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if v == "" {
		return "", fmt.Errorf("no value: give it as an argument or on standard input")
	}
	return v, nil
}
