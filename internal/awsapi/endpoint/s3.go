package endpoint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// S3: buckets (this file), objects (s3_objects.go), multipart uploads (s3_multipart.go), and the
// configurations the local cloud does not hold, answered as S3 answers a bucket without them
// (s3_none.go).

func registerS3(e *Endpoint) {
	for op, h := range map[string]awsapi.Handler{
		"ListBuckets":            e.listBuckets,
		"CreateBucket":           e.createBucket,
		"HeadBucket":             e.headBucket,
		"DeleteBucket":           e.deleteBucket,
		"GetBucketLocation":      e.getBucketLocation,
		"GetBucketVersioning":    e.getBucketVersioning,
		"PutBucketVersioning":    e.putBucketVersioning,
		"GetBucketPolicy":        e.getBucketPolicy,
		"PutBucketPolicy":        e.putBucketPolicy,
		"DeleteBucketPolicy":     e.deleteBucketPolicy,
		"GetBucketEncryption":    e.getBucketEncryption,
		"PutBucketEncryption":    e.putBucketEncryption,
		"DeleteBucketEncryption": e.deleteBucketEncryption,
		"GetBucketTagging":       e.getBucketTagging,
		"PutBucketTagging":       e.putBucketTagging,
		"DeleteBucketTagging":    e.deleteBucketTagging,
	} {
		e.Register("s3", op, h)
	}
	registerS3Objects(e)
	registerS3Multipart(e)
	registerS3None(e)
}

