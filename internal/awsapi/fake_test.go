package awsapi_test

import (
	"bytes"
	"context"
	"crypto/md5" //nolint:gosec // S3's ETag
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/shapes"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
)

// The fake cloud: a few operations of each service, over memory, enough to drive real clients
// through every protocol path of the server. Phase B replaces these with adapters over the
// backend; the shapes of their answers are checked by the models the same way.

const (
	rootKey      = "AKIAAAAAAAAAAAAAAAA1"
	rootSecret   = "root/secret/111111111111/aaaaaaaaaaaaaaaa"
	otherKey     = "AKIAAAAAAAAAAAAAAAA2"
	otherSecret  = "root/secret/222222222222/bbbbbbbbbbbbbbbb"
	sessionKey   = "ASIAAAAAAAAAAAAAAAA3"
	sessionSec   = "session/secret/cccccccccccccccccccccccc"
	sessionToken = "session-token-of-role-deployer"
	expiredKey   = "ASIAAAAAAAAAAAAAAAA4"
)

func fakeCredentials(now func() time.Time) awsapi.CredentialResolver {
	return awsapi.CredentialResolverFunc(func(_ context.Context, id string) (awsapi.Credential, error) {
		switch id {
		case rootKey:
			return awsapi.Credential{Secret: rootSecret, Principal: awsapi.Principal{Account: "111111111111", ARN: "arn:aws:iam::111111111111:root", UserID: "111111111111"}}, nil
		case otherKey:
			return awsapi.Credential{Secret: otherSecret, Principal: awsapi.Principal{Account: "222222222222", ARN: "arn:aws:iam::222222222222:root", UserID: "222222222222"}}, nil
		case sessionKey:
			return awsapi.Credential{Secret: sessionSec, SessionToken: sessionToken, Expires: now().Add(time.Hour),
				Principal: awsapi.Principal{Account: "111111111111", ARN: "arn:aws:sts::111111111111:assumed-role/deployer/s1",
					UserID: "AROAAAAAAAAAAAAAAAAAA:s1", RoleARN: "arn:aws:iam::111111111111:role/deployer", SessionName: "s1"}}, nil
		case expiredKey:
			return awsapi.Credential{Secret: sessionSec, SessionToken: sessionToken, Expires: now().Add(-time.Minute),
				Principal: awsapi.Principal{Account: "111111111111", ARN: "arn:aws:sts::111111111111:assumed-role/deployer/s0"}}, nil
		}
		return awsapi.Credential{}, fmt.Errorf("key %s: %w", id, awsapi.ErrUnknownAccessKey)
	})
}

// ---- STS ----

type callerIdentity struct {
	Arn, UserId, Account string //nolint:revive // the API's member names
}

func getCallerIdentity(_ context.Context, req *awsapi.Request) (any, error) {
	return callerIdentity{Arn: req.Principal.ARN, UserId: req.Principal.UserID, Account: req.Principal.Account}, nil
}

// ---- IAM ----

type getRoleInput struct{ RoleName string }

type iamRole struct {
	Path, RoleName, RoleId, Arn string //nolint:revive // the API's member names
	CreateDate                  wire.ISO8601
	AssumeRolePolicyDocument    string `xml:",omitempty"`
}

type getRoleOutput struct{ Role iamRole }

func getRole(_ context.Context, req *awsapi.Request, in *getRoleInput) (*getRoleOutput, error) {
	if in.RoleName != "deployer" {
		return nil, wire.NewError(404, "NoSuchEntity", "The role with name %s cannot be found.", in.RoleName)
	}
	return &getRoleOutput{Role: iamRole{Path: "/", RoleName: "deployer", RoleId: "AROAAAAAAAAAAAAAAAAAA",
		Arn: "arn:aws:iam::" + req.Principal.Account + ":role/deployer", CreateDate: wire.ISO8601(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))}}, nil
}

// ---- KMS ----

type encryptInput struct {
	KeyId     string //nolint:revive // the API's member names
	Plaintext []byte
}

type encryptOutput struct {
	CiphertextBlob      []byte
	KeyId               string //nolint:revive // the API's member names
	EncryptionAlgorithm string
}

func kmsEncrypt(_ context.Context, req *awsapi.Request, in *encryptInput) (*encryptOutput, error) {
	if in.KeyId == "" {
		return nil, wire.MissingParameter(req.Service, "keyId")
	}
	if strings.Contains(in.KeyId, "missing") {
		return nil, wire.NewError(400, "NotFoundException", "Key '%s' does not exist", in.KeyId)
	}
	ct := append([]byte("ct:"), in.Plaintext...)
	return &encryptOutput{CiphertextBlob: ct, KeyId: "arn:aws:kms:" + req.Region + ":" + req.Principal.Account + ":key/" + in.KeyId, EncryptionAlgorithm: "SYMMETRIC_DEFAULT"}, nil
}

