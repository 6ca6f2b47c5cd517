package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// operations are the AWS API operations this backend calls, by service and operation name,
// each with the IAM actions its caller needs: the one source of the least-privilege policy
// (LeastPrivilegePolicy, published in the Real AWS guide). Every client of the backend checks
// its calls against it (checkOperation): a call missing here fails, in the tests that make it,
// before it is sent — the policy cannot fall behind the code.
var operations = map[string][]string{
	// STS: who the credentials are; the roles object and KMS calls act as.
	"sts/GetCallerIdentity": {"sts:GetCallerIdentity"},
	"sts/AssumeRole":        {"sts:AssumeRole"},

	// S3: artifact buckets and their objects.
	"s3/CreateBucket":            {"s3:CreateBucket"},
	"s3/DeleteBucket":            {"s3:DeleteBucket"},
	"s3/HeadBucket":              {"s3:ListBucket"},
	"s3/ListBuckets":             {"s3:ListAllMyBuckets"},
	"s3/GetBucketVersioning":     {"s3:GetBucketVersioning"},
	"s3/PutBucketVersioning":     {"s3:PutBucketVersioning"},
	"s3/GetBucketEncryption":     {"s3:GetEncryptionConfiguration"},
	"s3/PutBucketEncryption":     {"s3:PutEncryptionConfiguration"},
	"s3/DeleteBucketEncryption":  {"s3:PutEncryptionConfiguration"},
	"s3/GetBucketPolicy":         {"s3:GetBucketPolicy"},
	"s3/PutBucketPolicy":         {"s3:PutBucketPolicy"},
	"s3/DeleteBucketPolicy":      {"s3:DeleteBucketPolicy"},
	"s3/GetBucketTagging":        {"s3:GetBucketTagging"},
	"s3/PutBucketTagging":        {"s3:PutBucketTagging"},
	"s3/DeleteBucketTagging":     {"s3:PutBucketTagging"},
	"s3/ListObjectsV2":           {"s3:ListBucket"},
	"s3/ListObjectVersions":      {"s3:ListBucketVersions"},
	"s3/HeadObject":              {"s3:GetObject", "s3:GetObjectVersion"},
	"s3/GetObject":               {"s3:GetObject", "s3:GetObjectVersion", "kms:Decrypt"},
	"s3/GetObjectTagging":        {"s3:GetObjectTagging", "s3:GetObjectVersionTagging"},
	"s3/PutObject":               {"s3:PutObject", "s3:PutObjectTagging", "kms:GenerateDataKey"},
	"s3/DeleteObject":            {"s3:DeleteObject", "s3:DeleteObjectVersion"},
	"s3/CreateMultipartUpload":   {"s3:PutObject", "s3:PutObjectTagging", "kms:GenerateDataKey"},
	"s3/UploadPart":              {"s3:PutObject"},
	"s3/CompleteMultipartUpload": {"s3:PutObject", "kms:Decrypt"},
	"s3/AbortMultipartUpload":    {"s3:AbortMultipartUpload"},
	"s3/ListParts":               {"s3:ListMultipartUploadParts"},
	"s3/ListMultipartUploads":    {"s3:ListBucketMultipartUploads"},

	// KMS: artifact keys.
	"kms/CreateKey":            {"kms:CreateKey", "kms:TagResource"},
	"kms/DescribeKey":          {"kms:DescribeKey"},
	"kms/ListKeys":             {"kms:ListKeys"},
	"kms/GetKeyPolicy":         {"kms:GetKeyPolicy"},
	"kms/PutKeyPolicy":         {"kms:PutKeyPolicy"},
	"kms/GetKeyRotationStatus": {"kms:GetKeyRotationStatus"},
	"kms/EnableKeyRotation":    {"kms:EnableKeyRotation"},
	"kms/DisableKeyRotation":   {"kms:DisableKeyRotation"},
	"kms/RotateKeyOnDemand":    {"kms:RotateKeyOnDemand"},
	"kms/UpdateKeyDescription": {"kms:UpdateKeyDescription"},
	"kms/ScheduleKeyDeletion":  {"kms:ScheduleKeyDeletion"},
	"kms/CancelKeyDeletion":    {"kms:CancelKeyDeletion"},
	"kms/EnableKey":            {"kms:EnableKey"},
	"kms/CreateAlias":          {"kms:CreateAlias"},
	"kms/UpdateAlias":          {"kms:UpdateAlias"},
	"kms/DeleteAlias":          {"kms:DeleteAlias"},
	"kms/ListAliases":          {"kms:ListAliases"},
	"kms/ListResourceTags":     {"kms:ListResourceTags"},
	"kms/TagResource":          {"kms:TagResource"},
	"kms/UntagResource":        {"kms:UntagResource"},
	"kms/Encrypt":              {"kms:Encrypt"},
	"kms/Decrypt":              {"kms:Decrypt"},
	"kms/GenerateDataKey":      {"kms:GenerateDataKey"},

	// IAM: cross-account roles and managed policies.
	"iam/CreateRole":               {"iam:CreateRole", "iam:TagRole"},
	"iam/GetRole":                  {"iam:GetRole"},
	"iam/DeleteRole":               {"iam:DeleteRole"},
	"iam/UpdateAssumeRolePolicy":   {"iam:UpdateAssumeRolePolicy"},
	"iam/ListRolePolicies":         {"iam:ListRolePolicies"},
	"iam/GetRolePolicy":            {"iam:GetRolePolicy"},
	"iam/PutRolePolicy":            {"iam:PutRolePolicy"},
	"iam/DeleteRolePolicy":         {"iam:DeleteRolePolicy"},
	"iam/ListAttachedRolePolicies": {"iam:ListAttachedRolePolicies"},
	"iam/AttachRolePolicy":         {"iam:AttachRolePolicy"},
	"iam/DetachRolePolicy":         {"iam:DetachRolePolicy"},
	"iam/TagRole":                  {"iam:TagRole"},
	"iam/UntagRole":                {"iam:UntagRole"},
	"iam/CreatePolicy":             {"iam:CreatePolicy", "iam:TagPolicy"},
	"iam/GetPolicy":                {"iam:GetPolicy"},
	"iam/GetPolicyVersion":         {"iam:GetPolicyVersion"},
	"iam/DeletePolicy":             {"iam:DeletePolicy"},

	// CodePipeline: pipelines and their runs. Creating or updating a pipeline passes its role.
	"codepipeline/CreatePipeline":         {"codepipeline:CreatePipeline", "codepipeline:TagResource", "iam:PassRole"},
	"codepipeline/GetPipeline":            {"codepipeline:GetPipeline"},
	"codepipeline/UpdatePipeline":         {"codepipeline:UpdatePipeline", "iam:PassRole"},
	"codepipeline/DeletePipeline":         {"codepipeline:DeletePipeline"},
	"codepipeline/ListPipelines":          {"codepipeline:ListPipelines"},
	"codepipeline/ListTagsForResource":    {"codepipeline:ListTagsForResource"},
	"codepipeline/TagResource":            {"codepipeline:TagResource"},
	"codepipeline/UntagResource":          {"codepipeline:UntagResource"},
	"codepipeline/StartPipelineExecution": {"codepipeline:StartPipelineExecution"},
	"codepipeline/GetPipelineExecution":   {"codepipeline:GetPipelineExecution"},
	"codepipeline/ListPipelineExecutions": {"codepipeline:ListPipelineExecutions"},
	"codepipeline/StopPipelineExecution":  {"codepipeline:StopPipelineExecution"},
	"codepipeline/RetryStageExecution":    {"codepipeline:RetryStageExecution"},
	"codepipeline/GetPipelineState":       {"codepipeline:GetPipelineState"},
	"codepipeline/PutApprovalResult":      {"codepipeline:PutApprovalResult"},
	"codepipeline/ListActionExecutions":   {"codepipeline:ListActionExecutions"},
	"codepipeline/RollbackStage":          {"codepipeline:RollbackStage"},
	"codepipeline/OverrideStageCondition": {"codepipeline:OverrideStageCondition"},
	"codepipeline/ListRuleExecutions":     {"codepipeline:ListRuleExecutions"},
}

