// Package codepipelinejson is CodePipeline's own JSON for pipeline definitions: the shapes of
// the CodePipeline API (botocore's codepipeline 2015-07-09 service-2.json), with their JSON
// field names, and their conversion to and from the domain model of internal/pipeline.
//
// It is the one definition of that JSON: the local backend stores pipeline definitions in it,
// and the AWS-wire endpoint and the AWS backend speak it. It imports neither Terraform nor
// AWS. A field the API has and the domain does not hold yet (stage blockers, an output
// artifact's files, an action's environment variables) is declared here so that a document
// carrying it decodes, and the conversion to the domain refuses it by path instead of
// dropping it.
package codepipelinejson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// PipelineDeclaration is a pipeline definition: the "pipeline" of CreatePipeline,
// UpdatePipeline and GetPipeline.
type PipelineDeclaration struct {
	Name    string `json:"name"`
	RoleArn string `json:"roleArn"`
	// Exactly one of ArtifactStore (a single-region pipeline) and ArtifactStores (one store
	// per region of a cross-region pipeline) is set.
	ArtifactStore  *ArtifactStore                `json:"artifactStore,omitempty"`
	ArtifactStores ArtifactStoreMap              `json:"artifactStores,omitempty"`
	Stages         []StageDeclaration            `json:"stages"`
	Version        int                           `json:"version,omitempty"`
	ExecutionMode  string                        `json:"executionMode,omitempty"`
	PipelineType   string                        `json:"pipelineType,omitempty"`
	Variables      []PipelineVariableDeclaration `json:"variables,omitempty"`
	Triggers       []PipelineTriggerDeclaration  `json:"triggers,omitempty"`
}

// ArtifactStore is where a pipeline's artifacts are kept in one region.
type ArtifactStore struct {
	Type          string         `json:"type"`
	Location      string         `json:"location"`
	EncryptionKey *EncryptionKey `json:"encryptionKey,omitempty"`
}

// EncryptionKey is the key an artifact store encrypts with.
type EncryptionKey struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// ArtifactStoreMap is the artifactStores object, region → store. It keeps the order of the
// document (a pipeline's stores are a list in the provider's configuration, and a stored
// definition reads back in the order it was written).
type ArtifactStoreMap []RegionalArtifactStore

// RegionalArtifactStore is one entry of an ArtifactStoreMap.
type RegionalArtifactStore struct {
	Region string
	Store  ArtifactStore
}

// MarshalJSON writes the stores as one JSON object, in order.
func (m ArtifactStoreMap) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, e := range m {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(e.Region)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(e.Store)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads a JSON object of stores in document order; a region given twice is an
// error (encoding/json would keep the last silently).
func (m *ArtifactStoreMap) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		*m = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("artifactStores: want a JSON object of region → artifact store")
	}
	out := ArtifactStoreMap{}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("artifactStores: %w", err)
		}
		region, _ := tok.(string)
		if seen[region] {
			return fmt.Errorf("artifactStores: region %q given twice", region)
		}
		seen[region] = true
		var s ArtifactStore
		if err := dec.Decode(&s); err != nil {
			return fmt.Errorf("artifactStores[%q]: %w", region, err)
		}
		out = append(out, RegionalArtifactStore{Region: region, Store: s})
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("artifactStores: %w", err)
	}
	*m = out
	return nil
}

// StageDeclaration is one stage.
type StageDeclaration struct {
	Name        string                 `json:"name"`
	Blockers    []BlockerDeclaration   `json:"blockers,omitempty"`
	Actions     []ActionDeclaration    `json:"actions"`
	OnFailure   *FailureConditions     `json:"onFailure,omitempty"`
	OnSuccess   *SuccessConditions     `json:"onSuccess,omitempty"`
	BeforeEntry *BeforeEntryConditions `json:"beforeEntry,omitempty"`
}

// BlockerDeclaration is a stage blocker (reserved by the API).
type BlockerDeclaration struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// FailureConditions is a stage's onFailure: what happens when it fails.
type FailureConditions struct {
	Result             string              `json:"result,omitempty"` // ROLLBACK, FAIL, RETRY, SKIP
	RetryConfiguration *RetryConfiguration `json:"retryConfiguration,omitempty"`
	Conditions         []Condition         `json:"conditions,omitempty"`
}

// RetryConfiguration says which actions a RETRY result runs again.
type RetryConfiguration struct {
	RetryMode string `json:"retryMode,omitempty"` // FAILED_ACTIONS, ALL_ACTIONS
}

// SuccessConditions is a stage's onSuccess.
type SuccessConditions struct {
	Conditions []Condition `json:"conditions"`
}

// BeforeEntryConditions is a stage's beforeEntry.
type BeforeEntryConditions struct {
	Conditions []Condition `json:"conditions"`
}

// Condition is a stage condition: rules and the result when they fail.
type Condition struct {
	Result string            `json:"result,omitempty"`
	Rules  []RuleDeclaration `json:"rules,omitempty"`
}

