package buildspec

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/artifact"
)

func writeFiles(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// names lists an output's entries as "path" or "path=>name".
func names(o *Output) string {
	var out []string
	for _, e := range o.Entries {
		if e.Name != "" {
			out = append(out, e.Path+"=>"+e.Name)
		} else {
			out = append(out, e.Path)
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestCollectArtifacts(t *testing.T) {
	tree := []string{"README.md", "dist/app.js", "dist/app.js.map", "dist/css/site.css", "dist/img/logo.png", "docs/guide/index.html", "docs/api.md", "build.log"}
	for _, tc := range []struct {
		name      string
		artifacts string
		want      string
		warnings  string
	}{
		{"everything", "{files: ['**/*']}", "README.md build.log dist/app.js dist/app.js.map dist/css/site.css dist/img/logo.png docs/api.md docs/guide/index.html", ""},
		{"top level only", "{files: ['*']}", "README.md build.log", ""},
		{"one level in a directory", "{files: ['dist/*']}", "dist/app.js dist/app.js.map", ""},
		{"recursive in a directory", "{files: ['dist/**/*']}", "dist/app.js dist/app.js.map dist/css/site.css dist/img/logo.png", ""},
		{"a directory by name", "{files: [docs]}", "docs/api.md docs/guide/index.html", ""},
		{"extension anywhere", "{files: ['**/*.md']}", "README.md docs/api.md", ""},
		{"leading ./", "{files: [./build.log]}", "build.log", ""},
		{"base directory", "{files: ['**/*'], base-directory: dist}", "app.js app.js.map css/site.css img/logo.png", ""},
		{"base directory with exclusions", "{files: ['**/*'], base-directory: dist, exclude-paths: ['**/*.map', 'img/*']}", "app.js css/site.css", ""},
		{"discard paths", "{files: ['dist/css/*', 'docs/**/*'], discard-paths: yes}", "dist/css/site.css=>site.css docs/api.md=>api.md docs/guide/index.html=>index.html", ""},
		{"unmatched pattern warns", "{files: [build.log, missing.txt]}", "build.log", "artifacts.files: skipping invalid file path missing.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := t.TempDir()
			writeFiles(t, src, tree...)
			spec := mustParse(t, "version: 0.2\nphases: {}\nartifacts: "+tc.artifacts+"\n")
			got, err := CollectArtifacts(spec, Dirs{Primary: src})
			if err != nil {
				t.Fatal(err)
			}
			if n := names(got.Primary); n != tc.want {
				t.Errorf("entries %q\nwant    %q", n, tc.want)
			}
			if w := strings.Join(got.Primary.Warnings, "; "); w != tc.warnings {
				t.Errorf("warnings %q, want %q", w, tc.warnings)
			}
		})
	}
}

func TestCollectArtifactsErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		artifacts string
		field     string
	}{
		{"nothing matches", "{files: ['*.jar']}", "artifacts.files"},
		{"duplicate names after discard-paths", "{files: ['**/*.txt'], discard-paths: yes}", "artifacts.discard-paths"},
		{"missing base directory", "{files: ['**/*'], base-directory: nope}", "artifacts.base-directory"},
		{"base directory through an escaping link", "{files: ['**/*'], base-directory: out}", "artifacts.base-directory"},
		{"secondary nothing matches", "{secondary-artifacts: {extra: {files: [nope]}}}", "artifacts.secondary-artifacts.extra.files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := t.TempDir()
			writeFiles(t, src, "a/x.txt", "b/x.txt")
			if err := os.Symlink(t.TempDir(), filepath.Join(src, "out")); err != nil {
				t.Fatal(err)
			}
			spec := mustParse(t, "version: 0.2\nphases: {}\nartifacts: "+tc.artifacts+"\n")
			_, err := CollectArtifacts(spec, Dirs{Primary: src})
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("err = %v, want a FieldError for %s", err, tc.field)
			}
		})
	}
}

// The selection feeds artifact.Zip: primary and secondary artifacts zip with their names.
func TestCollectArtifactsZips(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, "dist/index.html", "dist/js/app.js", "reports/junit.xml")
	spec := mustParse(t, `
version: 0.2
phases: {}
artifacts:
  files: ['**/*']
  base-directory: dist
  secondary-artifacts:
    reports:
      files: [reports/*.xml]
      discard-paths: yes
`)
	got, err := CollectArtifacts(spec, Dirs{Primary: src})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		out  *Output
		want string
	}{{got.Primary, "index.html js/app.js"}, {got.Secondary["reports"], "junit.xml"}} {
		var buf bytes.Buffer
		if _, err := artifact.Zip(&buf, tc.out.Dir, tc.out.Entries, artifact.Options{}); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		if g := strings.Join(names, " "); g != tc.want {
			t.Errorf("%s: archive holds %q, want %q", tc.out.Identifier, g, tc.want)
		}
	}
	if got.Secondary["reports"].Identifier != "reports" {
		t.Errorf("identifier %q", got.Secondary["reports"].Identifier)
	}
}
