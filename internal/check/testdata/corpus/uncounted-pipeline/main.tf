# A pipeline that exists only when enabled, by a variable without a default: in .tf mode it
# stands for zero or more pipelines (aws_codepipeline.main[*]) and is still checked, since a
# problem that depends on nothing unknown is a problem of every one of them. Planted: the first
# stage holds a build, not a source. (plan.tfvars enables it.)
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

variable "enabled" {
  type = bool
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "notifications-artifacts-111111111111"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_codepipeline" "main" {
  count    = var.enabled ? 1 : 0
  name     = "notifications-${count.index}"
  role_arn = "arn:aws:iam::111111111111:role/notifications-pipeline"

  artifact_store {
    location = aws_s3_bucket.artifacts.bucket
    type     = "S3"
  }

  stage {
    name = "Prepare"
    action {
      name            = "Lint"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["source"]
      configuration = {
        ProjectName = "notifications-lint"
      }
    }
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
        RepositoryName       = "notifications"
        BranchName           = "main"
        PollForSourceChanges = "false"
      }
    }
  }
}
