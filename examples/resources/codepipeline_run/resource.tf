# Runs the pipeline "app" (a codepipeline_pipeline of this configuration or another) when
# applied, and again whenever a trigger value changes. The apply waits for the run to end and
# fails, showing the failing action and the end of its log, when the run fails.
data "codepipeline_pipeline" "app" {
  name = "app"
}

resource "codepipeline_run" "app" {
  pipeline = data.codepipeline_pipeline.app.name

  # A new run for each new definition of the pipeline.
  triggers = {
    pipeline_version = data.codepipeline_pipeline.app.version
  }

  # Values for the pipeline's declared variables (`variable` blocks), for this run.
  variables = {
    environment = "staging"
  }

  timeouts {
    create = "30m"
  }
}

output "app_run_status" {
  value = codepipeline_run.app.status
}

output "app_stage_statuses" {
  value = { for s in codepipeline_run.app.stages : s.name => s.status }
}
