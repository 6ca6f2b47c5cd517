package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccArtifactStoreDataSource_basic(t *testing.T) {
	testStateDir(t)
	const (
		role = "arn:aws:iam::222222222222:role/deployer"
		key  = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555"
	)
	config := `
resource "codepipeline_artifact_store" "test" {
  bucket              = "app-artifacts"
  encryption_key_arn  = "` + key + `"
  cross_account_roles = ["` + role + `"]
}

data "codepipeline_artifact_store" "test" {
  bucket = codepipeline_artifact_store.test.bucket
}
`
	same := func(attr string) statecheck.StateCheck {
		return statecheck.CompareValuePairs(
			"codepipeline_artifact_store.test", tfjsonpath.New(attr),
			"data.codepipeline_artifact_store.test", tfjsonpath.New(attr),
			compare.ValuesSame())
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				same("id"), same("versioning"), same("encryption_key_arn"), same("cross_account_roles"),
				same("arn"), same("account_id"), same("region"), same("policy"),
				statecheck.ExpectKnownValue("data.codepipeline_artifact_store.test", tfjsonpath.New("versioning"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("data.codepipeline_artifact_store.test", tfjsonpath.New("encryption_key_arn"), knownvalue.StringExact(key)),
				statecheck.ExpectKnownValue("data.codepipeline_artifact_store.test", tfjsonpath.New("cross_account_roles"),
					knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(role)})),
				statecheck.ExpectKnownValue("data.codepipeline_artifact_store.test", tfjsonpath.New("arn"), knownvalue.StringExact("arn:aws:s3:::app-artifacts")),
				statecheck.ExpectKnownValue("data.codepipeline_artifact_store.test", tfjsonpath.New("account_id"), knownvalue.StringExact("111111111111")),
				statecheck.ExpectKnownValue("data.codepipeline_artifact_store.test", tfjsonpath.New("region"), knownvalue.StringExact("us-east-1")),
				statecheck.ExpectKnownValue("data.codepipeline_artifact_store.test", tfjsonpath.New("policy"), knownvalue.StringRegexp(regexp.MustCompile(regexp.QuoteMeta(role)))),
			},
		}},
	})
}

func TestAccArtifactStoreDataSource_notFound(t *testing.T) {
	testStateDir(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      `data "codepipeline_artifact_store" "missing" { bucket = "no-such-bucket" }`,
			ExpectError: regexp.MustCompile(`Artifact Store Not Found(?s).*"no-such-bucket"`),
		}},
	})
}
