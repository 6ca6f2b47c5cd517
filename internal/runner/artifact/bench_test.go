package artifact

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

const (
	benchFiles    = 16
	benchFileSize = 64 << 20 // 16 × 64 MiB = 1 GiB
)

// makeBenchTree writes 1 GiB shaped like build output: half incompressible (binaries, images),
// half text lines (sources, logs, maps).
func makeBenchTree(b *testing.B) string {
	b.Helper()
	dir, err := os.MkdirTemp("", "artifact-bench-src-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.MkdirAll(filepath.Join(dir, "out"), 0o755); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"func", "return", "error", "artifact", "pipeline", "stage", "build", "nil", "if", "err", "{", "}", "(", ")", "ctx", "string"}
	block := make([]byte, 64<<10)
	for i := range benchFiles {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("out/part-%02d.bin", i)))
		if err != nil {
			b.Fatal(err)
		}
		for written, n := 0, 0; written < benchFileSize; written += len(block) {
			if n++; n%2 == 0 {
				for j := 0; j < len(block); j += 8 {
					v := rng.Uint64()
					for k := range 8 {
						block[j+k] = byte(v >> (8 * k))
					}
				}
			} else {
				p := block[:0]
				for len(p) < len(block) {
					p = append(p, words[rng.IntN(len(words))]...)
					if rng.IntN(8) == 0 {
						p = append(p, '\n')
					} else {
						p = append(p, ' ')
					}
				}
				copy(block, p)
			}
			if _, err := f.Write(block); err != nil {
				b.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// BenchmarkArtifact1GiB measures the zip part of the artifact path (Zip to a file, UnzipFile into
// a fresh directory) against copying the same bytes file to file, in one run, and reports
// the ratio. Run with: go test -run '^$' -bench Artifact1GiB -benchtime 1x.
func BenchmarkArtifact1GiB(b *testing.B) {
	src := makeBenchTree(b)
	const total = benchFiles * benchFileSize
	var copyRate float64 // bytes/s of io.Copy, measured first

	rate := func(b *testing.B) float64 { return float64(total) * float64(b.N) / b.Elapsed().Seconds() }

	b.Run("io.Copy", func(b *testing.B) {
		b.SetBytes(total)
		var m cpuMeter
		defer m.report(b, total)
		for range b.N {
			dest := benchTemp(b)
			b.StartTimer()
			m.on()
			copyTree(b, src, dest, func(w io.Writer, r io.Reader) (int64, error) { return io.Copy(w, r) })
			m.off()
			b.StopTimer()
			os.RemoveAll(dest)
		}
		copyRate = rate(b)
	})
	b.Run("userspace-copy", func(b *testing.B) {
		b.SetBytes(total)
		var m cpuMeter
		defer m.report(b, total)
		buf := make([]byte, 256<<10)
		for range b.N {
			dest := benchTemp(b)
			b.StartTimer()
			m.on()
			// Hiding ReaderFrom/WriterTo keeps the bytes in user space, as Zip and Unzip must.
			copyTree(b, src, dest, func(w io.Writer, r io.Reader) (int64, error) {
				return io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{r}, buf)
			})
			m.off()
			b.StopTimer()
			os.RemoveAll(dest)
		}
		if copyRate > 0 {
			b.ReportMetric(rate(b)/copyRate, "x_io.Copy")
		}
	})
	// The codec alone, no disk writes: the ceiling of the zip part on this CPU.
	b.Run("zip-fast-to-discard", func(b *testing.B) {
		b.SetBytes(total)
		var m cpuMeter
		defer m.report(b, total)
		for range b.N {
			if err := os.Remove(benchTemp(b)); err != nil { // only the sync is wanted here
				b.Fatal(err)
			}
			b.StartTimer()
			m.on()
			if _, err := Zip(io.Discard, src, nil, Options{}); err != nil {
				b.Fatal(err)
			}
			m.off()
			b.StopTimer()
		}
		if copyRate > 0 {
			b.ReportMetric(rate(b)/copyRate, "x_io.Copy")
		}
	})
	for _, c := range []struct {
		name string
		c    Compression
	}{{"zip-unzip-store", CompressNone}, {"zip-unzip-fast", CompressFast}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(total)
			var m cpuMeter
			defer m.report(b, total)
			for range b.N {
				work := benchTemp(b)
				zipPath := filepath.Join(work, "a.zip")
				b.StartTimer()
				m.on()
				f, err := os.Create(zipPath)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Zip(f, src, nil, Options{Compression: c.c}); err != nil {
					b.Fatal(err)
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
				st, err := UnzipFile(context.Background(), zipPath, filepath.Join(work, "out"), Limits{MaxBytes: 2 * total})
				if err != nil {
					b.Fatal(err)
				}
				m.off()
				b.StopTimer()
				if st.Bytes != total {
					b.Fatalf("unzipped %d bytes, want %d", st.Bytes, total)
				}
				if fi, err := os.Stat(zipPath); err == nil {
					b.ReportMetric(float64(fi.Size())/float64(total), "zip/raw")
				}
				os.RemoveAll(work)
			}
			if copyRate > 0 {
				b.ReportMetric(rate(b)/copyRate, "x_io.Copy")
			}
		})
	}
}

// cpuSeconds is the user+system CPU time this process has used. MB per CPU-second does not
// depend on how much of the machine other processes take, which wall-clock MB/s does.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// cpuMeter accumulates CPU time over the timed regions only.
type cpuMeter struct {
	start, used float64
}

func (m *cpuMeter) on()  { m.start = cpuSeconds() }
func (m *cpuMeter) off() { m.used += cpuSeconds() - m.start }
func (m *cpuMeter) report(b *testing.B, bytes int64) {
	if m.used > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/1e6/m.used, "MB/cpu-s")
	}
}

// benchTemp stops the timer, flushes dirty pages so that every timed run starts from the same
// page-cache state (this VM's disk otherwise varies several-fold between identical copies), and
// returns a fresh directory.
func benchTemp(b *testing.B) string {
	b.StopTimer()
	syscall.Sync()
	d, err := os.MkdirTemp("", "artifact-bench-")
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func copyTree(b *testing.B, src, dest string, copyFn func(io.Writer, io.Reader) (int64, error)) {
	ents, err := os.ReadDir(filepath.Join(src, "out"))
	if err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dest, "out"), 0o755); err != nil {
		b.Fatal(err)
	}
	for _, e := range ents {
		in, err := os.Open(filepath.Join(src, "out", e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dest, "out", e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := copyFn(out, in); err != nil {
			b.Fatal(err)
		}
		in.Close()
		if err := out.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
