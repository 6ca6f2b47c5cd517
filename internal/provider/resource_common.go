package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// backendOf is a resource's Configure: it takes the provider's backend, or reports a bug.
func backendOf(req resource.ConfigureRequest, resp *resource.ConfigureResponse) backend.Backend {
	pd := providerDataOf(req.ProviderData, &resp.Diagnostics)
	if pd == nil {
		return nil
	}
	return pd.Backend
}

// requireBackend reports the (buggy) case of a CRUD call on an unconfigured resource.
func requireBackend(b backend.Backend, diags *diag.Diagnostics) bool {
	if b == nil {
		diags.AddError("Provider Not Configured",
			"The resource was used before the provider was configured. This is a bug in the provider: please report it.")
		return false
	}
	return true
}

// addBackendError reports a backend failure of operation op on what.
func addBackendError(diags *diag.Diagnostics, op, what string, err error) {
	summary := fmt.Sprintf("Cannot %s %s", op, what)
	fix := ""
	switch {
	case errors.Is(err, backend.ErrAlreadyExists):
		fix = "\n\nFix: choose another name, or import the existing one with an import block or `terraform import`."
	case errors.Is(err, backend.ErrBucketNotEmpty):
		fix = "\n\nFix: empty the bucket first, or set force_destroy = true and apply before destroying."
	case errors.Is(err, backend.ErrConflict):
		fix = "\n\nFix: another process changed the same object at the same time; run the command again."
	case errors.Is(err, backend.ErrAccessDenied):
		fix = "\n\nFix: grant the missing permission in the bucket, key or role policy named above."
	}
	diags.AddError(summary, err.Error()+fix)
}

// addUnsupported reports that the configured backend lacks a capability (a
// backend.UnsupportedError says which, and what to do instead).
func addUnsupported(diags *diag.Diagnostics, err error) {
	summary := "Not Supported By The Backend"
	var ue *backend.UnsupportedError
	if errors.As(err, &ue) {
		c := string(ue.Capability)
		summary = strings.ToUpper(c[:1]) + c[1:] + " Not Supported"
	}
	diags.AddError(summary, err.Error())
}

// stringOrUnknown converts a Terraform string to the domain: "" for null, pipeline.Unknown for
// a value known only after apply.
func stringOrUnknown(v types.String) string {
	if v.IsUnknown() {
		return pipeline.Unknown
	}
	return v.ValueString()
}

// stringsOf converts a known list or set of strings; ok is false when it or an element is
// unknown.
func stringsOf(v interface {
	IsNull() bool
	IsUnknown() bool
	Elements() []attr.Value
}) (out []string, ok bool) {
	if v.IsUnknown() {
		return nil, false
	}
	for _, e := range v.Elements() {
		s, isString := e.(types.String)
		if !isString || s.IsUnknown() {
			return nil, false
		}
		if !s.IsNull() {
			out = append(out, s.ValueString())
		}
	}
	return out, true
}

// nullableString is the Terraform value of a domain string: null when empty.
func nullableString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// setOfStrings is the Terraform set of ss, null when ss is empty.
func setOfStrings(ss []string) types.Set {
	if len(ss) == 0 {
		return types.SetNull(types.StringType)
	}
	elems := make([]attr.Value, len(ss))
	for i, s := range ss {
		elems[i] = types.StringValue(s)
	}
	return types.SetValueMust(types.StringType, elems)
}

// canonicalPolicy normalizes a policy document so that equivalent JSON never shows a diff.
func canonicalPolicy(doc string) (string, error) {
	if doc == "" {
		return "", nil
	}
	out, err := policy.Canonical(doc)
	if err != nil {
		return "", fmt.Errorf("the stored policy is not a valid policy document: %w", err)
	}
	return out, nil
}

// grantedRoles returns the roles a generated policy's statement sid grants (nil when the
// document is not valid or has no such statement).
func grantedRoles(doc, sid string) []string {
	d, err := policy.Parse(doc)
	if err != nil {
		return nil
	}
	return d.AWSPrincipalsOf(sid)
}

// keyFacts is what the rules need to know of a backend key.
func keyFacts(k *backend.Key) *pipeline.Key {
	return &pipeline.Key{
		ARN: k.ARN, AccountID: k.AccountID, CustomerManaged: k.CustomerManaged,
		RotationEnabled: k.RotationEnabled, Policy: k.Policy,
	}
}

// domainModel is a resource model that can be set from what the backend holds.
type domainModel[T any] interface {
	fromDomain(T) error
}

// setFromDomain records v in the state through the model m; what names v's policy document in
// the error when the backend holds one that does not parse.
func setFromDomain[T any](ctx context.Context, m domainModel[T], v T, set func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics, what string) {
	if err := m.fromDomain(v); err != nil {
		diags.AddError("Unreadable "+what, err.Error())
		return
	}
	diags.Append(set(ctx, m)...)
}
