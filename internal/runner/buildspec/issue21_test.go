package buildspec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// Buildspecs in the shapes real projects write them: a test stage that must stop the build
// when its tests fail, a multi-input build that packages each source from its own directory,
// a release build that names its artifact from the environment.

func phaseStatuses(res *Result) [4]S {
	var got [4]S
	for i, p := range res.Phases {
		got[i] = p.Status
	}
	return got
}

func TestOnFailureAbortAndContinue(t *testing.T) {
	for _, tc := range []struct {
		name     string
		spec     string
		statuses [4]S
		upload   bool
		output   string
	}{
		{
			// A failing test run must not push anything: post_build (the push) never runs.
			name: "ABORT on a failed build ends the build: no post_build, no artifacts",
			spec: `
version: 0.2
phases:
  build:
    on-failure: ABORT
    commands:
      - echo testing
      - "false"
    finally:
      - echo cleanup
  post_build:
    commands:
      - echo pushing the image
artifacts:
  files: ['**/*']
`,
			statuses: [4]S{ok, ok, fail, skip}, upload: false, output: "testing|cleanup",
		},
		{
			name: "ABORT on install ends the build like the default does",
			spec: `
version: 0.2
phases:
  install: {on-failure: ABORT, commands: ["exit 3"]}
  build: {commands: [echo b]}
`,
			statuses: [4]S{fail, skip, skip, skip}, upload: false, output: "",
		},
		{
			name: "ABORT on post_build: the build fails and uploads nothing",
			spec: `
version: 0.2
phases:
  build: {commands: [echo b]}
  post_build: {on-failure: ABORT, commands: ["false"]}
`,
			statuses: [4]S{ok, ok, ok, fail}, upload: false, output: "b",
		},
		{
			name: "CONTINUE on a failed build goes on to post_build, which sees the failure",
			spec: `
version: 0.2
phases:
  build:
    on-failure: CONTINUE
    commands: ["false"]
  post_build:
    commands: ['echo "post $CODEBUILD_BUILD_SUCCEEDING"']
`,
			statuses: [4]S{ok, ok, fail, ok}, upload: true, output: "post 0",
		},
		{
			name: "CONTINUE on pre_build runs build and post_build",
			spec: `
version: 0.2
phases:
  pre_build: {on-failure: CONTINUE, commands: ["exit 9"]}
  build: {commands: [echo b]}
  post_build: {commands: [echo o]}
`,
			statuses: [4]S{ok, fail, ok, ok}, upload: true, output: "b|o",
		},
		{
			name: "without on-failure a failed build still runs post_build (the default transitions)",
			spec: `
version: 0.2
phases:
  build: {commands: ["false"]}
  post_build: {commands: [echo o]}
`,
			statuses: [4]S{ok, ok, fail, ok}, upload: true, output: "o",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			res, err := Run(context.Background(), mustParse(t, tc.spec), testEnv(t, &out))
			if err != nil {
				t.Fatal(err)
			}
			if got := phaseStatuses(res); got != tc.statuses {
				t.Errorf("statuses %v, want %v", got, tc.statuses)
			}
			if res.Succeeded || res.UploadArtifacts != tc.upload {
				t.Errorf("succeeded=%v upload=%v, want false %v", res.Succeeded, res.UploadArtifacts, tc.upload)
			}
			if (res.Expanded != nil) != tc.upload {
				t.Errorf("expanded sections %v with upload %v", res.Expanded != nil, tc.upload)
			}
			if g := userOutput(out.String()); g != tc.output {
				t.Errorf("output %q, want %q", g, tc.output)
			}
		})
	}
}

