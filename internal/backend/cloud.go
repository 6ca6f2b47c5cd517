package backend

import (
	"context"
	"time"
)

// Cloud is a backend that is a cloud of its own: it acts in any account and region of its
// partition, keeps the access keys and role sessions of its accounts, and decides every
// request with the policies it holds. internal/awsapi serves one over the AWS wire
// (`codepipeline serve -aws-listen`). The local backend is one; on AWS, AWS itself is.
type Cloud interface {
	// As is the value acting as accountID in region of the same partition, with this value's
	// repositories and functions directories. The caller closes it.
	As(accountID, region string) CloudAccount
	// AccountKey returns the long-term access key of accountID's root, creating it when create
	// is set and there is none yet (ErrNotFound otherwise). The secret is kept sealed.
	AccountKey(ctx context.Context, accountID string, create bool) (*AccessKey, error)
	// LookupAccessKey returns the access key (long-term or of a role session) with that id,
	// with its secret, or ErrNotFound. An expired session's key is returned as it is: its
	// Expires says so.
	LookupAccessKey(ctx context.Context, id string) (*AccessKey, error)
	// AssumeRole evaluates req.RoleARN's trust policy (and, for a caller of another account,
	// the caller's identity policies) for sts:AssumeRole, and returns temporary credentials
	// acting as a session of the role; a refusal is an *AccessDeniedError.
	AssumeRole(ctx context.Context, req AssumeRoleRequest) (*AccessKey, error)
	// Authorize decides req with the principal's identity policies and the resource's policy
	// (a bucket's for an S3 bucket or object ARN, a key's for a KMS key ARN), as AWS does; a
	// refusal is an *AccessDeniedError.
	Authorize(ctx context.Context, req AccessRequest) error
	// AnnounceEndpoint records that an AWS endpoint serves this cloud (`serve -aws-listen`) until
	// ttl from now; the endpoint calls it again before then to stay announced, and with ttl 0
	// when it stops. While one is announced, the actions any process runs get credentials of
	// their role's session and AWS_ENDPOINT_URL, so that `aws` in a build reaches it as the role.
	AnnounceEndpoint(ctx context.Context, e EndpointAnnouncement, ttl time.Duration) error
}

// EndpointAnnouncement is how actions reach an AWS endpoint serving the cloud.
type EndpointAnnouncement struct {
	URL string `json:"url"`
	// CABundle is the PEM file of the CA that signed an https endpoint's certificate.
	CABundle string `json:"caBundle,omitempty"`
}

// CloudAccount is an account and region of a Cloud.
type CloudAccount interface {
	Backend
	Runner
}

// AccessKey is an access key and what it acts as.
type AccessKey struct {
	ID     string
	Secret string
	// SessionToken and Expires are set for a role session's temporary credentials.
	SessionToken string
	Expires      time.Time
	AccountID    string
	// Principal is the ARN requests signed with the key act as: the account root
	// (arn:PARTITION:iam::ACCOUNT:root) or the role session
	// (arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION).
	Principal string
	// RoleARN, RoleID and SessionName describe a role session.
	RoleARN, RoleID, SessionName string
	Created                      time.Time
}

// AssumeRoleRequest is an sts:AssumeRole call.
type AssumeRoleRequest struct {
	// Principal is the caller: an account root ARN or a role session ARN.
	Principal   string
	RoleARN     string
	SessionName string
	ExternalID  string
	// Duration is the session's lifetime (0 = one hour); at most the role's
	// MaxSessionDuration, at least 15 minutes.
	Duration time.Duration
}

// AccessRequest is one request to authorize.
type AccessRequest struct {
	// Principal is an account root ARN, a role session ARN, a role ARN, or AnonymousPrincipal.
	Principal string
	Action    string // e.g. "kms:CreateKey"
	// Resource is the ARN acted on ("*" for an action on no resource, such as s3:ListAllMyBuckets).
	Resource string
	// Context holds condition keys of the request (aws:SecureTransport, …).
	Context map[string]string
}
