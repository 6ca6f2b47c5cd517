// Command terraform-provider-codepipeline serves the CodePipeline provider to Terraform.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/provider"
)

// version is set by the release build (-ldflags "-X main.version=...").
var version = "dev"

// Generate the docs from templates/ and examples/ (run through `make generate`, which puts the
// repo's terraform on PATH so it works offline).
//go:generate go tool tfplugindocs generate --provider-name codepipeline

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: provider.RegistryAddress,
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
