# A pipeline in one account that deploys into another: the key and artifact store in the
# pipeline account, the deployer role and deploy buckets in the target account, and the
# pipeline Source → Build → one deploy stage per entry of var.deploy_stages.

data "codepipeline_caller_identity" "pipeline" {}

data "codepipeline_caller_identity" "target" {
  provider = codepipeline.target
}

locals {
  pipeline_account = data.codepipeline_caller_identity.pipeline.account_id
  target_account   = data.codepipeline_caller_identity.target.account_id
  target_role_name = coalesce(var.target_role_name, "${var.name}-deployer")

  # The target role's ARN, built from its parts rather than read from the role resource: the
  # key and bucket policies must grant the role, and the role's own policy names the key and
  # the bucket, so referencing the resource would be a dependency cycle.
  target_role_arn   = "arn:aws:iam::${local.target_account}:role/${local.target_role_name}"
  pipeline_role_arn = "arn:aws:iam::${local.pipeline_account}:role/${coalesce(var.pipeline_role_name, "${var.name}-pipeline")}"

  deploy_buckets = toset([for s in var.deploy_stages : s.bucket])
}

# Pipeline account: the customer-managed key that encrypts the artifacts. The AWS-managed
# aws/s3 key cannot be used from another account; this key's policy grants the target role.
resource "codepipeline_cross_account_key" "artifacts" {
  description   = "Artifacts of pipeline ${var.name}, shared with account ${local.target_account}"
  alias         = "alias/${var.name}-artifacts"
  grantee_roles = [local.target_role_arn]
}

# Pipeline account: the versioned artifact store, encrypted with that key (by ARN), whose
# bucket policy grants the target role.
resource "codepipeline_artifact_store" "artifacts" {
  bucket              = var.artifact_bucket
  encryption_key_arn  = codepipeline_cross_account_key.artifacts.arn
  cross_account_roles = [local.target_role_arn]
  force_destroy       = var.force_destroy
}

# Target account: the buckets the deploy stages write into.
resource "codepipeline_artifact_store" "deploy" {
  provider = codepipeline.target
  for_each = local.deploy_buckets

  bucket        = each.key
  force_destroy = var.force_destroy
}

# Target account: the role the deploy actions assume. It trusts the pipeline account, may read
# the artifacts and use the key, and may write into the deploy buckets.
resource "codepipeline_cross_account_role" "target" {
  provider = codepipeline.target

  name                = local.target_role_name
  trusted_account_id  = local.pipeline_account
  artifact_bucket_arn = codepipeline_artifact_store.artifacts.arn
  key_arn             = codepipeline_cross_account_key.artifacts.arn
  deploy_bucket_arns  = [for b in codepipeline_artifact_store.deploy : b.arn]
}

resource "codepipeline_pipeline" "this" {
  name     = var.name
  role_arn = local.pipeline_role_arn

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
      provider         = var.source_action.provider
      version          = "1"
      namespace        = "SourceVariables"
      output_artifacts = ["source"]
      configuration    = var.source_action.configuration
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
      configuration = merge(
        { ProjectName = var.name },
        length(var.build_environment) == 0 ? {} : {
          EnvironmentVariables = jsonencode([for k, v in var.build_environment : { name = k, value = v, type = "PLAINTEXT" }])
        },
      )
    }
  }

  dynamic "stage" {
    for_each = var.deploy_stages
    content {
      name = stage.value.name
      action {
        name            = "Deploy"
        category        = "Deploy"
        owner           = "AWS"
        provider        = "S3"
        version         = "1"
        input_artifacts = ["build"]
        # The role's arn (not local.target_role_arn): the pipeline is created after the role,
        # which the apply-time cross-account checks read.
        role_arn = codepipeline_cross_account_role.target.arn
        configuration = {
          BucketName = codepipeline_artifact_store.deploy[stage.value.bucket].bucket
          Extract    = "true"
        }
      }
    }
  }
}