type listKeysOutput struct {
	Keys      []struct{ KeyId, KeyArn string } //nolint:revive // the API's member names
	Truncated bool
}

func kmsListKeys(context.Context, *awsapi.Request) (any, error) {
	return &listKeysOutput{Keys: []struct{ KeyId, KeyArn string }{{"k1", "arn:aws:kms:us-east-1:111111111111:key/k1"}}}, nil
}

// ---- CodePipeline ----

type getPipelineInput struct {
	Name string `json:"name"`
}

func getPipeline(_ context.Context, req *awsapi.Request, in *getPipelineInput) (any, error) {
	if in.Name != "p" {
		return nil, wire.NewError(400, "PipelineNotFoundException", "Account '%s' does not have a pipeline with name '%s'", req.Principal.Account, in.Name)
	}
	return map[string]any{
		"pipeline": map[string]any{"name": "p", "roleArn": "arn:aws:iam::111111111111:role/r", "version": 1, "pipelineType": "V2",
			"stages": []any{map[string]any{"name": "Source", "actions": []any{map[string]any{"name": "S",
				"actionTypeId": map[string]any{"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"}}}}}},
		"metadata": map[string]any{"pipelineArn": "arn:aws:codepipeline:" + req.Region + ":111111111111:p", "created": wire.Epoch(time.Unix(1700000000, 0))},
	}, nil
}

// ---- S3, in memory ----

type fakeS3 struct {
	mu      sync.Mutex
	buckets map[string]map[string][]byte
	uploads map[string]map[int][]byte
	modes   map[string]int // x-amz-content-sha256 modes seen on object writes
	n       int
}

func newFakeS3() *fakeS3 {
	return &fakeS3{buckets: map[string]map[string][]byte{}, uploads: map[string]map[int][]byte{}, modes: map[string]int{}}
}

func (f *fakeS3) register(s *awsapi.Server) {
	s.Register("s3", "ListBuckets", f.listBuckets)
	s.Register("s3", "CreateBucket", f.createBucket)
	s.Register("s3", "HeadBucket", f.headBucket)
	s.Register("s3", "GetBucketLocation", f.getBucketLocation)
	s.Register("s3", "PutBucketVersioning", f.putBucketVersioning)
	s.Register("s3", "PutObject", f.putObject)
	s.Register("s3", "GetObject", f.getObject)
	s.Register("s3", "HeadObject", f.getObject)
	s.Register("s3", "DeleteObject", f.deleteObject)
	s.Register("s3", "ListObjectsV2", f.listObjectsV2)
	s.Register("s3", "CreateMultipartUpload", f.createMultipartUpload)
	s.Register("s3", "UploadPart", f.uploadPart)
	s.Register("s3", "CompleteMultipartUpload", f.completeMultipartUpload)
}

func noSuchBucket(b string) *wire.Error {
	return wire.NewError(404, "NoSuchBucket", "The specified bucket does not exist").With("BucketName", b)
}

func (f *fakeS3) bucket(name string) (map[string][]byte, error) {
	b := f.buckets[name]
	if b == nil {
		return nil, noSuchBucket(name)
	}
	return b, nil
}

type bucketEntry struct {
	Name         string
	CreationDate wire.ISO8601
}

type listAllMyBucketsResult struct {
	XMLName xml.Name `xml:"ListAllMyBucketsResult"`
	Owner   struct{ ID string }
	Buckets []bucketEntry `xml:"Buckets>Bucket"`
}

func (f *fakeS3) listBuckets(_ context.Context, req *awsapi.Request) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &listAllMyBucketsResult{}
	out.Owner.ID = req.Principal.Account
	for name := range f.buckets {
		out.Buckets = append(out.Buckets, bucketEntry{Name: name, CreationDate: wire.ISO8601(time.Unix(1700000000, 0))})
	}
	sort.Slice(out.Buckets, func(i, j int) bool { return out.Buckets[i].Name < out.Buckets[j].Name })
	return out, nil
}

func (f *fakeS3) createBucket(_ context.Context, req *awsapi.Request) (any, error) {
	if _, err := req.ReadDocument(); err != nil { // a CreateBucketConfiguration, or nothing
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.buckets[req.Bucket] != nil {
		return nil, wire.NewError(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.").With("BucketName", req.Bucket)
	}
	f.buckets[req.Bucket] = map[string][]byte{}
	return &awsapi.Response{Header: http.Header{"Location": {"/" + req.Bucket}}}, nil
}

func (f *fakeS3) headBucket(_ context.Context, req *awsapi.Request) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.bucket(req.Bucket); err != nil {
		return nil, err
	}
	return &awsapi.Response{Header: http.Header{"X-Amz-Bucket-Region": {req.Region}}}, nil
}

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	Value   string   `xml:",chardata"`
}

