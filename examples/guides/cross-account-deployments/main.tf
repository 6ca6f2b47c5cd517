terraform {
  required_providers {
    codepipeline = {
      source = "pipelinekit/codepipeline"
    }
  }
}

# Step 1: one provider configuration per account, over one local state directory.
provider "codepipeline" {
  account_id = "111111111111" # the pipeline (tools) account
  state_dir  = ".codepipeline"
}

provider "codepipeline" {
  alias      = "prod"
  account_id = "222222222222" # the target account
  state_dir  = ".codepipeline"
}

locals {
  deployer_role_arn = "arn:aws:iam::222222222222:role/prod-deployer"
}

# Step 2: in the pipeline account, a customer-managed key whose policy grants the target role.
resource "codepipeline_cross_account_key" "artifacts" {
  description   = "Artifacts of the app pipeline, shared with prod"
  alias         = "alias/app-artifacts"
  grantee_roles = [local.deployer_role_arn]
}

# Step 3: the artifact store, encrypted with that key (by ARN), granting the target role.
resource "codepipeline_artifact_store" "artifacts" {
  bucket              = "app-pipeline-artifacts"
  encryption_key_arn  = codepipeline_cross_account_key.artifacts.arn
  cross_account_roles = [local.deployer_role_arn]
}

# Step 4: in the target account, the role the deploy action assumes.
resource "codepipeline_cross_account_role" "deployer" {
  provider = codepipeline.prod

  name                = "prod-deployer"
  trusted_account_id  = "111111111111"
  artifact_bucket_arn = codepipeline_artifact_store.artifacts.arn
  key_arn             = codepipeline_cross_account_key.artifacts.arn
}

# Step 5: the pipeline, whose deploy action runs in the target account through that role.
resource "codepipeline_pipeline" "app" {
  name     = "app"
  role_arn = "arn:aws:iam::111111111111:role/app-pipeline"

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
      name             = "Checkout"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      output_artifacts = ["source"]
      configuration = {
        RepositoryName = "app"
        BranchName     = "main"
      }
    }
  }

  stage {
    name = "Build"
    action {
      name             = "Compile"
      category         = "Build"
      owner            = "AWS"
      provider         = "CodeBuild"
      version          = "1"
      input_artifacts  = ["source"]
      output_artifacts = ["build"]
      configuration = {
        ProjectName = "app"
      }
    }
  }

  stage {
    name = "DeployProd"
    action {
      name            = "Publish"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "S3"
      version         = "1"
      input_artifacts = ["build"]
      role_arn        = codepipeline_cross_account_role.deployer.arn
      configuration = {
        BucketName = "app-prod-site"
        Extract    = "true"
      }
    }
  }
}

output "deployer_role_policy" {
  value = codepipeline_cross_account_role.deployer.policy
}
