# An artifact store is imported by its bucket name, or by its ARN (arn:aws:s3:::app-artifacts).
terraform import codepipeline_artifact_store.app app-artifacts
