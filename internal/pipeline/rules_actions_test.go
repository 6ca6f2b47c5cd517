package pipeline

import (
	"strings"
	"testing"
)

// Paths of the three actions of validPipeline.
const (
	sourceAct = "stage[0].action[0]"
	buildAct  = "stage[1].action[0]"
	deployAct = "stage[2].action[0]"
)

// mutAction returns action j of stage i of the input's pipeline, for mutation.
func mutAction(in *Input, i, j int) *Action { return &in.Pipeline.Stages[i].Actions[j] }

func manualApproval() Action {
	return Action{Name: "Approve", Category: CategoryApproval, Owner: OwnerAWS, Provider: "Manual", Version: "1"}
}

func cloudFormationDeploy(cfg map[string]string, inputs ...string) Action {
	return Action{Name: "Stack", Category: CategoryDeploy, Owner: OwnerAWS, Provider: "CloudFormation", Version: "1",
		Configuration: cfg, InputArtifacts: inputs}
}

func TestRuleConfigRequired(t *testing.T) {
	runRuleCases(t, "config-required", []ruleCase{
		{name: "complete configurations pass"},
		{name: "missing key fails", mutate: func(in *Input) { delete(mutAction(in, 1, 0).Configuration, "ProjectName") },
			want: []got{errAt("config-required", buildAct+".configuration")}},
		{name: "empty value fails", mutate: func(in *Input) { mutAction(in, 0, 0).Configuration["BranchName"] = "" },
			want: []got{errAt("config-required", sourceAct+".configuration")}},
		{name: "each missing key is reported", mutate: func(in *Input) { mutAction(in, 0, 0).Configuration = nil },
			want: []got{errAt("config-required", sourceAct+".configuration"), errAt("config-required", sourceAct+".configuration")}},
		{name: "unknown value counts as present", mutate: func(in *Input) { mutAction(in, 1, 0).Configuration["ProjectName"] = Unknown }},
		{name: "wholly unknown configuration is skipped", mutate: func(in *Input) {
			a := mutAction(in, 1, 0)
			a.Configuration = nil
			a.UnknownAttrs = []string{"configuration"}
		}},
		{name: "conditional key: S3 deploy without extract needs ObjectKey", mutate: func(in *Input) {
			mutAction(in, 2, 0).Configuration["Extract"] = "false"
		}, want: []got{errAt("config-required", deployAct+".configuration")}},
		{name: "conditional key present passes", mutate: func(in *Input) {
			mutAction(in, 2, 0).Configuration["Extract"] = "false"
			mutAction(in, 2, 0).Configuration["ObjectKey"] = "site.zip"
		}},
		{name: "CloudFormation change set replace needs template and change set", mutate: func(in *Input) {
			addStage(in.Pipeline, "Infra", cloudFormationDeploy(map[string]string{"ActionMode": "CHANGE_SET_REPLACE", "StackName": "app"}, "bin"))
		}, want: []got{errAt("config-required", "stage[3].action[0].configuration"), errAt("config-required", "stage[3].action[0].configuration")}},
		{name: "unknown type is left to action-type", mutate: func(in *Input) {
			a := mutAction(in, 1, 0)
			a.Provider = "Jenkinsish"
			a.Configuration = nil
		}},
		{name: "unknown provider is skipped", mutate: func(in *Input) {
			a := mutAction(in, 1, 0)
			a.Provider = Unknown
			a.Configuration = nil
		}},
		{name: "custom actions have no required keys", mutate: func(in *Input) {
			a := mutAction(in, 1, 0)
			a.Owner, a.Provider, a.Configuration = OwnerCustom, "MyBuilder", nil
		}},
	})
}

func TestConfigRequiredMessageNamesKeyAndType(t *testing.T) {
	in := Input{Pipeline: validPipeline()}
	delete(in.Pipeline.Stages[1].Actions[0].Configuration, "ProjectName")
	fs := ValidateWith(in, Options{Only: []string{"config-required"}})
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %v", len(fs), fs)
	}
	for _, want := range []string{`"ProjectName"`, "Build/AWS/CodeBuild", `"Compile"`} {
		if !strings.Contains(fs[0].Message, want) {
			t.Errorf("message %q does not mention %s", fs[0].Message, want)
		}
	}
}

