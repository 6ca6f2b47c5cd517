import {
  to = codepipeline_run.app
  id = "app/3f7c2a9e-1b4d-4e8a-9c61-0d2f5b7e8a14"
}
