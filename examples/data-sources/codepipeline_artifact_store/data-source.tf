# An artifact bucket created by another configuration, read by name: for example to check that
# it grants a target role before pointing a pipeline at it.
data "codepipeline_artifact_store" "shared" {
  bucket = "shared-artifacts"
}

output "shared_store_grants" {
  value = data.codepipeline_artifact_store.shared.cross_account_roles
}

output "shared_store_key" {
  value = data.codepipeline_artifact_store.shared.encryption_key_arn
}
