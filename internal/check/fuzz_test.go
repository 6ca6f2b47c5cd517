package check

import (
	"errors"
	"io"
	"path/filepath"
	"testing"
)

// FuzzReadPlan feeds the plan reader arbitrary bytes: it must return an inventory or an
// *InputError, never panic, and what it returns must check and render without panicking.
// Seeds: the hand-built plans and testdata/fuzz/FuzzReadPlan (not JSON, an unsupported
// format version, a truncated file, values of the wrong shape, references that lead nowhere).
func FuzzReadPlan(f *testing.F) {
	plans, _ := filepath.Glob(filepath.Join("testdata", "plans", "*.json"))
	for _, p := range plans {
		f.Add(readFile(f, p))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := ReadPlan("fuzz.json", data)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an *InputError", err)
			}
			return
		}
		rep, err := Check(inv, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, format := range Formats {
			if err := Write(io.Discard, rep, format, true, "fuzz"); err != nil {
				t.Fatal(err)
			}
		}
	})
}
