// Package arn builds and parses Amazon Resource Names. It is the one place that writes an
// ARN: every ARN names its partition, and the partition follows from the region a resource
// lives in (or, for the global services IAM and S3, the region of the configuration acting on
// it), so a configuration in us-gov-west-1 gets arn:aws-us-gov:… ARNs everywhere.
package arn

import (
	"fmt"
	"strings"
)

// Partition is an AWS partition: the first field of an ARN after "arn".
type Partition string

// The partitions, as AWS names them.
const (
	AWS      Partition = "aws"
	AWSCN    Partition = "aws-cn"
	AWSUSGov Partition = "aws-us-gov"
	AWSISO   Partition = "aws-iso"
	AWSISOB  Partition = "aws-iso-b"
	AWSISOE  Partition = "aws-iso-e"
	AWSISOF  Partition = "aws-iso-f"
	AWSEUSC  Partition = "aws-eusc"
)

// regionPrefixes map the start of a region name to its partition, longest first so that
// "us-isob-" is not taken for "us-iso-". A region matching none is in the aws partition.
var regionPrefixes = []struct {
	prefix    string
	partition Partition
}{
	{"us-isob-", AWSISOB},
	{"us-isof-", AWSISOF},
	{"eu-isoe-", AWSISOE},
	{"us-iso-", AWSISO},
	{"us-gov-", AWSUSGov},
	{"eusc-", AWSEUSC},
	{"cn-", AWSCN},
}

// PartitionOf returns the partition of a region: us-gov-west-1 → aws-us-gov, cn-north-1 →
// aws-cn, us-iso-east-1 → aws-iso, us-isob-east-1 → aws-iso-b, anything else → aws.
func PartitionOf(region string) Partition {
	for _, r := range regionPrefixes {
		if strings.HasPrefix(region, r.prefix) {
			return r.partition
		}
	}
	return AWS
}

// ARN is a parsed Amazon Resource Name: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
type ARN struct {
	Partition Partition
	Service   string
	Region    string // "" for global services (IAM, S3)
	AccountID string // "" for S3 buckets
	Resource  string // everything after the account field, e.g. "role/deploy", "key/ID", "NAME"
}

func (a ARN) String() string {
	return "arn:" + string(a.Partition) + ":" + a.Service + ":" + a.Region + ":" + a.AccountID + ":" + a.Resource
}

// Parse splits s into its fields; it fails unless s has the six fields of an ARN with a
// partition, a service and a resource.
func Parse(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return ARN{}, fmt.Errorf("%q is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)", s)
	}
	return ARN{Partition: Partition(parts[1]), Service: parts[2], Region: parts[3], AccountID: parts[4], Resource: parts[5]}, nil
}

// IsARN reports whether s parses as an ARN.
func IsARN(s string) bool {
	_, err := Parse(s)
	return err == nil
}

// The builders. Regional resources take their region, which also gives the partition; global
// ones (S3 buckets, IAM principals) take the partition of the configuration acting on them.

// Bucket is an S3 bucket: arn:P:s3:::BUCKET.
func (p Partition) Bucket(bucket string) string {
	return ARN{Partition: p, Service: "s3", Resource: bucket}.String()
}

// Objects is every object of a bucket: arn:P:s3:::BUCKET/*.
func (p Partition) Objects(bucket string) string { return p.Bucket(bucket) + "/*" }

// Object is one object of a bucket: arn:P:s3:::BUCKET/KEY.
func (p Partition) Object(bucket, key string) string { return p.Bucket(bucket) + "/" + key }

// Root stands for every principal of an account: arn:P:iam::ACCOUNT:root.
func (p Partition) Root(account string) string {
	return ARN{Partition: p, Service: "iam", AccountID: account, Resource: "root"}.String()
}

// Role is an IAM role: arn:P:iam::ACCOUNT:role/NAME.
func (p Partition) Role(account, name string) string {
	return ARN{Partition: p, Service: "iam", AccountID: account, Resource: "role/" + name}.String()
}

