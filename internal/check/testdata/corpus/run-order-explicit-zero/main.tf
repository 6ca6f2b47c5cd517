# Actions ordered from a list, run_order counted from 0 by mistake: CodePipeline accepts 1 to
# 999, and only an absent run_order means 1. Planted: the first deploy action's run_order is 0.
# (.tf mode only: the AWS provider itself refuses the plan.)
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
  deploy_steps = ["migrate", "deploy", "smoke-test"]
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "warehouse-artifacts-111111111111"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_codepipeline" "warehouse" {
  name     = "warehouse"
  role_arn = "arn:aws:iam::111111111111:role/warehouse-pipeline"

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
        RepositoryName       = "warehouse"
        BranchName           = "main"
        PollForSourceChanges = "false"
      }
    }
  }

  stage {
    name = "Release"
    dynamic "action" {
      for_each = local.deploy_steps
      content {
        name            = action.value
        category        = "Build"
        owner           = "AWS"
        provider        = "CodeBuild"
        version         = "1"
        run_order       = action.key
        input_artifacts = ["source"]
        configuration = {
          ProjectName = "warehouse-${action.value}"
        }
      }
    }
  }
}
