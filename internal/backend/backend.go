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
	"strings"
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
	// PutBucketTagging replaces the bucket's tags (none deletes them).
	PutBucketTagging(ctx context.Context, name string, tags map[string]string) (*Bucket, error)
	// ListBuckets lists the buckets the acting account owns, in every region, by name.
	ListBuckets(ctx context.Context) ([]*Bucket, error)
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
	// WriteObject is PutObject with what S3 keeps beside the body: metadata, tags, the
	// request's SSE-KMS key and the body's checksums (see PutObjectInput). It returns the
	// version written.
	WriteObject(ctx context.Context, in PutObjectInput) (ObjectInfo, error)
	// OpenObject authorizes a read of a version as GetObject does and returns its body for
	// reading at any offset (ranged reads); the caller closes it.
	OpenObject(ctx context.Context, principal, bucket, key, versionID string) (ObjectBody, ObjectInfo, error)
	// HeadObject describes a version without reading it: it needs s3:GetObject (or
	// s3:GetObjectVersion) but no kms:Decrypt, as in S3. A delete marker is returned with
	// ErrNotFound.
	HeadObject(ctx context.Context, principal, bucket, key, versionID string) (ObjectInfo, error)
	MultipartUploads
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
	// ListKeys lists the keys of the acting account and region (AWS-managed ones included),
	// by key id.
	ListKeys(ctx context.Context) ([]*Key, error)
	// UpdateKeyDescription, SetKeyRotation, TagKey and UntagKey change one setting of a
	// customer-managed key and leave the others as they are (KMS's operations of those names).
	UpdateKeyDescription(ctx context.Context, keyID, description string) (*Key, error)
	SetKeyRotation(ctx context.Context, keyID string, enabled bool) (*Key, error)
	TagKey(ctx context.Context, keyID string, tags map[string]string) (*Key, error)
	UntagKey(ctx context.Context, keyID string, tagKeys []string) (*Key, error)
	KeyAliases
	KeyCrypto
}

// KeyAliases are the aliases of KMS keys: names of the acting account and region, each
// pointing at one key; a key may have several.
type KeyAliases interface {
	// CreateAlias fails with ErrAlreadyExists when the name is taken in the account and region.
	CreateAlias(ctx context.Context, alias, keyID string) error
	// UpdateAlias points an existing alias at another key of the same account and region.
	UpdateAlias(ctx context.Context, alias, keyID string) error
	DeleteAlias(ctx context.Context, alias string) error
	// ListAliases lists the aliases of the acting account and region, by name.
	ListAliases(ctx context.Context) ([]Alias, error)
}

// KeyCrypto is KMS's own use of a key, acting as principal (a role ARN, an account root ARN,
// an STS session ARN, or "" for the acting account's root): the key policy and the
// principal's identity policies are evaluated as KMS evaluates them. A ciphertext carries the
// key it was made with, and opens only with the same encryption context.
type KeyCrypto interface {
	Encrypt(ctx context.Context, principal, keyID string, plaintext []byte, encryptionContext map[string]string) (ciphertext []byte, keyARN string, err error)
	// Decrypt opens a ciphertext of Encrypt or GenerateDataKey; keyID, when set, must name
	// the key the ciphertext was made with.
	Decrypt(ctx context.Context, principal string, ciphertext []byte, keyID string, encryptionContext map[string]string) (plaintext []byte, keyARN string, err error)
	// GenerateDataKey returns a new random data key of size bytes, and the same sealed with
	// the KMS key.
	GenerateDataKey(ctx context.Context, principal, keyID string, size int, encryptionContext map[string]string) (plaintext, ciphertext []byte, keyARN string, err error)
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
	// DeleteRolePolicy deletes one inline policy of a role of the acting account.
	DeleteRolePolicy(ctx context.Context, roleName, policyName string) error
	// TagRole adds or replaces tags of a role, UntagRole removes the named ones.
	TagRole(ctx context.Context, roleName string, tags map[string]string) error
	UntagRole(ctx context.Context, roleName string, tagKeys []string) error
	// DeleteRole deletes a role with its inline policies and attachments.
	DeleteRole(ctx context.Context, name string) error
	ManagedPolicies
}

// ManagedPolicies are IAM's customer-managed policies: documents of an account that roles of
// that account attach. An attached policy counts among the role's identity policies.
type ManagedPolicies interface {
	// CreatePolicy creates a policy in the acting account; names are unique per account.
	CreatePolicy(ctx context.Context, p ManagedPolicy) (*ManagedPolicy, error)
	// GetPolicy finds a policy by ARN.
	GetPolicy(ctx context.Context, policyARN string) (*ManagedPolicy, error)
	// DeletePolicy deletes a policy of the acting account; an attached one is refused with
	// ErrConflict.
	DeletePolicy(ctx context.Context, policyARN string) error
	// AttachRolePolicy and DetachRolePolicy attach a policy of the role's account to a role
	// of the acting account, or detach it.
	AttachRolePolicy(ctx context.Context, roleName, policyARN string) error
	DetachRolePolicy(ctx context.Context, roleName, policyARN string) error
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
	// SetPipelineTags replaces a pipeline's tags without making a new version (CodePipeline's
	// TagResource and UntagResource).
	SetPipelineTags(ctx context.Context, name string, tags map[string]string) (*PipelineRecord, error)
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
	// VersioningSuspended is set once versioning, enabled before, was turned off (S3's
	// "Suspended"); false with Versioning false means it was never enabled.
	VersioningSuspended bool
	Tags                map[string]string
	Created             time.Time
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
	// ETag is S3's entity tag, unquoted: the MD5 of the body for one PUT, the MD5 of the
	// parts' MD5s and their count ("…-3") for a multipart upload, or an opaque value for a
	// version whose MD5 nobody computed (the executor's artifacts).
	ETag string
	// Parts is the number of parts of a version made by a multipart upload (0 otherwise).
	Parts int
	// Checksums are the body's checksums that were stored with it (see PutObjectInput.Digests):
	// algorithm ("crc32", "crc32c", "crc64nvme", "sha1", "sha256") → base64, with "-N" for the
	// checksum of a multipart upload's part checksums.
	Checksums map[string]string
	Meta      ObjectMeta
	Tags      map[string]string
}

