package buildspec

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// userOutput drops the [Container] lines Run adds, leaving what the commands printed.
func userOutput(s string) string {
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if !strings.HasPrefix(l, "[Container]") && l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "|")
}

func mustParse(t *testing.T, y string) *Spec {
	t.Helper()
	s, err := Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testEnv(t *testing.T, out *bytes.Buffer) Env {
	src := t.TempDir()
	return Env{
		PrimarySourceDir: src,
		Environ:          []string{"PATH=" + os.Getenv("PATH"), "HOME=" + src},
		Stdout:           out, Stderr: out,
	}
}

type S = PhaseStatus

const (
	ok   = StatusSucceeded
	fail = StatusFailed
	skip = StatusSkipped
)

func TestRunPhaseTransitions(t *testing.T) {
	for _, tc := range []struct {
		name      string
		spec      string
		statuses  [4]S
		succeeded bool
		exitCode  int
		upload    bool
		output    string // what the commands printed, lines joined by |
		outputHas string // instead of output: a part of it
		failed    string // the failed command reported by the first failed phase
	}{
		{
			name:     "all succeed",
			spec:     `{version: 0.2, phases: {install: {commands: [echo i]}, pre_build: {commands: [echo p]}, build: {commands: [echo b]}, post_build: {commands: [echo o]}}}`,
			statuses: [4]S{ok, ok, ok, ok}, succeeded: true, upload: true, output: "i|p|b|o",
		},
		{
			name:     "failed install skips everything after, artifacts included; its finally runs",
			spec:     `{version: 0.2, phases: {install: {commands: [echo i, "exit 3", echo never], finally: [echo fin]}, pre_build: {commands: [echo p]}, build: {commands: [echo b]}, post_build: {commands: [echo o]}}}`,
			statuses: [4]S{fail, skip, skip, skip}, exitCode: 3, output: "i|fin", failed: "exit 3",
		},
		{
			name:     "failed pre_build skips build and post_build",
			spec:     `{version: 0.2, phases: {install: {commands: [echo i]}, pre_build: {commands: ["false"]}, build: {commands: [echo b]}, post_build: {commands: [echo o]}}}`,
			statuses: [4]S{ok, fail, skip, skip}, exitCode: 1, output: "i", failed: "false",
		},
		{
			name:     "failed build still runs post_build and uploads artifacts",
			spec:     `{version: 0.2, phases: {build: {commands: ["exit 5", echo never]}, post_build: {commands: ["echo post $CODEBUILD_BUILD_SUCCEEDING"]}}}`,
			statuses: [4]S{ok, ok, fail, ok}, exitCode: 5, upload: true, output: "post 0", failed: "exit 5",
		},
		{
			name:     "failed post_build fails the build",
			spec:     `{version: 0.2, phases: {build: {commands: ["echo b $CODEBUILD_BUILD_SUCCEEDING"]}, post_build: {commands: ["exit 2"]}}}`,
			statuses: [4]S{ok, ok, ok, fail}, exitCode: 2, upload: true, output: "b 1", failed: "exit 2",
		},
		{
			name:     "on-failure CONTINUE goes on to the next phases but the build fails",
			spec:     `{version: 0.2, phases: {install: {on-failure: CONTINUE, commands: ["exit 4"]}, pre_build: {commands: ["echo p $CODEBUILD_BUILD_SUCCEEDING"]}, build: {commands: [echo b]}}}`,
			statuses: [4]S{fail, ok, ok, ok}, exitCode: 4, upload: true, output: "p 0|b", failed: "exit 4",
		},
		{
			name:     "explicit ABORT on pre_build",
			spec:     `{version: 0.2, phases: {pre_build: {on-failure: ABORT, commands: ["false"]}, build: {commands: [echo b]}}}`,
			statuses: [4]S{ok, fail, skip, skip}, exitCode: 1, failed: "false",
		},
		{
			name:     "finally runs after a failure and sees it",
			spec:     `{version: 0.2, phases: {build: {commands: [echo a, "false", echo never], finally: ["echo fin $CODEBUILD_BUILD_SUCCEEDING"]}}}`,
			statuses: [4]S{ok, ok, fail, ok}, exitCode: 1, upload: true, output: "a|fin 0", failed: "false",
		},
		{
			name:     "a failing finally fails the phase",
			spec:     `{version: 0.2, phases: {pre_build: {commands: [echo a], finally: ["exit 6", echo never]}, build: {commands: [echo b]}}}`,
			statuses: [4]S{ok, fail, skip, skip}, exitCode: 6, output: "a", failed: "exit 6",
		},
		{
			name:     "exit 0 ends only its command",
			spec:     `{version: 0.2, phases: {build: {commands: ["export X=1; cd /", "exit 0", "echo $X $(pwd)"]}}}`,
			statuses: [4]S{ok, ok, ok, ok}, succeeded: true, upload: true, output: "1 /",
		},
		{
			name:     "a syntax error fails its command",
			spec:     `{version: 0.2, phases: {build: {commands: ["if then", echo never]}}}`,
			statuses: [4]S{ok, ok, fail, ok}, exitCode: 2, upload: true, failed: "if then", outputHas: "syntax error",
		},
		{
			name:     "no phases at all",
			spec:     `{version: 0.2, phases: {}}`,
			statuses: [4]S{ok, ok, ok, ok}, succeeded: true, upload: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			res, err := Run(context.Background(), mustParse(t, tc.spec), testEnv(t, &out))
			if err != nil {
				t.Fatal(err)
			}
			var got [4]S
			for i, p := range res.Phases {
				got[i] = p.Status
			}
			if got != tc.statuses {
				t.Errorf("statuses %v, want %v", got, tc.statuses)
			}
			if res.Succeeded != tc.succeeded || res.ExitCode != tc.exitCode || res.UploadArtifacts != tc.upload {
				t.Errorf("succeeded=%v exit=%d upload=%v, want %v %d %v", res.Succeeded, res.ExitCode, res.UploadArtifacts, tc.succeeded, tc.exitCode, tc.upload)
			}
			if g := userOutput(out.String()); tc.outputHas != "" {
				if !strings.Contains(g, tc.outputHas) || strings.Contains(g, "never") {
					t.Errorf("output %q, want it to contain %q", g, tc.outputHas)
				}
			} else if g != tc.output {
				t.Errorf("output %q, want %q\nfull log:\n%s", g, tc.output, out.String())
			}
			failed := ""
			for _, p := range res.Phases {
				if p.Status == fail {
					failed = p.FailedCommand
					break
				}
			}
			if failed != tc.failed {
				t.Errorf("failed command %q, want %q", failed, tc.failed)
			}
			if tc.succeeded != (res.Failure() == "") {
				t.Errorf("Failure() = %q", res.Failure())
			}
		})
	}
}

