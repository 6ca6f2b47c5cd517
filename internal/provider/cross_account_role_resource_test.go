package provider

import (
	"context"
	"errors"
	"fmt"
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

const (
	testKeyARN      = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555"
	testOtherKeyARN = "arn:aws:kms:us-east-1:111111111111:key/99999999-8888-7777-6666-555555555555"
)

// roleConfig is a role named name in account 222222222222 (the target account) for the
// artifacts of bucket app-artifacts encrypted with keyARN.
func roleConfig(name, keyARN string) string {
	return fmt.Sprintf(`
provider "codepipeline" {
  account_id = "222222222222"
}

resource "codepipeline_cross_account_role" "test" {
  name                = %q
  trusted_account_id  = "111111111111"
  artifact_bucket_arn = "arn:aws:s3:::app-artifacts"
  key_arn             = %q
}
`, name, keyARN)
}

func TestAccCrossAccountRole_lifecycle(t *testing.T) {
	dir := testStateDir(t)
	const res = "codepipeline_cross_account_role.test"
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeTestCheckFunc(
			checkRoleGone(dir, "deployer"), checkRoleGone(dir, "deployer-2")),
		Steps: []resource.TestStep{
			{
				Config: roleConfig("deployer", testKeyARN),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionCreate),
					// The ARN and both policies are known at plan.
					plancheck.ExpectKnownValue(res, tfjsonpath.New("arn"), knownvalue.StringExact(testDeployerARN)),
					plancheck.ExpectKnownValue(res, tfjsonpath.New("policy"),
						knownvalue.StringExact(policy.TargetRolePolicy(arn.AWS, "app-artifacts", testKeyARN).JSON())),
					plancheck.ExpectKnownValue(res, tfjsonpath.New("trust_policy"),
						knownvalue.StringExact(policy.TrustPolicy(arn.AWS, "111111111111").JSON())),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("id"), knownvalue.StringExact("deployer")),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("arn"), knownvalue.StringExact(testDeployerARN)),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("policy"),
						knownvalue.StringExact(policy.TargetRolePolicy(arn.AWS, "app-artifacts", testKeyARN).JSON())),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("trust_policy"),
						knownvalue.StringExact(policy.TrustPolicy(arn.AWS, "111111111111").JSON())),
				},
				Check: func(*terraform.State) error {
					r, err := testBackendErr(dir, "222222222222").GetRole(context.Background(), "deployer")
					if err != nil {
						return err
					}
					if got, _ := policy.Canonical(r.Policies[artifactPolicyName]); got != policy.TargetRolePolicy(arn.AWS, "app-artifacts", testKeyARN).JSON() {
						return fmt.Errorf("stored role policy: %s", r.Policies[artifactPolicyName])
					}
					return nil
				},
			},
			{
				Config:           roleConfig("deployer", testKeyARN),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// Another key is an in-place update of the generated policy.
				Config: roleConfig("deployer", testOtherKeyARN),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(res, tfjsonpath.New("policy"),
						knownvalue.StringExact(policy.TargetRolePolicy(arn.AWS, "app-artifacts", testOtherKeyARN).JSON())),
				}},
			},
			// Import by name (the resource id) and by ARN.
			{ResourceName: res, ImportState: true, ImportStateVerify: true},
			{ResourceName: res, ImportState: true, ImportStateVerify: true, ImportStateId: testDeployerARN},
			{
				// Renaming replaces the role.
				Config: roleConfig("deployer-2", testOtherKeyARN),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectKnownValue(res, tfjsonpath.New("arn"), knownvalue.StringExact("arn:aws:iam::222222222222:role/deployer-2")),
				}},
				Check: checkRoleGone(dir, "deployer"),
			},
		},
	})
}

func TestAccCrossAccountRole_drift(t *testing.T) {
	dir := testStateDir(t)
	const res = "codepipeline_cross_account_role.test"
	config := roleConfig("deployer", testKeyARN)
	generated := policy.TargetRolePolicy(arn.AWS, "app-artifacts", testKeyARN).JSON()
	putPolicy := func(doc string) func() {
		return func() {
			if err := localAccount(t, dir, "222222222222").PutRolePolicy(context.Background(), "deployer", artifactPolicyName, doc); err != nil {
				t.Fatal(err)
			}
		}
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{
				// The same policy, written differently, is no change.
				PreConfig:        putPolicy(reformatJSON(t, generated)),
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// Someone drops the key statement outside Terraform, and attaches a policy of
				// their own: the next plan puts the statement back and leaves their policy.
				PreConfig: func() {
					putPolicy(policy.TargetRolePolicy(arn.AWS, "app-artifacts", "").JSON())()
					if err := localAccount(t, dir, "222222222222").PutRolePolicy(context.Background(), "deployer", "extra", policy.TargetRolePolicy(arn.AWS, "other-bucket", "").JSON()); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(res, tfjsonpath.New("policy"), knownvalue.StringExact(generated)),
				}},
				Check: func(*terraform.State) error {
					r, err := testBackendErr(dir, "222222222222").GetRole(context.Background(), "deployer")
					if err != nil {
						return err
					}
					if got, _ := policy.Canonical(r.Policies[artifactPolicyName]); got != generated {
						return fmt.Errorf("artifacts policy not restored: %s", r.Policies[artifactPolicyName])
					}
					if r.Policies["extra"] == "" {
						return errors.New("the update removed the role's other inline policy")
					}
					return nil
				},
			},
			{
				// Someone deletes the role: the next plan creates it again.
				PreConfig: func() {
					if err := testBackend(t, dir, "222222222222").DeleteRole(context.Background(), "deployer"); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionCreate),
				}},
			},
		},
	})
}

// checkRoleGone proves the role no longer exists in account 222222222222 of the state directory.
func checkRoleGone(dir, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		_, err := testBackendErr(dir, "222222222222").GetRole(context.Background(), name)
		if !errors.Is(err, backend.ErrNotFound) {
			return fmt.Errorf("role %q still exists (err=%w)", name, err)
		}
		return nil
	}
}
