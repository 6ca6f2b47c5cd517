package check

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// want is one expected finding: which rule, on which resource, at which attribute.
type want struct{ Rule, Resource, Path string }

func got(t *testing.T, path string, opts Options) ([]want, []want) {
	t.Helper()
	inv, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	rep, err := Check(inv, opts)
	if err != nil {
		t.Fatalf("Check(%s): %v", path, err)
	}
	var fs, sup []want
	for _, f := range rep.Findings {
		fs = append(fs, want{f.Rule, f.Resource, f.Path})
	}
	for _, f := range rep.Suppressed {
		sup = append(sup, want{f.Rule, f.Resource, f.Path})
	}
	return fs, sup
}

const pipe = "aws_codepipeline.release"

// awsCases are the cases of testdata/tf, each checked as a .tf directory and as the plan
// terraform makes of it with the AWS provider (testdata/plans, made by TestAWSPlans); both
// readers must find the same.
var awsCases = map[string][]want{
	"child-module":               {{"store-versioning", pipe, "artifact_store[0].location"}},
	"clean":                      nil,
	"versioning-missing":         {{"store-versioning", pipe, "artifact_store[0].location"}},
	"versioning-suspended":       {{"store-versioning", pipe, "artifact_store[0].location"}},
	"xacct-no-key":               {{"xacct-cmk-required", pipe, "artifact_store[0]"}},
	"xacct-aws-s3-key":           {{"xacct-cmk-required", pipe, "artifact_store[0].encryption_key[0].id"}},
	"xacct-key-by-alias":         {{"xacct-key-by-arn", pipe, "artifact_store[0].encryption_key[0].id"}},
	"bucket-policy-missing-role": {{"xacct-bucket-policy", pipe, "stage[2].action[0].role_arn"}},
	"key-policy-missing-role":    {{"xacct-key-policy", pipe, "stage[2].action[0].role_arn"}},
	"artifact-before":            {{"artifact-produced-before", pipe, "stage[1].action[0].input_artifacts[0]"}},
	"polling":                    {{"polling-deprecated", pipe, `stage[0].action[0].configuration["PollForSourceChanges"]`}},
}

func TestTFDirectories(t *testing.T) {
	for name, w := range awsCases {
		t.Run(name, func(t *testing.T) {
			fs, sup := got(t, filepath.Join("testdata", "tf", name), Options{})
			if diff := cmp.Diff(w, fs); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if len(sup) != 0 {
				t.Errorf("unexpected suppressions: %v", sup)
			}
		})
	}
}

