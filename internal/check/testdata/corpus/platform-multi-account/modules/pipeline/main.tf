variable "service" {
  type = string
}

variable "repository" {
  type = string
}

variable "tests" {
  type = list(string)
}

variable "role_arn" {
  type = string
}

variable "connection_arn" {
  type = string
}

variable "artifact_bucket" {
  type = string
}

variable "artifact_key" {
  type = string
}

variable "deploy_targets" {
  type = list(object({
    name     = string
    role_arn = string
    bucket   = string
  }))
}

resource "aws_codepipeline" "this" {
  name           = var.service
  role_arn       = var.role_arn
  pipeline_type  = "V2"
  execution_mode = "QUEUED"

  artifact_store {
    location = var.artifact_bucket
    type     = "S3"
    encryption_key {
      id   = var.artifact_key
      type = "KMS"
    }
  }

  variable {
    name          = "RELEASE_NOTES"
    default_value = "none"
    description   = "Shown on the approval."
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      namespace        = "SourceVariables"
      output_artifacts = ["source"]
      configuration = {
        ConnectionArn        = var.connection_arn
        FullRepositoryId     = var.repository
        BranchName           = "main"
        DetectChanges        = "true"
        OutputArtifactFormat = "CODE_ZIP"
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
      namespace        = "BuildVariables"
      input_artifacts  = ["source"]
      output_artifacts = ["site"]
      configuration = {
        ProjectName = "${var.service}-build"
        EnvironmentVariables = jsonencode([
          { name = "COMMIT_ID", value = "#{SourceVariables.CommitId}", type = "PLAINTEXT" },
        ])
      }
    }
  }

  stage {
    name = "Test"
    dynamic "action" {
      for_each = var.tests
      content {
        name            = "Test-${action.value}"
        category        = "Test"
        owner           = "AWS"
        provider        = "CodeBuild"
        version         = "1"
        run_order       = 1
        input_artifacts = ["source", "site"]
        configuration = {
          ProjectName   = "${var.service}-${action.value}"
          PrimarySource = "source"
        }
      }
    }
  }

  stage {
    name = "Approve"
    action {
      name     = "Approve"
      category = "Approval"
      owner    = "AWS"
      provider = "Manual"
      version  = "1"
      configuration = {
        CustomData = "Release #{SourceVariables.CommitId}: #{variables.RELEASE_NOTES}"
      }
    }
  }

  dynamic "stage" {
    for_each = var.deploy_targets
    content {
      name = "Deploy${stage.value.name}"
      action {
        name            = "Deploy"
        category        = "Deploy"
        owner           = "AWS"
        provider        = "S3"
        version         = "1"
        input_artifacts = ["site"]
        role_arn        = stage.value.role_arn
        configuration = {
          BucketName = stage.value.bucket
          Extract    = "true"
        }
      }
    }
  }
}

resource "aws_codestarnotifications_notification_rule" "failures" {
  name        = "${var.service}-pipeline-failures"
  resource    = aws_codepipeline.this.arn
  detail_type = "BASIC"
  event_type_ids = [
    "codepipeline-pipeline-pipeline-execution-failed",
  ]
  target {
    address = "arn:aws:sns:eu-central-1:111111111111:pipeline-failures"
  }
}

output "arn" {
  value = aws_codepipeline.this.arn
}