func (f *fakeS3) getBucketLocation(_ context.Context, req *awsapi.Request) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.bucket(req.Bucket); err != nil {
		return nil, err
	}
	return &locationConstraint{Value: "eu-west-1"}, nil
}

type versioningConfiguration struct {
	Status string
}

func (f *fakeS3) putBucketVersioning(_ context.Context, req *awsapi.Request) (any, error) {
	var in versioningConfiguration
	if err := req.Decode(&in); err != nil {
		return nil, err
	}
	if in.Status != "Enabled" && in.Status != "Suspended" {
		return nil, wire.NewError(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	return nil, nil
}

func etag(b []byte) string {
	sum := md5.Sum(b) //nolint:gosec // S3's ETag
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

func (f *fakeS3) putObject(_ context.Context, req *awsapi.Request) (any, error) {
	data, err := io.ReadAll(req.Body())
	if err != nil {
		return nil, err // a body that failed its checks: nothing is stored
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(req.Bucket)
	if err != nil {
		return nil, err
	}
	b[req.Key] = data
	f.modes[modeOf(req)]++
	h := http.Header{"Etag": {etag(data)}}
	for alg, v := range req.Checksums() {
		if alg != "md5" {
			h.Set("X-Amz-Checksum-"+alg, v)
		}
	}
	return &awsapi.Response{Header: h}, nil
}

func modeOf(req *awsapi.Request) string {
	m := req.HTTP.Header.Get("X-Amz-Content-Sha256")
	if len(m) == 64 && !strings.Contains(m, "-") {
		return "sha256"
	}
	return m
}

func (f *fakeS3) getObject(_ context.Context, req *awsapi.Request) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(req.Bucket)
	if err != nil {
		return nil, err
	}
	data, ok := b[req.Key]
	if !ok {
		return nil, wire.NewError(404, "NoSuchKey", "The specified key does not exist.").With("Key", req.Key)
	}
	h := http.Header{"Etag": {etag(data)}, "Last-Modified": {wire.HTTPDate(time.Unix(1700000000, 0))},
		"Content-Type": {"binary/octet-stream"}, "Accept-Ranges": {"bytes"}}
	status := http.StatusOK
	if rg := req.HTTP.Header.Get("Range"); rg != "" { // the CLIs download large objects in ranges
		start, end := 0, len(data)-1
		first, last, _ := strings.Cut(strings.TrimPrefix(rg, "bytes="), "-")
		var err error
		if start, err = strconv.Atoi(first); err == nil && last != "" {
			end, err = strconv.Atoi(last)
		}
		if err != nil || start > end || start >= len(data) {
			return nil, wire.NewError(416, "InvalidRange", "The requested range is not satisfiable")
		}
		end = min(end, len(data)-1)
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, len(data)))
		data, status = data[start:end+1], http.StatusPartialContent
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	return &awsapi.Response{Status: status, Header: h, Body: bytes.NewReader(data)}, nil
}

func (f *fakeS3) deleteObject(_ context.Context, req *awsapi.Request) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(req.Bucket)
	if err != nil {
		return nil, err
	}
	delete(b, req.Key)
	return &awsapi.Response{Status: http.StatusNoContent}, nil
}

type object struct {
	Key          string
	LastModified wire.ISO8601
	ETag         string
	Size         int64
	StorageClass string
}

type listBucketResult struct {
	XMLName     xml.Name `xml:"ListBucketResult"`
	Name        string
	Prefix      string
	KeyCount    int
	MaxKeys     int
	IsTruncated bool
	Contents    []object
}

func (f *fakeS3) listObjectsV2(_ context.Context, req *awsapi.Request) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(req.Bucket)
	if err != nil {
		return nil, err
	}
	prefix := req.Query().Get("prefix")
	out := &listBucketResult{Name: req.Bucket, Prefix: prefix, MaxKeys: 1000}
	for k, v := range b {
		if strings.HasPrefix(k, prefix) {
			out.Contents = append(out.Contents, object{Key: k, LastModified: wire.ISO8601(time.Unix(1700000000, 0)), ETag: etag(v), Size: int64(len(v)), StorageClass: "STANDARD"})
		}
	}
	sort.Slice(out.Contents, func(i, j int) bool { return out.Contents[i].Key < out.Contents[j].Key })
	out.KeyCount = len(out.Contents)
	return out, nil
}

type initiateMultipartUploadResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Bucket   string
	Key      string
	UploadId string //nolint:revive // the API's member name
}

