package check

import (
	"fmt"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// The rules' fix texts speak of this provider's resources (codepipeline_artifact_store
// versioning, codepipeline_cross_account_key grantee_roles). When what a finding is about is a
// resource of the AWS provider, the remedy is the AWS provider's: an aws_s3_bucket_versioning
// resource, enable_key_rotation on the aws_kms_key, a statement in the bucket or key policy, a
// policy on the aws_iam_role. awsRemedies gives it, naming the resource to change; a rule
// without an entry keeps its own fix, which names no resource type.
var awsRemedies = map[string]func(c *converter, r *Resource, in pipeline.Input, f pipeline.Finding) string{
	"store-versioning": func(c *converter, r *Resource, in pipeline.Input, f pipeline.Finding) string {
		b := c.sourceOf(r, f, "store")
		if b == nil || b.Type != "aws_s3_bucket" {
			return ""
		}
		if vs := c.satellites[b]["aws_s3_bucket_versioning"]; len(vs) > 0 {
			return fmt.Sprintf(`Set versioning_configuration { status = "Enabled" } in %s, or point artifact_store at a versioned bucket.`, vs[0].Address)
		}
		return fmt.Sprintf(`Add an aws_s3_bucket_versioning resource for %s (bucket = %s.id) with versioning_configuration { status = "Enabled" }, or point artifact_store at a versioned bucket.`, b.Address, b.Address)
	},
	"key-rotation": func(c *converter, r *Resource, in pipeline.Input, f pipeline.Finding) string {
		if k := c.sourceOf(r, f, "key"); k != nil && k.Type == "aws_kms_key" {
			return fmt.Sprintf("Set enable_key_rotation = true on %s.", k.Address)
		}
		return ""
	},
	"xacct-cmk-required": func(c *converter, r *Resource, in pipeline.Input, f pipeline.Finding) string {
		if r.Type != "aws_codepipeline" {
			return ""
		}
		return `Create a customer-managed key (an aws_kms_key whose key policy allows the cross-account roles to use it) and set encryption_key { id = aws_kms_key.NAME.arn, type = "KMS" } in the artifact_store block.`
	},
	"xacct-key-by-arn": func(c *converter, r *Resource, in pipeline.Input, f pipeline.Finding) string {
		if r.Type != "aws_codepipeline" {
			return ""
		}
		ref := "aws_kms_key.NAME.arn"
		if k := c.sourceOf(r, f, "key"); k != nil && k.Type == "aws_kms_key" {
			ref = k.Address + ".arn"
		}
		return fmt.Sprintf("Name the key by its full key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), for example id = %s, not an alias or key id.", ref)
	},
	"xacct-bucket-policy": func(c *converter, r *Resource, in pipeline.Input, f pipeline.Finding) string {
		b := c.sourceOf(r, f, "store")
		role, bucket := actionRole(in, f), storeLocation(in, f)
		if b == nil || b.Type != "aws_s3_bucket" || role == "" || bucket == "" {
			return ""
		}
		where := "an aws_s3_bucket_policy for " + b.Address
		if bp := c.satellites[b]["aws_s3_bucket_policy"]; len(bp) > 0 {
			where = "the policy of " + bp[0].Address
		}
		part := arn.AWS // the bucket's partition is the role's
		if a, err := arn.Parse(role); err == nil {
			part = a.Partition
		}
		objects, bucketARN := part.Objects(bucket), part.Bucket(bucket)
		if _, after := c.ph.text[bucket]; after {
			// Its name is known only after apply: say it as the configuration does.
			objects, bucketARN = "${"+b.Address+".arn}/*", b.Address+".arn"
		}
		return fmt.Sprintf("Add a statement to %s allowing %s %s on %s and %s on %s.", where, role,
			strings.Join(policy.BucketObjectGrantActions, ", "), objects, strings.Join(policy.BucketGrantActions, ", "), bucketARN)
	},
	"xacct-key-policy": func(c *converter, r *Resource, in pipeline.Input, f pipeline.Finding) string {
		k := c.sourceOf(r, f, "key")
		role := actionRole(in, f)
		if k == nil || k.Type != "aws_kms_key" || role == "" {
			return ""
		}
		where := "the policy of " + k.Address
		if kp := c.satellites[k]["aws_kms_key_policy"]; len(kp) > 0 {
			where = "the policy of " + kp[0].Address
		} else if !k.Configured["policy"] {
			where = "a policy for " + k.Address + " (its policy argument; without one the key has the default key policy, which grants no other account)"
		}
		return fmt.Sprintf("Add a statement to %s allowing %s %s.", where, role, strings.Join(policy.KeyGrantActions, ", "))
	},
	"xacct-role-decrypt": func(c *converter, r *Resource, in pipeline.Input, f pipeline.Finding) string {
		ref, ok := actionOfPath(f.Path)
		if !ok {
			return ""
		}
		role := c.sources[r].roleAt(ref)
		if role == nil || role.Type != "aws_iam_role" {
			return ""
		}
		key := "the artifact key's ARN"
		if i, ok := storeOfAction(in, ref); ok {
			if id := in.Pipeline.ArtifactStores[i].EncryptionKey; id != nil && pipeline.IsKnown(id.ID) {
				key = id.ID
			}
		}
		return fmt.Sprintf("Give %s a policy (an aws_iam_role_policy, or an inline_policy block) allowing %s on %s.", role.Address, strings.Join(policy.KeyGrantActions, ", "), key)
	},
	"store-region": func(c *converter, r *Resource, in pipeline.Input, f pipeline.Finding) string {
		if r.Type != "aws_codepipeline" || f.Path.String() != "artifact_store" || len(in.Pipeline.ArtifactStores) > 0 {
			return ""
		}
		return `Add an artifact_store block naming the artifact bucket (for example an aws_s3_bucket with an aws_s3_bucket_versioning resource enabling versioning), with type = "S3".`
	},
}

// remedy returns the AWS provider's remedy for a finding, "" when the rule's own fix stands.
func (c *converter) remedy(r *Resource, in pipeline.Input, f pipeline.Finding) string {
	if fn := awsRemedies[f.Rule]; fn != nil && in.Pipeline != nil {
		return fn(c, r, in, f)
	}
	return ""
}

func (s *factSources) roleAt(ref [2]int) *Resource {
	if s == nil {
		return nil
	}
	return s.roles[ref]
}

// sourceOf returns the resource the store or key of a finding came from: the artifact_store
// block its path names, or the block the action its path names uses.
func (c *converter) sourceOf(r *Resource, f pipeline.Finding, what string) *Resource {
	src := c.sources[r]
	if src == nil {
		return nil
	}
	i, ok := storeOfPath(f.Path)
	if !ok {
		ref, isAction := actionOfPath(f.Path)
		if !isAction {
			return nil
		}
		in := pipeline.Input{Pipeline: c.pipelines[r]}
		if i, ok = storeOfAction(in, ref); !ok {
			return nil
		}
	}
	if what == "key" {
		return src.keys[i]
	}
	return src.stores[i]
}

// storeOfPath returns the index of the artifact_store block a path starts in.
func storeOfPath(p pipeline.Path) (int, bool) {
	if len(p) >= 2 && p[0].Kind == pipeline.StepAttr && p[0].Name == "artifact_store" && p[1].Kind == pipeline.StepIndex {
		return p[1].Index, true
	}
	return 0, false
}

// actionOfPath returns the stage and action indices of a path inside an action.
func actionOfPath(p pipeline.Path) ([2]int, bool) {
	if len(p) >= 4 && p[0].Name == "stage" && p[1].Kind == pipeline.StepIndex && p[2].Name == "action" && p[3].Kind == pipeline.StepIndex {
		return [2]int{p[1].Index, p[3].Index}, true
	}
	return [2]int{}, false
}

// storeOfAction returns the artifact_store block an action uses: the only one, or the one in
// its region.
func storeOfAction(in pipeline.Input, ref [2]int) (int, bool) {
	pl := in.Pipeline
	if pl == nil || ref[0] >= len(pl.Stages) || ref[1] >= len(pl.Stages[ref[0]].Actions) {
		return 0, false
	}
	if len(pl.ArtifactStores) == 1 {
		return 0, true
	}
	region := pl.Stages[ref[0]].Actions[ref[1]].Region
	if region == "" {
		region = in.Facts.Region
	}
	for i, s := range pl.ArtifactStores {
		if region != "" && pipeline.IsKnown(region) && s.Region == region {
			return i, true
		}
	}
	return 0, false
}

// actionRole returns the role of the action a finding's path names.
func actionRole(in pipeline.Input, f pipeline.Finding) string {
	ref, ok := actionOfPath(f.Path)
	if !ok || ref[0] >= len(in.Pipeline.Stages) || ref[1] >= len(in.Pipeline.Stages[ref[0]].Actions) {
		return ""
	}
	return in.Pipeline.Stages[ref[0]].Actions[ref[1]].RoleARN
}

// storeLocation returns the bucket of the artifact_store block the action of a finding uses.
func storeLocation(in pipeline.Input, f pipeline.Finding) string {
	ref, ok := actionOfPath(f.Path)
	if !ok {
		return ""
	}
	i, ok := storeOfAction(in, ref)
	if !ok || !pipeline.IsKnown(in.Pipeline.ArtifactStores[i].Location) {
		return ""
	}
	return in.Pipeline.ArtifactStores[i].Location
}
