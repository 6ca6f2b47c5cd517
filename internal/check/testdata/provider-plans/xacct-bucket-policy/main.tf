# The seed cross-account scenario, with one mistake: the artifact store's cross_account_roles
# lists the target account's test role but forgets the deploy role that the pipeline's Deploy
# action assumes. Expected from `check`: xacct-bucket-policy (error) at
# codepipeline_pipeline.release stage[1].action[0].role_arn.
#
# `terraform plan` itself succeeds: the store, key and role are created in the same apply, so
# at plan the provider has no facts about them in the backend (the key's ARN is not even known
# yet) and its cross-resource rules can only run in the pipeline's preflight at apply. The plan
# JSON shows all four resources, so `check` catches at plan what the provider catches at apply:
# `terraform apply` of the plan creates the key, store and role, then fails at the pipeline with
# the same rule at the same path.
terraform {
  required_providers {
    codepipeline = {
      source = "pipelinekit/codepipeline"
    }
  }
}

# The pipeline's account.
provider "codepipeline" {
  account_id = "111111111111"
}

# The account the Deploy action deploys into.
provider "codepipeline" {
  alias      = "target"
  account_id = "222222222222"
}

locals {
  # Named rather than referenced: the key's policy grants the role, and the role's policy names
  # the key, so referencing both ways would be a cycle.
  deploy_role = "arn:aws:iam::222222222222:role/deploy"
  test_role   = "arn:aws:iam::222222222222:role/test"
}

resource "codepipeline_cross_account_key" "artifacts" {
  description   = "release artifacts"
  grantee_roles = [local.deploy_role, local.test_role]
}

resource "codepipeline_artifact_store" "artifacts" {
  bucket              = "release-artifacts"
  encryption_key_arn  = codepipeline_cross_account_key.artifacts.arn
  cross_account_roles = [local.test_role] # the mistake: local.deploy_role is missing
}

resource "codepipeline_cross_account_role" "deploy" {
  provider = codepipeline.target

  name                = "deploy"
  trusted_account_id  = "111111111111"
  artifact_bucket_arn = codepipeline_artifact_store.artifacts.arn
  key_arn             = codepipeline_cross_account_key.artifacts.arn
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
      role_arn        = codepipeline_cross_account_role.deploy.arn
      configuration = {
        BucketName = "site"
        Extract    = "true"
      }
    }
  }
}
