package pipeline

// Action categories and owners, as CodePipeline names them.
const (
	CategorySource   = "Source"
	CategoryBuild    = "Build"
	CategoryTest     = "Test"
	CategoryDeploy   = "Deploy"
	CategoryInvoke   = "Invoke"
	CategoryApproval = "Approval"
	CategoryCompute  = "Compute"

	OwnerAWS        = "AWS"
	OwnerThirdParty = "ThirdParty"
	OwnerCustom     = "Custom"
)

// Categories and Owners list the accepted values; they drive both the schema validators and
// the attribute docs, so the two cannot drift.
var (
	Categories = []string{CategorySource, CategoryBuild, CategoryTest, CategoryDeploy, CategoryInvoke, CategoryApproval, CategoryCompute}
	Owners     = []string{OwnerAWS, OwnerThirdParty, OwnerCustom}
)

// ActionTypeID names an action type.
type ActionTypeID struct {
	Category, Owner, Provider string
}

func (t ActionTypeID) String() string { return t.Category + "/" + t.Owner + "/" + t.Provider }

// Range is an inclusive count range.
type Range struct{ Min, Max int }

// Contains reports whether n is in the range.
func (r Range) Contains(n int) bool { return n >= r.Min && n <= r.Max }

// ActionType describes what an action type accepts: artifact counts and configuration keys.
type ActionType struct {
	ID       ActionTypeID
	Inputs   Range
	Outputs  Range
	Required []string // configuration keys always required
	// RequiredWhen returns the keys required given the action's configuration (conditional
	// requirements such as CloudFormation's TemplatePath), or nil.
	RequiredWhen func(cfg map[string]string) []string
	// SupportsTriggers: a V2 git trigger may name a source action of this type.
	SupportsTriggers bool
	// Which types a backend executes is the backend's to say: backend.Runner.ActionTypes.
}

// customActionType is what any Custom-owned action accepts ("as registered").
var customActionType = ActionType{Inputs: Range{0, 5}, Outputs: Range{0, 5}}

