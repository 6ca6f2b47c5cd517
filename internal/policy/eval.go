package policy

import (
	"strings"
)

// Request is one access to decide: who does what on which resource, in which context.
type Request struct {
	// Principal is a role ARN, an account root ARN (or bare account id), or an STS
	// assumed-role session ARN (arn:aws:sts::ACCT:assumed-role/ROLE/SESSION), which counts as
	// the role arn:aws:iam::ACCT:role/ROLE.
	Principal string
	Action    string // e.g. "s3:GetObject"
	Resource  string // an ARN
	// Context holds the condition keys of the request, e.g. "aws:SecureTransport": "true".
	// Keys are matched case-insensitively, values as the operator says.
	Context map[string]string
	// ResourceKind names the resource policy in Authorize's reasons, e.g. "bucket policy" or
	// "key policy"; "" reads "resource policy". Evaluation ignores it.
	ResourceKind string
}

// Decision is the outcome of evaluating one or more policies.
type Decision int

const (
	// ImplicitDeny: no statement allows the request (and none denies it).
	ImplicitDeny Decision = iota
	// Allow: a statement allows the request and none denies it.
	Allow
	// ExplicitDeny: a statement denies the request; this overrides any allow.
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	default:
		return "ImplicitDeny"
	}
}

// EvaluateResource evaluates d as a resource-based policy (bucket, key or trust policy): a
// statement applies only when its Principal names the request's principal — "*", {"AWS":"*"},
// the principal's account id or account root ARN (which stand for every principal of that
// account), or the exact role ARN — or its NotPrincipal does not name it. A statement with
// neither element applies to nobody. A nil document allows nothing.
func (d *Document) EvaluateResource(req Request) Decision {
	dec, _ := d.evaluate(req, true)
	return dec
}

// EvaluateIdentity evaluates d as an identity-based policy attached to the request's
// principal: Principal and NotPrincipal are not consulted (the principal is the holder).
// A nil document allows nothing.
func (d *Document) EvaluateIdentity(req Request) Decision {
	dec, _ := d.evaluate(req, false)
	return dec
}

// EvaluateIdentities evaluates the identity policies of one principal together: an explicit
// deny in any wins, else an allow in any allows. Nil documents are skipped.
func EvaluateIdentities(docs []*Document, req Request) Decision {
	dec, _ := evaluateIdentities(docs, req)
	return dec
}

func evaluateIdentities(docs []*Document, req Request) (Decision, *Statement) {
	dec, by := ImplicitDeny, (*Statement)(nil)
	for _, d := range docs {
		dd, s := d.evaluate(req, false)
		if dd > dec {
			dec, by = dd, s
		}
		if dec == ExplicitDeny {
			break
		}
	}
	return dec, by
}

// evaluate returns the decision and the statement that decided it (the first matching deny,
// else the first matching allow; nil for an implicit deny).
//
// Conditions are evaluated three-valued: an operator this package does not implement is
// "unknown". A statement whose other conditions are all true and that has an unknown one fails
// closed: an Allow statement does not apply, a Deny statement does.
func (d *Document) evaluate(req Request, resourceBased bool) (Decision, *Statement) {
	return d.evaluateWith(newRequestContext(req), req, resourceBased)
}

// evaluateDirect evaluates d as a resource-based policy counting only the statements that name
// the principal itself (its ARN, its role, or "*"): a statement that names the principal's
// account (the account id or its root ARN) grants the account, which delegates to its
// identity policies, and grants no principal of it directly (AWS's rule for same-account
// access through a resource policy that names the account).
func (d *Document) evaluateDirect(req Request) (Decision, *Statement) {
	rc := newRequestContext(req)
	rc.direct = true
	return d.evaluateWith(rc, req, true)
}

func (d *Document) evaluateWith(rc requestContext, req Request, resourceBased bool) (Decision, *Statement) {
	if d == nil {
		return ImplicitDeny, nil
	}
	var allowedBy *Statement
	for i := range d.Statement {
		s := &d.Statement[i]
		if resourceBased && !s.principalApplies(rc) {
			continue
		}
		if !s.actionApplies(rc.action) || !s.resourceApplies(req.Resource) {
			continue
		}
		switch evalConditions(s.Condition, rc.ctx) {
		case condFalse:
			continue
		case condUnknown:
			if s.Effect != EffectDeny {
				continue
			}
		}
		switch s.Effect {
		case EffectDeny:
			return ExplicitDeny, s
		case EffectAllow:
			if allowedBy == nil {
				allowedBy = s
			}
		}
	}
	if allowedBy != nil {
		return Allow, allowedBy
	}
	return ImplicitDeny, nil
}

