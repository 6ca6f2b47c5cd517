resource "codepipeline_artifact_store" "app" {
  bucket = "app-artifacts"
}

# Source → Build → two tests in parallel → Deploy to a bucket.
resource "codepipeline_pipeline" "app" {
  name     = "app"
  role_arn = "arn:aws:iam::111111111111:role/pipeline"

  artifact_store {
    location = codepipeline_artifact_store.app.bucket
    type     = "S3"
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
      namespace        = "BuildVariables"
      configuration = {
        ProjectName = "app-build"
      }
    }
  }

  # Actions with the same run_order form one group and run in parallel.
  stage {
    name = "Test"
    action {
      name            = "Unit"
      category        = "Test"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      run_order       = 1
      input_artifacts = ["build"]
      configuration = {
        ProjectName = "app-unit-tests"
      }
    }
    action {
      name            = "Lint"
      category        = "Test"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      run_order       = 1
      input_artifacts = ["source"]
      configuration = {
        ProjectName = "app-lint"
      }
    }
  }

  stage {
    name = "Deploy"
    action {
      name            = "Publish"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "S3"
      version         = "1"
      input_artifacts = ["build"]
      configuration = {
        BucketName = "app-site"
        Extract    = "true"
      }
    }
  }

  tags = {
    team = "platform"
  }
}
