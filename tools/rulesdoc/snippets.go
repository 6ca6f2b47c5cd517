package main

// The resource types whose diagnostics report a rule (the check command runs every rule).
const (
	pipelineResource = "codepipeline_pipeline"
	storeResource    = "codepipeline_artifact_store"
	keyResource      = "codepipeline_cross_account_key"
)

// snippet is the example of one rule in the rules guide: a configuration that breaks it and the
// same configuration fixed. The test places both in their frame and runs the check engine:
// Bad must report the rule, Fixed must report nothing at all.
type snippet struct {
	Frame      frame
	Bad, Fixed string
	// Resources are the resource types whose plan (or apply) reports the rule; none for a rule
	// that only `codepipeline check` runs so far.
	Resources []string
}

// snippets holds one snippet per rule ID of the catalogue; a test fails when one is missing.
var snippets = map[string]snippet{
	"action-role-owner": {
		Frame: buildAction, Resources: []string{pipelineResource},
		Bad: `
action {
  name            = "Jenkins"
  category        = "Build"
  owner           = "Custom"
  provider        = "JenkinsBuild"
  version         = "1"
  input_artifacts = ["source"]
  role_arn        = "arn:aws:iam::111111111111:role/jenkins"
  configuration = {
    ProjectName = "app"
  }
}
`,
		Fixed: `
action {
  name            = "Jenkins"
  category        = "Build"
  owner           = "Custom"
  provider        = "JenkinsBuild"
  version         = "1"
  input_artifacts = ["source"]
  # No role_arn: only AWS-owned actions assume a role.
  configuration = {
    ProjectName = "app"
  }
}
`,
	},
	"action-type": {
		Frame: buildAction, Resources: []string{pipelineResource},
		Bad: `
action {
  name            = "Compile"
  category        = "Build"
  owner           = "AWS"
  provider        = "Codebuild"
  version         = "1"
  input_artifacts = ["source"]
  configuration = {
    ProjectName = "app"
  }
}
`,
		Fixed: `
action {
  name            = "Compile"
  category        = "Build"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["source"]
  configuration = {
    ProjectName = "app"
  }
}
`,
	},
	"action-unique": {
		Frame: buildAction, Resources: []string{pipelineResource},
		Bad: `
action {
  name            = "Check"
  category        = "Test"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["source"]
  configuration = {
    ProjectName = "app-unit-tests"
  }
}
action {
  name            = "Check"
  category        = "Test"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["source"]
  configuration = {
    ProjectName = "app-lint"
  }
}
`,
		Fixed: `
action {
  name            = "Unit"
  category        = "Test"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["source"]
  configuration = {
    ProjectName = "app-unit-tests"
  }
}
action {
  name            = "Lint"
  category        = "Test"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["source"]
  configuration = {
    ProjectName = "app-lint"
  }
}
`,
	},
	"artifact-count": {
		Frame: afterSource, Resources: []string{pipelineResource},
		Bad: `
stage {
  name = "Deploy"
  action {
    name            = "Publish"
    category        = "Deploy"
    owner           = "AWS"
    provider        = "S3"
    version         = "1"
    input_artifacts = ["source", "settings"]
    configuration = {
      BucketName = "app-site"
      Extract    = "true"
    }
  }
}
`,
		Fixed: `
stage {
  name = "Deploy"
  action {
    name            = "Publish"
    category        = "Deploy"
    owner           = "AWS"
    provider        = "S3"
    version         = "1"
    input_artifacts = ["source"] # Deploy/S3 takes exactly one input
    configuration = {
      BucketName = "app-site"
      Extract    = "true"
    }
  }
}
`,
	},
	"artifact-produced-before": {
		Frame: buildAction, Resources: []string{pipelineResource},
		Bad: `
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
action {
  name            = "Package"
  category        = "Build"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["build"] # produced by Compile, which runs in parallel
  configuration = {
    ProjectName = "app-package"
  }
}
`,
		Fixed: `
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
action {
  name            = "Package"
  category        = "Build"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  run_order       = 2 # after Compile
  input_artifacts = ["build"]
  configuration = {
    ProjectName = "app-package"
  }
}
`,
	},
	"artifact-unique": {
		Frame: buildAction, Resources: []string{pipelineResource},
		Bad: `
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
action {
  name             = "Docs"
  category         = "Build"
  owner            = "AWS"
  provider         = "CodeBuild"
  version          = "1"
  input_artifacts  = ["source"]
  output_artifacts = ["build"]
  configuration = {
    ProjectName = "app-docs"
  }
}
`,
		Fixed: `
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
action {
  name             = "Docs"
  category         = "Build"
  owner            = "AWS"
  provider         = "CodeBuild"
  version          = "1"
  input_artifacts  = ["source"]
  output_artifacts = ["docs"]
  configuration = {
    ProjectName = "app-docs"
  }
}
`,
	},
	"config-required": {
		Frame: buildAction, Resources: []string{pipelineResource},
		Bad: `
action {
  name            = "Compile"
  category        = "Build"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["source"]
}
`,
		Fixed: `
action {
  name            = "Compile"
  category        = "Build"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["source"]
  configuration = {
    ProjectName = "app"
  }
}
`,
	},
	"config-nul": {
		Frame: buildAction, Resources: []string{pipelineResource},
		Bad: `
action {
  name            = "Test"
  category        = "Compute"
  owner           = "AWS"
  provider        = "Commands"
  version         = "1"
  input_artifacts = ["source"]
  commands        = ["make test\u0000 lint"]
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
  commands        = ["make test lint"] # a shell would have dropped the NUL and run "make testlint"
}
`,
	},
	"config-size": {
		Frame: buildAction, Resources: []string{pipelineResource},
		Bad: `
action {
  name            = "Compile"
  category        = "Build"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["source"]
  configuration = {
    ProjectName          = "app"
    EnvironmentVariables = ""
  }
}
`,
		Fixed: `
action {
  name            = "Compile"
  category        = "Build"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["source"]
  configuration = {
    ProjectName = "app"
    EnvironmentVariables = jsonencode([
      { name = "STAGE", value = "prod", type = "PLAINTEXT" },
    ])
  }
}
`,
	},
	"first-stage-source": {
		Frame: firstStage, Resources: []string{pipelineResource},
		Bad: `
stage {
  name = "Source"
  action {
    name             = "Checkout"
    category         = "Source"
    owner            = "AWS"
    provider         = "CodeCommit"
    version          = "1"
    output_artifacts = ["source"]
    configuration = {
      RepositoryName = "app"
      BranchName     = "main"
    }
  }
  action {
    name            = "Lint"
    category        = "Test"
    owner           = "AWS"
    provider        = "CodeBuild"
    version         = "1"
    run_order       = 2
    input_artifacts = ["source"]
    configuration = {
      ProjectName = "app-lint"
    }
  }
}
`,
		Fixed: `
stage {
  name = "Source"
  action {
    name             = "Checkout"
    category         = "Source"
    owner            = "AWS"
    provider         = "CodeCommit"
    version          = "1"
    output_artifacts = ["source"]
    configuration = {
      RepositoryName = "app"
      BranchName     = "main"
    }
  }
  # Lint moves to a later stage.
}
`,
	},
	"key-rotation": {
		Frame: standalone, Resources: []string{keyResource, pipelineResource},
		Bad: `
resource "codepipeline_cross_account_key" "artifacts" {
  alias               = "alias/pipeline-artifacts"
  enable_key_rotation = false
}
`,
		Fixed: `
resource "codepipeline_cross_account_key" "artifacts" {
  alias               = "alias/pipeline-artifacts"
  enable_key_rotation = true # the default
}
`,
	},
	"name-dot-segment": {
		Frame: afterSource, Resources: []string{pipelineResource},
		Bad: `
stage {
  name = ".."
  action {
    name            = "Compile"
    category        = "Build"
    owner           = "AWS"
    provider        = "CodeBuild"
    version         = "1"
    input_artifacts = ["source"]
    configuration = {
      ProjectName = "app"
    }
  }
}
`,
		Fixed: `
stage {
  name = "Build" # AWS accepts "." and "..", but they are path elements
  action {
    name            = "Compile"
    category        = "Build"
    owner           = "AWS"
    provider        = "CodeBuild"
    version         = "1"
    input_artifacts = ["source"]
    configuration = {
      ProjectName = "app"
    }
  }
}
`,
	},
	"name-format": {
		Frame: buildAction, Resources: []string{pipelineResource},
		Bad: `
action {
  name             = "Compile"
  category         = "Build"
  owner            = "AWS"
  provider         = "CodeBuild"
  version          = "1"
  input_artifacts  = ["source"]
  output_artifacts = ["app.zip"]
  configuration = {
    ProjectName = "app"
  }
}
`,
		Fixed: `
action {
  name             = "Compile"
  category         = "Build"
  owner            = "AWS"
  provider         = "CodeBuild"
  version          = "1"
  input_artifacts  = ["source"]
  output_artifacts = ["app_zip"] # artifact names allow A-Za-z0-9_- only
  configuration = {
    ProjectName = "app"
  }
}
`,
	},
	"namespace-unique": {
		Frame: buildAction, Resources: []string{pipelineResource},
		Bad: `
action {
  name            = "Compile"
  category        = "Build"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["source"]
  namespace       = "Build"
  configuration = {
    ProjectName = "app"
  }
}
action {
  name            = "Docs"
  category        = "Build"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["source"]
  namespace       = "Build"
  configuration = {
    ProjectName = "app-docs"
  }
}
`,
		Fixed: `
action {
  name            = "Compile"
  category        = "Build"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["source"]
  namespace       = "Build"
  configuration = {
    ProjectName = "app"
  }
}
action {
  name            = "Docs"
  category        = "Build"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["source"]
  namespace       = "Docs"
  configuration = {
    ProjectName = "app-docs"
  }
}
`,
	},
	"needs-non-source": {
		Frame: afterSource, Resources: []string{pipelineResource},
		Bad: `
stage {
  name = "Mirror"
  action {
    name             = "Mirror"
    category         = "Source"
    owner            = "AWS"
    provider         = "S3"
    version          = "1"
    output_artifacts = ["mirror"]
    configuration = {
      S3Bucket    = "app-mirror"
      S3ObjectKey = "app.zip"
    }
  }
}
`,
		Fixed: `
stage {
  name = "Mirror"
  action {
    name            = "Mirror"
    category        = "Deploy"
    owner           = "AWS"
    provider        = "S3"
    version         = "1"
    input_artifacts = ["source"]
    configuration = {
      BucketName = "app-mirror"
      Extract    = "false"
      ObjectKey  = "app.zip"
    }
  }
}
`,
	},
	"parallel-no-rollback": {
		Frame: afterSource, Resources: []string{pipelineResource},
		Bad: `
execution_mode = "PARALLEL"

stage {
  name = "Deploy"
  on_failure {
    result = "ROLLBACK"
  }
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
`,
		Fixed: `
execution_mode = "PARALLEL"

stage {
  name = "Deploy"
  on_failure {
    result = "FAIL"
  }
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
`,
	},
	"polling-deprecated": {
		Frame: firstStage, Resources: []string{pipelineResource},
		Bad: `
stage {
  name = "Source"
  action {
    name             = "Checkout"
    category         = "Source"
    owner            = "AWS"
    provider         = "CodeCommit"
    version          = "1"
    output_artifacts = ["source"]
    configuration = {
      RepositoryName       = "app"
      BranchName           = "main"
      PollForSourceChanges = "true"
    }
  }
}
`,
		Fixed: `
stage {
  name = "Source"
  action {
    name             = "Checkout"
    category         = "Source"
    owner            = "AWS"
    provider         = "CodeCommit"
    version          = "1"
    output_artifacts = ["source"]
    configuration = {
      RepositoryName       = "app"
      BranchName           = "main"
      PollForSourceChanges = "false" # change events start the pipeline
    }
  }
}
`,
	},
	"codebuild-batch": {
		Frame: buildAction, Resources: []string{pipelineResource},
		Bad: `
action {
  name             = "Compile"
  category         = "Build"
  owner            = "AWS"
  provider         = "CodeBuild"
  version          = "1"
  input_artifacts  = ["source"]
  output_artifacts = ["linux", "windows"]
  configuration = {
    ProjectName      = "app"
    BatchEnabled     = "true"
    CombineArtifacts = "true"
  }
}
`,
		Fixed: `
action {
  name             = "Compile"
  category         = "Build"
  owner            = "AWS"
  provider         = "CodeBuild"
  version          = "1"
  input_artifacts  = ["source"]
  output_artifacts = ["binaries"]
  configuration = {
    ProjectName      = "app"
    BatchEnabled     = "true"
    CombineArtifacts = "true"
  }
}
`,
	},
	"primary-source": {
		Frame: buildAction, Resources: []string{pipelineResource},
		Bad: `
action {
  name            = "Compile"
  category        = "Build"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["source", "settings"]
  configuration = {
    ProjectName = "app"
  }
}
`,
		Fixed: `
action {
  name            = "Compile"
  category        = "Build"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["source", "settings"]
  configuration = {
    ProjectName   = "app"
    PrimarySource = "source"
  }
}
`,
	},
	"run-order": {
		Frame: buildAction, Resources: []string{pipelineResource},
		Bad: `
action {
  name            = "Compile"
  category        = "Build"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  run_order       = 1000
  input_artifacts = ["source"]
  configuration = {
    ProjectName = "app"
  }
}
`,
		Fixed: `
action {
  name            = "Compile"
  category        = "Build"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  run_order       = 10 # 1 to 999
  input_artifacts = ["source"]
  configuration = {
    ProjectName = "app"
  }
}
`,
	},
	"source-first-only": {
		Frame: afterSource, Resources: []string{pipelineResource},
		Bad: `
stage {
  name = "Build"
  action {
    name             = "Assets"
    category         = "Source"
    owner            = "AWS"
    provider         = "S3"
    version          = "1"
    output_artifacts = ["assets"]
    configuration = {
      S3Bucket    = "app-assets"
      S3ObjectKey = "assets.zip"
    }
  }
  action {
    name            = "Compile"
    category        = "Build"
    owner           = "AWS"
    provider        = "CodeBuild"
    version         = "1"
    run_order       = 2
    input_artifacts = ["source", "assets"]
    configuration = {
      ProjectName   = "app"
      PrimarySource = "source"
    }
  }
}
`,
		Fixed: `
# The Assets source action moves to the first stage; Compile reads the settings source there.
stage {
  name = "Build"
  action {
    name            = "Compile"
    category        = "Build"
    owner           = "AWS"
    provider        = "CodeBuild"
    version         = "1"
    input_artifacts = ["source", "settings"]
    configuration = {
      ProjectName   = "app"
      PrimarySource = "source"
    }
  }
}
`,
	},
	"source-same-region": {
		Frame: firstStage, Resources: []string{pipelineResource},
		Bad: `
stage {
  name = "Source"
  action {
    name             = "Checkout"
    category         = "Source"
    owner            = "AWS"
    provider         = "CodeCommit"
    version          = "1"
    region           = "eu-west-1"
    output_artifacts = ["source"]
    configuration = {
      RepositoryName = "app"
      BranchName     = "main"
    }
  }
}
`,
		Fixed: `
stage {
  name = "Source"
  action {
    name             = "Checkout"
    category         = "Source"
    owner            = "AWS"
    provider         = "CodeCommit"
    version          = "1"
    output_artifacts = ["source"] # sources run in the pipeline's region
    configuration = {
      RepositoryName = "app"
      BranchName     = "main"
    }
  }
}
`,
	},
	"stage-actions": {
		Frame: afterSource, Resources: []string{pipelineResource},
		Bad: `
stage {
  name = "Build"
}
`,
		Fixed: `
stage {
  name = "Build"
  action {
    name            = "Compile"
    category        = "Build"
    owner           = "AWS"
    provider        = "CodeBuild"
    version         = "1"
    input_artifacts = ["source"]
    configuration = {
      ProjectName = "app"
    }
  }
}
`,
	},
	"stage-count": {
		Frame: allStages, Resources: []string{pipelineResource},
		Bad: `
stage {
  name = "Source"
  action {
    name             = "Checkout"
    category         = "Source"
    owner            = "AWS"
    provider         = "CodeCommit"
    version          = "1"
    output_artifacts = ["source"]
    configuration = {
      RepositoryName = "app"
      BranchName     = "main"
    }
  }
}
`,
		Fixed: `
stage {
  name = "Source"
  action {
    name             = "Checkout"
    category         = "Source"
    owner            = "AWS"
    provider         = "CodeCommit"
    version          = "1"
    output_artifacts = ["source"]
    configuration = {
      RepositoryName = "app"
      BranchName     = "main"
    }
  }
}

stage {
  name = "Build"
  action {
    name            = "Compile"
    category        = "Build"
    owner           = "AWS"
    provider        = "CodeBuild"
    version         = "1"
    input_artifacts = ["source"]
    configuration = {
      ProjectName = "app"
    }
  }
}
`,
	},
	"stage-unique": {
		Frame: afterSource, Resources: []string{pipelineResource},
		Bad: `
stage {
  name = "Build"
  action {
    name            = "Compile"
    category        = "Build"
    owner           = "AWS"
    provider        = "CodeBuild"
    version         = "1"
    input_artifacts = ["source"]
    configuration = {
      ProjectName = "app"
    }
  }
}

stage {
  name = "Build"
  action {
    name            = "Unit"
    category        = "Test"
    owner           = "AWS"
    provider        = "CodeBuild"
    version         = "1"
    input_artifacts = ["source"]
    configuration = {
      ProjectName = "app-unit-tests"
    }
  }
}
`,
		Fixed: `
stage {
  name = "Build"
  action {
    name            = "Compile"
    category        = "Build"
    owner           = "AWS"
    provider        = "CodeBuild"
    version         = "1"
    input_artifacts = ["source"]
    configuration = {
      ProjectName = "app"
    }
  }
}

stage {
  name = "Test"
  action {
    name            = "Unit"
    category        = "Test"
    owner           = "AWS"
    provider        = "CodeBuild"
    version         = "1"
    input_artifacts = ["source"]
    configuration = {
      ProjectName = "app-unit-tests"
    }
  }
}
`,
	},
	"store-region": {
		Frame: storeBlock, Resources: []string{pipelineResource},
		Bad: `
artifact_store {
  location = codepipeline_artifact_store.app.bucket
  type     = "S3"
  region   = "us-east-1"
}
`,
		Fixed: `
artifact_store {
  location = codepipeline_artifact_store.app.bucket
  type     = "S3"
  # A single store is in the pipeline's region and names none.
}
`,
	},
	"store-versioning": {
		Frame: standalone, Resources: []string{storeResource, pipelineResource},
		Bad: `
resource "codepipeline_artifact_store" "app" {
  bucket     = "app-artifacts"
  versioning = false
}
`,
		Fixed: `
resource "codepipeline_artifact_store" "app" {
  bucket     = "app-artifacts"
  versioning = true # the default
}
`,
	},
	"timeout-approval-only": {
		Frame: buildAction, Resources: []string{pipelineResource},
		Bad: `
action {
  name               = "Compile"
  category           = "Build"
  owner              = "AWS"
  provider           = "CodeBuild"
  version            = "1"
  input_artifacts    = ["source"]
  timeout_in_minutes = 30
  configuration = {
    ProjectName = "app"
  }
}
`,
		Fixed: `
action {
  name            = "Compile"
  category        = "Build"
  owner           = "AWS"
  provider        = "CodeBuild"
  version         = "1"
  input_artifacts = ["source"]
  # The build project's own timeout applies.
  configuration = {
    ProjectName = "app"
  }
}
`,
	},
	"trigger-filters": {
		Frame: pipelineArguments, Resources: []string{pipelineResource},
		Bad: `
trigger {
  provider_type = "CodeStarSourceConnection"
  git_configuration {
    source_action_name = "Checkout"
    push {
      file_paths {
        includes = ["src/**"]
      }
    }
  }
}
`,
		Fixed: `
trigger {
  provider_type = "CodeStarSourceConnection"
  git_configuration {
    source_action_name = "Checkout"
    push {
      branches {
        includes = ["main"]
      }
      file_paths {
        includes = ["src/**"]
      }
    }
  }
}
`,
	},
	"trigger-source": {
		Frame: pipelineArguments, Resources: []string{pipelineResource},
		Bad: `
trigger {
  provider_type = "CodeStarSourceConnection"
  git_configuration {
    source_action_name = "Source" # the stage, not the action
    push {
      branches {
        includes = ["main"]
      }
    }
  }
}
`,
		Fixed: `
trigger {
  provider_type = "CodeStarSourceConnection"
  git_configuration {
    source_action_name = "Checkout"
    push {
      branches {
        includes = ["main"]
      }
    }
  }
}
`,
	},
	"v2-only": {
		Frame: pipelineArguments, Resources: []string{pipelineResource},
		Bad: `
pipeline_type = "V1"

variable {
  name          = "release"
  default_value = "main"
}
`,
		Fixed: `
pipeline_type = "V2" # the default

variable {
  name          = "release"
  default_value = "main"
}
`,
	},
	"variables": {
		Frame: pipelineArguments, Resources: []string{pipelineResource},
		Bad: `
variable {
  name          = "release"
  default_value = "main"
}

variable {
  name          = "release"
  default_value = "stable"
}
`,
		Fixed: `
variable {
  name          = "release"
  default_value = "main"
}

variable {
  name          = "channel"
  default_value = "stable"
}
`,
	},
	"webhook-auth": {
		Frame: standalone,
		Bad: `
resource "aws_codepipeline_webhook" "github" {
  name            = "app-github"
  authentication  = "GITHUB_HMAC"
  target_action   = "Checkout"
  target_pipeline = "app"

  filter {
    json_path    = "$.ref"
    match_equals = "refs/heads/{Branch}"
  }
}
`,
		Fixed: `
variable "github_webhook_secret" {
  type      = string
  sensitive = true
}

resource "aws_codepipeline_webhook" "github" {
  name            = "app-github"
  authentication  = "GITHUB_HMAC"
  target_action   = "Checkout"
  target_pipeline = "app"

  authentication_configuration {
    secret_token = var.github_webhook_secret
  }

  filter {
    json_path    = "$.ref"
    match_equals = "refs/heads/{Branch}"
  }
}
`,
	},
	"xacct-bucket-policy": {
		Frame: crossAccountStore, Resources: []string{pipelineResource},
		Bad: `
resource "codepipeline_artifact_store" "shared" {
  bucket             = "shared-artifacts"
  encryption_key_arn = codepipeline_cross_account_key.artifacts.arn
}
`,
		Fixed: `
resource "codepipeline_artifact_store" "shared" {
  bucket              = "shared-artifacts"
  encryption_key_arn  = codepipeline_cross_account_key.artifacts.arn
  cross_account_roles = ["arn:aws:iam::222222222222:role/prod-deployer"]
}
`,
	},
	"xacct-cmk-required": {
		Frame: crossAccountStore, Resources: []string{storeResource, pipelineResource},
		Bad: `
resource "codepipeline_artifact_store" "shared" {
  bucket              = "shared-artifacts"
  cross_account_roles = ["arn:aws:iam::222222222222:role/prod-deployer"]
}
`,
		Fixed: `
resource "codepipeline_artifact_store" "shared" {
  bucket              = "shared-artifacts"
  encryption_key_arn  = codepipeline_cross_account_key.artifacts.arn
  cross_account_roles = ["arn:aws:iam::222222222222:role/prod-deployer"]
}
`,
	},
	"xacct-key-by-arn": {
		Frame: crossAccountStoreBlock, Resources: []string{storeResource, pipelineResource},
		Bad: `
artifact_store {
  location = codepipeline_artifact_store.shared.bucket
  type     = "S3"
  encryption_key {
    id   = "alias/pipeline-artifacts"
    type = "KMS"
  }
}
`,
		Fixed: `
artifact_store {
  location = codepipeline_artifact_store.shared.bucket
  type     = "S3"
  encryption_key {
    id   = codepipeline_cross_account_key.artifacts.arn
    type = "KMS"
  }
}
`,
	},
	"xacct-key-policy": {
		Frame: crossAccountKey, Resources: []string{pipelineResource},
		Bad: `
resource "codepipeline_cross_account_key" "artifacts" {
  alias = "alias/pipeline-artifacts"
}
`,
		Fixed: `
resource "codepipeline_cross_account_key" "artifacts" {
  alias         = "alias/pipeline-artifacts"
  grantee_roles = ["arn:aws:iam::222222222222:role/prod-deployer"]
}
`,
	},
	"xacct-role-decrypt": {
		Frame: crossAccountIAMRole, Resources: []string{pipelineResource},
		Bad: `
resource "aws_iam_role" "prod_deployer" {
  provider = aws.prod
  name     = "prod-deployer"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::111111111111:root" }
    }]
  })
  inline_policy {
    name = "artifacts"
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect   = "Allow"
        Action   = ["s3:Get*", "s3:Put*"]
        Resource = "arn:aws:s3:::shared-artifacts/*"
      }]
    })
  }
}
`,
		Fixed: `
resource "aws_iam_role" "prod_deployer" {
  provider = aws.prod
  name     = "prod-deployer"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::111111111111:root" }
    }]
  })
  inline_policy {
    name = "artifacts"
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [
        {
          Effect   = "Allow"
          Action   = ["s3:Get*", "s3:Put*"]
          Resource = "arn:aws:s3:::shared-artifacts/*"
        },
        {
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"]
          Resource = "arn:aws:kms:us-east-1:111111111111:key/*" # the key lives in the pipeline's account
        },
      ]
    })
  }
}
`,
	},
	"xacct-third-account": {
		Frame: crossAccountStages, Resources: []string{pipelineResource},
		Bad: `
stage {
  name = "Package"
  action {
    name             = "Package"
    category         = "Build"
    owner            = "AWS"
    provider         = "CodeBuild"
    version          = "1"
    input_artifacts  = ["build"]
    output_artifacts = ["package"]
    role_arn         = "arn:aws:iam::222222222222:role/prod-deployer"
    configuration = {
      ProjectName = "app-package"
    }
  }
}

stage {
  name = "Archive"
  action {
    name            = "Archive"
    category        = "Deploy"
    owner           = "AWS"
    provider        = "S3"
    version         = "1"
    input_artifacts = ["package"]
    role_arn        = "arn:aws:iam::333333333333:role/archiver"
    configuration = {
      BucketName = "release-archive"
      Extract    = "false"
      ObjectKey  = "app.zip"
    }
  }
}
`,
		Fixed: `
stage {
  name = "Package"
  action {
    name             = "Package"
    category         = "Build"
    owner            = "AWS"
    provider         = "CodeBuild"
    version          = "1"
    input_artifacts  = ["build"]
    output_artifacts = ["package"]
    # No role_arn: the package is made in the pipeline's account.
    configuration = {
      ProjectName = "app-package"
    }
  }
}

stage {
  name = "Archive"
  action {
    name            = "Archive"
    category        = "Deploy"
    owner           = "AWS"
    provider        = "S3"
    version         = "1"
    input_artifacts = ["package"]
    role_arn        = "arn:aws:iam::333333333333:role/archiver"
    configuration = {
      BucketName = "release-archive"
      Extract    = "false"
      ObjectKey  = "app.zip"
    }
  }
}
`,
	},
}
