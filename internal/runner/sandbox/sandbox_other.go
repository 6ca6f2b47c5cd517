//go:build !linux

package sandbox

import (
	"runtime"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/proc"
)

func wrap(_ *Policy, c proc.Command) proc.Command { return c }

func available() (bool, string) {
	return false, "sandboxes need Linux namespaces; this is " + runtime.GOOS
}
