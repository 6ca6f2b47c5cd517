package newcomer

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTerraform writes an executable at dir/terraform that answers `version -json` as version.
func fakeTerraform(t *testing.T, dir, version string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "terraform")
	script := "#!/bin/sh\necho '{\"terraform_version\": \"" + version + "\", \"platform\": \"linux_amd64\"}'\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEnsureTerraform: make prefers a terraform of the supported range already on the machine
// (PATH before one built earlier), says the range when it has none, and what building one takes
// before it builds.
func TestEnsureTerraform(t *testing.T) {
	script, err := os.ReadFile("../../scripts/ensure-terraform.sh")
	if err != nil {
		t.Fatal(err)
	}
	// A repository of its own: its .tools/bin is the test's, not the checkout's.
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	ensure := filepath.Join(root, "scripts", "ensure-terraform.sh")
	if err := os.WriteFile(ensure, script, 0o755); err != nil {
		t.Fatal(err)
	}
	system := "/usr/bin:/bin" // sh, sed, head, awk: no terraform there on the test machines
	if _, err := exec.LookPath("/usr/bin/terraform"); err == nil {
		t.Fatal("/usr/bin/terraform exists: this test needs a PATH without terraform")
	}
	run := func(path string, env ...string) (int, string, string) {
		t.Helper()
		cmd := exec.Command(ensure)
		cmd.Env = append([]string{"PATH=" + path, "CODEPIPELINE_NO_TERRAFORM_BUILD=1", "HOME=" + root}, env...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			code = ee.ExitCode()
		case err != nil:
			t.Fatal(err)
		}
		return code, out.String(), errOut.String()
	}

	built := fakeTerraform(t, filepath.Join(root, ".tools", "bin"), "1.8.5")
	recent := fakeTerraform(t, filepath.Join(root, "recent"), "1.11.4")
	old := fakeTerraform(t, filepath.Join(root, "old"), "1.4.6")
	next := fakeTerraform(t, filepath.Join(root, "next"), "2.0.0")

	if code, out, errOut := run(filepath.Dir(recent) + ":" + system); code != 0 || strings.TrimSpace(out) != recent {
		t.Errorf("PATH has 1.11.4 and .tools/bin 1.8.5: exit %d, %q %s; want the one on PATH", code, out, errOut)
	}
	if code, out, _ := run(filepath.Dir(old) + ":" + system); code != 0 || strings.TrimSpace(out) != built {
		t.Errorf("PATH has 1.4.6: exit %d, %q; want the one built before", code, out)
	}
	if code, out, _ := run(system, "TERRAFORM="+recent); code != 0 || strings.TrimSpace(out) != recent {
		t.Errorf("TERRAFORM set: exit %d, %q", code, out)
	}
	if code, _, errOut := run(system, "TERRAFORM="+next); code == 0 || !strings.Contains(errOut, "is terraform 2.0.0; this project supports 1.5 <= version < 2.0") {
		t.Errorf("TERRAFORM of 2.0.0: exit %d, stderr %q", code, errOut)
	}

	if err := os.Remove(built); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, said string
	}{
		{filepath.Dir(old) + ":" + system, old + " is version 1.4.6; this project supports 1.5 <= version < 2.0."},
		{system, "none on PATH; this project supports 1.5 <= version < 2.0 (its tests run on 1.11.4)."},
	} {
		code, out, errOut := run(c.path)
		for _, want := range []string{c.said, "Building terraform v1.8.5 from source", "10 or more on two cores", "TERRAFORM=/path/to/terraform", "not building"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("PATH %s: stderr lacks %q:\n%s", c.path, want, errOut)
			}
		}
		if code == 0 || out != "" {
			t.Errorf("PATH %s, building refused: exit %d, stdout %q; want a failure and no path", c.path, code, out)
		}
	}
}
