# The seed cross-account scenario, with one mistake: the deploy role's key_arn names another
# key of the pipeline's account, not the one that encrypts the artifact store. The key policy
# and the bucket policy grant the role, but the role's own generated policy only allows it the
# other key, so it cannot decrypt the artifacts. Expected from `check`: xacct-role-decrypt
# (error) at codepipeline_pipeline.release stage[1].action[0].role_arn, read from the role's
# generated policy even though neither key's ARN is known before apply. `terraform plan`
# succeeds (nothing exists in the backend yet); `terraform apply` fails at the pipeline on the
# same rule at the same path.
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
  cross_account_roles = [local.deploy_role, local.test_role]
}

# A key for something else, in the same account.
resource "codepipeline_cross_account_key" "other" {
  description = "reports"
}

resource "codepipeline_cross_account_role" "deploy" {
  provider = codepipeline.target

  name                = "deploy"
  trusted_account_id  = "111111111111"
  artifact_bucket_arn = codepipeline_artifact_store.artifacts.arn
  key_arn             = codepipeline_cross_account_key.other.arn # the mistake: not the artifact key
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
