# Not valid HCL: the block is never closed.
resource "aws_s3_bucket" "artifacts" {
  bucket = "release-artifacts"