func TestRunStateCarries(t *testing.T) {
	var out bytes.Buffer
	env := testEnv(t, &out)
	spec := mustParse(t, `
version: 0.2
phases:
  install:
    commands:
      - mkdir -p sub/deeper
      - cd sub
      - export WITHIN=phase
      - echo "$WITHIN $(basename "$PWD")"
      - export ACROSS=phases UNSET_ME=x
  pre_build:
    commands:
      - unset UNSET_ME
    finally:
      - cd deeper
  build:
    commands:
      - echo "$ACROSS ${UNSET_ME:-unset} $(basename "$(pwd)")"
`)
	res, err := Run(context.Background(), spec, env)
	if err != nil || !res.Succeeded {
		t.Fatalf("res %+v err %v\n%s", res, err, out.String())
	}
	if got := userOutput(out.String()); got != "phase sub|phases unset deeper" {
		t.Errorf("output %q", got)
	}
}

func TestRunEnvironment(t *testing.T) {
	var out bytes.Buffer
	env := testEnv(t, &out)
	second := t.TempDir()
	env.SecondarySourceDirs = map[string]string{"src2": second}
	env.Vars = map[string]string{"OVERRIDDEN": "by-action"}
	env.Environ = append(env.Environ, "FROM_BASE=base", "SHLVL=7")
	spec := mustParse(t, `
version: 0.2
env:
  exported-variables: [TAG, NEVER_SET]
  variables:
    OVERRIDDEN: by-buildspec
    PLAIN: plain
phases:
  install:
    commands:
      - echo "$OVERRIDDEN $PLAIN $FROM_BASE $CODEBUILD_BUILD_SUCCEEDING $SHLVL"
  build:
    commands:
      - test "$CODEBUILD_SRC_DIR" = "$(pwd)"
      - test "$CODEBUILD_SRC_DIR_src2" = "`+second+`"
      - export TAG=v1.2
      - echo "$SHLVL"
`)
	res, err := Run(context.Background(), spec, env)
	if err != nil || !res.Succeeded {
		t.Fatalf("res %+v err %v\n%s", res, err, out.String())
	}
	// SHLVL is the base's +1 in every block: it does not grow from phase to phase.
	if got := userOutput(out.String()); got != "by-action plain base 1 8|8" {
		t.Errorf("output %q", got)
	}
	if want := map[string]string{"TAG": "v1.2"}; !reflect.DeepEqual(res.ExportedVariables, want) {
		t.Errorf("exported %v, want %v", res.ExportedVariables, want)
	}
}

