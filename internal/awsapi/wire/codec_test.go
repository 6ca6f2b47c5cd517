package wire_test

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/shapes"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
)

func TestWriteError(t *testing.T) {
	tests := []struct {
		name   string
		svc    *wire.Service
		err    *wire.Error
		head   bool
		status int
		header map[string]string
		body   string
	}{
		{name: "json 1.1", svc: wire.KMS, err: wire.NewError(400, "NotFoundException", "Key 'k' does not exist"), status: 400,
			header: map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amzn-Errortype": "NotFoundException", "X-Amzn-Requestid": "rid"},
			body:   `{"__type":"NotFoundException","message":"Key 'k' does not exist"}`},
		{name: "json 1.0 service error", svc: wire.CodeStarConnections, err: wire.NewError(400, "ResourceNotFoundException", "no"), status: 400,
			header: map[string]string{"Content-Type": "application/x-amz-json-1.0", "X-Amzn-Errortype": "ResourceNotFoundException"},
			body:   `{"__type":"com.amazonaws.codestarconnections#ResourceNotFoundException","message":"no"}`},
		{name: "json 1.0 front-end error", svc: wire.CodeStarConnections, err: wire.NewError(400, "UnrecognizedClientException", "bad"), status: 400,
			body: `{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"bad"}`},
		{name: "json extra fields", svc: wire.CodePipeline, err: wire.NewError(400, "X", "m").With("extra", "e").With("__type", "ignored"), status: 400,
			body: `{"__type":"X","extra":"e","message":"m"}`},
		{name: "query", svc: wire.STS, err: wire.NewError(403, "InvalidClientTokenId", "The security token included in the request is invalid."), status: 403,
			header: map[string]string{"Content-Type": "text/xml", "X-Amzn-Requestid": "rid"},
			body:   `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>rid</RequestId></ErrorResponse>`},
		{name: "query receiver fault, escaped", svc: wire.IAM, err: wire.NewError(500, "InternalFailure", "a < b & c"), status: 500,
			body: `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>a &lt; b &amp; c</Message></Error><RequestId>rid</RequestId></ErrorResponse>`},
		{name: "s3", svc: wire.S3, err: wire.NewError(404, "NoSuchBucket", "The specified bucket does not exist").With("BucketName", "b<1>"), status: 404,
			header: map[string]string{"Content-Type": "application/xml", "X-Amz-Request-Id": "RID"},
			body:   xml.Header + `<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>b&lt;1&gt;</BucketName><RequestId>RID</RequestId><HostId>cmlk</HostId></Error>`},
		{name: "s3 head has no body", svc: wire.S3, err: wire.NewError(404, "NoSuchKey", "m"), head: true, status: 404, body: ""},
		{name: "s3 field with a bad name is dropped", svc: wire.S3, err: wire.NewError(400, "X", "m").With("a b", "v"), status: 400,
			body: xml.Header + `<Error><Code>X</Code><Message>m</Message><RequestId>RID</RequestId><HostId>cmlk</HostId></Error>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			wire.WriteError(w, tt.svc, tt.err, "rid", tt.head)
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			got := w.Body.String()
			if tt.svc.Protocol == wire.JSON { // compare as JSON: member order is not part of the format
				var a, b any
				json.Unmarshal([]byte(tt.body), &a) //nolint:errcheck
				json.Unmarshal([]byte(got), &b)     //nolint:errcheck
				if diff := cmp.Diff(a, b); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			} else if diff := cmp.Diff(tt.body, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			for k, v := range tt.header {
				if got := w.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// The common errors are each valid error responses by the validator of the models.
func TestCommonErrorsValidate(t *testing.T) {
	ops := map[*wire.Service]string{wire.KMS: "Encrypt", wire.CodePipeline: "GetPipeline", wire.CodeStarConnections: "ListConnections",
		wire.IAM: "GetRole", wire.STS: "GetCallerIdentity", wire.S3: "GetObject"}
	for svc, op := range ops {
		for _, e := range []*wire.Error{wire.UnknownOperation(svc, "Nope"), wire.Serialization(svc, "bad"), wire.Validation(svc, "bad"),
			wire.MissingParameter(svc, "X"), wire.AccessDenied(svc, "no"), wire.Internal(svc), wire.TooLarge(svc, 10)} {
			w := httptest.NewRecorder()
			wire.WriteError(w, svc, e, wire.NewRequestID(), false)
			if probs := shapes.ValidateError(svc.Name, op, shapes.Captured{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()}); len(probs) > 0 {
				t.Errorf("%s %s: %v", svc.Name, e.Code, probs)
			}
		}
	}
}

type tag struct {
	Key   string
	Value string
}

type createRoleInput struct {
	RoleName                 string
	AssumeRolePolicyDocument string
	MaxSessionDuration       *int32
	Tags                     []tag
	PolicyArns               []struct{ Arn string } `query:"PolicyArns"`
	Context                  map[string]string
	Enabled                  *bool
	At                       time.Time
	Blob                     []byte
	Ignored                  string `query:"-"`
}

func TestDecodeQuery(t *testing.T) {
	params, _ := url.ParseQuery("RoleName=r&AssumeRolePolicyDocument=%7B%7D&MaxSessionDuration=3600" +
		"&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.4.Key=gap" +
		"&PolicyArns.member.1.Arn=arn1&Context.entry.1.key=k&Context.entry.1.value=v&Enabled=false&At=2025-03-04T05:06:07Z&Blob=aGk%3D&Ignored=x&Unknown=y")
	var in createRoleInput
	if err := wire.DecodeQuery(wire.IAM, params, &in); err != nil {
		t.Fatal(err)
	}
	hour, no := int32(3600), false
	want := createRoleInput{RoleName: "r", AssumeRolePolicyDocument: "{}", MaxSessionDuration: &hour,
		Tags: []tag{{"a", "1"}, {"b", "2"}}, PolicyArns: []struct{ Arn string }{{"arn1"}}, Context: map[string]string{"k": "v"},
		Enabled: &no, At: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC), Blob: []byte("hi")}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"MaxSessionDuration=an+hour", "Enabled=yes", "At=yesterday", "Blob=%21", "MaxSessionDuration=99999999999", "Context.entry.1.value=v"} {
		p, _ := url.ParseQuery(bad)
		var in createRoleInput
		if err := wire.DecodeQuery(wire.IAM, p, &in); err == nil || err.Code != "ValidationError" {
			t.Errorf("%s: %v, want ValidationError", bad, err)
		}
	}
}

func TestQueryRequest(t *testing.T) {
	tests := []struct {
		name, method, uri, ctype, body string
		action                         string
		params                         url.Values
		code                           string
	}{
		{name: "post", method: "POST", uri: "/", ctype: "application/x-www-form-urlencoded; charset=utf-8", body: "Action=GetCallerIdentity&Version=2011-06-15",
			action: "GetCallerIdentity", params: url.Values{}},
		{name: "get", method: "GET", uri: "/?Action=AssumeRole&Version=2011-06-15&RoleArn=a&RoleSessionName=s",
			action: "AssumeRole", params: url.Values{"RoleArn": {"a"}, "RoleSessionName": {"s"}}},
		{name: "url and body together", method: "POST", uri: "/?Version=2011-06-15", ctype: "application/x-www-form-urlencoded", body: "Action=GetCallerIdentity",
			action: "GetCallerIdentity", params: url.Values{}},
		{name: "no action", method: "POST", uri: "/", ctype: "application/x-www-form-urlencoded", body: "Version=2011-06-15", code: "MissingAction"},
		{name: "no version", method: "POST", uri: "/", ctype: "application/x-www-form-urlencoded", body: "Action=GetCallerIdentity", code: "InvalidAction"},
		{name: "other version", method: "POST", uri: "/", ctype: "application/x-www-form-urlencoded", body: "Action=GetCallerIdentity&Version=2010-05-08", code: "InvalidAction"},
		{name: "unknown action", method: "POST", uri: "/", ctype: "application/x-www-form-urlencoded", body: "Action=Launch&Version=2011-06-15", code: "InvalidAction"},
		{name: "action twice", method: "POST", uri: "/?Action=AssumeRole", ctype: "application/x-www-form-urlencoded", body: "Action=GetCallerIdentity&Version=2011-06-15", code: "MalformedQueryString"},
		{name: "json body", method: "POST", uri: "/", ctype: "application/json", body: `{"Action":"GetCallerIdentity"}`, code: "MalformedQueryString"},
		{name: "bad escape", method: "POST", uri: "/", ctype: "application/x-www-form-urlencoded", body: "Action=%zz", code: "MalformedQueryString"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "http://localhost"+tt.uri, strings.NewReader(tt.body))
			r.Header.Set("Content-Type", tt.ctype)
			action, params, err := wire.QueryRequest(wire.STS, r, []byte(tt.body))
			code := ""
			if err != nil {
				code = err.Code
			}
			if code != tt.code {
				t.Fatalf("error = %v, want %s", err, tt.code)
			}
			if err == nil {
				if diff := cmp.Diff([]any{tt.action, tt.params}, []any{action, params}); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestDecodeJSON(t *testing.T) {
	type in struct {
		Name    string            `json:"name"`
		Version int32             `json:"version"`
		Tags    map[string]string `json:"tags"`
		At      *wire.EpochSeconds
	}
	tests := []struct {
		body string
		want in
		msg  string
	}{
		{body: `{"name":"p","version":2,"tags":{"a":"b"},"unknown":[1,2],"At":1700000000.5}`,
			want: in{Name: "p", Version: 2, Tags: map[string]string{"a": "b"}, At: wire.Epoch(time.UnixMilli(1700000000500).UTC())}},
		{body: ``, want: in{}},
		{body: `{"name":1}`, msg: "SerializationException: name: a JSON number cannot be read as a string"},
		{body: `{"version":"2"}`, msg: "SerializationException: version: a JSON string cannot be read as an integer"},
		{body: `{"version":4294967296}`, msg: "SerializationException: version: a JSON number 4294967296 cannot be read as an integer"},
		{body: `{"name":"p"`, msg: "SerializationException: the request body cannot be read as JSON: unexpected EOF"},
		{body: `{"name":"p"} {}`, msg: "SerializationException: the request body has data after its JSON object"},
		{body: `[1]`, msg: "SerializationException: the request: a JSON array cannot be read as a structure"},
		{body: `{"At":"yesterday"}`, msg: "SerializationException: At: a JSON non-number cannot be read as a number"},
	}
	for _, tt := range tests {
		var got in
		err := wire.DecodeJSON(wire.CodePipeline, []byte(tt.body), &got)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if msg != tt.msg {
			t.Errorf("%s: error %q, want %q", tt.body, msg, tt.msg)
		}
		if err == nil {
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b wire.EpochSeconds) bool { return a.Time().Equal(b.Time()) })); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.body, diff)
			}
		}
	}
}

type role struct {
	RoleName   string
	Arn        string
	CreateDate wire.ISO8601
	Tags       []tag `xml:"Tags>member,omitempty"`
}

type getRoleOutput struct {
	Role role
}

func TestWriteQueryValidates(t *testing.T) {
	w := httptest.NewRecorder()
	out := getRoleOutput{Role: role{RoleName: "r", Arn: "arn:aws:iam::111111111111:role/r",
		CreateDate: wire.ISO8601(time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)), Tags: []tag{{"k", "v"}}}}
	if err := wire.WriteQuery(w, wire.IAM, "GetRole", "rid", out); err != nil {
		t.Fatal(err)
	}
	want := `<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role><RoleName>r</RoleName>` +
		`<Arn>arn:aws:iam::111111111111:role/r</Arn><CreateDate>2025-03-04T05:06:07.000Z</CreateDate><Tags><member><Key>k</Key><Value>v</Value></member></Tags></Role>` +
		`</GetRoleResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetRoleResponse>`
	if diff := cmp.Diff(want, w.Body.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The model requires Path and RoleId, which this output lacks: the validator says so.
	got := shapes.Validate("iam", "GetRole", shapes.Captured{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()})
	if diff := cmp.Diff([]string{"Role.Path: required member of Role is missing", "Role.RoleId: required member of Role is missing"}, problemStrings(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	w = httptest.NewRecorder()
	if err := wire.WriteQuery(w, wire.IAM, "DeleteRole", "rid", nil); err != nil {
		t.Fatal(err)
	}
	if probs := shapes.Validate("iam", "DeleteRole", shapes.Captured{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()}); len(probs) > 0 {
		t.Errorf("DeleteRole: %v", probs)
	}
}

func problemStrings(ps []shapes.Problem) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

type listBucketResult struct {
	XMLName  xml.Name `xml:"ListBucketResult"`
	Name     string
	KeyCount int
	Contents []struct {
		Key          string
		LastModified wire.ISO8601
		Size         int64
	}
}

func TestEncodeS3XML(t *testing.T) {
	v := listBucketResult{Name: "b", KeyCount: 1}
	v.Contents = append(v.Contents, struct {
		Key          string
		LastModified wire.ISO8601
		Size         int64
	}{"k", wire.ISO8601(time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)), 3})
	b, err := wire.EncodeS3XML(&v)
	if err != nil {
		t.Fatal(err)
	}
	want := xml.Header + `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><KeyCount>1</KeyCount>` +
		`<Contents><Key>k</Key><LastModified>2025-03-04T05:06:07.000Z</LastModified><Size>3</Size></Contents></ListBucketResult>`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if probs := shapes.Validate("s3", "ListObjectsV2", shapes.Captured{Status: 200, Header: http.Header{}, Body: b}); len(probs) > 0 {
		t.Errorf("validate: %v", probs)
	}
	type VersioningConfiguration struct{ Status string }
	b, _ = wire.EncodeS3XML(VersioningConfiguration{Status: "Enabled"})
	if !strings.Contains(string(b), `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>`) {
		t.Errorf("type-named root: %s", b)
	}
}

func TestEpochSeconds(t *testing.T) {
	for _, tt := range []struct {
		t    time.Time
		json string
	}{
		{time.Unix(1700000000, 0), "1700000000"},
		{time.UnixMilli(1700000000123), "1700000000.123"},
	} {
		b, _ := json.Marshal(wire.Epoch(tt.t))
		if string(b) != tt.json {
			t.Errorf("%v: %s, want %s", tt.t, b, tt.json)
		}
	}
}

func TestNewRequestID(t *testing.T) {
	a, b := wire.NewRequestID(), wire.NewRequestID()
	if a == b || len(a) != 36 || strings.Count(a, "-") != 4 {
		t.Errorf("request ids %q, %q", a, b)
	}
}
