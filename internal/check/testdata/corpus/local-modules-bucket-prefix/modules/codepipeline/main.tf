variable "project_name" {
  type = string
}

variable "s3_bucket_name" {
  type = string
}

variable "codepipeline_role_arn" {
  type = string
}

variable "kms_key_arn" {
  type = string
}

variable "stages" {
  type = list(object({ name = string, provider = string, input = string, output = string }))
}

resource "aws_codepipeline" "terraform_pipeline" {
  name     = "${var.project_name}-pipeline"
  role_arn = var.codepipeline_role_arn

  artifact_store {
    location = var.s3_bucket_name
    type     = "S3"
    encryption_key {
      id   = var.kms_key_arn
      type = "KMS"
    }
  }

  stage {
    name = "Source"
    action {
      name             = "Download-Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      namespace        = "SourceVariables"
      output_artifacts = ["SourceOutput"]
      configuration = {
        RepositoryName       = var.project_name
        BranchName           = "main"
        PollForSourceChanges = "false"
      }
    }
  }

  dynamic "stage" {
    for_each = var.stages
    content {
      name = "Stage-${stage.value.name}"
      action {
        name             = "Action-${stage.value.name}"
        category         = "Build"
        owner            = "AWS"
        provider         = stage.value.provider
        version          = "1"
        input_artifacts  = [stage.value.input]
        output_artifacts = [stage.value.output]
        configuration = {
          ProjectName = "${var.project_name}-${stage.value.name}"
        }
      }
    }
  }
}
