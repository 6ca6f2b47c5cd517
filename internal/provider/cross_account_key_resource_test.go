package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/compare"
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
	testDeployerARN = "arn:aws:iam::222222222222:role/deployer"
	testAuditorARN  = "arn:aws:iam::333333333333:role/auditor"
)

// keyConfig is a key granting roles (HCL list items), with extra attributes spliced in.
func keyConfig(roles, extra string) string {
	return fmt.Sprintf(`
resource "codepipeline_cross_account_key" "test" {
  description   = "pipeline artifacts"
  alias         = "alias/artifacts"
  grantee_roles = [%s]
  %s
}
`, roles, extra)
}

func TestAccCrossAccountKey_lifecycle(t *testing.T) {
	dir := testStateDir(t)
	const res = "codepipeline_cross_account_key.test"
	oneRole := keyConfig(fmt.Sprintf("%q", testDeployerARN), "")
	twoRoles := keyConfig(fmt.Sprintf("%q, %q", testAuditorARN, testDeployerARN), "")
	noRotation := keyConfig(fmt.Sprintf("%q, %q", testAuditorARN, testDeployerARN), `enable_key_rotation = false
  deletion_window_in_days = 7`)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeTestCheckFunc(checkKeyGone(dir, res), checkAliasFree(dir, "alias/artifacts")),
		Steps: []resource.TestStep{
			{
				Config: oneRole,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionCreate),
					// The key policy is known at plan, for plan-JSON policy tools.
					plancheck.ExpectKnownValue(res, tfjsonpath.New("policy"),
						knownvalue.StringExact(policy.KeyPolicy(arn.AWS, "111111111111", []string{testDeployerARN}).JSON())),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("arn"), knownvalue.StringRegexp(regexp.MustCompile(`^arn:aws:kms:us-east-1:111111111111:key/[0-9a-f-]+$`))),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("enable_key_rotation"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("deletion_window_in_days"), knownvalue.Int64Exact(30)),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("alias"), knownvalue.StringExact("alias/artifacts")),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("description"), knownvalue.StringExact("pipeline artifacts")),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("grantee_roles"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(testDeployerARN)})),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("policy"),
						knownvalue.StringExact(policy.KeyPolicy(arn.AWS, "111111111111", []string{testDeployerARN}).JSON())),
					statecheck.CompareValuePairs(res, tfjsonpath.New("id"), res, tfjsonpath.New("key_id"), compare.ValuesSame()),
				},
				Check: checkStoredKey(dir, res, func(k *backend.Key) error {
					if !k.CustomerManaged || !k.RotationEnabled || k.State != backend.KeyStateEnabled {
						return fmt.Errorf("stored key: customer-managed %v, rotation %v, state %s", k.CustomerManaged, k.RotationEnabled, k.State)
					}
					return nil
				}),
			},
			{
				Config:           oneRole,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// Granting another role changes the policy in place: same key, new policy.
				Config: twoRoles,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(res, tfjsonpath.New("policy"),
						knownvalue.StringExact(policy.KeyPolicy(arn.AWS, "111111111111", []string{testDeployerARN, testAuditorARN}).JSON())),
				}},
			},
			{
				// Turning rotation off is an in-place update too; its [key-rotation] warning
				// (see TestCrossAccountKeyResource_validateConfig) does not fail the apply.
				Config: noRotation,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("enable_key_rotation"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("deletion_window_in_days"), knownvalue.Int64Exact(7)),
				},
				Check: checkStoredKey(dir, res, func(k *backend.Key) error {
					if k.RotationEnabled {
						return errors.New("rotation still enabled in the backend")
					}
					return nil
				}),
			},
			// Import by key id (the resource id) and by key ARN. deletion_window_in_days is
			// Terraform's own setting: the backend does not keep it until a deletion.
			{ResourceName: res, ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"deletion_window_in_days"}},
			{ResourceName: res, ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"deletion_window_in_days"},
				ImportStateIdFunc: stateAttr(res, "arn")},
		},
	})
}

func TestAccCrossAccountKey_drift(t *testing.T) {
	dir := testStateDir(t)
	const res = "codepipeline_cross_account_key.test"
	config := keyConfig(fmt.Sprintf("%q", testDeployerARN), "")
	var keyID string
	putPolicy := func(doc string) func() {
		return func() {
			if _, err := localAccount(t, dir, "111111111111").PutKeyPolicy(context.Background(), keyID, doc); err != nil {
				t.Fatal(err)
			}
		}
	}
	generated := policy.KeyPolicy(arn.AWS, "111111111111", []string{testDeployerARN}).JSON()
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config, Check: captureAttr(res, "key_id", &keyID)},
			{
				// The same policy, written differently, is no change.
				PreConfig: putPolicy(reformatJSON(t, generated)),
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			{
				// Someone removes the grant outside Terraform: the next plan puts it back.
				PreConfig: putPolicy(policy.KeyPolicy(arn.AWS, "111111111111", nil).JSON()),
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(res, tfjsonpath.New("policy"), knownvalue.StringExact(generated)),
				}},
				Check: checkStoredKey(dir, res, func(k *backend.Key) error {
					if got, _ := policy.Canonical(k.Policy); got != generated {
						return fmt.Errorf("stored key policy not restored: %s", k.Policy)
					}
					return nil
				}),
			},
			{
				// Someone schedules the key's deletion: a key pending deletion is gone for
				// Terraform, and the next plan creates a new one.
				PreConfig: func() {
					if _, err := localAccount(t, dir, "111111111111").ScheduleKeyDeletion(context.Background(), keyID, 7); err != nil {
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

func TestAccCrossAccountKey_deletionWindowOutOfRange(t *testing.T) {
	testStateDir(t)
	for _, days := range []int{6, 31} {
		t.Run(fmt.Sprint(days), func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				PreCheck:                 func() { testAccPreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      keyConfig("", fmt.Sprintf("deletion_window_in_days = %d", days)),
					ExpectError: regexp.MustCompile(`(?s)deletion_window_in_days.*between 7 and 30`),
				}},
			})
		})
	}
}

