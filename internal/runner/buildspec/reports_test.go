package buildspec

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Report files as test runners write them: pytest's and Maven Surefire's JUnit XML, a
// cucumber-js JSON report, coverage.py's Cobertura XML and a JaCoCo report with its DTD.
const (
	pytestJUnit = `<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="5" time="0.42">
  <testcase classname="tests.test_api" name="test_health" time="0.01"/>
  <testcase classname="tests.test_api" name="test_login" time="0.02"><failure message="AssertionError: 401 != 200">assert 401 == 200</failure></testcase>
  <testcase classname="tests.test_db" name="test_migrate" time="0.1"><error message="fixture 'db' not found"/></testcase>
  <testcase classname="tests.test_db" name="test_slow" time="0"><skipped message="slow"/></testcase>
  <testcase classname="tests.test_util" name="test_slug" time="0.01"/>
</testsuite></testsuites>`
	surefireJUnit = `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="com.example.AppTest" tests="2" failures="0" errors="0" skipped="0">
  <properties><property name="java.version" value="17"/></properties>
  <testcase name="returnsGreeting" classname="com.example.AppTest" time="0.003"/>
  <testcase name="handlesEmptyName" classname="com.example.AppTest" time="0.001"/>
</testsuite>`
	cucumberJSON = `[{"name": "Checkout", "elements": [
  {"type": "background", "name": "", "steps": [{"name": "a cart", "result": {"status": "passed"}}]},
  {"type": "scenario", "name": "pay by card", "steps": [{"name": "pay", "result": {"status": "passed"}}]},
  {"type": "scenario", "name": "pay by voucher", "steps": [{"name": "pay", "result": {"status": "failed", "error_message": "voucher expired\n  at step"}}, {"name": "receipt", "result": {"status": "skipped"}}]},
  {"type": "scenario", "name": "pay later", "steps": [{"name": "defer", "result": {"status": "undefined"}}]}
]}]`
	coberturaXML = `<?xml version="1.0" ?>
<coverage version="7.4" timestamp="1" lines-valid="200" lines-covered="150" line-rate="0.75" branches-covered="0" branches-valid="0" branch-rate="0" complexity="0">
  <packages/>
</coverage>`
	jacocoXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd"><report name="app"><sessioninfo id="x" start="1" dump="2"/><counter type="INSTRUCTION" missed="10" covered="90"/><counter type="LINE" missed="5" covered="45"/></report>`
)

