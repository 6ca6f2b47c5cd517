package endpoint_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	c := newCloud(t)
	a := c.root(acctA)
	id := must[*sts.GetCallerIdentityOutput](t)(a.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Account) != acctA {
		t.Fatalf("account %s", aws.ToString(id.Account))
	}
	must[*s3.CreateBucketOutput](t)(a.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("smoke")}))
	must[*s3.PutBucketVersioningOutput](t)(a.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("smoke"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}))
	must[*s3.PutObjectOutput](t)(a.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("smoke"), Key: aws.String("k"), Body: bytes.NewReader([]byte("hello"))}))
	out := must[*s3.GetObjectOutput](t)(a.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("smoke"), Key: aws.String("k")}))
	b, _ := io.ReadAll(out.Body)
	if string(b) != "hello" {
		t.Fatalf("body %q", b)
	}
	c.validate(t)
}
