package variables

import (
	"errors"
	"reflect"
	"testing"
)

var testVars = Values{
	"variables":     {"env": "prod", "region": "eu-west-1", "tricky": "#{variables.env}"},
	"codepipeline":  {"PipelineExecutionId": "exec-1"},
	"SourceVars":    {"CommitId": "abc123", "BranchName": "main"},
	"Build-Out_1@x": {"IMAGE.TAG": "v1"},
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		name    string
		config  map[string]string
		want    map[string]string
		missing []string // "ref in key"
	}{
		{"no references", map[string]string{"A": "plain", "B": ""}, map[string]string{"A": "plain", "B": ""}, nil},
		{"pipeline variable", map[string]string{"K": "#{variables.env}"}, map[string]string{"K": "prod"}, nil},
		{"several in one value", map[string]string{"K": "app-#{variables.env}-#{variables.region}.zip"}, map[string]string{"K": "app-prod-eu-west-1.zip"}, nil},
		{"action namespace", map[string]string{"Msg": "commit #{SourceVars.CommitId} on #{SourceVars.BranchName}"}, map[string]string{"Msg": "commit abc123 on main"}, nil},
		{"execution id", map[string]string{"K": "#{codepipeline.PipelineExecutionId}"}, map[string]string{"K": "exec-1"}, nil},
		{"namespace and name characters", map[string]string{"K": "#{Build-Out_1@x.IMAGE.TAG}"}, map[string]string{"K": "v1"}, nil},
		{"values are not resolved again", map[string]string{"K": "#{variables.tricky}"}, map[string]string{"K": "#{variables.env}"}, nil},
		{"not references: literal", map[string]string{"K": "#{ # #{x} #{a b} ${variables.env} #{.x} #{x.} {variables.env}"}, map[string]string{"K": "#{ # #{x} #{a b} ${variables.env} #{.x} #{x.} {variables.env}"}, nil},
		{"adjacent", map[string]string{"K": "#{variables.env}#{variables.env}"}, map[string]string{"K": "prodprod"}, nil},
		{"unresolved, each named with its key", map[string]string{
			"B": "#{variables.nope} and #{variables.env}",
			"A": "#{Missing.Var}",
			"C": "#{SourceVars.Nope}",
		}, nil, []string{"#{Missing.Var} in A", "#{variables.nope} in B", "#{SourceVars.Nope} in C"}},
		{"case matters", map[string]string{"K": "#{Variables.env}"}, nil, []string{"#{Variables.env} in K"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve(tc.config, testVars.Lookup)
			if tc.missing == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("got %v, want %v", got, tc.want)
				}
				return
			}
			var ue *UnresolvedError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want *UnresolvedError", err)
			}
			var refs []string
			for _, r := range ue.Refs {
				refs = append(refs, r.String()+" in "+r.Key)
			}
			if !reflect.DeepEqual(refs, tc.missing) {
				t.Errorf("unresolved %q, want %q", refs, tc.missing)
			}
			if got != nil {
				t.Errorf("a partial configuration was returned: %v", got)
			}
		})
	}
}

func TestUnresolvedErrorMessage(t *testing.T) {
	_, err := Resolve(map[string]string{"ObjectKey": "#{variables.version}/app.zip", "Bucket": "#{Deploy.Bucket}"}, testVars.Lookup)
	want := "unresolved variable references: #{Deploy.Bucket} in Bucket, #{variables.version} in ObjectKey"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

func TestFindAndExpand(t *testing.T) {
	refs := Find("x #{variables.a} #{ns.b.c} #{bad}")
	want := []Ref{{Namespace: "variables", Name: "a"}, {Namespace: "ns", Name: "b.c"}}
	if !reflect.DeepEqual(refs, want) {
		t.Errorf("Find = %v", refs)
	}
	out, missing := Expand("#{variables.env}/#{variables.gone}", testVars.Lookup)
	if out != "prod/#{variables.gone}" || len(missing) != 1 || missing[0].Name != "gone" {
		t.Errorf("Expand = %q, %v", out, missing)
	}
}
