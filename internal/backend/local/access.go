package local

import (
	"context"
	"fmt"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// AccessDeniedError is a refused request (backend.AccessDeniedError): Reason is
// policy.Authorize's sentence, naming the principal, the action, the resource and the side
// (identity policy, bucket policy, key policy) whose statement is missing or denies.
type AccessDeniedError = backend.AccessDeniedError

// accessRequest is one access to decide.
type accessRequest struct {
	principal       string
	action          string
	resource        string // ARN
	resourceKind    string // "bucket policy", "key policy"
	resourcePolicy  string // JSON, "" for none
	resourceAccount string
	context         map[string]string
}

// requestContext is the condition context of every local request: calls reach the local cloud
// in-process, which stands for TLS (so the generated DenyInsecureTransport statement does not
// fire), and every object is stored SSE-KMS.
func requestContext(extra map[string]string) map[string]string {
	ctx := map[string]string{"aws:SecureTransport": "true"}
	for k, v := range extra {
		ctx[k] = v
	}
	return ctx
}

// serviceRolePolicy is what a principal of the resource's own account that is not in the roles
// table may do there. The local backend takes a pipeline's service role (role_arn) as a role of
// the pipeline's account with the permissions a CodePipeline service role has (the local
// backend guide, "Policies are evaluated", says so to users): Terraform users do
// not create that role through this provider, so a role ARN unknown to the local cloud, in the
// same account as the bucket or key it uses, is treated as such a service role with full S3 and
// KMS permissions in its own account. Resource policies still apply (an explicit deny wins).
// A role of another account gets no such benefit: it must exist, created through its account.
var serviceRolePolicy = &policy.Document{Version: policy.Version2012, Statement: []policy.Statement{{
	Sid: "LocalServiceRole", Effect: policy.EffectAllow, Action: []string{"s3:*", "kms:*"}, Resource: []string{"*"},
}}}

// rootPolicy stands for an account root's identity permissions: everything, subject to
// resource policies for cross-account access.
var rootPolicy = &policy.Document{Version: policy.Version2012, Statement: []policy.Statement{{
	Sid: "AccountRoot", Effect: policy.EffectAllow, Action: []string{"*"}, Resource: []string{"*"},
}}}

// identityPolicies returns the identity policies of principal for a request on a resource of
// resourceAccount.
func (c *Cloud) identityPolicies(ctx context.Context, q querier, principal, resourceAccount string) ([]*policy.Document, error) {
	switch {
	case isRootPrincipal(principal):
		return []*policy.Document{rootPolicy}, nil
	case isRoleARN(principal):
	default:
		return nil, fmt.Errorf("principal %q is neither a role ARN nor an account root ARN: %w", principal, backend.ErrInvalid)
	}
	r, err := c.roleByARN(ctx, q, principal)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if r == nil {
		if policy.AccountOf(principal) == resourceAccount {
			return []*policy.Document{serviceRolePolicy}, nil
		}
		return nil, nil // no such role: nothing allows it (the denial says which side is missing)
	}
	docs := make([]*policy.Document, 0, len(r.Policies)+len(r.ManagedPolicies))
	for _, name := range sortedKeys(r.Policies) {
		d, err := policy.Parse(r.Policies[name])
		if err != nil {
			return nil, fmt.Errorf("role %s: stored policy %q: %w", r.ARN, name, err)
		}
		docs = append(docs, d)
	}
	attached, err := c.attachedDocuments(ctx, q, r.ARN)
	if err != nil {
		return nil, err
	}
	return append(docs, attached...), nil
}

// keyPolicyKind names a KMS key's policy: requests on a key are decided as KMS decides them
// (policy.AuthorizeKey).
const keyPolicyKind = "key policy"

// authorize decides req with policy.Authorize over the principal's identity policies and the
// resource policy; a refusal is an *AccessDeniedError.
func (c *Cloud) authorize(ctx context.Context, q querier, req accessRequest) error {
	if req.principal == backend.AnonymousPrincipal {
		return c.authorizeAnonymous(req)
	}
	docs, err := c.identityPolicies(ctx, q, req.principal, req.resourceAccount)
	if err != nil {
		return err
	}
	var res *policy.Document
	if strings.TrimSpace(req.resourcePolicy) != "" {
		if res, err = policy.Parse(req.resourcePolicy); err != nil {
			return fmt.Errorf("%s of %s: %w", req.resourceKind, req.resource, err)
		}
	}
	preq := policy.Request{
		Principal: req.principal, Action: req.action, Resource: req.resource,
		Context: requestContext(req.context), ResourceKind: req.resourceKind,
	}
	result := policy.Authorize(preq, docs, res, req.resourceAccount)
	if req.resourceKind == keyPolicyKind {
		result = policy.AuthorizeKey(preq, docs, res, req.resourceAccount)
	}
	if result.Allowed {
		return nil
	}
	reason := result.Reason
	if docs == nil && isRoleARN(req.principal) && !isRootPrincipal(req.principal) {
		reason += fmt.Sprintf(" (role %s does not exist: a role of another account than the resource's must be created through its account)", req.principal)
	}
	return &AccessDeniedError{Principal: req.principal, Action: req.action, Resource: req.resource, Reason: reason}
}

// normalizePrincipal maps "" to the acting account's root and an STS session to its role.
func (a *Account) normalizePrincipal(principal string) string {
	if principal == "" {
		return a.partition().Root(a.id.AccountID)
	}
	return policy.RoleOfSession(principal)
}

func isRootPrincipal(p string) bool {
	parts := strings.SplitN(p, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[5] == "root" && policy.AccountOf(p) != ""
}

func isRoleARN(p string) bool {
	parts := strings.SplitN(p, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "iam" && strings.HasPrefix(parts[5], "role/") && policy.AccountOf(p) != ""
}

// authorizeAnonymous decides an unsigned request: it has no identity, so only the resource
// policy can allow it (a statement whose Principal is "*"), and an explicit deny still wins.
func (c *Cloud) authorizeAnonymous(req accessRequest) error {
	denied := func(why string) error {
		return &AccessDeniedError{Principal: req.principal, Action: req.action, Resource: req.resource,
			Reason: fmt.Sprintf("AccessDenied: %s is not allowed %s on %s: %s", req.principal, req.action, req.resource, why)}
	}
	if strings.TrimSpace(req.resourcePolicy) == "" {
		return denied("an anonymous request is allowed only by a resource policy, and there is none")
	}
	res, err := policy.Parse(req.resourcePolicy)
	if err != nil {
		return fmt.Errorf("%s of %s: %w", req.resourceKind, req.resource, err)
	}
	preq := policy.Request{Principal: req.principal, Action: req.action, Resource: req.resource, Context: requestContext(req.context)}
	switch res.EvaluateResource(preq) {
	case policy.Allow:
		return nil
	case policy.ExplicitDeny:
		return denied("an explicit deny in the " + req.resourceKind + " overrides any allow")
	}
	return denied("the " + req.resourceKind + " has no statement allowing an anonymous request")
}
