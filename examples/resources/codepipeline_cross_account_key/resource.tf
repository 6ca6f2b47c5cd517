# A customer-managed key for artifacts that a role of account 222222222222 reads and writes.
resource "codepipeline_cross_account_key" "artifacts" {
  description             = "Pipeline artifacts shared with the prod account"
  alias                   = "alias/pipeline-artifacts"
  grantee_roles           = ["arn:aws:iam::222222222222:role/prod-deployer"]
  enable_key_rotation     = true
  deletion_window_in_days = 7
}

# Name the key by its full ARN in the artifact store: aliases and key ids resolve in the
# caller's account, so the other account could not find the key by them.
resource "codepipeline_artifact_store" "shared" {
  bucket              = "shared-artifacts"
  encryption_key_arn  = codepipeline_cross_account_key.artifacts.arn
  cross_account_roles = ["arn:aws:iam::222222222222:role/prod-deployer"]
}
