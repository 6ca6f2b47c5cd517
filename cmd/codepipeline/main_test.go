package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const testdata = "../../internal/check/testdata"

func runCLI(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCheckExitCodes(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"clean plan", []string{"check", testdata + "/plans/clean.json"}, exitOK},
		{"clean dir", []string{"check", testdata + "/tf/clean"}, exitOK},
		{"errors", []string{"check", testdata + "/plans/versioning-missing.json"}, exitFindings},
		{"warnings only", []string{"check", testdata + "/tf/polling"}, exitOK},
		{"warnings with -strict", []string{"check", "-strict", testdata + "/tf/polling"}, exitFindings},
		{"flag after input", []string{"check", testdata + "/tf/polling", "-strict"}, exitFindings},
		{"suppressed", []string{"check", testdata + "/tf/suppressed"}, exitOK},
		{"-rule selects", []string{"check", "-rule", "polling-deprecated", testdata + "/plans/versioning-missing.json"}, exitOK},
		{"-skip drops", []string{"check", "-skip", "store-versioning", testdata + "/plans/versioning-missing.json"}, exitOK},
		{"unknown rule", []string{"check", "-rule", "no-such-rule", testdata + "/plans/clean.json"}, exitUsage},
		{"HCL syntax error", []string{"check", testdata + "/tf/syntax-error"}, exitUsage},
		{"missing input", []string{"check", testdata + "/plans/nope.json"}, exitUsage},
		{"no input", []string{"check"}, exitUsage},
		{"two inputs", []string{"check", "a", "b"}, exitUsage},
		{"bad format", []string{"check", "-format", "xml", testdata + "/plans/clean.json"}, exitUsage},
		{"bad flag", []string{"check", "-nope"}, exitUsage},
		{"unknown command", []string{"nope"}, exitUsage},
		{"help", []string{"help"}, exitOK},
		{"help check", []string{"help", "check"}, exitOK},
		{"version", []string{"version"}, exitOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(c.args...)
			if code != c.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.want, out, errOut)
			}
		})
	}
}

func TestCheckBadPlanFiles(t *testing.T) {
	dir := t.TempDir()
	clean, err := os.ReadFile(testdata + "/plans/clean.json")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"not-json.json":  []byte("not json"),
		"format-2.json":  []byte(`{"format_version":"2.0","planned_values":{}}`),
		"truncated.json": clean[:len(clean)-100],
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := runCLI("check", p)
		if code != exitUsage || !strings.Contains(errOut, name) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 naming the file", name, code, errOut)
		}
	}
}

func TestCheckFormats(t *testing.T) {
	_, out, _ := runCLI("check", "-format", "json", testdata+"/plans/versioning-missing.json")
	var rep struct {
		Findings []struct{ Rule, Resource, Path string }
		Summary  struct{ Errors int }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("-format json: %v\n%s", err, out)
	}
	if rep.Summary.Errors != 1 || rep.Findings[0].Rule != "store-versioning" || rep.Findings[0].Resource != "aws_codepipeline.release" {
		t.Errorf("-format json: %+v", rep)
	}
	_, out, _ = runCLI("check", "-format", "sarif", testdata+"/plans/versioning-missing.json")
	if !strings.Contains(out, `"version": "2.1.0"`) {
		t.Errorf("-format sarif:\n%s", out)
	}
	p := filepath.Join(t.TempDir(), "out.sarif")
	if code, _, _ := runCLI("check", "-format", "sarif", "-o", p, testdata+"/plans/clean.json"); code != exitOK {
		t.Errorf("-o: exit %d", code)
	}
	if b, err := os.ReadFile(p); err != nil || !bytes.Contains(b, []byte("2.1.0")) {
		t.Errorf("-o wrote %q, %v", b, err)
	}
	_, out, _ = runCLI("check", "-color", "always", testdata+"/plans/versioning-missing.json")
	if !strings.Contains(out, "\x1b[") {
		t.Error("-color always: no colour")
	}
	_, out, _ = runCLI("check", testdata+"/plans/versioning-missing.json")
	if strings.Contains(out, "\x1b[") {
		t.Error("colour when the output is not a terminal")
	}
}

// TestCheckNothingChecked: a run that found nothing to check does not pass silently. A module
// that cannot be followed is a notice in every format, and when it hid every resource, the
// exit status says so; -allow-empty accepts an input that has nothing to check.
func TestCheckNothingChecked(t *testing.T) {
	dir := t.TempDir()
	cfg := `module "pipeline" {
  source  = "example-corp/pipeline/aws"
  version = "1.2.0"
  name    = "app"
}

resource "aws_s3_bucket" "logs" {
  bucket = "logs"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI("check", dir)
	if code != exitNothingChecked {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitNothingChecked, out, errOut)
	}
	for _, want := range []string{`module "module.pipeline" (source "example-corp/pipeline/aws") was not followed`, "No resource of a type the rules check was found", "0 resources checked"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "nothing was checked") {
		t.Errorf("stderr does not say that nothing was checked: %q", errOut)
	}
	if code, _, _ := runCLI("check", "-allow-empty", dir); code != exitOK {
		t.Errorf("-allow-empty: exit %d, want %d", code, exitOK)
	}
	_, out, _ = runCLI("check", "-format", "json", "-allow-empty", dir)
	var rep struct {
		Notices []struct{ Kind, Subject string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	want := []struct{ Kind, Subject string }{{"module-not-followed", "module.pipeline"}, {"nothing-checked", dir}}
	if len(rep.Notices) != 2 || rep.Notices[0] != want[0] || rep.Notices[1] != want[1] {
		t.Errorf("JSON notices = %+v, want %+v", rep.Notices, want)
	}
	_, out, _ = runCLI("check", "-format", "sarif", "-allow-empty", dir)
	var log struct {
		Runs []struct {
			Invocations []struct {
				Notifications []struct {
					Level      string
					Descriptor struct{ ID string }
				} `json:"toolExecutionNotifications"`
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	if n := log.Runs[0].Invocations; len(n) != 1 || len(n[0].Notifications) != 2 || n[0].Notifications[0].Descriptor.ID != "module-not-followed" || n[0].Notifications[1].Level != "warning" {
		t.Errorf("SARIF notifications = %+v", n)
	}
}

// TestCheckOfTheCrossAccountExample: the example's resources are in a local module, which check
// follows: they are checked, never a silent pass on nothing.
func TestCheckOfTheCrossAccountExample(t *testing.T) {
	code, out, errOut := runCLI("check", "../../examples/cross-account")
	if code != exitOK || strings.Contains(out, " 0 resources checked") || !regexp.MustCompile(`in [1-9]\d* resources checked`).MatchString(out) {
		t.Errorf("check examples/cross-account: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
