package tftest

import "runtime"

// platform is terraform's name for this machine's platform, as in mirror paths.
func platform() string { return runtime.GOOS + "_" + runtime.GOARCH }
