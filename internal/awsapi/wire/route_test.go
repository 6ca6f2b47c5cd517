package wire_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
)

// request builds a server-side request as net/http would deliver it: RequestURI as sent.
func request(method, host, uri string, header map[string]string) *http.Request {
	path, query, _ := strings.Cut(uri, "?")
	if _, err := url.ParseRequestURI(path); err != nil {
		path = "/" // net/http would refuse it; the router must still not trust the parsed URL
	}
	r := httptest.NewRequest(method, "http://"+host+path, nil)
	r.URL.RawQuery = query
	r.RequestURI = uri
	for k, v := range header {
		r.Header.Set(k, v)
	}
	return r
}

type s3Want struct {
	Op, Bucket, Key, Region string
	Virtual                 bool
	Code                    string
	Status                  int
}

func TestS3Target(t *testing.T) {
	rt := &wire.Router{}
	tests := []struct {
		name   string
		method string
		host   string
		uri    string
		header map[string]string
		want   s3Want
	}{
		{name: "list buckets", method: "GET", host: "localhost:4566", uri: "/", want: s3Want{Op: "ListBuckets"}},
		{name: "create bucket", method: "PUT", host: "localhost:4566", uri: "/my-bucket", want: s3Want{Op: "CreateBucket", Bucket: "my-bucket"}},
		{name: "bucket with trailing slash", method: "HEAD", host: "127.0.0.1:4566", uri: "/my-bucket/", want: s3Want{Op: "HeadBucket", Bucket: "my-bucket"}},
		{name: "versioning", method: "PUT", host: "localhost", uri: "/b-1?versioning", want: s3Want{Op: "PutBucketVersioning", Bucket: "b-1"}},
		{name: "policy", method: "DELETE", host: "localhost", uri: "/b-1?policy", want: s3Want{Op: "DeleteBucketPolicy", Bucket: "b-1"}},
		{name: "location", method: "GET", host: "localhost", uri: "/b-1?location", want: s3Want{Op: "GetBucketLocation", Bucket: "b-1"}},
		{name: "list v2", method: "GET", host: "localhost", uri: "/b-1?list-type=2&prefix=a%2Fb", want: s3Want{Op: "ListObjectsV2", Bucket: "b-1"}},
		{name: "list v1", method: "GET", host: "localhost", uri: "/b-1?prefix=a", want: s3Want{Op: "ListObjects", Bucket: "b-1"}},
		{name: "versions", method: "GET", host: "localhost", uri: "/b-1?versions", want: s3Want{Op: "ListObjectVersions", Bucket: "b-1"}},
		{name: "delete objects", method: "POST", host: "localhost", uri: "/b-1?delete", want: s3Want{Op: "DeleteObjects", Bucket: "b-1"}},
		{name: "get object version", method: "GET", host: "localhost", uri: "/b-1/dir/a%20b.txt?versionId=3", want: s3Want{Op: "GetObject", Bucket: "b-1", Key: "dir/a b.txt"}},
		{name: "key with encoded slash and plus", method: "PUT", host: "localhost", uri: "/b-1/a%2Fb+c", want: s3Want{Op: "PutObject", Bucket: "b-1", Key: "a/b+c"}},
		{name: "key beginning with a slash", method: "GET", host: "localhost", uri: "/b-1//abs", want: s3Want{Op: "GetObject", Bucket: "b-1", Key: "/abs"}},
		{name: "copy", method: "PUT", host: "localhost", uri: "/b-1/k", header: map[string]string{"X-Amz-Copy-Source": "/src/k"}, want: s3Want{Op: "CopyObject", Bucket: "b-1", Key: "k"}},
		{name: "initiate multipart", method: "POST", host: "localhost", uri: "/b-1/k?uploads", want: s3Want{Op: "CreateMultipartUpload", Bucket: "b-1", Key: "k"}},
		{name: "upload part", method: "PUT", host: "localhost", uri: "/b-1/k?partNumber=1&uploadId=u", want: s3Want{Op: "UploadPart", Bucket: "b-1", Key: "k"}},
		{name: "upload part copy", method: "PUT", host: "localhost", uri: "/b-1/k?partNumber=1&uploadId=u", header: map[string]string{"X-Amz-Copy-Source": "/s/k"}, want: s3Want{Op: "UploadPartCopy", Bucket: "b-1", Key: "k"}},
		{name: "complete multipart", method: "POST", host: "localhost", uri: "/b-1/k?uploadId=u", want: s3Want{Op: "CompleteMultipartUpload", Bucket: "b-1", Key: "k"}},
		{name: "abort multipart", method: "DELETE", host: "localhost", uri: "/b-1/k?uploadId=u", want: s3Want{Op: "AbortMultipartUpload", Bucket: "b-1", Key: "k"}},
		{name: "list parts", method: "GET", host: "localhost", uri: "/b-1/k?uploadId=u", want: s3Want{Op: "ListParts", Bucket: "b-1", Key: "k"}},
		{name: "list multipart uploads", method: "GET", host: "localhost", uri: "/b-1?uploads", want: s3Want{Op: "ListMultipartUploads", Bucket: "b-1"}},
		{name: "x-id of the sdk", method: "GET", host: "localhost", uri: "/b-1/k?x-id=GetObject", want: s3Want{Op: "GetObject", Bucket: "b-1", Key: "k"}},
		{name: "unknown subresource is ignored", method: "GET", host: "localhost", uri: "/b-1?colour", want: s3Want{Op: "ListObjects", Bucket: "b-1"}},
		{name: "cors read, not implemented here but routed", method: "GET", host: "localhost", uri: "/b-1?cors", want: s3Want{Op: "GetBucketCors", Bucket: "b-1"}},
		{name: "virtual host", method: "GET", host: "my-bucket.localhost:4566", uri: "/dir/k", want: s3Want{Op: "GetObject", Bucket: "my-bucket", Key: "dir/k", Virtual: true}},
		{name: "virtual host, bucket level", method: "GET", host: "my-bucket.localhost:4566", uri: "/?versioning", want: s3Want{Op: "GetBucketVersioning", Bucket: "my-bucket", Virtual: true}},
		{name: "virtual host with dots", method: "GET", host: "my.dotted.bucket.localhost", uri: "/k", want: s3Want{Op: "GetObject", Bucket: "my.dotted.bucket", Key: "k", Virtual: true}},
		{name: "virtual host under s3", method: "HEAD", host: "b-1.s3.localhost", uri: "/k", want: s3Want{Op: "HeadObject", Bucket: "b-1", Key: "k", Virtual: true}},
		{name: "virtual host under regional s3", method: "HEAD", host: "b-1.s3.eu-west-1.localhost:4566", uri: "/k", want: s3Want{Op: "HeadObject", Bucket: "b-1", Key: "k", Virtual: true, Region: "eu-west-1"}},
		{name: "s3 host is path-style", method: "GET", host: "s3.localhost", uri: "/b-1/k", want: s3Want{Op: "GetObject", Bucket: "b-1", Key: "k"}},
		{name: "regional s3 host", method: "GET", host: "s3.us-west-2.localhost", uri: "/b-1", want: s3Want{Op: "ListObjects", Bucket: "b-1", Region: "us-west-2"}},
		{name: "IPv6 host is path-style", method: "GET", host: "[::1]:4566", uri: "/b-1", want: s3Want{Op: "ListObjects", Bucket: "b-1"}},
		{name: "other host is path-style", method: "GET", host: "build-box:4566", uri: "/b-1", want: s3Want{Op: "ListObjects", Bucket: "b-1"}},

		{name: "bucket traversal", method: "GET", host: "localhost", uri: "/../k", want: s3Want{Code: "InvalidBucketName", Status: 400}},
		{name: "bucket encoded traversal", method: "GET", host: "localhost", uri: "/%2E%2E/k", want: s3Want{Code: "InvalidBucketName", Status: 400}},
		{name: "upper-case bucket", method: "GET", host: "localhost", uri: "/MyBucket", want: s3Want{Code: "InvalidBucketName", Status: 400}},
		{name: "short bucket", method: "GET", host: "localhost", uri: "/ab", want: s3Want{Code: "InvalidBucketName", Status: 400}},
		{name: "ip bucket", method: "GET", host: "localhost", uri: "/192.168.1.1", want: s3Want{Code: "InvalidBucketName", Status: 400}},
		{name: "adjacent dots", method: "GET", host: "localhost", uri: "/a..b", want: s3Want{Code: "InvalidBucketName", Status: 400}},
		{name: "reserved suffix", method: "GET", host: "localhost", uri: "/abc-s3alias", want: s3Want{Code: "InvalidBucketName", Status: 400}},
		{name: "key traversal", method: "PUT", host: "localhost", uri: "/b-1/../../etc/passwd", want: s3Want{Code: "InvalidArgument", Status: 400}},
		{name: "encoded key traversal", method: "PUT", host: "localhost", uri: "/b-1/a/%2e%2e/b", want: s3Want{Code: "InvalidArgument", Status: 400}},
		{name: "dot segment", method: "PUT", host: "localhost", uri: "/b-1/./a", want: s3Want{Code: "InvalidArgument", Status: 400}},
		{name: "virtual host key traversal", method: "GET", host: "b-1.localhost", uri: "/..", want: s3Want{Code: "InvalidArgument", Status: 400}},
		{name: "NUL in key", method: "PUT", host: "localhost", uri: "/b-1/a%00b", want: s3Want{Code: "InvalidArgument", Status: 400}},
		{name: "key not UTF-8", method: "PUT", host: "localhost", uri: "/b-1/a%ffb", want: s3Want{Code: "InvalidArgument", Status: 400}},
		{name: "key too long", method: "PUT", host: "localhost", uri: "/b-1/" + strings.Repeat("k", 1025), want: s3Want{Code: "KeyTooLongError", Status: 400}},
		{name: "key of 1024 bytes", method: "PUT", host: "localhost", uri: "/b-1/" + strings.Repeat("k", 1024), want: s3Want{Op: "PutObject", Bucket: "b-1", Key: strings.Repeat("k", 1024)}},
		{name: "bad escape", method: "GET", host: "localhost", uri: "/b-1/a%zz", want: s3Want{Code: "InvalidURI", Status: 400}},
		{name: "bad query escape", method: "GET", host: "localhost", uri: "/b-1?prefix=%zz", want: s3Want{Code: "InvalidURI", Status: 400}},
		{name: "no such method", method: "PATCH", host: "localhost", uri: "/b-1/k", want: s3Want{Code: "MethodNotAllowed", Status: 405}},
		{name: "post to the service", method: "POST", host: "localhost", uri: "/", want: s3Want{Code: "MethodNotAllowed", Status: 405}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, err := rt.S3Target(request(tt.method, tt.host, tt.uri, tt.header))
			var got s3Want
			if err != nil {
				got = s3Want{Code: err.Code, Status: err.Status}
			} else {
				got = s3Want{Op: target.Operation, Bucket: target.Bucket, Key: target.Key, Virtual: target.VirtualHost, Region: target.HostRegion}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRouterService(t *testing.T) {
	rt := &wire.Router{}
	tests := []struct {
		name   string
		method string
		host   string
		uri    string
		scope  string
		header map[string]string
		want   string // service name
		code   string
	}{
		{name: "codepipeline target", method: "POST", host: "localhost:4566", uri: "/", scope: "codepipeline",
			header: map[string]string{"X-Amz-Target": "CodePipeline_20150709.GetPipeline"}, want: "codepipeline"},
		{name: "kms target", method: "POST", host: "localhost:4566", uri: "/", scope: "kms",
			header: map[string]string{"X-Amz-Target": "TrentService.Encrypt"}, want: "kms"},
		{name: "connections target", method: "POST", host: "localhost:4566", uri: "/", scope: "codestar-connections",
			header: map[string]string{"X-Amz-Target": "com.amazonaws.codestar.connections.CodeStar_connections_20191201.ListConnections"}, want: "codestar-connections"},
		{name: "connections short target, as the Go SDK sends it", method: "POST", host: "localhost:4566", uri: "/", scope: "codestar-connections",
			header: map[string]string{"X-Amz-Target": "CodeStar_connections_20191201.ListConnections"}, want: "codestar-connections"},
		{name: "target wins over scope (the scope check refuses it later)", method: "POST", host: "localhost", uri: "/", scope: "s3",
			header: map[string]string{"X-Amz-Target": "TrentService.Encrypt"}, want: "kms"},
		{name: "unknown target prefix", method: "POST", host: "localhost", uri: "/", scope: "kms",
			header: map[string]string{"X-Amz-Target": "DynamoDB_20120810.ListTables"}, want: "kms", code: "UnknownOperationException"},
		{name: "scope: sts", method: "POST", host: "localhost", uri: "/", scope: "sts", want: "sts"},
		{name: "scope: iam", method: "POST", host: "localhost", uri: "/", scope: "iam", want: "iam"},
		{name: "scope: s3", method: "GET", host: "localhost", uri: "/b-1", scope: "s3", want: "s3"},
		{name: "scope: unknown service", method: "POST", host: "localhost", uri: "/", scope: "dynamodb",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, want: "unknown", code: "InvalidAction"},
		{name: "unsigned: host", method: "POST", host: "iam.localhost:4566", uri: "/", want: "iam"},
		{name: "unsigned: regional host", method: "POST", host: "kms.eu-west-1.localhost", uri: "/", want: "kms"},
		{name: "unsigned: action in the URL", method: "GET", host: "localhost", uri: "/?Action=GetCallerIdentity&Version=2011-06-15", want: "sts"},
		{name: "unsigned: iam action in the URL", method: "GET", host: "localhost", uri: "/?Action=ListRoles&Version=2010-05-08", want: "iam"},
		{name: "unsigned: unknown action", method: "GET", host: "localhost", uri: "/?Action=Launch", want: "sts", code: "InvalidAction"},
		{name: "unsigned: a form", method: "POST", host: "localhost", uri: "/", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, want: "sts"},
		{name: "unsigned: anything else is s3", method: "GET", host: "bucket.localhost", uri: "/k", want: "s3"},
		{name: "unsigned: s3 bucket named like a service", method: "GET", host: "kms.localhost", uri: "/k", want: "kms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(tt.method, tt.host, tt.uri, tt.header)
			svc, err := rt.Service(r, tt.scope)
			code := ""
			if err != nil {
				code = err.Code
			}
			if diff := cmp.Diff([]string{tt.want, tt.code}, []string{svc.Name, code}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	r := request("POST", "localhost", "/", nil)
	r.Header.Add("X-Amz-Target", "TrentService.Encrypt")
	r.Header.Add("X-Amz-Target", "TrentService.Decrypt")
	if _, err := rt.Service(r, "kms"); err == nil || err.Code != "SerializationException" {
		t.Errorf("two targets: %v, want SerializationException", err)
	}
}

func TestJSONOperation(t *testing.T) {
	tests := []struct{ target, op, code string }{
		{"TrentService.Encrypt", "Encrypt", ""},
		{"", "", "UnknownOperationException"},
		{"TrentService.", "", "UnknownOperationException"},
		{"TrentService.Enc rypt", "", "UnknownOperationException"},
		{"CodePipeline_20150709.GetPipeline", "", "UnknownOperationException"},
	}
	for _, tt := range tests {
		r := request("POST", "localhost", "/", map[string]string{"X-Amz-Target": tt.target})
		op, err := wire.JSONOperation(wire.KMS, r)
		code := ""
		if err != nil {
			code = err.Code
		}
		if op != tt.op || code != tt.code {
			t.Errorf("%q: %q, %v; want %q, %s", tt.target, op, err, tt.op, tt.code)
		}
	}
}

func TestValidRegion(t *testing.T) {
	for r, want := range map[string]bool{"us-east-1": true, "us-gov-west-1": true, "ap-southeast-2": true, "eu-central-2": true,
		"": false, "us-east": false, "US-EAST-1": false, "us-east-1a": false, "../etc": false} {
		if got := wire.ValidRegion(r); got != want {
			t.Errorf("ValidRegion(%q) = %v", r, got)
		}
	}
}
