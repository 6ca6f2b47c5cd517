# A cross-account pipeline module given its key by the KMS module's alias ARN output, known
# only after apply. Planted: an alias, in either form, resolves in the caller's account, so the
# deploy account cannot find the key: reported though the value is unknown, since its form is
# certain.
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

module "kms" {
  source   = "./modules/kms"
  name     = "loyalty"
  grantees = ["arn:aws:iam::222222222222:role/loyalty-deployer"]
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "loyalty-artifacts-111111111111"
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
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::222222222222:role/loyalty-deployer" }
        Action    = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
        Resource  = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]
      },
    ]
  })
}

module "pipeline" {
  source          = "./modules/pipeline"
  name            = "loyalty"
  artifact_bucket = aws_s3_bucket.artifacts.bucket
  kms_key_id      = module.kms.alias_arn
  deploy_role_arn = "arn:aws:iam::222222222222:role/loyalty-deployer"
}
