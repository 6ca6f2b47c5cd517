//go:build !linux

package local

import "os"

// startWriteback is a no-op where sync_file_range does not exist: the final fsync does all.
func startWriteback(*os.File, int64, int64) {}