func TestRuleConfigSize(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	runRuleCases(t, "config-size", []ruleCase{
		{name: "ordinary entries pass"},
		{name: "limits pass", mutate: func(in *Input) { mutAction(in, 1, 0).Configuration[long(50)] = long(1000) }},
		{name: "key of 51 chars fails", mutate: func(in *Input) { mutAction(in, 1, 0).Configuration[long(51)] = "v" },
			want: []got{errAt("config-size", buildAct+`.configuration["`+long(51)+`"]`)}},
		{name: "value of 1001 chars fails", mutate: func(in *Input) { mutAction(in, 1, 0).Configuration["EnvironmentVariables"] = long(1001) },
			want: []got{errAt("config-size", buildAct+`.configuration["EnvironmentVariables"]`)}},
		{name: "empty key and empty value fail, in key order", mutate: func(in *Input) {
			mutAction(in, 1, 0).Configuration[""] = "v"
			mutAction(in, 1, 0).Configuration["BatchEnabled"] = ""
		}, want: []got{
			errAt("config-size", buildAct+`.configuration[""]`),
			errAt("config-size", buildAct+`.configuration["BatchEnabled"]`),
		}},
		{name: "length counts characters, not bytes", mutate: func(in *Input) {
			mutAction(in, 1, 0).Configuration["Note"] = strings.Repeat("é", 1000)
		}},
		{name: "unknown values are skipped", mutate: func(in *Input) { mutAction(in, 1, 0).Configuration["ProjectName"] = Unknown }},
		{name: "nil configuration passes", mutate: func(in *Input) { mutAction(in, 1, 0).Configuration = nil }},
	})
}

func TestRuleConfigNUL(t *testing.T) {
	const id = "config-nul"
	runRuleCases(t, id, []ruleCase{
		{name: "ordinary entries pass"},
		{name: "control characters other than NUL pass", mutate: func(in *Input) {
			mutAction(in, 1, 0).Configuration["Commands"] = "echo a\tb\r\necho c"
		}},
		{name: "NUL inside a command line fails", mutate: func(in *Input) {
			mutAction(in, 1, 0).Configuration["Commands"] = "echo ok\nrm -rf /tmp/x\x00/y"
		}, want: []got{errAt(id, buildAct+`.configuration["Commands"]`)}},
		{name: "NUL in an entry of the commands list fails", mutate: func(in *Input) {
			mutAction(in, 1, 0).Commands = []string{"npm ci", "npm test\x00 --watch"}
		}, want: []got{errAt(id, buildAct+`.commands[1]`)}},
		{name: "commands without NUL pass", mutate: func(in *Input) { mutAction(in, 1, 0).Commands = []string{"npm ci", "npm test"} }},
		{name: "NUL in a key fails", mutate: func(in *Input) { mutAction(in, 1, 0).Configuration["Project\x00Name"] = "app" },
			want: []got{errAt(id, buildAct+`.configuration["Project\x00Name"]`)}},
		{name: "unknown values are skipped", mutate: func(in *Input) { mutAction(in, 1, 0).Configuration["ProjectName"] = Unknown }},
		{name: "nil configuration passes", mutate: func(in *Input) { mutAction(in, 1, 0).Configuration = nil }},
	})
	p := validPipeline()
	p.Stages[1].Actions[0].Configuration["Commands"] = "echo one\necho two\x00"
	fs := ValidateWith(Input{Pipeline: p}, Options{Only: []string{id}})
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "(line 2)") || !strings.Contains(fs[0].Fix, "Remove the NUL") {
		t.Errorf("findings = %+v, want one naming line 2 and saying to remove the NUL", fs)
	}
}