// checkOperation refuses, before it is sent, a call of an operation the table does not list.
var checkOperation = middleware.InitializeMiddlewareFunc("codepipelineLeastPrivilege", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	op := strings.ToLower(awsmiddleware.GetServiceID(ctx)) + "/" + awsmiddleware.GetOperationName(ctx)
	if _, ok := operations[op]; !ok {
		return middleware.InitializeOutput{}, middleware.Metadata{}, fmt.Errorf("the aws backend calls %s, which its least-privilege table (internal/backend/aws/operations.go) does not list: add it with the IAM actions it needs", op)
	}
	return next.HandleInitialize(ctx, in)
})

func addCheckOperation(stack *middleware.Stack) error {
	return stack.Initialize.Add(checkOperation, middleware.After)
}

// LeastPrivilegePolicy is the IAM policy the identity the aws backend acts as needs: every
// action of the operations it calls, by service. Resources are "*": the buckets, keys, roles
// and pipelines are the configuration's; narrow them to its names where that is known.
func LeastPrivilegePolicy() string {
	byService := map[string]map[string]bool{}
	for _, actions := range operations {
		for _, a := range actions {
			svc := a[:strings.Index(a, ":")]
			if byService[svc] == nil {
				byService[svc] = map[string]bool{}
			}
			byService[svc][a] = true
		}
	}
	type statement struct {
		Sid      string
		Effect   string
		Action   []string
		Resource string
	}
	doc := struct {
		Version   string
		Statement []statement
	}{Version: "2012-10-17"}
	services := make([]string, 0, len(byService))
	for s := range byService {
		services = append(services, s)
	}
	sort.Strings(services)
	sids := map[string]string{"codepipeline": "CodePipeline", "iam": "IAM", "kms": "KMS", "s3": "S3", "sts": "STS"}
	for _, s := range services {
		var actions []string
		for a := range byService[s] {
			actions = append(actions, a)
		}
		sort.Strings(actions)
		doc.Statement = append(doc.Statement, statement{Sid: sids[s], Effect: "Allow", Action: actions, Resource: "*"})
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err) // a fixed shape of strings
	}
	return string(out)
}
