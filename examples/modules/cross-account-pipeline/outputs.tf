output "pipeline_name" {
  description = "Name of the pipeline (the pipeline of a codepipeline_run)."
  value       = codepipeline_pipeline.this.name
}

output "pipeline_arn" {
  description = "ARN of the pipeline."
  value       = codepipeline_pipeline.this.arn
}

output "pipeline_version" {
  description = "Version of the pipeline definition; it changes on every update (a codepipeline_run trigger)."
  value       = codepipeline_pipeline.this.version
}

output "key_arn" {
  description = "ARN of the customer-managed key that encrypts the artifacts."
  value       = codepipeline_cross_account_key.artifacts.arn
}

output "artifact_bucket_arn" {
  description = "ARN of the artifact store bucket in the pipeline account."
  value       = codepipeline_artifact_store.artifacts.arn
}

output "target_role_arn" {
  description = "ARN of the role the deploy actions assume in the target account."
  value       = codepipeline_cross_account_role.target.arn
}

output "deploy_bucket_arns" {
  description = "ARN of each deploy bucket in the target account, by deploy stage name."
  value       = { for s in var.deploy_stages : s.name => codepipeline_artifact_store.deploy[s.bucket].arn }
}

output "bucket_policy" {
  description = "The artifact bucket's generated policy (JSON)."
  value       = codepipeline_artifact_store.artifacts.policy
}

output "key_policy" {
  description = "The key's generated policy (JSON)."
  value       = codepipeline_cross_account_key.artifacts.policy
}

output "role_policy" {
  description = "The target role's generated identity policy (JSON)."
  value       = codepipeline_cross_account_role.target.policy
}

output "trust_policy" {
  description = "The target role's generated trust policy (JSON)."
  value       = codepipeline_cross_account_role.target.trust_policy
}

output "target_account_id" {
  description = "The target account's id (from the codepipeline.target provider configuration)."
  value       = local.target_account
}
