package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

func TestAccArtifactStore_lifecycle(t *testing.T) {
	dir := testStateDir(t)
	const role = "arn:aws:iam::222222222222:role/deployer"
	withRole := fmt.Sprintf(`
resource "codepipeline_artifact_store" "test" {
  bucket              = "app-artifacts"
  encryption_key_arn  = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555"
  cross_account_roles = [%q]
}
`, role)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkBucketGone(dir, "app-artifacts"),
		Steps: []resource.TestStep{
			{
				Config: `resource "codepipeline_artifact_store" "test" { bucket = "app-artifacts" }`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					// Security-relevant values are known at plan, for plan-JSON policy tools.
					plancheck.ExpectKnownValue("codepipeline_artifact_store.test", tfjsonpath.New("policy"), knownvalue.StringExact(policy.BucketPolicy(arn.AWS, "app-artifacts", nil).JSON())),
					plancheck.ExpectKnownValue("codepipeline_artifact_store.test", tfjsonpath.New("versioning"), knownvalue.Bool(true)),
					plancheck.ExpectKnownValue("codepipeline_artifact_store.test", tfjsonpath.New("arn"), knownvalue.StringExact("arn:aws:s3:::app-artifacts")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("codepipeline_artifact_store.test", tfjsonpath.New("account_id"), knownvalue.StringExact("111111111111")),
					statecheck.ExpectKnownValue("codepipeline_artifact_store.test", tfjsonpath.New("region"), knownvalue.StringExact("us-east-1")),
					statecheck.ExpectKnownValue("codepipeline_artifact_store.test", tfjsonpath.New("force_destroy"), knownvalue.Bool(false)),
				},
			},
			{
				// Re-applying the same configuration changes nothing.
				Config:           `resource "codepipeline_artifact_store" "test" { bucket = "app-artifacts" }`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// Granting a role is an in-place update of the generated policy.
				Config: withRole,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("codepipeline_artifact_store.test", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("codepipeline_artifact_store.test", tfjsonpath.New("policy"),
						knownvalue.StringExact(policy.BucketPolicy(arn.AWS, "app-artifacts", []string{role}).JSON())),
				}},
			},
			{
				ResourceName: "codepipeline_artifact_store.test", ImportState: true, ImportStateVerify: true,
				ImportStateId: "arn:aws:s3:::app-artifacts",
			},
			{
				// Renaming the bucket replaces the store.
				Config: `resource "codepipeline_artifact_store" "test" { bucket = "app-artifacts-2" }`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("codepipeline_artifact_store.test", plancheck.ResourceActionDestroyBeforeCreate),
				}},
			},
		},
	})
}

func TestAccArtifactStore_rules(t *testing.T) {
	testStateDir(t)
	cases := map[string]struct {
		config string
		want   *regexp.Regexp
	}{
		"versioning off": {`
resource "codepipeline_artifact_store" "test" {
  bucket     = "app-artifacts"
  versioning = false
}`, regexp.MustCompile(`(?s)\[store-versioning\].*versioning`)},
		"cross-account roles on the AWS-managed key": {`
resource "codepipeline_artifact_store" "test" {
  bucket              = "app-artifacts"
  cross_account_roles = ["arn:aws:iam::222222222222:role/deployer"]
}`, regexp.MustCompile(`(?s)\[xacct-cmk-required\].*encryption_key_arn`)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				PreCheck:                 func() { testAccPreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: tc.config, ExpectError: tc.want}},
			})
		})
	}
}

func TestAccArtifactStore_drift(t *testing.T) {
	dir := testStateDir(t)
	config := `resource "codepipeline_artifact_store" "test" { bucket = "app-artifacts" }`
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{
				// Someone turns versioning off outside Terraform: the next plan puts it back.
				PreConfig: func() {
					b := testBackend(t, dir, "111111111111")
					bucket, err := b.GetBucket(context.Background(), "app-artifacts")
					if err != nil {
						t.Fatal(err)
					}
					bucket.Versioning = false
					if _, err := b.UpdateBucket(context.Background(), *bucket); err != nil {
						t.Fatal(err)
					}
				},
				Config:             config,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				// Someone deletes the bucket: the next plan creates it again.
				PreConfig: func() {
					if err := testBackend(t, dir, "111111111111").DeleteBucket(context.Background(), "app-artifacts", true); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("codepipeline_artifact_store.test", plancheck.ResourceActionCreate),
				}},
			},
		},
	})
}

// checkBucketGone proves the bucket no longer exists in the state directory.
func checkBucketGone(dir, bucket string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		_, err := testBackendErr(dir, "111111111111").GetBucket(context.Background(), bucket)
		if !errors.Is(err, backend.ErrNotFound) {
			return fmt.Errorf("bucket %q still exists after destroy (err=%w)", bucket, err)
		}
		return nil
	}
}
