# A webhook is imported by its name or by its ARN. The secret token is never read back: after
# an import the next apply sets it from the configuration.
terraform import codepipeline_webhook.github_push app-github-push