// ActionTypes is the table of known action types: the artifact counts and required
// configuration CodePipeline documents for each, in the order the docs list them.
var ActionTypes = []ActionType{
	{ID: ActionTypeID{CategorySource, OwnerAWS, "S3"}, Inputs: Range{0, 0}, Outputs: Range{1, 1},
		Required: []string{"S3Bucket", "S3ObjectKey"}},
	{ID: ActionTypeID{CategorySource, OwnerAWS, "CodeCommit"}, Inputs: Range{0, 0}, Outputs: Range{1, 1},
		Required: []string{"RepositoryName", "BranchName"}},
	{ID: ActionTypeID{CategorySource, OwnerAWS, "CodeStarSourceConnection"}, Inputs: Range{0, 0}, Outputs: Range{1, 1},
		Required: []string{"ConnectionArn", "FullRepositoryId", "BranchName"}, SupportsTriggers: true},
	{ID: ActionTypeID{CategorySource, OwnerAWS, "ECR"}, Inputs: Range{0, 0}, Outputs: Range{1, 1},
		Required: []string{"RepositoryName"}},
	{ID: ActionTypeID{CategorySource, OwnerThirdParty, "GitHub"}, Inputs: Range{0, 0}, Outputs: Range{1, 1},
		Required: []string{"Owner", "Repo", "Branch", "OAuthToken"}},
	{ID: ActionTypeID{CategoryBuild, OwnerAWS, "CodeBuild"}, Inputs: Range{1, 5}, Outputs: Range{0, 5},
		Required: []string{"ProjectName"}},
	{ID: ActionTypeID{CategoryTest, OwnerAWS, "CodeBuild"}, Inputs: Range{1, 5}, Outputs: Range{0, 5},
		Required: []string{"ProjectName"}},
	// A Commands action's commands are its commands list, not configuration (commands-action).
	{ID: ActionTypeID{CategoryBuild, OwnerAWS, "Commands"}, Inputs: Range{1, 10}, Outputs: Range{0, 1}},
	{ID: ActionTypeID{CategoryCompute, OwnerAWS, "Commands"}, Inputs: Range{1, 10}, Outputs: Range{0, 1}},
	{ID: ActionTypeID{CategoryBuild, OwnerAWS, "ECRBuildAndPublish"}, Inputs: Range{1, 1}, Outputs: Range{0, 0},
		Required: []string{"ECRRepositoryName"}},
	{ID: ActionTypeID{CategoryTest, OwnerAWS, "DeviceFarm"}, Inputs: Range{1, 1}, Outputs: Range{0, 0},
		Required: []string{"AppType", "ProjectId", "App", "DevicePoolArn", "TestType"}},
	{ID: ActionTypeID{CategoryDeploy, OwnerAWS, "S3"}, Inputs: Range{1, 1}, Outputs: Range{0, 0},
		Required: []string{"BucketName", "Extract"}, RequiredWhen: requireObjectKeyUnlessExtract},
	{ID: ActionTypeID{CategoryDeploy, OwnerAWS, "CodeDeploy"}, Inputs: Range{1, 1}, Outputs: Range{0, 0},
		Required: []string{"ApplicationName", "DeploymentGroupName"}},
	{ID: ActionTypeID{CategoryDeploy, OwnerAWS, "CloudFormation"}, Inputs: Range{0, 10}, Outputs: Range{0, 1},
		Required: []string{"ActionMode", "StackName"}, RequiredWhen: requireCloudFormationKeys},
	{ID: ActionTypeID{CategoryDeploy, OwnerAWS, "ECS"}, Inputs: Range{1, 1}, Outputs: Range{0, 0},
		Required: []string{"ClusterName", "ServiceName"}},
	{ID: ActionTypeID{CategoryDeploy, OwnerAWS, "ElasticBeanstalk"}, Inputs: Range{1, 1}, Outputs: Range{0, 0},
		Required: []string{"ApplicationName", "EnvironmentName"}},
	{ID: ActionTypeID{CategoryDeploy, OwnerAWS, "CodeDeployToECS"}, Inputs: Range{1, 5}, Outputs: Range{0, 0},
		Required: []string{"ApplicationName", "DeploymentGroupName", "TaskDefinitionTemplateArtifact", "AppSpecTemplateArtifact"}},
	{ID: ActionTypeID{CategoryInvoke, OwnerAWS, "Lambda"}, Inputs: Range{0, 5}, Outputs: Range{0, 5},
		Required: []string{"FunctionName"}},
	{ID: ActionTypeID{CategoryInvoke, OwnerAWS, "StepFunctions"}, Inputs: Range{0, 1}, Outputs: Range{0, 1},
		Required: []string{"StateMachineArn"}},
	{ID: ActionTypeID{CategoryApproval, OwnerAWS, "Manual"}, Inputs: Range{0, 0}, Outputs: Range{0, 0}},
	{ID: ActionTypeID{CategoryBuild, OwnerCustom, "Jenkins"}, Inputs: Range{0, 5}, Outputs: Range{0, 5}},
	{ID: ActionTypeID{CategoryTest, OwnerCustom, "Jenkins"}, Inputs: Range{0, 5}, Outputs: Range{0, 5}},
}

var actionTypeIndex = func() map[ActionTypeID]*ActionType {
	m := make(map[ActionTypeID]*ActionType, len(ActionTypes))
	for i := range ActionTypes {
		m[ActionTypes[i].ID] = &ActionTypes[i]
	}
	return m
}()

// LookupActionType returns what the table knows about an action type. Any Custom-owned provider
// is accepted with the generic Custom limits; an unknown AWS or ThirdParty provider is not found.
func LookupActionType(id ActionTypeID) (*ActionType, bool) {
	if t, ok := actionTypeIndex[id]; ok {
		return t, true
	}
	if id.Owner == OwnerCustom {
		t := customActionType
		t.ID = id
		return &t, true
	}
	return nil, false
}

// ProvidersFor lists the known providers of a category and owner, in table order.
func ProvidersFor(category, owner string) []string {
	var out []string
	for _, t := range ActionTypes {
		if t.ID.Category == category && t.ID.Owner == owner {
			out = append(out, t.ID.Provider)
		}
	}
	return out
}

func requireObjectKeyUnlessExtract(cfg map[string]string) []string {
	if v, ok := cfg["Extract"]; ok && IsKnown(v) && v == "false" {
		return []string{"ObjectKey"}
	}
	return nil
}

func requireCloudFormationKeys(cfg map[string]string) []string {
	mode, ok := cfg["ActionMode"]
	if !ok || !IsKnown(mode) {
		return nil
	}
	var keys []string
	switch mode {
	case "CREATE_UPDATE", "REPLACE_ON_FAILURE", "CHANGE_SET_REPLACE":
		keys = append(keys, "TemplatePath")
	}
	switch mode {
	case "CHANGE_SET_REPLACE", "CHANGE_SET_EXECUTE":
		keys = append(keys, "ChangeSetName")
	}
	return keys
}
