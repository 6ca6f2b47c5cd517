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
			Install:   {Commands: []string{"echo install"}},
			PreBuild:  {OnFailure: Continue, Commands: []string{"echo pre"}},
			Build:     {Commands: []string{"echo one\necho two\n"}, Finally: []string{"echo cleanup"}},
			PostBuild: {},
		},
		HasPhases: true,
		Artifacts: &ArtifactSpec{Files: []string{"**/*"}, BaseDirectory: "dist", DiscardPaths: true, Name: "web", ExcludePaths: []string{"*.map"}},
		SecondaryArtifacts: map[string]*ArtifactSpec{
			"docs": {Files: []string{"docs/**/*"}},
		},
		Reports: map[string]*ReportSpec{
			"unit": {ArtifactSpec: &ArtifactSpec{Files: []string{"x"}}, FileFormat: "JUNITXML"},
		},
		Warnings: []string{
			"phases.install.runtime-versions: ignored by the local backend: the tools on this machine's PATH are used",
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
	if spec.Shell != "bash" || spec.Phases[Build].OnFailure != DefaultTransitions || spec.Artifacts != nil {
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
		{"parameter store name", "version: 0.2\nenv:\n  parameter-store: {1A: /x}\nphases: {}\n", []string{"env.parameter-store.1A"}},
		{"secrets-manager with stage and id", "version: 0.2\nenv:\n  secrets-manager: {A: 'db:password:AWSCURRENT:v1'}\nphases: {}\n", []string{"env.secrets-manager.A", "both a version stage and a version id"}},
		{"secrets-manager bad ARN", "version: 0.2\nenv:\n  secrets-manager: {A: 'arn:aws:secretsmanager:us-east-1'}\nphases: {}\n", []string{"env.secrets-manager.A", "not a secret ARN"}},
		{"run-as not a user name", "version: 0.2\nrun-as: 'a b'\nphases: {}\n", []string{"run-as", "not a Linux user name"}},
		{"report format", "version: 0.2\nphases: {}\nreports:\n  unit: {files: [a], file-format: XUNIT}\n", []string{"reports.unit.file-format"}},
		{"report without files", "version: 0.2\nphases: {}\nreports:\n  unit: {base-directory: out}\n", []string{"reports.unit.files"}},
		{"batch without a kind", "version: 0.2\nbatch: {fast-fail: true}\n", []string{"batch (line 2): needs one of build-list"}},
		{"batch with two kinds", "version: 0.2\nbatch:\n  build-list: [{identifier: a}]\n  build-graph: [{identifier: b}]\n", []string{"batch.build-graph", "already given"}},
		{"batch build without identifier", "version: 0.2\nbatch:\n  build-list: [{buildspec: x.yml}]\n", []string{"batch.build-list[0].identifier"}},
		{"batch identifier with a dash", "version: 0.2\nbatch:\n  build-list: [{identifier: a-b}]\n", []string{"batch.build-list[0].identifier"}},
		{"batch duplicate identifier", "version: 0.2\nbatch:\n  build-list: [{identifier: a}, {identifier: a}]\n", []string{"duplicate identifier"}},
		{"depend-on outside a graph", "version: 0.2\nbatch:\n  build-list: [{identifier: a, depend-on: [b]}]\n", []string{"batch.build-list[0].depend-on"}},
		{"graph unknown dependency", "version: 0.2\nbatch:\n  build-graph: [{identifier: a, depend-on: [b]}]\n", []string{"batch.build-graph[0].depend-on", `"b" is not the identifier`}},
		{"graph cycle", "version: 0.2\nbatch:\n  build-graph:\n    - {identifier: a, depend-on: [c]}\n    - {identifier: b, depend-on: [a]}\n    - {identifier: c, depend-on: [b]}\n", []string{"cycle: a → c → b → a"}},
		{"unknown phase", "version: 0.2\nphases:\n  deploy: {commands: [x]}\n", []string{"phases.deploy"}},
		{"bad on-failure", "version: 0.2\nphases:\n  build: {on-failure: RETRY, commands: [x]}\n", []string{"phases.build.on-failure (line 3): must be ABORT or CONTINUE"}},
		{"commands not a list", "version: 0.2\nphases:\n  build: {commands: {a: b}}\n", []string{"phases.build.commands"}},
		{"command not a string", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo ok\n      - [nested]\n", []string{"phases.build.commands[1]"}},
		{"unknown phase key", "version: 0.2\nphases:\n  build: {command: [x]}\n", []string{"phases.build.command"}},
		{"runtime-versions outside install", "version: 0.2\nphases:\n  build: {runtime-versions: {go: 1}}\n", []string{"phases.build.runtime-versions"}},
		{"duplicate key", "version: 0.2\nphases:\n  build: {commands: [a]}\n  build: {commands: [b]}\n", []string{"phases.build (line 4): duplicate key"}},
		{"artifacts without files", "version: 0.2\nphases: {}\nartifacts: {name: x}\n", []string{"artifacts.files"}},
		{"base-directory escapes", "version: 0.2\nphases: {}\nartifacts: {files: [a], base-directory: ../up}\n", []string{"artifacts.base-directory"}},
		{"pattern leaving the directory", "version: 0.2\nphases: {}\nartifacts: {files: [../x]}\n", []string{"artifacts.files[0]"}},
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
