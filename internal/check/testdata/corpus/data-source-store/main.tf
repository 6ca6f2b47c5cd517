# A pipeline on an artifact bucket and key created elsewhere, read with data sources: the
# bucket by name, the key through its alias. What the data sources read is unknown to the .tf
# reader (and, since they wait for the pipeline's role policy, to the plan as well): nothing
# may be said about the bucket's versioning or the key, and the key's ARN is not known to be
# an alias. Nothing may be reported.
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

variable "artifact_bucket" {
  type    = string
  default = "shared-pipeline-artifacts-111111111111"
}

resource "aws_iam_role" "pipeline" {
  name = "profile-pipeline"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "codepipeline.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "pipeline" {
  name = "artifacts"
  role = aws_iam_role.pipeline.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:GetObject*", "s3:PutObject"], Resource = "arn:aws:s3:::${var.artifact_bucket}/*" },
    ]
  })
}

data "aws_s3_bucket" "artifacts" {
  bucket     = var.artifact_bucket
  depends_on = [aws_iam_role_policy.pipeline]
}

data "aws_kms_alias" "artifacts" {
  name       = "alias/shared-pipeline-artifacts"
  depends_on = [aws_iam_role_policy.pipeline]
}

resource "aws_codepipeline" "profile" {
  name     = "profile"
  role_arn = aws_iam_role.pipeline.arn

  artifact_store {
    location = data.aws_s3_bucket.artifacts.id
    type     = "S3"
    encryption_key {
      id   = data.aws_kms_alias.artifacts.target_key_arn
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
        RepositoryName       = "profile"
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
      configuration = {
        ClusterName = "profile"
        ServiceName = "profile"
      }
    }
  }
}
