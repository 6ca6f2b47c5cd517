import {
  to = codepipeline_cross_account_key.artifacts
  id = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}