func (f *fakeS3) createMultipartUpload(_ context.Context, req *awsapi.Request) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.bucket(req.Bucket); err != nil {
		return nil, err
	}
	f.n++
	id := fmt.Sprintf("upload-%d", f.n)
	f.uploads[id] = map[int][]byte{}
	return &initiateMultipartUploadResult{Bucket: req.Bucket, Key: req.Key, UploadId: id}, nil
}

func (f *fakeS3) uploadPart(_ context.Context, req *awsapi.Request) (any, error) {
	data, err := io.ReadAll(req.Body())
	if err != nil {
		return nil, err
	}
	n, perr := strconv.Atoi(req.Query().Get("partNumber"))
	if perr != nil || n < 1 || n > 10000 {
		return nil, wire.NewError(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive").With("ArgumentName", "partNumber")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	parts := f.uploads[req.Query().Get("uploadId")]
	if parts == nil {
		return nil, wire.NewError(404, "NoSuchUpload", "The specified upload does not exist.")
	}
	parts[n] = data
	f.modes[modeOf(req)]++
	return &awsapi.Response{Header: http.Header{"Etag": {etag(data)}}}, nil
}

type completeMultipartUpload struct {
	Parts []struct {
		PartNumber int
		ETag       string
	} `xml:"Part"`
}

type completeMultipartUploadResult struct {
	XMLName xml.Name `xml:"CompleteMultipartUploadResult"`
	Bucket  string
	Key     string
	ETag    string
}

func (f *fakeS3) completeMultipartUpload(_ context.Context, req *awsapi.Request) (any, error) {
	var in completeMultipartUpload
	if err := req.Decode(&in); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := req.Query().Get("uploadId")
	parts := f.uploads[id]
	if parts == nil {
		return nil, wire.NewError(404, "NoSuchUpload", "The specified upload does not exist.")
	}
	var all []byte
	for _, p := range in.Parts {
		data, ok := parts[p.PartNumber]
		if !ok || etag(data) != p.ETag {
			return nil, wire.NewError(400, "InvalidPart", "One or more of the specified parts could not be found.")
		}
		all = append(all, data...)
	}
	b, err := f.bucket(req.Bucket)
	if err != nil {
		return nil, err
	}
	b[req.Key] = all
	delete(f.uploads, id)
	return &completeMultipartUploadResult{Bucket: req.Bucket, Key: req.Key, ETag: fmt.Sprintf(`"%s-%d"`, etag(all)[1:33], len(in.Parts))}, nil
}

// ---- the server under test ----

type testCloud struct {
	srv       *awsapi.Server
	s3        *fakeS3
	now       time.Time
	mu        sync.Mutex
	exchanges []awsapi.Exchange
}

func newTestCloud(t testing.TB, opts ...func(*awsapi.Config)) *testCloud {
	t.Helper()
	return buildTestCloud(t.Logf, opts...)
}

func buildTestCloud(logf func(string, ...any), opts ...func(*awsapi.Config)) *testCloud {
	c := &testCloud{s3: newFakeS3(), now: time.Now()}
	clock := func() time.Time {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.now
	}
	cfg := awsapi.Config{
		Credentials: fakeCredentials(clock),
		Now:         clock,
		Logf:        logf,
		Observe: func(e awsapi.Exchange) {
			c.mu.Lock()
			c.exchanges = append(c.exchanges, e)
			c.mu.Unlock()
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	c.srv = awsapi.New(cfg)
	c.srv.Register("sts", "GetCallerIdentity", getCallerIdentity)
	c.srv.Register("iam", "GetRole", awsapi.Handle(getRole))
	c.srv.Register("kms", "Encrypt", awsapi.Handle(kmsEncrypt))
	c.srv.Register("kms", "ListKeys", kmsListKeys)
	c.srv.Register("codepipeline", "GetPipeline", awsapi.Handle(getPipeline))
	c.s3.register(c.srv)
	return c
}

func (c *testCloud) setClock(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// validateExchanges runs every answered request through the models' shapes, as phase B's tests
// will: successes against the output shape, errors against the error envelope.
func (c *testCloud) validateExchanges(t *testing.T) int {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, e := range c.exchanges {
		if e.Operation == "" || e.Truncated {
			continue
		}
		cap := shapes.Captured{Status: e.Status, Header: e.Header, Body: e.Body}
		var probs []shapes.Problem
		if e.Status < 300 {
			if e.Operation == "GetObject" {
				continue // a streamed body, no document; 206 for a range, which the model cannot say
			}
			probs = shapes.Validate(e.Service, e.Operation, cap)
		} else {
			probs = shapes.ValidateError(e.Service, e.Operation, cap)
		}
		n++
		for _, p := range probs {
			t.Errorf("%s %s (status %d): %s\n%s", e.Service, e.Operation, e.Status, p, truncateBody(e.Body))
		}
	}
	c.exchanges = nil
	return n
}

func truncateBody(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}