// TestPlans checks the plans of testdata/plans: those terraform made of testdata/tf with the
// AWS provider, and provider-resources.json, a plan of this provider's resources written by
// hand (TestProviderPlans checks real plans of this provider).
func TestPlans(t *testing.T) {
	cases := map[string][]want{
		"provider-resources": {
			{"xacct-cmk-required", "codepipeline_artifact_store.artifacts", "encryption_key_arn"},
			{"store-versioning", "codepipeline_artifact_store.artifacts", "versioning"},
			{"key-rotation", "codepipeline_cross_account_key.artifacts", "enable_key_rotation"},
			{"key-rotation", "codepipeline_pipeline.release", "artifact_store[0].encryption_key[0].id"},
			{"store-versioning", "codepipeline_pipeline.release", "artifact_store[0].location"},
			{"webhook-auth", "codepipeline_webhook.github", "authentication_configuration[0].secret_token"},
		},
	}
	for name, w := range awsCases {
		cases[name] = w
	}
	for name, w := range cases {
		t.Run(name, func(t *testing.T) {
			fs, _ := got(t, filepath.Join("testdata", "plans", name+".json"), Options{})
			if diff := cmp.Diff(w, fs); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInlineSuppression(t *testing.T) {
	fs, sup := got(t, filepath.Join("testdata", "tf", "suppressed"), Options{})
	if len(fs) != 0 {
		t.Errorf("findings: %v, want none", fs)
	}
	if diff := cmp.Diff([]want{{"store-versioning", pipe, "artifact_store[0].location"}}, sup); diff != "" {
		t.Errorf("suppressed (-want +got):\n%s", diff)
	}
}

func TestRuleSelection(t *testing.T) {
	path := filepath.Join("testdata", "plans", "provider-resources.json")
	fs, _ := got(t, path, Options{Only: []string{"webhook-auth"}})
	if diff := cmp.Diff([]want{{"webhook-auth", "codepipeline_webhook.github", "authentication_configuration[0].secret_token"}}, fs); diff != "" {
		t.Errorf("--rule webhook-auth (-want +got):\n%s", diff)
	}
	fs, _ = got(t, path, Options{Skip: []string{"store-versioning", "key-rotation", "xacct-cmk-required"}})
	if diff := cmp.Diff([]want{{"webhook-auth", "codepipeline_webhook.github", "authentication_configuration[0].secret_token"}}, fs); diff != "" {
		t.Errorf("--skip (-want +got):\n%s", diff)
	}
	if _, err := Check(&Inventory{}, Options{Only: []string{"no-such-rule"}}); err == nil {
		t.Error("an unknown rule ID was accepted")
	}
}

func TestBadInput(t *testing.T) {
	clean := readFile(t, filepath.Join("testdata", "plans", "clean.json"))
	cases := map[string][]byte{
		"empty":            nil,
		"not JSON":         []byte("resource \"aws_s3_bucket\" \"b\" {}"),
		"truncated":        clean[:len(clean)/2],
		"format 2.0":       []byte(`{"format_version":"2.0","planned_values":{}}`),
		"format 0.1":       []byte(`{"format_version":"0.1","planned_values":{}}`),
		"no version":       []byte(`{"planned_values":{}}`),
		"not a plan":       []byte(`{"format_version":"1.0","values":{"root_module":{}}}`),
		"wrong field type": []byte(`{"format_version":"1.2","resource_changes":{"a":1}}`),
		"JSON array":       []byte(`[1,2,3]`),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ReadPlan("plan.json", data)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("ReadPlan: err = %v, want an *InputError", err)
			}
			t.Log(err)
		})
	}
	t.Run("HCL syntax error", func(t *testing.T) {
		_, err := ReadDir(filepath.Join("testdata", "tf", "syntax-error"))
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Fatalf("ReadDir: err = %v, want an *InputError", err)
		}
	})
	t.Run("no .tf files", func(t *testing.T) {
		if _, err := ReadDir(t.TempDir()); err == nil {
			t.Fatal("an empty directory was accepted")
		}
	})
}

// TestCrossAccountExample checks examples/cross-account, whose resources are all in a local
// module (a dynamic deploy stage per entry of a module argument, providers passed by alias,
// accounts from this provider's caller identity data source): every one is checked, and a
// grant removed from the module is found at the deploy action.
func TestCrossAccountExample(t *testing.T) {
	root := filepath.Join("..", "..", "examples")
	inv, err := Load(filepath.Join(root, "cross-account"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Check(inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checked != 5 || len(rep.Findings) != 0 || len(rep.Notices) != 0 {
		t.Fatalf("checked %d resources with findings %v and notices %v; want the module's 5 resources, clean", rep.Checked, rep.Findings, rep.Notices)
	}

	copyRoot := t.TempDir()
	for _, dir := range []string{"cross-account", "modules/cross-account-pipeline"} {
		if err := os.MkdirAll(filepath.Join(copyRoot, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(root, dir, "*.tf"))
		for _, f := range files {
			data := string(readFile(t, f))
			data = strings.Replace(data, "cross_account_roles = [local.target_role_arn]", "cross_account_roles = []", 1)
			if err := os.WriteFile(filepath.Join(copyRoot, dir, filepath.Base(f)), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	fs, _ := got(t, filepath.Join(copyRoot, "cross-account"), Options{})
	want := []want{{"xacct-bucket-policy", "module.pipeline.codepipeline_pipeline.this", "stage[2].action[0].role_arn"}}
	if diff := cmp.Diff(want, fs); diff != "" {
		t.Errorf("without the role in cross_account_roles (-want +got):\n%s", diff)
	}
}
