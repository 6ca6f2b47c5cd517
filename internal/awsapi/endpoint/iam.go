package endpoint

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// IAM (query): roles, their inline and attached policies, tags, and customer-managed
// policies, over backend.Roles. Roles live in the signer's account; a role's ARN does not
// carry its path (the local cloud names roles by account and name).

func registerIAM(e *Endpoint) {
	for op, h := range map[string]awsapi.Handler{
		"CreateRole":                  awsapi.Handle(e.createRole),
		"GetRole":                     awsapi.Handle(e.getRole),
		"DeleteRole":                  awsapi.Handle(e.deleteRole),
		"UpdateAssumeRolePolicy":      awsapi.Handle(e.updateAssumeRolePolicy),
		"PutRolePolicy":               awsapi.Handle(e.putRolePolicy),
		"GetRolePolicy":               awsapi.Handle(e.getRolePolicy),
		"ListRolePolicies":            awsapi.Handle(e.listRolePolicies),
		"DeleteRolePolicy":            awsapi.Handle(e.deleteRolePolicy),
		"AttachRolePolicy":            awsapi.Handle(e.attachRolePolicy),
		"DetachRolePolicy":            awsapi.Handle(e.detachRolePolicy),
		"ListAttachedRolePolicies":    awsapi.Handle(e.listAttachedRolePolicies),
		"TagRole":                     awsapi.Handle(e.tagRole),
		"UntagRole":                   awsapi.Handle(e.untagRole),
		"ListRoleTags":                awsapi.Handle(e.listRoleTags),
		"ListInstanceProfilesForRole": awsapi.Handle(e.listInstanceProfilesForRole),
		"CreatePolicy":                awsapi.Handle(e.createPolicy),
		"GetPolicy":                   awsapi.Handle(e.getPolicy),
		"DeletePolicy":                awsapi.Handle(e.deletePolicy),
		"GetPolicyVersion":            awsapi.Handle(e.getPolicyVersion),
	} {
		e.Register("iam", op, h)
	}
}

// iamError answers a backend error in IAM's words.
func (e *Endpoint) iamError(req *awsapi.Request, err error) error {
	switch {
	case errors.Is(err, backend.ErrAlreadyExists):
		return wire.NewError(409, "EntityAlreadyExists", "%s", err.Error())
	case errors.Is(err, backend.ErrConflict):
		return wire.NewError(409, "DeleteConflict", "%s", err.Error())
	case errors.Is(err, backend.ErrInvalid) && strings.Contains(err.Error(), "polic"):
		return wire.NewError(400, "MalformedPolicyDocument", "%s", err.Error())
	case errors.Is(err, backend.ErrInvalid):
		return wire.NewError(400, "ValidationError", "%s", err.Error())
	}
	return e.serviceError(req, err, func(nf *backend.NotFound) *wire.Error {
		switch nf.Kind {
		case backend.KindRole:
			return wire.NewError(404, "NoSuchEntity", "The role with name %s cannot be found.", strings.TrimPrefix(nf.Name[strings.LastIndex(nf.Name, ":")+1:], "role/"))
		case backend.KindPolicy:
			return wire.NewError(404, "NoSuchEntity", "Policy %s was not found.", nf.Name)
		}
		return nil
	})
}

// iamDocument is a policy document as IAM returns it: URL-encoded JSON (spaces as %20, so
// that a plain percent-decoding, as botocore does, gives the document back).
func iamDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

type iamTag struct{ Key, Value string }

func iamTags(m map[string]string) []iamTag {
	out := make([]iamTag, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, iamTag{k, m[k]})
	}
	return out
}

