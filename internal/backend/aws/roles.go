package aws

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// Roles. IAM reads and changes the roles of the caller's own account only: a role of another
// account, named by its ARN, is refused as AccessDenied (and left out of the facts).

// roleName is the name of a role of this account named by name or ARN.
func (b *Backend) roleName(nameOrARN string) (string, error) {
	if !strings.HasPrefix(nameOrARN, "arn:") {
		return nameOrARN, nil
	}
	a, err := arn.Parse(nameOrARN)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return "", fmt.Errorf("%q is not a role ARN: %w", nameOrARN, backend.ErrInvalid)
	}
	if a.AccountID != b.id.AccountID {
		return "", &backend.AccessDeniedError{Principal: b.caller, Action: "iam:GetRole", Resource: nameOrARN,
			Reason: fmt.Sprintf("AccessDenied: %s is not allowed iam:GetRole on %s: IAM lets an account read its own roles only (run `codepipeline check` with account %s's credentials)",
				b.caller, nameOrARN, a.AccountID)}
	}
	return a.Resource[strings.LastIndex(a.Resource, "/")+1:], nil
}

// decodeDoc undoes the URL encoding IAM gives its policy documents.
func decodeDoc(s *string) string {
	v := awssdk.ToString(s)
	if d, err := url.QueryUnescape(v); err == nil {
		return d
	}
	return v
}

func iamTags(m map[string]string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, iamtypes.Tag{Key: awssdk.String(k), Value: awssdk.String(m[k])})
	}
	return out
}

// CreateRole creates the role with its trust policy and inline policies; a policy refused
// deletes the role again.
func (b *Backend) CreateRole(ctx context.Context, r backend.Role) (*backend.Role, error) {
	input := &iam.CreateRoleInput{RoleName: awssdk.String(r.Name), AssumeRolePolicyDocument: awssdk.String(r.TrustPolicy),
		Path: optional(r.Path), Description: optional(r.Description), Tags: iamTags(r.Tags)}
	if r.MaxSessionDuration > 0 {
		input.MaxSessionDuration = awssdk.Int32(int32(r.MaxSessionDuration)) //nolint:gosec // IAM checks 3600–43200
	}
	// A trust policy naming a role just created elsewhere is "Invalid principal" for a while.
	err := retryIAM(ctx, func(err error) bool {
		return codeOf(err) == "MalformedPolicyDocument" && strings.Contains(strings.ToLower(messageOf(err)), "principal")
	}, func() error {
		_, err := b.clients.iam.CreateRole(ctx, input)
		return err
	})
	if err != nil {
		return nil, wrap("iam:CreateRole", backend.KindRole, r.Name, err)
	}
	for _, name := range sortedKeys(r.Policies) {
		if err := b.PutRolePolicy(ctx, r.Name, name, r.Policies[name]); err != nil {
			_ = b.DeleteRole(context.WithoutCancel(ctx), r.Name)
			return nil, err
		}
	}
	return b.GetRole(ctx, r.Name)
}

