# A role is imported by its name or by its ARN, through the provider configuration of the
# account it lives in (here the resource's provider is codepipeline.prod).
terraform import codepipeline_cross_account_role.prod_deployer arn:aws:iam::222222222222:role/prod-deployer
