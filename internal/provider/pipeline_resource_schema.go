package provider

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// The pipeline schema mirrors aws_codepipeline's block and attribute names, so that moving a
// pipeline over is a change of resource type. Most value checks are rules of the catalogue
// (so their diagnostics carry a rule ID); the schema only checks closed enums.

func pipelineSchema() schema.Schema {
	return schema.Schema{
		Description: "A pipeline: stages of actions, artifacts flowing between them through the artifact store. " +
			"Every rule of the catalogue is checked at plan time; rules that need facts about the stores, keys and roles " +
			"the pipeline names are checked against the backend, and again before anything is changed at apply.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, Description: "The pipeline name.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required: true, Description: "Name of the pipeline (1–100 characters of `A-Za-z0-9.@_-`). Changing it replaces the pipeline.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"role_arn": schema.StringAttribute{
				Required:    true,
				Description: "ARN of the pipeline's service role, in the pipeline's account.",
			},
			"pipeline_type": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString(pipeline.PipelineTypeV2),
				Description: fmt.Sprintf("Pipeline type: one of %s. Defaults to `%s` (an improvement over aws_codepipeline's V1): "+
					"triggers, variables and the QUEUED and PARALLEL modes need it.", quotedList(pipeline.PipelineTypes), pipeline.PipelineTypeV2),
				Validators: []validator.String{stringvalidator.OneOf(pipeline.PipelineTypes...)},
			},
			"execution_mode": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString(pipeline.ExecutionModeSuperseded),
				Description: fmt.Sprintf("How runs that overlap are handled: one of %s. Defaults to `%s`.",
					quotedList(pipeline.ExecutionModes), pipeline.ExecutionModeSuperseded),
				Validators: []validator.String{stringvalidator.OneOf(pipeline.ExecutionModes...)},
			},
			"tags": schema.MapAttribute{
				Optional: true, ElementType: types.StringType, Description: "Tags of the pipeline.",
			},
			"arn": schema.StringAttribute{
				Computed: true, Description: "ARN of the pipeline, known at plan.",
			},
			"version": schema.Int64Attribute{
				Computed: true, Description: "Version of the stored definition: 1 on create, incremented by each update, as in CodePipeline.",
			},
		},
		Blocks: map[string]schema.Block{
			"artifact_store": artifactStoreBlock(),
			"stage":          stageBlock(),
			"trigger":        triggerBlock(),
			"variable":       variableBlock(),
		},
	}
}

func artifactStoreBlock() schema.ListNestedBlock {
	return schema.ListNestedBlock{
		Description: "Where the pipeline's artifacts go. One block for a single-region pipeline (without `region`); " +
			"one block per region, each naming its region, for a cross-region pipeline (`[store-region]`).",
		NestedObject: schema.NestedBlockObject{
			Attributes: map[string]schema.Attribute{
				"location": schema.StringAttribute{
					Required:    true,
					Description: "Name of the artifact bucket (`codepipeline_artifact_store.bucket`); its versioning is mandatory (`[store-versioning]`).",
				},
				"type": schema.StringAttribute{
					Required: true, Description: fmt.Sprintf("Type of the store: %s.", quotedList(pipeline.ArtifactStoreTypes)),
					Validators: []validator.String{stringvalidator.OneOf(pipeline.ArtifactStoreTypes...)},
				},
				"region": schema.StringAttribute{
					Optional: true, Description: "Region of the store; only for cross-region pipelines, where every block names one.",
				},
			},
			Blocks: map[string]schema.Block{
				"encryption_key": schema.ListNestedBlock{
					Description: "The key that encrypts the artifacts. Without it, the account's AWS-managed `aws/s3` key is used, " +
						"which no other account can use: cross-account actions need a customer-managed key named by its full ARN " +
						"(`[xacct-cmk-required]`, `[xacct-key-by-arn]`).",
					Validators: []validator.List{listvalidator.SizeAtMost(1)},
					NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
						"id": schema.StringAttribute{Required: true, Description: "The key ARN (or, within one account, a key id or alias)."},
						"type": schema.StringAttribute{
							Required: true, Description: fmt.Sprintf("Type of the key: %s.", quotedList(pipeline.EncryptionKeyTypes)),
							Validators: []validator.String{stringvalidator.OneOf(pipeline.EncryptionKeyTypes...)},
						},
					}},
				},
			},
		},
	}
}