func TestRunShells(t *testing.T) {
	for _, tc := range []struct {
		shell string
		ok    bool
	}{{"bash", true}, {"sh", false}} {
		t.Run(tc.shell, func(t *testing.T) {
			var out bytes.Buffer
			// [[ ]] is bash syntax; dash fails it.
			spec := mustParse(t, "version: 0.2\nenv: {shell: "+tc.shell+"}\nphases:\n  build: {commands: ['[[ a == a ]]']}\n")
			res, err := Run(context.Background(), spec, testEnv(t, &out))
			if err != nil {
				t.Fatal(err)
			}
			if res.Succeeded != tc.ok {
				t.Errorf("succeeded = %v, want %v\n%s", res.Succeeded, tc.ok, out.String())
			}
		})
	}
}

func TestRunCancelStopsTheBuild(t *testing.T) {
	var out bytes.Buffer
	env := testEnv(t, &out)
	marker := filepath.Join(env.PrimarySourceDir, "started")
	spec := mustParse(t, `{version: 0.2, phases: {build: {commands: ["touch started; sleep 1000"]}, post_build: {commands: [touch post]}}}`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for {
			if _, err := os.Stat(marker); err == nil {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	env.Grace = 100 * time.Millisecond
	res, err := Run(ctx, spec, env)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	var got [4]S
	for i, p := range res.Phases {
		got[i] = p.Status
	}
	if want := [4]S{ok, ok, StatusStopped, skip}; got != want {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if res.Succeeded || res.UploadArtifacts {
		t.Errorf("result %+v", res)
	}
	if _, err := os.Stat(filepath.Join(env.PrimarySourceDir, "post")); err == nil {
		t.Error("post_build ran after the build was stopped")
	}
}

func TestRunRequiresSourceDir(t *testing.T) {
	if _, err := Run(context.Background(), mustParse(t, "{version: 0.2, phases: {}}"), Env{}); err == nil {
		t.Error("no error without PrimarySourceDir")
	}
}

// TestRunRefusesNULInCommands: a NUL inside a command was dropped by the shell, which then ran
// another command than the one written. Nothing runs.
func TestRunRefusesNULInCommands(t *testing.T) {
	var out bytes.Buffer
	env := testEnv(t, &out)
	marker := filepath.Join(env.PrimarySourceDir, "ran")
	spec := &Spec{Version: "0.2", Phases: map[PhaseName]*Phase{
		Install: {Commands: []string{"touch " + marker}},
		Build:   {Commands: []string{"echo ok", "rm -rf x\x00y"}},
	}}
	res, err := Run(context.Background(), spec, env)
	if err == nil || !strings.Contains(err.Error(), "phase BUILD, commands command 2 contains a NUL character") {
		t.Fatalf("Run = %+v, %v; want an error naming the phase and the command", res, err)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a command ran before the NUL was found: %v", err)
	}
}

// TestRunKeepsItsStateInTempDir: what the shells save (environment included) goes where the
// caller says, and goes when Run returns.
func TestRunKeepsItsStateInTempDir(t *testing.T) {
	var out bytes.Buffer
	env := testEnv(t, &out)
	env.TempDir = t.TempDir()
	spec := mustParse(t, "version: 0.2\nphases:\n  build:\n    commands:\n      - ls \"$(dirname \"$0\")\" > /dev/null && echo \"$0\"\n")
	if _, err := Run(context.Background(), spec, env); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), env.TempDir+"/buildspec-state-") {
		t.Errorf("the shell's script was not in %s:\n%s", env.TempDir, out.String())
	}
	if entries, _ := os.ReadDir(env.TempDir); len(entries) != 0 {
		t.Errorf("left in TempDir: %v", entries)
	}
}
