package awsapi

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/sigv4"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
)

// Principal is who a request acts as, once its signature is verified.
type Principal struct {
	// Account is the 12-digit account id.
	Account string
	// ARN is what GetCallerIdentity returns: arn:aws:iam::<account>:root for an account's
	// long-term key, arn:aws:sts::<account>:assumed-role/<role>/<session> for a role session.
	ARN string
	// UserID is GetCallerIdentity's UserId: the account id for root, "<role id>:<session>"
	// for a role session.
	UserID string
	// RoleARN and SessionName are set for a role session (temporary credentials).
	RoleARN, SessionName string
	// Anonymous is an unsigned S3 request (only bucket policies can allow it anything).
	Anonymous bool
}

// Credential is what an access key id stands for.
type Credential struct {
	// Secret is the secret access key the request must be signed with.
	Secret string
	// SessionToken is set for temporary credentials: the request must carry it in
	// X-Amz-Security-Token. Long-term keys have none, and a request that sends one is refused.
	SessionToken string
	// Expires is when temporary credentials stop working (zero: never).
	Expires   time.Time
	Principal Principal
}

// CredentialResolver finds the credential of an access key id. Phase B implements it over the
// backend's key store (long-term keys per account, and STS sessions).
type CredentialResolver interface {
	// ResolveAccessKey returns the credential of accessKeyID, or an error wrapping
	// ErrUnknownAccessKey when there is none. Any other error is an internal failure.
	ResolveAccessKey(ctx context.Context, accessKeyID string) (Credential, error)
}

// ErrUnknownAccessKey is what a CredentialResolver returns for an access key id it does not know.
var ErrUnknownAccessKey = errors.New("awsapi: unknown access key id")

// CredentialResolverFunc adapts a function to a CredentialResolver.
type CredentialResolverFunc func(ctx context.Context, accessKeyID string) (Credential, error)

// ResolveAccessKey calls f.
func (f CredentialResolverFunc) ResolveAccessKey(ctx context.Context, id string) (Credential, error) {
	return f(ctx, id)
}