func TestRuleActionType(t *testing.T) {
	runRuleCases(t, "action-type", []ruleCase{
		{name: "known types pass"},
		{name: "bad category fails", mutate: func(in *Input) { mutAction(in, 1, 0).Category = "Compile" },
			want: []got{errAt("action-type", buildAct+".category")}},
		{name: "category is case-sensitive", mutate: func(in *Input) { mutAction(in, 1, 0).Category = "build" },
			want: []got{errAt("action-type", buildAct+".category")}},
		{name: "bad owner fails", mutate: func(in *Input) { mutAction(in, 1, 0).Owner = "Amazon" },
			want: []got{errAt("action-type", buildAct+".owner")}},
		{name: "provider with bad characters fails", mutate: func(in *Input) { mutAction(in, 1, 0).Provider = "Code Build" },
			want: []got{errAt("action-type", buildAct+".provider")}},
		{name: "provider of 36 chars fails", mutate: func(in *Input) {
			a := mutAction(in, 1, 0)
			a.Owner, a.Provider = OwnerCustom, strings.Repeat("p", 36)
		}, want: []got{errAt("action-type", buildAct+".provider")}},
		{name: "custom provider of 35 chars passes", mutate: func(in *Input) {
			a := mutAction(in, 1, 0)
			a.Owner, a.Provider = OwnerCustom, strings.Repeat("p", 35)
		}},
		{name: "empty version fails", mutate: func(in *Input) { mutAction(in, 1, 0).Version = "" },
			want: []got{errAt("action-type", buildAct+".version")}},
		{name: "version of 10 chars fails", mutate: func(in *Input) { mutAction(in, 1, 0).Version = "1234567890" },
			want: []got{errAt("action-type", buildAct+".version")}},
		{name: "version with a dot fails", mutate: func(in *Input) { mutAction(in, 1, 0).Version = "1.0" },
			want: []got{errAt("action-type", buildAct+".version")}},
		{name: "provider unknown for category and owner fails", mutate: func(in *Input) { mutAction(in, 1, 0).Provider = "CodeDeploy" },
			want: []got{errAt("action-type", buildAct+".provider")}},
		{name: "ThirdParty provider must be known too", mutate: func(in *Input) {
			a := mutAction(in, 0, 0)
			a.Owner, a.Provider = OwnerThirdParty, "Bitbucket"
		}, want: []got{errAt("action-type", sourceAct+".provider")}},
		{name: "ThirdParty GitHub source passes", mutate: func(in *Input) {
			a := mutAction(in, 0, 0)
			a.Owner, a.Provider = OwnerThirdParty, "GitHub"
		}},
		{name: "provider not reported unknown when the category is invalid", mutate: func(in *Input) {
			a := mutAction(in, 1, 0)
			a.Category, a.Provider = "Compile", "Whatever"
		}, want: []got{errAt("action-type", buildAct+".category")}},
		{name: "provider not reported unknown when the owner is invalid", mutate: func(in *Input) {
			a := mutAction(in, 1, 0)
			a.Owner, a.Provider = "aws", "Whatever"
		}, want: []got{errAt("action-type", buildAct+".owner")}},
		{name: "one finding per bad attribute", mutate: func(in *Input) {
			a := mutAction(in, 1, 0)
			a.Category, a.Owner, a.Provider, a.Version = "", "", "", ""
		}, want: []got{
			errAt("action-type", buildAct+".category"),
			errAt("action-type", buildAct+".owner"),
			errAt("action-type", buildAct+".provider"),
			errAt("action-type", buildAct+".version"),
		}},
		{name: "unknown parts are skipped", mutate: func(in *Input) {
			a := mutAction(in, 1, 0)
			a.Category, a.Owner, a.Provider, a.Version = Unknown, Unknown, Unknown, Unknown
		}},
		{name: "unknown category skips the provider lookup", mutate: func(in *Input) {
			a := mutAction(in, 1, 0)
			a.Category, a.Provider = Unknown, "Whatever"
		}},
	})
}

func TestActionTypeMessageListsKnownProviders(t *testing.T) {
	in := Input{Pipeline: validPipeline()}
	in.Pipeline.Stages[1].Actions[0].Provider = "CodeDeploy"
	fs := ValidateWith(in, Options{Only: []string{"action-type"}})
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %v", len(fs), fs)
	}
	if want := strings.Join(ProvidersFor(CategoryBuild, OwnerAWS), ", "); !strings.Contains(fs[0].Message, want) {
		t.Errorf("message %q does not list the known providers %q", fs[0].Message, want)
	}
}

