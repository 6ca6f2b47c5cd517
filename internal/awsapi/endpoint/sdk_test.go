package endpoint_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestSDK drives every operation the endpoint serves with aws-sdk-go-v2's own clients — the
// paginators, the waiters, and errors.As on the typed exceptions the SDK maps AWS's error
// codes to — and validates every response against the service models. It fails when an
// operation is registered and nothing here exercises it.
func TestSDK(t *testing.T) {
	c := newCloud(t)
	a := c.root(acctA)
	t.Run("sts", func(t *testing.T) { stsScenario(t, c, a) })
	t.Run("s3", func(t *testing.T) { s3Scenario(t, a) })
	t.Run("kms", func(t *testing.T) { kmsScenario(t, a) })
	t.Run("iam", func(t *testing.T) { iamScenario(t, a) })
	t.Run("codepipeline", func(t *testing.T) { codepipelineScenario(t, a) })
	t.Run("codepipeline conditions", func(t *testing.T) { conditionsScenario(t, a) })
	t.Run("ssm", func(t *testing.T) { ssmScenario(t, a) })
	t.Run("secretsmanager", func(t *testing.T) { secretsManagerScenario(t, a, c.root(acctB)) })
	var missing []string
	for _, op := range c.ep.Operations() {
		if !c.ops[op.Service+"/"+op.Name] {
			missing = append(missing, op.Service+" "+op.Name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("operations served but never exercised: %s", strings.Join(missing, ", "))
	}
	if n := c.validate(t); n < 150 {
		t.Errorf("only %d responses validated", n)
	}
}

func stsScenario(t *testing.T, c *cloud, a *clients) {
	ctx := context.Background()
	id := must[*sts.GetCallerIdentityOutput](t)(a.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Arn) != "arn:aws:iam::111111111111:root" || aws.ToString(id.UserId) != acctA {
		t.Errorf("GetCallerIdentity = %s %s", aws.ToString(id.Arn), aws.ToString(id.UserId))
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/caller"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"xyz"}}}]}`
	must[*iam.CreateRoleOutput](t)(a.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("assumed"), AssumeRolePolicyDocument: aws.String(trust)}))
	b := c.root(acctB)
	must[*iam.CreateRoleOutput](t)(b.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("caller"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`)}))
	must[*iam.PutRolePolicyOutput](t)(b.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("caller"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111111111111:role/assumed"}]}`)}))
	// B's root assumes B's caller role, which assumes A's role across accounts with the
	// external id its trust policy requires.
	callerCreds := must[*sts.AssumeRoleOutput](t)(b.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/caller"), RoleSessionName: aws.String("hop1")}))
	caller := c.clients(aws.ToString(callerCreds.Credentials.AccessKeyId), aws.ToString(callerCreds.Credentials.SecretAccessKey), aws.ToString(callerCreds.Credentials.SessionToken))
	_, err := caller.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/assumed"), RoleSessionName: aws.String("hop2")})
	wantCode(t, "AssumeRole without the external id", err, "AccessDenied")
	out := must[*sts.AssumeRoleOutput](t)(caller.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/assumed"),
		RoleSessionName: aws.String("hop2"), ExternalId: aws.String("xyz"), DurationSeconds: aws.Int32(900)}))
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d < 10*time.Minute || d > 16*time.Minute {
		t.Errorf("a 900 s session expires in %v", d)
	}
	hop2 := c.clients(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	id = must[*sts.GetCallerIdentityOutput](t)(hop2.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Arn) != "arn:aws:sts::111111111111:assumed-role/assumed/hop2" || !strings.HasSuffix(aws.ToString(id.UserId), ":hop2") || aws.ToString(id.Account) != acctA {
		t.Errorf("the session is %s %s %s", aws.ToString(id.Arn), aws.ToString(id.UserId), aws.ToString(id.Account))
	}
	// A session's key without its token is refused; so is a wrong token.
	noToken := c.clients(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), "")
	_, err = noToken.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, "a session key without its token", err, "InvalidClientTokenId")
	_, err = a.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/assumed"), RoleSessionName: aws.String("x"), DurationSeconds: aws.Int32(60)})
	wantCode(t, "a session of 60 s", err, "ValidationError")
}

