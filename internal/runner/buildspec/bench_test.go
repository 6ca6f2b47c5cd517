package buildspec

import (
	"context"
	"io"
	"os"
	"testing"
)

// BenchmarkRunArtifactExpansion compares a one-command build whose artifact sections have
// nothing to expand (no shell runs for them) with one whose sections use variables (one more
// shell after post_build): the cost of expanding is that one shell.
func BenchmarkRunArtifactExpansion(b *testing.B) {
	for _, bc := range []struct{ name, artifacts string }{
		{"literal", "{files: ['dist/**/*'], base-directory: ., name: web}"},
		{"expanded", "{files: ['$DIST/**/*'], base-directory: $CODEBUILD_SRC_DIR, name: web-$(echo 1)}"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			spec, err := Parse([]byte("version: 0.2\nenv: {variables: {DIST: dist}}\nphases: {build: {commands: ['mkdir -p dist && touch dist/a']}}\nartifacts: " + bc.artifacts + "\n"))
			if err != nil {
				b.Fatal(err)
			}
			src := b.TempDir()
			env := Env{PrimarySourceDir: src, Environ: []string{"PATH=" + os.Getenv("PATH")}, Stdout: io.Discard, Stderr: io.Discard}
			for b.Loop() {
				res, err := Run(context.Background(), spec, env)
				if err != nil || !res.Succeeded || res.Expanded == nil {
					b.Fatalf("res %+v err %v", res, err)
				}
			}
		})
	}
}
