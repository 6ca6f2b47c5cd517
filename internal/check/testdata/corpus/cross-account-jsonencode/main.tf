# A pipeline in the tools account deploying into production, with the policies written as
# jsonencode() around values only apply knows: the service role is named by name_prefix and
# the bucket by bucket_prefix, so the key policy names an unknown role ARN and the bucket
# policy unknown resource ARNs. What is known (the production role, the actions) grants what
# the deploy needs: nothing may be reported, and no policy is "not valid JSON".
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

variable "prod_account_id" {
  type    = string
  default = "222222222222"
}

locals {
  prod_deployer = "arn:aws:iam::${var.prod_account_id}:role/pipeline-deployer"
}

data "aws_caller_identity" "current" {}

resource "aws_iam_role" "pipeline" {
  name_prefix = "storefront-pipeline-"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "codepipeline.amazonaws.com" } }]
  })
}

resource "aws_kms_key" "artifacts" {
  description         = "storefront pipeline artifacts"
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "Administration"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "UseByPipelineAndDeployer"
        Effect    = "Allow"
        Principal = { AWS = [aws_iam_role.pipeline.arn, local.prod_deployer] }
        Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_s3_bucket" "artifacts" {
  bucket_prefix = "storefront-artifacts-"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DeployerObjects"
        Effect    = "Allow"
        Principal = { AWS = local.prod_deployer }
        Action    = ["s3:GetObject*", "s3:PutObject*"]
        Resource  = "${aws_s3_bucket.artifacts.arn}/*"
      },
      {
        Sid       = "DeployerList"
        Effect    = "Allow"
        Principal = { AWS = local.prod_deployer }
        Action    = "s3:ListBucket"
        Resource  = aws_s3_bucket.artifacts.arn
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_codepipeline" "storefront" {
  name          = "storefront"
  role_arn      = aws_iam_role.pipeline.arn
  pipeline_type = "V2"

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
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["source"]
      configuration = {
        ConnectionArn    = "arn:aws:codestar-connections:eu-west-1:111111111111:connection/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
        FullRepositoryId = "acme/storefront"
        BranchName       = "main"
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
      input_artifacts  = ["source"]
      output_artifacts = ["site"]
      configuration = {
        ProjectName = "storefront"
      }
    }
  }

  stage {
    name = "DeployProduction"
    action {
      name            = "Deploy"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "S3"
      version         = "1"
      input_artifacts = ["site"]
      role_arn        = local.prod_deployer
      configuration = {
        BucketName = "storefront-site-${var.prod_account_id}"
        Extract    = "true"
      }
    }
  }
}
