{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Deployer",
      "Effect": "Allow",
      "Principal": { "AWS": "${deployer}" },
      "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::${bucket}", "arn:aws:s3:::${bucket}/*"]
    }
  ]
}
