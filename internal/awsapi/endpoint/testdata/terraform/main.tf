# A cross-account pipeline written for the AWS provider, applied to the local cloud's AWS
# endpoint: account 111111111111 holds the pipeline, its artifact store and key; account
# 222222222222 holds the deploy role and the bucket the pipeline deploys to.

terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

variable "endpoint" { type = string }
variable "pipeline_access_key" { type = string }
variable "pipeline_secret_key" {
  type      = string
  sensitive = true
}
variable "target_access_key" { type = string }
variable "target_secret_key" {
  type      = string
  sensitive = true
}
variable "use_customer_managed_key" {
  description = "Encrypt the artifacts with the customer-managed key (false: the AWS-managed aws/s3 key, which the target account cannot use)."
  type        = bool
  default     = true
}

locals {
  pipeline_account = "111111111111"
  target_account   = "222222222222"
  source_zip       = "${path.module}/app.zip"
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = var.pipeline_access_key
  secret_key                  = var.pipeline_secret_key
  s3_use_path_style           = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_credentials_validation = true
  allowed_account_ids         = [local.pipeline_account]
  endpoints {
    codepipeline = var.endpoint
    iam          = var.endpoint
    kms          = var.endpoint
    s3           = var.endpoint
    sts          = var.endpoint
  }
}

provider "aws" {
  alias                       = "target"
  region                      = "us-east-1"
  access_key                  = var.target_access_key
  secret_key                  = var.target_secret_key
  s3_use_path_style           = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_credentials_validation = true
  allowed_account_ids         = [local.target_account]
  endpoints {
    codepipeline = var.endpoint
    iam          = var.endpoint
    kms          = var.endpoint
    s3           = var.endpoint
    sts          = var.endpoint
  }
}

# ---- the target account: the bucket deployed to, and the role the deploy action acts as ----

resource "aws_s3_bucket" "site" {
  provider      = aws.target
  bucket        = "site-222222222222"
  force_destroy = true
  tags          = { purpose = "deploy target" }
}

resource "aws_iam_role" "deploy" {
  provider = aws.target
  name     = "cross-account-deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${local.pipeline_account}:root" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = { purpose = "cross-account deploy" }
}

resource "aws_iam_role_policy" "deploy" {
  provider = aws.target
  name     = "deploy"
  role     = aws_iam_role.deploy.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:GetObjectVersion"]
        Resource = "${aws_s3_bucket.artifacts.arn}/*"
      },
      {
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:DescribeKey"]
        Resource = aws_kms_key.artifacts.arn
      },
      {
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:ListBucket"]
        Resource = [aws_s3_bucket.site.arn, "${aws_s3_bucket.site.arn}/*"]
      },
    ]
  })
}

# ---- the pipeline account ----

resource "aws_kms_key" "artifacts" {
  description             = "pipeline artifacts"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "Account"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${local.pipeline_account}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CrossAccountDeploy"
        Effect    = "Allow"
        Principal = { AWS = aws_iam_role.deploy.arn }
        Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_kms_alias" "artifacts" {
  name          = "alias/pipeline-artifacts"
  target_key_id = aws_kms_key.artifacts.key_id
}

resource "aws_s3_bucket" "artifacts" {
  bucket        = "artifacts-111111111111"
  force_destroy = true
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
        Sid       = "CrossAccountDeployReads"
        Effect    = "Allow"
        Principal = { AWS = aws_iam_role.deploy.arn }
        Action    = ["s3:GetObject", "s3:GetObjectVersion"]
        Resource  = "${aws_s3_bucket.artifacts.arn}/*"
      },
      {
        Sid       = "CrossAccountDeployLists"
        Effect    = "Allow"
        Principal = { AWS = aws_iam_role.deploy.arn }
        Action    = "s3:ListBucket"
        Resource  = aws_s3_bucket.artifacts.arn
      },
    ]
  })
}

resource "aws_s3_bucket" "source" {
  bucket        = "source-111111111111"
  force_destroy = true
}

resource "aws_s3_bucket_versioning" "source" {
  bucket = aws_s3_bucket.source.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_object" "source" {
  bucket      = aws_s3_bucket.source.id
  key         = "app.zip"
  source      = local.source_zip
  source_hash = filemd5(local.source_zip)
  depends_on  = [aws_s3_bucket_versioning.source]
}

resource "aws_iam_role" "pipeline" {
  name = "pipeline-service"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "codepipeline.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "pipeline" {
  name = "pipeline"
  role = aws_iam_role.pipeline.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Action = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:ListBucket", "s3:GetBucketVersioning"]
        Resource = [
          aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*",
          aws_s3_bucket.source.arn, "${aws_s3_bucket.source.arn}/*",
        ]
      },
      {
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource = "*"
      },
      {
        Effect   = "Allow"
        Action   = "sts:AssumeRole"
        Resource = aws_iam_role.deploy.arn
      },
    ]
  })
}

resource "aws_codepipeline" "release" {
  name           = "cross-account-release"
  role_arn       = aws_iam_role.pipeline.arn
  pipeline_type  = "V2"
  execution_mode = "QUEUED"

  artifact_store {
    location = aws_s3_bucket.artifacts.bucket
    type     = "S3"

    dynamic "encryption_key" {
      for_each = var.use_customer_managed_key ? [aws_kms_key.artifacts.arn] : []
      content {
        id   = encryption_key.value
        type = "KMS"
      }
    }
  }

  variable {
    name          = "release"
    default_value = "r1"
    description   = "the release being deployed"
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "S3"
      version          = "1"
      output_artifacts = ["app"]
      configuration = {
        S3Bucket             = aws_s3_bucket.source.bucket
        S3ObjectKey          = aws_s3_object.source.key
        PollForSourceChanges = "false"
      }
    }
  }

  stage {
    name = "Approve"
    action {
      name     = "Approval"
      category = "Approval"
      owner    = "AWS"
      provider = "Manual"
      version  = "1"
      configuration = {
        CustomData = "Deploy release #{variables.release}?"
      }
    }
  }

  stage {
    name = "Deploy"
    action {
      name            = "Site"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "S3"
      version         = "1"
      input_artifacts = ["app"]
      role_arn        = aws_iam_role.deploy.arn
      configuration = {
        BucketName = aws_s3_bucket.site.bucket
        Extract    = "true"
      }
    }
  }

  tags = { team = "platform" }

  # The pipeline runs once when it is created: everything it reads and acts as must be there.
  depends_on = [
    aws_iam_role_policy.pipeline, aws_iam_role_policy.deploy, aws_s3_bucket_policy.artifacts,
    aws_s3_bucket_versioning.artifacts, aws_kms_alias.artifacts,
  ]
}

output "pipeline" {
  value = aws_codepipeline.release.name
}