// The CodeBuild user guide's multi-input sample: each secondary artifact's base-directory is
// a source directory variable; plus a variable of env.variables, one exported in a phase, a
// command substitution in the name and a discard-paths from a variable.
func TestArtifactSectionsAreExpandedWithTheFinalEnvironment(t *testing.T) {
	var out bytes.Buffer
	env := testEnv(t, &out)
	second := t.TempDir()
	env.SecondarySourceDirs = map[string]string{"source2": second}
	spec := mustParse(t, `
version: 0.2
env:
  variables:
    DIST: dist
    FLAT: "yes"
phases:
  build:
    commands:
      - mkdir -p "$DIST/js" reports
      - echo app > "$DIST/js/app.js"
      - echo '<testsuite/>' > reports/unit.xml
      - touch source1_file
      - cd $CODEBUILD_SRC_DIR_source2
      - touch source2_file
      - export VERSION=1.4.2
artifacts:
  files:
    - '$DIST/**/*'
  name: web-$VERSION-$(echo built)
  discard-paths: $FLAT
  secondary-artifacts:
    artifact1:
      base-directory: $CODEBUILD_SRC_DIR
      files:
        - source1_file
    artifact2:
      base-directory: $CODEBUILD_SRC_DIR_source2
      files:
        - source2_file
    reports:
      base-directory: ${CODEBUILD_SRC_DIR}/reports
      files:
        - $CODEBUILD_SRC_DIR/reports/unit.xml
`)
	res, err := Run(context.Background(), spec, env)
	if err != nil || !res.Succeeded {
		t.Fatalf("res %+v err %v\n%s", res, err, out.String())
	}
	arts, err := CollectArtifacts(res.Expanded, Dirs{Primary: env.PrimarySourceDir, Secondary: env.SecondarySourceDirs})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(arts.Primary); got != "dist/js/app.js=>app.js" {
		t.Errorf("primary %q", got)
	}
	if arts.Primary.Name != "web-1.4.2-built" {
		t.Errorf("name %q", arts.Primary.Name)
	}
	for id, want := range map[string]string{"artifact1": "source1_file", "artifact2": "source2_file", "reports": "unit.xml"} {
		if got := names(arts.Secondary[id]); got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
	if d := arts.Secondary["artifact2"].Dir; d != realPath(second) {
		t.Errorf("artifact2 is zipped from %s, want %s", d, second)
	}
	// The buildspec itself is left as it was.
	if spec.Artifacts.Files[0] != "$DIST/**/*" || !spec.Artifacts.DiscardPaths == (spec.Artifacts.deferred == nil) {
		t.Errorf("the parsed spec changed: %+v", spec.Artifacts)
	}
}

func TestExpandedPathsMustStayInTheBuildDirectories(t *testing.T) {
	outside := t.TempDir()
	for _, tc := range []struct {
		name, artifacts string
		field, says     string
	}{
		{"absolute base directory outside", "{files: ['**/*'], base-directory: " + outside + "}",
			"artifacts.base-directory", "is outside the build's directories: an absolute base directory must lie inside CODEBUILD_SRC_DIR"},
		{"a variable leading outside", "{files: ['**/*'], base-directory: $OUTSIDE}",
			"artifacts.base-directory", outside + " is outside the build's directories"},
		{"relative base leaving through a variable", "{files: ['**/*'], base-directory: $UP}",
			"artifacts.base-directory", "leaves CODEBUILD_SRC_DIR"},
		{"absolute file outside the base", "{files: ['$OUTSIDE/secret.txt'], base-directory: dist}",
			"artifacts.files[0]", "is outside the base directory"},
		{"a variable in a yes/no setting that is neither", "{files: ['**/*'], discard-paths: $UP}",
			"artifacts.discard-paths", `must be yes or no, got "../.."`},
		{"a failing expansion", "{files: ['${MISSING:?is not set}']}",
			"", "expanding the artifact sections failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			env := testEnv(t, &out)
			env.Vars = map[string]string{"OUTSIDE": outside, "UP": "../.."}
			if err := os.MkdirAll(filepath.Join(env.PrimarySourceDir, "dist"), 0o755); err != nil {
				t.Fatal(err)
			}
			writeFiles(t, env.PrimarySourceDir, "dist/a.txt")
			res, err := Run(context.Background(), mustParse(t, "version: 0.2\nphases: {build: {commands: [echo]}}\nartifacts: "+tc.artifacts+"\n"), env)
			if err != nil {
				t.Fatal(err)
			}
			err = res.ExpandError
			if err == nil {
				_, err = CollectArtifacts(res.Expanded, Dirs{Primary: env.PrimarySourceDir})
			} else if res.Succeeded || !strings.Contains(res.Failure(), "UPLOAD_ARTIFACTS") {
				t.Errorf("an expansion error must fail the build in UPLOAD_ARTIFACTS: %+v", res)
			}
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want one saying %q", err, tc.says)
			}
			var fe *FieldError
			if tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field) {
				t.Errorf("err = %v, want a FieldError for %s", err, tc.field)
			}
		})
	}
}

