# A V2 pipeline with triggers and variables from dynamic blocks over known lists. Planted: the
# second trigger names a source action the pipeline does not have (a renamed action).
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111111111111"]
}

locals {
  connection_arn = "arn:aws:codestar-connections:eu-west-1:111111111111:connection/0aa1bb2c-3dd4-4ee5-8ff6-778899aabbcc"
  triggers = [
    { action = "App", branches = ["main"], paths = ["app/**"] },
    { action = "Infra", branches = ["main"], paths = ["infra/**"] },
  ]
  variables = { DEPLOY_ENV = "production", DRY_RUN = "false" }
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "monorepo-artifacts-111111111111"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_codepipeline" "monorepo" {
  name           = "monorepo"
  role_arn       = "arn:aws:iam::111111111111:role/monorepo-pipeline"
  pipeline_type  = "V2"
  execution_mode = "QUEUED"

  artifact_store {
    location = aws_s3_bucket.artifacts.bucket
    type     = "S3"
  }

  dynamic "variable" {
    for_each = local.variables
    content {
      name          = variable.key
      default_value = variable.value
    }
  }

  dynamic "trigger" {
    for_each = local.triggers
    content {
      provider_type = "CodeStarSourceConnection"
      git_configuration {
        source_action_name = trigger.value.action
        push {
          branches {
            includes = trigger.value.branches
          }
          file_paths {
            includes = trigger.value.paths
          }
        }
      }
    }
  }

  stage {
    name = "Source"
    action {
      name             = "App"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["app"]
      configuration = {
        ConnectionArn    = local.connection_arn
        FullRepositoryId = "acme/monorepo"
        BranchName       = "main"
      }
    }
    action {
      name             = "Infrastructure"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["infra"]
      configuration = {
        ConnectionArn    = local.connection_arn
        FullRepositoryId = "acme/monorepo"
        BranchName       = "main"
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
      input_artifacts  = ["app", "infra"]
      output_artifacts = ["dist"]
      configuration = {
        ProjectName   = "monorepo"
        PrimarySource = "app"
      }
    }
  }
}
