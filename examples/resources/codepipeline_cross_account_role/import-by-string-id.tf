import {
  to       = codepipeline_cross_account_role.prod_deployer
  provider = codepipeline.prod
  id       = "prod-deployer"
}
