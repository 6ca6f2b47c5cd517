artifact_bucket = "release-artifacts-111111111111"