func TestAbsolutePathsInsideASecondarySourceAreFine(t *testing.T) {
	src, second := t.TempDir(), t.TempDir()
	writeFiles(t, second, "out/lib.so", "out/lib.h")
	spec := mustParse(t, "version: 0.2\nphases: {}\nartifacts: {files: ["+second+"/out/lib.so], base-directory: "+second+"/out}\n")
	arts, err := CollectArtifacts(spec, Dirs{Primary: src, Secondary: map[string]string{"tools": second}})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(arts.Primary); got != "lib.so" {
		t.Errorf("entries %q", got)
	}
}

func TestBaseDirectoryPatternNamesEveryMatchingDirectory(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, "my-build-1/my-file-1.txt", "my-build-2/my-file-2.txt", "my-build-2/my-subdirectory/my-file-3.txt", "other/x.txt")
	spec := mustParse(t, "version: 0.2\nphases: {}\nartifacts: {files: ['**/*'], base-directory: 'my-build*', discard-paths: yes}\n")
	arts, err := CollectArtifacts(spec, Dirs{Primary: src})
	if err != nil {
		t.Fatal(err)
	}
	want := "my-build-1/my-file-1.txt=>my-file-1.txt my-build-2/my-file-2.txt=>my-file-2.txt my-build-2/my-subdirectory/my-file-3.txt=>my-file-3.txt"
	if got := names(arts.Primary); got != want {
		t.Errorf("entries %q\nwant    %q", got, want)
	}
}

func TestBuiltinVariables(t *testing.T) {
	var out bytes.Buffer
	env := testEnv(t, &out)
	env.Environ = []string{"HOME=/home/builder"} // no PATH: the build gets the usual one
	env.Builtin = map[string]string{"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1", "CODEBUILD_BUILD_ID": "app:1234"}
	spec := mustParse(t, `
version: 0.2
env:
  variables:
    AWS_DEFAULT_REGION: us-east-2
phases:
  build:
    commands:
      - echo "$AWS_REGION $AWS_DEFAULT_REGION $CODEBUILD_BUILD_ID $HOME"
      - test -n "$PATH" && command -v ls >/dev/null && echo path
`)
	res, err := Run(context.Background(), spec, env)
	if err != nil || !res.Succeeded {
		t.Fatalf("res %+v err %v\n%s", res, err, out.String())
	}
	if got := userOutput(out.String()); got != "eu-west-1 us-east-2 app:1234 /home/builder|path" {
		t.Errorf("output %q", got)
	}
}

// fakeSecrets stands in for a parameter and secret store: what item 5 plugs in.
type fakeSecrets map[string]string

