package policy

import (
	"sort"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
)

// The permission sets: what the generated policies grant a cross-account role. Policies are
// generated from these lists and the rules check grants against them, so the two cannot drift
// apart; the cross-account guide lists them for users.
var (
	// KeyGrantActions is what a key policy grants a cross-account role, and what the role's
	// own policy grants on the key.
	KeyGrantActions = []string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"}
	// BucketObjectGrantActions is what a bucket policy grants on the bucket's objects.
	BucketObjectGrantActions = []string{"s3:Get*", "s3:Put*"}
	// BucketGrantActions is what a bucket policy grants on the bucket itself.
	BucketGrantActions = []string{"s3:ListBucket"}
	// TrustActions is what a trust policy lets the trusted account do.
	TrustActions = []string{"sts:AssumeRole"}

	// KeyUseActions are concrete API actions a cross-account role performs with the key: a
	// grant is checked by asking the evaluator about each (the grant lists hold wildcards).
	KeyUseActions = []string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"}
	// BucketObjectUseActions are the concrete object actions a cross-account action performs.
	BucketObjectUseActions = []string{"s3:GetObject", "s3:PutObject"}
	// BucketUseActions are the concrete bucket actions a cross-account action performs.
	BucketUseActions = []string{"s3:ListBucket"}
)

// Stable Sids of the generated statements: users and tests recognize statements by them.
const (
	SidObjectAccess       = "CrossAccountObjectAccess"
	SidListBucket         = "CrossAccountListBucket"
	SidDenyInsecure       = "DenyInsecureTransport"
	SidKeyAdmin           = "KeyAccountAdministration"
	SidKeyUse             = "CrossAccountKeyUse"
	SidRoleKeyUse         = "ArtifactKeyUse"
	SidRoleObjectAccess   = "ArtifactObjectAccess"
	SidRoleListBucket     = "ArtifactBucketList"
	SidTrust              = "TrustPipelineAccount"
	SidDeployObjectAccess = "DeployObjectAccess"
	SidDeployListBucket   = "DeployBucketList"
)

// BucketPolicy is the artifact bucket's policy: the cross-account roles may read and write
// objects and list the bucket; nobody may use the bucket without TLS. Without roles only the
// TLS deny remains. The ARNs are those of partition p (the partition of the bucket's region).
func BucketPolicy(p arn.Partition, bucket string, crossAccountRoles []string) *Document {
	d := &Document{Version: Version2012}
	if roles := sortedUnique(crossAccountRoles); len(roles) > 0 {
		d.Statement = append(d.Statement,
			Statement{Sid: SidObjectAccess, Effect: EffectAllow, Principal: AWSPrincipals(roles...),
				Action: clone(BucketObjectGrantActions), Resource: []string{p.Objects(bucket)}},
			Statement{Sid: SidListBucket, Effect: EffectAllow, Principal: AWSPrincipals(roles...),
				Action: clone(BucketGrantActions), Resource: []string{p.Bucket(bucket)}},
		)
	}
	d.Statement = append(d.Statement, Statement{
		Sid: SidDenyInsecure, Effect: EffectDeny, Principal: AnyPrincipal(),
		Action: []string{"s3:*"}, Resource: []string{p.Bucket(bucket), p.Objects(bucket)},
		Condition: map[string]map[string][]string{"Bool": {"aws:SecureTransport": {"false"}}},
	})
	return d
}

// KeyPolicy is the artifact key's policy: the key account's root keeps full administration
// (without it the key could become unmanageable), and the grantee roles may use the key.
// The root ARN is that of partition p (the partition of the key's region).
func KeyPolicy(p arn.Partition, keyAccount string, granteeRoles []string) *Document {
	d := &Document{Version: Version2012, Statement: []Statement{{
		Sid: SidKeyAdmin, Effect: EffectAllow, Principal: AWSPrincipals(p.Root(keyAccount)),
		Action: []string{"kms:*"}, Resource: []string{"*"},
	}}}
	if roles := sortedUnique(granteeRoles); len(roles) > 0 {
		d.Statement = append(d.Statement, Statement{
			Sid: SidKeyUse, Effect: EffectAllow, Principal: AWSPrincipals(roles...),
			Action: clone(KeyGrantActions), Resource: []string{"*"},
		})
	}
	return d
}

// TargetRolePolicy is the identity policy of the target-account role: use of the artifact key
// (omitted when keyARN is ""), read/write of the bucket's objects, listing of the bucket, and
// the same on the deploy buckets (in the role's own account) that its actions write to. The
// bucket ARNs are those of partition p.
func TargetRolePolicy(p arn.Partition, bucket string, keyARN string, deployBuckets ...string) *Document {
	d := &Document{Version: Version2012}
	if keyARN != "" {
		d.Statement = append(d.Statement, Statement{
			Sid: SidRoleKeyUse, Effect: EffectAllow, Action: clone(KeyGrantActions), Resource: []string{keyARN},
		})
	}
	d.Statement = append(d.Statement,
		Statement{Sid: SidRoleObjectAccess, Effect: EffectAllow, Action: clone(BucketObjectGrantActions), Resource: []string{p.Objects(bucket)}},
		Statement{Sid: SidRoleListBucket, Effect: EffectAllow, Action: clone(BucketGrantActions), Resource: []string{p.Bucket(bucket)}},
	)
	if buckets := sortedUnique(deployBuckets); len(buckets) > 0 {
		var objects, whole []string
		for _, b := range buckets {
			objects, whole = append(objects, p.Objects(b)), append(whole, p.Bucket(b))
		}
		d.Statement = append(d.Statement,
			Statement{Sid: SidDeployObjectAccess, Effect: EffectAllow, Action: clone(BucketObjectGrantActions), Resource: objects},
			Statement{Sid: SidDeployListBucket, Effect: EffectAllow, Action: clone(BucketGrantActions), Resource: whole},
		)
	}
	return d
}

// TrustPolicy lets principals of trustedAccount (in partition p) assume the role.
func TrustPolicy(p arn.Partition, trustedAccount string) *Document {
	return &Document{Version: Version2012, Statement: []Statement{{
		Sid: SidTrust, Effect: EffectAllow, Principal: AWSPrincipals(p.Root(trustedAccount)),
		Action: clone(TrustActions),
	}}}
}

func clone(s []string) []string { return append([]string(nil), s...) }

func sortedUnique(in []string) []string {
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
