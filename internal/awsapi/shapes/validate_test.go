package shapes_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/shapes"
)

func jsonResp(body string) shapes.Captured {
	return shapes.Captured{Status: 200, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}}, Body: []byte(body)}
}

func xmlResp(status int, body string, header ...string) shapes.Captured {
	h := http.Header{"Content-Type": {"text/xml"}}
	for i := 0; i+1 < len(header); i += 2 {
		h.Add(header[i], header[i+1])
	}
	return shapes.Captured{Status: status, Header: h, Body: []byte(body)}
}

func problems(ps []shapes.Problem) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

const goodPipeline = `{"pipeline":{"name":"p","roleArn":"arn:aws:iam::111111111111:role/r","version":2,
 "pipelineType":"V2","executionMode":"QUEUED",
 "artifactStore":{"type":"S3","location":"bucket"},
 "variables":[{"name":"v","defaultValue":"d"}],
 "stages":[{"name":"Source","actions":[{"name":"S","runOrder":1,
   "actionTypeId":{"category":"Source","owner":"AWS","provider":"S3","version":"1"},
   "configuration":{"S3Bucket":"b","S3ObjectKey":"k"},"outputArtifacts":[{"name":"out"}]}]}]},
 "metadata":{"pipelineArn":"arn:aws:codepipeline:us-east-1:111111111111:p","created":1700000000.123,"updated":1700000001}}`

