# The artifact bucket is created by a child module, its name passed in from a root variable
# without a default and read back through the module's output; the module suspends versioning:
# store-versioning. (plan.tfvars names the bucket for terraform plan.)

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111111111111"]
}

variable "artifact_bucket" {
  type = string
}

module "store" {
  source      = "./modules/store"
  bucket_name = var.artifact_bucket
}

resource "aws_codepipeline" "release" {
  name          = "release"
  role_arn      = "arn:aws:iam::111111111111:role/codepipeline-service"
  pipeline_type = "V2"

  artifact_store {
    location = module.store.bucket
    type     = "S3"
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["source"]
      configuration = {
        ConnectionArn    = "arn:aws:codestar-connections:eu-west-1:111111111111:connection/0f4a3c1e"
        FullRepositoryId = "acme/app"
        BranchName       = "main"
      }
    }
  }

  stage {
    name = "Build"
    action {
      name             = "Build"
      category         = "Build"
      owner            = "AWS"
      provider         = "CodeBuild"
      version          = "1"
      input_artifacts  = ["source"]
      output_artifacts = ["build"]
      configuration = {
        ProjectName = "app"
      }
    }
  }
}
