# A pipeline defined elsewhere (another configuration, or imported), read by name.
data "codepipeline_pipeline" "app" {
  name = "app"
}

output "app_pipeline_arn" {
  value = data.codepipeline_pipeline.app.arn
}

output "app_pipeline_stages" {
  value = [for s in data.codepipeline_pipeline.app.stage : s.name]
}
