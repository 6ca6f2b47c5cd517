// Package backend is the one door to a backend. Callers — the provider, detached runs, the
// CLI, the trigger daemon, scripts — see capabilities (the interfaces below) and open a
// backend with Open; they never name a concrete backend. Each kind (internal/backend/local,
// later internal/backend/aws) registers an Opener, and only the wiring package
// internal/backend/backends imports the kinds. internal/backend/backendtest is the contract
// every kind passes.
//
// Every Backend offers stores, objects, keys, roles, pipelines and facts. Runs, webhooks and
// the trigger daemon's partition-wide view are optional: RunsOf, WebhooksOf and TriggersOf
// return them, or an UnsupportedError naming the backend and the capability.
package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Backend is one backend acting as one account in one region (the provider configuration's):
// what every kind offers. Every method acts as that account.
type Backend interface {
	// Identity is the account and region this backend value acts as.
	Identity() Identity
	Stores
	Objects
	Keys
	Roles
	Pipelines
	FactSource
	// Close releases this value; what it shares with other values (an open state directory)
	// is released with the last of them.
	io.Closer
}

// Stores are artifact buckets.
type Stores interface {
	// CreateBucket fails with ErrAlreadyExists when any account has a bucket of that name.
	CreateBucket(ctx context.Context, b Bucket) (*Bucket, error)
	GetBucket(ctx context.Context, name string) (*Bucket, error)
	// UpdateBucket sets versioning, encryption key and policy as b has them.
	UpdateBucket(ctx context.Context, b Bucket) (*Bucket, error)
	// PutBucketPolicy, PutBucketVersioning and PutBucketEncryption change one setting and
	// leave the others as they are (S3's operations of the same names).
	PutBucketPolicy(ctx context.Context, name, doc string) (*Bucket, error)
	PutBucketVersioning(ctx context.Context, name string, enabled bool) (*Bucket, error)
	PutBucketEncryption(ctx context.Context, name, keyARN string) (*Bucket, error)
	// DeleteBucket fails with ErrBucketNotEmpty when the bucket holds objects, unless force.
	DeleteBucket(ctx context.Context, name string, force bool) error
}

// Objects are the objects of buckets. Each call acts as principal: a role ARN, an account
// root ARN, or "" for the acting account's root; the bucket, key and identity policies are
// evaluated as AWS evaluates them.
type Objects interface {
	// PutObject stores body as a new version (versioning on) or as the "null" version
	// (versioning off), encrypted with the bucket's key; it returns the version id.
	PutObject(ctx context.Context, principal, bucket, key string, body io.Reader) (string, error)
	// GetObject reads a version ("" = the latest).
	GetObject(ctx context.Context, principal, bucket, key, versionID string) ([]byte, ObjectInfo, error)
	// ListObjectVersions lists versions and delete markers under prefix, by key, newest first.
	ListObjectVersions(ctx context.Context, principal, bucket, prefix string) ([]ObjectInfo, error)
	// ListObjects lists the current versions under prefix.
	ListObjects(ctx context.Context, principal, bucket, prefix string) ([]ObjectInfo, error)
	// DeleteObject deletes a version, or with versionID "" adds a delete marker (versioning
	// on) or removes the null version (off).
	DeleteObject(ctx context.Context, principal, bucket, key, versionID string) (ObjectInfo, error)
}

// Keys are KMS keys.
type Keys interface {
	CreateKey(ctx context.Context, spec KeySpec) (*Key, error)
	// GetKey finds a key by key id, key ARN, alias name ("alias/x") or alias ARN.
	GetKey(ctx context.Context, id string) (*Key, error)
	UpdateKey(ctx context.Context, keyID string, spec KeySpec) (*Key, error)
	PutKeyPolicy(ctx context.Context, keyID, policy string) (*Key, error)
	// ScheduleKeyDeletion puts the key in PendingDeletion for windowDays (7–30);
	// CancelKeyDeletion takes it back.
	ScheduleKeyDeletion(ctx context.Context, keyID string, windowDays int) (*Key, error)
	CancelKeyDeletion(ctx context.Context, keyID string) (*Key, error)
	// RotateKey makes new key material current; older material still decrypts.
	RotateKey(ctx context.Context, keyID string) (*Key, error)
}

// Roles are IAM roles.
type Roles interface {
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
}

// Pipelines are pipeline definitions.
type Pipelines interface {
	// CreatePipeline stores p at version 1; names are unique per account and region.
	CreatePipeline(ctx context.Context, p *pipeline.Pipeline) (*PipelineRecord, error)
	GetPipeline(ctx context.Context, name string) (*PipelineRecord, error)
	// ListPipelines lists the pipelines of this account and region, by name.
	ListPipelines(ctx context.Context) ([]*PipelineRecord, error)
	// UpdatePipeline stores a new definition and increments the version.
	UpdatePipeline(ctx context.Context, p *pipeline.Pipeline) (*PipelineRecord, error)
	DeletePipeline(ctx context.Context, name string) error
}

// FactSource gathers what the rules need to know about the things a pipeline names.
type FactSource interface {
	// Facts gathers what the backend knows about the stores, keys and roles p refers to, for
	// the rules that need them. Unknown or unreadable things are left out, never guessed.
	Facts(ctx context.Context, p *pipeline.Pipeline) (pipeline.Facts, error)
}

// Identity is who a backend acts as.
type Identity struct {
	Kind      string
	AccountID string
	Region    string
}

// Partition is the partition of the identity's region: the partition of every ARN it builds.
func (id Identity) Partition() arn.Partition { return arn.PartitionOf(id.Region) }

// Bucket is an artifact bucket.
type Bucket struct {
	Name             string
	ARN              string // arn:PARTITION:s3:::NAME
	AccountID        string
	Region           string
	Versioning       bool
	EncryptionKeyARN string // "" = the account's AWS-managed aws/s3 key
	Policy           string // bucket policy JSON, "" for none
}

// ObjectInfo describes one object version or delete marker.
type ObjectInfo struct {
	Bucket, Key, VersionID string
	IsLatest               bool
	DeleteMarker           bool
	Size                   int64
	ChecksumSHA256         string // hex SHA-256 of the plaintext body
	KMSKeyARN              string // the key the body's data key is sealed with
	LastModified           time.Time
}

// NullVersion is the version id of an object written while versioning is off, as in S3.
const NullVersion = "null"

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
	ErrUnsupported    = errors.New("not supported by this backend")
)

// NotFoundError says which kind of thing was missing.
func NotFoundError(kind, name string) error { return fmt.Errorf("%s %q: %w", kind, name, ErrNotFound) }
