# As versioning-missing, with the finding suppressed by an inline comment on the pipeline.

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111111111111"]
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "release-artifacts-111111111111"
}

# The bucket's versioning is managed outside Terraform.
# codepipeline:ignore=store-versioning
resource "aws_codepipeline" "release" {
  name          = "release"
  role_arn      = "arn:aws:iam::111111111111:role/codepipeline-service"
  pipeline_type = "V2"

  artifact_store {
    location = aws_s3_bucket.artifacts.bucket
    type     = "S3"
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
        ConnectionArn    = "arn:aws:codestar-connections:eu-west-1:111111111111:connection/0f4a3c1e"
        FullRepositoryId = "acme/app"
        BranchName       = "main"
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
      input_artifacts  = ["source"]
      output_artifacts = ["build"]
      configuration = {
        ProjectName = "app"
      }
    }
  }
}
