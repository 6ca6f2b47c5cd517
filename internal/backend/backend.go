package backend

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Backend is what the provider calls: stores, keys, roles and pipelines of one account and
// region (the provider configuration's). Implementations: internal/backend/local (the embedded
// cloud) and, later, internal/backend/aws. Every method acts as the configured account.
type Backend interface {
	// Identity is the account and region this backend value acts as.
	Identity() Identity

	CreateBucket(ctx context.Context, b Bucket) (*Bucket, error)
	GetBucket(ctx context.Context, name string) (*Bucket, error)
	UpdateBucket(ctx context.Context, b Bucket) (*Bucket, error)
	// DeleteBucket fails with ErrBucketNotEmpty when the bucket holds objects, unless force.
	DeleteBucket(ctx context.Context, name string, force bool) error

	CreateKey(ctx context.Context, spec KeySpec) (*Key, error)
	// GetKey finds a key by key id, key ARN, alias name ("alias/x") or alias ARN.
	GetKey(ctx context.Context, id string) (*Key, error)
	UpdateKey(ctx context.Context, keyID string, spec KeySpec) (*Key, error)
	// ScheduleKeyDeletion puts the key in PendingDeletion for windowDays (7–30).
	ScheduleKeyDeletion(ctx context.Context, keyID string, windowDays int) (*Key, error)

	CreateRole(ctx context.Context, r Role) (*Role, error)
	// GetRole finds a role by name (in this account) or by ARN (in any account the backend can see).
	GetRole(ctx context.Context, nameOrARN string) (*Role, error)
	UpdateRole(ctx context.Context, r Role) (*Role, error)
	// UpdateAssumeRolePolicy replaces a role's trust policy, and PutRolePolicy adds or replaces
	// one of its inline policies; both leave the role's other policies as they are (IAM's
	// operations of the same names).
	UpdateAssumeRolePolicy(ctx context.Context, roleName, trustPolicy string) error
	PutRolePolicy(ctx context.Context, roleName, policyName, doc string) error
	DeleteRole(ctx context.Context, name string) error

	CreatePipeline(ctx context.Context, p *pipeline.Pipeline) (*PipelineRecord, error)
	GetPipeline(ctx context.Context, name string) (*PipelineRecord, error)
	// UpdatePipeline stores a new definition and increments the version.
	UpdatePipeline(ctx context.Context, p *pipeline.Pipeline) (*PipelineRecord, error)
	DeletePipeline(ctx context.Context, name string) error

	// Facts gathers what the backend knows about the stores, keys and roles p refers to, for
	// the rules that need them. Unknown or unreadable things are left out, never guessed.
	Facts(ctx context.Context, p *pipeline.Pipeline) (pipeline.Facts, error)

	Close() error
}

// Identity is who a backend acts as.
type Identity struct {
	Kind      string
	AccountID string
	Region    string
}

// Bucket is an artifact bucket.
type Bucket struct {
	Name             string
	ARN              string // arn:aws:s3:::NAME
	AccountID        string
	Region           string
	Versioning       bool
	EncryptionKeyARN string // "" = the account's AWS-managed aws/s3 key
	Policy           string // bucket policy JSON, "" for none
}

// KeySpec is what a caller sets on a key.
type KeySpec struct {
	Description     string
	Alias           string // "alias/name" or ""
	Policy          string
	RotationEnabled bool
}

// Key states.
const (
	KeyStateEnabled         = "Enabled"
	KeyStatePendingDeletion = "PendingDeletion"
)

// Key is a KMS key.
type Key struct {
	KeyID           string
	ARN             string
	AccountID       string
	Region          string
	Description     string
	Aliases         []string // alias names, "alias/x"
	CustomerManaged bool
	RotationEnabled bool
	Policy          string
	State           string
	DeletionDate    time.Time // zero unless PendingDeletion
}

// Role is an IAM role.
type Role struct {
	Name        string
	ARN         string
	AccountID   string
	TrustPolicy string
	// Policies are the role's inline identity policies by name.
	Policies map[string]string
}

// PipelineRecord is a stored pipeline definition.
type PipelineRecord struct {
	Name       string
	ARN        string
	AccountID  string
	Region     string
	Version    int
	Definition *pipeline.Pipeline
	Created    time.Time
	Updated    time.Time
}

// Errors backends return; test with errors.Is.
var (
	ErrNotFound       = errors.New("not found")
	ErrAlreadyExists  = errors.New("already exists")
	ErrBucketNotEmpty = errors.New("bucket not empty")
	ErrAccessDenied   = errors.New("access denied")
	ErrConflict       = errors.New("conflicting concurrent change")
	ErrInvalid        = errors.New("invalid request")
)

// NotFoundError says which kind of thing was missing.
func NotFoundError(kind, name string) error { return fmt.Errorf("%s %q: %w", kind, name, ErrNotFound) }
