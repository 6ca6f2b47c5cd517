package local

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// CodeBuild actions run through the executor with buildspecs in the shapes real projects use.

// codeBuild is a Build/CodeBuild action of project "app" running the inline buildspec.
func codeBuildAction(name, spec string, inputs, outputs []string, cfg map[string]string) pipeline.Action {
	c := map[string]string{"ProjectName": "app", "BuildSpec": spec}
	for k, v := range cfg {
		c[k] = v
	}
	return pipeline.Action{
		Name: name, Category: "Build", Owner: "AWS", Provider: "CodeBuild", Version: "1",
		Configuration: c, InputArtifacts: inputs, OutputArtifacts: outputs,
	}
}

// outputFiles reads the output artifact name of an action of a run, as file → content.
func outputFiles(t *testing.T, a *Account, run *backend.Run, stageName, action, name string) map[string]string {
	t.Helper()
	for _, o := range run.Action(stageName, action).Outputs {
		if o.Name == name {
			body, _ := must2(t)(a.GetObject(context.Background(), "", o.Bucket, o.Key, o.VersionID))
			return unzipToMap(t, body)
		}
	}
	t.Fatalf("action %s/%s has no output %q: %+v", stageName, action, name, run.Action(stageName, action).Outputs)
	return nil
}

func logOf(t *testing.T, a *Account, run *backend.Run, stageName, action string) string {
	t.Helper()
	return string(must[[]byte](t)(a.ActionLog(context.Background(), run.Pipeline, run.ID, stageName, action)))
}

func mustSucceed(t *testing.T, a *Account, run *backend.Run, stageName, action string) {
	t.Helper()
	if run.Status != backend.StatusSucceeded {
		act := run.Action(stageName, action)
		t.Fatalf("run %s (%s); action %+v\nlog:\n%s", run.Status, run.StatusReason, act, logOf(t, a, run, stageName, action))
	}
}