func TestRuleActionRoleOwner(t *testing.T) {
	const role = "arn:aws:iam::222222222222:role/deploy"
	runRuleCases(t, "action-role-owner", []ruleCase{
		{name: "no action roles pass"},
		{name: "role on an AWS action passes", mutate: func(in *Input) { mutAction(in, 2, 0).RoleARN = role }},
		{name: "role on a Custom action fails", mutate: func(in *Input) {
			a := mutAction(in, 1, 0)
			a.Owner, a.Provider, a.RoleARN = OwnerCustom, "Jenkins", role
		}, want: []got{errAt("action-role-owner", buildAct+".role_arn")}},
		{name: "role on a ThirdParty action fails", mutate: func(in *Input) {
			a := mutAction(in, 0, 0)
			a.Owner, a.Provider, a.RoleARN = OwnerThirdParty, "GitHub", role
		}, want: []got{errAt("action-role-owner", sourceAct+".role_arn")}},
		{name: "unknown role is skipped", mutate: func(in *Input) {
			a := mutAction(in, 1, 0)
			a.Owner, a.Provider, a.RoleARN = OwnerCustom, "Jenkins", Unknown
		}},
		{name: "unknown owner is skipped", mutate: func(in *Input) {
			a := mutAction(in, 1, 0)
			a.Owner, a.RoleARN = Unknown, role
		}},
	})
}

func TestRuleSourceSameRegion(t *testing.T) {
	inRegion := func(in *Input) { in.Facts.Region = "us-east-1" }
	runRuleCases(t, "source-same-region", []ruleCase{
		{name: "no action regions pass", mutate: inRegion},
		{name: "cross-region source fails", mutate: func(in *Input) {
			inRegion(in)
			mutAction(in, 0, 0).Region = "eu-west-1"
		}, want: []got{errAt("source-same-region", sourceAct+".region")}},
		{name: "source in the pipeline's region passes", mutate: func(in *Input) {
			inRegion(in)
			mutAction(in, 0, 0).Region = "us-east-1"
		}},
		{name: "cross-region AWS deploy passes", mutate: func(in *Input) {
			inRegion(in)
			mutAction(in, 2, 0).Region = "eu-west-1"
		}},
		{name: "cross-region Custom action fails", mutate: func(in *Input) {
			inRegion(in)
			a := mutAction(in, 1, 0)
			a.Owner, a.Provider, a.Region = OwnerCustom, "Jenkins", "eu-west-1"
		}, want: []got{errAt("source-same-region", buildAct+".region")}},
		{name: "cross-region ThirdParty action fails", mutate: func(in *Input) {
			inRegion(in)
			a := mutAction(in, 0, 0)
			a.Owner, a.Provider, a.Region = OwnerThirdParty, "GitHub", "eu-west-1"
		}, want: []got{errAt("source-same-region", sourceAct+".region")}},
		{name: "unknown action region is skipped", mutate: func(in *Input) {
			inRegion(in)
			mutAction(in, 0, 0).Region = Unknown
		}},
		{name: "unknown pipeline region is skipped", mutate: func(in *Input) { mutAction(in, 0, 0).Region = "eu-west-1" }},
	})
}

func TestRuleTimeoutApprovalOnly(t *testing.T) {
	withApproval := func(minutes int) func(*Input) {
		return func(in *Input) {
			a := manualApproval()
			a.TimeoutInMinutes = minutes
			addStage(in.Pipeline, "Gate", a)
		}
	}
	runRuleCases(t, "timeout-approval-only", []ruleCase{
		{name: "no timeouts pass"},
		{name: "approval with 60 minutes passes", mutate: withApproval(60)},
		{name: "approval at the bounds passes", mutate: func(in *Input) {
			withApproval(MinApprovalTimeout)(in)
			withApproval(MaxApprovalTimeout)(in)
		}},
		{name: "approval with 4 minutes fails", mutate: withApproval(4),
			want: []got{errAt("timeout-approval-only", "stage[3].action[0].timeout_in_minutes")}},
		{name: "approval with 86401 minutes fails", mutate: withApproval(86401),
			want: []got{errAt("timeout-approval-only", "stage[3].action[0].timeout_in_minutes")}},
		{name: "negative timeout fails", mutate: withApproval(-5),
			want: []got{errAt("timeout-approval-only", "stage[3].action[0].timeout_in_minutes")}},
		{name: "timeout on a build action fails", mutate: func(in *Input) { mutAction(in, 1, 0).TimeoutInMinutes = 60 },
			want: []got{errAt("timeout-approval-only", buildAct+".timeout_in_minutes")}},
		{name: "unknown timeout is skipped", mutate: func(in *Input) { mutAction(in, 1, 0).TimeoutInMinutes = UnknownInt }},
		{name: "unknown provider is skipped", mutate: func(in *Input) {
			a := mutAction(in, 1, 0)
			a.Provider, a.TimeoutInMinutes = Unknown, 60
		}},
	})
}

