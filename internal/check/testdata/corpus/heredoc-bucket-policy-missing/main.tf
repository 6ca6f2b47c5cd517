# A cross-account pipeline whose bucket policy is a heredoc with the bucket ARN interpolated;
# the bucket is named by bucket_prefix, so the ARN, and the document as a whole, are known only
# after apply. Planted: the heredoc grants the staging account's deployer, not production's,
# which the deploy action uses. The .tf reader renders the heredoc with the ARN unknown and
# sees that no statement can grant production's role anything; the plan holds the policy as
# unknown.
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

resource "aws_s3_bucket" "artifacts" {
  bucket_prefix = "reports-artifacts-"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DeployerObjects",
      "Effect": "Allow",
      "Principal": { "AWS": "arn:aws:iam::333333333333:role/reports-deployer" },
      "Action": ["s3:GetObject", "s3:PutObject"],
      "Resource": "${aws_s3_bucket.artifacts.arn}/*"
    },
    {
      "Sid": "DeployerList",
      "Effect": "Allow",
      "Principal": { "AWS": "arn:aws:iam::333333333333:role/reports-deployer" },
      "Action": "s3:ListBucket",
      "Resource": "${aws_s3_bucket.artifacts.arn}"
    }
  ]
}
POLICY
}

resource "aws_kms_key" "artifacts" {
  description         = "reports pipeline artifacts"
  enable_key_rotation = true
  policy              = <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Administration",
      "Effect": "Allow",
      "Principal": { "AWS": "arn:aws:iam::111111111111:root" },
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "Deployers",
      "Effect": "Allow",
      "Principal": { "AWS": ["arn:aws:iam::222222222222:role/reports-deployer", "arn:aws:iam::333333333333:role/reports-deployer"] },
      "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
      "Resource": "*"
    }
  ]
}
POLICY
}

resource "aws_codepipeline" "reports" {
  name     = "reports"
  role_arn = "arn:aws:iam::111111111111:role/reports-pipeline"

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
      provider         = "S3"
      version          = "1"
      output_artifacts = ["bundle"]
      configuration = {
        S3Bucket             = "reports-releases-111111111111"
        S3ObjectKey          = "bundle.zip"
        PollForSourceChanges = "false"
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
      input_artifacts = ["bundle"]
      role_arn        = "arn:aws:iam::222222222222:role/reports-deployer"
      configuration = {
        BucketName = "reports-site-222222222222"
        Extract    = "true"
      }
    }
  }
}