func stageBlock() schema.ListNestedBlock {
	return schema.ListNestedBlock{
		Description: "A stage: 2 to 50 per pipeline, run in order. The first holds only Source actions.",
		NestedObject: schema.NestedBlockObject{
			Attributes: map[string]schema.Attribute{
				"name": schema.StringAttribute{Required: true, Description: "Name of the stage, unique in the pipeline."},
			},
			Blocks: map[string]schema.Block{
				"before_entry": conditionsBlock(pipeline.ConditionBeforeEntry,
					"Checked before a run enters the stage (V2): when the condition fails, the stage fails or is skipped."),
				"on_success": conditionsBlock(pipeline.ConditionOnSuccess,
					"Checked once the stage's actions succeeded (V2): when the condition fails, the stage fails or is rolled back."),
				"on_failure": onFailureBlock(),
				"action":     actionBlock(),
			},
		},
	}
}

// conditionsBlock is a stage's before_entry or on_success block: one condition.
func conditionsBlock(conditionType, description string) schema.ListNestedBlock {
	return schema.ListNestedBlock{
		Description: description,
		Validators:  []validator.List{listvalidator.SizeAtMost(1)},
		NestedObject: schema.NestedBlockObject{Blocks: map[string]schema.Block{
			"condition": conditionBlock(conditionType, true),
		}},
	}
}

func onFailureBlock() schema.ListNestedBlock {
	return schema.ListNestedBlock{
		Description: "What happens when the stage fails (V2): retry it once automatically, roll it back to the last execution " +
			"that succeeded in it, or, with a condition, roll it back when the condition fails (`[condition-result]`, `[stage-retry]`).",
		Validators: []validator.List{listvalidator.SizeAtMost(1)},
		NestedObject: schema.NestedBlockObject{
			Attributes: map[string]schema.Attribute{
				"result": schema.StringAttribute{
					Optional: true, Description: fmt.Sprintf("One of %s. `RETRY` needs a `retry_configuration`.", quotedList(pipeline.OnFailureResults)),
				},
			},
			Blocks: map[string]schema.Block{
				"condition": conditionBlock(pipeline.ConditionOnFailure, false),
				"retry_configuration": schema.ListNestedBlock{
					Description: "Which actions the automatic retry of a `RETRY` result runs again; CodePipeline retries a stage once automatically.",
					Validators:  []validator.List{listvalidator.SizeAtMost(1)},
					NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
						"retry_mode": schema.StringAttribute{
							Optional: true, Description: fmt.Sprintf("One of %s (the failed actions, the default, or all of the stage's actions).", quotedList(pipeline.RetryModes)),
						},
					}},
				},
			},
		},
	}
}

// conditionBlock is a condition: its result and its rules. Before entry and on success the
// block is required, as in CodePipeline's API (a condition list of one).
func conditionBlock(conditionType string, required bool) schema.ListNestedBlock {
	results := pipeline.ConditionResultsAt(conditionType)
	var size validator.List = listvalidator.SizeAtMost(1)
	if required {
		size = listvalidator.SizeBetween(1, 1)
	}
	return schema.ListNestedBlock{
		Description: "The condition: rules checked together; it fails when any of them fails (`[condition-rules]`).",
		Validators:  []validator.List{size},
		NestedObject: schema.NestedBlockObject{
			Attributes: map[string]schema.Attribute{
				"result": schema.StringAttribute{
					Optional: true,
					Description: fmt.Sprintf("What happens when the condition fails: %s; `%s` when unset (`[condition-result]`).",
						quotedList(results), results[0]),
				},
			},
			Blocks: map[string]schema.Block{"rule": ruleBlock()},
		},
	}
}