func (f fakeSecrets) Parameter(_ context.Context, name string) (string, error) {
	if v, ok := f["ssm:"+name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("parameter %s not found", name)
}

func (f fakeSecrets) Secret(_ context.Context, id, stage, version string) (string, error) {
	if v, ok := f["sm:"+id+":"+stage+":"+version]; ok {
		return v, nil
	}
	return "", fmt.Errorf("secret %s not found", id)
}

const secretsBuildspec = `
version: 0.2
env:
  parameter-store:
    DOCKER_PASSWORD: /ci/docker/password
  secrets-manager:
    DB_PASSWORD: prod/db:password
    API_TOKEN: arn:aws:secretsmanager:us-east-1:111111111111:secret:api-AbCdEf::AWSPREVIOUS
  exported-variables: [DB_PASSWORD, IMAGE_TAG]
phases:
  build:
    commands:
      - echo "login with $DOCKER_PASSWORD"
      - printf 'db=%s token=%s\n' "$DB_PASSWORD" "$API_TOKEN"
      - export IMAGE_TAG=v1
`

func TestSecretVariablesWithoutAStoreFailClearly(t *testing.T) {
	var out bytes.Buffer
	env := testEnv(t, &out)
	env.SecretVars = []SecretVar{{Name: "NPM_TOKEN", Kind: ParameterStore, Ref: "/ci/npm", Origin: "EnvironmentVariables NPM_TOKEN (PARAMETER_STORE)"}}
	_, err := Run(context.Background(), mustParse(t, secretsBuildspec), env)
	if err == nil {
		t.Fatal("a build with secret variables ran without a store")
	}
	for _, want := range []string{
		"env.parameter-store.DOCKER_PASSWORD (parameter /ci/docker/password): the local backend has no parameter store",
		"env.secrets-manager.DB_PASSWORD (secret prod/db:password): the local backend has no secret store",
		"env.secrets-manager.API_TOKEN",
		"EnvironmentVariables NPM_TOKEN (PARAMETER_STORE)",
		"pass such values as PLAINTEXT variables",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(out.String(), "login") {
		t.Error("a phase ran")
	}
}

func TestSecretVariablesAreResolvedMaskedAndNotExported(t *testing.T) {
	var out bytes.Buffer
	env := testEnv(t, &out)
	env.Secrets = fakeSecrets{
		"ssm:/ci/docker/password": "hunter2-docker",
		"sm:prod/db::":            `{"password": "s3cr3t-db", "user": "app"}`,
		"sm:arn:aws:secretsmanager:us-east-1:111111111111:secret:api-AbCdEf:AWSPREVIOUS:": "tok-123",
	}
	res, err := Run(context.Background(), mustParse(t, secretsBuildspec), env)
	if err != nil || !res.Succeeded {
		t.Fatalf("res %+v err %v\n%s", res, err, out.String())
	}
	if got := userOutput(out.String()); got != "login with ***|db=*** token=***" {
		t.Errorf("output %q", got)
	}
	for _, secret := range []string{"hunter2", "s3cr3t", "tok-123"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("the log shows %q:\n%s", secret, out.String())
		}
	}
	if want := map[string]string{"IMAGE_TAG": "v1"}; !reflect.DeepEqual(res.ExportedVariables, want) {
		t.Errorf("exported %v, want %v", res.ExportedVariables, want)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "DB_PASSWORD holds a secret and is not exported") {
		t.Errorf("warnings %q", res.Warnings)
	}
}

func TestMaskerMasksSecretsSplitAcrossWrites(t *testing.T) {
	var out bytes.Buffer
	m := newMasker(&out, []string{"abcdef", "abc", "xyz"})
	for _, chunk := range []string{"1 ab", "cdef 2 a", "bc 3 abx", "y", "z xy"} {
		if _, err := m.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	m.Flush()
	if got, want := out.String(), "1 *** 2 *** 3 ab*** xy"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRunAs(t *testing.T) {
	spec := mustParse(t, `
version: 0.2
run-as: nobody
phases:
  install:
    run-as: root
    commands:
      - id -un > installer
  build:
    commands:
      - id -un
      - echo "$HOME" | grep -qv '^/root$' && echo "home is not root's"
      - touch built-by-build
  post_build:
    commands:
      - echo "post $(id -un)"
`)
	var out bytes.Buffer
	env := testEnv(t, &out)
	if os.Geteuid() != 0 {
		// Not root: the build must refuse before running anything, saying why.
		_, err := Run(context.Background(), spec, env)
		var fe *FieldError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), "needs a process that may switch users (root)") {
			t.Fatalf("err = %v, want a clear refusal", err)
		}
		return
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("this test needs the user nobody: %v", err)
	}
	// The source directory's parents must let the user in: the executor puts run-as builds
	// in a directory of their own; here the test's temporary directory is made reachable.
	for d := filepath.Dir(env.PrimarySourceDir); d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Run(context.Background(), spec, env)
	if err != nil || !res.Succeeded {
		t.Fatalf("res %+v err %v\n%s", res, err, out.String())
	}
	if got := userOutput(out.String()); got != "nobody|home is not root's|post nobody" {
		t.Errorf("output %q", got)
	}
	data, _ := os.ReadFile(filepath.Join(env.PrimarySourceDir, "installer"))
	if strings.TrimSpace(string(data)) != "root" {
		t.Errorf("the install phase's run-as did not win: %q", data)
	}
	fi, err := os.Stat(filepath.Join(env.PrimarySourceDir, "built-by-build"))
	if err != nil {
		t.Fatal(err)
	}
	if uid := fmt.Sprint(fi.Sys().(*syscall.Stat_t).Uid); uid != nobody.Uid {
		t.Errorf("the build phase's file belongs to uid %s, want nobody's %s", uid, nobody.Uid)
	}
}

func TestRunAsUnknownUserFailsBeforeAnyPhase(t *testing.T) {
	var out bytes.Buffer
	env := testEnv(t, &out)
	_, err := Run(context.Background(), mustParse(t, "version: 0.2\nphases:\n  build:\n    run-as: no-such-user-21\n    commands: [touch ran]\n"), env)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "phases.build.run-as" || !strings.Contains(err.Error(), `no user "no-such-user-21"`) {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(env.PrimarySourceDir, "ran")); err == nil {
		t.Error("the phase ran")
	}
}

func TestBatchOnlyBuildspecDoesNotRunAsOneBuild(t *testing.T) {
	spec := mustParse(t, "version: 0.2\nbatch:\n  build-list:\n    - identifier: linux\n      buildspec: ci/linux.yml\n")
	var out bytes.Buffer
	_, err := Run(context.Background(), spec, testEnv(t, &out))
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "phases" || !strings.Contains(err.Error(), "only defines a batch") {
		t.Fatalf("err = %v", err)
	}
}

// A run-as user cannot put anything into the runner's state directory (where the next
// block's script, written by root, will go), nor have root change files outside the build
// through a symlink it left among the sources.
func TestRunAsUserCannotReachBeyondItsBuild(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test switches users: run it as root (make test does, in CI)")
	}
	var out bytes.Buffer
	env := testEnv(t, &out)
	for d := filepath.Dir(env.PrimarySourceDir); d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, []byte("root's"), 0o600); err != nil {
		t.Fatal(err)
	}
	spec := mustParse(t, `
version: 0.2
phases:
  install:
    run-as: nobody
    commands:
      - 'for n in 1 2 3 4 5 6 7 8 9; do ln -s "$OUTSIDE" "$(dirname "$0")/$n.sh" 2>/dev/null && echo planted; done; echo tried'
      - ln -s "$OUTSIDE" link-out
  pre_build:
    run-as: daemon
    commands:
      - echo second user
  build:
    commands:
      - echo root again
`)
	env.Vars = map[string]string{"OUTSIDE": outside}
	res, err := Run(context.Background(), spec, env)
	if err != nil || !res.Succeeded {
		t.Fatalf("res %+v err %v\n%s", res, err, out.String())
	}
	if got := userOutput(out.String()); got != "tried|second user|root again" {
		t.Errorf("output %q", got)
	}
	fi, err := os.Stat(outside)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 {
		t.Errorf("the file outside the build now belongs to uid %d: a grant followed the build's symlink", st.Uid)
	}
	if data, _ := os.ReadFile(outside); string(data) != "root's" {
		t.Errorf("the file outside the build was written: %q", data)
	}
}