// GetRole reads the role, its inline policies (in full), tags and attached managed policies.
func (b *Backend) GetRole(ctx context.Context, nameOrARN string) (*backend.Role, error) {
	name, err := b.roleName(nameOrARN)
	if err != nil {
		return nil, err
	}
	c := b.clients.iam
	got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: awssdk.String(name)})
	if err != nil {
		return nil, wrap("iam:GetRole", backend.KindRole, name, err)
	}
	r := got.Role
	out := &backend.Role{Name: name, ARN: awssdk.ToString(r.Arn), AccountID: b.id.AccountID, TrustPolicy: decodeDoc(r.AssumeRolePolicyDocument),
		ID: awssdk.ToString(r.RoleId), Path: awssdk.ToString(r.Path), Description: awssdk.ToString(r.Description),
		MaxSessionDuration: int(awssdk.ToInt32(r.MaxSessionDuration)), Created: awssdk.ToTime(r.CreateDate).UTC()}
	if out.Path == "/" {
		out.Path = ""
	}
	if out.MaxSessionDuration == 3600 {
		out.MaxSessionDuration = 0
	}
	for _, t := range r.Tags {
		if out.Tags == nil {
			out.Tags = map[string]string{}
		}
		out.Tags[awssdk.ToString(t.Key)] = awssdk.ToString(t.Value)
	}
	names := iam.NewListRolePoliciesPaginator(c, &iam.ListRolePoliciesInput{RoleName: awssdk.String(name)})
	for names.HasMorePages() {
		page, err := names.NextPage(ctx)
		if err != nil {
			return nil, wrap("iam:ListRolePolicies", backend.KindRole, name, err)
		}
		for _, pn := range page.PolicyNames {
			doc, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: awssdk.String(name), PolicyName: awssdk.String(pn)})
			if err != nil {
				return nil, wrap("iam:GetRolePolicy", backend.KindPolicy, name+"/"+pn, err)
			}
			if out.Policies == nil {
				out.Policies = map[string]string{}
			}
			out.Policies[pn] = decodeDoc(doc.PolicyDocument)
		}
	}
	attached := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: awssdk.String(name)})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if err != nil {
			return nil, wrap("iam:ListAttachedRolePolicies", backend.KindRole, name, err)
		}
		for _, p := range page.AttachedPolicies {
			out.ManagedPolicies = append(out.ManagedPolicies, awssdk.ToString(p.PolicyArn))
		}
	}
	sort.Strings(out.ManagedPolicies)
	return out, nil
}

// UpdateRole sets the trust policy and makes the inline policies r's: changed ones put,
// missing ones deleted.
func (b *Backend) UpdateRole(ctx context.Context, r backend.Role) (*backend.Role, error) {
	cur, err := b.GetRole(ctx, r.Name)
	if err != nil {
		return nil, err
	}
	if !samePolicy(cur.TrustPolicy, r.TrustPolicy) {
		if err := b.UpdateAssumeRolePolicy(ctx, r.Name, r.TrustPolicy); err != nil {
			return nil, err
		}
	}
	for _, name := range sortedKeys(r.Policies) {
		if !samePolicy(cur.Policies[name], r.Policies[name]) {
			if err := b.PutRolePolicy(ctx, r.Name, name, r.Policies[name]); err != nil {
				return nil, err
			}
		}
	}
	for _, name := range sortedKeys(cur.Policies) {
		if _, keep := r.Policies[name]; !keep {
			if err := b.DeleteRolePolicy(ctx, r.Name, name); err != nil {
				return nil, err
			}
		}
	}
	return b.GetRole(ctx, r.Name)
}

// UpdateAssumeRolePolicy replaces the trust policy.
func (b *Backend) UpdateAssumeRolePolicy(ctx context.Context, roleName, trustPolicy string) error {
	_, err := b.clients.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: awssdk.String(roleName), PolicyDocument: awssdk.String(trustPolicy)})
	return wrap("iam:UpdateAssumeRolePolicy", backend.KindRole, roleName, err)
}

// PutRolePolicy adds or replaces an inline policy.
func (b *Backend) PutRolePolicy(ctx context.Context, roleName, policyName, doc string) error {
	_, err := b.clients.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: awssdk.String(roleName), PolicyName: awssdk.String(policyName), PolicyDocument: awssdk.String(doc)})
	return wrap("iam:PutRolePolicy", backend.KindRole, roleName, err)
}

// DeleteRolePolicy deletes an inline policy.
func (b *Backend) DeleteRolePolicy(ctx context.Context, roleName, policyName string) error {
	_, err := b.clients.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: awssdk.String(roleName), PolicyName: awssdk.String(policyName)})
	return wrap("iam:DeleteRolePolicy", backend.KindPolicy, roleName+"/"+policyName, err)
}

// TagRole adds or replaces tags.
func (b *Backend) TagRole(ctx context.Context, roleName string, tags map[string]string) error {
	_, err := b.clients.iam.TagRole(ctx, &iam.TagRoleInput{RoleName: awssdk.String(roleName), Tags: iamTags(tags)})
	return wrap("iam:TagRole", backend.KindRole, roleName, err)
}

