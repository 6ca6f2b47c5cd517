variable "enable_rotation" {
  type    = bool
  default = true
}

resource "aws_kms_key" "encryption_key" {
  description             = "Encrypts the pipeline's artifacts"
  deletion_window_in_days = 10
  enable_key_rotation     = var.enable_rotation
}

output "arn" {
  value = aws_kms_key.encryption_key.arn
}
