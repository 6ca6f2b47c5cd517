# The GitHub (OAuth token) variant of the pipeline exists only when a token is given; by
# default it is counted out and the CodeStar variant is created. The guarded variant's source
# configuration needs the token, which the guard guarantees: no finding may come from it.
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

variable "github_token" {
  type      = string
  default   = ""
  sensitive = true
}

variable "connection_arn" {
  type    = string
  default = "arn:aws:codestar-connections:eu-west-1:111111111111:connection/1b2c3d4e-0000-4000-8000-0123456789ab"
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "billing-api-artifacts-111111111111"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

locals {
  build_stage = {
    name = "Build"
    action = {
      name     = "Build"
      category = "Build"
      owner    = "AWS"
      provider = "CodeBuild"
      project  = "billing-api"
    }
  }
}

resource "aws_codepipeline" "github" {
  count    = var.github_token != "" ? 1 : 0
  name     = "billing-api"
  role_arn = "arn:aws:iam::111111111111:role/billing-api-pipeline"

  artifact_store {
    location = aws_s3_bucket.artifacts.bucket
    type     = "S3"
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "ThirdParty"
      provider         = "GitHub"
      version          = "1"
      output_artifacts = ["source"]
      configuration = {
        Owner      = "acme"
        Repo       = "billing-api"
        Branch     = "main"
        OAuthToken = var.github_token
      }
    }
  }

  stage {
    name = local.build_stage.name
    action {
      name             = local.build_stage.action.name
      category         = local.build_stage.action.category
      owner            = local.build_stage.action.owner
      provider         = local.build_stage.action.provider
      version          = "1"
      input_artifacts  = ["source"]
      output_artifacts = ["build"]
      configuration = {
        ProjectName = local.build_stage.action.project
      }
    }
  }
}

resource "aws_codepipeline" "codestar" {
  count    = var.github_token == "" ? 1 : 0
  name     = "billing-api"
  role_arn = "arn:aws:iam::111111111111:role/billing-api-pipeline"

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
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["source"]
      configuration = {
        ConnectionArn    = var.connection_arn
        FullRepositoryId = "acme/billing-api"
        BranchName       = "main"
      }
    }
  }

  stage {
    name = local.build_stage.name
    action {
      name             = local.build_stage.action.name
      category         = local.build_stage.action.category
      owner            = local.build_stage.action.owner
      provider         = local.build_stage.action.provider
      version          = "1"
      input_artifacts  = ["source"]
      output_artifacts = ["build"]
      configuration = {
        ProjectName = local.build_stage.action.project
      }
    }
  }
}
