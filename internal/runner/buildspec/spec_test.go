package buildspec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseFull(t *testing.T) {
	spec, err := Parse([]byte(`
version: 0.2
env:
  shell: sh
  variables:
    GREETING: hello
    COUNT: 3
  exported-variables:
    - IMAGE_TAG
phases:
  install:
    runtime-versions:
      golang: 1.22
    commands:
      - echo install
  pre_build:
    on-failure: CONTINUE
    commands: [echo pre]
  build:
    commands:
      - |
        echo one
        echo two
    finally:
      - echo cleanup
  post_build:
artifacts:
  files:
    - '**/*'
  base-directory: dist
  discard-paths: yes
  name: web
  exclude-paths: ['*.map']
  secondary-artifacts:
    docs:
      files: [docs/**/*]
      discard-paths: no
reports:
  unit: {files: [x]}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Spec{
		Version:           "0.2",
		Shell:             "sh",
		Variables:         map[string]string{"GREETING": "hello", "COUNT": "3"},
		ExportedVariables: []string{"IMAGE_TAG"},
		Phases: map[PhaseName]*Phase{
			Install:   {OnFailure: Abort, Commands: []string{"echo install"}},
			PreBuild:  {OnFailure: Continue, Commands: []string{"echo pre"}},
			Build:     {OnFailure: Abort, Commands: []string{"echo one\necho two\n"}, Finally: []string{"echo cleanup"}},
			PostBuild: {OnFailure: Abort},
		},
		Artifacts: &ArtifactSpec{Files: []string{"**/*"}, BaseDirectory: "dist", DiscardPaths: true, Name: "web", ExcludePaths: []string{"*.map"}},
		SecondaryArtifacts: map[string]*ArtifactSpec{
			"docs": {Files: []string{"docs/**/*"}},
		},
		Warnings: []string{
			"phases.install.runtime-versions: ignored by the local backend: the tools on this machine's PATH are used",
			"reports: ignored by the local backend",
		},
	}
	if !reflect.DeepEqual(spec, want) {
		t.Errorf("got  %+v\nwant %+v", spec, want)
		for _, n := range Phases {
			if !reflect.DeepEqual(spec.Phases[n], want.Phases[n]) {
				t.Errorf("phase %s: %+v, want %+v", n, spec.Phases[n], want.Phases[n])
			}
		}
	}
}

func TestParseDefaults(t *testing.T) {
	spec, err := Parse([]byte("version: 0.2\nphases:\n  build:\n    commands: [make]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if spec.Shell != "bash" || spec.Phases[Build].OnFailure != Abort || spec.Artifacts != nil {
		t.Errorf("defaults: %+v", spec)
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string // each a field that must be named
	}{
		{"not yaml", "version: [", []string{"(document)"}},
		{"empty", "", []string{"(document)"}},
		{"not a mapping", "- a\n- b\n", []string{"(document)"}},
		{"missing version and phases", "env: {}\n", []string{"buildspec version", "buildspec phases"}},
		{"version 0.1", "version: 0.1\nphases: {}\n", []string{"buildspec version (line 1): must be 0.2"}},
		{"unknown top key", "version: 0.2\nphases: {}\nstages: {}\n", []string{"stages (line 3): unknown key"}},
		{"bad shell", "version: 0.2\nenv: {shell: zsh}\nphases: {}\n", []string{"env.shell"}},
		{"bad variable name", "version: 0.2\nenv:\n  variables: {1BAD: x}\nphases: {}\n", []string{"env.variables.1BAD"}},
		{"reserved variable", "version: 0.2\nenv:\n  variables: {CODEBUILD_X: x}\nphases: {}\n", []string{"env.variables.CODEBUILD_X"}},
		{"variable not a value", "version: 0.2\nenv:\n  variables: {A: [1]}\nphases: {}\n", []string{"env.variables.A"}},
		{"parameter store", "version: 0.2\nenv:\n  parameter-store: {A: /x}\nphases: {}\n", []string{"env.parameter-store"}},
		{"unknown phase", "version: 0.2\nphases:\n  deploy: {commands: [x]}\n", []string{"phases.deploy"}},
		{"bad on-failure", "version: 0.2\nphases:\n  build: {on-failure: RETRY, commands: [x]}\n", []string{"phases.build.on-failure (line 3): must be ABORT or CONTINUE"}},
		{"commands not a list", "version: 0.2\nphases:\n  build: {commands: {a: b}}\n", []string{"phases.build.commands"}},
		{"command not a string", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo ok\n      - [nested]\n", []string{"phases.build.commands[1]"}},
		{"unknown phase key", "version: 0.2\nphases:\n  build: {command: [x]}\n", []string{"phases.build.command"}},
		{"runtime-versions outside install", "version: 0.2\nphases:\n  build: {runtime-versions: {go: 1}}\n", []string{"phases.build.runtime-versions"}},
		{"duplicate key", "version: 0.2\nphases:\n  build: {commands: [a]}\n  build: {commands: [b]}\n", []string{"phases.build (line 4): duplicate key"}},
		{"artifacts without files", "version: 0.2\nphases: {}\nartifacts: {name: x}\n", []string{"artifacts.files"}},
		{"base-directory escapes", "version: 0.2\nphases: {}\nartifacts: {files: [a], base-directory: ../up}\n", []string{"artifacts.base-directory"}},
		{"absolute pattern", "version: 0.2\nphases: {}\nartifacts: {files: [/etc/passwd]}\n", []string{"artifacts.files[0]"}},
		{"bad pattern", "version: 0.2\nphases: {}\nartifacts: {files: ['[']}\n", []string{"artifacts.files[0]"}},
		{"bad discard-paths", "version: 0.2\nphases: {}\nartifacts: {files: [a], discard-paths: maybe}\n", []string{"artifacts.discard-paths"}},
		{"secondary without files", "version: 0.2\nphases: {}\nartifacts:\n  secondary-artifacts:\n    out1: {name: x}\n", []string{"artifacts.secondary-artifacts.out1.files"}},
		{"bad secondary identifier", "version: 0.2\nphases: {}\nartifacts:\n  secondary-artifacts:\n    out-1: {files: [a]}\n", []string{"artifacts.secondary-artifacts.out-1"}},
		{"several errors at once", "version: 0.3\nenv: {shell: fish}\nphases: {}\n", []string{"buildspec version", "env.shell"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error %T is not a *FieldError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}
