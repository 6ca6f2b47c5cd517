package local

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// backend.Cloud: the state directory as a cloud the AWS endpoint (internal/awsapi) serves —
// any account and region, the access keys of the account roots and of role sessions, and the
// access decisions of every request.

var _ backend.Cloud = (*Account)(nil)

var sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// Session durations, as in STS.
const (
	minSessionDuration     = 15 * time.Minute
	defaultSessionDuration = time.Hour
	// expiredKeysKept is how long a session's key is kept after it expired, so that a request
	// signed with it is answered ExpiredToken rather than InvalidClientTokenId.
	expiredKeysKept = 24 * time.Hour
)

// keyTimeFormat is fixed-width, so that the database compares expiry times as text.
const keyTimeFormat = "2006-01-02T15:04:05.000000000Z"

// As is the value acting as accountID in region of the same state directory.
func (a *Account) As(accountID, region string) backend.CloudAccount {
	return a.Account(accountID, region)
}

// newAccessKeyID is prefix followed by 16 characters of the base32 alphabet, as AWS key ids
// are (AKIA… for long-term keys, ASIA… for temporary ones).
func newAccessKeyID(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return prefix + base32.StdEncoding.EncodeToString(b[:])
}

func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func accessKeyAAD(id, what string) []byte { return []byte("access-key\x00" + what + "\x00" + id) }

// AccountKey returns the long-term key of accountID's root, creating it when asked.
func (a *Account) AccountKey(ctx context.Context, accountID string, create bool) (*backend.AccessKey, error) {
	if !backend.AccountIDPattern().MatchString(accountID) {
		return nil, fmt.Errorf("account id %q: 12 digits: %w", accountID, backend.ErrInvalid)
	}
	k, err := a.c.accessKeyWhere(ctx, a.c.reader, `account_id = ? AND role_arn = ''`, accountID)
	if err == nil || !isNotFound(err) || !create {
		return k, err
	}
	id, secret := newAccessKeyID("AKIA"), randomText(30)
	principal := a.partition().Root(accountID)
	err = a.c.write(ctx, func(tx *sql.Tx) error {
		sealed, err := seal(a.c.master, []byte(secret), accessKeyAAD(id, "secret"))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO access_keys (id, account_id, principal, secret_sealed, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, id, accountID, principal, sealed, a.c.timestamp())
		return err
	})
	if err != nil {
		return nil, err
	}
	// Another process may have created the account's key first: its key is the one.
	return a.c.accessKeyWhere(ctx, a.c.reader, `account_id = ? AND role_arn = ''`, accountID)
}

// LookupAccessKey returns the key with that id, with its secret (and session token).
func (a *Account) LookupAccessKey(ctx context.Context, id string) (*backend.AccessKey, error) {
	return a.c.accessKeyWhere(ctx, a.c.reader, `id = ?`, id)
}

func (c *Cloud) accessKeyWhere(ctx context.Context, q querier, where string, args ...any) (*backend.AccessKey, error) {
	k := &backend.AccessKey{}
	var secret, token []byte
	var expires, created string
	err := q.QueryRowContext(ctx, `SELECT id, account_id, principal, role_arn, role_id, session_name, secret_sealed, token_sealed, expires_at, created_at
		FROM access_keys WHERE `+where, args...).Scan(&k.ID, &k.AccountID, &k.Principal, &k.RoleARN, &k.RoleID, &k.SessionName, &secret, &token, &expires, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, backend.NotFoundError("access key", fmt.Sprint(args...))
	}
	if err != nil {
		return nil, err
	}
	s, err := unseal(c.master, secret, accessKeyAAD(k.ID, "secret"))
	if err != nil {
		return nil, fmt.Errorf("access key %s: its secret does not open with the master key: %w", k.ID, ErrCorrupt)
	}
	k.Secret = string(s)
	if len(token) > 0 {
		t, err := unseal(c.master, token, accessKeyAAD(k.ID, "token"))
		if err != nil {
			return nil, fmt.Errorf("access key %s: its session token does not open with the master key: %w", k.ID, ErrCorrupt)
		}
		k.SessionToken = string(t)
	}
	if expires != "" {
		if k.Expires, err = time.Parse(keyTimeFormat, expires); err != nil {
			return nil, fmt.Errorf("access key %s: expiry %q: %w", k.ID, expires, ErrCorrupt)
		}
	}
	k.Created = parseTime(created)
	return k, nil
}

