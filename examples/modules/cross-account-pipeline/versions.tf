terraform {
  required_version = ">= 1.5"

  required_providers {
    codepipeline = {
      source = "pipelinekit/codepipeline"
      # codepipeline: the pipeline account. codepipeline.target: the account deployed into.
      configuration_aliases = [codepipeline.target]
    }
  }
}
