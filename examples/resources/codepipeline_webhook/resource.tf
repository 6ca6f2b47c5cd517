variable "github_webhook_secret" {
  type      = string
  sensitive = true
}

# Starts the pipeline "app" when GitHub reports a push to the branch its Source action
# builds. `codepipeline serve` serves the webhook at its url; configure the GitHub webhook
# with that URL (through a tunnel or proxy), content type application/json and the same secret.
resource "codepipeline_webhook" "github_push" {
  name            = "app-github-push"
  authentication  = "GITHUB_HMAC"
  target_pipeline = "app"
  target_action   = "Source"

  authentication_configuration {
    secret_token = var.github_webhook_secret
  }

  filter {
    json_path    = "$.ref"
    match_equals = "refs/heads/{BranchName}"
  }
}

output "github_webhook_url" {
  value = codepipeline_webhook.github_push.url
}
