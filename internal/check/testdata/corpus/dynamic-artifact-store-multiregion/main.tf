# A cross-region pipeline: one artifact store per region from a dynamic block over a map keyed
# by region, each with the key of its region. Planted: a deploy action runs in a region that
# has no artifact store.

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

provider "aws" {
  alias               = "us"
  region              = "us-east-1"
  allowed_account_ids = ["111111111111"]
}

resource "aws_kms_key" "eu" {
  description         = "pipeline artifacts, eu-west-1"
  enable_key_rotation = true
}

resource "aws_kms_key" "us" {
  provider            = aws.us
  description         = "pipeline artifacts, us-east-1"
  enable_key_rotation = true
}

resource "aws_s3_bucket" "eu" {
  bucket = "media-artifacts-eu-west-1"
}

resource "aws_s3_bucket" "us" {
  provider = aws.us
  bucket   = "media-artifacts-us-east-1"
}

resource "aws_s3_bucket_versioning" "eu" {
  bucket = aws_s3_bucket.eu.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_versioning" "us" {
  provider = aws.us
  bucket   = aws_s3_bucket.us.id
  versioning_configuration {
    status = "Enabled"
  }
}

locals {
  artifact_stores = {
    "eu-west-1" = { bucket = aws_s3_bucket.eu.bucket, key = aws_kms_key.eu.arn }
    "us-east-1" = { bucket = aws_s3_bucket.us.bucket, key = aws_kms_key.us.arn }
  }
  deploy_regions = ["eu-west-1", "us-east-1", "ap-southeast-2"]
}

resource "aws_codepipeline" "media" {
  name     = "media"
  role_arn = "arn:aws:iam::111111111111:role/media-pipeline"

  dynamic "artifact_store" {
    for_each = local.artifact_stores
    content {
      location = artifact_store.value.bucket
      region   = artifact_store.key
      type     = "S3"
      encryption_key {
        id   = artifact_store.value.key
        type = "KMS"
      }
    }
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "ECR"
      version          = "1"
      output_artifacts = ["image"]
      configuration = {
        RepositoryName = "media"
        ImageTag       = "latest"
      }
    }
  }

  stage {
    name = "Deploy"
    dynamic "action" {
      for_each = local.deploy_regions
      content {
        name            = "Deploy-${action.value}"
        category        = "Deploy"
        owner           = "AWS"
        provider        = "ECS"
        version         = "1"
        region          = action.value
        input_artifacts = ["image"]
        configuration = {
          ClusterName = "media"
          ServiceName = "media-api"
        }
      }
    }
  }
}
