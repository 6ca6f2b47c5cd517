# The same cross-account deploy, with the bucket policy from an aws_iam_policy_document whose
# resources are known only after apply (bucket_prefix). Planted: the deployer's statement
# allows reading artifacts but not writing them, nor listing the bucket; the pipeline role's
# statement (its ARN unknown, name_prefix) only reads the bucket's versioning. Whatever the
# unknown parts turn out to be, the deployer cannot put objects: reported in both modes (the
# plan holds the document's statements with their unknown parts).
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
  deployer = "arn:aws:iam::222222222222:role/pipeline-deployer"
}

resource "aws_iam_role" "pipeline" {
  name_prefix        = "ledger-pipeline-"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codepipeline.amazonaws.com"]
    }
  }
}

resource "aws_s3_bucket" "artifacts" {
  bucket_prefix = "ledger-artifacts-"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

data "aws_iam_policy_document" "artifacts" {
  statement {
    sid       = "PipelineVersioning"
    actions   = ["s3:GetBucketVersioning"]
    resources = [aws_s3_bucket.artifacts.arn]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.pipeline.arn]
    }
  }
  statement {
    sid       = "DeployerReads"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${aws_s3_bucket.artifacts.arn}/*"]
    principals {
      type        = "AWS"
      identifiers = [local.deployer]
    }
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = data.aws_iam_policy_document.artifacts.json
}

resource "aws_kms_key" "artifacts" {
  description         = "ledger pipeline artifacts"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.key.json
}

data "aws_iam_policy_document" "key" {
  statement {
    sid       = "Administration"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111111111111:root"]
    }
  }
  statement {
    sid       = "Deployer"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.deployer]
    }
  }
}

resource "aws_codepipeline" "ledger" {
  name     = "ledger"
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
        RepositoryName       = "ledger"
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
      provider        = "CloudFormation"
      version         = "1"
      input_artifacts = ["source"]
      role_arn        = local.deployer
      configuration = {
        ActionMode   = "CREATE_UPDATE"
        StackName    = "ledger"
        TemplatePath = "source::template.yaml"
        RoleArn      = "arn:aws:iam::222222222222:role/cloudformation-deploy"
      }
    }
  }
}
