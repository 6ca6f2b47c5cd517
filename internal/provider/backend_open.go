package provider

import (
	"errors"
	"fmt"
	"sync"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/local"
)

// openClouds keeps one open local cloud per state directory for the life of the process.
// Terraform configures a provider once per command, but in-process acceptance tests configure
// it hundreds of times in one process: reopening the database each time would leak handles.
var openClouds = struct {
	sync.Mutex
	byDir map[string]*local.Cloud
}{byDir: map[string]*local.Cloud{}}

// openBackend builds the backend a provider configuration acts through, with the warnings of
// opening its state directory (the first time in this process).
func openBackend(cfg backend.Config) (backend.Backend, []string, error) {
	if cfg.Kind != backend.KindLocal {
		return nil, nil, &backend.ConfigError{Attribute: "backend", Summary: "Backend Not Available",
			Detail: fmt.Sprintf("backend %q is not available in this version of the provider.", cfg.Kind)}
	}
	openClouds.Lock()
	defer openClouds.Unlock()
	c, ok := openClouds.byDir[cfg.StateDir]
	var warnings []string
	if !ok {
		var err error
		if c, err = local.Open(cfg); err != nil {
			detail := fmt.Sprintf("%v\n\nFix: point state_dir (or CODEPIPELINE_STATE_DIR) at a writable directory.", err)
			if errors.Is(err, local.ErrStateDamaged) {
				detail = err.Error() // it says how to restore or start over
			}
			return nil, nil, &backend.ConfigError{Attribute: "state_dir", Summary: "Cannot Open The Local State Directory", Detail: detail}
		}
		openClouds.byDir[cfg.StateDir] = c
		warnings = c.Warnings()
	}
	return c.For(cfg), warnings, nil
}
