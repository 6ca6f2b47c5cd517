//go:build realaws

package backends_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// TestRealAWS is `make test-aws`: the aws backend on a real account, with the credentials of
// the environment (AWS_PROFILE, AWS_ACCESS_KEY_ID…, AWS_REGION). It creates a key, a versioned
// bucket encrypted with it, an object, a role and a pipeline under unique names, reads them
// back, and deletes them (the key is scheduled for deletion in 7 days). It is built only with
// the realaws tag, so make test never compiles it; without credentials it fails, saying so.
func TestRealAWS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	// Credentials named explicitly: the SDK's chain would otherwise end at an instance
	// metadata service, which a developer's machine does not have.
	if os.Getenv("AWS_PROFILE") == "" && os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		t.Fatal("make test-aws needs AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_REGION)")
	}
	b, err := backend.Open(ctx, backend.Config{Kind: backend.KindAWS, Region: os.Getenv("AWS_REGION")})
	if err != nil {
		t.Fatalf("opening the aws backend with the environment's credentials: %v", err)
	}
	defer b.Close()
	id := b.Identity()
	part := id.Partition()
	suffix := make([]byte, 4)
	rand.Read(suffix) //nolint:errcheck // crypto/rand.Read does not fail
	name := "cp-smoke-" + hex.EncodeToString(suffix)
	t.Logf("acting as account %s in %s; names %s-*", id.AccountID, id.Region, name)

	key, err := b.CreateKey(ctx, backend.KeySpec{Description: name, Alias: "alias/" + name, RotationEnabled: true,
		Policy: policy.KeyPolicy(part, id.AccountID, nil).JSON()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := b.ScheduleKeyDeletion(context.Background(), key.KeyID, 7); err != nil {
			t.Errorf("scheduling the deletion of key %s: %v", key.ARN, err)
		}
		_ = b.DeleteAlias(context.Background(), "alias/"+name)
	})
	bucket := name + "-artifacts"
	if _, err := b.CreateBucket(ctx, backend.Bucket{Name: bucket, Versioning: true, EncryptionKeyARN: key.ARN,
		Policy: policy.BucketPolicy(part, bucket, nil).JSON()}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.DeleteBucket(context.Background(), bucket, true); err != nil {
			t.Errorf("deleting bucket %s: %v", bucket, err)
		}
	})
	v, err := b.PutObject(ctx, "", bucket, "source.zip", strings.NewReader("smoke"))
	if err != nil {
		t.Fatal(err)
	}
	if body, info, err := b.GetObject(ctx, "", bucket, "source.zip", v); err != nil || string(body) != "smoke" || info.KMSKeyARN != key.ARN {
		t.Errorf("the object read back: %q, key %s, %v", body, info.KMSKeyARN, err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codepipeline.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role, err := b.CreateRole(ctx, backend.Role{Name: name, TrustPolicy: trust,
		Policies: map[string]string{"artifacts": policy.TargetRolePolicy(part, bucket, key.ARN).JSON()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.DeleteRole(context.Background(), name); err != nil {
			t.Errorf("deleting role %s: %v", name, err)
		}
	})
	p := &pipeline.Pipeline{Name: name, RoleARN: role.ARN, PipelineType: pipeline.PipelineTypeV2,
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: bucket, Type: "S3", EncryptionKey: &pipeline.EncryptionKey{ID: key.ARN, Type: "KMS"}}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{{Name: "Fetch", Category: "Source", Owner: "AWS", Provider: "S3", Version: "1",
				OutputArtifacts: []string{"src"}, Configuration: map[string]string{"S3Bucket": bucket, "S3ObjectKey": "source.zip", "PollForSourceChanges": "false"}}}},
			{Name: "Approve", Actions: []pipeline.Action{{Name: "Gate", Category: "Approval", Owner: "AWS", Provider: "Manual", Version: "1"}}},
		}}
	rec, err := b.CreatePipeline(ctx, p) // retried while IAM makes the new role known
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.DeletePipeline(context.Background(), name); err != nil {
			t.Errorf("deleting pipeline %s: %v", name, err)
		}
	})
	if rec.Version != 1 || len(rec.Definition.Stages) != 2 {
		t.Errorf("the pipeline read back: version %d, %d stages", rec.Version, len(rec.Definition.Stages))
	}
	facts, err := b.Facts(ctx, p)
	if err != nil || facts.Stores[bucket] == nil || facts.Keys[key.ARN] == nil || facts.Roles[role.ARN] == nil {
		t.Errorf("facts: %+v, %v", facts, err)
	}
}
