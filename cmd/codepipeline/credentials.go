package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

func init() {
	commands["credentials"] = command{summary: "print an account's access key for the AWS endpoint of `serve` (for eval, or a config profile)", run: runCredentials}
}

const credentialsUsage = `Usage: codepipeline credentials [flags]

Prints the access key of an account's root for the AWS endpoint that codepipeline serve runs,
creating it on first use (its secret is kept sealed in the state directory):

  eval "$(codepipeline credentials -state-dir DIR)"
  aws --endpoint-url http://127.0.0.1:4566 sts get-caller-identity

-format config prints a profile for ~/.aws/config instead.

Flags:
`

func runCredentials(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("credentials", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := os.Getenv(backend.StateDirEnv)
	if def == "" {
		def = backend.DefaultStateDir
	}
	stateDir := fs.String("state-dir", def, "the local backend's state directory (env "+backend.StateDirEnv+")")
	account := fs.String("account", backend.DefaultAccountID, "the account whose root the key acts as")
	region := fs.String("region", backend.DefaultRegion, "the region to print (AWS_REGION, AWS_DEFAULT_REGION)")
	format := fs.String("format", "env", "env (export lines, for eval) or config (a profile for ~/.aws/config)")
	profile := fs.String("profile", "", "the profile's name with -format config (default codepipeline-ACCOUNT)")
	endpointURL := fs.String("endpoint-url", "http://"+DefaultAWSListen, "the endpoint to print (AWS_ENDPOINT_URL, endpoint_url); empty prints none")
	fs.Usage = func() { fmt.Fprint(stderr, credentialsUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 0 || (*format != "env" && *format != "config") {
		fs.Usage()
		return exitUsage
	}
	cfg, err := backend.Resolve(backend.Settings{
		StateDir:  backend.Setting{Value: *stateDir, Set: true},
		AccountID: backend.Setting{Value: *account, Set: true},
		Region:    backend.Setting{Value: *region, Set: true},
	}, os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline:", err)
		return exitUsage
	}
	ctx := context.Background()
	b, err := backend.Open(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline:", err)
		return exitUsage
	}
	defer b.Close()
	c, err := backend.CloudOf(b)
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline:", err)
		return exitUsage
	}
	k, err := c.AccountKey(ctx, cfg.AccountID, true)
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline: the access key of account", cfg.AccountID+":", err)
		return exitFindings
	}
	if *format == "config" {
		name := *profile
		if name == "" {
			name = "codepipeline-" + cfg.AccountID
		}
		fmt.Fprintf(stdout, "[profile %s]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = %s\n", name, k.ID, k.Secret, cfg.Region)
		if *endpointURL != "" {
			fmt.Fprintf(stdout, "endpoint_url = %s\n", *endpointURL)
		}
		return exitOK
	}
	fmt.Fprintf(stdout, "export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_REGION=%s\nexport AWS_DEFAULT_REGION=%s\n",
		k.ID, shellQuote(k.Secret), cfg.Region, cfg.Region)
	if *endpointURL != "" {
		fmt.Fprintf(stdout, "export AWS_ENDPOINT_URL=%s\n", *endpointURL)
	}
	return exitOK
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
