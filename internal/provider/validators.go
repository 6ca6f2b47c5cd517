package provider

import "regexp"

// Formats the schema checks declaratively, before any rule runs.
var (
	bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)
	keyARNPattern     = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)
	roleARNPattern    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`)
	roleNamePattern   = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
	aliasPattern      = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]{1,250}$`)
	accountIDPattern  = regexp.MustCompile(`^[0-9]{12}$`)
	bucketARNPattern  = regexp.MustCompile(`^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]*[a-z0-9]$`)
)
