package main

import "strings"

// A frame places a snippet in a complete configuration, so that the test can check it with the
// same engine as `codepipeline check`: the docs show only the part that matters, the frame
// supplies the rest (providers, the artifact store, the stages around the snippet).
type frame struct {
	// Where says, in the docs, where the snippet goes; "" for a standalone snippet.
	Where string
	// Place returns the complete configuration with the snippet in place.
	Place func(snippet string) string
}

// pipelineAccountProvider is the provider configuration of the pipeline's account.
const pipelineAccountProvider = `
provider "codepipeline" {
  account_id = "111111111111"
  region     = "us-east-1"
}
`

// sourceStage is a Source stage with two sources, so that actions can read one or two inputs.
const sourceStage = `
  stage {
    name = "Source"
    action {
      name             = "Checkout"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["source"]
      configuration = {
        ConnectionArn    = "arn:aws:codestar-connections:us-east-1:111111111111:connection/example"
        FullRepositoryId = "acme/app"
        BranchName       = "main"
      }
    }
    action {
      name             = "Settings"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      output_artifacts = ["settings"]
      configuration = {
        RepositoryName = "app-settings"
        BranchName     = "main"
      }
    }
  }
`

// buildStage builds the source into the artifact "build".
const buildStage = `
  stage {
    name = "Build"
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

const localStoreBlock = `
  artifact_store {
    location = codepipeline_artifact_store.app.bucket
    type     = "S3"
  }
`

// pipeline is a single-account pipeline around body (its store block and stages).
func pipelineConfig(body string) string {
	return pipelineAccountProvider + `
resource "codepipeline_artifact_store" "app" {
  bucket = "app-artifacts"
}

resource "codepipeline_pipeline" "app" {
  name     = "app"
  role_arn = "arn:aws:iam::111111111111:role/pipeline"
` + body + `
}
`
}

var (
	standalone = frame{Place: func(s string) string { return pipelineAccountProvider + "\n" + s }}

	// allStages: the snippet is every stage of a pipeline.
	allStages = frame{Where: "the stages of a `codepipeline_pipeline`",
		Place: func(s string) string { return pipelineConfig(localStoreBlock + s) }}

	// firstStage: the snippet is the first stage, a Build stage follows.
	firstStage = frame{Where: "the first stage of a `codepipeline_pipeline`, before a Build stage reading `source`",
		Place: func(s string) string { return pipelineConfig(localStoreBlock + s + buildStage) }}

	// afterSource: the snippet is the stages after the Source stage.
	afterSource = frame{Where: "a `codepipeline_pipeline`, after a Source stage producing `source` and `settings`",
		Place: func(s string) string { return pipelineConfig(localStoreBlock + sourceStage + s) }}

	// buildAction: the snippet is the actions of the Build stage.
	buildAction = frame{Where: "the Build stage of a `codepipeline_pipeline` whose Source stage produces `source` and `settings`",
		Place: func(s string) string {
			return pipelineConfig(localStoreBlock + sourceStage + "\n  stage {\n    name = \"Build\"\n" + s + "\n  }\n")
		}}

	// pipelineArguments: the snippet is top-level arguments and blocks of a pipeline whose
	// stages are Source (action "Checkout", a CodeStarSourceConnection) and Build.
	pipelineArguments = frame{Where: "a `codepipeline_pipeline` whose Source stage has the CodeStarSourceConnection action `Checkout`",
		Place: func(s string) string { return pipelineConfig(localStoreBlock + s + sourceStage + buildStage) }}

	// storeBlock: the snippet is the pipeline's artifact_store blocks.
	storeBlock = frame{Where: "a `codepipeline_pipeline` (Source and Build stages, in the provider's region)",
		Place: func(s string) string { return pipelineConfig(s + sourceStage + buildStage) }}
)

// The cross-account frame: the pipeline account 111111111111 deploys through the role
// prod-deployer of account 222222222222. Each part can be replaced by a snippet.
type crossAccountParts struct {
	key, store, role, storeBlock, deployRole, thirdStages string
}

const literalKeyARN = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"

var crossAccountDefaults = crossAccountParts{
	key: `
resource "codepipeline_cross_account_key" "artifacts" {
  alias         = "alias/pipeline-artifacts"
  grantee_roles = ["arn:aws:iam::222222222222:role/prod-deployer"]
}
`,
	store: `
