# A root that only calls local modules, as the AWS samples' Terraform pipeline does: the
# artifact bucket (named by bucket_prefix, so its name is known only after apply), the key,
# the service role and the pipeline each in a module, wired through module outputs. Planted:
# the root turns key rotation off.
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

variable "project_name" {
  type    = string
  default = "tf-platform"
}

module "s3_artifacts_bucket" {
  source       = "./modules/s3"
  project_name = var.project_name
  kms_key_arn  = module.codepipeline_kms.arn
}

module "codepipeline_kms" {
  source          = "./modules/kms"
  enable_rotation = false
}

module "codepipeline_iam_role" {
  source        = "./modules/iam-role"
  project_name  = var.project_name
  kms_key_arn   = module.codepipeline_kms.arn
  s3_bucket_arn = module.s3_artifacts_bucket.arn
}

module "codepipeline_terraform" {
  source                = "./modules/codepipeline"
  project_name          = var.project_name
  s3_bucket_name        = module.s3_artifacts_bucket.bucket
  codepipeline_role_arn = module.codepipeline_iam_role.role_arn
  kms_key_arn           = module.codepipeline_kms.arn
  stages = [
    { name = "validate", provider = "CodeBuild", input = "SourceOutput", output = "ValidateOutput" },
    { name = "plan", provider = "CodeBuild", input = "SourceOutput", output = "PlanOutput" },
    { name = "apply", provider = "CodeBuild", input = "PlanOutput", output = "ApplyOutput" },
  ]
}