func TestRuleNamespaceUnique(t *testing.T) {
	runRuleCases(t, "namespace-unique", []ruleCase{
		{name: "no namespaces pass"},
		{name: "distinct namespaces pass", mutate: func(in *Input) {
			mutAction(in, 0, 0).Namespace = "SourceVariables"
			mutAction(in, 1, 0).Namespace = "BuildVariables"
		}},
		{name: "each later duplicate fails", mutate: func(in *Input) {
			mutAction(in, 0, 0).Namespace = "Vars"
			mutAction(in, 1, 0).Namespace = "Vars"
			mutAction(in, 2, 0).Namespace = "Vars"
		}, want: []got{
			errAt("namespace-unique", buildAct+".namespace"),
			errAt("namespace-unique", deployAct+".namespace"),
		}},
		{name: "duplicate within a stage fails", mutate: func(in *Input) {
			b := in.Pipeline.Stages[1].Actions[0]
			b.Name, b.OutputArtifacts = "Lint", nil
			in.Pipeline.Stages[1].Actions = append(in.Pipeline.Stages[1].Actions, b)
			mutAction(in, 1, 0).Namespace = "Build"
			mutAction(in, 1, 1).Namespace = "Build"
		}, want: []got{errAt("namespace-unique", "stage[1].action[1].namespace")}},
		{name: "namespaces are case-sensitive", mutate: func(in *Input) {
			mutAction(in, 0, 0).Namespace = "Vars"
			mutAction(in, 1, 0).Namespace = "vars"
		}},
		{name: "unknown namespaces are skipped", mutate: func(in *Input) {
			mutAction(in, 0, 0).Namespace = Unknown
			mutAction(in, 1, 0).Namespace = Unknown
		}},
	})
}

