# The target account: the role is created there, through that account's provider configuration.
provider "codepipeline" {
  alias      = "prod"
  account_id = "222222222222"
}

resource "codepipeline_cross_account_key" "artifacts" {
  alias         = "alias/pipeline-artifacts"
  grantee_roles = ["arn:aws:iam::222222222222:role/prod-deployer"]
}

resource "codepipeline_artifact_store" "shared" {
  bucket              = "shared-artifacts"
  encryption_key_arn  = codepipeline_cross_account_key.artifacts.arn
  cross_account_roles = ["arn:aws:iam::222222222222:role/prod-deployer"]
}

# Trusted by the pipeline's account (111111111111), allowed to read and write the artifacts
# and to use the key that encrypts them. Its arn is the role_arn of the deploy action.
resource "codepipeline_cross_account_role" "prod_deployer" {
  provider = codepipeline.prod

  name                = "prod-deployer"
  trusted_account_id  = "111111111111"
  artifact_bucket_arn = codepipeline_artifact_store.shared.arn
  key_arn             = codepipeline_cross_account_key.artifacts.arn
}
