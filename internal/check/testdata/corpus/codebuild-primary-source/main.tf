# A build that combines the application and a shared configuration repository. Planted: with
# two inputs, the CodeBuild action names no PrimarySource. The build's environment variables
# are a jsonencode with an SSM parameter ARN only apply knows: they are unknown, not too long.
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

resource "aws_ssm_parameter" "registry" {
  name  = "/ci/registry"
  type  = "String"
  value = "111111111111.dkr.ecr.eu-west-1.amazonaws.com"
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "mobile-backend-artifacts-111111111111"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_codepipeline" "backend" {
  name     = "mobile-backend"
  role_arn = "arn:aws:iam::111111111111:role/mobile-backend-pipeline"

  artifact_store {
    location = aws_s3_bucket.artifacts.bucket
    type     = "S3"
  }

  stage {
    name = "Source"
    action {
      name             = "App"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      output_artifacts = ["app"]
      configuration = {
        RepositoryName       = "mobile-backend"
        BranchName           = "main"
        PollForSourceChanges = "false"
      }
    }
    action {
      name             = "Config"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      output_artifacts = ["config"]
      configuration = {
        RepositoryName       = "shared-config"
        BranchName           = "main"
        PollForSourceChanges = "false"
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
      input_artifacts  = ["app", "config"]
      output_artifacts = ["image"]
      configuration = {
        ProjectName = "mobile-backend"
        EnvironmentVariables = jsonencode([
          { name = "REGISTRY_PARAMETER", value = aws_ssm_parameter.registry.arn, type = "PLAINTEXT" },
          { name = "STAGE", value = "production", type = "PLAINTEXT" },
        ])
      }
    }
  }
}