// The CodeBuild user guide's pipeline sample with two inputs and two outputs: each output
// artifact is the secondary artifact of the same identifier, not the primary artifacts section.
func TestCodeBuildSeveralOutputsAreTheSecondaryArtifactsOfTheSameIdentifiers(t *testing.T) {
	_, a, _ := accounts(t)
	ctx := context.Background()
	spec := `version: 0.2
phases:
  build:
    commands:
      - touch source1_file
      - cd $CODEBUILD_SRC_DIR_source2
      - touch source2_file
artifacts:
  files:
    - '**/*'
  secondary-artifacts:
    artifact1:
      base-directory: $CODEBUILD_SRC_DIR
      files:
        - source1_file
    artifact2:
      base-directory: $CODEBUILD_SRC_DIR_source2
      files:
        - source2_file
`
	build := codeBuildAction("Build", spec, []string{"src", "source2"}, []string{"artifact1", "artifact2"}, map[string]string{"PrimarySource": "src"})
	p := shellPipeline("multi", "", stage("Build", build))
	p.Stages[0].Actions = append(p.Stages[0].Actions, pipeline.Action{
		Name: "Fetch2", Category: "Source", Owner: "AWS", Provider: "S3", Version: "1",
		Configuration:   map[string]string{"S3Bucket": "multi-source2", "S3ObjectKey": "other.zip"},
		OutputArtifacts: []string{"source2"},
	})
	if _, err := a.CreateBucket(ctx, backend.Bucket{Name: "multi-source2", Versioning: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutObject(ctx, "", "multi-source2", "other.zip", strings.NewReader(string(zipFiles(t, map[string]string{"lib/x.c": "int x;"})))); err != nil {
		t.Fatal(err)
	}
	setupShellPipeline(t, a, p, nil)
	run := startAndRun(t, a, "multi", nil)
	mustSucceed(t, a, run, "Build", "Build")
	if got := outputFiles(t, a, run, "Build", "Build", "artifact1"); len(got) != 1 || got["source1_file"] != "" {
		t.Errorf("artifact1 = %v, want only source1_file", got)
	}
	if got := outputFiles(t, a, run, "Build", "Build", "artifact2"); len(got) != 1 || got["source2_file"] != "" {
		t.Errorf("artifact2 = %v, want only source2_file", got)
	}
}

func TestCodeBuildOneOutputIsThePrimaryArtifact(t *testing.T) {
	_, a, _ := accounts(t)
	spec := `version: 0.2
phases:
  build:
    commands:
      - mkdir -p dist && cp index.html dist/
artifacts:
  files: ['**/*']
  base-directory: dist
  secondary-artifacts:
    site:
      files: [index.html]
`
	p := shellPipeline("one", "", stage("Build", codeBuildAction("Build", spec, []string{"src"}, []string{"site"}, nil)))
	setupShellPipeline(t, a, p, nil)
	run := startAndRun(t, a, "one", nil)
	mustSucceed(t, a, run, "Build", "Build")
	if got := outputFiles(t, a, run, "Build", "Build", "site"); len(got) != 1 || got["index.html"] == "" {
		t.Errorf("site = %v, want the primary artifact (dist's index.html at the top)", got)
	}

	// Several outputs, one without its secondary artifact: the run fails saying which.
	p2 := shellPipeline("two", "", stage("Build", codeBuildAction("Build", spec, []string{"src"}, []string{"site", "docs"}, nil)))
	setupShellPipeline(t, a, p2, nil)
	run = startAndRun(t, a, "two", nil)
	if run.Status != backend.StatusFailed || !strings.Contains(run.Action("Build", "Build").Error, `no secondary artifact "docs"`) {
		t.Errorf("run %s: %q", run.Status, run.Action("Build", "Build").Error)
	}
}

var (
	buildIDPattern  = regexp.MustCompile(`^app:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	startTimeFormat = regexp.MustCompile(`^[0-9]{13}$`)
)

// envOf reads the KEY=VALUE lines a build wrote to env.txt of its output.
func envOf(t *testing.T, files map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(files["env.txt"], "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

func TestCodeBuildBuiltinVariables(t *testing.T) {
	_, a, _ := accounts(t)
	spec := `version: 0.2
phases:
  build:
    commands:
      - env | grep -E '^(AWS_|CODEBUILD_|HOME=|PATH=)' | sort > env.txt
artifacts:
  files: [env.txt]
`
	p := shellPipeline("envs", "", stage("Build", codeBuildAction("Build", spec, []string{"src"}, []string{"out"}, nil)))
	setupShellPipeline(t, a, p, nil)
	var numbers []int
	for range 2 {
		run := startAndRun(t, a, "envs", nil)
		mustSucceed(t, a, run, "Build", "Build")
		env := envOf(t, outputFiles(t, a, run, "Build", "Build", "out"))
		fetch := run.Action("Source", "Fetch")
		input := fetch.Outputs[0]
		for k, want := range map[string]string{
			"AWS_REGION":                        region,
			"AWS_DEFAULT_REGION":                region,
			"CODEBUILD_INITIATOR":               "codepipeline/envs",
			"CODEBUILD_KMS_KEY_ID":              "alias/aws/s3",
			"CODEBUILD_BUILD_IMAGE":             "local",
			"CODEBUILD_SOURCE_VERSION":          "arn:aws:s3:::" + input.Bucket + "/" + input.Key,
			"CODEBUILD_SOURCE_REPO_URL":         "s3://" + input.Bucket + "/" + input.Key,
			"CODEBUILD_RESOLVED_SOURCE_VERSION": fetch.OutputVariables["VersionId"],
			"CODEBUILD_BUILD_SUCCEEDING":        "1",
		} {
			if env[k] != want {
				t.Errorf("%s = %q, want %q", k, env[k], want)
			}
		}
		if !buildIDPattern.MatchString(env["CODEBUILD_BUILD_ID"]) {
			t.Errorf("CODEBUILD_BUILD_ID = %q, want app:UUID", env["CODEBUILD_BUILD_ID"])
		}
		if want := "arn:aws:codebuild:" + region + ":" + acctA + ":build/" + env["CODEBUILD_BUILD_ID"]; env["CODEBUILD_BUILD_ARN"] != want {
			t.Errorf("CODEBUILD_BUILD_ARN = %q, want %q", env["CODEBUILD_BUILD_ARN"], want)
		}
		if !startTimeFormat.MatchString(env["CODEBUILD_START_TIME"]) {
			t.Errorf("CODEBUILD_START_TIME = %q, want milliseconds", env["CODEBUILD_START_TIME"])
		}
		if env["HOME"] == "" || env["PATH"] == "" || env["CODEBUILD_SRC_DIR"] == "" {
			t.Errorf("HOME, PATH or CODEBUILD_SRC_DIR missing: %v", env)
		}
		n, err := strconv.Atoi(env["CODEBUILD_BUILD_NUMBER"])
		if err != nil {
			t.Fatalf("CODEBUILD_BUILD_NUMBER = %q", env["CODEBUILD_BUILD_NUMBER"])
		}
		numbers = append(numbers, n)
	}
	if numbers[0] != 1 || numbers[1] != 2 {
		t.Errorf("build numbers %v, want 1 then 2 (per project, increasing)", numbers)
	}
}

func TestCodeBuildWarningsAndReportsReachTheLogAndTheSummary(t *testing.T) {
	_, a, _ := accounts(t)
	spec := `version: 0.2
env:
  git-credential-helper: yes
phases:
  install:
    runtime-versions:
      python: 3.12
  build:
    commands:
      - mkdir -p reports
      - |
        cat > reports/junit.xml <<'EOF'
        <testsuite name="unit"><testcase classname="app" name="ok"/><testcase classname="app" name="bad"><failure message="boom"/></testcase></testsuite>
        EOF
reports:
  unit-tests:
    files: ['reports/*.xml']
cache:
  paths: ['/root/.cache/pip/**/*']
artifacts:
  files: [index.html]
`
	p := shellPipeline("warn", "", stage("Build", codeBuildAction("Build", spec, []string{"src"}, []string{"out"}, nil)))
	setupShellPipeline(t, a, p, nil)
	run := startAndRun(t, a, "warn", nil)
	mustSucceed(t, a, run, "Build", "Build")
	summary := run.Action("Build", "Build").Summary
	for _, want := range []string{"build succeeded", "unit-tests (JUNITXML): 2 tests, 1 passed, 1 failed, 0 skipped",
		"warnings about env.git-credential-helper, phases.install.runtime-versions, cache (see the log)"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary %q does not say %q", summary, want)
		}
	}
	log := logOf(t, a, run, "Build", "Build")
	for _, want := range []string{
		"[Container] Warning: phases.install.runtime-versions: ignored by the local backend",
		"[Container] Warning: cache: ignored by the local backend",
		"[Container] Warning: env.git-credential-helper: ignored by the local backend",
		"[Container] report unit-tests (JUNITXML): 2 tests, 1 passed, 1 failed, 0 skipped",
		"[Container]   failed: app › bad: boom",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log does not say %q:\n%s", want, log)
		}
	}
}

func TestCodeBuildFailedBuildKeepsItsReportInTheSummary(t *testing.T) {
	_, a, _ := accounts(t)
	spec := `version: 0.2
phases:
  build:
    commands:
      - printf '<testsuite><testcase name="t"><failure message="x"/></testcase></testsuite>' > junit.xml
      - exit 1
reports:
  unit:
    files: [junit.xml]
`
	p := shellPipeline("failrep", "", stage("Build", codeBuildAction("Build", spec, []string{"src"}, nil, nil)))
	setupShellPipeline(t, a, p, nil)
	run := startAndRun(t, a, "failrep", nil)
	act := run.Action("Build", "Build")
	if run.Status != backend.StatusFailed || !strings.Contains(act.Error, "build failed") {
		t.Fatalf("run %s, action %+v", run.Status, act)
	}
	if !strings.Contains(act.Summary, "build failed; unit (JUNITXML): 1 tests, 0 passed, 1 failed") {
		t.Errorf("summary %q", act.Summary)
	}
}

// The buildspecs real projects write for secrets: a SecureString parameter, a JSON secret read
// by key, a secret's previous version by stage and a version by id, and the action's
// PARAMETER_STORE variable, all from the pipeline account's store, masked in the log.
func TestCodeBuildSecretVariablesFromTheStore(t *testing.T) {
	ctx := context.Background()
	_, a, b := accounts(t)
	must[*backend.Parameter](t)(a.PutParameter(ctx, &backend.Parameter{Name: "/ci/npm-token", Type: backend.ParameterSecureString, Value: "npm-s3cret"}, false))
	must[*backend.Parameter](t)(a.PutParameter(ctx, &backend.Parameter{Name: "/ci/region", Type: backend.ParameterString, Value: "eu-west-1"}, false))
	first := must[*backend.Secret](t)(a.PutSecretValue(ctx, "ci/dockerhub", `{"user":"octo","token":"old-token"}`, nil))
	must[*backend.Secret](t)(a.PutSecretValue(ctx, "ci/dockerhub", `{"user":"octo","token":"dckr-t0ken"}`, nil))
	// Account B's store is its own: the same name there is not what the build reads.
	must[*backend.Parameter](t)(b.PutParameter(ctx, &backend.Parameter{Name: "/ci/region", Type: backend.ParameterString, Value: "not-this-one"}, false))
	spec := `version: 0.2
env:
  parameter-store:
    DEPLOY_REGION: /ci/region
  secrets-manager:
    DOCKERHUB_TOKEN: ci/dockerhub:token
    DOCKERHUB_USER: ci/dockerhub:user
    OLD_TOKEN: ci/dockerhub:token:AWSPREVIOUS
    FIRST_TOKEN: ci/dockerhub:token::` + first.VersionID + `
phases:
  build:
    commands:
      - echo "token $DOCKERHUB_TOKEN npm $NPM_TOKEN"
      - mkdir out
      - printf '%s|%s|%s|%s|%s|%s' "$DEPLOY_REGION" "$DOCKERHUB_USER" "$DOCKERHUB_TOKEN" "$OLD_TOKEN" "$FIRST_TOKEN" "$NPM_TOKEN" > out/values
artifacts:
  files: [out/values]
  discard-paths: yes
`
	build := codeBuildAction("Build", spec, []string{"src"}, []string{"out"}, map[string]string{
		"EnvironmentVariables": `[{"name":"NPM_TOKEN","value":"/ci/npm-token","type":"PARAMETER_STORE"}]`,
	})
	p := shellPipeline("secret", "", stage("Build", build))
	setupShellPipeline(t, a, p, nil)
	run := startAndRun(t, a, "secret", nil)
	if run.Status != backend.StatusSucceeded {
		t.Fatalf("run %s: %+v", run.Status, run.Action("Build", "Build"))
	}
	if got, want := outputFiles(t, a, run, "Build", "Build", "out")["values"], "eu-west-1|octo|dckr-t0ken|old-token|old-token|npm-s3cret"; got != want {
		t.Errorf("values %q, want %q", got, want)
	}
	log := logOf(t, a, run, "Build", "Build")
	if strings.Contains(log, "dckr-t0ken") || strings.Contains(log, "npm-s3cret") || !strings.Contains(log, "token *** npm ***") {
		t.Errorf("the log shows a secret or does not mask it:\n%s", log)
	}

	// A variable naming what the store does not have fails the build before its first phase.
	missing := codeBuildAction("Build", "version: 0.2\nenv:\n  secrets-manager:\n    DB: prod/db:password\nphases:\n  build:\n    commands: [touch ran]\n",
		[]string{"src"}, nil, map[string]string{"EnvironmentVariables": `[{"name":"GONE","value":"/ci/gone","type":"PARAMETER_STORE"}]`})
	setupShellPipeline(t, a, shellPipeline("missing", "", stage("Build", missing)), nil)
	run = startAndRun(t, a, "missing", nil)
	msg := run.Action("Build", "Build").Error
	for _, want := range []string{"env.secrets-manager.DB", "prod/db", "GONE", "/ci/gone"} {
		if run.Status != backend.StatusFailed || !strings.Contains(msg, want) {
			t.Errorf("run %s, error %q does not name %q", run.Status, msg, want)
		}
	}
}

func TestCodeBuildRunAsRunsPhasesAsThatUser(t *testing.T) {
	_, a, _ := accounts(t)
	spec := `version: 0.2
run-as: nobody
phases:
  install:
    run-as: root
    commands:
      - id -un > installed-by
  build:
    commands:
      - id -un > built-by
      - mkdir -p out && cp installed-by built-by out/
artifacts:
  files: ['out/*']
  discard-paths: yes
`
	p := shellPipeline("runas", "", stage("Build", codeBuildAction("Build", spec, []string{"src"}, []string{"out"}, nil)))
	setupShellPipeline(t, a, p, nil)
	run := startAndRun(t, a, "runas", nil)
	if rootless() {
		if run.Status != backend.StatusFailed || !strings.Contains(run.Action("Build", "Build").Error, "needs a process that may switch users (root)") {
			t.Fatalf("without root: run %s, %q", run.Status, run.Action("Build", "Build").Error)
		}
		return
	}
	mustSucceed(t, a, run, "Build", "Build")
	got := outputFiles(t, a, run, "Build", "Build", "out")
	if got["installed-by"] != "root\n" || got["built-by"] != "nobody\n" {
		t.Errorf("out = %q, want installed by root and built by nobody", got)
	}
}

// rootless reports whether this process may not switch users.
func rootless() bool { return os.Geteuid() != 0 }

// A batch-only buildspec in the shape of a large CLI project's PR workflow: a build-graph of
// builds, each with its own buildspec file, some depending on others.
func TestCodeBuildBatchBuildGraph(t *testing.T) {
	_, a, _ := accounts(t)
	files := map[string]string{
		"index.html": "hello",
		"buildspec.yml": `version: 0.2
batch:
  fast-fail: false
  build-graph:
    - identifier: build_linux
      buildspec: codebuild_specs/build_linux.yml
      env:
        compute-type: BUILD_GENERAL1_LARGE
        variables:
          CLI_REGION: us-east-1
    - identifier: lint
      buildspec: codebuild_specs/lint.yml
      depend-on:
        - build_linux
    - identifier: unit_test
      buildspec: codebuild_specs/test.yml
      depend-on:
        - build_linux
      env:
        variables:
          SUITE: unit
`,
		"codebuild_specs/build_linux.yml": `version: 0.2
phases:
  build:
    commands:
      - echo "building for $CLI_REGION in batch build $CODEBUILD_BATCH_BUILD_IDENTIFIER"
      - mkdir -p out && echo binary > out/cli
artifacts:
  files: [out/cli]
`,
		"codebuild_specs/lint.yml": `version: 0.2
phases:
  build:
    commands:
      - echo linting
      - test ! -e out/cli && echo "fresh sources"
`,
		"codebuild_specs/test.yml": `version: 0.2
phases:
  build:
    commands:
      - echo "testing $SUITE"
artifacts:
  files: [index.html]
`,
	}
	build := codeBuildAction("Build", "", []string{"src"}, []string{"out"}, map[string]string{"BatchEnabled": "true", "CombineArtifacts": "true"})
	p := shellPipeline("graph", "", stage("Build", build))
	setupShellPipeline(t, a, p, files)
	run := startAndRun(t, a, "graph", nil)
	mustSucceed(t, a, run, "Build", "Build")
	log := logOf(t, a, run, "Build", "Build")
	for _, want := range []string{
		"[build_linux] building for us-east-1 in batch build build_linux",
		"[lint] fresh sources",
		"[unit_test] testing unit",
		"[Container] Warning: batch.build-graph[0].env.compute-type: ignored by the local backend",
		"[Container] Batch build lint succeeded",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log does not say %q:\n%s", want, log)
		}
	}
	// The dependents start once build_linux ended.
	end := strings.Index(log, "[build_linux] [Container] Phase complete: BUILD")
	for _, dep := range []string{"[lint] [Container] Entering phase BUILD", "[unit_test] [Container] Entering phase BUILD"} {
		if i := strings.Index(log, dep); i < end {
			t.Errorf("%q at %d, before build_linux ended at %d:\n%s", dep, i, end, log)
		}
	}
	// CombineArtifacts: each build's primary artifact under its identifier.
	got := outputFiles(t, a, run, "Build", "Build", "out")
	if len(got) != 2 || got["build_linux/out/cli"] != "binary\n" || got["unit_test/index.html"] == "" {
		t.Errorf("combined artifact %v", got)
	}
	if s := run.Action("Build", "Build").Summary; !strings.HasPrefix(s, "batch of 3 builds succeeded") {
		t.Errorf("summary %q", s)
	}
}

func TestCodeBuildBatchListAndMatrixOutputs(t *testing.T) {
	_, a, _ := accounts(t)
	list := `version: 0.2
batch:
  build-list:
    - identifier: build1
      env:
        variables:
          FLAVOR: small
    - identifier: build2
      env:
        variables:
          FLAVOR: large
phases:
  build:
    commands:
      - echo "$FLAVOR" > output_file
      - echo "$CODEBUILD_BATCH_BUILD_IDENTIFIER docs" > docs.txt
artifacts:
  files:
    - output_file
  secondary-artifacts:
    artifact1:
      files:
        - docs.txt
`
	// Separate artifacts: BUILD and BUILD_ARTIFACT names.
	build := codeBuildAction("Build", list, []string{"src"}, []string{"build1", "build1_artifact1", "build2"}, map[string]string{"BatchEnabled": "true"})
	p := shellPipeline("list", "", stage("Build", build))
	setupShellPipeline(t, a, p, nil)
	run := startAndRun(t, a, "list", nil)
	mustSucceed(t, a, run, "Build", "Build")
	for name, want := range map[string]map[string]string{
		"build1":           {"output_file": "small\n"},
		"build1_artifact1": {"docs.txt": "build1 docs\n"},
		"build2":           {"output_file": "large\n"},
	} {
		if got := outputFiles(t, a, run, "Build", "Build", name); len(got) != len(want) || got[firstKey(want)] != want[firstKey(want)] {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}

	// A build-matrix, combined.
	matrix := `version: 0.2
batch:
  build-matrix:
    dynamic:
      env:
        variables:
          NODE: ["18", "20"]
phases:
  build:
    commands:
      - echo "node $NODE" > result.txt
artifacts:
  files: [result.txt]
`
	build = codeBuildAction("Build", matrix, []string{"src"}, []string{"out"}, map[string]string{"BatchEnabled": "true", "CombineArtifacts": "true"})
	p = shellPipeline("matrix", "", stage("Build", build))
	setupShellPipeline(t, a, p, nil)
	run = startAndRun(t, a, "matrix", nil)
	mustSucceed(t, a, run, "Build", "Build")
	if got := outputFiles(t, a, run, "Build", "Build", "out"); got["build1/result.txt"] != "node 18\n" || got["build2/result.txt"] != "node 20\n" || len(got) != 2 {
		t.Errorf("matrix artifact %v", got)
	}
}

func firstKey(m map[string]string) string {
	for k := range m {
		return k
	}
	return ""
}

func TestCodeBuildBatchFailures(t *testing.T) {
	_, a, _ := accounts(t)
	for _, tc := range []struct {
		name, spec string
		cfg        map[string]string
		ok         bool
		says       []string
	}{
		{
			name: "a failure with ignore-failure lets the batch succeed",
			spec: `version: 0.2
batch:
  build-list:
    - {identifier: must, env: {variables: {FAIL: "no"}}}
    - {identifier: flaky, ignore-failure: true, env: {variables: {FAIL: "yes"}}}
phases:
  build:
    commands: ['test "$FAIL" = no']
`,
			ok: true, says: []string{"Batch build flaky failed: phase BUILD", "(ignore-failure)"},
		},
		{
			name: "a failure fails the batch; a build depending on it does not run",
			spec: `version: 0.2
batch:
  build-graph:
    - {identifier: compile, env: {variables: {FAIL: "yes"}}}
    - {identifier: package, depend-on: [compile], env: {variables: {FAIL: "no"}}}
phases:
  build:
    commands: ['test "$FAIL" = no']
`,
			says: []string{"batch build failed: compile failed: phase BUILD", "package did not run: build compile, which it depends on, did not succeed"},
		},
		{
			name: "fast-fail stops the other builds",
			spec: `version: 0.2
batch:
  fast-fail: true
  build-list:
    - {identifier: quick, env: {variables: {FAIL: "yes"}}}
    - {identifier: slow, env: {variables: {FAIL: "no"}}}
phases:
  build:
    commands: ['if [ "$FAIL" = yes ]; then exit 1; fi; sleep 30']
`,
			says: []string{"quick failed: phase BUILD", "slow failed: stopped by fast-fail after build quick failed"},
		},
		{
			name: "BatchEnabled without a batch section",
			spec: "version: 0.2\nphases:\n  build:\n    commands: [echo]\n",
			says: []string{"BatchEnabled is \"true\" but the buildspec has no batch section"},
		},
		{
			name: "a batch-only buildspec without BatchEnabled",
			spec: "version: 0.2\nbatch:\n  build-list:\n    - identifier: a\n      buildspec: a.yml\n",
			cfg:  map[string]string{"BatchEnabled": "false"},
			says: []string{"phases: required to run this buildspec as one build: it only defines a batch"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]string{"BatchEnabled": "true"}
			for k, v := range tc.cfg {
				cfg[k] = v
			}
			name := "b" + strconv.Itoa(len(tc.name))
			p := shellPipeline(name, "", stage("Build", codeBuildAction("Build", tc.spec, []string{"src"}, nil, cfg)))
			setupShellPipeline(t, a, p, nil)
			run := startAndRun(t, a, name, nil)
			act := run.Action("Build", "Build")
			if (run.Status == backend.StatusSucceeded) != tc.ok {
				t.Fatalf("run %s, action %+v", run.Status, act)
			}
			text := act.Error + "\n" + logOf(t, a, run, "Build", "Build")
			for _, want := range tc.says {
				if !strings.Contains(text, want) {
					t.Errorf("error and log do not say %q:\n%s", want, text)
				}
			}
		})
	}
}

// Each build of a batch runs in its own process group; all are recorded for recovery to kill
// should the driver die, and forgotten when the action ends.
func TestCodeBuildBatchBuildsAreEachTrackedForRecovery(t *testing.T) {
	_, a, _ := accounts(t)
	gate := filepath.Join(t.TempDir(), "gate")
	spec := `version: 0.2
batch:
  build-list:
    - identifier: linux
    - identifier: windows
phases:
  build:
    commands:
      - '` + gateCommand(gate) + `'
`
	p := shellPipeline("tracked", "", stage("Build", codeBuildAction("Build", spec, []string{"src"}, nil, map[string]string{"BatchEnabled": "true"})))
	setupShellPipeline(t, a, p, nil)
	run := must[*backend.Run](t)(a.StartRun(context.Background(), backend.RunRequest{Pipeline: "tracked"}))
	done := drive(a, "tracked", run.ID)
	count := func() int {
		var n int
		if err := a.c.reader.QueryRow(`SELECT count(*) FROM action_processes WHERE execution_id = ?`, run.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	eventually(t, "both builds tracked", func() bool { return count() == 2 })
	release(t, gate)
	if r := ended(t, done); r.Status != backend.StatusSucceeded {
		t.Fatalf("run %s: %+v", r.Status, r.Action("Build", "Build"))
	}
	if n := count(); n != 0 {
		t.Errorf("%d process records left after the action ended", n)
	}
}
