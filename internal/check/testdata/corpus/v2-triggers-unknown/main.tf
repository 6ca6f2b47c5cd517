# A reusable pipeline whose triggers come from a variable without a default: in .tf mode the
# trigger blocks are not known. Planted, independent of them: QUEUED execution on a V1
# pipeline. (plan.tfvars gives no triggers.)
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

variable "triggers" {
  type = list(object({
    action   = string
    branches = list(string)
  }))
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "gateway-artifacts-111111111111"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_codepipeline" "gateway" {
  name           = "gateway"
  role_arn       = "arn:aws:iam::111111111111:role/gateway-pipeline"
  pipeline_type  = "V1"
  execution_mode = "QUEUED"

  artifact_store {
    location = aws_s3_bucket.artifacts.bucket
    type     = "S3"
  }

  dynamic "trigger" {
    for_each = var.triggers
    content {
      provider_type = "CodeStarSourceConnection"
      git_configuration {
        source_action_name = trigger.value.action
        push {
          branches {
            includes = trigger.value.branches
          }
        }
      }
    }
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["source"]
      configuration = {
        ConnectionArn    = "arn:aws:codestar-connections:eu-west-1:111111111111:connection/12345678-aaaa-4bbb-8ccc-1234567890ab"
        FullRepositoryId = "acme/gateway"
        BranchName       = "main"
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
        ProjectName = "gateway"
      }
    }
  }
}
