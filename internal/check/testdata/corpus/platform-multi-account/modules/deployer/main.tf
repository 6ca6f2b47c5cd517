# The role the pipelines' deploy actions assume in one target account, and the bucket they
# deploy to there.

variable "name" {
  type = string
}

variable "tools_account_id" {
  type = string
}

variable "artifact_key_arn" {
  type = string
}

variable "artifact_bucket" {
  type = string
}

variable "deploy_bucket_name" {
  type = string
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${var.tools_account_id}:root"]
    }
  }
}

resource "aws_iam_role" "deployer" {
  name               = var.name
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

resource "aws_s3_bucket" "sites" {
  bucket = var.deploy_bucket_name
}

data "aws_iam_policy_document" "deployer" {
  statement {
    sid       = "ArtifactKey"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"]
    resources = [var.artifact_key_arn]
  }

  statement {
    sid       = "Artifacts"
    actions   = ["s3:GetObject*", "s3:PutObject*"]
    resources = ["arn:aws:s3:::${var.artifact_bucket}/*"]
  }

  statement {
    sid       = "Sites"
    actions   = ["s3:PutObject*", "s3:ListBucket", "s3:DeleteObject"]
    resources = [aws_s3_bucket.sites.arn, "${aws_s3_bucket.sites.arn}/*"]
  }
}

resource "aws_iam_role_policy" "deployer" {
  name   = "deploy"
  role   = aws_iam_role.deployer.id
  policy = data.aws_iam_policy_document.deployer.json
}

output "role_arn" {
  value = aws_iam_role.deployer.arn
}

output "deploy_bucket" {
  value = aws_s3_bucket.sites.bucket
}
