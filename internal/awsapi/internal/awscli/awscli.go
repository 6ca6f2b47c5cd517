// Package awscli runs the AWS CLIs in tests: clients nobody here wrote, v1 (botocore, first on
// PATH on these machines) and v2 (the Debian package awscli, 2.9.19). Both must be present; a
// missing one fails the test with how to install it, never skips it.
package awscli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Find finds a CLI of the major version: $CODEPIPELINE_AWSCLI_V<major>, else for v1 the aws on
// PATH, for v2 the binary of the Debian package.
func Find(t testing.TB, major string) string {
	t.Helper()
	var cands []string
	if p := os.Getenv("CODEPIPELINE_AWSCLI_V" + major); p != "" {
		cands = append(cands, p)
	}
	if major == "1" {
		if p, err := exec.LookPath("aws"); err == nil {
			cands = append(cands, p)
		}
	} else {
		if out, err := exec.Command("dpkg", "-L", "awscli").Output(); err == nil {
			for _, line := range strings.Split(string(out), "\n") {
				if strings.HasSuffix(line, "/bin/aws") {
					cands = append(cands, line)
				}
			}
		}
		cands = append(cands, "/usr/bin/aws")
	}
	for _, c := range cands {
		out, err := exec.Command(c, "--version").CombinedOutput()
		if err == nil && strings.HasPrefix(string(out), "aws-cli/"+major+".") {
			return c
		}
	}
	hint := map[string]string{"1": "pip install awscli (or set CODEPIPELINE_AWSCLI_V1)", "2": "apt-get install -y awscli (or set CODEPIPELINE_AWSCLI_V2)"}[major]
	t.Fatalf("AWS CLI v%s not found (tried %v): %s", major, cands, hint)
	return ""
}

// Examples is the directory of the CLI's own documentation examples (examples/SERVICE/OP.rst).
func Examples(t testing.TB, bin string) string {
	t.Helper()
	script := "import awscli, os; print(os.path.join(os.path.dirname(awscli.__file__), 'examples'))"
	// The CLI's own interpreter: the shebang of the aws script (or of the Debian one's).
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	python := strings.TrimSpace(strings.TrimPrefix(line, "#!"))
	fields := strings.Fields(python)
	if len(fields) == 0 {
		t.Fatalf("%s has no interpreter line", bin)
	}
	out, err := exec.Command(fields[0], append(fields[1:], "-c", script)...).Output()
	if err != nil {
		// A pyenv shim is a shell script: ask the python3 it stands beside.
		out, err = exec.Command("python3", "-c", script).Output()
	}
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Fatalf("the examples of %s: %v", bin, err)
	}
	return dir
}

// CLI runs one AWS CLI against an endpoint, with a private home and credentials.
type CLI struct {
	Bin, Endpoint, Home string
	Env                 []string
}

// New returns a CLI acting with key and secret (and a session token, as AWS_SESSION_TOKEN in
// extraEnv) in us-east-1.
func New(t testing.TB, bin, endpoint, key, secret string, extraEnv ...string) *CLI {
	t.Helper()
	home := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(home, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8",
		"AWS_ACCESS_KEY_ID=" + key, "AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard",
	}
	return &CLI{Bin: bin, Endpoint: endpoint, Home: home, Env: append(env, extraEnv...)}
}

// With returns a copy of c with more environment (later entries win).
func (c *CLI) With(env ...string) *CLI {
	d := *c
	d.Env = append(append([]string{}, c.Env...), env...)
	return &d
}

// Run runs the CLI against the endpoint and returns stdout, stderr and whether it succeeded.
func (c *CLI) Run(t testing.TB, args ...string) (string, string, bool) {
	t.Helper()
	cmd := exec.Command(c.Bin, append([]string{"--endpoint-url", c.Endpoint}, args...)...)
	cmd.Env, cmd.Dir = c.Env, c.Home
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s %s: %v", c.Bin, strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %v: %v", c.Bin, args, err)
	}
	return out.String(), errb.String(), err == nil
}

// OK runs a command that must succeed with want in its output, and returns the output.
func (c *CLI) OK(t testing.TB, want string, args ...string) string {
	t.Helper()
	out, errs, ok := c.Run(t, args...)
	if !ok || !strings.Contains(out, want) {
		t.Errorf("aws %s: ok=%v, want %q in the output\nstdout: %.500s\nstderr: %.800s", strings.Join(args, " "), ok, want, out, errs)
	}
	return out
}

// Fails runs a command that must fail with code (the CLI prints "(Code) when calling the Op
// operation…: message") and message.
func (c *CLI) Fails(t testing.TB, code, message string, args ...string) {
	t.Helper()
	out, errs, ok := c.Run(t, args...)
	if ok || !strings.Contains(errs, code) || !strings.Contains(errs, message) {
		t.Errorf("aws %s: ok=%v, want a failure with %q and %q\nstdout: %.300s\nstderr: %.800s", strings.Join(args, " "), ok, code, message, out, errs)
	}
}
