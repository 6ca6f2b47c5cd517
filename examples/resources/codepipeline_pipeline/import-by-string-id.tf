import {
  to = codepipeline_pipeline.app
  id = "app"
}
