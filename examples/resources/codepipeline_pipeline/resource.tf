resource "codepipeline_artifact_store" "app" {
  bucket = "app-artifacts"
}

# Source → Build → two tests in parallel (retried once when they fail) → Deploy to a bucket,
# in office hours only, rolled back to the last good release when it fails.
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
      category        = "Compute"
      owner           = "AWS"
      provider        = "Commands"
      version         = "1"
      run_order       = 1
      input_artifacts = ["source"]
      commands        = ["npm ci", "npm run lint"]
    }

    # A flaky test gets one more chance before the stage fails.
    on_failure {
      result = "RETRY"
      retry_configuration {
        retry_mode = "FAILED_ACTIONS"
      }
    }
  }

  stage {
    name = "Deploy"

    # Wait for office hours (Monday to Friday, 9:00 to 16:59 in Paris) before deploying.
    before_entry {
      condition {
        result = "FAIL"
        rule {
          name = "OfficeHours"
          rule_type_id {
            category = "Rule"
            owner    = "AWS"
            provider = "DeploymentWindow"
            version  = "1"
          }
          configuration = {
            Cron     = "* * 9-16 ? * MON-FRI"
            TimeZone = "Europe/Paris"
          }
        }
      }
    }

    # A failed deploy puts back what the last successful run deployed.
    on_failure {
      result = "ROLLBACK"
    }

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
