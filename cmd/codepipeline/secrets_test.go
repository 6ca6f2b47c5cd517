package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestParametersAndSecrets: what a user stores with the CLI is what builds read; values are
// never listed; the other account sees nothing; errors name what is missing and exit non-zero.
func TestParametersAndSecrets(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI("credentials", "-state-dir", dir); code != exitOK { // creates the state directory
		t.Fatalf("exit %d: %s", code, errOut)
	}
	cli := func(want int, args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(append(args, "-state-dir", dir)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, want, out, errOut)
		}
		return out + errOut
	}
	if out := cli(exitOK, "parameters", "put", "/ci/npm-token", "npm-s3cret", "-type", "SecureString"); out != "/ci/npm-token version 1 (SecureString)\n" {
		t.Errorf("put printed %q", out)
	}
	cli(exitFindings, "parameters", "put", "/ci/npm-token", "again")
	cli(exitOK, "parameters", "put", "/ci/npm-token", "npm-t0ken-2", "-type", "SecureString", "-overwrite")
	if out := cli(exitOK, "parameters", "get", "/ci/npm-token:1"); out != "npm-s3cret\n" {
		t.Errorf("get of version 1: %q", out)
	}
	if out := cli(exitOK, "parameters", "get", "arn:aws:ssm:us-east-1:111111111111:parameter/ci/npm-token"); out != "npm-t0ken-2\n" {
		t.Errorf("get by ARN: %q", out)
	}
	if out := cli(exitOK, "parameters", "list"); !strings.Contains(out, "/ci/npm-token") || !strings.Contains(out, "SecureString") || strings.Contains(out, "npm-t0ken-2") {
		t.Errorf("list:\n%s", out)
	}
	if out := cli(exitFindings, "parameters", "get", "/ci/npm-token", "-account", "222222222222"); !strings.Contains(out, "/ci/npm-token") {
		t.Errorf("another account's get: %q", out)
	}
	cli(exitUsage, "parameters", "put", "/x", "y", "-type", "Secure")
	cli(exitUsage, "parameters", "get")

	put := cli(exitOK, "secrets", "put", "ci/dockerhub", `{"user":"octo","token":"old"}`)
	if !regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:111111111111:secret:ci/dockerhub-\w{6} version [0-9a-f-]{36} \(AWSCURRENT\)\n$`).MatchString(put) {
		t.Errorf("secrets put printed %q", put)
	}
	cli(exitOK, "secrets", "put", "ci/dockerhub", `{"user":"octo","token":"new"}`)
	if out := cli(exitOK, "secrets", "get", "ci/dockerhub", "-key", "token"); out != "new\n" {
		t.Errorf("current token %q", out)
	}
	if out := cli(exitOK, "secrets", "get", strings.Fields(put)[0], "-key", "token", "-stage", "AWSPREVIOUS"); out != "old\n" {
		t.Errorf("previous token by ARN %q", out)
	}
	if out := cli(exitOK, "secrets", "list"); !strings.Contains(out, "ci/dockerhub") || strings.Contains(out, "new") {
		t.Errorf("list:\n%s", out)
	}
	if out := cli(exitFindings, "secrets", "get", "ci/dockerhub", "-key", "password"); !strings.Contains(out, `no key "password"`) {
		t.Errorf("missing key: %q", out)
	}
	cli(exitOK, "secrets", "delete", "ci/dockerhub")
	cli(exitFindings, "secrets", "get", "ci/dockerhub")
	cli(exitOK, "parameters", "delete", "/ci/npm-token")
	if out := cli(exitOK, "parameters", "list"); !strings.Contains(out, "no parameters") {
		t.Errorf("list after delete: %q", out)
	}
}