func s3Scenario(t *testing.T, a *clients) {
	ctx := context.Background()
	s := a.s3
	bucket := aws.String("sdk-bucket")
	must[*s3.CreateBucketOutput](t)(s.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}))
	_, err := s.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	var owned *s3types.BucketAlreadyOwnedByYou
	if !errors.As(err, &owned) {
		t.Errorf("CreateBucket again: %v, want BucketAlreadyOwnedByYou", err)
	}
	if err := s3.NewBucketExistsWaiter(s).Wait(ctx, &s3.HeadBucketInput{Bucket: bucket}, time.Minute); err != nil {
		t.Errorf("BucketExists waiter: %v", err)
	}
	if loc := must[*s3.GetBucketLocationOutput](t)(s.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: bucket})); loc.LocationConstraint != "" {
		t.Errorf("us-east-1's location constraint is %q, want empty", loc.LocationConstraint)
	}
	must[*s3.ListBucketsOutput](t)(s.ListBuckets(ctx, &s3.ListBucketsInput{}))
	_, err = s.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("no-such-bucket")})
	var nf *s3types.NotFound
	if !errors.As(err, &nf) {
		t.Errorf("HeadBucket of a missing bucket: %v, want NotFound", err)
	}
	_, err = s.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("no-such-bucket")})
	var nsb *s3types.NoSuchBucket
	if !errors.As(err, &nsb) && codeOf(err) != "NoSuchBucket" {
		t.Errorf("GetBucketPolicy of a missing bucket: %v, want NoSuchBucket", err)
	}

	// Settings: versioning, policy, encryption, tags.
	must[*s3.PutBucketVersioningOutput](t)(s.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: bucket,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}))
	if v := must[*s3.GetBucketVersioningOutput](t)(s.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: bucket})); v.Status != s3types.BucketVersioningStatusEnabled {
		t.Errorf("versioning %q", v.Status)
	}
	_, err = s.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket})
	wantCode(t, "GetBucketPolicy of a bucket without one", err, "NoSuchBucketPolicy")
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::sdk-bucket/*"}]}`
	must[*s3.PutBucketPolicyOutput](t)(s.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bucket, Policy: aws.String(pol)}))
	if got := must[*s3.GetBucketPolicyOutput](t)(s.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket})); aws.ToString(got.Policy) != pol {
		t.Errorf("GetBucketPolicy = %s", aws.ToString(got.Policy))
	}
	_, err = s.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bucket, Policy: aws.String(`{"Statement":"nope"}`)})
	wantCode(t, "a malformed policy", err, "MalformedPolicy")
	must[*s3.DeleteBucketPolicyOutput](t)(s.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: bucket}))
	enc := must[*s3.GetBucketEncryptionOutput](t)(s.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: bucket}))
	if alg := enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm; alg != s3types.ServerSideEncryptionAes256 {
		t.Errorf("a bucket never configured reports %s", alg)
	}
	key := must[*kms.CreateKeyOutput](t)(a.kms.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("bucket key")}))
	must[*s3.PutBucketEncryptionOutput](t)(s.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: bucket,
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: key.KeyMetadata.KeyId}}}}}))
	enc = must[*s3.GetBucketEncryptionOutput](t)(s.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: bucket}))
	if got := aws.ToString(enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID); got != aws.ToString(key.KeyMetadata.Arn) {
		t.Errorf("the bucket's key is %s, want %s", got, aws.ToString(key.KeyMetadata.Arn))
	}
	_, err = s.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bucket})
	wantCode(t, "GetBucketTagging of a bucket without tags", err, "NoSuchTagSet")
	must[*s3.PutBucketTaggingOutput](t)(s.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: bucket, Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}}}))
	if tags := must[*s3.GetBucketTaggingOutput](t)(s.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bucket})); len(tags.TagSet) != 1 {
		t.Errorf("tags %v", tags.TagSet)
	}
	must[*s3.DeleteBucketTaggingOutput](t)(s.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: bucket}))

	// What the local cloud does not hold is answered as S3 answers a bucket without it.
	must[*s3.GetBucketAclOutput](t)(s.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: bucket}))
	must[*s3.GetBucketLoggingOutput](t)(s.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: bucket}))
	must[*s3.GetBucketAccelerateConfigurationOutput](t)(s.GetBucketAccelerateConfiguration(ctx, &s3.GetBucketAccelerateConfigurationInput{Bucket: bucket}))
	if p := must[*s3.GetBucketRequestPaymentOutput](t)(s.GetBucketRequestPayment(ctx, &s3.GetBucketRequestPaymentInput{Bucket: bucket})); p.Payer != s3types.PayerBucketOwner {
		t.Errorf("payer %s", p.Payer)
	}
	must[*s3.GetBucketNotificationConfigurationOutput](t)(s.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: bucket}))
	for op, call := range map[string]func() error{
		"NoSuchCORSConfiguration": func() error { _, err := s.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: bucket}); return err },
		"NoSuchWebsiteConfiguration": func() error {
			_, err := s.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: bucket})
			return err
		},
		"NoSuchLifecycleConfiguration": func() error {
			_, err := s.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: bucket})
			return err
		},
		"ReplicationConfigurationNotFoundError": func() error {
			_, err := s.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: bucket})
			return err
		},
		"ObjectLockConfigurationNotFoundError": func() error {
			_, err := s.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: bucket})
			return err
		},
		"OwnershipControlsNotFoundError": func() error {
			_, err := s.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: bucket})
			return err
		},
		"NoSuchPublicAccessBlockConfiguration": func() error {
			_, err := s.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: bucket})
			return err
		},
	} {
		if err := call(); codeOf(err) != op || statusOf(err) != 404 {
			t.Errorf("want %s (404), got %v", op, err)
		}
	}

	// Objects: versions, ranges, metadata, copies, listings, deletes.
	put := func(k, body string) *s3.PutObjectOutput {
		return must[*s3.PutObjectOutput](t)(s.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(k), Body: strings.NewReader(body),
			ContentType: aws.String("text/plain"), Metadata: map[string]string{"owner": "sdk"}, Tagging: aws.String("kind=note")}))
	}
	v1 := put("a/one.txt", "first")
	put("a/one.txt", "second")
	for _, k := range []string{"a/two.txt", "a/b/three.txt", "c.txt", "d.txt"} {
		put(k, k)
	}
	if err := s3.NewObjectExistsWaiter(s).Wait(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("c.txt")}, time.Minute); err != nil {
		t.Errorf("ObjectExists waiter: %v", err)
	}
	got := must[*s3.GetObjectOutput](t)(s.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("a/one.txt"), VersionId: v1.VersionId}))
	if b, _ := io.ReadAll(got.Body); string(b) != "first" || aws.ToString(got.ContentType) != "text/plain" || got.Metadata["owner"] != "sdk" || aws.ToInt32(got.TagCount) != 1 {
		t.Errorf("GetObject of the first version: %q %s %v %d", b, aws.ToString(got.ContentType), got.Metadata, aws.ToInt32(got.TagCount))
	}
	rng := must[*s3.GetObjectOutput](t)(s.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("a/one.txt"), Range: aws.String("bytes=1-3")}))
	if b, _ := io.ReadAll(rng.Body); string(b) != "eco" || aws.ToString(rng.ContentRange) != "bytes 1-3/6" {
		t.Errorf("a range read %q (%s)", b, aws.ToString(rng.ContentRange))
	}
	_, err = s.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("a/one.txt"), Range: aws.String("bytes=100-")})
	wantCode(t, "a range beyond the object", err, "InvalidRange")
	_, err = s.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("missing")})
	var nsk *s3types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Errorf("GetObject of a missing key: %v, want NoSuchKey", err)
	}
	head := must[*s3.HeadObjectOutput](t)(s.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("c.txt")}))
	if aws.ToInt64(head.ContentLength) != 5 || head.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(head.SSEKMSKeyId) != aws.ToString(key.KeyMetadata.Arn) {
		t.Errorf("HeadObject: %d bytes, %s with %s", aws.ToInt64(head.ContentLength), head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId))
	}
	_, err = s.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("c.txt"), IfNoneMatch: head.ETag})
	if statusOf(err) != 304 {
		t.Errorf("GetObject If-None-Match its ETag: %v, want 304", err)
	}
	tags := must[*s3.GetObjectTaggingOutput](t)(s.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: bucket, Key: aws.String("c.txt")}))
	if len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Key) != "kind" {
		t.Errorf("object tags %v", tags.TagSet)
	}
	cp := must[*s3.CopyObjectOutput](t)(s.CopyObject(ctx, &s3.CopyObjectInput{Bucket: bucket, Key: aws.String("copies/c.txt"), CopySource: aws.String("sdk-bucket/c.txt")}))
	if aws.ToString(cp.CopyObjectResult.ETag) != aws.ToString(head.ETag) {
		t.Errorf("the copy's ETag %s, the original's %s", aws.ToString(cp.CopyObjectResult.ETag), aws.ToString(head.ETag))
	}
	_, err = s.CopyObject(ctx, &s3.CopyObjectInput{Bucket: bucket, Key: aws.String("c.txt"), CopySource: aws.String("sdk-bucket/c.txt")})
	wantCode(t, "a copy onto itself", err, "InvalidRequest")

	var keys, prefixes []string
	pages := 0
	for p := s3.NewListObjectsV2Paginator(s, &s3.ListObjectsV2Input{Bucket: bucket, Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)}); p.HasMorePages(); pages++ {
		page := must[*s3.ListObjectsV2Output](t)(p.NextPage(ctx))
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		for _, cp := range page.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(cp.Prefix))
		}
	}
	if fmt.Sprint(keys, prefixes) != "[c.txt d.txt] [a/ copies/]" || pages != 2 {
		t.Errorf("ListObjectsV2 by 2 with /: keys %v prefixes %v in %d pages", keys, prefixes, pages)
	}
	v1List := must[*s3.ListObjectsOutput](t)(s.ListObjects(ctx, &s3.ListObjectsInput{Bucket: bucket, Prefix: aws.String("a/")}))
	if len(v1List.Contents) != 3 {
		t.Errorf("ListObjects a/: %d objects", len(v1List.Contents))
	}
	var versions int
	for p := s3.NewListObjectVersionsPaginator(s, &s3.ListObjectVersionsInput{Bucket: bucket, Prefix: aws.String("a/"), MaxKeys: aws.Int32(1)}); p.HasMorePages(); {
		page := must[*s3.ListObjectVersionsOutput](t)(p.NextPage(ctx))
		versions += len(page.Versions)
	}
	if versions != 4 {
		t.Errorf("ListObjectVersions a/ by 1: %d versions, want 4", versions)
	}
	del := must[*s3.DeleteObjectOutput](t)(s.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String("d.txt")}))
	if !aws.ToBool(del.DeleteMarker) || del.VersionId == nil {
		t.Errorf("DeleteObject on a versioned bucket: marker %v version %v", del.DeleteMarker, del.VersionId)
	}
	if err := s3.NewObjectNotExistsWaiter(s).Wait(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("d.txt")}, time.Minute); err != nil {
		t.Errorf("ObjectNotExists waiter: %v", err)
	}

	// A multipart upload: parts listed, an upload listed and aborted, one completed.
	up := must[*s3.CreateMultipartUploadOutput](t)(s.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: aws.String("big.bin")}))
	part := make([]byte, 5<<20)
	rand.Read(part) //nolint:errcheck // crypto/rand.Read does not fail
	var done []s3types.CompletedPart
	for n, body := range [][]byte{part, []byte("tail")} {
		p := must[*s3.UploadPartOutput](t)(s.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: aws.String("big.bin"), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(n + 1)), Body: bytes.NewReader(body)}))
		done = append(done, s3types.CompletedPart{PartNumber: aws.Int32(int32(n + 1)), ETag: p.ETag})
	}
	if lp := must[*s3.ListPartsOutput](t)(s.ListParts(ctx, &s3.ListPartsInput{Bucket: bucket, Key: aws.String("big.bin"), UploadId: up.UploadId})); len(lp.Parts) != 2 {
		t.Errorf("ListParts: %d parts", len(lp.Parts))
	}
	other := must[*s3.CreateMultipartUploadOutput](t)(s.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: aws.String("abandoned")}))
	if lu := must[*s3.ListMultipartUploadsOutput](t)(s.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bucket})); len(lu.Uploads) != 2 {
		t.Errorf("ListMultipartUploads: %d uploads", len(lu.Uploads))
	}
	must[*s3.AbortMultipartUploadOutput](t)(s.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: aws.String("abandoned"), UploadId: other.UploadId}))
	_, err = s.ListParts(ctx, &s3.ListPartsInput{Bucket: bucket, Key: aws.String("abandoned"), UploadId: other.UploadId})
	var nsu *s3types.NoSuchUpload
	if !errors.As(err, &nsu) && codeOf(err) != "NoSuchUpload" {
		t.Errorf("ListParts of an aborted upload: %v, want NoSuchUpload", err)
	}
	_, err = s.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: aws.String("big.bin"), UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{done[1], done[0]}}})
	wantCode(t, "parts out of order", err, "InvalidPartOrder")
	fin := must[*s3.CompleteMultipartUploadOutput](t)(s.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: aws.String("big.bin"),
		UploadId: up.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: done}}))
	if !strings.HasSuffix(aws.ToString(fin.ETag), `-2"`) {
		t.Errorf("a two-part upload's ETag %s", aws.ToString(fin.ETag))
	}
	whole := must[*s3.GetObjectOutput](t)(s.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("big.bin")}))
	if b, _ := io.ReadAll(whole.Body); !bytes.Equal(b, append(append([]byte{}, part...), "tail"...)) {
		t.Errorf("the completed upload reads %d bytes, not its parts", len(b))
	}

	// Emptying a versioned bucket: every version and marker, in batches.
	var ids []s3types.ObjectIdentifier
	for p := s3.NewListObjectVersionsPaginator(s, &s3.ListObjectVersionsInput{Bucket: bucket}); p.HasMorePages(); {
		page := must[*s3.ListObjectVersionsOutput](t)(p.NextPage(ctx))
		for _, v := range page.Versions {
			ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			ids = append(ids, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
	}
	_, err = s.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bucket})
	wantCode(t, "DeleteBucket of a bucket with objects", err, "BucketNotEmpty")
	res := must[*s3.DeleteObjectsOutput](t)(s.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: bucket, Delete: &s3types.Delete{Objects: ids}}))
	if len(res.Deleted) != len(ids) || len(res.Errors) > 0 {
		t.Errorf("DeleteObjects of %d: %d deleted, errors %v", len(ids), len(res.Deleted), res.Errors)
	}
	must[*s3.DeleteBucketEncryptionOutput](t)(s.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: bucket}))
	must[*s3.DeleteBucketOutput](t)(s.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bucket}))
	if err := s3.NewBucketNotExistsWaiter(s).Wait(ctx, &s3.HeadBucketInput{Bucket: bucket}, time.Minute); err != nil {
		t.Errorf("BucketNotExists waiter: %v", err)
	}
}

func kmsScenario(t *testing.T, a *clients) {
	ctx := context.Background()
	k := a.kms
	created := must[*kms.CreateKeyOutput](t)(k.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("sdk key"),
		Tags: []kmstypes.Tag{{TagKey: aws.String("team"), TagValue: aws.String("platform")}}}))
	id := created.KeyMetadata.KeyId
	if created.KeyMetadata.KeyManager != kmstypes.KeyManagerTypeCustomer || !created.KeyMetadata.Enabled || created.KeyMetadata.KeySpec != kmstypes.KeySpecSymmetricDefault {
		t.Errorf("CreateKey metadata %+v", created.KeyMetadata)
	}
	for i := range 2 {
		must[*kms.CreateKeyOutput](t)(k.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(fmt.Sprint("more ", i))}))
	}
	var listed int
	for p := kms.NewListKeysPaginator(k, &kms.ListKeysInput{Limit: aws.Int32(1)}); p.HasMorePages(); {
		listed += len(must[*kms.ListKeysOutput](t)(p.NextPage(ctx)).Keys)
	}
	if listed < 3 {
		t.Errorf("ListKeys by 1 listed %d keys", listed)
	}
	must[*kms.CreateAliasOutput](t)(k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/sdk"), TargetKeyId: id}))
	must[*kms.CreateAliasOutput](t)(k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/sdk-second"), TargetKeyId: id}))
	_, err := k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/sdk"), TargetKeyId: id})
	var exists *kmstypes.AlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("CreateAlias again: %v, want AlreadyExistsException", err)
	}
	var aliases []string
	for p := kms.NewListAliasesPaginator(k, &kms.ListAliasesInput{KeyId: id, Limit: aws.Int32(1)}); p.HasMorePages(); {
		for _, al := range must[*kms.ListAliasesOutput](t)(p.NextPage(ctx)).Aliases {
			aliases = append(aliases, aws.ToString(al.AliasName))
		}
	}
	if fmt.Sprint(aliases) != "[alias/sdk alias/sdk-second]" {
		t.Errorf("the key's aliases: %v", aliases)
	}
	second := must[*kms.CreateKeyOutput](t)(k.CreateKey(ctx, &kms.CreateKeyInput{}))
	must[*kms.UpdateAliasOutput](t)(k.UpdateAlias(ctx, &kms.UpdateAliasInput{AliasName: aws.String("alias/sdk-second"), TargetKeyId: second.KeyMetadata.KeyId}))
	must[*kms.DeleteAliasOutput](t)(k.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/sdk-second")}))
	d := must[*kms.DescribeKeyOutput](t)(k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/sdk")}))
	if aws.ToString(d.KeyMetadata.KeyId) != aws.ToString(id) {
		t.Errorf("DescribeKey by alias: %s", aws.ToString(d.KeyMetadata.KeyId))
	}
	_, err = k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/none")})
	var notFound *kmstypes.NotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("DescribeKey of a missing alias: %v, want NotFoundException", err)
	}
	pol := must[*kms.GetKeyPolicyOutput](t)(k.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: id}))
	must[*kms.PutKeyPolicyOutput](t)(k.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: id, Policy: pol.Policy}))
	_, err = k.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: id, Policy: aws.String(`{"Statement":7}`)})
	var malformed *kmstypes.MalformedPolicyDocumentException
	if !errors.As(err, &malformed) {
		t.Errorf("PutKeyPolicy of a malformed policy: %v, want MalformedPolicyDocumentException", err)
	}
	if names := must[*kms.ListKeyPoliciesOutput](t)(k.ListKeyPolicies(ctx, &kms.ListKeyPoliciesInput{KeyId: id})); len(names.PolicyNames) != 1 {
		t.Errorf("policies %v", names.PolicyNames)
	}
	must[*kms.EnableKeyRotationOutput](t)(k.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: id}))
	if st := must[*kms.GetKeyRotationStatusOutput](t)(k.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: id})); !st.KeyRotationEnabled || aws.ToInt32(st.RotationPeriodInDays) != 365 {
		t.Errorf("rotation %v every %d days", st.KeyRotationEnabled, aws.ToInt32(st.RotationPeriodInDays))
	}
	if rot := must[*kms.RotateKeyOnDemandOutput](t)(k.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: id})); !strings.HasSuffix(aws.ToString(rot.KeyId), aws.ToString(id)) {
		t.Errorf("RotateKeyOnDemand names key %s, want %s", aws.ToString(rot.KeyId), aws.ToString(id))
	}
	must[*kms.DisableKeyRotationOutput](t)(k.DisableKeyRotation(ctx, &kms.DisableKeyRotationInput{KeyId: id}))
	must[*kms.UpdateKeyDescriptionOutput](t)(k.UpdateKeyDescription(ctx, &kms.UpdateKeyDescriptionInput{KeyId: id, Description: aws.String("renamed")}))
	must[*kms.TagResourceOutput](t)(k.TagResource(ctx, &kms.TagResourceInput{KeyId: id, Tags: []kmstypes.Tag{{TagKey: aws.String("env"), TagValue: aws.String("test")}}}))
	must[*kms.UntagResourceOutput](t)(k.UntagResource(ctx, &kms.UntagResourceInput{KeyId: id, TagKeys: []string{"team"}}))
	if tags := must[*kms.ListResourceTagsOutput](t)(k.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: id})); len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].TagKey) != "env" {
		t.Errorf("tags %v", tags.Tags)
	}

	encCtx := map[string]string{"purpose": "test"}
	ct := must[*kms.EncryptOutput](t)(k.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/sdk"), Plaintext: []byte("secret"), EncryptionContext: encCtx}))
	pt := must[*kms.DecryptOutput](t)(k.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: ct.CiphertextBlob, EncryptionContext: encCtx}))
	if string(pt.Plaintext) != "secret" || aws.ToString(pt.KeyId) != aws.ToString(created.KeyMetadata.Arn) {
		t.Errorf("Decrypt: %q with %s", pt.Plaintext, aws.ToString(pt.KeyId))
	}
	_, err = k.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: ct.CiphertextBlob})
	var invalid *kmstypes.InvalidCiphertextException
	if !errors.As(err, &invalid) {
		t.Errorf("Decrypt without the encryption context: %v, want InvalidCiphertextException", err)
	}
	_, err = k.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: ct.CiphertextBlob, EncryptionContext: encCtx, KeyId: second.KeyMetadata.KeyId})
	var incorrect *kmstypes.IncorrectKeyException
	if !errors.As(err, &incorrect) {
		t.Errorf("Decrypt naming another key: %v, want IncorrectKeyException", err)
	}
	dk := must[*kms.GenerateDataKeyOutput](t)(k.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: id, KeySpec: kmstypes.DataKeySpecAes256}))
	back := must[*kms.DecryptOutput](t)(k.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob}))
	if len(dk.Plaintext) != 32 || !bytes.Equal(back.Plaintext, dk.Plaintext) {
		t.Errorf("a data key of %d bytes decrypts to %d bytes", len(dk.Plaintext), len(back.Plaintext))
	}
	if wp := must[*kms.GenerateDataKeyWithoutPlaintextOutput](t)(k.GenerateDataKeyWithoutPlaintext(ctx, &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: id, NumberOfBytes: aws.Int32(16)})); len(wp.CiphertextBlob) == 0 {
		t.Error("GenerateDataKeyWithoutPlaintext returned no ciphertext")
	}
	// aws/s3 serves S3 only: its own policy refuses direct use.
	_, err = k.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/aws/s3"), Plaintext: []byte("x")})
	wantCode(t, "Encrypt with aws/s3", err, "AccessDeniedException")

	sched := must[*kms.ScheduleKeyDeletionOutput](t)(k.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: second.KeyMetadata.KeyId, PendingWindowInDays: aws.Int32(7)}))
	if sched.KeyState != kmstypes.KeyStatePendingDeletion || aws.ToInt32(sched.PendingWindowInDays) != 7 {
		t.Errorf("ScheduleKeyDeletion: %s %d", sched.KeyState, aws.ToInt32(sched.PendingWindowInDays))
	}
	_, err = k.Encrypt(ctx, &kms.EncryptInput{KeyId: second.KeyMetadata.KeyId, Plaintext: []byte("x")})
	var state *kmstypes.KMSInvalidStateException
	if !errors.As(err, &state) {
		t.Errorf("Encrypt with a key pending deletion: %v, want KMSInvalidStateException", err)
	}
	must[*kms.CancelKeyDeletionOutput](t)(k.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: second.KeyMetadata.KeyId}))
}

func iamScenario(t *testing.T, a *clients) {
	ctx := context.Background()
	i := a.iam
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codepipeline.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role := must[*iam.CreateRoleOutput](t)(i.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("sdk-role"), AssumeRolePolicyDocument: aws.String(trust),
		Description: aws.String("a role"), MaxSessionDuration: aws.Int32(7200), Path: aws.String("/ci/"),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}}))
	if !strings.HasPrefix(aws.ToString(role.Role.RoleId), "AROA") || aws.ToString(role.Role.Path) != "/ci/" {
		t.Errorf("CreateRole: %+v", role.Role)
	}
	if err := iam.NewRoleExistsWaiter(i).Wait(ctx, &iam.GetRoleInput{RoleName: aws.String("sdk-role")}, time.Minute); err != nil {
		t.Errorf("RoleExists waiter: %v", err)
	}
	got := must[*iam.GetRoleOutput](t)(i.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("sdk-role")}))
	if aws.ToInt32(got.Role.MaxSessionDuration) != 7200 || aws.ToString(got.Role.Description) != "a role" || len(got.Role.Tags) != 1 || !strings.Contains(aws.ToString(got.Role.AssumeRolePolicyDocument), "%22") {
		t.Errorf("GetRole: %+v", got.Role)
	}
	_, err := i.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("sdk-role"), AssumeRolePolicyDocument: aws.String(trust)})
	var exists *iamtypes.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("CreateRole again: %v, want EntityAlreadyExistsException", err)
	}
	_, err = i.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nobody")})
	var noEntity *iamtypes.NoSuchEntityException
	if !errors.As(err, &noEntity) {
		t.Errorf("GetRole of a missing role: %v, want NoSuchEntityException", err)
	}
	must[*iam.UpdateAssumeRolePolicyOutput](t)(i.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("sdk-role"), PolicyDocument: aws.String(trust)}))
	_, err = i.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("sdk-role"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Statement":[{"Effect":"Maybe"}]}`)})
	var malformed *iamtypes.MalformedPolicyDocumentException
	if !errors.As(err, &malformed) {
		t.Errorf("PutRolePolicy of a malformed document: %v, want MalformedPolicyDocumentException", err)
	}
	for _, name := range []string{"one", "two", "three"} {
		must[*iam.PutRolePolicyOutput](t)(i.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("sdk-role"), PolicyName: aws.String(name),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)}))
	}
	var names []string
	for p := iam.NewListRolePoliciesPaginator(i, &iam.ListRolePoliciesInput{RoleName: aws.String("sdk-role"), MaxItems: aws.Int32(2)}); p.HasMorePages(); {
		names = append(names, must[*iam.ListRolePoliciesOutput](t)(p.NextPage(ctx)).PolicyNames...)
	}
	sort.Strings(names)
	if fmt.Sprint(names) != "[one three two]" {
		t.Errorf("ListRolePolicies by 2: %v", names)
	}
	must[*iam.GetRolePolicyOutput](t)(i.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("sdk-role"), PolicyName: aws.String("one")}))
	pol := must[*iam.CreatePolicyOutput](t)(i.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("sdk-managed"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`)}))
	if err := iam.NewPolicyExistsWaiter(i).Wait(ctx, &iam.GetPolicyInput{PolicyArn: pol.Policy.Arn}, time.Minute); err != nil {
		t.Errorf("PolicyExists waiter: %v", err)
	}
	must[*iam.GetPolicyVersionOutput](t)(i.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: pol.Policy.Arn, VersionId: aws.String("v1")}))
	must[*iam.AttachRolePolicyOutput](t)(i.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("sdk-role"), PolicyArn: pol.Policy.Arn}))
	var attached int
	for p := iam.NewListAttachedRolePoliciesPaginator(i, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("sdk-role"), MaxItems: aws.Int32(1)}); p.HasMorePages(); {
		attached += len(must[*iam.ListAttachedRolePoliciesOutput](t)(p.NextPage(ctx)).AttachedPolicies)
	}
	if attached != 1 {
		t.Errorf("%d attached policies", attached)
	}
	_, err = i.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: pol.Policy.Arn})
	var conflict *iamtypes.DeleteConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("DeletePolicy of an attached policy: %v, want DeleteConflictException", err)
	}
	_, err = i.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("sdk-role")})
	if !errors.As(err, &conflict) {
		t.Errorf("DeleteRole of a role with policies: %v, want DeleteConflictException", err)
	}
	must[*iam.TagRoleOutput](t)(i.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("sdk-role"), Tags: []iamtypes.Tag{{Key: aws.String("env"), Value: aws.String("ci")}}}))
	must[*iam.UntagRoleOutput](t)(i.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("sdk-role"), TagKeys: []string{"team"}}))
	if tags := must[*iam.ListRoleTagsOutput](t)(i.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("sdk-role")})); len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Errorf("role tags %v", tags.Tags)
	}
	must[*iam.ListInstanceProfilesForRoleOutput](t)(i.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("sdk-role")}))
	// The AWS provider's destroy: detach, delete the inline policies, delete the role.
	must[*iam.DetachRolePolicyOutput](t)(i.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("sdk-role"), PolicyArn: pol.Policy.Arn}))
	for _, name := range names {
		must[*iam.DeleteRolePolicyOutput](t)(i.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("sdk-role"), PolicyName: aws.String(name)}))
	}
	must[*iam.DeleteRoleOutput](t)(i.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("sdk-role")}))
	must[*iam.DeletePolicyOutput](t)(i.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: pol.Policy.Arn}))
	_, err = i.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: pol.Policy.Arn})
	if !errors.As(err, &noEntity) {
		t.Errorf("GetPolicy of a deleted policy: %v, want NoSuchEntityException", err)
	}
}

func zipped(t *testing.T, name, body string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create(name)
	w.Write([]byte(body)) //nolint:errcheck // into a buffer
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func codepipelineScenario(t *testing.T, a *clients) {
	ctx := context.Background()
	cp := a.cp
	for _, b := range []string{"cp-source", "cp-artifacts"} {
		must[*s3.CreateBucketOutput](t)(a.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}))
		must[*s3.PutBucketVersioningOutput](t)(a.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}))
	}
	src := must[*s3.PutObjectOutput](t)(a.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cp-source"), Key: aws.String("app.zip"), Body: bytes.NewReader(zipped(t, "index.html", "v1"))}))
	decl := func(name string) *cptypes.PipelineDeclaration {
		return &cptypes.PipelineDeclaration{
			Name: aws.String(name), RoleArn: aws.String("arn:aws:iam::111111111111:role/service"),
			PipelineType: cptypes.PipelineTypeV2, ExecutionMode: cptypes.ExecutionModeQueued,
			ArtifactStore: &cptypes.ArtifactStore{Type: cptypes.ArtifactStoreTypeS3, Location: aws.String("cp-artifacts")},
			Variables:     []cptypes.PipelineVariableDeclaration{{Name: aws.String("greeting"), DefaultValue: aws.String("hello")}},
			Stages: []cptypes.StageDeclaration{
				{Name: aws.String("Source"), Actions: []cptypes.ActionDeclaration{{Name: aws.String("Source"),
					ActionTypeId:    &cptypes.ActionTypeId{Category: cptypes.ActionCategorySource, Owner: cptypes.ActionOwnerAws, Provider: aws.String("S3"), Version: aws.String("1")},
					Configuration:   map[string]string{"S3Bucket": "cp-source", "S3ObjectKey": "app.zip", "PollForSourceChanges": "false"},
					OutputArtifacts: []cptypes.OutputArtifact{{Name: aws.String("app")}}}}},
				{Name: aws.String("Approve"), Actions: []cptypes.ActionDeclaration{{Name: aws.String("Approval"),
					ActionTypeId: &cptypes.ActionTypeId{Category: cptypes.ActionCategoryApproval, Owner: cptypes.ActionOwnerAws, Provider: aws.String("Manual"), Version: aws.String("1")}}}},
				{Name: aws.String("Deploy"), Actions: []cptypes.ActionDeclaration{{Name: aws.String("Site"),
					ActionTypeId:   &cptypes.ActionTypeId{Category: cptypes.ActionCategoryDeploy, Owner: cptypes.ActionOwnerAws, Provider: aws.String("S3"), Version: aws.String("1")},
					Configuration:  map[string]string{"BucketName": "cp-site", "Extract": "true"},
					InputArtifacts: []cptypes.InputArtifact{{Name: aws.String("app")}}}}},
			},
		}
	}
	for _, name := range []string{"first", "second", "third"} {
		must[*codepipeline.CreatePipelineOutput](t)(cp.CreatePipeline(ctx, &codepipeline.CreatePipelineInput{Pipeline: decl(name),
			Tags: []cptypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}}))
	}
	_, err := cp.CreatePipeline(ctx, &codepipeline.CreatePipelineInput{Pipeline: decl("first")})
	var inUse *cptypes.PipelineNameInUseException
	if !errors.As(err, &inUse) {
		t.Errorf("CreatePipeline again: %v, want PipelineNameInUseException", err)
	}
	bad := decl("bad")
	bad.Stages = bad.Stages[:1]
	_, err = cp.CreatePipeline(ctx, &codepipeline.CreatePipelineInput{Pipeline: bad})
	var structure *cptypes.InvalidStructureException
	if !errors.As(err, &structure) || !strings.Contains(err.Error(), "[stage-count]") {
		t.Errorf("a one-stage pipeline: %v, want InvalidStructureException naming [stage-count]", err)
	}
	var names []string
	for p := codepipeline.NewListPipelinesPaginator(cp, &codepipeline.ListPipelinesInput{MaxResults: aws.Int32(1)}); p.HasMorePages(); {
		for _, s := range must[*codepipeline.ListPipelinesOutput](t)(p.NextPage(ctx)).Pipelines {
			names = append(names, aws.ToString(s.Name))
		}
	}
	if fmt.Sprint(names) != "[first second third]" {
		t.Errorf("ListPipelines by 1: %v", names)
	}
	got := must[*codepipeline.GetPipelineOutput](t)(cp.GetPipeline(ctx, &codepipeline.GetPipelineInput{Name: aws.String("first")}))
	if got.Pipeline.PipelineType != cptypes.PipelineTypeV2 || got.Pipeline.ExecutionMode != cptypes.ExecutionModeQueued || len(got.Pipeline.Variables) != 1 || aws.ToInt32(got.Pipeline.Version) != 1 {
		t.Errorf("GetPipeline: %+v", got.Pipeline)
	}
	_, err = cp.GetPipeline(ctx, &codepipeline.GetPipelineInput{Name: aws.String("none")})
	var notFound *cptypes.PipelineNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("GetPipeline of a missing pipeline: %v, want PipelineNotFoundException", err)
	}
	upd := decl("first")
	upd.Variables = append(upd.Variables, cptypes.PipelineVariableDeclaration{Name: aws.String("target"), DefaultValue: aws.String("prod")})
	if u := must[*codepipeline.UpdatePipelineOutput](t)(cp.UpdatePipeline(ctx, &codepipeline.UpdatePipelineInput{Pipeline: upd})); aws.ToInt32(u.Pipeline.Version) != 2 {
		t.Errorf("UpdatePipeline made version %d", aws.ToInt32(u.Pipeline.Version))
	}
	pipelineARN := aws.String("arn:aws:codepipeline:us-east-1:111111111111:first")
	must[*codepipeline.TagResourceOutput](t)(cp.TagResource(ctx, &codepipeline.TagResourceInput{ResourceArn: pipelineARN, Tags: []cptypes.Tag{{Key: aws.String("env"), Value: aws.String("ci")}}}))
	must[*codepipeline.UntagResourceOutput](t)(cp.UntagResource(ctx, &codepipeline.UntagResourceInput{ResourceArn: pipelineARN, TagKeys: []string{"team"}}))
	var tags []string
	for p := codepipeline.NewListTagsForResourcePaginator(cp, &codepipeline.ListTagsForResourceInput{ResourceArn: pipelineARN}); p.HasMorePages(); {
		for _, tg := range must[*codepipeline.ListTagsForResourceOutput](t)(p.NextPage(ctx)).Tags {
			tags = append(tags, aws.ToString(tg.Key))
		}
	}
	if fmt.Sprint(tags) != "[env]" {
		t.Errorf("tags after tag and untag: %v", tags)
	}
	if v := must[*codepipeline.GetPipelineOutput](t)(cp.GetPipeline(ctx, &codepipeline.GetPipelineInput{Name: aws.String("first")})); aws.ToInt32(v.Pipeline.Version) != 2 {
		t.Errorf("tagging changed the version to %d", aws.ToInt32(v.Pipeline.Version))
	}

	// The run "first" started when it was created waits at its approval, holding the stage (the
	// pipeline is QUEUED): it is stopped.
	var created string
	for p := codepipeline.NewListPipelineExecutionsPaginator(cp, &codepipeline.ListPipelineExecutionsInput{PipelineName: aws.String("first")}); p.HasMorePages(); {
		for _, s := range must[*codepipeline.ListPipelineExecutionsOutput](t)(p.NextPage(ctx)).PipelineExecutionSummaries {
			created = aws.ToString(s.PipelineExecutionId)
		}
	}
	waitForToken(t, cp, "first", created)
	must[*codepipeline.StopPipelineExecutionOutput](t)(cp.StopPipelineExecution(ctx, &codepipeline.StopPipelineExecutionInput{PipelineName: aws.String("first"),
		PipelineExecutionId: aws.String(created), Abandon: true, Reason: aws.String("not this one")}))
	if x := waitForEnd(t, cp, "first", created); x.Status != cptypes.PipelineExecutionStatusStopped {
		t.Errorf("the stopped run ended %s", x.Status)
	}
	_, err = cp.StopPipelineExecution(ctx, &codepipeline.StopPipelineExecutionInput{PipelineName: aws.String("first"), PipelineExecutionId: aws.String(created)})
	var notStoppable *cptypes.PipelineExecutionNotStoppableException
	if !errors.As(err, &notStoppable) {
		t.Errorf("stopping a stopped run: %v, want PipelineExecutionNotStoppableException", err)
	}

	// A run pinned to the source's first version, with a variable; its deploy fails (no such
	// bucket), is retried once the bucket exists, and succeeds.
	started := must[*codepipeline.StartPipelineExecutionOutput](t)(cp.StartPipelineExecution(ctx, &codepipeline.StartPipelineExecutionInput{Name: aws.String("first"),
		Variables:       []cptypes.PipelineVariable{{Name: aws.String("greeting"), Value: aws.String("hi")}},
		SourceRevisions: []cptypes.SourceRevisionOverride{{ActionName: aws.String("Source"), RevisionType: cptypes.SourceRevisionTypeS3ObjectVersionId, RevisionValue: src.VersionId}}}))
	id := started.PipelineExecutionId
	_, err = cp.StartPipelineExecution(ctx, &codepipeline.StartPipelineExecutionInput{Name: aws.String("first"), Variables: []cptypes.PipelineVariable{{Name: aws.String("undeclared"), Value: aws.String("x")}}})
	var validation *cptypes.ValidationException
	if !errors.As(err, &validation) {
		t.Errorf("an undeclared variable: %v, want ValidationException", err)
	}
	token := waitForToken(t, cp, "first", aws.ToString(id))
	_, err = cp.PutApprovalResult(ctx, &codepipeline.PutApprovalResultInput{PipelineName: aws.String("first"), StageName: aws.String("Approve"), ActionName: aws.String("Approval"),
		Token: aws.String("not-the-token"), Result: &cptypes.ApprovalResult{Status: cptypes.ApprovalStatusApproved, Summary: aws.String("x")}})
	var badToken *cptypes.InvalidApprovalTokenException
	if !errors.As(err, &badToken) {
		t.Errorf("PutApprovalResult with a wrong token: %v, want InvalidApprovalTokenException", err)
	}
	must[*codepipeline.PutApprovalResultOutput](t)(cp.PutApprovalResult(ctx, &codepipeline.PutApprovalResultInput{PipelineName: aws.String("first"), StageName: aws.String("Approve"),
		ActionName: aws.String("Approval"), Token: aws.String(token), Result: &cptypes.ApprovalResult{Status: cptypes.ApprovalStatusApproved, Summary: aws.String("ok")}}))
	exec := waitForEnd(t, cp, "first", aws.ToString(id))
	if exec.Status != cptypes.PipelineExecutionStatusFailed {
		t.Fatalf("the run to a missing bucket ended %s", exec.Status)
	}
	if len(exec.ArtifactRevisions) != 1 || aws.ToString(exec.ArtifactRevisions[0].RevisionId) != aws.ToString(src.VersionId) || exec.Variables[0].ResolvedValue == nil {
		t.Errorf("GetPipelineExecution: revisions %+v variables %+v", exec.ArtifactRevisions, exec.Variables)
	}
	_, err = cp.RetryStageExecution(ctx, &codepipeline.RetryStageExecutionInput{PipelineName: aws.String("first"), PipelineExecutionId: id,
		StageName: aws.String("Approve"), RetryMode: cptypes.StageRetryModeFailedActions})
	var notRetryable *cptypes.StageNotRetryableException
	if !errors.As(err, &notRetryable) {
		t.Errorf("retrying a stage that succeeded: %v, want StageNotRetryableException", err)
	}
	must[*s3.CreateBucketOutput](t)(a.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("cp-site")}))
	must[*codepipeline.RetryStageExecutionOutput](t)(cp.RetryStageExecution(ctx, &codepipeline.RetryStageExecutionInput{PipelineName: aws.String("first"),
		PipelineExecutionId: id, StageName: aws.String("Deploy"), RetryMode: cptypes.StageRetryModeFailedActions}))
	if exec = waitForEnd(t, cp, "first", aws.ToString(id)); exec.Status != cptypes.PipelineExecutionStatusSucceeded {
		t.Errorf("the retried run ended %s (%s)", exec.Status, aws.ToString(exec.StatusSummary))
	}
	var details int
	for p := codepipeline.NewListActionExecutionsPaginator(cp, &codepipeline.ListActionExecutionsInput{PipelineName: aws.String("first"),
		Filter: &cptypes.ActionExecutionFilter{PipelineExecutionId: id}, MaxResults: aws.Int32(1)}); p.HasMorePages(); {
		details += len(must[*codepipeline.ListActionExecutionsOutput](t)(p.NextPage(ctx)).ActionExecutionDetails)
	}
	if details != 4 {
		t.Errorf("ListActionExecutions by 1: %d action executions, want 4 (Deploy's two attempts each)", details)
	}

	// Conditions and rollbacks: the stage has no condition to override; the succeeded run is
	// a target to roll Deploy back to, the stopped one is not; the rule executions are none.
	_, err = cp.OverrideStageCondition(ctx, &codepipeline.OverrideStageConditionInput{PipelineName: aws.String("first"), StageName: aws.String("Deploy"),
		PipelineExecutionId: id, ConditionType: cptypes.ConditionTypeBeforeEntry})
	var notOverridable *cptypes.ConditionNotOverridableException
	if !errors.As(err, &notOverridable) {
		t.Errorf("overriding a condition the stage does not have: %v, want ConditionNotOverridableException", err)
	}
	_, err = cp.RollbackStage(ctx, &codepipeline.RollbackStageInput{PipelineName: aws.String("first"), StageName: aws.String("Deploy"), TargetPipelineExecutionId: aws.String(created)})
	var unable *cptypes.UnableToRollbackStageException
	if !errors.As(err, &unable) {
		t.Errorf("rolling back to a run stopped before the stage: %v, want UnableToRollbackStageException", err)
	}
	rb := must[*codepipeline.RollbackStageOutput](t)(cp.RollbackStage(ctx, &codepipeline.RollbackStageInput{PipelineName: aws.String("first"),
		StageName: aws.String("Deploy"), TargetPipelineExecutionId: id}))
	if x := waitForEnd(t, cp, "first", aws.ToString(rb.PipelineExecutionId)); x.ExecutionType != cptypes.ExecutionTypeRollback ||
		x.RollbackMetadata == nil || aws.ToString(x.RollbackMetadata.RollbackTargetPipelineExecutionId) != aws.ToString(id) || x.Status != cptypes.PipelineExecutionStatusSucceeded {
		t.Errorf("the rollback execution: %s %s %+v", x.ExecutionType, x.Status, x.RollbackMetadata)
	}
	if rules := must[*codepipeline.ListRuleExecutionsOutput](t)(cp.ListRuleExecutions(ctx, &codepipeline.ListRuleExecutionsInput{PipelineName: aws.String("first")})); len(rules.RuleExecutionDetails) != 0 {
		t.Errorf("rule executions of a pipeline without conditions: %d", len(rules.RuleExecutionDetails))
	}

	_, err = cp.GetPipelineExecution(ctx, &codepipeline.GetPipelineExecutionInput{PipelineName: aws.String("first"), PipelineExecutionId: aws.String("00000000-0000-0000-0000-000000000000")})
	var noExec *cptypes.PipelineExecutionNotFoundException
	if !errors.As(err, &noExec) {
		t.Errorf("GetPipelineExecution of a missing execution: %v, want PipelineExecutionNotFoundException", err)
	}
	var runs []string
	for p := codepipeline.NewListPipelineExecutionsPaginator(cp, &codepipeline.ListPipelineExecutionsInput{PipelineName: aws.String("first"), MaxResults: aws.Int32(1)}); p.HasMorePages(); {
		for _, s := range must[*codepipeline.ListPipelineExecutionsOutput](t)(p.NextPage(ctx)).PipelineExecutionSummaries {
			runs = append(runs, string(s.Trigger.TriggerType))
		}
	}
	if fmt.Sprint(runs) != "[ManualRollback StartPipelineExecution CreatePipeline]" {
		t.Errorf("executions by 1, newest first, by trigger: %v", runs)
	}
	for _, name := range []string{"first", "second", "third"} {
		must[*codepipeline.DeletePipelineOutput](t)(cp.DeletePipeline(ctx, &codepipeline.DeletePipelineInput{Name: aws.String(name)}))
	}
}

func waitForToken(t *testing.T, cp *codepipeline.Client, name, id string) string {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		st := must[*codepipeline.GetPipelineStateOutput](t)(cp.GetPipelineState(context.Background(), &codepipeline.GetPipelineStateInput{Name: aws.String(name)}))
		for _, s := range st.StageStates {
			if s.LatestExecution == nil || aws.ToString(s.LatestExecution.PipelineExecutionId) != id {
				continue
			}
			for _, a := range s.ActionStates {
				if a.LatestExecution != nil && aws.ToString(a.LatestExecution.Token) != "" {
					return aws.ToString(a.LatestExecution.Token)
				}
			}
		}
	}
	t.Fatalf("execution %s of %s never waited for an approval", id, name)
	return ""
}

func waitForEnd(t *testing.T, cp *codepipeline.Client, name, id string) *cptypes.PipelineExecution {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		x := must[*codepipeline.GetPipelineExecutionOutput](t)(cp.GetPipelineExecution(context.Background(), &codepipeline.GetPipelineExecutionInput{
			PipelineName: aws.String(name), PipelineExecutionId: aws.String(id)}))
		if s := x.PipelineExecution.Status; s != cptypes.PipelineExecutionStatusInProgress && s != cptypes.PipelineExecutionStatusStopping {
			return x.PipelineExecution
		}
	}
	t.Fatalf("execution %s of %s did not end", id, name)
	return nil
}
