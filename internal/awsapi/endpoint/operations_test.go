package endpoint_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/endpoint"
)

// TestGuideListsTheOperations: the guide's list of supported operations is the endpoint's
// registry (make generate writes it; this fails when one moved without the other).
func TestGuideListsTheOperations(t *testing.T) {
	path := filepath.Join("..", "..", "..", "templates", "guides", "aws-endpoint.md.tmpl")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := endpoint.WithOperations(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, want) {
		t.Errorf("%s does not list the operations the endpoint serves: run make generate", path)
	}
	if n := len(endpoint.Operations()); n < 100 {
		t.Errorf("only %d operations registered", n)
	}
}
