package local

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

func TestFactsCrossAccountPipeline(t *testing.T) {
	ctx := context.Background()
	x := newCrossAccount(t)
	p := samplePipeline("xacct")
	p.ArtifactStores[0] = pipeline.ArtifactStoreRef{Location: x.bucket, Type: "S3",
		EncryptionKey: &pipeline.EncryptionKey{ID: "alias/artifacts", Type: "KMS"}}
	p.Stages = append(p.Stages, pipeline.Stage{Name: "Deploy", Actions: []pipeline.Action{
		{Name: "deploy", Category: "Deploy", Owner: "AWS", Provider: "S3", Version: "1", RoleARN: x.deployRole},
		{Name: "ghost", Category: "Deploy", Owner: "AWS", Provider: "S3", Version: "1", RoleARN: arn.AWS.Role(acctB, "missing")},
		{Name: "later", Category: "Deploy", Owner: "AWS", Provider: "S3", Version: "1", RoleARN: pipeline.Unknown},
	}})

	f, err := x.a.Facts(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	bucket := must[*backend.Bucket](t)(x.a.GetBucket(ctx, x.bucket))
	keyFact := &pipeline.Key{ARN: x.key.ARN, AccountID: acctA, CustomerManaged: true, RotationEnabled: true, Policy: x.key.Policy}
	role := must[*backend.Role](t)(x.b.GetRole(ctx, x.deployRole))
	want := pipeline.Facts{
		AccountID: acctA, Region: region,
		Stores: map[string]*pipeline.ArtifactStore{x.bucket: {
			Bucket: x.bucket, AccountID: acctA, Region: region, Versioning: true, EncryptionKeyARN: x.key.ARN, Policy: bucket.Policy,
		}},
		// The key is recorded under the id as written and under its ARN.
		Keys: map[string]*pipeline.Key{"alias/artifacts": keyFact, x.key.ARN: keyFact},
		// The service role is not in the roles table (left out); so is the missing role.
		Roles: map[string]*pipeline.Role{x.deployRole: {
			ARN: x.deployRole, AccountID: acctB, TrustPolicy: role.TrustPolicy,
			IdentityPolicies: []string{role.Policies["artifacts"]},
		}},
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("Facts (-want +got):\n%s", diff)
	}

	// Seen from account B, the alias resolves in B (where it does not exist): left out.
	fb, err := x.b.Facts(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fb.Keys["alias/artifacts"]; ok || fb.AccountID != acctB {
		t.Errorf("facts from B: account %s keys %v", fb.AccountID, fb.Keys)
	}

	// The AWS-managed key named by alias is known as not customer-managed.
	p.ArtifactStores[0].EncryptionKey.ID = "alias/aws/s3"
	f, err = x.a.Facts(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if k := f.Keys["alias/aws/s3"]; k == nil || k.CustomerManaged || !strings.HasPrefix(k.ARN, "arn:aws:kms:us-east-1:111111111111:key/") {
		t.Errorf("aws/s3 fact = %+v", k)
	}
}
