// Command awspolicydoc writes the least-privilege IAM policy of backend = "aws" into a guide,
// between the markers BEGIN POLICY and END POLICY, from the table of the operations the aws
// backend calls: the published policy cannot drift from the code (internal/backend/backends's
// tests compare them too).
//
//	go run ./tools/awspolicydoc -file templates/guides/real-aws.md.tmpl
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/backends"
)

func main() {
	file := flag.String("file", "", "the guide whose policy section to rewrite")
	flag.Parse()
	if err := rewrite(*file); err != nil {
		fmt.Fprintln(os.Stderr, "awspolicydoc:", err)
		os.Exit(1)
	}
}

func rewrite(path string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := backends.WithPolicy(doc)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if bytes.Equal(out, doc) {
		return nil
	}
	return os.WriteFile(path, out, 0o644)
}
