package codepipelinejson

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/shapes"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// filler sets every field of a value to a distinct non-zero value, so that a field the
// conversion forgets (or a field added to the domain later) shows as a difference.
type filler struct{ n int }

func (f *filler) fill(v reflect.Value, name string) {
	switch v.Kind() {
	case reflect.String:
		f.n++
		v.SetString(fmt.Sprintf("%s-%d", name, f.n))
	case reflect.Int:
		f.n++
		v.SetInt(int64(f.n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Uint8:
		f.n++
		v.SetUint(uint64(f.n))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem(), name)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := 0; i < 2; i++ {
			f.fill(v.Index(i), name)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for i := 0; i < 2; i++ {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			f.fill(k, name+"Key")
			f.fill(e, name)
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f.fill(v.Field(i), v.Type().Field(i).Name)
		}
	default:
		panic("filler: no value for " + v.Kind().String())
	}
}

// everyField is a pipeline with every domain field set, except what the API cannot express:
// UnknownAttrs of actions and condition rules, Incomplete and RunOrderSet (what a plan's
// configuration says, never stored), events of a push filter and tags of a pull request
// filter (the API's filters have no such fields).
func everyField() *pipeline.Pipeline {
	p := &pipeline.Pipeline{}
	(&filler{}).fill(reflect.ValueOf(p).Elem(), "")
	p.Incomplete = 0
	for i := range p.Stages {
		for j := range p.Stages[i].Actions {
			p.Stages[i].Actions[j].UnknownAttrs = nil
			p.Stages[i].Actions[j].RunOrderSet = false
		}
		for _, pc := range p.Stages[i].Conditions() {
			for k := range pc.Condition.Rules {
				pc.Condition.Rules[k].UnknownAttrs = nil
			}
		}
	}
	for i := range p.Triggers {
		for j := range p.Triggers[i].Push {
			p.Triggers[i].Push[j].Events = nil
		}
		for j := range p.Triggers[i].PullRequest {
			p.Triggers[i].PullRequest[j].Tags = nil
		}
	}
	return p
}

func roundTrip(t *testing.T, p *pipeline.Pipeline) (*pipeline.Pipeline, []byte) {
	t.Helper()
	d, err := FromDomain(p)
	if err != nil {
		t.Fatalf("FromDomain: %v", err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back PipelineDeclaration
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	got, err := back.ToDomain()
	if err != nil {
		t.Fatalf("ToDomain: %v", err)
	}
	return got, b
}

func TestEveryDomainFieldRoundTrips(t *testing.T) {
	p := everyField()
	p.Tags = nil // tags are not part of a declaration: see TestTagsRoundTrip
	got, _ := roundTrip(t, p)
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("domain → JSON → domain (-want +got):\n%s", diff)
	}

	// A single store without a region is the artifactStore form.
	single := everyField()
	single.Tags = nil
	single.ArtifactStores = single.ArtifactStores[:1]
	single.ArtifactStores[0].Region = ""
	got, b := roundTrip(t, single)
	if diff := cmp.Diff(single, got); diff != "" {
		t.Errorf("single store (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(b), `"artifactStore":{`) || strings.Contains(string(b), `"artifactStores"`) {
		t.Errorf("a single-region pipeline is not written with artifactStore: %s", b)
	}
}

// TestEveryJSONFieldIsWrittenOrRefused: every field of the declaration either carries a
// domain value (it appears in the JSON of a pipeline with every domain field set) or is
// refused by ToDomain with its path. A field added to these types without either fails here.
func TestEveryJSONFieldIsWrittenOrRefused(t *testing.T) {
	d, err := FromDomain(everyField())
	if err != nil {
		t.Fatal(err)
	}
	written := map[string]bool{}
	collectKeys(t, mustJSON(t, d), "", written)

	full := PipelineDeclaration{}
	(&filler{}).fill(reflect.ValueOf(&full).Elem(), "")
	full.ArtifactStore = nil
	all := map[string]bool{}
	collectKeys(t, mustJSON(t, full), "", all)

	refused := map[string]string{
		"stages.blockers":                     "blockers",
		"stages.actions.environmentVariables": "environmentVariables", "stages.actions.outputArtifacts.files": "files",
	}
	for key := range all {
		_, isRefused := refused[key]
		if written[key] || isRefused || refusedUnder(refused, key) || key == "version" { // version: see TestVersionIsTheBackends
			continue
		}
		t.Errorf("JSON field %s carries no domain value and ToDomain does not refuse it", key)
	}
	for key, field := range refused {
		doc := PipelineDeclaration{Name: "p", Stages: []StageDeclaration{{Name: "s", Actions: []ActionDeclaration{{Name: "a"}}}}}
		var v map[string]any
		if err := json.Unmarshal(mustJSON(t, doc), &v); err != nil {
			t.Fatal(err)
		}
		setPath(v, strings.Split(key, "."), field)
		var in PipelineDeclaration
		if err := json.Unmarshal(mustJSONAny(t, v), &in); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		_, err := in.ToDomain()
		if !errors.Is(err, ErrNotRepresentable) || !strings.Contains(err.Error(), field) {
			t.Errorf("ToDomain with %s set = %v, want it refused naming %s", key, err, field)
		}
	}
}

func refusedUnder(refused map[string]string, key string) bool {
	for r := range refused {
		if strings.HasPrefix(key, r+".") {
			return true
		}
	}
	return false
}

// setPath puts a minimal non-empty value of field at path (lists are entered at index 0).
func setPath(v map[string]any, path []string, field string) {
	cur := any(v)
	for i, p := range path {
		m := cur.(map[string]any)
		if i == len(path)-1 {
			switch field {
			case "blockers":
				m[p] = []any{map[string]any{"name": "b", "type": "Schedule"}}
			case "environmentVariables":
				m[p] = []any{map[string]any{"name": "A", "value": "b"}}
			default:
				m[p] = []any{"x"}
			}
			return
		}
		next, ok := m[p]
		if !ok || next == nil {
			switch p {
			case "outputArtifacts":
				next = []any{map[string]any{"name": "o"}}
			}
			m[p] = next
		}
		if list, ok := next.([]any); ok {
			next = list[0]
		}
		cur = next
	}
}

func collectKeys(t *testing.T, b []byte, prefix string, out map[string]bool) {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(v any, prefix string, mapValue bool)
	walk = func(v any, prefix string, mapValue bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				key := k
				if mapValue {
					key = "*" // the keys of a map (configuration, artifactStores) are data
				}
				full := key
				if prefix != "" {
					full = prefix + "." + key
				}
				if !strings.HasSuffix(full, "*") {
					out[full] = true
				}
				walk(e, full, k == "artifactStores" || k == "configuration")
			}
		case []any:
			for _, e := range x {
				walk(e, prefix, false)
			}
		}
	}
	walk(v, prefix, false)
	// artifactStores.* entries are stores: name their fields as artifactStore's.
	for k := range out {
		if rest, ok := strings.CutPrefix(k, "artifactStores.*."); ok {
			out["artifactStore."+rest] = true
			delete(out, k)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustJSONAny(t *testing.T, v any) []byte { return mustJSON(t, v) }

func TestVersionIsTheBackends(t *testing.T) {
	d, err := FromDomain(&pipeline.Pipeline{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != 0 || strings.Contains(string(mustJSON(t, d)), "version") {
		t.Errorf("FromDomain set a version: %+v", d)
	}
}

func TestTagsRoundTrip(t *testing.T) {
	m := map[string]string{"b": "2", "a": "1", "": "empty key"}
	tags := TagsFromMap(m)
	if diff := cmp.Diff([]Tag{{"", "empty key"}, {"a", "1"}, {"b", "2"}}, tags); diff != "" {
		t.Errorf("TagsFromMap sorted (-want +got):\n%s", diff)
	}
	back, err := TagsToMap(tags)
	if err != nil || !cmp.Equal(m, back) {
		t.Errorf("TagsToMap = %v, %v", back, err)
	}
	if _, err := TagsToMap([]Tag{{"a", "1"}, {"a", "2"}}); !errors.Is(err, ErrNotRepresentable) {
		t.Errorf("a key given twice: %v", err)
	}
}

func TestArtifactStoresKeepTheirOrder(t *testing.T) {
	p := &pipeline.Pipeline{Name: "p", ArtifactStores: []pipeline.ArtifactStoreRef{
		{Location: "west", Type: "S3", Region: "us-west-2"},
		{Location: "east", Type: "S3", Region: "us-east-1", EncryptionKey: &pipeline.EncryptionKey{ID: "alias/k", Type: "KMS"}},
		{Location: "eu", Type: "S3", Region: "eu-west-1"},
	}}
	got, b := roundTrip(t, p)
	if diff := cmp.Diff(p.ArtifactStores, got.ArtifactStores); diff != "" {
		t.Errorf("stores (-want +got):\n%s", diff)
	}
	if want := `"artifactStores":{"us-west-2":{"type":"S3","location":"west"},"us-east-1":`; !strings.Contains(string(b), want) {
		t.Errorf("JSON %s does not contain %s", b, want)
	}
	var dup PipelineDeclaration
	err := json.Unmarshal([]byte(`{"name":"p","stages":[],"artifactStores":{"us-east-1":{"type":"S3","location":"a"},"us-east-1":{"type":"S3","location":"b"}}}`), &dup)
	if err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a region given twice: %v", err)
	}
}

func TestFromDomainRefusesWhatTheAPICannotSay(t *testing.T) {
	cases := map[string]*pipeline.Pipeline{
		"several stores, one without a region": {Name: "p", ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "a", Region: "us-east-1"}, {Location: "b"}}},
		"two stores in one region":             {Name: "p", ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "a", Region: "us-east-1"}, {Location: "b", Region: "us-east-1"}}},
		"events on a push filter": {Name: "p", Triggers: []pipeline.Trigger{{ProviderType: "CodeStarSourceConnection", SourceActionName: "s",
			Push: []pipeline.GitFilter{{Events: []string{"OPEN"}}}}}},
		"tags on a pull request filter": {Name: "p", Triggers: []pipeline.Trigger{{ProviderType: "CodeStarSourceConnection", SourceActionName: "s",
			PullRequest: []pipeline.GitFilter{{Tags: &pipeline.GlobFilter{Includes: []string{"v*"}}}}}}},
	}
	for name, p := range cases {
		if _, err := FromDomain(p); !errors.Is(err, ErrNotRepresentable) {
			t.Errorf("%s: FromDomain = %v, want ErrNotRepresentable", name, err)
		}
	}
	for _, doc := range []string{
		`{"name":"p","stages":[{"name":"s","actions":[],"beforeEntry":{"conditions":[]}}]}`,
		`{"name":"p","stages":[{"name":"s","actions":[],"onSuccess":{"conditions":[{"result":"FAIL"},{"result":"ROLLBACK"}]}}]}`,
		`{"name":"p","stages":[{"name":"s","actions":[],"onFailure":{"conditions":[]}}]}`,
	} {
		var d PipelineDeclaration
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ToDomain(); !errors.Is(err, ErrNotRepresentable) || !strings.Contains(err.Error(), "exactly one condition") {
			t.Errorf("%s: ToDomain = %v, want a condition list of one refused", doc, err)
		}
	}
	var both PipelineDeclaration
	if err := json.Unmarshal([]byte(`{"name":"p","stages":[],"artifactStore":{"type":"S3","location":"a"},"artifactStores":{"us-east-1":{"type":"S3","location":"b"}}}`), &both); err != nil {
		t.Fatal(err)
	}
	if _, err := both.ToDomain(); !errors.Is(err, ErrNotRepresentable) {
		t.Errorf("artifactStore and artifactStores both set: %v", err)
	}
}

// TestGoldenDeclaration pins the JSON of a realistic V2 pipeline: the field names and shapes
// are CodePipeline's (checked against botocore's codepipeline service-2.json).
func TestGoldenDeclaration(t *testing.T) {
	p := &pipeline.Pipeline{
		Name: "app", RoleARN: "arn:aws:iam::111111111111:role/pipeline", PipelineType: "V2", ExecutionMode: "QUEUED",
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "app-artifacts", Type: "S3",
			EncryptionKey: &pipeline.EncryptionKey{ID: "arn:aws:kms:us-east-1:111111111111:key/k", Type: "KMS"}}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{{Name: "Checkout", Category: "Source", Owner: "AWS", Provider: "CodeStarSourceConnection",
				Version: "1", Namespace: "Src", OutputArtifacts: []string{"src"},
				Configuration: map[string]string{"ConnectionArn": "arn:aws:codestar-connections:us-east-1:111111111111:connection/c", "FullRepositoryId": "org/app", "BranchName": "main"}}}},
			{Name: "Test", Actions: []pipeline.Action{{Name: "Unit", Category: "Compute", Owner: "AWS", Provider: "Commands", Version: "1",
				InputArtifacts: []string{"src"}, Namespace: "Unit", Commands: []string{"make test", "export REPORT=out/report.xml"}, OutputVariables: []string{"REPORT"}}},
				OnSuccess: &pipeline.Condition{Result: "FAIL", Rules: []pipeline.ConditionRule{{Name: "Smoke", RuleTypeID: pipeline.RuleTypeID{Category: "Rule", Owner: "AWS", Provider: "Commands", Version: "1"},
					Commands: []string{"./smoke.sh"}, InputArtifacts: []string{"src"}, TimeoutInMinutes: 10}}},
				OnFailure: &pipeline.FailureConditions{Result: "RETRY", RetryConfiguration: &pipeline.RetryConfiguration{RetryMode: "FAILED_ACTIONS"}}},
			{Name: "Deploy", Actions: []pipeline.Action{{Name: "Ship", Category: "Deploy", Owner: "AWS", Provider: "S3",
				Version: "1", RunOrder: 2, InputArtifacts: []string{"src"}, RoleARN: "arn:aws:iam::222222222222:role/deployer", Region: "us-east-1",
				TimeoutInMinutes: 30, Configuration: map[string]string{"BucketName": "site", "Extract": "true"}}},
				BeforeEntry: &pipeline.Condition{Result: "FAIL", Rules: []pipeline.ConditionRule{
					{Name: "OfficeHours", RuleTypeID: pipeline.RuleTypeID{Category: "Rule", Owner: "AWS", Provider: "DeploymentWindow", Version: "1"},
						Configuration: map[string]string{"Cron": "* * 9-16 ? * MON-FRI", "TimeZone": "Europe/Paris"}},
					{Name: "MainOnly", RuleTypeID: pipeline.RuleTypeID{Category: "Rule", Provider: "VariableCheck"},
						Configuration: map[string]string{"Variable": "#{Src.BranchName}", "Operator": "EQ", "Value": "main"}},
				}},
				OnFailure: &pipeline.FailureConditions{Result: "ROLLBACK", Condition: &pipeline.Condition{Result: "ROLLBACK", Rules: []pipeline.ConditionRule{
					{Name: "Health", RuleTypeID: pipeline.RuleTypeID{Category: "Rule", Owner: "AWS", Provider: "LambdaInvoke", Version: "1"},
						Configuration: map[string]string{"FunctionName": "health-check"}, RoleARN: "arn:aws:iam::111111111111:role/checker", Region: "us-east-1"},
				}}}},
		},
		Variables: []pipeline.Variable{{Name: "env", DefaultValue: "prod", Description: "where to"}},
		Triggers: []pipeline.Trigger{{ProviderType: "CodeStarSourceConnection", SourceActionName: "Checkout",
			Push:        []pipeline.GitFilter{{Branches: &pipeline.GlobFilter{Includes: []string{"main"}}, FilePaths: &pipeline.GlobFilter{Excludes: []string{"docs/**"}}}},
			PullRequest: []pipeline.GitFilter{{Events: []string{"OPEN", "UPDATED"}, Branches: &pipeline.GlobFilter{Includes: []string{"main"}}}}}},
	}
	d, err := FromDomain(p)
	if err != nil {
		t.Fatal(err)
	}
	d.Version = 3
	out := GetPipelineOutput{Pipeline: d, Metadata: &PipelineMetadata{
		PipelineArn: "arn:aws:codepipeline:us-east-1:111111111111:app",
		Created:     ptr(Timestamp(time.Date(2025, 3, 1, 12, 0, 0, 250e6, time.UTC))),
		Updated:     ptr(Timestamp(time.Date(2025, 3, 2, 8, 30, 0, 0, time.UTC))),
	}}
	got, err := json.MarshalIndent(out, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "get-pipeline.json")
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.TrimSpace(string(want)), string(got)); diff != "" {
		t.Errorf("get-pipeline JSON (-golden +got):\n%s", diff)
	}
	for _, prob := range shapes.Validate("codepipeline", "GetPipeline", shapes.Captured{Status: 200,
		Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}}, Body: want}) {
		t.Errorf("the golden get-pipeline output breaks the API model: %s", prob)
	}
	var back GetPipelineOutput
	if err := json.Unmarshal(want, &back); err != nil {
		t.Fatal(err)
	}
	dom, err := back.Pipeline.ToDomain()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, dom, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("golden → domain (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(out.Metadata, back.Metadata, cmp.Comparer(func(a, b Timestamp) bool { return time.Time(a).Equal(time.Time(b)) })); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
}

func ptr[T any](v T) *T { return &v }
