package aws

import (
	"errors"
	"fmt"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// The error codes of the services, by what they mean to backend's callers.
var (
	notFoundCodes = map[string]bool{
		"NoSuchBucket": true, "NoSuchKey": true, "NoSuchVersion": true, "NotFound": true, "NoSuchUpload": true,
		"NoSuchBucketPolicy": true, "NoSuchTagSet": true, "NoSuchTagSetError": true,
		"NotFoundException": true, "NoSuchEntity": true,
		"PipelineNotFoundException": true, "PipelineExecutionNotFoundException": true, "StageNotFoundException": true,
		"ActionNotFoundException": true, "WebhookNotFoundException": true,
	}
	alreadyExistsCodes = map[string]bool{
		"BucketAlreadyExists": true, "BucketAlreadyOwnedByYou": true, "AlreadyExistsException": true,
		"EntityAlreadyExists": true, "PipelineNameInUseException": true,
	}
	accessDeniedCodes = map[string]bool{
		"AccessDenied": true, "AccessDeniedException": true, "AllAccessDisabled": true, "AuthorizationError": true,
	}
	conflictCodes = map[string]bool{
		"DeleteConflict": true, "ConcurrentModification": true, "ConcurrentModificationException": true,
		"OperationAborted": true, "ConflictException": true, "ConcurrentPipelineExecutionsLimitExceededException": true,
	}
	invalidCodes = map[string]bool{
		"InvalidArgument": true, "InvalidRequest": true, "InvalidPart": true, "InvalidPartOrder": true, "EntityTooSmall": true,
		"MalformedPolicy": true, "MalformedXML": true, "InvalidBucketName": true, "BadDigest": true, "InvalidDigest": true,
		"ValidationException": true, "ValidationError": true, "InvalidInput": true, "MalformedPolicyDocument": true,
		"MalformedPolicyDocumentException": true, "InvalidStructureException": true, "InvalidArnException": true,
		"LimitExceeded": true, "LimitExceededException": true, "UnsupportedOperationException": true,
		"InvalidAliasNameException": true, "InvalidKeyUsageException": true, "DisabledException": true,
		"InvalidTagsException": true, "InvalidStageDeclarationException": true, "InvalidActionDeclarationException": true,
		"InvalidBlockerDeclarationException": true, "NotLatestPipelineExecutionException": true,
		"StageNotRetryableException": true, "InvalidApprovalTokenException": true, "ApprovalAlreadyCompletedException": true,
		"PipelineExecutionNotStoppableException": true, "DuplicatedStopRequestException": true, "PipelineVersionNotFoundException": true,
		"TagException": true, "TooManyTagsException": true, "InvalidResourceArnException": true, "DryRunOperation": true,
	}
)

// wrap gives err, from a call of op on what, the meaning backend's callers test with
// errors.Is — ErrNotFound (as a *backend.NotFound of kind), ErrAlreadyExists, ErrAccessDenied
// (as a *backend.AccessDeniedError), ErrConflict, ErrInvalid, the KMS ones — keeping AWS's
// code and message in the text. Errors that are none of these (throttling past the SDK's
// retries, the network) are returned as they are, with the operation named.
func wrap(op, kind, what string, err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("%s %s: %w", op, what, err)
	}
	code := ae.ErrorCode()
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	msg := fmt.Sprintf("%s %s: %s: %s", op, what, code, ae.ErrorMessage())
	switch {
	case notFoundCodes[code] || (code == "" && status == http.StatusNotFound):
		return fmt.Errorf("%s: %w", msg, &backend.NotFound{Kind: kind, Name: what})
	case alreadyExistsCodes[code]:
		return fmt.Errorf("%s: %w", msg, backend.ErrAlreadyExists)
	case code == "BucketNotEmpty":
		return fmt.Errorf("%s: %w", msg, backend.ErrBucketNotEmpty)
	case accessDeniedCodes[code] || status == http.StatusForbidden:
		return &backend.AccessDeniedError{Action: op, Resource: what, Reason: "AccessDenied: " + msg}
	case code == "InvalidCiphertextException":
		return fmt.Errorf("%s: %w", msg, backend.ErrInvalidCiphertext)
	case code == "IncorrectKeyException":
		return fmt.Errorf("%s: %w", msg, backend.ErrIncorrectKey)
	case code == "KMSInvalidStateException":
		return fmt.Errorf("%s: %w: %w", msg, backend.ErrKeyState, backend.ErrInvalid)
	case conflictCodes[code]:
		return fmt.Errorf("%s: %w", msg, backend.ErrConflict)
	case invalidCodes[code] || status == http.StatusBadRequest:
		return fmt.Errorf("%s: %w", msg, backend.ErrInvalid)
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// codeOf is AWS's error code of err, "" when it is not an AWS error.
func codeOf(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// messageOf is AWS's error message of err.
func messageOf(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}