func TestValidateJSON(t *testing.T) {
	tests := []struct {
		name      string
		service   string
		operation string
		resp      shapes.Captured
		want      []string
	}{
		{name: "good pipeline", service: "codepipeline", operation: "GetPipeline", resp: jsonResp(goodPipeline), want: []string{}},
		{name: "unknown member", service: "codepipeline", operation: "GetPipeline",
			resp: jsonResp(strings.Replace(goodPipeline, `"version":2,`, `"version":2,"colour":"red",`, 1)),
			want: []string{"pipeline.colour: not a member of PipelineDeclaration (members: artifactStore, artifactStores, executionMode, name, pipelineType, roleArn, stages, triggers, variables, version)"}},
		{name: "enum", service: "codepipeline", operation: "GetPipeline",
			resp: jsonResp(strings.Replace(goodPipeline, `"category":"Source"`, `"category":"Bake"`, 1)),
			want: []string{`pipeline.stages[0].actions[0].actionTypeId.category: "Bake" is not a value of ActionCategory (Source, Build, Deploy, Test, Invoke, Approval, Compute)`}},
		{name: "required member missing", service: "codepipeline", operation: "GetPipeline",
			resp: jsonResp(strings.Replace(goodPipeline, `"roleArn":"arn:aws:iam::111111111111:role/r",`, ``, 1)),
			want: []string{"pipeline.roleArn: required member of PipelineDeclaration is missing"}},
		{name: "timestamp as a string", service: "codepipeline", operation: "GetPipeline",
			resp: jsonResp(strings.Replace(goodPipeline, `"created":1700000000.123`, `"created":"2023-11-14T22:13:20Z"`, 1)),
			want: []string{"metadata.created: a timestamp in epoch seconds (a JSON number), got a string"}},
		{name: "integer as a string", service: "codepipeline", operation: "GetPipeline",
			resp: jsonResp(strings.Replace(goodPipeline, `"version":2`, `"version":"2"`, 1)),
			want: []string{"pipeline.version: an integer, got a string"}},
		{name: "integer too large", service: "codepipeline", operation: "GetPipeline",
			resp: jsonResp(strings.Replace(goodPipeline, `"version":2`, `"version":4294967296`, 1)),
			want: []string{"pipeline.version: 4294967296 does not fit an integer (32 bits)"}},
		{name: "integer below the minimum", service: "codepipeline", operation: "GetPipeline",
			resp: jsonResp(strings.Replace(goodPipeline, `"version":2`, `"version":0`, 1)),
			want: []string{"pipeline.version: 0 is below the minimum 1 of PipelineVersion"}},
		{name: "several problems, sorted by path", service: "codepipeline", operation: "GetPipeline",
			resp: jsonResp(`{"pipeline":{"name":"p","roleArn":"r","stages":[],"zeta":1,"alpha":2}}`),
			want: []string{
				"pipeline.alpha: not a member of PipelineDeclaration (members: artifactStore, artifactStores, executionMode, name, pipelineType, roleArn, stages, triggers, variables, version)",
				"pipeline.zeta: not a member of PipelineDeclaration (members: artifactStore, artifactStores, executionMode, name, pipelineType, roleArn, stages, triggers, variables, version)",
			}},
		{name: "null", service: "codepipeline", operation: "GetPipeline",
			resp: jsonResp(strings.Replace(goodPipeline, `"pipelineType":"V2"`, `"pipelineType":null`, 1)),
			want: []string{"pipeline.pipelineType: null where a string (PipelineType) belongs: AWS omits absent members"}},
		{name: "map value of the wrong type", service: "codepipeline", operation: "GetPipeline",
			resp: jsonResp(strings.Replace(goodPipeline, `"S3ObjectKey":"k"`, `"S3ObjectKey":7`, 1)),
			want: []string{"pipeline.stages[0].actions[0].configuration{S3ObjectKey}: a string (ActionConfigurationValue), got a number"}},
		{name: "not JSON", service: "codepipeline", operation: "GetPipeline", resp: jsonResp(`<x/>`),
			want: []string{"body is not JSON: invalid character '<' looking for beginning of value"}},
		{name: "wrong content type", service: "kms", operation: "ListKeys",
			resp: shapes.Captured{Status: 200, Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte(`{}`)},
			want: []string{`header:Content-Type: "text/html" is not a JSON content type`}},
		{name: "good blob", service: "kms", operation: "Encrypt",
			resp: jsonResp(`{"CiphertextBlob":"AQIDBA==","KeyId":"arn:aws:kms:us-east-1:111111111111:key/k","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}`), want: []string{}},
		{name: "blob not base64", service: "kms", operation: "Encrypt",
			resp: jsonResp(`{"CiphertextBlob":"not base64!"}`),
			want: []string{"CiphertextBlob: a blob must be base64: illegal base64 data at input byte 3"}},
		{name: "required KeyId", service: "kms", operation: "DescribeKey",
			resp: jsonResp(`{"KeyMetadata":{"KeyState":"Enabled","Enabled":true,"CreationDate":1.7e9}}`),
			want: []string{"KeyMetadata.KeyId: required member of KeyMetadata is missing"}},
		{name: "boolean as a string", service: "kms", operation: "DescribeKey",
			resp: jsonResp(`{"KeyMetadata":{"KeyId":"k","Enabled":"true"}}`),
			want: []string{"KeyMetadata.Enabled: a boolean, got a string"}},
		{name: "output on an operation without output", service: "kms", operation: "EnableKeyRotation",
			resp: jsonResp(`{"a":1}`), want: []string{`the operation has no output, the body is "{\"a\":1}"`}},
		{name: "unknown operation", service: "kms", operation: "MakeCoffee", resp: jsonResp(`{}`),
			want: []string{`kms has no operation "MakeCoffee"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problems(shapes.Validate(tt.service, tt.operation, tt.resp))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

const goodCallerIdentity = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::111111111111:root</Arn>
    <UserId>111111111111</UserId>
    <Account>111111111111</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`

const goodListRoles = `<ListRolesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <ListRolesResult>
    <IsTruncated>false</IsTruncated>
    <Roles>
      <member>
        <Path>/</Path><RoleName>r</RoleName><RoleId>AROAEXAMPLEEXAMPLE01</RoleId>
        <Arn>arn:aws:iam::111111111111:role/r</Arn><CreateDate>2025-03-04T05:06:07Z</CreateDate>
        <Tags><member><Key>k</Key><Value>v</Value></member></Tags>
        <MaxSessionDuration>3600</MaxSessionDuration>
      </member>
    </Roles>
  </ListRolesResult>
  <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>
</ListRolesResponse>`

func TestValidateQuery(t *testing.T) {
	tests := []struct {
		name      string
		service   string
		operation string
		body      string
		want      []string
	}{
		{name: "good caller identity", service: "sts", operation: "GetCallerIdentity", body: goodCallerIdentity, want: []string{}},
		{name: "wrong namespace", service: "sts", operation: "GetCallerIdentity",
			body: strings.Replace(goodCallerIdentity, "sts.amazonaws.com", "iam.amazonaws.com", 1),
			want: []string{`root namespace "https://iam.amazonaws.com/doc/2011-06-15/", want "https://sts.amazonaws.com/doc/2011-06-15/"`}},
		{name: "wrong root", service: "sts", operation: "GetCallerIdentity",
			body: strings.ReplaceAll(goodCallerIdentity, "GetCallerIdentityResponse", "CallerIdentityResponse"),
			want: []string{"root element <CallerIdentityResponse>, want <GetCallerIdentityResponse>"}},
		{name: "no request id", service: "sts", operation: "GetCallerIdentity",
			body: strings.Replace(goodCallerIdentity, "<ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>", "", 1),
			want: []string{"ResponseMetadata: missing"}},
		{name: "unknown member", service: "sts", operation: "GetCallerIdentity",
			body: strings.Replace(goodCallerIdentity, "<Account>", "<Acount>x</Acount><Account>", 1),
			want: []string{"Acount: not a member of GetCallerIdentityResponse"}},
		{name: "good roles", service: "iam", operation: "ListRoles", body: goodListRoles, want: []string{}},
		{name: "bad timestamp", service: "iam", operation: "ListRoles",
			body: strings.Replace(goodListRoles, "2025-03-04T05:06:07Z", "yesterday", 1),
			want: []string{`Roles[0].CreateDate: "yesterday" is not an iso8601 timestamp`}},
		{name: "required member missing", service: "iam", operation: "ListRoles",
			body: strings.Replace(goodListRoles, "<RoleId>AROAEXAMPLEEXAMPLE01</RoleId>", "", 1),
			want: []string{"Roles[0].RoleId: required member of Role is missing"}},
		{name: "list without member elements", service: "iam", operation: "ListRoles",
			body: strings.Replace(goodListRoles, "<Tags><member><Key>k</Key><Value>v</Value></member></Tags>", "<Tags><Tag><Key>k</Key><Value>v</Value></Tag></Tags>", 1),
			want: []string{"Roles[0].Tags: list element <Tag>, want <member>"}},
		{name: "integer", service: "iam", operation: "ListRoles",
			body: strings.Replace(goodListRoles, "<MaxSessionDuration>3600", "<MaxSessionDuration>an hour", 1),
			want: []string{`Roles[0].MaxSessionDuration: "an hour" is not an integer`}},
		{name: "boolean", service: "iam", operation: "ListRoles",
			body: strings.Replace(goodListRoles, "<IsTruncated>false", "<IsTruncated>no", 1),
			want: []string{`IsTruncated: "no" is not a boolean (true or false)`}},
		{name: "missing result element", service: "iam", operation: "ListRoles",
			body: `<ListRolesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListRolesResponse>`,
			want: []string{"ListRolesResult: missing"}},
		{name: "operation without output", service: "iam", operation: "DeleteRole",
			body: `<DeleteRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteRoleResponse>`,
			want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problems(shapes.Validate(tt.service, tt.operation, xmlResp(200, tt.body)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

const goodListObjectsV2 = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix></Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>
  <Contents><Key>a</Key><LastModified>2025-03-04T05:06:07.000Z</LastModified><ETag>"0cc175b9c0f1b6a831c399e269772661"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>b</Key><LastModified>2025-03-04T05:06:07.000Z</LastModified><Size>2</Size><StorageClass>STANDARD</StorageClass></Contents>
  <CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>
</ListBucketResult>`

func TestValidateRESTXML(t *testing.T) {
	tests := []struct {
		name      string
		operation string
		resp      shapes.Captured
		want      []string
	}{
		{name: "good list", operation: "ListObjectsV2", resp: xmlResp(200, goodListObjectsV2), want: []string{}},
		{name: "no namespace", operation: "ListObjectsV2",
			resp: xmlResp(200, strings.Replace(goodListObjectsV2, ` xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`, "", 1)),
			want: []string{`root <ListBucketResult> namespace "", want "http://s3.amazonaws.com/doc/2006-03-01/"`}},
		{name: "storage class enum", operation: "ListObjectsV2",
			resp: xmlResp(200, strings.Replace(goodListObjectsV2, "<StorageClass>STANDARD", "<StorageClass>FAST", 1)),
			want: []string{`Contents[0].StorageClass: "FAST" is not a value of ObjectStorageClass (STANDARD, REDUCED_REDUNDANCY, GLACIER, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, DEEP_ARCHIVE, OUTPOSTS, GLACIER_IR, SNOW, EXPRESS_ONEZONE, FSX_OPENZFS, FSX_ONTAP)`}},
		{name: "timestamp", operation: "ListObjectsV2",
			resp: xmlResp(200, strings.Replace(goodListObjectsV2, "2025-03-04T05:06:07.000Z", "Tue, 04 Mar 2025 05:06:07 GMT", 1)),
			want: []string{`Contents[0].LastModified: "Tue, 04 Mar 2025 05:06:07 GMT" is not an iso8601 timestamp`}},
		{name: "not flattened", operation: "ListObjectsV2",
			resp: xmlResp(200, strings.Replace(goodListObjectsV2, "<KeyCount>2</KeyCount>", "<KeyCount>2</KeyCount><KeyCount>3</KeyCount>", 1)),
			want: []string{"KeyCount: appears 2 times"}},
		{name: "good head object", operation: "HeadObject",
			resp: xmlResp(200, "", "Last-Modified", "Tue, 04 Mar 2025 05:06:07 GMT", "Content-Length", "11", "ETag", `"x"`, "x-amz-version-id", "v1", "x-amz-server-side-encryption", "aws:kms"),
			want: []string{}},
		{name: "head object headers", operation: "HeadObject",
			resp: xmlResp(200, "", "Last-Modified", "2025-03-04T05:06:07Z", "Content-Length", "eleven", "x-amz-server-side-encryption", "rot13"),
			want: []string{`header:Content-Length: "eleven" is not an long`, `header:Last-Modified: "2025-03-04T05:06:07Z" is not an rfc822 timestamp`, `header:x-amz-server-side-encryption: "rot13" is not a value of ServerSideEncryption (AES256, aws:fsx, aws:kms, aws:kms:dsse)`}},
		{name: "delete object is 204", operation: "DeleteObject", resp: xmlResp(204, "", "x-amz-version-id", "v1"), want: []string{}},
		{name: "delete object with 200", operation: "DeleteObject", resp: xmlResp(200, ""), want: []string{"status 200, want 204"}},
		{name: "bucket policy is the raw body", operation: "GetBucketPolicy", resp: xmlResp(200, `{"Version":"2012-10-17"}`), want: []string{}},
		{name: "versioning", operation: "GetBucketVersioning",
			resp: xmlResp(200, `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>`), want: []string{}},
		{name: "versioning enum", operation: "GetBucketVersioning",
			resp: xmlResp(200, `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>On</Status></VersioningConfiguration>`),
			want: []string{`Status: "On" is not a value of BucketVersioningStatus (Enabled, Suspended)`}},
		{name: "no output, a body", operation: "PutBucketVersioning", resp: xmlResp(200, "<x/>"), want: []string{`the operation has no output, the body is "<x/>"`}},
		{name: "delete objects, flattened with locationName", operation: "DeleteObjects",
			resp: xmlResp(200, `<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>`),
			want: []string{}},
		{name: "copy object payload root", operation: "CopyObject",
			resp: xmlResp(200, `<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>"e"</ETag><LastModified>2025-03-04T05:06:07.000Z</LastModified></CopyObjectResult>`),
			want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problems(shapes.Validate("s3", tt.operation, tt.resp))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateError(t *testing.T) {
	tests := []struct {
		name      string
		service   string
		operation string
		resp      shapes.Captured
		want      []string
	}{
		{name: "json", service: "kms", operation: "DescribeKey",
			resp: shapes.Captured{Status: 400, Header: http.Header{"X-Amzn-Errortype": {"NotFoundException"}}, Body: []byte(`{"__type":"NotFoundException","message":"no such key"}`)},
			want: []string{}},
		{name: "json with a namespace", service: "codestar-connections", operation: "GetConnection",
			resp: shapes.Captured{Status: 400, Header: http.Header{}, Body: []byte(`{"__type":"com.amazonaws.codestarconnections#ResourceNotFoundException","message":"m"}`)},
			want: []string{}},
		{name: "json without __type", service: "kms", operation: "DescribeKey",
			resp: shapes.Captured{Status: 400, Header: http.Header{}, Body: []byte(`{"message":"m"}`)},
			want: []string{"__type: missing: the SDKs read the error code from __type"}},
		{name: "json header disagrees", service: "kms", operation: "DescribeKey",
			resp: shapes.Captured{Status: 400, Header: http.Header{"X-Amzn-Errortype": {"AccessDeniedException:http://internal"}}, Body: []byte(`{"__type":"NotFoundException","message":"m"}`)},
			want: []string{`header:X-Amzn-ErrorType: "AccessDeniedException:http://internal" names another error than __type "NotFoundException"`}},
		{name: "query", service: "sts", operation: "AssumeRole",
			resp: xmlResp(403, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>`),
			want: []string{}},
		{name: "query without type", service: "iam", operation: "GetRole",
			resp: xmlResp(404, `<ErrorResponse><Error><Code>NoSuchEntity</Code><Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>`),
			want: []string{"Error.Type: want Sender or Receiver"}},
		{name: "declared status", service: "iam", operation: "GetRole",
			resp: xmlResp(400, `<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>`),
			want: []string{"NoSuchEntity is declared with status 404, the response has 400"}},
		{name: "s3", service: "s3", operation: "HeadBucket", resp: xmlResp(404, ""), want: []string{}},
		{name: "s3 with body", service: "s3", operation: "ListObjectsV2",
			resp: xmlResp(404, `<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>b</BucketName><RequestId>r</RequestId><HostId>h</HostId></Error>`),
			want: []string{}},
		{name: "s3 wrong status", service: "s3", operation: "ListObjectsV2",
			resp: xmlResp(400, `<Error><Code>NoSuchBucket</Code><Message>m</Message><RequestId>r</RequestId></Error>`),
			want: []string{"NoSuchBucket is declared with status 404, the response has 400"}},
		{name: "success status", service: "s3", operation: "ListObjectsV2",
			resp: xmlResp(200, `<Error><Code>X</Code><Message>m</Message><RequestId>r</RequestId></Error>`),
			want: []string{"status 200 is not an error status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problems(shapes.ValidateError(tt.service, tt.operation, tt.resp))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEmbeddedModels(t *testing.T) {
	want := []string{"codepipeline", "codestar-connections", "iam", "kms", "s3", "secretsmanager", "ssm", "sts"}
	if diff := cmp.Diff(want, shapes.Services()); diff != "" {
		t.Fatalf("services (-want +got):\n%s", diff)
	}
	protocols := map[string]string{}
	for _, s := range want {
		m, err := shapes.Load(s)
		if err != nil {
			t.Fatal(err)
		}
		protocols[s] = m.Metadata.Protocol + " " + m.Metadata.Signing()
	}
	if diff := cmp.Diff(map[string]string{
		"codepipeline": "json codepipeline", "codestar-connections": "json codestar-connections", "iam": "query iam",
		"kms": "json kms", "s3": "rest-xml s3", "secretsmanager": "json secretsmanager", "ssm": "json ssm", "sts": "query sts",
	}, protocols); diff != "" {
		t.Errorf("protocols (-want +got):\n%s", diff)
	}
	if _, err := shapes.Load("dynamodb"); err == nil {
		t.Error("Load(dynamodb) succeeded")
	}
}
