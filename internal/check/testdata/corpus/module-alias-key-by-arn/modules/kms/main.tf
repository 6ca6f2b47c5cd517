variable "name" {
  type = string
}

variable "grantees" {
  type = list(string)
}

data "aws_caller_identity" "current" {}

resource "aws_kms_key" "this" {
  description         = "${var.name} artifacts"
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "Administration", Effect = "Allow", Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }, Action = "kms:*", Resource = "*" },
      { Sid = "Grantees", Effect = "Allow", Principal = { AWS = var.grantees }, Action = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"], Resource = "*" },
    ]
  })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-artifacts"
  target_key_id = aws_kms_key.this.key_id
}

output "key_arn" {
  value = aws_kms_key.this.arn
}

output "alias_arn" {
  value = aws_kms_alias.this.arn
}
