# A legacy pipeline module kept in the configuration but switched off (count = 0 by default);
# its V1-era configuration would break several rules, yet it does not exist. The live pipeline
# is clean. Nothing may be reported about the module.
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

variable "legacy_enabled" {
  type    = bool
  default = false
}

module "legacy" {
  count  = var.legacy_enabled ? 1 : 0
  source = "./modules/legacy-pipeline"
  name   = "accounts-legacy"
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "accounts-artifacts-111111111111"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_codepipeline" "accounts" {
  name     = "accounts"
  role_arn = "arn:aws:iam::111111111111:role/accounts-pipeline"

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
        RepositoryName       = "accounts"
        BranchName           = "main"
        PollForSourceChanges = "false"
      }
    }
  }

  stage {
    name = "Approve"
    action {
      name               = "Approve"
      category           = "Approval"
      owner              = "AWS"
      provider           = "Manual"
      version            = "1"
      timeout_in_minutes = 60
    }
  }

  stage {
    name = "Deploy"
    action {
      name            = "Deploy"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "ElasticBeanstalk"
      version         = "1"
      input_artifacts = ["source"]
      configuration = {
        ApplicationName = "accounts"
        EnvironmentName = "accounts-production"
      }
    }
  }
}
