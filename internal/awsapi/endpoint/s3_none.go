package endpoint

import (
	"context"
	"encoding/xml"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
)

// The bucket configurations the local cloud does not hold — CORS, website, logging, lifecycle,
// replication, acceleration, request payment, object lock, ownership controls, public access
// block, notifications — answered as S3 answers a bucket that has none of them: each with its
// "not configured" error or its empty document. The AWS provider's aws_s3_bucket reads them all.
// The bucket's ACL is its owner's full control, as S3 gives every bucket.

func registerS3None(e *Endpoint) {
	missing := func(action, code, message string) awsapi.Handler {
		return func(ctx context.Context, req *awsapi.Request) (any, error) {
			b, err := e.bucket(ctx, req, action)
			if err != nil {
				return nil, err
			}
			return nil, wire.NewError(404, code, "%s", message).With("BucketName", b.Name)
		}
	}
	empty := func(action string, doc func() any) awsapi.Handler {
		return func(ctx context.Context, req *awsapi.Request) (any, error) {
			if _, err := e.bucket(ctx, req, action); err != nil {
				return nil, err
			}
			return doc(), nil
		}
	}
	e.Register("s3", "GetBucketCors", missing("s3:GetBucketCORS", "NoSuchCORSConfiguration", "The CORS configuration does not exist"))
	e.Register("s3", "GetBucketWebsite", missing("s3:GetBucketWebsite", "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration"))
	e.Register("s3", "GetBucketLifecycleConfiguration", missing("s3:GetLifecycleConfiguration", "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"))
	e.Register("s3", "GetBucketReplication", missing("s3:GetReplicationConfiguration", "ReplicationConfigurationNotFoundError", "The replication configuration was not found"))
	e.Register("s3", "GetObjectLockConfiguration", missing("s3:GetBucketObjectLockConfiguration", "ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket"))
	e.Register("s3", "GetBucketOwnershipControls", missing("s3:GetBucketOwnershipControls", "OwnershipControlsNotFoundError", "The bucket ownership controls were not found"))
	e.Register("s3", "GetPublicAccessBlock", missing("s3:GetBucketPublicAccessBlock", "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"))
	e.Register("s3", "GetBucketLogging", empty("s3:GetBucketLogging", func() any { return &bucketLoggingStatus{} }))
	e.Register("s3", "GetBucketAccelerateConfiguration", empty("s3:GetAccelerateConfiguration", func() any { return &accelerateConfiguration{} }))
	e.Register("s3", "GetBucketRequestPayment", empty("s3:GetBucketRequestPayment", func() any { return &requestPaymentConfiguration{Payer: "BucketOwner"} }))
	e.Register("s3", "GetBucketNotificationConfiguration", empty("s3:GetBucketNotification", func() any { return &notificationConfiguration{} }))
	e.Register("s3", "GetBucketAcl", e.getBucketACL)
}

type bucketLoggingStatus struct {
	XMLName xml.Name `xml:"BucketLoggingStatus"`
}

type accelerateConfiguration struct {
	XMLName xml.Name `xml:"AccelerateConfiguration"`
}

type requestPaymentConfiguration struct {
	XMLName xml.Name `xml:"RequestPaymentConfiguration"`
	Payer   string
}

type notificationConfiguration struct {
	XMLName xml.Name `xml:"NotificationConfiguration"`
}

type grantee struct {
	XMLNS       string `xml:"xmlns:xsi,attr"`
	Type        string `xml:"xsi:type,attr"`
	ID          string
	DisplayName string `xml:",omitempty"`
}

type grant struct {
	Grantee    grantee
	Permission string
}

type accessControlPolicy struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Owner   *s3Owner
	Grants  []grant `xml:"AccessControlList>Grant"`
}

func (e *Endpoint) getBucketACL(ctx context.Context, req *awsapi.Request) (any, error) {
	b, err := e.bucket(ctx, req, "s3:GetBucketAcl")
	if err != nil {
		return nil, err
	}
	owner := ownerOf(b.AccountID)
	return &accessControlPolicy{Owner: owner, Grants: []grant{{
		Grantee:    grantee{XMLNS: "http://www.w3.org/2001/XMLSchema-instance", Type: "CanonicalUser", ID: owner.ID},
		Permission: "FULL_CONTROL",
	}}}, nil
}
