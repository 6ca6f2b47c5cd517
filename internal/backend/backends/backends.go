// Package backends is the wiring: it registers every backend kind this build includes with
// internal/backend, so that backend.Open can open it. Main packages and tests import it for
// that side effect; it is the only package outside a kind's own that imports the kind (lint
// and internal/layering_test.go hold it to that).
//
// Adding a backend kind: its package (internal/backend/KIND) provides a backend.Opener, this
// file registers it, and its conformance test runs internal/backend/backendtest against it.
package backends

import (
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/local"
)

func init() {
	backend.Register(backend.KindLocal, local.OpenBackend)
}
