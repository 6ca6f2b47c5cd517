variable "name" {
  type = string
}

variable "artifact_bucket" {
  type = string
}

variable "kms_key_id" {
  type = string
}

variable "deploy_role_arn" {
  type = string
}

resource "aws_codepipeline" "this" {
  name     = var.name
  role_arn = "arn:aws:iam::111111111111:role/${var.name}-pipeline"

  artifact_store {
    location = var.artifact_bucket
    type     = "S3"
    encryption_key {
      id   = var.kms_key_id
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
      output_artifacts = ["template"]
      configuration = {
        S3Bucket             = "${var.name}-templates-111111111111"
        S3ObjectKey          = "template.zip"
        PollForSourceChanges = "false"
      }
    }
  }

  stage {
    name = "Deploy"
    action {
      name            = "Deploy"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "CloudFormation"
      version         = "1"
      input_artifacts = ["template"]
      role_arn        = var.deploy_role_arn
      configuration = {
        ActionMode   = "CREATE_UPDATE"
        StackName    = var.name
        TemplatePath = "template::stack.yaml"
        RoleArn      = "arn:aws:iam::222222222222:role/${var.name}-cloudformation"
      }
    }
  }
}
