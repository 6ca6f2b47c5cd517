# Every resource behind a create flag (count), referenced as x[0].attr, one(x[*].attr),
# try(x[0].attr, ""), element(x.*.attr, 0). Planted: the key policy resource
# (aws_kms_key_policy, found through one(...)) does not grant the deploy role.
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

variable "create" {
  type    = bool
  default = true
}

locals {
  deployer = "arn:aws:iam::222222222222:role/inventory-deployer"
}

resource "aws_s3_bucket" "artifacts" {
  count  = var.create ? 1 : 0
  bucket = "inventory-artifacts-111111111111"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  count  = var.create ? 1 : 0
  bucket = element(aws_s3_bucket.artifacts.*.id, 0)
  versioning_configuration {
    status = "Enabled"
  }
}

data "aws_iam_policy_document" "bucket" {
  count = var.create ? 1 : 0
  statement {
    actions   = ["s3:Get*", "s3:Put*"]
    resources = ["${aws_s3_bucket.artifacts[0].arn}/*"]
    principals {
      type        = "AWS"
      identifiers = [local.deployer]
    }
  }
  statement {
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.artifacts[0].arn]
    principals {
      type        = "AWS"
      identifiers = [local.deployer]
    }
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  count  = var.create ? 1 : 0
  bucket = try(aws_s3_bucket.artifacts[0].id, "")
  policy = data.aws_iam_policy_document.bucket[0].json
}

resource "aws_kms_key" "artifacts" {
  count               = var.create ? 1 : 0
  description         = "inventory pipeline artifacts"
  enable_key_rotation = true
}

resource "aws_kms_key_policy" "artifacts" {
  count  = var.create ? 1 : 0
  key_id = one(aws_kms_key.artifacts[*].id)
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "Administration", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111111111111:root" }, Action = "kms:*", Resource = "*" },
      { Sid = "PipelineRole", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111111111111:role/inventory-pipeline" }, Action = ["kms:Decrypt", "kms:GenerateDataKey*"], Resource = "*" },
    ]
  })
}

resource "aws_codepipeline" "inventory" {
  count    = var.create ? 1 : 0
  name     = "inventory"
  role_arn = "arn:aws:iam::111111111111:role/inventory-pipeline"

  artifact_store {
    location = aws_s3_bucket.artifacts[0].bucket
    type     = "S3"
    encryption_key {
      id   = one(aws_kms_key.artifacts[*].arn)
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
        RepositoryName       = "inventory"
        BranchName           = "main"
        PollForSourceChanges = "false"
      }
    }
  }

  stage {
    name = "Deploy"
    action {
      name            = "Deploy"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "ECS"
      version         = "1"
      input_artifacts = ["source"]
      role_arn        = local.deployer
      configuration = {
        ClusterName = "inventory"
        ServiceName = "inventory"
      }
    }
  }
}