// NullVersion is the version id of an object written while versioning is off, as in S3.
const NullVersion = "null"

// KeySpec is what a caller sets on a key.
type KeySpec struct {
	Description     string
	Alias           string // "alias/name" or ""
	Policy          string
	RotationEnabled bool
	// Tags are set at creation; TagKey and UntagKey change them afterwards.
	Tags map[string]string
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
	Tags            map[string]string
	Created         time.Time
}

// Alias is a KMS alias.
type Alias struct {
	Name        string // "alias/x"
	ARN         string
	TargetKeyID string
	Created     time.Time
}

// Role is an IAM role.
type Role struct {
	Name        string
	ARN         string
	AccountID   string
	TrustPolicy string
	// Policies are the role's inline identity policies by name.
	Policies map[string]string
	// ID is IAM's unique id of the role ("AROA…"): a role deleted and created again under
	// the same name has a new one. Set by the backend.
	ID string
	// Path ("" = "/"), Description and MaxSessionDuration (seconds, 0 = 3600) are set at
	// creation.
	Path               string
	Description        string
	MaxSessionDuration int
	// Tags are set at creation; TagRole and UntagRole change them afterwards.
	Tags map[string]string
	// ManagedPolicies are the ARNs of the managed policies attached to the role, sorted.
	ManagedPolicies []string
	Created         time.Time
}

// ManagedPolicy is an IAM customer-managed policy. Its one version is "v1".
type ManagedPolicy struct {
	Name            string
	ARN             string
	ID              string // "ANPA…", set by the backend
	AccountID       string
	Path            string // "" = "/"
	Description     string
	Document        string
	AttachmentCount int
	Tags            map[string]string
	Created         time.Time
	Updated         time.Time
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
	// RepositoriesDir and FunctionsDir are where the configuration that last created or
	// updated the pipeline keeps local git sources and Invoke handlers (its repositories_dir
	// and functions_dir; "" = the backend's default): kept with the pipeline so that any
	// process runs it alike — a CLI, the daemon, another configuration. A process that sets
	// its own directories uses those instead. Backends without local sources leave them "".
	RepositoriesDir string
	FunctionsDir    string
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
	// ErrInvalidCiphertext is a KMS ciphertext that does not open: altered, made by another
	// cloud, or given with another encryption context.
	ErrInvalidCiphertext = errors.New("the ciphertext does not open (InvalidCiphertextException)")
	// ErrIncorrectKey is a KMS ciphertext given with a key id that is not the key it was made with.
	ErrIncorrectKey = errors.New("the ciphertext was made with another key (IncorrectKeyException)")
)

// NotFoundError says which kind of thing was missing: the error is a *NotFound.
func NotFoundError(kind, name string) error { return &NotFound{Kind: kind, Name: name} }

// NotFound is a missing thing. Kind is one of the Kind… constants (or another word naming it),
// so that a caller answering in AWS's terms tells a missing bucket from a missing key.
type NotFound struct {
	Kind, Name string
}

// Kinds of missing things.
const (
	KindBucket    = "bucket"
	KindObject    = "object"
	KindUpload    = "upload"
	KindKey       = "KMS key"
	KindAlias     = "KMS alias"
	KindRole      = "role"
	KindPolicy    = "policy"
	KindPipeline  = "pipeline"
	KindExecution = "pipeline execution"
	KindStage     = "stage"
	KindAction    = "action"
	KindWebhook   = "webhook"
	KindParameter = "parameter"
	KindSecret    = "secret"
	// KindSecretVersion is a secret that exists without the version or stage asked for.
	KindSecretVersion = "secret version"
)

func (e *NotFound) Error() string { return fmt.Sprintf("%s %q: %s", e.Kind, e.Name, ErrNotFound) }

// Unwrap makes errors.Is(err, ErrNotFound) hold.
func (e *NotFound) Unwrap() error { return ErrNotFound }

// ErrKeyState is wrapped (besides ErrInvalid) when a KMS key's state forbids an operation:
// encrypting with a key pending deletion, decrypting after its deletion date.
var ErrKeyState = errors.New("KMS key state does not allow this operation (KMSInvalidStateException)")

// AccessDeniedError is a request the policies refuse. Reason is policy.Authorize's sentence
// ("AccessDenied: P is not allowed A on R: why"): it names the side (identity policy, bucket
// policy, key policy, trust policy) whose statement is missing or denies.
type AccessDeniedError struct {
	Principal, Action, Resource string
	Reason                      string
}

func (e *AccessDeniedError) Error() string { return e.Reason }

// Unwrap makes errors.Is(err, ErrAccessDenied) hold.
func (e *AccessDeniedError) Unwrap() error { return ErrAccessDenied }

// Why is the reason without its "AccessDenied: P is not allowed A on R: " head.
func (e *AccessDeniedError) Why() string {
	head := "AccessDenied: " + e.Principal + " is not allowed " + e.Action + " on " + e.Resource + ": "
	if w, ok := strings.CutPrefix(e.Reason, head); ok {
		return w
	}
	return strings.TrimPrefix(e.Reason, "AccessDenied: ")
}
