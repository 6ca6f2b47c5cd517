# The latest run of pipeline "app": its status, and each stage's and action's result.
data "codepipeline_run" "latest" {
  pipeline = "app"
}

# One run named by its execution id.
data "codepipeline_run" "release" {
  pipeline     = "app"
  execution_id = "3f7c2a9e-1b4d-4e8a-9c61-0d2f5b7e8a14"
}

output "app_latest_status" {
  value = data.codepipeline_run.latest.status
}

# Where each action put its output artifacts: object versions in the artifact store.
output "app_release_artifacts" {
  value = flatten([
    for s in data.codepipeline_run.release.stages : [
      for a in s.actions : [
        for o in a.output_artifacts : "${s.name}/${a.name}/${o.name}: s3://${o.bucket}/${o.key}?versionId=${o.version_id}"
      ]
    ]
  ])
}
