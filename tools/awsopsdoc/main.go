// Command awsopsdoc writes the list of the operations the local cloud's AWS endpoint serves
// into a guide, between the markers BEGIN and END, from the endpoint's own registry: the list
// cannot drift from the code (internal/awsapi/endpoint's tests compare them too).
//
//	go run ./tools/awsopsdoc -file templates/guides/aws-endpoint.md.tmpl
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/endpoint"
)

func main() {
	file := flag.String("file", "", "the guide whose operations section to rewrite")
	flag.Parse()
	if err := rewrite(*file); err != nil {
		fmt.Fprintln(os.Stderr, "awsopsdoc:", err)
		os.Exit(1)
	}
}

func rewrite(path string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := endpoint.WithOperations(doc)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if bytes.Equal(out, doc) {
		return nil
	}
	return os.WriteFile(path, out, 0o644)
}
