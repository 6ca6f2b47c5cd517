// Command gentables writes ../tables_gen.go of package wire from the botocore models embedded
// in internal/awsapi/shapes: each service's operation names, and S3's REST routes (method,
// path form, subresource query literals, required query parameters and headers).
//
// Run through go generate in internal/awsapi/wire; a test of package wire fails when the
// committed file differs from what this writes.
package main

import (
	"fmt"
	"os"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire/internal/tables"
)

func main() {
	out := "tables_gen.go"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	src, err := tables.Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gentables:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gentables:", err)
		os.Exit(1)
	}
}
