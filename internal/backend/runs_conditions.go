package backend

import (
	"errors"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Errors of rollbacks and condition overrides, as CodePipeline names them. Each is returned
// wrapped together with ErrInvalid, so that a caller that only tells invalid requests apart
// still does.
var (
	ErrUnableToRollbackStage   = errors.New("unable to roll back the stage")
	ErrConditionNotOverridable = errors.New("the condition cannot be overridden")
	ErrNotLatestExecution      = errors.New("not the latest execution in the stage")
)

// Triggers of rollback executions.
const (
	TriggerManualRollback    = "ManualRollback"
	TriggerAutomatedRollback = "AutomatedRollback"
)

// RuleExecution is one execution of a condition rule (the API's RuleExecutionDetail).
type RuleExecution struct {
	PipelineExecutionID string
	RuleExecutionID     string
	PipelineVersion     int
	Stage               string
	ConditionType       string
	Rule                string
	Status              string
	Started             time.Time
	Updated             time.Time
	RuleTypeID          pipeline.RuleTypeID
	Configuration       map[string]string
	// ResolvedConfiguration is Configuration with its variables resolved.
	ResolvedConfiguration map[string]string
	RoleARN               string
	Region                string
	Inputs                []ArtifactRef
	Summary               string
	Error                 string
}

// RuleType is a condition rule type and whether this backend evaluates it.
type RuleType struct {
	ID     pipeline.RuleTypeID
	Doc    string
	Config []pipeline.RuleConfigKey
	// Commands: the rule runs the rule's commands.
	Commands bool
	// Evaluated: this backend evaluates rules of the type; a condition with a rule of another
	// type fails at that rule, saying so.
	Evaluated bool
}

// RuleLogName is the name ActionLog knows a condition rule's log by: the condition's type and
// the rule's name ("BEFORE_ENTRY:OfficeHours"); no action name has a colon.
func RuleLogName(conditionType, rule string) string { return conditionType + ":" + rule }
