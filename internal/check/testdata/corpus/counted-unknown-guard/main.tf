# The artifact bucket and its versioning are created only when asked, by a variable without a
# default: in .tf mode they exist zero or more times. The versioning resource would enable
# versioning, so nothing may be said about the store; the key is not counted, and planted: it
# does not rotate. (plan.tfvars creates the bucket.)
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

variable "create_artifact_bucket" {
  description = "Create the artifact bucket (false: use an existing one, var.artifact_bucket)."
  type        = bool
}

variable "artifact_bucket" {
  type    = string
  default = ""
}

resource "aws_s3_bucket" "artifacts" {
  count  = var.create_artifact_bucket ? 1 : 0
  bucket = "search-artifacts-111111111111"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  count  = var.create_artifact_bucket ? 1 : 0
  bucket = aws_s3_bucket.artifacts[count.index].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_kms_key" "artifacts" {
  description = "search pipeline artifacts"
}

resource "aws_codepipeline" "search" {
  name     = "search"
  role_arn = "arn:aws:iam::111111111111:role/search-pipeline"

  artifact_store {
    location = var.create_artifact_bucket ? aws_s3_bucket.artifacts[0].bucket : var.artifact_bucket
    type     = "S3"
    encryption_key {
      id   = aws_kms_key.artifacts.arn
      type = "KMS"
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
        RepositoryName       = "search"
        BranchName           = "main"
        PollForSourceChanges = "false"
      }
    }
  }

  stage {
    name = "Build"
    action {
      name            = "Build"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["source"]
      configuration = {
        ProjectName = "search"
      }
    }
  }
}
