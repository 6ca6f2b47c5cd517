package pipeline

import "slices"

// The rule type category and owner, as CodePipeline names them (the API's RuleCategory and
// RuleOwner, one value each).
const (
	RuleCategoryRule = "Rule"
	RuleOwnerAWS     = "AWS"
	// RuleVersion1 is the one version of every rule type.
	RuleVersion1 = "1"
)

// Rule providers (the CodePipeline rule reference).
const (
	RuleCloudWatchAlarm  = "CloudWatchAlarm"
	RuleCodeBuild        = "CodeBuild"
	RuleCommands         = "Commands"
	RuleDeploymentWindow = "DeploymentWindow"
	RuleLambdaInvoke     = "LambdaInvoke"
	RuleVariableCheck    = "VariableCheck"
)

// RuleCategories and RuleOwners list the accepted values; they feed the rule that checks them
// and the schema's descriptions.
var (
	RuleCategories = []string{RuleCategoryRule}
	RuleOwners     = []string{RuleOwnerAWS}
)

// RuleTypeID names a rule type: the rule's `rule_type_id` block.
type RuleTypeID struct {
	Category, Owner, Provider, Version string
}

// String writes the type as CodePipeline does: Category/Owner/Provider/Version, with the
// defaults of an unset owner (AWS) and version (1).
func (t RuleTypeID) String() string {
	owner, version := t.Owner, t.Version
	if owner == "" {
		owner = RuleOwnerAWS
	}
	if version == "" {
		version = RuleVersion1
	}
	return t.Category + "/" + owner + "/" + t.Provider + "/" + version
}

// RuleConfigKey is a configuration key a rule type documents.
type RuleConfigKey struct {
	Name     string
	Required bool
	Doc      string // one line, for ListRuleTypes and the docs
}

// RuleType describes what a rule type accepts: its configuration keys and whether it runs
// commands.
type RuleType struct {
	Provider string
	Doc      string // what the rule checks, one sentence
	Config   []RuleConfigKey
	// Commands: the rule runs the rule's `commands` (and needs them); no other type takes them.
	Commands bool
}

// Required lists the configuration keys the type requires.
func (t *RuleType) Required() []string {
	var out []string
	for _, k := range t.Config {
		if k.Required {
			out = append(out, k.Name)
		}
	}
	return out
}

// ID is the type's full identifier.
func (t *RuleType) ID() RuleTypeID {
	return RuleTypeID{Category: RuleCategoryRule, Owner: RuleOwnerAWS, Provider: t.Provider, Version: RuleVersion1}
}

// VariableCheck operators, as the CodePipeline rule reference defines them.
const (
	OperatorEquals    = "EQ"
	OperatorContains  = "CONTAINS"
	OperatorMatches   = "MATCHES"
	OperatorNotEquals = "NE"
)

// VariableCheckOperators lists the operators, in the order the rule reference gives them.
var VariableCheckOperators = []string{OperatorEquals, OperatorContains, OperatorMatches, OperatorNotEquals}

// CloudWatchAlarm alarm states a rule may wait for.
var AlarmStates = []string{"ALARM", "OK", "INSUFFICIENT_DATA"}

// RuleTypes is the table of rule types: what the CodePipeline rule reference documents for
// each, in the order it lists them.
var RuleTypes = []RuleType{
	{Provider: RuleCloudWatchAlarm, Doc: "Fails when a CloudWatch alarm is in one of the given states, watching it for a while.",
		Config: []RuleConfigKey{
			{Name: "AlarmName", Required: true, Doc: "The name of the CloudWatch alarm."},
			{Name: "AlarmStates", Doc: "The alarm states that fail the rule."},
			{Name: "WaitTime", Doc: "How many minutes to watch the alarm."},
		}},
	{Provider: RuleCodeBuild, Doc: "Runs a CodeBuild build; fails when the build fails.",
		Config: []RuleConfigKey{
			{Name: "ProjectName", Required: true, Doc: "The CodeBuild project."},
			{Name: "PrimarySource", Doc: "The input artifact that is the primary source."},
			{Name: "EnvironmentVariables", Doc: "Environment variables of the build, as a JSON list."},
		}},
	{Provider: RuleCommands, Doc: "Runs shell commands; fails when one of them fails.", Commands: true},
	{Provider: RuleDeploymentWindow, Doc: "Waits until the current time is in a window given by a cron expression.",
		Config: []RuleConfigKey{
			{Name: "Cron", Required: true, Doc: "The times when deployment is allowed: seconds minutes hours day-of-month month day-of-week [year]."},
			{Name: "TimeZone", Doc: "The time zone of the cron expression (an IANA name; default UTC)."},
		}},
	{Provider: RuleLambdaInvoke, Doc: "Invokes a Lambda function; fails when the function reports a failure.",
		Config: []RuleConfigKey{
			{Name: "FunctionName", Required: true, Doc: "The Lambda function to invoke."},
			{Name: "UserParameters", Doc: "A string passed to the function."},
		}},
	{Provider: RuleVariableCheck, Doc: "Compares a variable with a value.",
		Config: []RuleConfigKey{
			{Name: "Variable", Required: true, Doc: "The variable to check, as #{Namespace.Name} or #{variables.name}."},
			{Name: "Operator", Required: true, Doc: "EQ, CONTAINS, MATCHES (a regular expression) or NE."},
			{Name: "Value", Required: true, Doc: "The value to compare the variable with."},
		}},
}

// RuleProviders lists the providers of the table, in its order.
func RuleProviders() []string {
	out := make([]string, 0, len(RuleTypes))
	for _, t := range RuleTypes {
		out = append(out, t.Provider)
	}
	return out
}

// LookupRuleType returns the table's entry for a rule type: category Rule, owner AWS (or
// unset) and a known provider. The version is not looked at (rule-type checks it).
func LookupRuleType(id RuleTypeID) (*RuleType, bool) {
	if id.Category != RuleCategoryRule || (id.Owner != "" && id.Owner != RuleOwnerAWS) {
		return nil, false
	}
	i := slices.IndexFunc(RuleTypes, func(t RuleType) bool { return t.Provider == id.Provider })
	if i < 0 {
		return nil, false
	}
	return &RuleTypes[i], true
}

// Limits of condition rules and Commands actions (CodePipeline API model).
const (
	MaxConditionRules        = 5 // rules per condition (at least one)
	MaxRuleInputArtifacts    = 5 // the most any rule type accepts (ArtifactDetails)
	MaxRuleConfigEntries     = 200
	MaxRuleConfigKeyLength   = 50
	MaxRuleConfigValueLength = 10000
	MinRuleTimeout           = 5     // minutes
	MaxRuleTimeout           = 86400 // minutes
	MaxCommands              = 50    // commands of an action or rule (at least one)
	MaxCommandLength         = 1000
	MaxOutputVariables       = 15 // output variables of a Commands action (at least one when set)
	MaxOutputVariableLength  = 128
)
