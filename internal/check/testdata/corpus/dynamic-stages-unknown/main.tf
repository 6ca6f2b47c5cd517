# A reusable pipeline whose stages come from a variable without a default: in .tf mode nothing
# says how many stages there are, so the stage rules must skip the pipeline (plan.tfvars gives
# terraform the stages). Planted, independent of the stages: the artifact bucket is not
# versioned (its versioning is suspended).
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

variable "name" {
  type    = string
  default = "catalog"
}

variable "stages" {
  description = "The stages after the source: name, and the CodeBuild project of its action."
  type = list(object({
    name    = string
    project = string
  }))
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "${var.name}-pipeline-artifacts"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Suspended"
  }
}

resource "aws_codepipeline" "this" {
  name          = var.name
  role_arn      = "arn:aws:iam::111111111111:role/${var.name}-pipeline"
  pipeline_type = "V2"

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
      provider         = "S3"
      version          = "1"
      output_artifacts = ["source"]
      configuration = {
        S3Bucket             = "${var.name}-source"
        S3ObjectKey          = "source.zip"
        PollForSourceChanges = "false"
      }
    }
  }

  dynamic "stage" {
    for_each = var.stages
    content {
      name = stage.value.name
      action {
        name            = stage.value.name
        category        = "Build"
        owner           = "AWS"
        provider        = "CodeBuild"
        version         = "1"
        input_artifacts = ["source"]
        configuration = {
          ProjectName = stage.value.project
        }
      }
    }
  }
}
