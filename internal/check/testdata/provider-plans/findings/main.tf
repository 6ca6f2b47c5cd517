# A plan of this provider's own resources that the provider itself accepts (the rules that run
# at plan would stop an invalid one, so this configuration holds only what a plan lets through:
# warnings, and facts only known to the checker across resources). Expected from `check`:
# key-rotation (warning) on the key and on the pipeline, polling-deprecated (warning). The
# provider reports the same at plan except key-rotation on the pipeline: the key does not exist
# in the backend until apply, while the plan JSON links the pipeline to it.
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

resource "codepipeline_cross_account_key" "artifacts" {
  description         = "release artifacts"
  enable_key_rotation = false
}

resource "codepipeline_artifact_store" "artifacts" {
  bucket             = "release-artifacts"
  encryption_key_arn = codepipeline_cross_account_key.artifacts.arn
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
        S3Bucket             = "release-sources"
        S3ObjectKey          = "app.zip"
        PollForSourceChanges = "true"
      }
    }
  }

  stage {
    name = "Build"
    action {
      name            = "Build"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["source"]
      configuration = {
        ProjectName = "app"
      }
    }
  }
}
