package aws

import (
	"fmt"
	"strings"
	"sync"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// principals are the clients of the principals object and KMS calls act as (backend.Objects:
// a role ARN, an account root ARN, an STS session ARN, "" or AnonymousPrincipal). A role is
// assumed with the backend's own credentials (its trust policy decides, as on AWS) and its
// session kept and refreshed by the SDK's credentials cache.
type principals struct {
	b    *Backend
	mu   sync.Mutex
	byID map[string]*clients
}

func newPrincipals(b *Backend) *principals {
	return &principals{b: b, byID: map[string]*clients{}}
}

// sessionName is the role session name of the sessions the backend opens for object calls.
const sessionName = "codepipeline-backend"

// of returns the clients acting as principal.
func (p *principals) of(principal string) (*clients, error) {
	b := p.b
	switch {
	case principal == "" || principal == b.root() || principal == b.caller:
		return b.clients, nil
	case principal == backend.AnonymousPrincipal:
		return p.cached(principal, func() awssdk.CredentialsProvider { return awssdk.AnonymousCredentials{} }), nil
	}
	a, err := arn.Parse(principal)
	if err != nil {
		return nil, fmt.Errorf("principal %q: not an ARN: %w", principal, backend.ErrInvalid)
	}
	role := ""
	switch {
	case a.Service == "iam" && strings.HasPrefix(a.Resource, "role/"):
		role = principal
	case a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/"):
		// A session acts as its role: a session of the backend's own opening.
		parts := strings.Split(a.Resource, "/")
		if len(parts) >= 2 {
			role = b.id.Partition().Role(a.AccountID, parts[1])
		}
	}
	if role == "" {
		return nil, &backend.AccessDeniedError{Principal: principal, Action: "sts:AssumeRole", Resource: principal,
			Reason: fmt.Sprintf("AccessDenied: %s is not allowed sts:AssumeRole on %s: the aws backend acts as %s, and as the roles it may assume; it has no credentials of %s",
				b.caller, principal, b.caller, principal)}
	}
	return p.cached(role, func() awssdk.CredentialsProvider {
		return awssdk.NewCredentialsCache(stscreds.NewAssumeRoleProvider(b.clients.sts, role, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = sessionName
		}))
	}), nil
}

func (p *principals) cached(id string, creds func() awssdk.CredentialsProvider) *clients {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.byID[id]; c != nil {
		return c
	}
	cfg := p.b.base.Copy()
	cfg.Credentials = creds()
	c := p.b.newClients(cfg)
	p.byID[id] = c
	return c
}
