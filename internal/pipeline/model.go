// Package pipeline is the domain of the provider: pipelines, their stages, actions and
// artifacts, the artifact stores, keys and roles they depend on, and the rules catalogue that
// validates them. It imports neither Terraform nor AWS packages, so the provider, the policy
// checker and the backends all call one engine.
package pipeline

import "strings"

// Unknown stands for a string whose value is not known yet (a Terraform value "known after
// apply"). Rules skip what they cannot decide; the apply-time preflight runs them again once
// the value is known.
const Unknown = "\x00unknown\x00"

// IsKnown reports whether s is a known value.
func IsKnown(s string) bool { return s != Unknown }

// Pipeline types and execution modes, as CodePipeline names them.
const (
	PipelineTypeV1 = "V1"
	PipelineTypeV2 = "V2"

	ExecutionModeSuperseded = "SUPERSEDED"
	ExecutionModeQueued     = "QUEUED"
	ExecutionModeParallel   = "PARALLEL"
)

// PipelineTypes and ExecutionModes are the accepted values, in the order the docs list them.
var (
	PipelineTypes  = []string{PipelineTypeV1, PipelineTypeV2}
	ExecutionModes = []string{ExecutionModeSuperseded, ExecutionModeQueued, ExecutionModeParallel}
)

// Pipeline is a pipeline definition as the user wrote it.
type Pipeline struct {
	Name           string
	RoleARN        string
	PipelineType   string // "" means the default, V2
	ExecutionMode  string // "" means the default, SUPERSEDED
	ArtifactStores []ArtifactStoreRef
	Stages         []Stage
	Triggers       []Trigger
	Variables      []Variable
	Tags           map[string]string
	// Incomplete names the parts whose blocks are not all known before apply (a dynamic block
	// over a collection known only then). Such a part lists only the blocks that are certain,
	// and the rules that need it whole skip the pipeline (Rule.Needs).
	Incomplete Parts
}

// Parts names parts of a pipeline definition.
type Parts uint8

const (
	PartStages         Parts = 1 << iota // the stage list, or the action list of a stage
	PartArtifactStores                   // the artifact_store blocks
	PartTriggers                         // the trigger blocks
	PartVariables                        // the variable blocks
)

// Type returns the pipeline type with its default applied.
func (p *Pipeline) Type() string {
	if p.PipelineType == "" {
		return PipelineTypeV2
	}
	return p.PipelineType
}

// Mode returns the execution mode with its default applied.
func (p *Pipeline) Mode() string {
	if p.ExecutionMode == "" {
		return ExecutionModeSuperseded
	}
	return p.ExecutionMode
}

// Artifact store and encryption key types, as CodePipeline names them; the lists drive the
// schema validators and their docs.
const (
	ArtifactStoreTypeS3  = "S3"
	EncryptionKeyTypeKMS = "KMS"
)

var (
	ArtifactStoreTypes = []string{ArtifactStoreTypeS3}
	EncryptionKeyTypes = []string{EncryptionKeyTypeKMS}
)

// ArtifactStoreRef is a pipeline's `artifact_store` block: where its artifacts go in one region.
type ArtifactStoreRef struct {
	Location      string // the bucket name
	Type          string // "S3"
	Region        string // "" for a single-region pipeline
	EncryptionKey *EncryptionKey
}

// EncryptionKey is the key an artifact store block encrypts with. Nil means the AWS-managed
// `aws/s3` key of the pipeline's account.
type EncryptionKey struct {
	ID   string // a key ARN, key id, alias name or alias ARN
	Type string // "KMS"
}

// Stage is one stage of a pipeline, with its conditions (conditions.go): what is checked before
// a run enters it, and after it succeeds or fails.
type Stage struct {
	Name    string
	Actions []Action
	// BeforeEntry and OnSuccess are the stage's `before_entry { condition }` and
	// `on_success { condition }`; nil when the stage has none.
	BeforeEntry *Condition
	OnSuccess   *Condition
	// OnFailure is the stage's `on_failure` block, nil when it has none.
	OnFailure *FailureConditions
}

// Action is one action of a stage.
type Action struct {
	Name     string
	Category string
	Owner    string
	Provider string
	Version  string
	RunOrder int // 0 means unset (default 1) unless RunOrderSet; UnknownInt when not known yet
	// RunOrderSet is true when run_order is written explicitly. It tells an explicit 0, which
	// CodePipeline rejects, from an absent run_order, which defaults to 1.
	RunOrderSet      bool
	Configuration    map[string]string
	InputArtifacts   []string
	OutputArtifacts  []string
	RoleARN          string
	Region           string
	Namespace        string
	TimeoutInMinutes int // 0 means unset
	// Commands are the shell commands of a Commands action (the API's `commands`), and
	// OutputVariables the names of the environment variables it exports (`outputVariables`).
	Commands        []string
	OutputVariables []string
	// UnknownAttrs names the attributes whose whole value is unknown (for example
	// "configuration" or "input_artifacts"), so that rules that count or look up keys skip them.
	UnknownAttrs []string
}

