# A run is imported by its pipeline and execution id, PIPELINE/EXECUTION_ID (`codepipeline runs list app` shows the ids).
terraform import codepipeline_run.app app/3f7c2a9e-1b4d-4e8a-9c61-0d2f5b7e8a14
