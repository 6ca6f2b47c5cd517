terraform {
  required_providers {
    codepipeline = {
      source = "pipelinekit/codepipeline"
    }
  }
}

# The pipeline's account, on the embedded local backend (the default backend).
provider "codepipeline" {
  account_id = "111111111111"
  region     = "us-east-1"
  state_dir  = ".codepipeline" # or set CODEPIPELINE_STATE_DIR
}

# A target account of the same local cloud: the same state_dir, another account_id. Resources
# that live in that account (such as codepipeline_cross_account_role) name this configuration
# with `provider = codepipeline.prod`.
provider "codepipeline" {
  alias      = "prod"
  account_id = "222222222222"
  region     = "us-east-1"
  state_dir  = ".codepipeline"
}
