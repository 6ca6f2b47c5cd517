# One pipeline per service, from a map variable (for_each on the resource), with stages from
# each.value. Planted: the legacy service's source polls.
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

variable "pipelines" {
  type = map(object({
    repository = string
    branch     = string
    poll       = optional(bool, false)
    stages     = list(object({ name = string, project = string }))
  }))
  default = {
    api = {
      repository = "api"
      branch     = "main"
      stages     = [{ name = "Build", project = "api-build" }, { name = "Test", project = "api-test" }]
    }
    legacy = {
      repository = "legacy-monolith"
      branch     = "master"
      poll       = true
      stages     = [{ name = "Build", project = "legacy-build" }]
    }
  }
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "services-pipelines-artifacts"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.bucket
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_codepipeline" "this" {
  for_each = var.pipelines

  name     = each.key
  role_arn = "arn:aws:iam::111111111111:role/services-pipeline"

  artifact_store {
    location = aws_s3_bucket.artifacts.id
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
        RepositoryName       = each.value.repository
        BranchName           = each.value.branch
        PollForSourceChanges = tostring(each.value.poll)
      }
    }
  }

  dynamic "stage" {
    for_each = each.value.stages
    content {
      name = stage.value.name
      action {
        name            = stage.value.name
        category        = stage.value.name == "Test" ? "Test" : "Build"
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