// RuleDeclaration is one rule of a condition.
type RuleDeclaration struct {
	Name             string            `json:"name"`
	RuleTypeID       RuleTypeID        `json:"ruleTypeId"`
	Configuration    map[string]string `json:"configuration,omitempty"`
	Commands         []string          `json:"commands,omitempty"`
	InputArtifacts   []InputArtifact   `json:"inputArtifacts,omitempty"`
	RoleArn          string            `json:"roleArn,omitempty"`
	Region           string            `json:"region,omitempty"`
	TimeoutInMinutes int               `json:"timeoutInMinutes,omitempty"`
}

// RuleTypeID names a rule type.
type RuleTypeID struct {
	Category string `json:"category"`
	Owner    string `json:"owner,omitempty"`
	Provider string `json:"provider"`
	Version  string `json:"version,omitempty"`
}

// ActionDeclaration is one action of a stage. inputArtifacts and outputArtifacts are always
// written (as [] when empty), as get-pipeline prints them.
type ActionDeclaration struct {
	Name                 string                `json:"name"`
	ActionTypeID         ActionTypeID          `json:"actionTypeId"`
	RunOrder             int                   `json:"runOrder,omitempty"`
	Configuration        map[string]string     `json:"configuration,omitempty"`
	Commands             []string              `json:"commands,omitempty"`
	OutputArtifacts      []OutputArtifact      `json:"outputArtifacts"`
	InputArtifacts       []InputArtifact       `json:"inputArtifacts"`
	OutputVariables      []string              `json:"outputVariables,omitempty"`
	RoleArn              string                `json:"roleArn,omitempty"`
	Region               string                `json:"region,omitempty"`
	Namespace            string                `json:"namespace,omitempty"`
	TimeoutInMinutes     int                   `json:"timeoutInMinutes,omitempty"`
	EnvironmentVariables []EnvironmentVariable `json:"environmentVariables,omitempty"`
}

// ActionTypeID names an action type.
type ActionTypeID struct {
	Category string `json:"category"`
	Owner    string `json:"owner"`
	Provider string `json:"provider"`
	Version  string `json:"version"`
}

// OutputArtifact is an artifact an action produces.
type OutputArtifact struct {
	Name  string   `json:"name"`
	Files []string `json:"files,omitempty"`
}

// InputArtifact is an artifact an action consumes.
type InputArtifact struct {
	Name string `json:"name"`
}

// EnvironmentVariable is an environment variable of a Commands action.
type EnvironmentVariable struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Type  string `json:"type,omitempty"` // PLAINTEXT, SECRETS_MANAGER
}

// PipelineVariableDeclaration is a pipeline-level variable (V2).
type PipelineVariableDeclaration struct {
	Name         string `json:"name"`
	DefaultValue string `json:"defaultValue,omitempty"`
	Description  string `json:"description,omitempty"`
}

// PipelineTriggerDeclaration is a V2 trigger.
type PipelineTriggerDeclaration struct {
	ProviderType     string           `json:"providerType"`
	GitConfiguration GitConfiguration `json:"gitConfiguration"`
}

// GitConfiguration is what a git trigger reacts to.
type GitConfiguration struct {
	SourceActionName string                 `json:"sourceActionName"`
	Push             []GitPushFilter        `json:"push,omitempty"`
	PullRequest      []GitPullRequestFilter `json:"pullRequest,omitempty"`
}

// GitPushFilter selects pushes.
type GitPushFilter struct {
	Tags      *FilterCriteria `json:"tags,omitempty"`
	Branches  *FilterCriteria `json:"branches,omitempty"`
	FilePaths *FilterCriteria `json:"filePaths,omitempty"`
}

// GitPullRequestFilter selects pull request events.
type GitPullRequestFilter struct {
	Events    []string        `json:"events,omitempty"` // OPEN, UPDATED, CLOSED
	Branches  *FilterCriteria `json:"branches,omitempty"`
	FilePaths *FilterCriteria `json:"filePaths,omitempty"`
}

// FilterCriteria is an includes/excludes pair of glob patterns (the API's
// GitBranchFilterCriteria, GitTagFilterCriteria and GitFilePathFilterCriteria, one shape).
type FilterCriteria struct {
	Includes []string `json:"includes,omitempty"`
	Excludes []string `json:"excludes,omitempty"`
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// PipelineMetadata is the metadata GetPipeline returns beside the declaration.
type PipelineMetadata struct {
	PipelineArn string     `json:"pipelineArn,omitempty"`
	Created     *Timestamp `json:"created,omitempty"`
	Updated     *Timestamp `json:"updated,omitempty"`
}

// GetPipelineOutput is what `aws codepipeline get-pipeline` prints.
type GetPipelineOutput struct {
	Pipeline PipelineDeclaration `json:"pipeline"`
	Metadata *PipelineMetadata   `json:"metadata,omitempty"`
}

// Timestamp is a time as the JSON protocol writes it: seconds since the epoch, with a fraction.
type Timestamp time.Time

// MarshalJSON writes epoch seconds with millisecond precision.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(fmt.Sprintf("%.3f", float64(ms)/1000)), nil
}

// UnmarshalJSON reads epoch seconds.
func (t *Timestamp) UnmarshalJSON(data []byte) error {
	var secs float64
	if err := json.Unmarshal(data, &secs); err != nil {
		return fmt.Errorf("timestamp: want epoch seconds: %w", err)
	}
	whole, frac := math.Modf(secs)
	*t = Timestamp(time.Unix(int64(whole), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC())
	return nil
}