func ruleBlock() schema.ListNestedBlock {
	return schema.ListNestedBlock{
		Description: fmt.Sprintf("A rule of the condition: 1 to %d per condition.", pipeline.MaxConditionRules),
		NestedObject: schema.NestedBlockObject{
			Attributes: map[string]schema.Attribute{
				"name": schema.StringAttribute{Required: true, Description: "Name of the rule, unique in its condition."},
				"configuration": schema.MapAttribute{
					Optional: true, ElementType: types.StringType,
					Description: "Configuration of the rule; the keys depend on its type (`[condition-rule-config]`): " + ruleTypesDoc() + ".",
				},
				"input_artifacts": schema.ListAttribute{
					Optional: true, ElementType: types.StringType,
					Description: "Artifacts the rule reads: outputs of earlier stages (and, on success or failure, of this stage).",
				},
				"commands": schema.ListAttribute{
					Optional: true, ElementType: types.StringType,
					Description: fmt.Sprintf("Shell commands of a `Commands` rule (1 to %d, one line each).", pipeline.MaxCommands),
				},
				"region":   schema.StringAttribute{Optional: true, Description: "Region the rule runs in."},
				"role_arn": schema.StringAttribute{Optional: true, Description: "Role the rule acts as."},
				"timeout_in_minutes": schema.Int64Attribute{
					Optional:    true,
					Description: fmt.Sprintf("Timeout of the rule (%d–%d minutes).", pipeline.MinRuleTimeout, pipeline.MaxRuleTimeout),
				},
			},
			Blocks: map[string]schema.Block{
				"rule_type_id": schema.ListNestedBlock{
					Description: "The type of the rule (`[condition-rule-type]`).",
					Validators:  []validator.List{listvalidator.SizeBetween(1, 1)},
					NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
						"category": schema.StringAttribute{Required: true, Description: fmt.Sprintf("Category: %s.", quotedList(pipeline.RuleCategories))},
						"owner":    schema.StringAttribute{Optional: true, Description: fmt.Sprintf("Owner: %s.", quotedList(pipeline.RuleOwners))},
						"provider": schema.StringAttribute{Required: true, Description: fmt.Sprintf("Provider: one of %s.", quotedList(pipeline.RuleProviders()))},
						"version":  schema.StringAttribute{Optional: true, Description: fmt.Sprintf("Version: %q.", pipeline.RuleVersion1)},
					}},
				},
			},
		},
	}
}

// ruleTypesDoc lists each rule type's configuration keys, required ones first, from the rule
// type table.
func ruleTypesDoc() string {
	var parts []string
	for _, t := range pipeline.RuleTypes {
		var keys []string
		for _, k := range t.Config {
			if k.Required {
				keys = append(keys, "`"+k.Name+"`")
			}
		}
		for _, k := range t.Config {
			if !k.Required {
				keys = append(keys, "`"+k.Name+"` (optional)")
			}
		}
		if t.Commands {
			keys = append(keys, "none (it runs `commands`)")
		}
		parts = append(parts, t.Provider+": "+strings.Join(keys, ", "))
	}
	return strings.Join(parts, "; ")
}

func actionBlock() schema.ListNestedBlock {
	return schema.ListNestedBlock{
		Description: "An action: 1 to 50 per stage. Actions with the same `run_order` run in parallel; groups run in ascending order.",
		NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
			"name":     schema.StringAttribute{Required: true, Description: "Name of the action, unique in its stage."},
			"category": schema.StringAttribute{Required: true, Description: fmt.Sprintf("Category: one of %s.", quotedList(pipeline.Categories))},
			"owner":    schema.StringAttribute{Required: true, Description: fmt.Sprintf("Owner: one of %s.", quotedList(pipeline.Owners))},
			"provider": schema.StringAttribute{Required: true, Description: "Provider of the action, known for its category and owner: " + knownProvidersDoc() + "."},
			"version":  schema.StringAttribute{Required: true, Description: "Version of the action type, usually `1`."},
			"run_order": schema.Int64Attribute{
				Optional: true, Computed: true, Default: int64default.StaticInt64(1),
				Description: "Position of the action's group in the stage (1–999, default 1).",
			},
			"configuration": schema.MapAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "Configuration of the action; the required keys depend on the action type (`[config-required]`).",
			},
			"input_artifacts": schema.ListAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "Artifacts the action reads: each is the output of an action of an earlier stage or of a lower `run_order` in this stage.",
			},
			"output_artifacts": schema.ListAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "Artifacts the action writes; each name is produced by exactly one action of the pipeline.",
			},
			"role_arn": schema.StringAttribute{
				Optional:    true,
				Description: "Role the action assumes; in another account, this makes the action cross-account (AWS-owned actions only).",
			},
			"region":    schema.StringAttribute{Optional: true, Description: "Region the action runs in; it needs an artifact store in that region."},
			"namespace": schema.StringAttribute{Optional: true, Description: "Namespace of the action's output variables, unique in the pipeline."},
			"timeout_in_minutes": schema.Int64Attribute{
				Optional: true, Description: "Timeout of the action (5–86400 minutes; Approval/Manual actions only).",
			},
			"commands": schema.ListAttribute{
				Optional: true, ElementType: types.StringType,
				Description: fmt.Sprintf("Shell commands of a `Commands` action (1 to %d, one line each, run in order in one shell; `[commands-action]`). "+
					"They replace `configuration.Commands`, which still runs locally but is deprecated (`[commands-in-configuration]`).", pipeline.MaxCommands),
			},
			"output_variables": schema.ListAttribute{
				Optional: true, ElementType: types.StringType,
				Description: fmt.Sprintf("Environment variables a `Commands` action exports as its output variables (1 to %d names).", pipeline.MaxOutputVariables),
			},
		}},
	}
}

