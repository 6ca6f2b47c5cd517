package provider

import (
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// addFindings reports the rule findings as attribute diagnostics: the summary starts with the
// rule ID; the detail names the attribute (Terraform shows only the source line of a nested
// block's attribute), gives the cause and then the fix.
func addFindings(diags *diag.Diagnostics, findings []pipeline.Finding) {
	for _, f := range findings {
		p := toFrameworkPath(f.Path)
		detail := f.Detail()
		if len(f.Path) > 0 {
			detail = "At " + f.Path.String() + ": " + detail
		}
		if f.Severity == pipeline.SeverityWarning {
			diags.AddAttributeWarning(p, f.Summary(), detail)
		} else {
			diags.AddAttributeError(p, f.Summary(), detail)
		}
	}
}

// toFrameworkPath converts a domain path, which uses the schema's attribute names, to the
// framework's path.
func toFrameworkPath(p pipeline.Path) path.Path {
	if len(p) == 0 || p[0].Kind != pipeline.StepAttr {
		return path.Empty()
	}
	out := path.Root(p[0].Name)
	for _, s := range p[1:] {
		switch s.Kind {
		case pipeline.StepAttr:
			out = out.AtName(s.Name)
		case pipeline.StepIndex:
			out = out.AtListIndex(s.Index)
		case pipeline.StepKey:
			out = out.AtMapKey(s.Name)
		}
	}
	return out
}

// addConfigError reports a backend configuration error on its attribute; any other error is
// reported as it is.
func addConfigError(diags *diag.Diagnostics, err error) {
	if err == nil {
		return
	}
	var ce *backend.ConfigError
	if errors.As(err, &ce) {
		diags.AddAttributeError(path.Root(ce.Attribute), ce.Summary, ce.Detail)
		return
	}
	diags.AddError("Provider Configuration Failed", fmt.Sprintf("%v\n\nThis is likely a bug in the provider: please report it.", err))
}

// providerDataOf extracts the provider's data in a resource's or data source's Configure: nil
// before the provider is configured (during validation), and a type mismatch is a bug.
func providerDataOf(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected Provider Data Type",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider: please report it.", data))
		return nil
	}
	return pd
}