func TestRulePrimarySource(t *testing.T) {
	// twoInputs gives the build action a second input produced by a second source action.
	twoInputs := func(in *Input) {
		in.Pipeline.Stages[0].Actions = append(in.Pipeline.Stages[0].Actions, Action{
			Name: "Tools", Category: CategorySource, Owner: OwnerAWS, Provider: "CodeCommit", Version: "1",
			Configuration:   map[string]string{"RepositoryName": "tools", "BranchName": "main"},
			OutputArtifacts: []string{"tools"},
		})
		mutAction(in, 1, 0).InputArtifacts = []string{"src", "tools"}
	}
	const infra = "stage[3].action[0]"
	runRuleCases(t, "primary-source", []ruleCase{
		{name: "single input needs no PrimarySource"},
		{name: "two inputs with PrimarySource pass", mutate: func(in *Input) {
			twoInputs(in)
			mutAction(in, 1, 0).Configuration["PrimarySource"] = "src"
		}},
		{name: "two inputs without PrimarySource fail", mutate: twoInputs,
			want: []got{errAt("primary-source", buildAct+".configuration")}},
		{name: "empty PrimarySource fails", mutate: func(in *Input) {
			twoInputs(in)
			mutAction(in, 1, 0).Configuration["PrimarySource"] = ""
		}, want: []got{errAt("primary-source", buildAct+".configuration")}},
		{name: "PrimarySource not among the inputs fails", mutate: func(in *Input) {
			twoInputs(in)
			mutAction(in, 1, 0).Configuration["PrimarySource"] = "bin"
		}, want: []got{errAt("primary-source", buildAct+`.configuration["PrimarySource"]`)}},
		{name: "CodeBuild test action is checked too", mutate: func(in *Input) {
			twoInputs(in)
			mutAction(in, 1, 0).Category = CategoryTest
		}, want: []got{errAt("primary-source", buildAct+".configuration")}},
		{name: "unknown PrimarySource is skipped", mutate: func(in *Input) {
			twoInputs(in)
			mutAction(in, 1, 0).Configuration["PrimarySource"] = Unknown
		}},
		{name: "an unknown input may be the PrimarySource", mutate: func(in *Input) {
			twoInputs(in)
			mutAction(in, 1, 0).InputArtifacts[1] = Unknown
			mutAction(in, 1, 0).Configuration["PrimarySource"] = "other"
		}},
		{name: "unknown inputs are skipped", mutate: func(in *Input) {
			twoInputs(in)
			mutAction(in, 1, 0).UnknownAttrs = []string{"input_artifacts"}
		}},
		{name: "unknown configuration is skipped", mutate: func(in *Input) {
			twoInputs(in)
			mutAction(in, 1, 0).UnknownAttrs = []string{"configuration"}
		}},
		{name: "CloudFormation template from an input passes", mutate: func(in *Input) {
			addStage(in.Pipeline, "Infra", cloudFormationDeploy(map[string]string{
				"ActionMode": "CREATE_UPDATE", "StackName": "app",
				"TemplatePath": "bin::template.yml", "TemplateConfiguration": "src::config.json",
			}, "bin", "src"))
		}},
		{name: "CloudFormation template from another artifact fails", mutate: func(in *Input) {
			addStage(in.Pipeline, "Infra", cloudFormationDeploy(map[string]string{
				"ActionMode": "CREATE_UPDATE", "StackName": "app", "TemplatePath": "src::template.yml",
			}, "bin"))
		}, want: []got{errAt("primary-source", infra+`.configuration["TemplatePath"]`)}},
		{name: "CloudFormation template configuration is checked too", mutate: func(in *Input) {
			addStage(in.Pipeline, "Infra", cloudFormationDeploy(map[string]string{
				"ActionMode": "CREATE_UPDATE", "StackName": "app",
				"TemplatePath": "bin::template.yml", "TemplateConfiguration": "cfg::prod.json",
			}, "bin"))
		}, want: []got{errAt("primary-source", infra+`.configuration["TemplateConfiguration"]`)}},
		{name: "CloudFormation template with no inputs fails", mutate: func(in *Input) {
			addStage(in.Pipeline, "Infra", cloudFormationDeploy(map[string]string{
				"ActionMode": "CREATE_UPDATE", "StackName": "app", "TemplatePath": "bin::template.yml",
			}))
		}, want: []got{errAt("primary-source", infra+`.configuration["TemplatePath"]`)}},
		{name: "CloudFormation path without an artifact prefix is not checked", mutate: func(in *Input) {
			addStage(in.Pipeline, "Infra", cloudFormationDeploy(map[string]string{
				"ActionMode": "CREATE_UPDATE", "StackName": "app", "TemplatePath": "template.yml",
			}, "bin"))
		}},
		{name: "CloudFormation unknown template path is skipped", mutate: func(in *Input) {
			addStage(in.Pipeline, "Infra", cloudFormationDeploy(map[string]string{
				"ActionMode": "CREATE_UPDATE", "StackName": "app", "TemplatePath": Unknown,
			}, "bin"))
		}},
	})
}

// TestActionRulesPassValidPipeline guards the shared fixture: every rule of this file accepts it.
func TestActionRulesPassValidPipeline(t *testing.T) {
	ids := []string{"config-required", "config-size", "action-type", "action-role-owner",
		"source-same-region", "timeout-approval-only", "namespace-unique", "primary-source"}
	in := Input{Pipeline: validPipeline(), Facts: Facts{AccountID: "111111111111", Region: "us-east-1"}}
	if fs := ValidateWith(in, Options{Only: ids}); len(fs) != 0 {
		t.Errorf("validPipeline has findings: %v", fs)
	}
}

// TestActionRulesTolerateEmptyInput: partial input must never panic.
func TestActionRulesTolerateEmptyInput(t *testing.T) {
	ids := []string{"config-required", "config-size", "action-type", "action-role-owner",
		"source-same-region", "timeout-approval-only", "namespace-unique", "primary-source"}
	for _, in := range []Input{
		{},
		{Pipeline: &Pipeline{}},
		{Pipeline: &Pipeline{Stages: []Stage{{}, {Actions: []Action{{}}}}}, Facts: Facts{Region: "us-east-1"}},
	} {
		ValidateWith(in, Options{Only: ids})
	}
}
