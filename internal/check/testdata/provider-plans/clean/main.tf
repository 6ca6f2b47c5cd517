# A plan of this provider's own resources with no finding: a cross-account pipeline on a
# versioned artifact store, a rotating customer-managed key named by ARN, and a grantee role.
# Used (once the resources exist) by a test that runs `terraform plan -out` and
# `terraform show -json` with the locally built provider and checks the result.
terraform {
  required_providers {
    codepipeline = {
      source = "pipelinekit/codepipeline"
    }
  }
}

provider "codepipeline" {
  account_id = "111111111111"
}

locals {
  deploy_role = "arn:aws:iam::222222222222:role/deploy"
}

resource "codepipeline_cross_account_key" "artifacts" {
  description         = "release artifacts"
  grantee_roles       = [local.deploy_role]
  enable_key_rotation = true
}

resource "codepipeline_artifact_store" "artifacts" {
  bucket              = "release-artifacts"
  versioning          = true
  encryption_key_arn  = codepipeline_cross_account_key.artifacts.arn
  cross_account_roles = [local.deploy_role]
}

resource "codepipeline_pipeline" "release" {
  name     = "release"
  role_arn = "arn:aws:iam::111111111111:role/codepipeline-service"

  artifact_store {
    location = codepipeline_artifact_store.artifacts.bucket
    type     = "S3"
    encryption_key {
      id   = codepipeline_cross_account_key.artifacts.arn
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
      output_artifacts = ["source"]
      configuration = {
        S3Bucket    = "release-sources"
        S3ObjectKey = "app.zip"
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
      role_arn        = local.deploy_role
      configuration = {
        BucketName = "site"
        Extract    = "true"
      }
    }
  }
}
