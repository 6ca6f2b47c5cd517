# The quickstart: a pipeline that builds, tests and deploys a tiny app from a local git
# repository, applied and run on the embedded local backend, offline.
#
#   Source (git) → Build (buildspec) → Test (two actions in parallel) → Deploy (to a bucket)

terraform {
  required_providers {
    codepipeline = {
      source = "pipelinekit/codepipeline"
    }
  }
}

variable "wait_for_run" {
  description = "Whether terraform apply waits for the run to end. scripts/quickstart.sh sets false and follows the run live with `codepipeline runs show -watch`."
  type        = bool
  default     = true
}

locals {
  work = "${path.module}/.work"
}

provider "codepipeline" {
  state_dir        = "${local.work}/state"
  repositories_dir = "${local.work}/repos"
}

# The app's repository, created from app/ (a local stand-in for a CodeCommit repository).
resource "terraform_data" "repository" {
  input            = filesha256("${path.module}/app/buildspec.yml")
  triggers_replace = [for f in fileset("${path.module}/app", "**") : filesha256("${path.module}/app/${f}")]

  provisioner "local-exec" {
    command = "${path.module}/init-repo.sh ${local.work}/repos/app"
  }
}

resource "codepipeline_artifact_store" "artifacts" {
  bucket        = "quickstart-artifacts"
  force_destroy = true
}

resource "codepipeline_artifact_store" "site" {
  bucket        = "quickstart-site"
  force_destroy = true
}

resource "codepipeline_pipeline" "app" {
  name     = "quickstart"
  role_arn = "arn:aws:iam::111111111111:role/quickstart-pipeline"

  artifact_store {
    location = codepipeline_artifact_store.artifacts.bucket
    type     = "S3"
  }

  stage {
    name = "Source"
    action {
      name             = "Checkout"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      namespace        = "SourceVariables"
      output_artifacts = ["source"]
      configuration = {
        RepositoryName       = "app"
        BranchName           = "main"
        PollForSourceChanges = "false"
      }
    }
  }

  stage {
    name = "Build"
    action {
      name             = "Build"
      category         = "Build"
      owner            = "AWS"
      provider         = "CodeBuild"
      version          = "1"
      input_artifacts  = ["source"]
      output_artifacts = ["site"]
      configuration = {
        ProjectName          = "quickstart"
        EnvironmentVariables = jsonencode([{ name = "COMMIT_ID", value = "#{SourceVariables.CommitId}", type = "PLAINTEXT" }])
      }
    }
  }

  # Both tests have run_order 1: they form one action group and run in parallel.
  stage {
    name = "Test"
    action {
      name            = "Html"
      category        = "Test"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["site"]
      configuration = {
        ProjectName = "quickstart-html"
        BuildSpec   = "version: 0.2\nphases:\n  build:\n    commands:\n      - sh test/html.sh\n"
      }
    }
    action {
      name            = "Content"
      category        = "Test"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["site"]
      configuration = {
        ProjectName = "quickstart-content"
        BuildSpec   = "version: 0.2\nphases:\n  build:\n    commands:\n      - sh test/content.sh\n"
      }
    }
  }

  stage {
    name = "Deploy"
    action {
      name            = "Publish"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "S3"
      version         = "1"
      input_artifacts = ["site"]
      configuration = {
        BucketName = codepipeline_artifact_store.site.bucket
        Extract    = "true"
      }
    }
  }
}

# Starts a run on apply, and a new one whenever the pipeline or the app changes.
resource "codepipeline_run" "app" {
  pipeline = codepipeline_pipeline.app.name
  wait     = var.wait_for_run
  triggers = {
    pipeline_version = codepipeline_pipeline.app.version
    source           = terraform_data.repository.id
  }
}

output "run_status" {
  description = "How the run ended."
  value       = codepipeline_run.app.status
}

output "run_id" {
  description = "The run's execution id (codepipeline runs show quickstart <id>)."
  value       = codepipeline_run.app.execution_id
}

output "stages" {
  description = "Each stage and its status, in pipeline order."
  value       = [for s in codepipeline_run.app.stages : "${s.name}: ${s.status}"]
}

output "deployed_to" {
  description = "Where the site is deployed: `codepipeline s3 cat` prints it."
  value       = "s3://${codepipeline_artifact_store.site.bucket}/index.html"
}
