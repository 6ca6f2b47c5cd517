# A CI/CD module in the shape of the popular community ones: every resource behind an
# "enabled" count, references through join("", x.*.attr), the source action chosen by two
# dynamic blocks, and a second pipeline variant counted out. Planted: the artifact bucket has
# no versioning.

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
  type    = bool
  default = true
}

variable "name" {
  type    = string
  default = "shop-web"
}

variable "github_oauth_token" {
  type      = string
  default   = ""
  sensitive = true
}

variable "codestar_connection_arn" {
  type    = string
  default = "arn:aws:codestar-connections:eu-west-1:111111111111:connection/7d3c9b1e-0d8f-4c4e-9a55-2f1b0c7e6a10"
}

variable "repo" {
  type    = string
  default = "acme/shop-web"
}

variable "branch" {
  type    = string
  default = "main"
}

variable "elastic_beanstalk_application" {
  type    = string
  default = ""
}

locals {
  enabled   = var.enabled
  eb_deploy = local.enabled && var.elastic_beanstalk_application != ""
}

resource "aws_s3_bucket" "default" {
  count         = local.enabled ? 1 : 0
  bucket        = "${var.name}-codepipeline"
  force_destroy = true
}

data "aws_iam_policy_document" "assume" {
  count = local.enabled ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codepipeline.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "default" {
  count              = local.enabled ? 1 : 0
  name               = "${var.name}-codepipeline"
  assume_role_policy = join("", data.aws_iam_policy_document.assume.*.json)
}

data "aws_iam_policy_document" "s3" {
  count = local.enabled ? 1 : 0

  statement {
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketVersioning", "s3:PutObject"]
    resources = [join("", aws_s3_bucket.default.*.arn), "${join("", aws_s3_bucket.default.*.arn)}/*"]
  }
}

resource "aws_iam_role_policy" "s3" {
  count  = local.enabled ? 1 : 0
  name   = "s3"
  role   = join("", aws_iam_role.default.*.id)
  policy = join("", data.aws_iam_policy_document.s3.*.json)
}

resource "aws_codepipeline" "default" {
  count    = local.enabled && !local.eb_deploy ? 1 : 0
  name     = var.name
  role_arn = join("", aws_iam_role.default.*.arn)

  artifact_store {
    location = join("", aws_s3_bucket.default.*.bucket)
    type     = "S3"
  }

  stage {
    name = "Source"

    dynamic "action" {
      for_each = var.github_oauth_token != "" ? ["github"] : []
      content {
        name             = "Source"
        category         = "Source"
        owner            = "ThirdParty"
        provider         = "GitHub"
        version          = "1"
        output_artifacts = ["code"]
        configuration = {
          OAuthToken           = var.github_oauth_token
          Owner                = split("/", var.repo)[0]
          Repo                 = split("/", var.repo)[1]
          Branch               = var.branch
          PollForSourceChanges = "true"
        }
      }
    }

    dynamic "action" {
      for_each = var.github_oauth_token == "" ? ["codestar"] : []
      content {
        name             = "Source"
        category         = "Source"
        owner            = "AWS"
        provider         = "CodeStarSourceConnection"
        version          = "1"
        output_artifacts = ["code"]
        configuration = {
          ConnectionArn    = var.codestar_connection_arn
          FullRepositoryId = var.repo
          BranchName       = var.branch
        }
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
      input_artifacts  = ["code"]
      output_artifacts = ["package"]
      configuration = {
        ProjectName = "${var.name}-build"
      }
    }
  }
}

# The Elastic Beanstalk variant: counted out here (no application), so its empty application
# name is not a problem.
resource "aws_codepipeline" "source_build_deploy" {
  count    = local.eb_deploy ? 1 : 0
  name     = "${var.name}-eb"
  role_arn = join("", aws_iam_role.default.*.arn)

  artifact_store {
    location = join("", aws_s3_bucket.default.*.bucket)
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
      output_artifacts = ["code"]
      configuration = {
        ConnectionArn    = var.codestar_connection_arn
        FullRepositoryId = var.repo
        BranchName       = var.branch
      }
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
      input_artifacts = ["code"]
      configuration = {
        ApplicationName = var.elastic_beanstalk_application
        EnvironmentName = ""
      }
    }
  }
}
