# Which account and region this provider configuration acts as: useful to build ARNs and to
# pass the pipeline's account id to the target account's roles.
data "codepipeline_caller_identity" "current" {}

output "pipeline_account_id" {
  value = data.codepipeline_caller_identity.current.account_id
}

output "state_dir" {
  value = data.codepipeline_caller_identity.current.state_dir
}