resource "codepipeline_artifact_store" "shared" {
  bucket              = "shared-artifacts"
  encryption_key_arn  = codepipeline_cross_account_key.artifacts.arn
  cross_account_roles = ["arn:aws:iam::222222222222:role/prod-deployer"]
}
`,
	role: `
resource "codepipeline_cross_account_role" "prod_deployer" {
  provider = codepipeline.prod

  name                = "prod-deployer"
  trusted_account_id  = "111111111111"
  artifact_bucket_arn = codepipeline_artifact_store.shared.arn
  key_arn             = codepipeline_cross_account_key.artifacts.arn
}
`,
	storeBlock: `
  artifact_store {
    location = codepipeline_artifact_store.shared.bucket
    type     = "S3"
    encryption_key {
      id   = codepipeline_cross_account_key.artifacts.arn
      type = "KMS"
    }
  }
`,
	deployRole: "codepipeline_cross_account_role.prod_deployer.arn",
}

func (p crossAccountParts) config() string {
	deploy := `
  stage {
    name = "Deploy"
    action {
      name            = "Prod"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "S3"
      version         = "1"
      input_artifacts = ["build"]
      role_arn        = ` + p.deployRole + `
      configuration = {
        BucketName = "prod-site"
        Extract    = "true"
      }
    }
  }
`
	if p.thirdStages != "" {
		deploy = p.thirdStages
	}
	return pipelineAccountProvider + `
provider "codepipeline" {
  alias      = "prod"
  account_id = "222222222222"
  region     = "us-east-1"
}

provider "aws" {
  alias               = "prod"
  region              = "us-east-1"
  allowed_account_ids = ["222222222222"]
}
` + p.key + p.store + p.role + `
resource "codepipeline_pipeline" "app" {
  name     = "app"
  role_arn = "arn:aws:iam::111111111111:role/pipeline"
` + p.storeBlock + sourceStage + buildStage + deploy + `
}
`
}

// crossAccount returns the cross-account frame whose part set replaces (set writes the
// snippet into a copy of the defaults).
func crossAccount(where string, set func(p *crossAccountParts, snippet string)) frame {
	return frame{Where: where, Place: func(s string) string {
		p := crossAccountDefaults
		set(&p, s)
		return p.config()
	}}
}

var (
	crossAccountKey = crossAccount("a cross-account setup: account 111111111111's pipeline deploys through role `prod-deployer` of account 222222222222",
		func(p *crossAccountParts, s string) { p.key = s })
	crossAccountStore = crossAccount("a cross-account setup: account 111111111111's pipeline deploys through role `prod-deployer` of account 222222222222",
		func(p *crossAccountParts, s string) { p.store = s })
	crossAccountStoreBlock = crossAccount("a cross-account `codepipeline_pipeline` deploying through role `prod-deployer` of account 222222222222",
		func(p *crossAccountParts, s string) { p.storeBlock = s })
	// crossAccountIAMRole: the target role is the AWS provider's aws_iam_role
	// "prod_deployer", created in account 222222222222, and the key is named by a literal ARN
	// (the check engine cannot know the ARN of a key created in the same configuration).
	crossAccountIAMRole = crossAccount("a cross-account setup whose deploy action uses `aws_iam_role.prod_deployer.arn` (`provider \"aws\" { alias = \"prod\" }` is account 222222222222) and whose artifact key is `arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab`",
		func(p *crossAccountParts, s string) {
			p.role, p.deployRole = s, "aws_iam_role.prod_deployer.arn"
			p.storeBlock = strings.ReplaceAll(p.storeBlock, "codepipeline_cross_account_key.artifacts.arn", `"`+literalKeyARN+`"`)
		})
	// crossAccountStages: the snippet replaces the Deploy stage.
	crossAccountStages = crossAccount("a `codepipeline_pipeline` of account 111111111111 with a customer-managed key, after its Source and Build stages",
		func(p *crossAccountParts, s string) {
			p.thirdStages = s
			// A second target account, 333333333333, whose role the key and store grant too.
			p.key = strings.ReplaceAll(p.key, `grantee_roles = [`, `grantee_roles = ["arn:aws:iam::333333333333:role/archiver", `)
			p.store = strings.ReplaceAll(p.store, `cross_account_roles = [`, `cross_account_roles = ["arn:aws:iam::333333333333:role/archiver", `)
		})
)

// trimSnippet removes the blank lines around a snippet as written in Go source.
func trimSnippet(s string) string { return strings.Trim(s, "\n") + "\n" }