// requestContext is the request prepared once for matching against every statement.
type requestContext struct {
	principal string            // as given
	role      string            // the IAM role ARN of an assumed-role session, else principal
	account   string            // the principal's account
	action    string            // lower-cased
	ctx       map[string]string // condition keys lower-cased
	// direct: an account id or root ARN in a Principal matches that account's root only,
	// not every principal of the account (see evaluateDirect).
	direct bool
}

func newRequestContext(req Request) requestContext {
	rc := requestContext{
		principal: req.Principal,
		role:      RoleOfSession(req.Principal),
		account:   AccountOf(req.Principal),
		action:    strings.ToLower(req.Action),
		ctx:       make(map[string]string, len(req.Context)),
	}
	for k, v := range req.Context {
		rc.ctx[strings.ToLower(k)] = v
	}
	return rc
}

func (s *Statement) principalApplies(rc requestContext) bool {
	switch {
	case !s.Principal.IsZero():
		return s.Principal.matches(rc)
	case !s.NotPrincipal.IsZero():
		return !s.NotPrincipal.matches(rc)
	}
	return false
}

func (p Principals) matches(rc requestContext) bool {
	if p.All {
		return true
	}
	for typ, vals := range p.Set {
		for _, v := range vals {
			if typ == "AWS" {
				if awsPrincipalMatches(v, rc) {
					return true
				}
			} else if v == "*" || v == rc.principal {
				// Service and federated principals are compared literally.
				return true
			}
		}
	}
	return false
}

func awsPrincipalMatches(v string, rc requestContext) bool {
	switch {
	case v == "*":
		return true
	case accountIDPattern.MatchString(v):
		if rc.direct {
			return isRootARN(rc.principal) && AccountOf(rc.principal) == v
		}
		return rc.account != "" && v == rc.account
	case isRootARN(v):
		if rc.direct {
			return isRootARN(rc.principal) && AccountOf(rc.principal) == AccountOf(v)
		}
		return rc.account != "" && AccountOf(v) == rc.account
	}
	return v == rc.principal || v == rc.role
}

func (s *Statement) actionApplies(action string) bool {
	if len(s.Action) > 0 {
		return anyMatch(s.Action, action, true)
	}
	return !anyMatch(s.NotAction, action, true)
}

// resourceApplies: a statement without Resource or NotResource (a trust policy) applies to the
// resource the policy is attached to, whatever its ARN.
func (s *Statement) resourceApplies(resource string) bool {
	switch {
	case len(s.Resource) > 0:
		return anyMatch(s.Resource, resource, false)
	case len(s.NotResource) > 0:
		return !anyMatch(s.NotResource, resource, false)
	}
	return true
}

// anyMatch reports whether value matches any pattern; with fold the comparison ignores case
// (value is then already lower-cased).
func anyMatch(patterns []string, value string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p = strings.ToLower(p)
		}
		if Match(p, value) {
			return true
		}
	}
	return false
}

// Match reports whether s matches pattern, where `*` matches any run of characters (including
// none) and `?` any one character. The comparison is case-sensitive. It runs in
// O(len(pattern)·len(s)) at worst, without recursion.
func Match(pattern, s string) bool {
	p, v := []rune(pattern), []rune(s)
	pi, vi := 0, 0
	star, mark := -1, 0
	for vi < len(v) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == v[vi]):
			pi++
			vi++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, vi
			pi++
		case star >= 0:
			// Let the last star swallow one more character and retry.
			mark++
			pi, vi = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// ---- Principals and ARNs ----

// AccountOf returns the account id a principal or ARN belongs to: a bare 12-digit account id
// is itself; an ARN gives its account field ("arn:aws:iam::123456789012:role/x",
// "arn:aws:sts::123456789012:assumed-role/x/s"); anything else (including "*") gives "".
func AccountOf(principalOrARN string) string {
	if accountIDPattern.MatchString(principalOrARN) {
		return principalOrARN
	}
	if !strings.HasPrefix(principalOrARN, "arn:") {
		return ""
	}
	parts := strings.SplitN(principalOrARN, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

func isRootARN(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[5] == "root"
}

// RoleOfSession turns an STS session ARN arn:PART:sts::ACCT:assumed-role/ROLE/SESSION into
// the role's ARN arn:PART:iam::ACCT:role/ROLE; anything else is returned unchanged.
func RoleOfSession(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sts" {
		return arn
	}
	rest, ok := strings.CutPrefix(parts[5], "assumed-role/")
	if !ok {
		return arn
	}
	role, _, ok := strings.Cut(rest, "/")
	if !ok || role == "" {
		return arn
	}
	return "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + role
}
