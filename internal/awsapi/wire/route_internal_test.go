package wire

import (
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/shapes"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire/internal/tables"
)

func TestTablesAreGeneratedFromTheModels(t *testing.T) {
	want, err := tables.Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("tables_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("tables_gen.go is not what the models generate: run go generate ./internal/awsapi/wire/")
	}
}

func TestServicesAreTheModels(t *testing.T) {
	for _, name := range shapes.Services() {
		m := shapes.MustLoad(name)
		svc := Services[m.Metadata.Signing()]
		if svc == nil {
			t.Errorf("no Service for model %s", name)
			continue
		}
		got := []string{svc.Name, string(svc.Protocol), svc.APIVersion, svc.TargetPrefix, svc.JSONVersion, svc.XMLNamespace}
		want := []string{m.Metadata.Signing(), m.Metadata.Protocol, m.Metadata.APIVersion, m.Metadata.TargetPrefix, m.Metadata.JSONVersion, m.Metadata.XMLNamespace}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-model +Service):\n%s", name, diff)
		}
	}
	if len(Services) != len(shapes.Services()) {
		t.Errorf("%d services, %d models", len(Services), len(shapes.Services()))
	}
}

// TestEveryS3RouteIsReachable builds, for each route, the least request that has what the route
// requires, and checks the router picks that route: no two routes tie, no route is shadowed.
func TestEveryS3RouteIsReachable(t *testing.T) {
	for _, rt := range s3Routes {
		q := url.Values{}
		for _, l := range rt.Literals {
			q.Set(l.Key, l.Value)
		}
		for _, p := range rt.Query {
			q.Set(p, "1")
		}
		h := http.Header{}
		for _, hn := range rt.Headers {
			h.Set(hn, "x")
		}
		if got := matchS3(rt.Method, rt.Target, q, h); got != rt.Operation {
			t.Errorf("%s %v %v %v routes to %q, want %s", rt.Method, rt.Target, q, h, got, rt.Operation)
		}
	}
}
