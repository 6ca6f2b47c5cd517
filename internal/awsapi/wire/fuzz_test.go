package wire_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
)

// FuzzRoute routes arbitrary requests: host, method, path, query, headers and a body. Every
// outcome is a target or an *Error with a status, never a panic; a target's bucket and key are
// names S3 accepts and no key is a path traversal.
func FuzzRoute(f *testing.F) {
	f.Add("GET", "localhost:4566", "/b-1/k", "list-type=2", "", "", "s3", "")
	f.Add("PUT", "b-1.s3.eu-west-1.localhost", "/a%2Fb", "partNumber=1&uploadId=u", "", "/src/k", "s3", "")
	f.Add("POST", "localhost", "/", "", "TrentService.Encrypt", "", "kms", `{"KeyId":"k"}`)
	f.Add("POST", "sts.localhost", "/", "", "", "", "", "Action=AssumeRole&Version=2011-06-15&RoleArn=x")
	f.Add("GET", "localhost", "/../x", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, method, host, path, query, target, copySource, scope, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		r, err := http.NewRequest(method, "http://localhost/", strings.NewReader(body))
		if err != nil {
			return // not a method net/http accepts
		}
		r.Host, r.RequestURI, r.URL.RawQuery = host, path+"?"+query, query
		if target != "" {
			r.Header.Set("X-Amz-Target", target)
		}
		if copySource != "" {
			r.Header.Set("X-Amz-Copy-Source", copySource)
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rt := &wire.Router{}
		svc, werr := rt.Service(r, scope)
		if svc == nil {
			t.Fatal("no service to answer in")
		}
		if werr != nil {
			checkError(t, svc, werr)
			return
		}
		switch svc.Protocol {
		case wire.JSON:
			if _, werr := wire.JSONOperation(svc, r); werr != nil {
				checkError(t, svc, werr)
			}
		case wire.Query:
			_, params, werr := wire.QueryRequest(svc, r, []byte(body))
			if werr != nil {
				checkError(t, svc, werr)
				return
			}
			var in struct {
				RoleArn string
				Tags    []struct{ Key, Value string }
				Map     map[string]string
				N       *int32
			}
			if werr := wire.DecodeQuery(svc, params, &in); werr != nil {
				checkError(t, svc, werr)
			}
		case wire.RESTXML:
			tg, werr := rt.S3Target(r)
			if werr != nil {
				checkError(t, svc, werr)
				return
			}
			if tg.Bucket != "" && wire.CheckBucketName(tg.Bucket) != nil {
				t.Fatalf("routed to an invalid bucket %q", tg.Bucket)
			}
			for seg := range strings.SplitSeq(tg.Key, "/") {
				if seg == ".." || seg == "." {
					t.Fatalf("routed to a traversing key %q", tg.Key)
				}
			}
			if tg.Operation == "" {
				t.Fatal("a target without an operation")
			}
		}
	})
}

func checkError(t *testing.T, svc *wire.Service, e *wire.Error) {
	t.Helper()
	if e.Code == "" || e.Status < 400 || e.Status > 599 {
		t.Fatalf("error without a code or with status %d: %v", e.Status, e)
	}
	w := httptest.NewRecorder()
	wire.WriteError(w, svc, e, "rid", false)
	if w.Code != e.Status {
		t.Fatalf("wrote status %d for %d", w.Code, e.Status)
	}
}

// FuzzDecodeBodies decodes arbitrary JSON and XML request bodies: a value or an *Error.
func FuzzDecodeBodies(f *testing.F) {
	f.Add(`{"name":"p","stages":[{"name":"s"}],"version":1}`)
	f.Add(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)
	f.Add(`<Delete><Object><Key>a</Key></Object></Delete><x/>`)
	f.Fuzz(func(t *testing.T, body string) {
		var j struct {
			Name    string `json:"name"`
			Version int32  `json:"version"`
			Stages  []struct {
				Name string `json:"name"`
			} `json:"stages"`
		}
		if e := wire.DecodeJSON(wire.CodePipeline, []byte(body), &j); e != nil && e.Code != "SerializationException" {
			t.Fatalf("JSON: %v", e)
		}
		var x struct {
			Status  string
			Objects []struct{ Key string } `xml:"Object"`
		}
		if e := wire.DecodeXML(wire.S3, []byte(body), &x); e != nil && e.Code != "MalformedXML" && e.Code != "MissingRequestBodyError" {
			t.Fatalf("XML: %v", e)
		}
		if _, err := url.ParseQuery(body); err == nil {
			r := httptest.NewRequest("POST", "http://localhost/", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if _, _, e := wire.QueryRequest(wire.IAM, r, []byte(body)); e != nil && e.Status != 400 {
				t.Fatalf("query: %v", e)
			}
		}
	})
}