// AssumeRole evaluates the role's trust policy for the caller and issues a session's
// temporary credentials (see backend.Cloud).
func (a *Account) AssumeRole(ctx context.Context, req backend.AssumeRoleRequest) (*backend.AccessKey, error) {
	switch {
	case !isRoleARN(req.RoleARN):
		return nil, fmt.Errorf("RoleArn %q is not a role ARN: %w", req.RoleARN, backend.ErrInvalid)
	case !sessionNamePattern.MatchString(req.SessionName):
		return nil, fmt.Errorf("RoleSessionName %q: 2–64 characters of A-Za-z0-9+=,.@_-: %w", req.SessionName, backend.ErrInvalid)
	case req.Principal == "" || req.Principal == backend.AnonymousPrincipal:
		return nil, fmt.Errorf("AssumeRole needs a signed caller: %w", backend.ErrInvalid)
	}
	caller := policy.RoleOfSession(req.Principal)
	denied := func(why string) error {
		return &AccessDeniedError{Principal: req.Principal, Action: "sts:AssumeRole", Resource: req.RoleARN,
			Reason: fmt.Sprintf("AccessDenied: %s is not allowed sts:AssumeRole on %s: %s", req.Principal, req.RoleARN, why)}
	}
	role, err := a.c.roleByARN(ctx, a.c.reader, req.RoleARN)
	if isNotFound(err) {
		return nil, denied("the role does not exist")
	}
	if err != nil {
		return nil, err
	}
	duration := req.Duration
	if duration == 0 {
		duration = defaultSessionDuration
	}
	if maxDur := time.Duration(orDefaultInt(role.MaxSessionDuration, 3600)) * time.Second; duration < minSessionDuration || duration > maxDur {
		return nil, fmt.Errorf("DurationSeconds %d: from %d to the role's maximum session duration, %d: %w",
			int(duration.Seconds()), int(minSessionDuration.Seconds()), int(maxDur.Seconds()), backend.ErrInvalid)
	}
	if strings.TrimSpace(role.TrustPolicy) == "" {
		return nil, denied("the role has no trust policy")
	}
	trust, err := policy.Parse(role.TrustPolicy)
	if err != nil {
		return nil, fmt.Errorf("role %s trust policy: %w", role.ARN, err)
	}
	cond := requestContext(map[string]string{"sts:RoleSessionName": req.SessionName, "aws:PrincipalAccount": policy.AccountOf(caller)})
	if req.ExternalID != "" {
		cond["sts:ExternalId"] = req.ExternalID
	}
	preq := policy.Request{Principal: caller, Action: "sts:AssumeRole", Resource: role.ARN, Context: cond, ResourceKind: "trust policy"}
	switch trust.EvaluateResource(preq) {
	case policy.ExplicitDeny:
		return nil, denied("an explicit deny in the role's trust policy overrides any allow")
	case policy.ImplicitDeny:
		return nil, denied("the role's trust policy has no statement allowing it")
	}
	// A trust policy that names the caller itself is enough. One that allows the caller only
	// through its account (the account root, or "*") delegates to the account: the caller's
	// identity policies must allow the call too, unless the caller is that root.
	other := preq
	other.Principal = arn.PartitionOf(a.id.Region).Role(policy.AccountOf(caller), "\x00another-principal")
	throughAccount := trust.EvaluateResource(other) == policy.Allow
	crossAccount := policy.AccountOf(caller) != role.AccountID
	if crossAccount || (throughAccount && !isRootPrincipal(caller)) {
		docs, err := a.c.identityPolicies(ctx, a.c.reader, caller, "")
		if err != nil {
			return nil, err
		}
		switch policy.EvaluateIdentities(docs, preq) {
		case policy.ExplicitDeny:
			return nil, denied("an explicit deny in the caller's identity policies overrides any allow")
		case policy.ImplicitDeny:
			return nil, denied("the caller's identity policies have no statement allowing it (the trust policy allows the caller's account, so its own policies must allow it too)")
		}
	}
	now := a.c.now().UTC()
	key := &backend.AccessKey{
		ID: newAccessKeyID("ASIA"), Secret: randomText(30), SessionToken: "pk" + randomText(96),
		Expires: now.Add(duration).Truncate(time.Second), AccountID: role.AccountID,
		Principal: "arn:" + string(arn.PartitionOf(a.id.Region)) + ":sts::" + role.AccountID + ":assumed-role/" + role.Name + "/" + req.SessionName,
		RoleARN:   role.ARN, RoleID: role.ID, SessionName: req.SessionName, Created: now,
	}
	if err := a.c.storeSessionKey(ctx, key, now); err != nil {
		return nil, err
	}
	return key, nil
}