func iamTagMap(tags []iamTag) (map[string]string, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, t := range tags {
		if _, dup := out[t.Key]; dup {
			return nil, wire.NewError(400, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		out[t.Key] = t.Value
	}
	return out, nil
}

type iamRole struct {
	Path                     string
	RoleName                 string
	RoleId                   string //nolint:revive // the API's member name
	Arn                      string
	CreateDate               wire.ISO8601
	AssumeRolePolicyDocument string   `xml:",omitempty"`
	Description              string   `xml:",omitempty"`
	MaxSessionDuration       int      `xml:",omitempty"`
	Tags                     []iamTag `xml:"Tags>member,omitempty"`
}

func roleOf(r *backend.Role) iamRole {
	return iamRole{Path: orDefault(r.Path, "/"), RoleName: r.Name, RoleId: r.ID, Arn: r.ARN, CreateDate: wire.ISO8601(r.Created),
		AssumeRolePolicyDocument: iamDocument(r.TrustPolicy), Description: r.Description, MaxSessionDuration: r.MaxSessionDuration, Tags: iamTags(r.Tags)}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// role finds a role of the signer's account by name and decides action on it.
func (e *Endpoint) role(ctx context.Context, req *awsapi.Request, name, action string) (*backend.Role, error) {
	if name == "" {
		return nil, wire.MissingParameter(req.Service, "RoleName")
	}
	if err := e.authorize(ctx, req, action, partition(req).Role(req.Principal.Account, name)); err != nil {
		return nil, err
	}
	r, err := e.account(req).GetRole(ctx, name)
	if err != nil {
		return nil, e.iamError(req, err)
	}
	return r, nil
}

type createRoleInput struct {
	RoleName, AssumeRolePolicyDocument, Path, Description, PermissionsBoundary string
	MaxSessionDuration                                                         int
	Tags                                                                       []iamTag
}

type roleOutput struct {
	Role iamRole
}

func (e *Endpoint) createRole(ctx context.Context, req *awsapi.Request, in *createRoleInput) (*roleOutput, error) {
	switch {
	case in.RoleName == "":
		return nil, wire.MissingParameter(req.Service, "RoleName")
	case in.AssumeRolePolicyDocument == "":
		return nil, wire.MissingParameter(req.Service, "AssumeRolePolicyDocument")
	case in.PermissionsBoundary != "":
		return nil, wire.NewError(400, "InvalidInput", "permissions boundaries are not supported by the local cloud")
	}
	tags, err := iamTagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, req, "iam:CreateRole", partition(req).Role(req.Principal.Account, in.RoleName)); err != nil {
		return nil, err
	}
	r, err := e.account(req).CreateRole(ctx, backend.Role{Name: in.RoleName, TrustPolicy: in.AssumeRolePolicyDocument, Path: in.Path,
		Description: in.Description, MaxSessionDuration: in.MaxSessionDuration, Tags: tags})
	if errors.Is(err, backend.ErrAlreadyExists) {
		return nil, wire.NewError(409, "EntityAlreadyExists", "Role with name %s already exists.", in.RoleName)
	}
	if err != nil {
		return nil, e.iamError(req, err)
	}
	return &roleOutput{Role: roleOf(r)}, nil
}

type roleNameInput struct {
	RoleName string
	Marker   string
	MaxItems int
}

func (e *Endpoint) getRole(ctx context.Context, req *awsapi.Request, in *roleNameInput) (*roleOutput, error) {
	r, err := e.role(ctx, req, in.RoleName, "iam:GetRole")
	if err != nil {
		return nil, err
	}
	return &roleOutput{Role: roleOf(r)}, nil
}

// deleteRole refuses a role that still has policies, as IAM does.
func (e *Endpoint) deleteRole(ctx context.Context, req *awsapi.Request, in *roleNameInput) (*struct{}, error) {
	r, err := e.role(ctx, req, in.RoleName, "iam:DeleteRole")
	if err != nil {
		return nil, err
	}
	switch {
	case len(r.Policies) > 0:
		return nil, wire.NewError(409, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	case len(r.ManagedPolicies) > 0:
		return nil, wire.NewError(409, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	}
	if err := e.account(req).DeleteRole(ctx, r.Name); err != nil {
		return nil, e.iamError(req, err)
	}
	return nil, nil
}

type rolePolicyInput struct {
	RoleName, PolicyName, PolicyDocument, PolicyArn string
}

func (e *Endpoint) updateAssumeRolePolicy(ctx context.Context, req *awsapi.Request, in *rolePolicyInput) (*struct{}, error) {
	if in.PolicyDocument == "" {
		return nil, wire.MissingParameter(req.Service, "PolicyDocument")
	}
	r, err := e.role(ctx, req, in.RoleName, "iam:UpdateAssumeRolePolicy")
	if err != nil {
		return nil, err
	}
	if err := e.account(req).UpdateAssumeRolePolicy(ctx, r.Name, in.PolicyDocument); err != nil {
		return nil, e.iamError(req, err)
	}
	return nil, nil
}

func (e *Endpoint) putRolePolicy(ctx context.Context, req *awsapi.Request, in *rolePolicyInput) (*struct{}, error) {
	switch {
	case in.PolicyName == "":
		return nil, wire.MissingParameter(req.Service, "PolicyName")
	case in.PolicyDocument == "":
		return nil, wire.MissingParameter(req.Service, "PolicyDocument")
	}
	r, err := e.role(ctx, req, in.RoleName, "iam:PutRolePolicy")
	if err != nil {
		return nil, err
	}
	if err := e.account(req).PutRolePolicy(ctx, r.Name, in.PolicyName, in.PolicyDocument); err != nil {
		return nil, e.iamError(req, err)
	}
	return nil, nil
}

type getRolePolicyOutput struct {
	RoleName, PolicyName, PolicyDocument string
}

func (e *Endpoint) getRolePolicy(ctx context.Context, req *awsapi.Request, in *rolePolicyInput) (*getRolePolicyOutput, error) {
	r, err := e.role(ctx, req, in.RoleName, "iam:GetRolePolicy")
	if err != nil {
		return nil, err
	}
	doc, ok := r.Policies[in.PolicyName]
	if !ok {
		return nil, wire.NewError(404, "NoSuchEntity", "The role policy with name %s cannot be found.", in.PolicyName)
	}
	return &getRolePolicyOutput{RoleName: r.Name, PolicyName: in.PolicyName, PolicyDocument: iamDocument(doc)}, nil
}

// iamPage is the page of n items after an IAM Marker, and the marker of the next.
func iamPage(req *awsapi.Request, marker string, maxItems, n int) (from, to int, next string, err error) {
	from, to, next, err = pageOf(req, pageInput{Limit: min(maxItems, 1000), Marker: marker}, n)
	if err != nil {
		return 0, 0, "", wire.NewError(400, "InvalidInput", "Invalid Marker.")
	}
	return from, to, next, nil
}

type listRolePoliciesOutput struct {
	PolicyNames []string `xml:"PolicyNames>member"`
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

func (e *Endpoint) listRolePolicies(ctx context.Context, req *awsapi.Request, in *roleNameInput) (*listRolePoliciesOutput, error) {
	r, err := e.role(ctx, req, in.RoleName, "iam:ListRolePolicies")
	if err != nil {
		return nil, err
	}
	names := sortedKeys(r.Policies)
	from, to, next, err := iamPage(req, in.Marker, in.MaxItems, len(names))
	if err != nil {
		return nil, err
	}
	return &listRolePoliciesOutput{PolicyNames: names[from:to], IsTruncated: next != "", Marker: next}, nil
}

func (e *Endpoint) deleteRolePolicy(ctx context.Context, req *awsapi.Request, in *rolePolicyInput) (*struct{}, error) {
	r, err := e.role(ctx, req, in.RoleName, "iam:DeleteRolePolicy")
	if err != nil {
		return nil, err
	}
	if err := e.account(req).DeleteRolePolicy(ctx, r.Name, in.PolicyName); err != nil {
		var nf *backend.NotFound
		if errors.As(err, &nf) && nf.Kind == backend.KindPolicy {
			return nil, wire.NewError(404, "NoSuchEntity", "The role policy with name %s cannot be found.", in.PolicyName)
		}
		return nil, e.iamError(req, err)
	}
	return nil, nil
}

func (e *Endpoint) attachRolePolicy(ctx context.Context, req *awsapi.Request, in *rolePolicyInput) (*struct{}, error) {
	if in.PolicyArn == "" {
		return nil, wire.MissingParameter(req.Service, "PolicyArn")
	}
	r, err := e.role(ctx, req, in.RoleName, "iam:AttachRolePolicy")
	if err != nil {
		return nil, err
	}
	if err := e.account(req).AttachRolePolicy(ctx, r.Name, in.PolicyArn); err != nil {
		if errors.Is(err, backend.ErrNotFound) {
			return nil, wire.NewError(404, "NoSuchEntity", "Policy %s does not exist or is not attachable.", in.PolicyArn)
		}
		return nil, e.iamError(req, err)
	}
	return nil, nil
}

func (e *Endpoint) detachRolePolicy(ctx context.Context, req *awsapi.Request, in *rolePolicyInput) (*struct{}, error) {
	r, err := e.role(ctx, req, in.RoleName, "iam:DetachRolePolicy")
	if err != nil {
		return nil, err
	}
	if err := e.account(req).DetachRolePolicy(ctx, r.Name, in.PolicyArn); err != nil {
		if errors.Is(err, backend.ErrNotFound) {
			return nil, wire.NewError(404, "NoSuchEntity", "Policy %s was not found.", in.PolicyArn)
		}
		return nil, e.iamError(req, err)
	}
	return nil, nil
}

type attachedPolicy struct {
	PolicyName, PolicyArn string
}

type listAttachedRolePoliciesOutput struct {
	AttachedPolicies []attachedPolicy `xml:"AttachedPolicies>member"`
	IsTruncated      bool
	Marker           string `xml:",omitempty"`
}

func (e *Endpoint) listAttachedRolePolicies(ctx context.Context, req *awsapi.Request, in *roleNameInput) (*listAttachedRolePoliciesOutput, error) {
	r, err := e.role(ctx, req, in.RoleName, "iam:ListAttachedRolePolicies")
	if err != nil {
		return nil, err
	}
	from, to, next, err := iamPage(req, in.Marker, in.MaxItems, len(r.ManagedPolicies))
	if err != nil {
		return nil, err
	}
	out := &listAttachedRolePoliciesOutput{AttachedPolicies: []attachedPolicy{}, IsTruncated: next != "", Marker: next}
	for _, a := range r.ManagedPolicies[from:to] {
		name := a[strings.LastIndex(a, "/")+1:]
		out.AttachedPolicies = append(out.AttachedPolicies, attachedPolicy{PolicyName: name, PolicyArn: a})
	}
	return out, nil
}

type tagRoleInput struct {
	RoleName string
	Tags     []iamTag
	TagKeys  []string
}

func (e *Endpoint) tagRole(ctx context.Context, req *awsapi.Request, in *tagRoleInput) (*struct{}, error) {
	tags, err := iamTagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	r, err := e.role(ctx, req, in.RoleName, "iam:TagRole")
	if err != nil {
		return nil, err
	}
	if err := e.account(req).TagRole(ctx, r.Name, tags); err != nil {
		return nil, e.iamError(req, err)
	}
	return nil, nil
}

func (e *Endpoint) untagRole(ctx context.Context, req *awsapi.Request, in *tagRoleInput) (*struct{}, error) {
	r, err := e.role(ctx, req, in.RoleName, "iam:UntagRole")
	if err != nil {
		return nil, err
	}
	if err := e.account(req).UntagRole(ctx, r.Name, in.TagKeys); err != nil {
		return nil, e.iamError(req, err)
	}
	return nil, nil
}

type listRoleTagsOutput struct {
	Tags        []iamTag `xml:"Tags>member"`
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

func (e *Endpoint) listRoleTags(ctx context.Context, req *awsapi.Request, in *roleNameInput) (*listRoleTagsOutput, error) {
	r, err := e.role(ctx, req, in.RoleName, "iam:ListRoleTags")
	if err != nil {
		return nil, err
	}
	tags := iamTags(r.Tags)
	from, to, next, err := iamPage(req, in.Marker, in.MaxItems, len(tags))
	if err != nil {
		return nil, err
	}
	return &listRoleTagsOutput{Tags: tags[from:to], IsTruncated: next != "", Marker: next}, nil
}

type listInstanceProfilesOutput struct {
	InstanceProfiles []struct{} `xml:"InstanceProfiles>member"`
	IsTruncated      bool
}

// listInstanceProfilesForRole: the local cloud has no instance profiles.
func (e *Endpoint) listInstanceProfilesForRole(ctx context.Context, req *awsapi.Request, in *roleNameInput) (*listInstanceProfilesOutput, error) {
	if _, err := e.role(ctx, req, in.RoleName, "iam:ListInstanceProfilesForRole"); err != nil {
		return nil, err
	}
	return &listInstanceProfilesOutput{InstanceProfiles: []struct{}{}}, nil
}

// ---- managed policies ----

type iamPolicy struct {
	PolicyName                    string
	PolicyId                      string //nolint:revive // the API's member name
	Arn                           string
	Path                          string
	DefaultVersionId              string //nolint:revive // the API's member name
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	IsAttachable                  bool
	Description                   string `xml:",omitempty"`
	CreateDate                    wire.ISO8601
	UpdateDate                    wire.ISO8601
	Tags                          []iamTag `xml:"Tags>member,omitempty"`
}

func policyOf(p *backend.ManagedPolicy) iamPolicy {
	return iamPolicy{PolicyName: p.Name, PolicyId: p.ID, Arn: p.ARN, Path: orDefault(p.Path, "/"), DefaultVersionId: "v1",
		AttachmentCount: p.AttachmentCount, IsAttachable: true, Description: p.Description,
		CreateDate: wire.ISO8601(p.Created), UpdateDate: wire.ISO8601(p.Updated), Tags: iamTags(p.Tags)}
}

type createPolicyInput struct {
	PolicyName, PolicyDocument, Path, Description string
	Tags                                          []iamTag
}

type policyOutput struct {
	Policy iamPolicy
}

func (e *Endpoint) createPolicy(ctx context.Context, req *awsapi.Request, in *createPolicyInput) (*policyOutput, error) {
	switch {
	case in.PolicyName == "":
		return nil, wire.MissingParameter(req.Service, "PolicyName")
	case in.PolicyDocument == "":
		return nil, wire.MissingParameter(req.Service, "PolicyDocument")
	}
	tags, err := iamTagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	arn := "arn:" + string(partition(req)) + ":iam::" + req.Principal.Account + ":policy" + orDefault(in.Path, "/") + in.PolicyName
	if err := e.authorize(ctx, req, "iam:CreatePolicy", arn); err != nil {
		return nil, err
	}
	p, err := e.account(req).CreatePolicy(ctx, backend.ManagedPolicy{Name: in.PolicyName, Document: in.PolicyDocument, Path: in.Path,
		Description: in.Description, Tags: tags})
	if errors.Is(err, backend.ErrAlreadyExists) {
		return nil, wire.NewError(409, "EntityAlreadyExists", "A policy called %s already exists. Duplicate names are not allowed.", in.PolicyName)
	}
	if err != nil {
		return nil, e.iamError(req, err)
	}
	return &policyOutput{Policy: policyOf(p)}, nil
}

type policyARNInput struct {
	PolicyArn, VersionId string //nolint:revive // the API's member names
}

func (e *Endpoint) managedPolicy(ctx context.Context, req *awsapi.Request, policyARN, action string) (*backend.ManagedPolicy, error) {
	if policyARN == "" {
		return nil, wire.MissingParameter(req.Service, "PolicyArn")
	}
	if err := e.authorize(ctx, req, action, policyARN); err != nil {
		return nil, err
	}
	p, err := e.account(req).GetPolicy(ctx, policyARN)
	if err != nil {
		return nil, e.iamError(req, err)
	}
	return p, nil
}

func (e *Endpoint) getPolicy(ctx context.Context, req *awsapi.Request, in *policyARNInput) (*policyOutput, error) {
	p, err := e.managedPolicy(ctx, req, in.PolicyArn, "iam:GetPolicy")
	if err != nil {
		return nil, err
	}
	return &policyOutput{Policy: policyOf(p)}, nil
}

func (e *Endpoint) deletePolicy(ctx context.Context, req *awsapi.Request, in *policyARNInput) (*struct{}, error) {
	p, err := e.managedPolicy(ctx, req, in.PolicyArn, "iam:DeletePolicy")
	if err != nil {
		return nil, err
	}
	if p.AttachmentCount > 0 {
		return nil, wire.NewError(409, "DeleteConflict", "Cannot delete a policy attached to entities.")
	}
	if err := e.account(req).DeletePolicy(ctx, p.ARN); err != nil {
		return nil, e.iamError(req, err)
	}
	return nil, nil
}

type policyVersion struct {
	Document         string
	VersionId        string //nolint:revive // the API's member name
	IsDefaultVersion bool
	CreateDate       wire.ISO8601
}

type policyVersionOutput struct {
	PolicyVersion policyVersion
}

func (e *Endpoint) getPolicyVersion(ctx context.Context, req *awsapi.Request, in *policyARNInput) (*policyVersionOutput, error) {
	p, err := e.managedPolicy(ctx, req, in.PolicyArn, "iam:GetPolicyVersion")
	if err != nil {
		return nil, err
	}
	if in.VersionId != "v1" {
		return nil, wire.NewError(404, "NoSuchEntity", "Policy %s version %s does not exist or is not attachable.", p.ARN, in.VersionId)
	}
	return &policyVersionOutput{PolicyVersion: policyVersion{Document: iamDocument(p.Document), VersionId: "v1", IsDefaultVersion: true, CreateDate: wire.ISO8601(p.Created)}}, nil
}