// TestCrossAccountKeyResource_validateConfig checks the [key-rotation] warning directly:
// terraform-plugin-testing does not expose the warnings of a plan or apply.
func TestCrossAccountKeyResource_validateConfig(t *testing.T) {
	ctx := context.Background()
	r := NewCrossAccountKeyResource().(fwresource.ResourceWithValidateConfig)
	var sch fwresource.SchemaResponse
	r.Schema(ctx, fwresource.SchemaRequest{}, &sch)
	cases := map[string]struct {
		rotation    types.Bool
		wantWarning bool
	}{
		"rotation off":     {types.BoolValue(false), true},
		"rotation on":      {types.BoolValue(true), false},
		"rotation unset":   {types.BoolNull(), false}, // the default is true
		"rotation unknown": {types.BoolUnknown(), false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m := crossAccountKeyResourceModel{
				ID: types.StringUnknown(), Description: types.StringNull(), Alias: types.StringNull(),
				GranteeRoles:      types.SetValueMust(types.StringType, nil),
				EnableKeyRotation: tc.rotation, DeletionWindowInDays: types.Int64Null(),
				ARN: types.StringUnknown(), KeyID: types.StringUnknown(), Policy: types.StringUnknown(),
			}
			state := tfsdk.State{Schema: sch.Schema, Raw: tftypes.NewValue(sch.Schema.Type().TerraformType(ctx), nil)}
			if diags := state.Set(ctx, &m); diags.HasError() {
				t.Fatal(diags)
			}
			var resp fwresource.ValidateConfigResponse
			r.ValidateConfig(ctx, fwresource.ValidateConfigRequest{Config: tfsdk.Config{Schema: sch.Schema, Raw: state.Raw}}, &resp)
			if resp.Diagnostics.HasError() {
				t.Fatalf("errors: %v", resp.Diagnostics)
			}
			var warned bool
			for _, d := range resp.Diagnostics.Warnings() {
				if strings.HasPrefix(d.Summary(), "[key-rotation]") && strings.Contains(d.Detail(), "enable_key_rotation") {
					warned = true
				}
			}
			if warned != tc.wantWarning {
				t.Errorf("[key-rotation] warning: got %v, want %v (diagnostics: %v)", warned, tc.wantWarning, resp.Diagnostics)
			}
		})
	}
}

// checkKeyGone proves the destroyed key is pending deletion, or gone, in the state directory.
func checkKeyGone(dir, res string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[res]
		if !ok {
			return fmt.Errorf("%s not in the state before destroy", res)
		}
		k, err := testBackendErr(dir, "111111111111").GetKey(context.Background(), rs.Primary.Attributes["key_id"])
		switch {
		case errors.Is(err, backend.ErrNotFound):
			return nil
		case err != nil:
			return err
		case k.State != backend.KeyStatePendingDeletion:
			return fmt.Errorf("key %s is %s after destroy, want %s", k.KeyID, k.State, backend.KeyStatePendingDeletion)
		}
		return nil
	}
}

// checkAliasFree proves no key holds alias any more, so that the same configuration can be
// applied again.
func checkAliasFree(dir, alias string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		k, err := testBackendErr(dir, "111111111111").GetKey(context.Background(), alias)
		if !errors.Is(err, backend.ErrNotFound) {
			return fmt.Errorf("alias %s still names a key after destroy (key=%v, err=%w)", alias, k, err)
		}
		return nil
	}
}

// checkStoredKey runs check on the key as the state directory holds it.
func checkStoredKey(dir, res string, check func(*backend.Key) error) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[res]
		if !ok {
			return fmt.Errorf("%s not in the state", res)
		}
		k, err := testBackendErr(dir, "111111111111").GetKey(context.Background(), rs.Primary.Attributes["key_id"])
		if err != nil {
			return err
		}
		return check(k)
	}
}

// localAccount is the local cloud of dir as account, with the calls that change things
// "outside Terraform" (PutKeyPolicy, PutRolePolicy, ...).
func localAccount(t *testing.T, dir, account string) backend.Backend {
	t.Helper()
	return testBackend(t, dir, account)
}

// captureAttr records an attribute of res from the state.
func captureAttr(res, attr string, into *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[res]
		if !ok {
			return fmt.Errorf("%s not in the state", res)
		}
		*into = rs.Primary.Attributes[attr]
		return nil
	}
}

// stateAttr is an ImportStateIdFunc returning an attribute of res.
func stateAttr(res, attr string) resource.ImportStateIdFunc {
	return func(s *terraform.State) (string, error) {
		rs, ok := s.RootModule().Resources[res]
		if !ok {
			return "", fmt.Errorf("%s not in the state", res)
		}
		return rs.Primary.Attributes[attr], nil
	}
}

// reformatJSON re-indents a JSON document: the same policy, written differently.
func reformatJSON(t *testing.T, doc string) string {
	t.Helper()
	out := strings.NewReplacer(`{`, "{\n  ", `,`, ",\n  ", `}`, "\n}").Replace(doc)
	if out == doc {
		t.Fatal("reformatJSON changed nothing")
	}
	return out
}
