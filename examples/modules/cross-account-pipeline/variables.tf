variable "name" {
  description = "Name of the pipeline; also the prefix of the names this module derives (key alias, roles, build project)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9.@_-]{1,100}$", var.name))
    error_message = "The name must be 1-100 characters of A-Za-z0-9.@_-."
  }
}

variable "artifact_bucket" {
  description = "Name of the artifact store bucket created in the pipeline account."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifact_bucket))
    error_message = "The artifact bucket must be a valid S3 bucket name: 3-63 characters of a-z0-9.-, starting and ending with a letter or digit."
  }
}

variable "source_action" {
  description = <<-EOT
    The pipeline's source: an AWS Source action provider (CodeCommit, CodeStarSourceConnection or S3)
    and its configuration. The default reads branch main of the repository "app": on the local
    backend, a git repository under the provider's repositories_dir. The action's output
    variables are in the namespace SourceVariables (for example #{SourceVariables.CommitId}).
  EOT
  type = object({
    provider      = optional(string, "CodeCommit")
    configuration = map(string)
  })
  default = {
    provider = "CodeCommit"
    configuration = {
      RepositoryName       = "app"
      BranchName           = "main"
      PollForSourceChanges = "false"
    }
  }

  validation {
    condition     = contains(["CodeCommit", "CodeStarSourceConnection", "S3"], var.source_action.provider)
    error_message = "The source provider must be CodeCommit, CodeStarSourceConnection or S3."
  }
}

variable "build_environment" {
  description = "Plain-text environment variables of the build, which runs the buildspec.yml of the source. Values may reference variables, such as #{SourceVariables.CommitId}."
  type        = map(string)
  default     = {}
}

variable "target_role_name" {
  description = "Name of the role created in the target account, which the deploy actions assume. Defaults to NAME-deployer."
  type        = string
  default     = null

  validation {
    condition     = var.target_role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.target_role_name))
    error_message = "The target role name must be 1-64 characters of A-Za-z0-9+=,.@_-."
  }
}

variable "pipeline_role_name" {
  description = "Name of the pipeline's service role in the pipeline account. Defaults to NAME-pipeline."
  type        = string
  default     = null

  validation {
    condition     = var.pipeline_role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.pipeline_role_name))
    error_message = "The pipeline role name must be 1-64 characters of A-Za-z0-9+=,.@_-."
  }
}

variable "deploy_stages" {
  description = "One deploy stage per entry, in order: the stage name and the bucket of the target account it deploys the build output into (extracted). The module creates each bucket."
  type = list(object({
    name   = string
    bucket = string
  }))

  validation {
    condition     = length(var.deploy_stages) > 0 && length(var.deploy_stages) <= 47
    error_message = "Give 1 to 47 deploy stages (a pipeline has at most 50 stages; source and build are two)."
  }

  validation {
    condition     = length(distinct([for s in var.deploy_stages : s.name])) == length(var.deploy_stages)
    error_message = "Deploy stage names must be unique."
  }

  validation {
    condition     = alltrue([for s in var.deploy_stages : can(regex("^[A-Za-z0-9.@_-]{1,100}$", s.name)) && !contains(["Source", "Build"], s.name)])
    error_message = "Each deploy stage name must be 1-100 characters of A-Za-z0-9.@_-, other than Source and Build."
  }

  validation {
    condition     = alltrue([for s in var.deploy_stages : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", s.bucket))])
    error_message = "Each deploy bucket must be a valid S3 bucket name: 3-63 characters of a-z0-9.-, starting and ending with a letter or digit."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy the artifact and deploy buckets while they still hold objects."
  type        = bool
  default     = false
}
