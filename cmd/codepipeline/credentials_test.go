package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestCredentials: the account's key is created once and printed for eval (a shell takes the
// exports as they are), or as a config profile; another account gets its own.
func TestCredentials(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI("credentials", "-state-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := regexp.MustCompile(`^export AWS_ACCESS_KEY_ID=AKIA[A-Z2-7]{16}\nexport AWS_SECRET_ACCESS_KEY='[A-Za-z0-9+/=]{40}'\n` +
		`export AWS_REGION=us-east-1\nexport AWS_DEFAULT_REGION=us-east-1\nexport AWS_ENDPOINT_URL=http://127.0.0.1:4566\n$`)
	if !want.MatchString(out) {
		t.Errorf("credentials printed:\n%s", out)
	}
	if _, again, _ := runCLI("credentials", "-state-dir", dir); again != out {
		t.Errorf("the second call printed another key:\n%s\nthen\n%s", out, again)
	}
	env, err := exec.Command("bash", "-c", out+"\necho \"$AWS_ACCESS_KEY_ID $AWS_SECRET_ACCESS_KEY\"").Output()
	if err != nil || !strings.HasPrefix(string(env), "AKIA") || len(strings.Fields(string(env))) != 2 {
		t.Errorf("eval of the exports: %q, %v", env, err)
	}
	_, other, _ := runCLI("credentials", "-state-dir", dir, "-account", "222222222222", "-region", "eu-west-1", "-format", "config", "-endpoint-url", "")
	if !regexp.MustCompile(`^\[profile codepipeline-222222222222\]\naws_access_key_id = AKIA\w{16}\naws_secret_access_key = \S{40}\nregion = eu-west-1\n$`).MatchString(other) ||
		strings.Contains(other, strings.Fields(strings.Split(out, "\n")[0])[1][len("AWS_ACCESS_KEY_ID="):]) {
		t.Errorf("another account's profile:\n%s", other)
	}
	for _, args := range [][]string{{"-format", "yaml"}, {"extra"}} {
		if code, _, _ := runCLI(append([]string{"credentials", "-state-dir", dir}, args...)...); code != exitUsage {
			t.Errorf("credentials %v: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, errOut := runCLI("credentials", "-state-dir", dir, "-account", "12"); code == exitOK || !strings.Contains(errOut, "12") {
		t.Errorf("credentials -account 12: exit %d, %s", code, errOut)
	}
}
