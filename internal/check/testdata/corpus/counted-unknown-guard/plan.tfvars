create_artifact_bucket = true
