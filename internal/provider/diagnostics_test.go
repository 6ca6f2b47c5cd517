package provider

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

func TestToFrameworkPath(t *testing.T) {
	cases := []struct {
		in   pipeline.Path
		want path.Path
	}{
		{pipeline.Root("name"), path.Root("name")},
		{pipeline.ActionPath(1, 2).Attr("configuration").Key("S3Bucket"),
			path.Root("stage").AtListIndex(1).AtName("action").AtListIndex(2).AtName("configuration").AtMapKey("S3Bucket")},
		{pipeline.Root("artifact_store").Index(0).Attr("encryption_key").Index(0).Attr("id"),
			path.Root("artifact_store").AtListIndex(0).AtName("encryption_key").AtListIndex(0).AtName("id")},
		{nil, path.Empty()},
	}
	for _, tc := range cases {
		if got := toFrameworkPath(tc.in); !got.Equal(tc.want) {
			t.Errorf("toFrameworkPath(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestAddFindings(t *testing.T) {
	findings := []pipeline.Finding{
		{Rule: "store-versioning", Severity: pipeline.SeverityError, Title: "Artifact Store Versioning Required",
			Path: pipeline.Root("versioning"), Message: "Versioning is off.", Fix: "Set versioning = true."},
		{Rule: "polling-deprecated", Severity: pipeline.SeverityWarning, Title: "Polling Is Deprecated",
			Path: pipeline.ActionPath(0, 0).Attr("configuration").Key("PollForSourceChanges"), Message: "This source polls.", Fix: "Use events."},
	}
	var got diag.Diagnostics
	addFindings(&got, findings)
	want := diag.Diagnostics{
		diag.NewAttributeErrorDiagnostic(path.Root("versioning"),
			"[store-versioning] Artifact Store Versioning Required", "At versioning: Versioning is off.\n\nFix: Set versioning = true."),
		diag.NewAttributeWarningDiagnostic(path.Root("stage").AtListIndex(0).AtName("action").AtListIndex(0).AtName("configuration").AtMapKey("PollForSourceChanges"),
			"[polling-deprecated] Polling Is Deprecated", "At stage[0].action[0].configuration[\"PollForSourceChanges\"]: This source polls.\n\nFix: Use events."),
	}
	if !got.Equal(want) {
		t.Errorf("addFindings:\n%s", cmp.Diff(want, got))
	}
}