// authError turns a signature or body failure into svc's own error: S3's SignatureDoesNotMatch,
// KMS's InvalidSignatureException, STS's SignatureDoesNotMatch with "Signature expired: …", and
// so on, with the status AWS sends.
func authError(svc *wire.Service, e *sigv4.Error, presigned bool) *wire.Error {
	isJSON, s3 := svc.Protocol == wire.JSON, svc.Protocol == wire.RESTXML
	pick := func(s3Status int, s3Code string, queryStatus int, queryCode string, jsonStatus int, jsonCode string, msg string) *wire.Error {
		switch {
		case s3:
			return wire.NewError(s3Status, s3Code, "%s", msg)
		case isJSON:
			return wire.NewError(jsonStatus, jsonCode, "%s", msg)
		}
		return wire.NewError(queryStatus, queryCode, "%s", msg)
	}
	const mismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	switch e.Kind {
	case sigv4.KindMalformed:
		if s3 {
			if presigned {
				return wire.NewError(400, "AuthorizationQueryParametersError", "%s", e.Message)
			}
			return wire.NewError(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; %s", e.Message)
		}
		return pick(0, "", 400, "IncompleteSignature", 400, "IncompleteSignatureException", e.Message)
	case sigv4.KindUnsupported:
		return pick(400, "InvalidRequest", 400, "IncompleteSignature", 400, "IncompleteSignatureException",
			"The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256: "+e.Message)
	case sigv4.KindSignatureMismatch:
		err := pick(403, "SignatureDoesNotMatch", 403, "SignatureDoesNotMatch", 400, "InvalidSignatureException", mismatch)
		if s3 && e.StringToSign != "" {
			err = err.With("StringToSign", e.StringToSign)
			if e.CanonicalRequest != "" {
				err = err.With("CanonicalRequest", e.CanonicalRequest)
			}
		}
		if e.CanonicalRequest == "" && e.StringToSign != "" { // a chunk or trailer signature
			err.Message = "The request signature we calculated does not match the signature you provided: " + e.Message
		}
		return err
	case sigv4.KindSkewed:
		if s3 {
			return wire.NewError(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.").
				With("RequestTime", e.RequestTime.Format(sigv4.TimeFormat)).
				With("ServerTime", e.ServerTime.Format(time.RFC3339)).
				With("MaxAllowedSkewMilliseconds", fmt.Sprint(sigv4.MaxSkew.Milliseconds()))
		}
		var msg string
		if e.RequestTime.Before(e.ServerTime) {
			msg = fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
				e.RequestTime.Format(sigv4.TimeFormat), e.ServerTime.Add(-sigv4.MaxSkew).Format(sigv4.TimeFormat), e.ServerTime.Format(sigv4.TimeFormat))
		} else {
			msg = fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
				e.RequestTime.Format(sigv4.TimeFormat), e.ServerTime.Add(sigv4.MaxSkew).Format(sigv4.TimeFormat), e.ServerTime.Format(sigv4.TimeFormat))
		}
		return pick(0, "", 403, "SignatureDoesNotMatch", 400, "InvalidSignatureException", msg)
	case sigv4.KindPresignExpired:
		if s3 {
			return wire.NewError(403, "AccessDenied", "Request has expired").
				With("X-Amz-Expires", fmt.Sprint(int64(e.Expires/time.Second))).
				With("Expires", e.RequestTime.Add(e.Expires).Format(time.RFC3339)).
				With("ServerTime", e.ServerTime.Format(time.RFC3339))
		}
		return pick(0, "", 403, "SignatureDoesNotMatch", 400, "InvalidSignatureException", "Signature expired: the presigned request has expired")
	case sigv4.KindPresignNotYetValid:
		return pick(403, "AccessDenied", 403, "SignatureDoesNotMatch", 400, "InvalidSignatureException", "Request is not valid yet")
	case sigv4.KindMissingContentSHA256:
		return wire.NewError(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
	case sigv4.KindInvalidContentSHA256:
		return pick(400, "InvalidArgument", 400, "IncompleteSignature", 400, "IncompleteSignatureException", e.Message)
	case sigv4.KindContentSHA256Mismatch:
		if s3 {
			return wire.NewError(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.").
				With("ClientComputedContentSHA256", e.Declared).With("S3ComputedContentSHA256", e.Computed)
		}
		return pick(0, "", 403, "SignatureDoesNotMatch", 400, "InvalidSignatureException", "the x-amz-content-sha256 header does not match the body's SHA-256")
	case sigv4.KindChecksumMismatch:
		return wire.NewError(400, "BadDigest", "%s", sentence(e.Message))
	case sigv4.KindInvalidChecksum:
		if e.Algorithm == "md5" {
			return wire.NewError(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
		}
		return wire.NewError(400, "InvalidRequest", "%s", sentence(e.Message))
	case sigv4.KindIncompleteBody:
		return wire.NewError(400, "IncompleteBody", "%s", sentence(e.Message))
	case sigv4.KindMissingDecodedLength:
		return wire.NewError(411, "MissingContentLength", "%s", sentence(e.Message))
	case sigv4.KindMalformedChunk:
		return wire.NewError(400, "InvalidRequest", "%s", sentence(e.Message))
	}
	return wire.Internal(svc)
}

// sentence capitalizes a message's first letter.
func sentence(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// Errors of authentication that sigv4 does not see (it knows no keys, services or regions).

func missingAuth(svc *wire.Service) *wire.Error {
	if svc.Protocol == wire.JSON {
		return wire.NewError(400, "MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	return wire.NewError(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
}

func unknownAccessKey(svc *wire.Service, id string) *wire.Error {
	switch svc.Protocol {
	case wire.RESTXML:
		return wire.NewError(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.").With("AWSAccessKeyId", id)
	case wire.JSON:
		return wire.NewError(400, "UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	return wire.NewError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
}

func invalidToken(svc *wire.Service) *wire.Error {
	switch svc.Protocol {
	case wire.RESTXML:
		return wire.NewError(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
	case wire.JSON:
		return wire.NewError(400, "UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	return wire.NewError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
}

func expiredToken(svc *wire.Service) *wire.Error {
	switch svc.Protocol {
	case wire.RESTXML:
		return wire.NewError(400, "ExpiredToken", "The provided token has expired.")
	case wire.JSON:
		return wire.NewError(400, "ExpiredTokenException", "The security token included in the request is expired")
	}
	return wire.NewError(403, "ExpiredToken", "The security token included in the request is expired")
}

func wrongRegion(svc *wire.Service, got, want string) *wire.Error {
	if svc.Protocol == wire.RESTXML {
		msg := fmt.Sprintf("The authorization header is malformed; the region '%s' is wrong; expecting '%s'", got, want)
		if want == "" {
			msg = fmt.Sprintf("The authorization header is malformed; the region '%s' is not a valid region", got)
		}
		e := wire.NewError(400, "AuthorizationHeaderMalformed", "%s", msg)
		if want != "" {
			e = e.With("Region", want)
		}
		return e
	}
	msg := fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", got)
	if want != "" {
		msg = fmt.Sprintf("Credential should be scoped to a valid region, not '%s'; expecting '%s'. ", got, want)
	}
	if svc.Protocol == wire.JSON {
		return wire.NewError(400, "InvalidSignatureException", "%s", msg)
	}
	return wire.NewError(403, "SignatureDoesNotMatch", "%s", msg)
}

func wrongService(svc *wire.Service, got string) *wire.Error {
	switch svc.Protocol {
	case wire.RESTXML:
		return wire.NewError(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; incorrect service '%s'. This endpoint belongs to 's3'.", got)
	case wire.JSON:
		return wire.NewError(400, "InvalidSignatureException", "Credential should be scoped to correct service: '%s'. ", svc.Name)
	}
	return wire.NewError(403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: '%s'. ", svc.Name)
}

// checkToken compares the session token a request carries with its credential's.
func checkToken(svc *wire.Service, cred Credential, token string, now time.Time) *wire.Error {
	switch {
	case cred.SessionToken == "" && token != "":
		return invalidToken(svc)
	case cred.SessionToken != "" && subtle.ConstantTimeCompare([]byte(cred.SessionToken), []byte(token)) != 1:
		return invalidToken(svc)
	case !cred.Expires.IsZero() && !now.Before(cred.Expires):
		return expiredToken(svc)
	}
	return nil
}

// missingContentLength is S3's answer to an upload of unknown length.
func missingContentLength() *wire.Error {
	return wire.NewError(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header.")
}
