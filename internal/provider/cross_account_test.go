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

// The seed's cross-account scenario: a pipeline in account 111111111111 whose Deploy action
// acts in account 222222222222 through the role "deployer". These tests run the provider as a
// binary (useProviderBinary): the configuration has two provider configurations.

// xacctScenario says how a configuration of the scenario departs from the correct one; the
// zero value is the correct configuration.
type xacctScenario struct {
	noPipeline       bool   // the infrastructure alone
	versioningOff    bool   // the store is not versioned
	storeWithoutKey  bool   // the store has no encryption_key_arn (the AWS-managed key)
	storeWithoutRole bool   // the store's bucket policy does not grant the deployer
	keyWithoutRole   bool   // the key's policy does not grant the deployer
	roleOtherKey     bool   // the deployer may use another key, not the artifact key
	pipelineKey      string // the pipeline's encryption_key: "" the key's ARN, "none", "alias", "aws/s3"
}

func (s xacctScenario) config() string {
	storeRoles, keyRoles := "[local.deployer]", "[local.deployer]"
	if s.storeWithoutRole {
		storeRoles = "[]"
	}
	if s.keyWithoutRole {
		keyRoles = "[]"
	}
	storeKey := "encryption_key_arn  = codepipeline_cross_account_key.artifacts.arn"
	if s.storeWithoutKey {
		storeKey = ""
	}
	roleKey, otherKey := "codepipeline_cross_account_key.artifacts.arn", ""
	if s.roleOtherKey {
		roleKey = "codepipeline_cross_account_key.other.arn"
		otherKey = `
resource "codepipeline_cross_account_key" "other" {
  description   = "some other key"
  grantee_roles = [local.deployer]
}
`
	}
	config := requiredProvidersBlock + fmt.Sprintf(`
# The pipeline's account.
provider "codepipeline" {
  account_id = "111111111111"
}

# The target account the Deploy action acts in.
provider "codepipeline" {
  alias      = "target"
  account_id = "222222222222"
}

locals {
  # Written out rather than taken from the role: the key and the store grant the role, and the
  # role names the key and the store.
  deployer = "arn:aws:iam::222222222222:role/deployer"
}

resource "codepipeline_cross_account_key" "artifacts" {
  description   = "app pipeline artifacts"
  alias         = "alias/app-artifacts"
  grantee_roles = %s
}
%s
resource "codepipeline_artifact_store" "store" {
  bucket              = "app-artifacts"
  versioning          = %t
  %s
  cross_account_roles = %s
}

resource "codepipeline_cross_account_role" "deployer" {
  provider = codepipeline.target

  name                = "deployer"
  trusted_account_id  = "111111111111"
  artifact_bucket_arn = codepipeline_artifact_store.store.arn
  key_arn             = %s
}
`, keyRoles, otherKey, !s.versioningOff, storeKey, storeRoles, roleKey)
	if s.noPipeline {
		return config
	}
	var keyBlock string
	switch s.pipelineKey {
	case "":
		keyBlock = xacctKeyBlock("codepipeline_cross_account_key.artifacts.arn")
	case "alias":
		keyBlock = xacctKeyBlock("codepipeline_cross_account_key.artifacts.alias")
	case "aws/s3":
		keyBlock = xacctKeyBlock(`"alias/aws/s3"`)
	case "none":
	default:
		panic("unknown pipelineKey " + s.pipelineKey)
	}
	return config + fmt.Sprintf(`
resource "codepipeline_pipeline" "app" {
  name     = "app"
  role_arn = "arn:aws:iam::111111111111:role/pipeline"

  artifact_store {
    location = codepipeline_artifact_store.store.bucket
    type     = "S3"
    %s
  }

  stage {
    name = "Source"
    action {
      name             = "Checkout"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      output_artifacts = ["src"]
      configuration = {
        RepositoryName = "app"
        BranchName     = "main"
      }
    }
  }

  stage {
    name = "Deploy"
    action {
      name            = "Deploy"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "S3"
      version         = "1"
      input_artifacts = ["src"]
      role_arn        = codepipeline_cross_account_role.deployer.arn
      configuration = {
        BucketName = "site"
        Extract    = "true"
      }
    }
  }
}
`, keyBlock)
}

func xacctKeyBlock(id string) string {
	return fmt.Sprintf(`encryption_key {
      id   = %s
      type = "KMS"
    }`, id)
}

