package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccCallerIdentityDataSource_defaults(t *testing.T) {
	dir := testStateDir(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `data "codepipeline_caller_identity" "current" {}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.codepipeline_caller_identity.current", tfjsonpath.New("account_id"), knownvalue.StringExact("111111111111")),
				statecheck.ExpectKnownValue("data.codepipeline_caller_identity.current", tfjsonpath.New("region"), knownvalue.StringExact("us-east-1")),
				statecheck.ExpectKnownValue("data.codepipeline_caller_identity.current", tfjsonpath.New("backend"), knownvalue.StringExact("local")),
				// The environment variable sets the state directory when the configuration does not.
				statecheck.ExpectKnownValue("data.codepipeline_caller_identity.current", tfjsonpath.New("state_dir"), knownvalue.StringExact(dir)),
			},
		}},
	})
}

func TestAccProvider_everyOption(t *testing.T) {
	testStateDir(t)
	explicit := filepath.Join(t.TempDir(), "cloud")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "codepipeline" {
  backend    = "local"
  account_id = "222222222222"
  region     = "eu-west-1"
  state_dir  = %q

  aws {
    profile = "deploy"
    assume_role {
      role_arn     = "arn:aws:iam::222222222222:role/terraform"
      session_name = "ci"
      external_id  = "ext-1"
    }
    endpoints {
      codepipeline = "http://127.0.0.1:4566"
      s3           = "http://127.0.0.1:4566"
      kms          = "http://127.0.0.1:4566"
      iam          = "http://127.0.0.1:4566"
      sts          = "http://127.0.0.1:4566"
    }
  }
}

data "codepipeline_caller_identity" "current" {}
`, explicit),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.codepipeline_caller_identity.current", tfjsonpath.New("account_id"), knownvalue.StringExact("222222222222")),
				statecheck.ExpectKnownValue("data.codepipeline_caller_identity.current", tfjsonpath.New("region"), knownvalue.StringExact("eu-west-1")),
				// The configured state_dir wins over the environment variable.
				statecheck.ExpectKnownValue("data.codepipeline_caller_identity.current", tfjsonpath.New("state_dir"), knownvalue.StringExact(explicit)),
			},
		}},
	})
}

func TestAccProvider_twoAliasesActAsTwoAccounts(t *testing.T) {
	testStateDir(t)
	useProviderBinary(t)
	resource.Test(t, resource.TestCase{
		PreCheck: func() { testAccPreCheck(t) },
		Steps: []resource.TestStep{{
			Config: requiredProvidersBlock + `
provider "codepipeline" {
  alias      = "tools"
  account_id = "111111111111"
}
provider "codepipeline" {
  alias      = "prod"
  account_id = "333333333333"
}
data "codepipeline_caller_identity" "tools" { provider = codepipeline.tools }
data "codepipeline_caller_identity" "prod" { provider = codepipeline.prod }
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.codepipeline_caller_identity.tools", tfjsonpath.New("account_id"), knownvalue.StringExact("111111111111")),
				statecheck.ExpectKnownValue("data.codepipeline_caller_identity.prod", tfjsonpath.New("account_id"), knownvalue.StringExact("333333333333")),
			},
		}},
	})
}

func TestAccProvider_badConfiguration(t *testing.T) {
	testStateDir(t)
	// No AWS configuration at all: the aws backend says what is missing (and reaches for no
	// instance metadata service).
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty, "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
		"AWS_PROFILE": "", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_EC2_METADATA_DISABLED": "true", "CODEPIPELINE_BACKEND": ""} {
		t.Setenv(k, v)
	}
	cases := map[string]struct {
		provider string
		want     *regexp.Regexp
	}{
		"aws backend without an AWS configuration": {`backend = "aws"`, regexp.MustCompile(`(?s)No AWS Region.*AWS_REGION`)},
		"unknown backend":                          {`backend = "gcp"`, regexp.MustCompile(`(?s)backend.*value must be one of`)},
		"short account id":                         {`account_id = "1234"`, regexp.MustCompile(`(?s)account_id.*12-digit`)},
		"bad region":                               {`region = "Mars"`, regexp.MustCompile(`(?s)region.*AWS region name`)},
		"empty state dir":                          {`state_dir = ""`, regexp.MustCompile(`(?s)state_dir.*at least 1`)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				PreCheck:                 func() { testAccPreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      fmt.Sprintf("provider \"codepipeline\" {\n  %s\n}\ndata \"codepipeline_caller_identity\" \"current\" {}\n", tc.provider),
					ExpectError: tc.want,
				}},
			})
		})
	}
}
