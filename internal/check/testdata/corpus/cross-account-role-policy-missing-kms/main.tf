# As cross-account-role-policy-jsonencode, but the deployer role's own policy allows only
# kms:Decrypt and kms:DescribeKey on the key (known after apply): it cannot encrypt the
# artifacts it writes, whatever the key's ARN. The plan holds the role policy as unknown (it
# is a jsonencode of an unknown value), so only the .tf reader sees it.
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

# The production account, through the role terraform assumes there.
provider "aws" {
  alias  = "prod"
  region = "eu-west-1"
  assume_role {
    role_arn = "arn:aws:iam::222222222222:role/terraform"
  }
}

data "aws_caller_identity" "prod" {
  provider = aws.prod
}

locals {
  deployer_name = "payments-deployer"
  # Built from its parts: the key and bucket policies grant the role, whose own policy names
  # the key and the bucket.
  deployer_arn = "arn:aws:iam::${data.aws_caller_identity.prod.account_id}:role/${local.deployer_name}"
}

resource "aws_kms_key" "artifacts" {
  description         = "payments pipeline artifacts"
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "Administration", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111111111111:root" }, Action = "kms:*", Resource = "*" },
      {
        Sid       = "Deployer"
        Effect    = "Allow"
        Principal = { AWS = local.deployer_arn }
        Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "payments-artifacts-111111111111"
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
      { Effect = "Allow", Principal = { AWS = local.deployer_arn }, Action = ["s3:Get*", "s3:Put*"], Resource = "${aws_s3_bucket.artifacts.arn}/*" },
      { Effect = "Allow", Principal = { AWS = local.deployer_arn }, Action = "s3:ListBucket", Resource = aws_s3_bucket.artifacts.arn },
    ]
  })
}

# The deployer, in the production account.
resource "aws_iam_role" "deployer" {
  provider = aws.prod
  name     = local.deployer_name
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::111111111111:root" } }]
  })
}

resource "aws_iam_role_policy" "deployer" {
  provider = aws.prod
  name     = "pipeline-artifacts"
  role     = aws_iam_role.deployer.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["kms:Decrypt", "kms:DescribeKey"], Resource = aws_kms_key.artifacts.arn },
      { Effect = "Allow", Action = ["s3:Get*", "s3:Put*"], Resource = "${aws_s3_bucket.artifacts.arn}/*" },
    ]
  })
}

resource "aws_codepipeline" "payments" {
  name     = "payments"
  role_arn = "arn:aws:iam::111111111111:role/payments-pipeline"

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
        ConnectionArn    = "arn:aws:codestar-connections:eu-west-1:111111111111:connection/aa11bb22-cc33-4d44-8e55-66ff77889900"
        FullRepositoryId = "acme/payments"
        BranchName       = "main"
      }
    }
  }

  stage {
    name = "Deploy"
    action {
      name            = "Deploy"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "CodeDeploy"
      version         = "1"
      input_artifacts = ["source"]
      role_arn        = aws_iam_role.deployer.arn
      configuration = {
        ApplicationName     = "payments"
        DeploymentGroupName = "production"
      }
    }
  }
}
