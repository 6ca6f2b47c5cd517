# Action configurations assembled with merge() from shared locals and coalesce()/format()
# over variables, and a deploy stage per environment from a map. Planted: the staging deploy
# does not extract, but names no ObjectKey.
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

variable "environments" {
  type = map(object({
    bucket  = string
    extract = bool
    key     = optional(string)
  }))
  default = {
    production = { bucket = "docs-site-production", extract = true }
    staging    = { bucket = "docs-site-staging", extract = false }
  }
}

variable "project" {
  type    = string
  default = null
}

locals {
  project = coalesce(var.project, "docs")
  codebuild_defaults = {
    ProjectName = format("%s-build", local.project)
  }
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "${local.project}-artifacts-111111111111"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_codepipeline" "docs" {
  name     = local.project
  role_arn = "arn:aws:iam::111111111111:role/${local.project}-pipeline"

  artifact_store {
    location = aws_s3_bucket.artifacts.bucket
    type     = "S3"
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      output_artifacts = ["source"]
      configuration = {
        RepositoryName       = local.project
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
      configuration    = merge(local.codebuild_defaults, { BatchEnabled = "false" })
    }
  }

  dynamic "stage" {
    for_each = var.environments
    content {
      name = "Deploy-${stage.key}"
      action {
        name            = "Deploy"
        category        = "Deploy"
        owner           = "AWS"
        provider        = "S3"
        version         = "1"
        input_artifacts = ["site"]
        configuration = merge(
          { BucketName = stage.value.bucket, Extract = tostring(stage.value.extract) },
          stage.value.key == null ? {} : { ObjectKey = stage.value.key },
        )
      }
    }
  }
}