// storeSessionKey keeps a role session's key, its secret and token sealed, and forgets the
// sessions expired long enough ago.
func (c *Cloud) storeSessionKey(ctx context.Context, key *backend.AccessKey, now time.Time) error {
	return c.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM access_keys WHERE role_arn != '' AND expires_at < ?`,
			now.Add(-expiredKeysKept).Format(keyTimeFormat)); err != nil {
			return err
		}
		secret, err := seal(c.master, []byte(key.Secret), accessKeyAAD(key.ID, "secret"))
		if err != nil {
			return err
		}
		token, err := seal(c.master, []byte(key.SessionToken), accessKeyAAD(key.ID, "token"))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO access_keys (id, account_id, principal, role_arn, role_id, session_name, secret_sealed, token_sealed, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, key.ID, key.AccountID, key.Principal, key.RoleARN, key.RoleID, key.SessionName,
			secret, token, key.Expires.Format(keyTimeFormat), timeText(now))
		return err
	})
}

// Authorize decides a request of the AWS endpoint with the principal's identity policies and
// the resource's policy: a bucket's for an S3 ARN, a key's for a KMS key ARN.
func (a *Account) Authorize(ctx context.Context, req backend.AccessRequest) error {
	principal := policy.RoleOfSession(req.Principal)
	if principal == "" {
		return fmt.Errorf("a request without a principal: %w", backend.ErrInvalid)
	}
	ar := accessRequest{principal: principal, action: req.Action, resource: req.Resource, context: req.Context}
	switch parsed, err := arn.Parse(req.Resource); {
	case req.Resource == "*" || err != nil:
		ar.resourceAccount = policy.AccountOf(principal)
	case parsed.Service == "s3":
		bucket, _, _ := strings.Cut(parsed.Resource, "/")
		b, err := a.c.bucketRow(ctx, a.c.reader, bucket)
		switch {
		case err == nil:
			ar.resourceKind, ar.resourcePolicy, ar.resourceAccount = "bucket policy", b.policy, b.account
		case isNotFound(err):
			ar.resourceAccount = policy.AccountOf(principal) // a bucket not created yet
		default:
			return err
		}
	case parsed.Service == "kms" && strings.HasPrefix(parsed.Resource, "key/"):
		k, err := scanKey(a.c.reader.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM kms_keys WHERE arn = ?`, req.Resource))
		switch {
		case err == nil:
			ar.resourceKind, ar.resourcePolicy, ar.resourceAccount = keyPolicyKind, k.policy, k.account
		case errors.Is(err, sql.ErrNoRows):
			ar.resourceAccount = parsed.AccountID
		default:
			return err
		}
	default:
		ar.resourceAccount = parsed.AccountID
		if ar.resourceAccount == "" {
			ar.resourceAccount = policy.AccountOf(principal)
		}
	}
	return a.c.authorize(ctx, a.c.reader, ar)
}
