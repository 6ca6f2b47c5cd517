// Command terraform-provider-codepipeline serves the CodePipeline provider to Terraform.
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/provider"
)

// version is set by the release build (-ldflags "-X main.version=...").
var version = "dev"

// Generate the docs from templates/ and examples/ (run through `make generate`, which puts the
// repo's terraform on PATH so it works offline). The rules guide template is written from the
// rules catalogue first, so tfplugindocs renders the current one.
//go:generate go run ./tools/rulesdoc -out templates/guides/rules.md.tmpl
//go:generate go tool tfplugindocs generate --provider-name codepipeline

func main() {
	if provider.ExecuteRunMain(os.Args[1:]) {
		return // this process drove a background run (codepipeline_run with wait = false)
	}
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
