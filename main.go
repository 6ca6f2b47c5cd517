// Command terraform-provider-codepipeline serves the CodePipeline provider to Terraform.
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	// The backend kinds this build includes, opened through backend.Open.
	_ "github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/backends"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/provider"
)

// version is set by the release build (-ldflags "-X main.version=...").
var version = "dev"

// Generate the docs from templates/ and examples/ (run through `make generate`, which puts the
// repo's terraform on PATH so it works offline). The rules guide template is written from the
// rules catalogue first, so tfplugindocs renders the current one.
//go:generate go run ./tools/rulesdoc -out templates/guides/rules.md.tmpl
//go:generate go run ./tools/awsopsdoc -file templates/guides/aws-endpoint.md.tmpl
//go:generate go run ./tools/awspolicydoc -file templates/guides/real-aws.md.tmpl
//go:generate go tool tfplugindocs generate --provider-name codepipeline

func main() {
	if provider.ExecuteRunMain(os.Args[1:]) {
		return // this process drove a background run (codepipeline_run with wait = false)
	}
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()
	quietSDKLogs()

	// The framework provider and the protocol-level codepipeline_pipeline, combined.
	server, err := provider.NewServer(context.Background(), version, provider.RecordWorkdir())
	if err != nil {
		log.Fatal(err.Error())
	}
	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	if err := tf6server.Serve(provider.RegistryAddress, func() tfprotov6.ProviderServer { return server }, opts...); err != nil {
		log.Fatal(err.Error())
	}
}

// quietSDKLogs turns the plugin libraries' own logs off when nobody asked for provider logs:
// they log at TRACE by default, and Terraform parses every line it then discards, which cost
// about 40% of the CPU of a large plan on both sides (measured by scripts/bench-plan.sh).
func quietSDKLogs() {
	if os.Getenv("TF_LOG") != "" || os.Getenv("TF_LOG_PROVIDER") != "" {
		return
	}
	for _, v := range []string{"TF_LOG_SDK", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_MUX"} {
		if os.Getenv(v) == "" {
			_ = os.Setenv(v, "OFF")
		}
	}
}
