# Two accounts, as cross-account configurations write them: the default provider restricted to
# the pipeline account, an alias assuming a role in the target account.
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111111111111"]
}

provider "aws" {
  alias  = "target"
  region = "eu-west-1"
  assume_role {
    role_arn = "arn:aws:iam::222222222222:role/terraform"
  }
}

data "aws_caller_identity" "pipeline" {}

data "aws_caller_identity" "target" {
  provider = aws.target
}

resource "aws_s3_bucket" "counted" {
  count  = 2
  bucket = "tftest-${count.index}"
}

module "bucket" {
  source = "./modules/bucket"
  name   = "tftest-module"
}

output "accounts" {
  value = [data.aws_caller_identity.pipeline.account_id, data.aws_caller_identity.target.account_id]
}
