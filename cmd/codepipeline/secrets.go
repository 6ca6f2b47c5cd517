package main

import "github.com/spf13/cobra"

func init() { register("", newSecretsCmd) }

// newSecretsCmd is the group of the commands on the local secret store; each subcommand is a
// file secrets_*.go registering itself under "secrets".
func newSecretsCmd(*cli) *cobra.Command {
	return &cobra.Command{
		Use:     "secrets",
		Short:   "Put, get, list and delete secrets of the local cloud's secret store (Secrets Manager)",
		GroupID: groupCloud,
		Long: `The local cloud's Secrets Manager, per account and region: what builds read through
env.secrets-manager (secret-id:json-key:version-stage:version-id) and SECRETS_MANAGER
environment variables. Each put stores a new version and moves AWSCURRENT to it (the version
that had it becomes AWSPREVIOUS) unless -stage says otherwise. Values are stored sealed with
the state directory's master key.`,
		Example: `  codepipeline secrets put prod/db '{"username":"app","password":"…"}'
  codepipeline secrets get prod/db -key password
  codepipeline secrets list`,
	}
}