// Key is a KMS key: arn:P:kms:REGION:ACCOUNT:key/KEY_ID.
func Key(region, account, keyID string) string {
	return ARN{Partition: PartitionOf(region), Service: "kms", Region: region, AccountID: account, Resource: "key/" + keyID}.String()
}

// Alias is a KMS alias ("alias/NAME"): arn:P:kms:REGION:ACCOUNT:alias/NAME.
func Alias(region, account, alias string) string {
	return ARN{Partition: PartitionOf(region), Service: "kms", Region: region, AccountID: account, Resource: alias}.String()
}

// Pipeline is a CodePipeline pipeline: arn:P:codepipeline:REGION:ACCOUNT:NAME.
func Pipeline(region, account, name string) string {
	return ARN{Partition: PartitionOf(region), Service: "codepipeline", Region: region, AccountID: account, Resource: name}.String()
}

// Webhook is a CodePipeline webhook: arn:P:codepipeline:REGION:ACCOUNT:webhook:NAME.
func Webhook(region, account, name string) string {
	return ARN{Partition: PartitionOf(region), Service: "codepipeline", Region: region, AccountID: account, Resource: "webhook:" + name}.String()
}

// Parameter is a Systems Manager parameter: arn:P:ssm:REGION:ACCOUNT:parameter/NAME, the leading
// "/" of a hierarchical name dropped.
func Parameter(region, account, name string) string {
	return ARN{Partition: PartitionOf(region), Service: "ssm", Region: region, AccountID: account, Resource: "parameter/" + strings.TrimPrefix(name, "/")}.String()
}

// Secret is a Secrets Manager secret: arn:P:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX,
// SUFFIX being six random characters fixed when the secret is created.
func Secret(region, account, name, suffix string) string {
	return ARN{Partition: PartitionOf(region), Service: "secretsmanager", Region: region, AccountID: account, Resource: "secret:" + name + "-" + suffix}.String()
}

// Build is a CodeBuild build: arn:P:codebuild:REGION:ACCOUNT:build/PROJECT:ID.
func Build(region, account, buildID string) string {
	return ARN{Partition: PartitionOf(region), Service: "codebuild", Region: region, AccountID: account, Resource: "build/" + buildID}.String()
}

// BucketName returns the bucket an S3 bucket ARN names, or s itself when s is not an ARN.
func BucketName(s string) (string, error) {
	if !strings.HasPrefix(s, "arn:") {
		return s, nil
	}
	a, err := Parse(s)
	if err != nil {
		return "", err
	}
	if a.Service != "s3" || a.Region != "" || a.AccountID != "" || strings.Contains(a.Resource, "/") {
		return "", fmt.Errorf("%q is not an S3 bucket ARN (arn:PARTITION:s3:::BUCKET)", s)
	}
	return a.Resource, nil
}

// PipelineName returns the pipeline a CodePipeline pipeline ARN names, or s itself when s is
// not an ARN.
func PipelineName(s string) (string, error) {
	if !strings.HasPrefix(s, "arn:") {
		return s, nil
	}
	a, err := Parse(s)
	if err != nil {
		return "", err
	}
	if a.Service != "codepipeline" || strings.Contains(a.Resource, ":") {
		return "", fmt.Errorf("%q is not a CodePipeline pipeline ARN (arn:PARTITION:codepipeline:REGION:ACCOUNT:NAME)", s)
	}
	return a.Resource, nil
}

// WebhookName returns the webhook a CodePipeline webhook ARN names, or s itself when s is not
// an ARN.
func WebhookName(s string) (string, error) {
	if !strings.HasPrefix(s, "arn:") {
		return s, nil
	}
	a, err := Parse(s)
	name, ok := strings.CutPrefix(a.Resource, "webhook:")
	if err != nil || a.Service != "codepipeline" || !ok {
		return "", fmt.Errorf("%q is not a CodePipeline webhook ARN (arn:PARTITION:codepipeline:REGION:ACCOUNT:webhook:NAME)", s)
	}
	return name, nil
}
