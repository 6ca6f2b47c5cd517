{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Administration",
      "Effect": "Allow",
      "Principal": { "AWS": "arn:aws:iam::${account_id}:root" },
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "Pipeline",
      "Effect": "Allow",
      "Principal": { "AWS": "${pipeline_role}" },
      "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"],
      "Resource": "*"
    },
    {
      "Sid": "Deployer",
      "Effect": "Allow",
      "Principal": { "AWS": "${deployer}" },
      "Action": ["kms:Decrypt", "kms:DescribeKey"],
      "Resource": "*"
    }
  ]
}
