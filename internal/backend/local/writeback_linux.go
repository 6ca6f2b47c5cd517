package local

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing [off, off+n) of f to disk now, without
// waiting: a large body then reaches the disk while the rest is being encrypted, and the
// fsync that makes it durable waits only for the tail (as RocksDB's bytes_per_sync does).
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