func TestCollectReports(t *testing.T) {
	src := t.TempDir()
	for name, content := range map[string]string{
		"reports/pytest.xml":                       pytestJUnit,
		"target/surefire-reports/TEST-AppTest.xml": surefireJUnit,
		"target/surefire-reports/AppTest.txt":      "not a report",
		"features/report.json":                     cucumberJSON,
		"coverage.xml":                             coberturaXML,
		"target/site/jacoco/jacoco.xml":            jacocoXML,
		"build/test-results/TEST-Broken.xml":       "<html>oops</html>",
		"out/results.trx":                          "<TestRun/>",
	} {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec := mustParse(t, `
version: 0.2
phases: {}
reports:
  pytest:
    files: [pytest.xml]
    base-directory: reports
  surefire:
    files: ['**/TEST-*.xml']
    base-directory: target/surefire-reports
  features:
    files: [features/report.json]
    file-format: CucumberJson
  coverage:
    files: [coverage.xml]
    file-format: COBERTURAXML
  jacoco:
    files: [target/site/jacoco/jacoco.xml]
    file-format: JACOCOXML
  broken:
    files: ['build/test-results/*.xml']
  missing:
    files: ['nothing/**/*']
  trx:
    files: [out/results.trx]
    file-format: VISUALSTUDIOTRX
`)
	reports := CollectReports(spec, Dirs{Primary: src})
	got := map[string]string{}
	for _, r := range reports {
		got[r.Group] = r.String()
	}
	want := map[string]string{
		"pytest":   "report pytest (JUNITXML): 5 tests, 2 passed, 2 failed, 1 skipped",
		"surefire": "report surefire (JUNITXML): 2 tests, 2 passed, 0 failed, 0 skipped",
		"features": "report features (CUCUMBERJSON): 3 tests, 1 passed, 1 failed, 1 skipped",
		"coverage": "report coverage (COBERTURAXML): line coverage 75.0% (150 of 200 lines)",
		"jacoco":   "report jacoco (JACOCOXML): line coverage 90.0% (45 of 50 lines)",
		"broken":   "report broken (JUNITXML): 0 tests, 0 passed, 0 failed, 0 skipped",
		"missing":  "report missing (JUNITXML): no report files found",
		"trx":      "report trx (VISUALSTUDIOTRX): 1 files kept (this format is not summarized locally)",
	}
	if !reflect.DeepEqual(got, want) {
		for k := range want {
			if got[k] != want[k] {
				t.Errorf("%s: %q\n want %q", k, got[k], want[k])
			}
		}
	}
	byGroup := map[string]*Report{}
	for _, r := range reports {
		byGroup[r.Group] = r
	}
	if f := byGroup["pytest"].Tests.Failures; !reflect.DeepEqual(f, []string{
		"tests.test_api › test_login: AssertionError: 401 != 200",
		"tests.test_db › test_migrate: fixture 'db' not found",
	}) {
		t.Errorf("pytest failures %q", f)
	}
	if f := byGroup["features"].Tests.Failures; !reflect.DeepEqual(f, []string{"Checkout › pay by voucher: voucher expired"}) {
		t.Errorf("cucumber failures %q", f)
	}
	if w := strings.Join(byGroup["broken"].Warnings, ";"); !strings.Contains(w, "not a JUnit XML report: its root is <html>") {
		t.Errorf("broken warnings %q", w)
	}
	if w := strings.Join(byGroup["missing"].Warnings, ";"); !strings.Contains(w, "no matching artifact paths found") {
		t.Errorf("missing warnings %q", w)
	}
}

func TestParseBatch(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       *Batch
		warnings   []string
	}{
		{
			name: "build-graph with its own buildspecs",
			yaml: `
version: 0.2
env:
  compute-type: BUILD_GENERAL1_MEDIUM
  variables: {REGION: us-east-1}
batch:
  fast-fail: true
  build-graph:
    - identifier: build_linux
      buildspec: ci/build_linux.yml
      env:
        compute-type: BUILD_GENERAL1_LARGE
    - identifier: unit_tests
      buildspec: ci/test.yml
      depend-on: [build_linux]
      env:
        variables: {SUITE: unit}
    - identifier: lint
      depend-on:
        - build_linux
      ignore-failure: true
`,
			want: &Batch{FastFail: true, Kind: BuildGraph, Builds: []BatchBuild{
				{Identifier: "build_linux", Buildspec: "ci/build_linux.yml", Variables: map[string]string{}},
				{Identifier: "unit_tests", Buildspec: "ci/test.yml", DependOn: []string{"build_linux"}, Variables: map[string]string{"SUITE": "unit"}},
				{Identifier: "lint", DependOn: []string{"build_linux"}, IgnoreFailure: true},
			}},
			warnings: []string{
				"env.compute-type: ignored by the local backend: builds run on this machine",
				"batch.build-graph[0].env.compute-type: ignored by the local backend: builds run on this machine",
			},
		},
		{
			name: "build-matrix: every combination, buildspec first",
			yaml: `
version: 0.2
batch:
  build-matrix:
    static:
      ignore-failure: true
      env:
        privileged-mode: true
    dynamic:
      buildspec: [matrix1.yml, matrix2.yml]
      env:
        image: [aws/codebuild/standard:7.0]
        variables:
          PY: ["3.11", "3.12"]
          DB: [pg]
`,
			want: &Batch{Kind: BuildMatrix, Builds: []BatchBuild{
				{Identifier: "build1", Buildspec: "matrix1.yml", IgnoreFailure: true, Variables: map[string]string{"PY": "3.11", "DB": "pg"}},
				{Identifier: "build2", Buildspec: "matrix1.yml", IgnoreFailure: true, Variables: map[string]string{"PY": "3.12", "DB": "pg"}},
				{Identifier: "build3", Buildspec: "matrix2.yml", IgnoreFailure: true, Variables: map[string]string{"PY": "3.11", "DB": "pg"}},
				{Identifier: "build4", Buildspec: "matrix2.yml", IgnoreFailure: true, Variables: map[string]string{"PY": "3.12", "DB": "pg"}},
			}},
			warnings: []string{
				"batch.build-matrix.static.env.privileged-mode: ignored by the local backend: builds run on this machine",
				"batch.build-matrix.dynamic.env.image: ignored by the local backend: builds run on this machine",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := mustParse(t, tc.yaml)
			if !reflect.DeepEqual(spec.Batch, tc.want) {
				t.Errorf("batch %+v\nwant  %+v", spec.Batch, tc.want)
			}
			if !reflect.DeepEqual(spec.Warnings, tc.warnings) {
				t.Errorf("warnings %q\nwant     %q", spec.Warnings, tc.warnings)
			}
			if spec.HasPhases {
				t.Error("HasPhases without a phases section")
			}
		})
	}
}
