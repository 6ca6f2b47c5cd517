package pipeline

import "strings"

// Stage conditions (V2): a condition is a set of rules checked at one point of a stage's run,
// and the result CodePipeline engages when the condition fails (any of its rules fails).
// Before entry, a failed condition fails or skips the stage; on success, it fails the stage or
// rolls it back; on failure, it rolls the stage back. A stage's on_failure block may also ask
// for an automatic retry, or a rollback without a condition.

// Condition results, as CodePipeline names them (the API's Result).
const (
	ResultRollback = "ROLLBACK"
	ResultFail     = "FAIL"
	ResultRetry    = "RETRY"
	ResultSkip     = "SKIP"
)

// OnFailureRollback is the stage on_failure result that rolls the stage back.
const OnFailureRollback = ResultRollback

// Retry modes of an automatic stage retry (the API's StageRetryMode).
const (
	RetryFailedActions = "FAILED_ACTIONS"
	RetryAllActions    = "ALL_ACTIONS"
)

// Where a condition sits in a stage: the API's ConditionType for the first two
// (OverrideStageCondition), and the name of the on_failure condition by analogy.
const (
	ConditionBeforeEntry = "BEFORE_ENTRY"
	ConditionOnSuccess   = "ON_SUCCESS"
	ConditionOnFailure   = "ON_FAILURE"
)

// The accepted values, in the order the docs list them. Each list feeds the rule that checks
// it and the schema's descriptions, so the three cannot drift.
var (
	// ConditionResults is the API's whole Result enum.
	ConditionResults = []string{ResultRollback, ResultFail, ResultRetry, ResultSkip}
	// OnFailureResults are the results a stage's on_failure block accepts itself.
	OnFailureResults = []string{ResultRollback, ResultFail, ResultRetry}
	RetryModes       = []string{RetryFailedActions, RetryAllActions}
	// ConditionTypes are the positions of a stage's conditions, in the order a run meets them.
	ConditionTypes = []string{ConditionBeforeEntry, ConditionOnSuccess, ConditionOnFailure}
	// OverridableConditions are the conditions OverrideStageCondition accepts.
	OverridableConditions = []string{ConditionBeforeEntry, ConditionOnSuccess}
)

// ConditionResultsAt lists the results a condition accepts at a position, the default (used
// when the condition names none) first, as the CodePipeline User Guide gives them: an entry
// condition fails or skips the stage, an on-success condition fails it or rolls it back, an
// on-failure condition rolls it back.
func ConditionResultsAt(conditionType string) []string {
	switch conditionType {
	case ConditionBeforeEntry:
		return []string{ResultFail, ResultSkip}
	case ConditionOnSuccess:
		return []string{ResultFail, ResultRollback}
	case ConditionOnFailure:
		return []string{ResultRollback}
	}
	return nil
}

// ConditionBlock is the schema block name of a condition position: before_entry, on_success,
// on_failure.
func ConditionBlock(conditionType string) string { return strings.ToLower(conditionType) }

// Condition is one stage condition: its rules, and the result engaged when it fails.
type Condition struct {
	Result string // "" when unset: the first of ConditionResultsAt
	Rules  []ConditionRule
}

// EffectiveResult is the result c engages at position conditionType when it fails.
func (c *Condition) EffectiveResult(conditionType string) string {
	if c.Result != "" {
		return c.Result
	}
	if rs := ConditionResultsAt(conditionType); len(rs) > 0 {
		return rs[0]
	}
	return ResultFail
}

// FailureConditions is a stage's on_failure block.
type FailureConditions struct {
	Result string // ROLLBACK, FAIL, RETRY; "" when unset (the stage fails)
	// RetryConfiguration is the retry_configuration block, nil when absent.
	RetryConfiguration *RetryConfiguration
	// Condition is the on_failure condition, nil when absent.
	Condition *Condition
}

// RetryConfiguration says which actions an automatic retry runs again.
type RetryConfiguration struct {
	RetryMode string // FAILED_ACTIONS, ALL_ACTIONS; "" when unset (FAILED_ACTIONS)
}

// Mode returns the retry mode with its default applied.
func (r *RetryConfiguration) Mode() string {
	if r == nil || r.RetryMode == "" {
		return RetryFailedActions
	}
	return r.RetryMode
}

// ConditionRule is one rule of a condition (the API's RuleDeclaration). It is not a Rule of
// the catalogue: those check definitions, these run while a pipeline runs.
type ConditionRule struct {
	Name             string
	RuleTypeID       RuleTypeID
	Configuration    map[string]string
	InputArtifacts   []string
	Commands         []string // a Commands rule's shell commands
	Region           string
	RoleARN          string
	TimeoutInMinutes int // 0 means unset
	// UnknownAttrs names the attributes whose whole value is unknown, as Action's does.
	UnknownAttrs []string
}

// IsUnknown reports whether the whole value of attribute attr is unknown.
func (r *ConditionRule) IsUnknown(attr string) bool {
	for _, u := range r.UnknownAttrs {
		if u == attr {
			return true
		}
	}
	return false
}

// Conditions returns the stage's conditions by position (ConditionTypes order), skipping the
// positions without one.
func (s *Stage) Conditions() []PlacedCondition {
	var out []PlacedCondition
	if s.BeforeEntry != nil {
		out = append(out, PlacedCondition{Type: ConditionBeforeEntry, Condition: s.BeforeEntry})
	}
	if s.OnSuccess != nil {
		out = append(out, PlacedCondition{Type: ConditionOnSuccess, Condition: s.OnSuccess})
	}
	if s.OnFailure != nil && s.OnFailure.Condition != nil {
		out = append(out, PlacedCondition{Type: ConditionOnFailure, Condition: s.OnFailure.Condition})
	}
	return out
}

// Condition returns the stage's condition at position conditionType, nil when it has none.
func (s *Stage) Condition(conditionType string) *Condition {
	for _, pc := range s.Conditions() {
		if pc.Type == conditionType {
			return pc.Condition
		}
	}
	return nil
}

// HasConditions reports whether the stage uses any V2 stage-level feature: a condition, an
// on_failure result or a retry.
func (s *Stage) HasConditions() bool {
	return s.BeforeEntry != nil || s.OnSuccess != nil || s.OnFailure != nil
}

// PlacedCondition is a condition with its position in the stage.
type PlacedCondition struct {
	Type      string // ConditionBeforeEntry, ConditionOnSuccess, ConditionOnFailure
	Condition *Condition
}

// Path is the path of the condition block of stage i.
func (pc PlacedCondition) Path(stage int) Path { return ConditionPath(stage, pc.Type) }

// ConditionPath is the path of the condition of stage i at position conditionType:
// stage[i].before_entry[0].condition[0].
func ConditionPath(stage int, conditionType string) Path {
	return StagePath(stage).Attr(ConditionBlock(conditionType)).Index(0).Attr("condition").Index(0)
}

// ConditionRulePath is the path of rule k of that condition.
func ConditionRulePath(stage int, conditionType string, k int) Path {
	return ConditionPath(stage, conditionType).Attr("rule").Index(k)
}

// OnFailurePath is the path of stage i's on_failure block.
func OnFailurePath(stage int) Path { return StagePath(stage).Attr("on_failure").Index(0) }