func TestAccCrossAccount_scenario(t *testing.T) {
	dir := testStateDir(t)
	useProviderBinary(t)
	config := xacctScenario{}.config()
	resource.Test(t, resource.TestCase{
		PreCheck: func() { testAccPreCheck(t) },
		CheckDestroy: resource.ComposeTestCheckFunc(
			checkPipelineGone(dir, "app"),
			checkRoleGone(dir, "deployer"),
			checkBucketGone(dir, "app-artifacts"),
			checkKeyGone(dir, "codepipeline_cross_account_key.artifacts"),
		),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("codepipeline_pipeline.app", plancheck.ResourceActionCreate),
					// What plan-JSON policy tools need is known at plan: the role's ARN, the
					// bucket policy and the key policy.
					plancheck.ExpectKnownValue("codepipeline_cross_account_role.deployer", tfjsonpath.New("arn"), knownvalue.StringExact(testDeployerARN)),
					plancheck.ExpectKnownValue("codepipeline_artifact_store.store", tfjsonpath.New("policy"),
						knownvalue.StringExact(policy.BucketPolicy(arn.AWS, "app-artifacts", []string{testDeployerARN}).JSON())),
					plancheck.ExpectKnownValue("codepipeline_cross_account_key.artifacts", tfjsonpath.New("policy"),
						knownvalue.StringExact(policy.KeyPolicy(arn.AWS, "111111111111", []string{testDeployerARN}).JSON())),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("codepipeline_pipeline.app", tfjsonpath.New("arn"), knownvalue.StringExact("arn:aws:codepipeline:us-east-1:111111111111:app")),
					statecheck.ExpectKnownValue("codepipeline_pipeline.app", tfjsonpath.New("version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue("codepipeline_artifact_store.store", tfjsonpath.New("account_id"), knownvalue.StringExact("111111111111")),
				},
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttrPair("codepipeline_pipeline.app", "artifact_store.0.encryption_key.0.id", "codepipeline_cross_account_key.artifacts", "arn"),
					resource.TestCheckResourceAttrPair("codepipeline_cross_account_role.deployer", "key_arn", "codepipeline_cross_account_key.artifacts", "arn"),
					checkPipelineStored(dir, "app"),
					// The role was created in the target account, not the pipeline's.
					func(*terraform.State) error {
						if _, err := testBackendErr(dir, "222222222222").GetRole(context.Background(), "deployer"); err != nil {
							return fmt.Errorf("role in account 222222222222: %w", err)
						}
						_, err := testBackendErr(dir, "111111111111").GetRole(context.Background(), "deployer")
						if !errors.Is(err, backend.ErrNotFound) {
							return fmt.Errorf("role deployer in account 111111111111: err=%w, want not found", err)
						}
						return nil
					},
				),
			},
			{
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// TestAccCrossAccount_brokenConfiguration fails each broken variant whose configuration alone
// breaks a rule, with the rule's ID and the attribute.
func TestAccCrossAccount_brokenConfiguration(t *testing.T) {
	testStateDir(t)
	useProviderBinary(t)
	cases := map[string]struct {
		scenario xacctScenario
		want     string
	}{
		"versioning off":                   {xacctScenario{versioningOff: true}, `\[store-versioning\].*versioning`},
		"no key in the store":              {xacctScenario{storeWithoutKey: true}, `\[xacct-cmk-required\].*encryption_key_arn`},
		"no key in the pipeline":           {xacctScenario{pipelineKey: "none"}, `\[xacct-cmk-required\].*artifact_store\[0\]`},
		"the AWS-managed key by its alias": {xacctScenario{pipelineKey: "aws/s3"}, `\[xacct-cmk-required\].*artifact_store\[0\]\.encryption_key\[0\]\.id`},
		"the key named by alias":           {xacctScenario{pipelineKey: "alias"}, `\[xacct-key-by-arn\].*artifact_store\[0\]\.encryption_key\[0\]\.id`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			testStateDir(t)
			resource.Test(t, resource.TestCase{
				PreCheck: func() { testAccPreCheck(t) },
				Steps:    []resource.TestStep{{Config: tc.scenario.config(), ExpectError: regexp.MustCompile(`(?s)` + tc.want)}},
			})
		})
	}
}

// TestAccCrossAccount_brokenBackend fails each broken variant whose rule needs the backend's
// facts (the bucket, key and role policies). When those objects exist before the pipeline is
// planned, the plan fails; when they are created in the same apply as the pipeline, the
// preflight fails the apply before the pipeline is created.
func TestAccCrossAccount_brokenBackend(t *testing.T) {
	testStateDir(t)
	useProviderBinary(t)
	cases := map[string]struct {
		scenario xacctScenario
		want     string
	}{
		"the bucket policy missing the role": {xacctScenario{storeWithoutRole: true}, `\[xacct-bucket-policy\].*stage\[1\]\.action\[0\]\.role_arn`},
		"the key policy missing the role":    {xacctScenario{keyWithoutRole: true}, `\[xacct-key-policy\].*stage\[1\]\.action\[0\]\.role_arn`},
		"the role not allowed to decrypt":    {xacctScenario{roleOtherKey: true}, `\[xacct-role-decrypt\].*stage\[1\]\.action\[0\]\.role_arn`},
	}
	for name, tc := range cases {
		infra := tc.scenario
		infra.noPipeline = true
		want := regexp.MustCompile(`(?s)` + tc.want)
		t.Run(name+"/existing infrastructure fails the plan", func(t *testing.T) {
			testStateDir(t)
			resource.Test(t, resource.TestCase{
				PreCheck: func() { testAccPreCheck(t) },
				Steps: []resource.TestStep{
					{Config: infra.config()},
					{Config: tc.scenario.config(), PlanOnly: true, ExpectError: want},
				},
			})
		})
		t.Run(name+"/one apply fails before the pipeline", func(t *testing.T) {
			dir := testStateDir(t)
			resource.Test(t, resource.TestCase{
				PreCheck: func() { testAccPreCheck(t) },
				Steps: []resource.TestStep{
					{Config: tc.scenario.config(), ExpectError: want},
					pipelineNotCreated(t, dir, tc.scenario),
				},
			})
		})
	}
}

// TestAccCrossAccount_changedOutsideTerraform fails the plan of the pipeline when the
// infrastructure, correct as configured, was broken through the backend.
func TestAccCrossAccount_changedOutsideTerraform(t *testing.T) {
	testStateDir(t)
	useProviderBinary(t)
	cases := map[string]struct {
		change func(t *testing.T, dir string)
		want   string
	}{
		"the role's key statement removed": {
			func(t *testing.T, dir string) {
				doc := policy.TargetRolePolicy(arn.AWS, "app-artifacts", "").JSON()
				if err := localAccount(t, dir, "222222222222").PutRolePolicy(context.Background(), "deployer", artifactPolicyName, doc); err != nil {
					t.Fatal(err)
				}
			},
			`\[xacct-role-decrypt\].*stage\[1\]\.action\[0\]\.role_arn`,
		},
		"versioning turned off": {
			func(t *testing.T, dir string) {
				if _, err := localAccount(t, dir, "111111111111").PutBucketVersioning(context.Background(), "app-artifacts", false); err != nil {
					t.Fatal(err)
				}
			},
			`\[store-versioning\].*artifact_store\[0\]\.location`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := testStateDir(t)
			resource.Test(t, resource.TestCase{
				PreCheck: func() { testAccPreCheck(t) },
				Steps: []resource.TestStep{
					{Config: xacctScenario{noPipeline: true}.config()},
					{
						PreConfig: func() { tc.change(t, dir) },
						Config:    xacctScenario{}.config(), PlanOnly: true, ExpectError: regexp.MustCompile(`(?s)` + tc.want),
					},
				},
			})
		})
	}
}

// pipelineNotCreated is a step after an apply that failed in the pipeline's preflight: it
// proves the pipeline is not in the state directory while the rest of the configuration was
// created as planned (its plan is empty).
func pipelineNotCreated(t *testing.T, dir string, s xacctScenario) resource.TestStep {
	infra := s
	infra.noPipeline = true
	return resource.TestStep{
		PreConfig: func() {
			_, err := testBackend(t, dir, "111111111111").GetPipeline(context.Background(), "app")
			if !errors.Is(err, backend.ErrNotFound) {
				t.Fatalf("pipeline app exists after the failed apply (err=%v)", err)
			}
		},
		Config:   infra.config(),
		PlanOnly: true,
	}
}

// checkPipelineStored proves the pipeline is in the state directory.
func checkPipelineStored(dir, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		_, err := testBackendErr(dir, "111111111111").GetPipeline(context.Background(), name)
		return err
	}
}
