package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/codepipelinejson"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/console"
)

func TestGraphDrawsAStoredPipelineAndADefinitionFile(t *testing.T) {
	rc := newRunsCloud(t)
	rc.createPipeline(t, "drawn", buildStage("Build", "Make", "true"), approval("Gate", "Ok"))
	code, svg, errOut := rc.cli(t, "graph", "drawn")
	if code != exitOK {
		t.Fatalf("graph: exit %d\n%s", code, errOut)
	}
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil || !strings.Contains(svg, "<style>") || !strings.Contains(svg, ">Make<") {
		t.Fatalf("graph -format svg did not write a standalone SVG of the pipeline (%v):\n%.400s", err, svg)
	}
	code, dot, _ := rc.cli(t, "graph", "-format", "dot", "drawn")
	if code != exitOK || !strings.HasPrefix(dot, `digraph "drawn" {`) || !strings.Contains(dot, `"Source/Fetch" -> "Build/Make" [label="src"];`) {
		t.Fatalf("graph -format dot: exit %d\n%s", code, dot)
	}

	// The same picture from the pipeline's CodePipeline JSON (as get-pipeline prints it).
	rec, err := rc.a.GetPipeline(context.Background(), "drawn")
	if err != nil {
		t.Fatal(err)
	}
	decl, err := codepipelinejson.FromDomain(rec.Definition)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := jsonEncode(&buf, map[string]any{"pipeline": decl}); err != nil {
		t.Fatal(err)
	}
	def := filepath.Join(t.TempDir(), "pipeline.json")
	if err := os.WriteFile(def, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "drawn.svg")
	if code, _, errOut := runCLI("graph", "-definition", def, "-o", out); code != exitOK {
		t.Fatalf("graph -definition: exit %d\n%s", code, errOut)
	}
	fromFile, _ := os.ReadFile(out)
	if string(fromFile) != svg {
		t.Errorf("the picture of the definition file differs from the stored pipeline's")
	}

	for _, args := range [][]string{{"graph"}, {"graph", "-format", "png", "drawn"}, {"graph", "a", "b"}} {
		if code, _, _ := rc.cli(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, errOut := rc.cli(t, "graph", "nosuch"); code != exitFindings || !strings.Contains(errOut, "nosuch") {
		t.Errorf("graph of a missing pipeline: exit %d, %q", code, errOut)
	}
}

func TestConsoleWithoutServeSaysToStartIt(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := runCLI("console", "-state-dir", dir)
	if code != exitFindings || !strings.Contains(errOut, "codepipeline serve") {
		t.Errorf("exit %d, stderr %q: want 1, saying to start codepipeline serve", code, errOut)
	}
}

// serve prints the console's address with the token; `codepipeline console -print` prints the
// same address; the address answers with the console; after serve stops, console says so.
// serve runs as a process of its own, stopped as a user stops it (SIGINT).
func TestServeAnnouncesTheConsoleAndConsoleFindsIt(t *testing.T) {
	rc := newRunsCloud(t)
	rc.createPipeline(t, "shown", buildStage("Build", "Make", "true"))
	bin := filepath.Join(t.TempDir(), "codepipeline")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "-state-dir", rc.dir, "-listen", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck // a failed test leaves no serve behind
	lines := bufio.NewScanner(stdout)
	url := ""
	for url == "" && lines.Scan() {
		url, _ = strings.CutPrefix(lines.Text(), "console: ")
	}
	token, err := console.LoadToken(rc.dir)
	if err != nil || !strings.HasSuffix(url, "?token="+token) || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("console address %q, token %q (%v)", url, token, err)
	}
	code, printed, _ := runCLI("console", "-print", "-state-dir", rc.dir)
	if code != exitOK || strings.TrimSpace(printed) != url {
		t.Errorf("console -print: exit %d, %q; want %q", code, printed, url)
	}
	jar, _ := cookiejar.New(nil)
	resp, err := (&http.Client{Jar: jar}).Get(url) // the token sets the cookie; the redirect shows the pipelines
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "shown") {
		t.Errorf("the console's address answered %d:\n%.300s", resp.StatusCode, body)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	}
	if code, _, errOut := runCLI("console", "-print", "-state-dir", rc.dir); code != exitFindings || !strings.Contains(errOut, "codepipeline serve") {
		t.Errorf("console after serve stopped: exit %d, %q", code, errOut)
	}
}

func jsonEncode(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }
