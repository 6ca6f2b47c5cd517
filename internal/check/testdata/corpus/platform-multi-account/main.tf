# The largest case: a platform team's delivery setup across three accounts. The tools account
# holds the artifact bucket and key (one module) and one pipeline per service (a module with
# for_each); a deployer module is instantiated in staging and in production through provider
# aliases that assume roles there. Every service builds, tests in parallel, waits for an
# approval and deploys to staging, then production, as the account's deployer. Planted: the
# artifact bucket's policy lets the deployers read and write objects but not list the bucket
# (its listing statement allows s3:GetBucketLocation only).

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region              = "eu-central-1"
  allowed_account_ids = [var.accounts.tools]
}

provider "aws" {
  alias  = "staging"
  region = "eu-central-1"
  assume_role {
    role_arn = "arn:aws:iam::${var.accounts.staging}:role/terraform"
  }
}

provider "aws" {
  alias  = "production"
  region = "eu-central-1"
  assume_role {
    role_arn = "arn:aws:iam::${var.accounts.production}:role/terraform"
  }
}

variable "accounts" {
  type = object({
    tools      = string
    staging    = string
    production = string
  })
  default = {
    tools      = "111111111111"
    staging    = "333333333333"
    production = "222222222222"
  }
}

variable "services" {
  description = "The services, by name: repository, and the test suites run in parallel."
  type = map(object({
    repository = string
    tests      = list(string)
  }))
  default = {
    checkout  = { repository = "acme/checkout", tests = ["unit", "contract"] }
    catalog   = { repository = "acme/catalog", tests = ["unit", "integration", "e2e"] }
    reporting = { repository = "acme/reporting", tests = ["unit"] }
  }
}

locals {
  deployer_name = "platform-deployer"
  deployers = {
    staging    = "arn:aws:iam::${var.accounts.staging}:role/${local.deployer_name}"
    production = "arn:aws:iam::${var.accounts.production}:role/${local.deployer_name}"
  }
}

module "artifacts" {
  source         = "./modules/artifacts"
  name           = "platform-delivery"
  account_id     = var.accounts.tools
  deployer_arns  = values(local.deployers)
  pipeline_roles = ["arn:aws:iam::${var.accounts.tools}:role/platform-pipeline"]
}

module "deployer_staging" {
  source = "./modules/deployer"
  providers = {
    aws = aws.staging
  }
  name               = local.deployer_name
  tools_account_id   = var.accounts.tools
  artifact_key_arn   = module.artifacts.key_arn
  artifact_bucket    = module.artifacts.bucket
  deploy_bucket_name = "platform-sites-staging-${var.accounts.staging}"
}

module "deployer_production" {
  source = "./modules/deployer"
  providers = {
    aws = aws.production
  }
  name               = local.deployer_name
  tools_account_id   = var.accounts.tools
  artifact_key_arn   = module.artifacts.key_arn
  artifact_bucket    = module.artifacts.bucket
  deploy_bucket_name = "platform-sites-production-${var.accounts.production}"
}

module "pipeline" {
  source   = "./modules/pipeline"
  for_each = var.services

  service         = each.key
  repository      = each.value.repository
  tests           = each.value.tests
  role_arn        = "arn:aws:iam::${var.accounts.tools}:role/platform-pipeline"
  connection_arn  = "arn:aws:codestar-connections:eu-central-1:${var.accounts.tools}:connection/4f3e2d1c-0b9a-4876-8543-210fedcba987"
  artifact_bucket = module.artifacts.bucket
  artifact_key    = module.artifacts.key_arn
  deploy_targets = [
    { name = "Staging", role_arn = module.deployer_staging.role_arn, bucket = module.deployer_staging.deploy_bucket },
    { name = "Production", role_arn = module.deployer_production.role_arn, bucket = module.deployer_production.deploy_bucket },
  ]
}

output "pipelines" {
  value = { for name, p in module.pipeline : name => p.arn }
}
