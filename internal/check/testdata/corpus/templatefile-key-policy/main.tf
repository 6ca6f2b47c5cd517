# The key policy is a template file rendered with templatefile(), given the pipeline role's ARN
# (name_prefix: known only after apply) and the deploy role's. Planted: the template lets the
# deploy role decrypt and describe the key only. The .tf reader renders the template with the
# pipeline role's ARN unknown: that statement might name anyone, so what it grants is given the
# benefit of the doubt, but nothing grants kms:ReEncrypt* to the deploy role whatever the ARN
# is. The plan holds the rendered policy as unknown.
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
  deployer = "arn:aws:iam::222222222222:role/analytics-deployer"
}

resource "aws_iam_role" "pipeline" {
  name_prefix = "analytics-pipeline-"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "codepipeline.amazonaws.com" } }]
  })
}

resource "aws_kms_key" "artifacts" {
  description         = "analytics pipeline artifacts"
  enable_key_rotation = true
  policy = templatefile("${path.module}/policies/key-policy.json.tpl", {
    account_id    = "111111111111"
    pipeline_role = aws_iam_role.pipeline.arn
    deployer      = local.deployer
  })
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "analytics-artifacts-111111111111"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = templatefile("${path.module}/policies/bucket-policy.json.tpl", {
    bucket   = aws_s3_bucket.artifacts.bucket
    deployer = local.deployer
  })
}

resource "aws_codepipeline" "analytics" {
  name     = "analytics"
  role_arn = aws_iam_role.pipeline.arn

  artifact_store {
    location = aws_s3_bucket.artifacts.bucket
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
        RepositoryName       = "analytics"
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
      provider        = "S3"
      version         = "1"
      input_artifacts = ["source"]
      role_arn        = local.deployer
      configuration = {
        BucketName = "analytics-site-222222222222"
        Extract    = "true"
      }
    }
  }
}
