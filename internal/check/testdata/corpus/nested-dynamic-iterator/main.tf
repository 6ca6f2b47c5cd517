# Stages and their actions from a local structure, expanded by nested dynamic blocks with
# custom iterators (st, act), optional attributes read with lookup() and try(). Planted: in the
# Test stage, the integration tests read the output of the unit tests, which run in the same
# action group (both run_order 1).
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111111111111"]
}

locals {
  connection_arn = "arn:aws:codestar-connections:eu-west-1:111111111111:connection/5e6f7a8b-1111-4222-8333-444455556666"

  stages = [
    {
      name = "Build"
      actions = [
        { name = "Compile", project = "orders-compile", inputs = ["src"], outputs = ["bin"], namespace = "BuildVariables" },
      ]
    },
    {
      name = "Test"
      actions = [
        { name = "Unit", project = "orders-unit", inputs = ["bin"], outputs = ["unit-report"] },
        { name = "Integration", project = "orders-integration", inputs = ["bin", "unit-report"], outputs = [], primary = "bin" },
      ]
    },
    {
      name = "Release"
      actions = [
        { name = "Package", project = "orders-package", inputs = ["bin"], outputs = ["package"], run_order = 1 },
        { name = "Publish", project = "orders-publish", inputs = ["package"], outputs = [], run_order = 2 },
      ]
    },
  ]
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "orders-pipeline-artifacts-111111111111"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_codepipeline" "orders" {
  name     = "orders"
  role_arn = "arn:aws:iam::111111111111:role/orders-pipeline"

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
      output_artifacts = ["src"]
      namespace        = "SourceVariables"
      configuration = {
        ConnectionArn    = local.connection_arn
        FullRepositoryId = "acme/orders"
        BranchName       = "main"
      }
    }
  }

  dynamic "stage" {
    for_each = local.stages
    iterator = st
    content {
      name = st.value.name

      dynamic "action" {
        for_each = st.value.actions
        iterator = act
        content {
          name             = act.value.name
          category         = "Build"
          owner            = "AWS"
          provider         = "CodeBuild"
          version          = "1"
          input_artifacts  = act.value.inputs
          output_artifacts = act.value.outputs
          run_order        = lookup(act.value, "run_order", null)
          namespace        = try(act.value.namespace, null)
          configuration = merge(
            { ProjectName = act.value.project },
            try({ PrimarySource = act.value.primary }, {}),
          )
        }
      }
    }
  }
}
