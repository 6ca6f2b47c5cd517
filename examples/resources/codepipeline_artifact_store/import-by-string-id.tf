import {
  to = codepipeline_artifact_store.app
  id = "app-artifacts"
}
