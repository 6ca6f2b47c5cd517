package newcomer

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReleaseFiles: what a registry publication needs is there and agrees with the code: the
// license, the registry manifest naming the protocol the provider serves, the release build
// setting the version variable main declares, and a changelog with a section per release.
func TestReleaseFiles(t *testing.T) {
	read := func(p string) string {
		t.Helper()
		b, err := os.ReadFile("../../" + p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if !strings.HasPrefix(read("LICENSE"), "Mozilla Public License, version 2.0") {
		t.Error("LICENSE is not the MPL-2.0 text")
	}
	var manifest struct {
		Version  int
		Metadata struct {
			ProtocolVersions []string `json:"protocol_versions"`
		}
	}
	if err := json.Unmarshal([]byte(read("terraform-registry-manifest.json")), &manifest); err != nil {
		t.Fatal(err)
	}
	// main.go serves protocol 6 (tf6server.Serve of the combined server); the manifest must say so.
	if manifest.Version != 1 || len(manifest.Metadata.ProtocolVersions) != 1 || manifest.Metadata.ProtocolVersions[0] != "6.0" {
		t.Errorf("terraform-registry-manifest.json = %+v, want version 1 and protocol 6.0", manifest)
	}
	if !strings.Contains(read("main.go"), "tf6server.Serve") {
		t.Error("main.go no longer serves protocol 6 through tf6server: check the manifest's protocol")
	}
	gr := read(".goreleaser.yml")
	for _, want := range []string{"-X main.version={{.Version}}", "terraform-registry-manifest.json", "_SHA256SUMS", "main: ./cmd/codepipeline"} {
		if !strings.Contains(gr, want) {
			t.Errorf(".goreleaser.yml lacks %q", want)
		}
	}
	for _, main := range []string{"main.go", "cmd/codepipeline/main.go"} {
		if !regexp.MustCompile(`(?m)^var version = "dev"$`).MatchString(read(main)) {
			t.Errorf("%s does not declare the version the release build sets", main)
		}
	}
	if !regexp.MustCompile(`(?m)^## \d+\.\d+\.\d+ \((Unreleased|[A-Z][a-z]+ \d+, \d{4})\)$`).MatchString(read("CHANGELOG.md")) {
		t.Error("CHANGELOG.md has no release section (## X.Y.Z (Unreleased) or (Month D, YYYY))")
	}
}
