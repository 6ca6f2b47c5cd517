package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

func init() { register("", newCredentialsCmd) }

func newCredentialsCmd(c *cli) *cobra.Command {
	var format, profile, endpointURL string
	cmd := &cobra.Command{
		Use:     "credentials",
		Short:   "Print an account's access key for the AWS endpoint of serve (for eval, or a config profile)",
		GroupID: groupCloud,
		Long: `Prints the access key of an account's root for the AWS endpoint that codepipeline serve runs,
creating it on first use (its secret is kept sealed in the state directory), as export lines
for eval, or with -format config as a profile for ~/.aws/config.`,
		Example: `  eval "$(codepipeline credentials -state-dir .codepipeline)"
  aws --endpoint-url http://127.0.0.1:4566 sts get-caller-identity
  codepipeline credentials -account 222222222222 -format config >> ~/.aws/config`,
	}
	cf := c.addCloudFlags(cmd, true)
	fs := cmd.Flags()
	fs.StringVar(&format, "format", "env", "env (export lines, for eval) or config (a profile for ~/.aws/config)")
	fs.StringVar(&profile, "profile", "", "the profile's `NAME` with -format config (default codepipeline-ACCOUNT)")
	fs.StringVar(&endpointURL, "endpoint-url", "http://"+DefaultAWSListen, "the endpoint `URL` to print (AWS_ENDPOINT_URL, endpoint_url); empty prints none")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if format != "env" && format != "config" {
			return &usageError{cmd: cmd, err: fmt.Errorf("-format %q: env or config", format)}
		}
		s, err := cf.open(cmd.Context(), openOptions{create: true})
		if err != nil {
			return err
		}
		defer s.Close()
		cloud, err := backend.CloudOf(s.b)
		if err != nil {
			return err
		}
		k, err := cloud.AccountKey(cmd.Context(), s.cfg.AccountID, true)
		if err != nil {
			return fmt.Errorf("the access key of account %s: %w", s.cfg.AccountID, err)
		}
		if format == "config" {
			if profile == "" {
				profile = "codepipeline-" + s.cfg.AccountID
			}
			fmt.Fprintf(c.stdout, "[profile %s]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = %s\n", profile, k.ID, k.Secret, s.cfg.Region)
			if endpointURL != "" {
				fmt.Fprintf(c.stdout, "endpoint_url = %s\n", endpointURL)
			}
			return nil
		}
		fmt.Fprintf(c.stdout, "export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_REGION=%s\nexport AWS_DEFAULT_REGION=%s\n",
			k.ID, shellQuote(k.Secret), s.cfg.Region, s.cfg.Region)
		if endpointURL != "" {
			fmt.Fprintf(c.stdout, "export AWS_ENDPOINT_URL=%s\n", endpointURL)
		}
		return nil
	}
	return cmd
}

// shellQuote quotes s for a POSIX shell (a secret holds + and /, which need none, but eval
// must never see anything else unquoted).
func shellQuote(s string) string {
	out := "'"
	for _, r := range s {
		if r == '\'' {
			out += `'\''`
		} else {
			out += string(r)
		}
	}
	return out + "'"
}
