package main

// The snippets of the rules of stage conditions and Commands actions, added to snippets.

func init() {
	for id, s := range conditionSnippets {
		if _, dup := snippets[id]; dup {
			panic("rulesdoc: two snippets for " + id)
		}
		snippets[id] = s
	}
}

// deployStage is a Deploy stage publishing the source, with conditions before its action.
func deployStage(conditions string) string {
	return `
stage {
  name = "Deploy"
` + conditions + `
  action {
    name            = "Publish"
    category        = "Deploy"
    owner           = "AWS"
    provider        = "S3"
    version         = "1"
    input_artifacts = ["source"]
    configuration = {
      BucketName = "app-site"
      Extract    = "true"
    }
  }
}
`
}

// windowRule is a DeploymentWindow rule with the given cron expression and provider name.
func windowRule(indent, provider, cron string) string {
	return indent + `rule {
` + indent + `  name = "OfficeHours"
` + indent + `  rule_type_id {
` + indent + `    category = "Rule"
` + indent + `    owner    = "AWS"
` + indent + `    provider = "` + provider + `"
` + indent + `    version  = "1"
` + indent + `  }
` + indent + `  configuration = {
` + indent + `    Cron     = "` + cron + `"
` + indent + `    TimeZone = "Europe/Paris"
` + indent + `  }
` + indent + `}`
}

// beforeEntry is a before_entry block with result and a deployment window rule.
func beforeEntry(result, provider, cron string) string {
	return `  before_entry {
    condition {
      result = "` + result + `"
` + windowRule("      ", provider, cron) + `
    }
  }`
}

const officeHours = "* * 9-16 ? * MON-FRI"

// commandsRule is a Commands rule reading the artifact in.
func commandsRule(name, in string) string {
	return `      rule {
        name = "` + name + `"
        rule_type_id {
          category = "Rule"
          owner    = "AWS"
          provider = "Commands"
          version  = "1"
        }
        input_artifacts = ["` + in + `"]
        commands        = ["./scripts/smoke-test.sh"]
      }`
}

// buildStageWith is a Build stage producing "build", with conditions.
func buildStageWith(conditions string) string {
	return `
stage {
  name = "Build"
` + conditions + `
  action {
    name             = "Compile"
    category         = "Build"
    owner            = "AWS"
    provider         = "CodeBuild"
    version          = "1"
    input_artifacts  = ["source"]
    output_artifacts = ["build"]
    configuration = {
      ProjectName = "app"
    }
  }
}
`
}

var conditionSnippets = map[string]snippet{
	"condition-result": {
		Frame: afterSource, Resources: []string{pipelineResource},
		Bad:   deployStage(beforeEntry("ROLLBACK", "DeploymentWindow", officeHours)),
		Fixed: deployStage(beforeEntry("FAIL", "DeploymentWindow", officeHours)),
	},
	"stage-retry": {
		Frame: afterSource, Resources: []string{pipelineResource},
		Bad: deployStage(`  on_failure {
    result = "RETRY"
  }`),
		Fixed: deployStage(`  on_failure {
    result = "RETRY"
    retry_configuration {
      retry_mode = "FAILED_ACTIONS"
    }
  }`),
	},
	"condition-rules": {
		Frame: afterSource, Resources: []string{pipelineResource},
		Bad: buildStageWith(`  on_success {
    condition {
      result = "FAIL"
` + commandsRule("Smoke", "build") + `
` + commandsRule("Smoke", "source") + `
    }
  }`),
		Fixed: buildStageWith(`  on_success {
    condition {
      result = "FAIL"
` + commandsRule("SmokeBuild", "build") + `
` + commandsRule("SmokeSource", "source") + `
    }
  }`),
	},
	"condition-rule-type": {
		Frame: afterSource, Resources: []string{pipelineResource},
		Bad:   deployStage(beforeEntry("FAIL", "DeployWindow", officeHours)),
		Fixed: deployStage(beforeEntry("FAIL", "DeploymentWindow", officeHours)),
	},
	"condition-rule-config": {
		Frame: afterSource, Resources: []string{pipelineResource},
		// A five-field Unix cron: CodePipeline's has seconds first and ? in a day field.
		Bad:   deployStage(beforeEntry("FAIL", "DeploymentWindow", "* 9-16 * * 1-5")),
		Fixed: deployStage(beforeEntry("FAIL", "DeploymentWindow", officeHours)),
	},
	"condition-rule-inputs": {
		Frame: afterSource, Resources: []string{pipelineResource},
		Bad: buildStageWith(`  before_entry {
    condition {
` + commandsRule("Smoke", "build") + `
    }
  }`),
		Fixed: buildStageWith(`  on_success {
    condition {
` + commandsRule("Smoke", "build") + `
    }
  }`),
	},
	"commands-action": {
		Frame: buildAction, Resources: []string{pipelineResource},
		Bad: `
action {
  name            = "Test"
  category        = "Compute"
  owner           = "AWS"
  provider        = "Commands"
  version         = "1"
  input_artifacts = ["source"]
  commands        = ["npm ci\nnpm test"]
}
`,
		Fixed: `
action {
  name            = "Test"
  category        = "Compute"
  owner           = "AWS"
  provider        = "Commands"
  version         = "1"
  input_artifacts = ["source"]
  commands        = ["npm ci", "npm test"]
}
`,
	},
	"commands-in-configuration": {
		Frame: buildAction, Resources: []string{pipelineResource},
		Bad: `
action {
  name            = "Test"
  category        = "Compute"
  owner           = "AWS"
  provider        = "Commands"
  version         = "1"
  input_artifacts = ["source"]
  configuration = {
    Commands = "npm ci\nnpm test"
  }
}
`,
		Fixed: `
action {
  name            = "Test"
  category        = "Compute"
  owner           = "AWS"
  provider        = "Commands"
  version         = "1"
  input_artifacts = ["source"]
  commands        = ["npm ci", "npm test"]
}
`,
	},
}
