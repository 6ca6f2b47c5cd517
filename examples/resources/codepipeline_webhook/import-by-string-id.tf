import {
  to = codepipeline_webhook.github_push
  id = "app-github-push"
}
