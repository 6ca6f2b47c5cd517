package policy

import "fmt"

// Result is an access decision with a sentence that explains it.
type Result struct {
	Allowed  bool
	Decision Decision // ExplicitDeny, Allow, or ImplicitDeny
	// Reason names the principal, the action and the resource, and why: which policy denied
	// explicitly, or which side's allow is missing. It starts with "AccessDenied:" when denied.
	Reason string
}

// Authorize decides req the way AWS does for a principal acting on a resource that carries a
// resource policy (nil: none):
//   - an explicit deny in any identity policy or in the resource policy wins;
//   - same account (the principal's account equals resourceAccount): the identity policies OR
//     the resource policy must allow — the resource policy by a statement naming the
//     principal itself (its ARN, or "*"): one that names the account (its id or root ARN)
//     delegates to the account's identity policies, as a default key policy does;
//   - cross account: the identity policies AND the resource policy must both allow.
//
// An empty resourceAccount (not known) is treated as cross account, so both sides must
// allow: the decision fails closed. req.ResourceKind names the resource policy in the reason.
func Authorize(req Request, identity []*Document, resource *Document, resourceAccount string) Result {
	kind := req.ResourceKind
	if kind == "" {
		kind = "resource policy"
	}
	idDec, idBy := evaluateIdentities(identity, req)
	resDec, resBy := resource.evaluate(req, true)
	head := fmt.Sprintf("%s is not allowed %s on %s", req.Principal, req.Action, req.Resource)
	deny := func(d Decision, why string) Result {
		return Result{Decision: d, Reason: "AccessDenied: " + head + ": " + why}
	}

	switch {
	case resDec == ExplicitDeny:
		return deny(ExplicitDeny, fmt.Sprintf("an explicit deny in the %s%s overrides any allow", kind, sidOf(resBy)))
	case idDec == ExplicitDeny:
		return deny(ExplicitDeny, fmt.Sprintf("an explicit deny in the principal's identity policies%s overrides any allow", sidOf(idBy)))
	}

	sameAccount := resourceAccount != "" && AccountOf(req.Principal) == resourceAccount
	idOK, resOK := idDec == Allow, resDec == Allow
	if sameAccount && resOK && !idOK {
		if direct, _ := resource.evaluateDirect(req); direct != Allow {
			return deny(ImplicitDeny, fmt.Sprintf("the %s allows the principal's account, which leaves the decision to the principal's identity policies, and they have no statement allowing it", kind))
		}
	}
	if (sameAccount && (idOK || resOK)) || (idOK && resOK) {
		var by string
		switch {
		case idOK && resOK:
			by = "the principal's identity policies and the " + kind
		case idOK:
			by = "the principal's identity policies"
		default:
			by = "the " + kind
		}
		return Result{Allowed: true, Decision: Allow,
			Reason: fmt.Sprintf("Allowed: %s may %s on %s (allowed by %s)", req.Principal, req.Action, req.Resource, by)}
	}

	resMissing := "the " + kind + " has no statement allowing it"
	if resource == nil {
		resMissing = "there is no " + kind + " to allow it"
	}
	switch {
	case !idOK && !resOK:
		return deny(ImplicitDeny, fmt.Sprintf("neither the principal's identity policies nor the %s allow it", kind))
	case !resOK:
		return deny(ImplicitDeny, resMissing+" (cross-account access needs both the identity policy and the "+kind+" to allow)")
	default:
		return deny(ImplicitDeny, "the principal's identity policies have no statement allowing it (cross-account access needs both the identity policy and the "+kind+" to allow)")
	}
}

func sidOf(s *Statement) string {
	if s == nil || s.Sid == "" {
		return ""
	}
	return fmt.Sprintf(" (statement %q)", s.Sid)
}

// AuthorizeKey decides req on a KMS key the way KMS does: the key policy is where access to a
// key starts. It must allow the request — naming the principal (or "*"), or naming the
// principal's account, which then leaves the decision to the principal's identity policies —
// and an identity policy alone never suffices (so the AWS-managed aws/s3 key, whose policy
// allows its use through S3 only, cannot be used directly by anyone). Across accounts both
// sides must allow; an explicit deny anywhere wins.
func AuthorizeKey(req Request, identity []*Document, keyPolicy *Document, keyAccount string) Result {
	res := Authorize(req, identity, keyPolicy, keyAccount)
	if !res.Allowed {
		return res
	}
	if dec, _ := keyPolicy.evaluate(req, true); dec != Allow {
		kind := req.ResourceKind
		if kind == "" {
			kind = "key policy"
		}
		return Result{Decision: ImplicitDeny, Reason: fmt.Sprintf("AccessDenied: %s is not allowed %s on %s: the %s has no statement allowing it (a key's policy must allow its use; identity policies alone do not)",
			req.Principal, req.Action, req.Resource, kind)}
	}
	return res
}
