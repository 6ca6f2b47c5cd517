package check

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenInputs cover both readers, several resources, a placeholder (a key ARN only known
// after apply) and a suppression.
var goldenInputs = map[string]string{
	"provider-resources": "testdata/plans/provider-resources.json",
	"suppressed":         "testdata/tf/suppressed",
	"key-policy":         "testdata/tf/key-policy-missing-role",
	"notices":            "testdata/corpus/registry-module-not-followed",
}

func TestGoldenOutputs(t *testing.T) {
	for name, input := range goldenInputs {
		inv, err := Load(input)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Check(inv, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, format := range Formats {
			t.Run(name+"."+format, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Write(&buf, rep, format, false, "test"); err != nil {
					t.Fatal(err)
				}
				golden := filepath.Join("testdata", "golden", name+"."+format)
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want := readFile(t, golden)
				if diff := cmp.Diff(string(want), buf.String()); diff != "" {
					t.Errorf("%s differs (-want +got; run go test -update to accept):\n%s", golden, diff)
				}
				if format == "sarif" {
					validateSARIF(t, buf.Bytes())
				}
			})
		}
	}
}

func TestTextColourOnlyWhenAsked(t *testing.T) {
	inv, _ := Load("testdata/tf/versioning-missing")
	rep, _ := Check(inv, Options{})
	var plain, coloured bytes.Buffer
	_ = WriteText(&plain, rep, false)
	_ = WriteText(&coloured, rep, true)
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("plain text output contains escape sequences")
	}
	if !strings.Contains(coloured.String(), "\x1b[1;31merror") {
		t.Error("coloured output does not colour the error")
	}
}

// validateSARIF checks a log against the SARIF 2.1.0 schema's requirements for the parts this
// tool emits. The schema (sarif-schema-2.1.0.json) cannot be downloaded here, so its required
// properties and types are restated: sarifLog requires version "2.1.0" and runs; run requires
// tool; tool requires driver; toolComponent requires name; reportingDescriptor requires id;
// result requires message (with text); level is one of none/note/warning/error; a location
// carries a physicalLocation (artifactLocation.uri, region.startLine ≥ 1) or
// logicalLocations; a suppression requires kind (inSource or external).
func validateSARIF(t *testing.T, data []byte) {
	t.Helper()
	var log map[string]any
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	str := func(m map[string]any, k, where string) string {
		s, ok := m[k].(string)
		if !ok || s == "" {
			t.Errorf("%s.%s: want a non-empty string, got %#v", where, k, m[k])
		}
		return s
	}
	obj := func(v any, where string) map[string]any {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: want an object, got %#v", where, v)
		}
		return m
	}
	arr := func(v any, where string) []any {
		a, ok := v.([]any)
		if !ok {
			t.Fatalf("%s: want an array, got %#v", where, v)
		}
		return a
	}
	if v := str(log, "version", "log"); v != "2.1.0" {
		t.Errorf("version = %q, want 2.1.0", v)
	}
	if s := str(log, "$schema", "log"); !strings.Contains(s, "sarif") {
		t.Errorf("$schema = %q", s)
	}
	runs := arr(log["runs"], "runs")
	if len(runs) == 0 {
		t.Fatal("no runs")
	}
	for _, r := range runs {
		run := obj(r, "run")
		// invocation requires executionSuccessful; a notification requires message (with text),
		// and its level is one of none/note/warning/error.
		if invs, ok := run["invocations"]; ok {
			for _, iv := range arr(invs, "run.invocations") {
				inv := obj(iv, "invocation")
				if _, ok := inv["executionSuccessful"].(bool); !ok {
					t.Errorf("invocation without executionSuccessful: %v", inv)
				}
				if notes, ok := inv["toolExecutionNotifications"]; ok {
					for _, n := range arr(notes, "toolExecutionNotifications") {
						note := obj(n, "notification")
						str(obj(note["message"], "notification.message"), "text", "notification.message")
						switch note["level"] {
						case "none", "note", "warning", "error":
						default:
							t.Errorf("notification level %v", note["level"])
						}
					}
				}
			}
		}
		driver := obj(obj(run["tool"], "run.tool")["driver"], "tool.driver")
		str(driver, "name", "driver")
		ruleIDs := map[string]int{}
		for i, ru := range arr(driver["rules"], "driver.rules") {
			ruleIDs[str(obj(ru, "rule"), "id", "rule")] = i
		}
		for _, re := range arr(run["results"], "run.results") {
			res := obj(re, "result")
			id := str(res, "ruleId", "result")
			if i, ok := ruleIDs[id]; !ok {
				t.Errorf("result ruleId %q is not among the driver's rules", id)
			} else if idx, _ := res["ruleIndex"].(float64); int(idx) != i {
				t.Errorf("result %q: ruleIndex %v, want %d", id, res["ruleIndex"], i)
			}
			switch lvl := res["level"]; lvl {
			case "none", "note", "warning", "error":
			default:
				t.Errorf("result %q: level %v", id, lvl)
			}
			str(obj(res["message"], "result.message"), "text", "message")
			locs := arr(res["locations"], "result.locations")
			if len(locs) == 0 {
				t.Errorf("result %q has no location", id)
			}
			for _, l := range locs {
				loc := obj(l, "location")
				pl, hasPhys := loc["physicalLocation"].(map[string]any)
				ll, hasLog := loc["logicalLocations"].([]any)
				if !hasPhys && (!hasLog || len(ll) == 0) {
					t.Errorf("result %q: a location without physical or logical location", id)
				}
				if hasPhys {
					str(obj(pl["artifactLocation"], "artifactLocation"), "uri", "artifactLocation")
					if reg, ok := pl["region"].(map[string]any); ok {
						if line, _ := reg["startLine"].(float64); line < 1 {
							t.Errorf("result %q: startLine %v", id, reg["startLine"])
						}
					}
				}
				for _, lg := range ll {
					str(obj(lg, "logicalLocation"), "fullyQualifiedName", "logicalLocation")
				}
			}
			if sups, ok := res["suppressions"]; ok && sups != nil {
				for _, s := range arr(sups, "suppressions") {
					if k := obj(s, "suppression")["kind"]; k != "inSource" && k != "external" {
						t.Errorf("result %q: suppression kind %v", id, k)
					}
				}
			}
		}
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