// UntagRole removes the named tags.
func (b *Backend) UntagRole(ctx context.Context, roleName string, tagKeys []string) error {
	_, err := b.clients.iam.UntagRole(ctx, &iam.UntagRoleInput{RoleName: awssdk.String(roleName), TagKeys: tagKeys})
	return wrap("iam:UntagRole", backend.KindRole, roleName, err)
}

// DeleteRole deletes the role after its inline policies and attachments (IAM refuses a role
// that has them).
func (b *Backend) DeleteRole(ctx context.Context, name string) error {
	cur, err := b.GetRole(ctx, name)
	if err != nil {
		return err
	}
	for _, pn := range sortedKeys(cur.Policies) {
		if err := b.DeleteRolePolicy(ctx, name, pn); err != nil {
			return err
		}
	}
	for _, p := range cur.ManagedPolicies {
		if err := b.DetachRolePolicy(ctx, name, p); err != nil {
			return err
		}
	}
	_, err = b.clients.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: awssdk.String(name)})
	return wrap("iam:DeleteRole", backend.KindRole, name, err)
}

// CreatePolicy creates a customer-managed policy.
func (b *Backend) CreatePolicy(ctx context.Context, p backend.ManagedPolicy) (*backend.ManagedPolicy, error) {
	out, err := b.clients.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: awssdk.String(p.Name), PolicyDocument: awssdk.String(p.Document),
		Path: optional(p.Path), Description: optional(p.Description), Tags: iamTags(p.Tags)})
	if err != nil {
		return nil, wrap("iam:CreatePolicy", backend.KindPolicy, p.Name, err)
	}
	return b.GetPolicy(ctx, awssdk.ToString(out.Policy.Arn))
}

// GetPolicy reads a managed policy and its default version's document.
func (b *Backend) GetPolicy(ctx context.Context, policyARN string) (*backend.ManagedPolicy, error) {
	got, err := b.clients.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: awssdk.String(policyARN)})
	if err != nil {
		return nil, wrap("iam:GetPolicy", backend.KindPolicy, policyARN, err)
	}
	p := got.Policy
	out := &backend.ManagedPolicy{Name: awssdk.ToString(p.PolicyName), ARN: awssdk.ToString(p.Arn), ID: awssdk.ToString(p.PolicyId),
		Path: awssdk.ToString(p.Path), Description: awssdk.ToString(p.Description), AttachmentCount: int(awssdk.ToInt32(p.AttachmentCount)),
		Created: awssdk.ToTime(p.CreateDate).UTC(), Updated: awssdk.ToTime(p.UpdateDate).UTC()}
	if a, err := arn.Parse(out.ARN); err == nil {
		out.AccountID = a.AccountID
	}
	if out.Path == "/" {
		out.Path = ""
	}
	for _, t := range p.Tags {
		if out.Tags == nil {
			out.Tags = map[string]string{}
		}
		out.Tags[awssdk.ToString(t.Key)] = awssdk.ToString(t.Value)
	}
	v, err := b.clients.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: p.Arn, VersionId: p.DefaultVersionId})
	if err != nil {
		return nil, wrap("iam:GetPolicyVersion", backend.KindPolicy, policyARN, err)
	}
	out.Document = decodeDoc(v.PolicyVersion.Document)
	return out, nil
}

// DeletePolicy deletes a managed policy; an attached one is refused (ErrConflict).
func (b *Backend) DeletePolicy(ctx context.Context, policyARN string) error {
	_, err := b.clients.iam.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: awssdk.String(policyARN)})
	return wrap("iam:DeletePolicy", backend.KindPolicy, policyARN, err)
}

// AttachRolePolicy attaches a managed policy to a role.
func (b *Backend) AttachRolePolicy(ctx context.Context, roleName, policyARN string) error {
	_, err := b.clients.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: awssdk.String(roleName), PolicyArn: awssdk.String(policyARN)})
	return wrap("iam:AttachRolePolicy", backend.KindRole, roleName, err)
}

// DetachRolePolicy detaches it.
func (b *Backend) DetachRolePolicy(ctx context.Context, roleName, policyARN string) error {
	_, err := b.clients.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: awssdk.String(roleName), PolicyArn: awssdk.String(policyARN)})
	return wrap("iam:DetachRolePolicy", backend.KindRole, roleName, err)
}