// s3Error answers a backend error in S3's words.
func (e *Endpoint) s3Error(req *awsapi.Request, err error) error {
	return e.serviceError(req, err, func(nf *backend.NotFound) *wire.Error {
		switch nf.Kind {
		case backend.KindBucket:
			return noSuchBucket(req.Bucket)
		case backend.KindObject:
			if v := req.Query().Get("versionId"); v != "" {
				return wire.NewError(404, "NoSuchVersion", "The specified version does not exist.").With("Key", req.Key).With("VersionId", v)
			}
			return wire.NewError(404, "NoSuchKey", "The specified key does not exist.").With("Key", req.Key)
		case backend.KindUpload:
			return wire.NewError(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.").With("UploadId", req.Query().Get("uploadId"))
		case backend.KindKey:
			return wire.NewError(400, "KMS.NotFoundException", "Invalid keyId %s", nf.Name)
		}
		return nil
	})
}

func noSuchBucket(b string) *wire.Error {
	return wire.NewError(404, "NoSuchBucket", "The specified bucket does not exist").With("BucketName", b)
}

// canonicalID is the S3 canonical user id of an account (64 hex digits, stable).
func canonicalID(account string) string {
	sum := sha256.Sum256([]byte("pipelinekit canonical user\x00" + account))
	return hex.EncodeToString(sum[:])
}

type s3Owner struct {
	ID          string
	DisplayName string `xml:",omitempty"`
}

func ownerOf(account string) *s3Owner { return &s3Owner{ID: canonicalID(account)} }

// bucket finds the request's bucket and decides action on it for the principal; a bucket in
// another region than the request's is answered as S3 answers it.
func (e *Endpoint) bucket(ctx context.Context, req *awsapi.Request, action string) (*backend.Bucket, error) {
	b, err := e.account(req).GetBucket(ctx, req.Bucket)
	if err != nil {
		return nil, e.s3Error(req, err)
	}
	if err := e.authorize(ctx, req, action, b.ARN); err != nil {
		return nil, err
	}
	if err := wrongRegion(req, b); err != nil {
		return nil, err
	}
	return b, nil
}

// wrongRegion answers a signed request for a bucket of another region with S3's redirect,
// which the SDKs follow by signing for the bucket's region.
func wrongRegion(req *awsapi.Request, b *backend.Bucket) error {
	if req.AccessKeyID == "" || b.Region == req.Region || req.Operation == "GetBucketLocation" {
		return nil
	}
	return wire.NewError(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; the region '%s' is wrong; expecting '%s'", req.Region, b.Region).
		With("Region", b.Region).WithHeader("X-Amz-Bucket-Region", b.Region)
}

// ownBucket is bucket for a change only the owning account makes.
func (e *Endpoint) ownBucket(ctx context.Context, req *awsapi.Request, action string) (*backend.Bucket, error) {
	b, err := e.bucket(ctx, req, action)
	if err != nil {
		return nil, err
	}
	if b.AccountID != req.Principal.Account {
		return nil, wire.NewError(403, "AccessDenied", "User: %s is not authorized to perform: %s on resource: %s because only the bucket owner's account may", principal(req), action, b.ARN)
	}
	return b, nil
}

// ---- ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation ----

type bucketEntry struct {
	Name         string
	CreationDate wire.ISO8601
	BucketRegion string `xml:",omitempty"`
}

type listAllMyBucketsResult struct {
	XMLName xml.Name      `xml:"ListAllMyBucketsResult"`
	Buckets []bucketEntry `xml:"Buckets>Bucket"`
	Owner   *s3Owner
}

func (e *Endpoint) listBuckets(ctx context.Context, req *awsapi.Request) (any, error) {
	if req.Principal.Anonymous {
		return nil, wire.NewError(403, "AccessDenied", "Access Denied: an anonymous request cannot list buckets")
	}
	if err := e.authorize(ctx, req, "s3:ListAllMyBuckets", "*"); err != nil {
		return nil, err
	}
	bs, err := e.account(req).ListBuckets(ctx)
	if err != nil {
		return nil, e.s3Error(req, err)
	}
	out := &listAllMyBucketsResult{Owner: ownerOf(req.Principal.Account), Buckets: []bucketEntry{}}
	for _, b := range bs {
		out.Buckets = append(out.Buckets, bucketEntry{Name: b.Name, CreationDate: wire.ISO8601(b.Created), BucketRegion: b.Region})
	}
	return out, nil
}

type createBucketConfiguration struct {
	LocationConstraint string
}

func (e *Endpoint) createBucket(ctx context.Context, req *awsapi.Request) (any, error) {
	doc, err := req.ReadDocument()
	if err != nil {
		return nil, err
	}
	region := req.Region
	if len(strings.TrimSpace(string(doc))) > 0 {
		var cfg createBucketConfiguration
		if werr := wire.DecodeXML(req.Service, doc, &cfg); werr != nil {
			return nil, werr
		}
		switch {
		case cfg.LocationConstraint == "":
		case !backend.RegionPattern().MatchString(cfg.LocationConstraint) && cfg.LocationConstraint != "EU":
			return nil, wire.NewError(400, "InvalidLocationConstraint", "The specified location-constraint is not valid").With("LocationConstraint", cfg.LocationConstraint)
		case req.AccessKeyID != "" && cfg.LocationConstraint != req.Region:
			return nil, wire.NewError(400, "IllegalLocationConstraintException",
				"The %s location constraint is incompatible for the region specific endpoint this request was sent to.", cfg.LocationConstraint)
		default:
			region = cfg.LocationConstraint
		}
	}
	if req.Principal.Anonymous {
		return nil, wire.NewError(403, "AccessDenied", "Access Denied: an anonymous request cannot create a bucket")
	}
	if err := e.authorize(ctx, req, "s3:CreateBucket", partition(req).Bucket(req.Bucket)); err != nil {
		return nil, err
	}
	_, err = e.account(req).CreateBucket(ctx, backend.Bucket{Name: req.Bucket, Region: region})
	switch {
	case errors.Is(err, backend.ErrAlreadyExists):
		if b, gerr := e.account(req).GetBucket(ctx, req.Bucket); gerr == nil && b.AccountID == req.Principal.Account {
			return nil, wire.NewError(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.").With("BucketName", req.Bucket)
		}
		return nil, wire.NewError(409, "BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.").With("BucketName", req.Bucket)
	case errors.Is(err, backend.ErrInvalid):
		return nil, wire.NewError(400, "InvalidBucketName", "The specified bucket is not valid.").With("BucketName", req.Bucket)
	case err != nil:
		return nil, e.s3Error(req, err)
	}
	return &awsapi.Response{Header: http.Header{"Location": {"/" + req.Bucket}}}, nil
}

func (e *Endpoint) headBucket(ctx context.Context, req *awsapi.Request) (any, error) {
	b, err := e.account(req).GetBucket(ctx, req.Bucket)
	if err != nil {
		return nil, e.s3Error(req, err)
	}
	h := http.Header{"X-Amz-Bucket-Region": {b.Region}}
	if err := e.authorize(ctx, req, "s3:ListBucket", b.ARN); err != nil {
		return nil, err
	}
	if wrongRegion(req, b) != nil {
		return &awsapi.Response{Status: http.StatusMovedPermanently, Header: h}, nil
	}
	return &awsapi.Response{Header: h}, nil
}

func (e *Endpoint) deleteBucket(ctx context.Context, req *awsapi.Request) (any, error) {
	if _, err := e.ownBucket(ctx, req, "s3:DeleteBucket"); err != nil {
		return nil, err
	}
	err := e.account(req).DeleteBucket(ctx, req.Bucket, false)
	if errors.Is(err, backend.ErrBucketNotEmpty) {
		return nil, wire.NewError(409, "BucketNotEmpty", "The bucket you tried to delete is not empty").With("BucketName", req.Bucket)
	}
	if err != nil {
		return nil, e.s3Error(req, err)
	}
	return &awsapi.Response{Status: http.StatusNoContent}, nil
}

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	Value   string   `xml:",chardata"`
}

func (e *Endpoint) getBucketLocation(ctx context.Context, req *awsapi.Request) (any, error) {
	b, err := e.bucket(ctx, req, "s3:GetBucketLocation")
	if err != nil {
		return nil, err
	}
	loc := b.Region
	if loc == "us-east-1" {
		loc = "" // S3 says nothing for its first region
	}
	return &locationConstraint{Value: loc}, nil
}

// ---- versioning ----

type versioningConfiguration struct {
	XMLName   xml.Name `xml:"VersioningConfiguration"`
	Status    string   `xml:",omitempty"`
	MfaDelete string   `xml:",omitempty"`
}

func (e *Endpoint) getBucketVersioning(ctx context.Context, req *awsapi.Request) (any, error) {
	b, err := e.bucket(ctx, req, "s3:GetBucketVersioning")
	if err != nil {
		return nil, err
	}
	out := &versioningConfiguration{}
	switch {
	case b.Versioning:
		out.Status = "Enabled"
	case b.VersioningSuspended:
		out.Status = "Suspended"
	}
	return out, nil
}

func (e *Endpoint) putBucketVersioning(ctx context.Context, req *awsapi.Request) (any, error) {
	var in versioningConfiguration
	if err := req.Decode(&in); err != nil {
		return nil, err
	}
	if in.Status != "Enabled" && in.Status != "Suspended" {
		return nil, wire.Serialization(req.Service, "Status must be Enabled or Suspended")
	}
	if in.MfaDelete == "Enabled" {
		return nil, wire.NewError(400, "InvalidRequest", "MFA delete is not supported by the local cloud")
	}
	if _, err := e.ownBucket(ctx, req, "s3:PutBucketVersioning"); err != nil {
		return nil, err
	}
	if _, err := e.account(req).PutBucketVersioning(ctx, req.Bucket, in.Status == "Enabled"); err != nil {
		return nil, e.s3Error(req, err)
	}
	return &awsapi.Response{}, nil
}

// ---- policy ----

func (e *Endpoint) getBucketPolicy(ctx context.Context, req *awsapi.Request) (any, error) {
	b, err := e.bucket(ctx, req, "s3:GetBucketPolicy")
	if err != nil {
		return nil, err
	}
	if b.Policy == "" {
		return nil, wire.NewError(404, "NoSuchBucketPolicy", "The bucket policy does not exist").With("BucketName", b.Name)
	}
	return &awsapi.Response{Header: http.Header{"Content-Type": {"application/json"}}, Body: strings.NewReader(b.Policy)}, nil
}

func (e *Endpoint) putBucketPolicy(ctx context.Context, req *awsapi.Request) (any, error) {
	doc, err := req.ReadDocument()
	if err != nil {
		return nil, err
	}
	if !json.Valid(doc) {
		return nil, wire.NewError(400, "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'")
	}
	if _, err := e.ownBucket(ctx, req, "s3:PutBucketPolicy"); err != nil {
		return nil, err
	}
	_, err = e.account(req).PutBucketPolicy(ctx, req.Bucket, string(doc))
	if errors.Is(err, backend.ErrInvalid) {
		return nil, wire.NewError(400, "MalformedPolicy", "%s", err.Error())
	}
	if err != nil {
		return nil, e.s3Error(req, err)
	}
	return &awsapi.Response{}, nil // 200, as the model says (S3 itself sends 204)
}

func (e *Endpoint) deleteBucketPolicy(ctx context.Context, req *awsapi.Request) (any, error) {
	if _, err := e.ownBucket(ctx, req, "s3:DeleteBucketPolicy"); err != nil {
		return nil, err
	}
	if _, err := e.account(req).PutBucketPolicy(ctx, req.Bucket, ""); err != nil {
		return nil, e.s3Error(req, err)
	}
	return &awsapi.Response{Status: http.StatusNoContent}, nil
}

// ---- encryption ----

type sseDefault struct {
	SSEAlgorithm   string
	KMSMasterKeyID string `xml:",omitempty"`
}

type sseRule struct {
	ApplyServerSideEncryptionByDefault *sseDefault
	BucketKeyEnabled                   *bool `xml:",omitempty"`
}

type serverSideEncryptionConfiguration struct {
	XMLName xml.Name  `xml:"ServerSideEncryptionConfiguration"`
	Rules   []sseRule `xml:"Rule"`
}

// getBucketEncryption: every object of the local cloud is encrypted with a KMS key: the
// bucket's, or the account's aws/s3 key, which S3 reports as its default encryption (AES256)
// for a bucket never configured.
func (e *Endpoint) getBucketEncryption(ctx context.Context, req *awsapi.Request) (any, error) {
	b, err := e.bucket(ctx, req, "s3:GetEncryptionConfiguration")
	if err != nil {
		return nil, err
	}
	f := false
	def := &sseDefault{SSEAlgorithm: "AES256"}
	if b.EncryptionKeyARN != "" {
		def = &sseDefault{SSEAlgorithm: "aws:kms", KMSMasterKeyID: b.EncryptionKeyARN}
	}
	return &serverSideEncryptionConfiguration{Rules: []sseRule{{ApplyServerSideEncryptionByDefault: def, BucketKeyEnabled: &f}}}, nil
}

func (e *Endpoint) putBucketEncryption(ctx context.Context, req *awsapi.Request) (any, error) {
	var in serverSideEncryptionConfiguration
	if err := req.Decode(&in); err != nil {
		return nil, err
	}
	if len(in.Rules) != 1 || in.Rules[0].ApplyServerSideEncryptionByDefault == nil {
		return nil, wire.Serialization(req.Service, "one Rule with ApplyServerSideEncryptionByDefault is needed")
	}
	def := in.Rules[0].ApplyServerSideEncryptionByDefault
	if _, err := e.ownBucket(ctx, req, "s3:PutEncryptionConfiguration"); err != nil {
		return nil, err
	}
	keyARN := ""
	switch def.SSEAlgorithm {
	case "AES256":
	case "aws:kms", "aws:kms:dsse":
		if def.KMSMasterKeyID != "" {
			k, err := e.account(req).GetKey(ctx, def.KMSMasterKeyID)
			if err != nil {
				return nil, wire.NewError(400, "InvalidArgument", "KMSMasterKeyID %s: the key does not exist", def.KMSMasterKeyID)
			}
			keyARN = k.ARN
		}
	default:
		return nil, wire.NewError(400, "InvalidArgument", "SSEAlgorithm %q: AES256, aws:kms or aws:kms:dsse", def.SSEAlgorithm)
	}
	if _, err := e.account(req).PutBucketEncryption(ctx, req.Bucket, keyARN); err != nil {
		return nil, e.s3Error(req, err)
	}
	return &awsapi.Response{}, nil
}

func (e *Endpoint) deleteBucketEncryption(ctx context.Context, req *awsapi.Request) (any, error) {
	if _, err := e.ownBucket(ctx, req, "s3:PutEncryptionConfiguration"); err != nil {
		return nil, err
	}
	if _, err := e.account(req).PutBucketEncryption(ctx, req.Bucket, ""); err != nil {
		return nil, e.s3Error(req, err)
	}
	return &awsapi.Response{Status: http.StatusNoContent}, nil
}

// ---- tagging ----

type s3Tag struct{ Key, Value string }

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	TagSet  []s3Tag  `xml:"TagSet>Tag"`
}

func tagsOf(m map[string]string) []s3Tag {
	out := make([]s3Tag, 0, len(m))
	for k, v := range m {
		out = append(out, s3Tag{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func (e *Endpoint) getBucketTagging(ctx context.Context, req *awsapi.Request) (any, error) {
	b, err := e.bucket(ctx, req, "s3:GetBucketTagging")
	if err != nil {
		return nil, err
	}
	if len(b.Tags) == 0 {
		return nil, wire.NewError(404, "NoSuchTagSet", "The TagSet does not exist").With("BucketName", b.Name)
	}
	return &tagging{TagSet: tagsOf(b.Tags)}, nil
}

func (e *Endpoint) putBucketTagging(ctx context.Context, req *awsapi.Request) (any, error) {
	var in tagging
	if err := req.Decode(&in); err != nil {
		return nil, err
	}
	tags := map[string]string{}
	for _, t := range in.TagSet {
		if _, dup := tags[t.Key]; dup {
			return nil, wire.NewError(400, "InvalidTag", "Cannot provide multiple Tags with the same key").With("TagKey", t.Key)
		}
		tags[t.Key] = t.Value
	}
	if _, err := e.ownBucket(ctx, req, "s3:PutBucketTagging"); err != nil {
		return nil, err
	}
	_, err := e.account(req).PutBucketTagging(ctx, req.Bucket, tags)
	if errors.Is(err, backend.ErrInvalid) {
		return nil, wire.NewError(400, "InvalidTag", "%s", err.Error())
	}
	if err != nil {
		return nil, e.s3Error(req, err)
	}
	return &awsapi.Response{}, nil // 200, as the model says (S3 itself sends 204)
}

func (e *Endpoint) deleteBucketTagging(ctx context.Context, req *awsapi.Request) (any, error) {
	if _, err := e.ownBucket(ctx, req, "s3:PutBucketTagging"); err != nil {
		return nil, err
	}
	if _, err := e.account(req).PutBucketTagging(ctx, req.Bucket, nil); err != nil {
		return nil, e.s3Error(req, err)
	}
	return &awsapi.Response{Status: http.StatusNoContent}, nil
}