func triggerBlock() schema.ListNestedBlock {
	globs := func(what string) schema.ListNestedBlock {
		return schema.ListNestedBlock{
			Description: fmt.Sprintf("Glob patterns of %s that start the pipeline (includes) or not (excludes).", what),
			Validators:  []validator.List{listvalidator.SizeAtMost(1)},
			NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
				"includes": schema.ListAttribute{Optional: true, ElementType: types.StringType, Description: "Patterns to include (1–8)."},
				"excludes": schema.ListAttribute{Optional: true, ElementType: types.StringType, Description: "Patterns to exclude (1–8)."},
			}},
		}
	}
	return schema.ListNestedBlock{
		Description: "A git trigger (V2): which pushes and pull requests on a source action's repository start the pipeline.",
		NestedObject: schema.NestedBlockObject{
			Attributes: map[string]schema.Attribute{
				"provider_type": schema.StringAttribute{
					Required: true, Description: fmt.Sprintf("One of %s.", quotedList(pipeline.TriggerProviderTypes)),
				},
			},
			Blocks: map[string]schema.Block{
				"git_configuration": schema.ListNestedBlock{
					Description: "The source action and the filters.",
					Validators:  []validator.List{listvalidator.SizeAtMost(1)},
					NestedObject: schema.NestedBlockObject{
						Attributes: map[string]schema.Attribute{
							"source_action_name": schema.StringAttribute{Required: true, Description: "Name of the Source action the trigger watches."},
						},
						Blocks: map[string]schema.Block{
							"push": schema.ListNestedBlock{
								Description: "Push filters (1–3): branches or tags; file paths need branches.",
								NestedObject: schema.NestedBlockObject{Blocks: map[string]schema.Block{
									"branches": globs("branches"), "tags": globs("tags"), "file_paths": globs("file paths"),
								}},
							},
							"pull_request": schema.ListNestedBlock{
								Description: "Pull request filters (1–3): branches required.",
								NestedObject: schema.NestedBlockObject{
									Attributes: map[string]schema.Attribute{
										"events": schema.ListAttribute{
											Optional: true, ElementType: types.StringType,
											Description: fmt.Sprintf("Events that start the pipeline: some of %s.", quotedList(pipeline.PullRequestEvents)),
										},
									},
									Blocks: map[string]schema.Block{"branches": globs("branches"), "file_paths": globs("file paths")},
								},
							},
						},
					},
				},
			},
		},
	}
}

func variableBlock() schema.ListNestedBlock {
	return schema.ListNestedBlock{
		Description: "A pipeline variable (V2), referenced in action configuration as `#{variables.NAME}`.",
		NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
			"name":          schema.StringAttribute{Required: true, Description: "Name of the variable (1–128 characters of `A-Za-z0-9@_-`)."},
			"default_value": schema.StringAttribute{Optional: true, Description: "Default value (1–1000 characters)."},
			"description":   schema.StringAttribute{Optional: true, Description: "Description (at most 200 characters)."},
		}},
	}
}

// knownProvidersDoc lists the known providers by category, from the action type table.
func knownProvidersDoc() string {
	var parts []string
	for _, c := range pipeline.Categories {
		for _, o := range []string{pipeline.OwnerAWS, pipeline.OwnerThirdParty} {
			if ps := pipeline.ProvidersFor(c, o); len(ps) > 0 {
				parts = append(parts, fmt.Sprintf("%s/%s: %s", c, o, quotedList(ps)))
			}
		}
	}
	return strings.Join(parts, "; ") + "; any provider for `Custom`"
}
