variable "bucket_name" {
  type = string
}

resource "aws_s3_bucket" "artifacts" {
  bucket = var.bucket_name
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Suspended"
  }
}

output "bucket" {
  value = aws_s3_bucket.artifacts.bucket
}
