# Names come from a registry naming module, which the .tf reader does not follow (terraform
# init has not installed it here): the report says so, and everything that depends on its
# outputs is unknown. The pipeline itself is in a local module, which is followed. Planted: its
# bucket's versioning is disabled. (.tf mode only: terraform cannot install a registry module
# offline.)
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

module "label" {
  source  = "cloudposse/label/null"
  version = "0.25.0"

  namespace = "acme"
  stage     = "prod"
  name      = "checkout"
}

module "pipeline" {
  source = "./pipeline"

  name       = module.label.id
  repository = "acme/checkout"
}
