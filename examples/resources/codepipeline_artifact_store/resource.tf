# A store for pipelines that stay in one account: versioned, encrypted with the account's
# AWS-managed aws/s3 key.
resource "codepipeline_artifact_store" "app" {
  bucket = "app-artifacts"
}

# A store shared with a target account: a customer-managed key, named by its ARN, and the
# target role granted by the generated bucket policy.
resource "codepipeline_cross_account_key" "artifacts" {
  description   = "Pipeline artifacts shared with the prod account"
  alias         = "alias/pipeline-artifacts"
  grantee_roles = ["arn:aws:iam::222222222222:role/prod-deployer"]
}

resource "codepipeline_artifact_store" "shared" {
  bucket              = "shared-artifacts"
  encryption_key_arn  = codepipeline_cross_account_key.artifacts.arn
  cross_account_roles = ["arn:aws:iam::222222222222:role/prod-deployer"]
  force_destroy       = true
}

output "shared_bucket_policy" {
  value = codepipeline_artifact_store.shared.policy
}