// UnknownInt stands for an integer that is not known yet.
const UnknownInt = -1 << 31

// Order returns the action's run order with its default applied. An explicit 0 also orders as
// 1: it is reported by the run-order rule, and nothing runs it.
func (a *Action) Order() int {
	if a.RunOrder == 0 {
		return 1
	}
	return a.RunOrder
}

// IsUnknown reports whether the whole value of attribute attr is unknown.
func (a *Action) IsUnknown(attr string) bool {
	for _, u := range a.UnknownAttrs {
		if u == attr {
			return true
		}
	}
	return false
}

// Type returns the action's type as CodePipeline writes it: Category/Owner/Provider.
func (a *Action) Type() ActionTypeID {
	return ActionTypeID{Category: a.Category, Owner: a.Owner, Provider: a.Provider}
}

// Variable is a pipeline-level variable (V2).
type Variable struct {
	Name         string
	DefaultValue string
	Description  string
}

// Trigger is a V2 pipeline trigger.
type Trigger struct {
	ProviderType     string // "CodeStarSourceConnection"
	SourceActionName string
	Push             []GitFilter // 0–3
	PullRequest      []GitFilter // 0–3
}

// GitFilter is one push or pull_request filter of a git trigger.
type GitFilter struct {
	Branches  *GlobFilter
	Tags      *GlobFilter
	FilePaths *GlobFilter
	Events    []string // pull_request only: OPEN, UPDATED, CLOSED
}

// GlobFilter is an includes/excludes pair of glob patterns.
type GlobFilter struct {
	Includes []string
	Excludes []string
}

// ArtifactStore is a dedicated artifact bucket: the `codepipeline_artifact_store` resource,
// and the facts the backend knows about a bucket a pipeline names.
type ArtifactStore struct {
	Bucket            string
	AccountID         string
	Region            string
	Versioning        bool
	EncryptionKeyARN  string // "" = the account's AWS-managed aws/s3 key
	CrossAccountRoles []string
	Policy            string // the bucket policy document (JSON), "" when none
}

// Key is a KMS key: the `codepipeline_cross_account_key` resource, and the facts the backend
// knows about a key a pipeline names.
type Key struct {
	ARN             string
	AccountID       string
	CustomerManaged bool
	RotationEnabled bool
	GranteeRoles    []string
	Policy          string // the key policy document (JSON)
}

// Role is an IAM role: the `codepipeline_cross_account_role` resource, and the facts the backend
// knows about a role an action names.
type Role struct {
	ARN              string
	AccountID        string
	IdentityPolicies []string // policy documents (JSON) attached to the role
	TrustPolicy      string
}

// Webhook is a `codepipeline_webhook`.
type Webhook struct {
	Name           string
	Authentication string // GITHUB_HMAC, IP, UNAUTHENTICATED
	SecretToken    string
	AllowedIPRange string
	Filters        []WebhookFilter
	TargetPipeline string
	TargetAction   string
}

// WebhookFilter is one `filter { json_path, match_equals }` of a webhook.
type WebhookFilter struct {
	JSONPath    string
	MatchEquals string
}

// Webhook authentication types.
const (
	WebhookAuthGitHubHMAC      = "GITHUB_HMAC"
	WebhookAuthIP              = "IP"
	WebhookAuthUnauthenticated = "UNAUTHENTICATED"
)

// WebhookAuthentications lists the accepted authentication types.
var WebhookAuthentications = []string{WebhookAuthGitHubHMAC, WebhookAuthIP, WebhookAuthUnauthenticated}

// Facts is what the backend knows about the things a pipeline refers to. A nil map or a
// missing entry means "not known": rules that need the fact skip it rather than guess.
type Facts struct {
	// AccountID is the pipeline's account: the account the provider configuration acts as.
	// When empty, the account of the pipeline's role_arn is used.
	AccountID string
	Region    string
	Stores    map[string]*ArtifactStore // by bucket name
	Keys      map[string]*Key           // by key ARN
	Roles     map[string]*Role          // by role ARN
}

// AccountOfARN returns the account id field of an ARN ("arn:aws:iam::123456789012:role/x" →
// "123456789012"), or "" when s is not an ARN with an account.
func AccountOfARN(s string) string {
	if !IsKnown(s) || !strings.HasPrefix(s, "arn:") {
		return ""
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
