# A pipeline is imported by its name, or by its ARN (arn:aws:codepipeline:us-east-1:111111111111:app).
terraform import codepipeline_pipeline.app app
