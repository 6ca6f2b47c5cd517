# A pipeline in account 111111111111 that builds a tiny app from a local git repository and
# deploys it into a bucket of account 222222222222, through the cross-account-pipeline module,
# applied and run on the embedded local backend, offline.
#
#   Source (git) → Build (buildspec) → Deploy (as the target account's role, into its bucket)

terraform {
  required_providers {
    codepipeline = {
      source = "pipelinekit/codepipeline"
    }
  }
}

locals {
  work = "${path.module}/.work"
}

# Two accounts of one local cloud: two provider configurations over one state directory.
provider "codepipeline" {
  account_id       = "111111111111" # the pipeline (tools) account
  state_dir        = "${local.work}/state"
  repositories_dir = "${local.work}/repos"
}

provider "codepipeline" {
  alias      = "target"
  account_id = "222222222222" # the account deployed into
  state_dir  = "${local.work}/state"
}

# The app's repository, created from app/ (a local stand-in for a CodeCommit repository).
resource "terraform_data" "repository" {
  triggers_replace = [for f in fileset("${path.module}/app", "**") : filesha256("${path.module}/app/${f}")]

  provisioner "local-exec" {
    command = "${path.module}/init-repo.sh ${local.work}/repos/app"
  }
}

module "pipeline" {
  source = "../modules/cross-account-pipeline"
  providers = {
    codepipeline        = codepipeline
    codepipeline.target = codepipeline.target
  }

  name              = "cross-account-app"
  artifact_bucket   = "cross-account-app-artifacts"
  build_environment = { COMMIT_ID = "#{SourceVariables.CommitId}" }
  deploy_stages = [
    { name = "DeployProd", bucket = "cross-account-app-prod-site" },
  ]
  force_destroy = true
}

# Starts a run on apply, and a new one whenever the pipeline or the app changes. It depends on
# the whole module so that the target role and the buckets exist before the run starts.
resource "codepipeline_run" "app" {
  pipeline = module.pipeline.pipeline_name
  triggers = {
    pipeline_version = module.pipeline.pipeline_version
    source           = terraform_data.repository.id
  }

  depends_on = [module.pipeline]
}

output "run_status" {
  description = "How the run ended."
  value       = codepipeline_run.app.status
}

output "run_id" {
  description = "The run's execution id (codepipeline runs show cross-account-app <id>)."
  value       = codepipeline_run.app.execution_id
}

output "stages" {
  description = "Each stage and its status, in pipeline order."
  value       = [for s in codepipeline_run.app.stages : "${s.name}: ${s.status}"]
}

output "deployed_to" {
  description = "Where each deploy stage put the site: a bucket of the target account."
  value = {
    for stage, arn in module.pipeline.deploy_bucket_arns :
    stage => "s3://${trimprefix(arn, "arn:aws:s3:::")}/index.html in account ${module.pipeline.target_account_id} (local cloud in ${abspath(local.work)}/state)"
  }
}

output "target_role_policy" {
  description = "The policy generated for the target role."
  value       = module.pipeline.role_policy
}
