package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

var (
	iamPathPattern    = regexp.MustCompile(`^/([\x21-\x7E]{0,510}/)?$`)
	roleNamePattern   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	policyNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
)

// roleByARN loads a role with its inline policies, tags and attached policies.
func (c *Cloud) roleByARN(ctx context.Context, q querier, arn string) (*backend.Role, error) {
	r := &backend.Role{ARN: arn, Policies: map[string]string{}}
	var created string
	err := q.QueryRowContext(ctx, `SELECT name, account_id, trust_policy, path, description, max_session_duration, created_at FROM roles WHERE arn = ?`, arn).
		Scan(&r.Name, &r.AccountID, &r.TrustPolicy, &r.Path, &r.Description, &r.MaxSessionDuration, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, backend.NotFoundError(backend.KindRole, arn)
	}
	if err != nil {
		return nil, err
	}
	r.Created = parseTime(created)
	r.ID = uniqueID("AROA", arn, created)
	if r.Tags, err = loadTags(ctx, q, arn); err != nil {
		return nil, err
	}
	if r.ManagedPolicies, err = attachedPolicies(ctx, q, arn); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT policy_name, document FROM role_policies WHERE role_arn = ?`, arn)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, doc string
		if err := rows.Scan(&name, &doc); err != nil {
			return nil, err
		}
		r.Policies[name] = doc
	}
	return r, rows.Err()
}

// roleARNOf turns a role name (in the acting account) or ARN into an ARN.
func (a *Account) roleARNOf(nameOrARN string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		return nameOrARN
	}
	return a.partition().Role(a.id.AccountID, nameOrARN)
}

func checkRole(r backend.Role) error {
	if !roleNamePattern.MatchString(r.Name) {
		return fmt.Errorf("role name %q: 1–64 characters of A-Za-z0-9+=,.@_-: %w", r.Name, backend.ErrInvalid)
	}
	if r.Path != "" && !iamPathPattern.MatchString(r.Path) {
		return fmt.Errorf("role path %q: \"/\" or a path that starts and ends with \"/\": %w", r.Path, backend.ErrInvalid)
	}
	if r.MaxSessionDuration != 0 && (r.MaxSessionDuration < 3600 || r.MaxSessionDuration > 43200) {
		return fmt.Errorf("role %s: a maximum session duration of %d seconds: it must be 3600 to 43200: %w", r.Name, r.MaxSessionDuration, backend.ErrInvalid)
	}
	if len(r.Description) > 1000 {
		return fmt.Errorf("role %s: a description of at most 1000 characters: %w", r.Name, backend.ErrInvalid)
	}
	if err := checkTags(r.Tags); err != nil {
		return err
	}
	if strings.TrimSpace(r.TrustPolicy) != "" {
		if _, err := policy.Parse(r.TrustPolicy); err != nil {
			return fmt.Errorf("role %s trust policy: %w: %w", r.Name, err, backend.ErrInvalid)
		}
	}
	for name, doc := range r.Policies {
		if !policyNamePattern.MatchString(name) {
			return fmt.Errorf("role %s policy name %q: 1–128 characters of A-Za-z0-9+=,.@_-: %w", r.Name, name, backend.ErrInvalid)
		}
		if _, err := policy.Parse(doc); err != nil {
			return fmt.Errorf("role %s policy %q: %w: %w", r.Name, name, err, backend.ErrInvalid)
		}
	}
	return nil
}

// CreateRole creates a role in the acting account with its trust policy and inline policies.
func (a *Account) CreateRole(ctx context.Context, r backend.Role) (*backend.Role, error) {
	if err := a.ownAccount(r.AccountID, "role"); err != nil {
		return nil, err
	}
	if err := checkRole(r); err != nil {
		return nil, err
	}
	arn := a.partition().Role(a.id.AccountID, r.Name)
	var out *backend.Role
	err := a.c.write(ctx, func(tx *sql.Tx) error {
		now := a.c.timestamp()
		_, err := tx.ExecContext(ctx, `INSERT INTO roles (arn, account_id, region, name, trust_policy, created_at, updated_at, path, description, max_session_duration)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			arn, a.id.AccountID, a.id.Region, r.Name, r.TrustPolicy, now, now, orDefault(r.Path, "/"), r.Description, orDefaultInt(r.MaxSessionDuration, 3600))
		if isUniqueViolation(err) {
			return fmt.Errorf("role %s: %w", arn, backend.ErrAlreadyExists)
		}
		if err != nil {
			return err
		}
		if err := setTags(ctx, tx, arn, r.Tags, true); err != nil {
			return err
		}
		if err := putRolePolicies(ctx, tx, arn, r.Policies); err != nil {
			return err
		}
		out, err = a.c.roleByARN(ctx, tx, arn)
		return err
	})
	return out, err
}

func putRolePolicies(ctx context.Context, tx *sql.Tx, arn string, policies map[string]string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM role_policies WHERE role_arn = ?`, arn); err != nil {
		return err
	}
	for _, name := range sortedKeys(policies) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO role_policies (role_arn, policy_name, document) VALUES (?, ?, ?)`, arn, name, policies[name]); err != nil {
			return err
		}
	}
	return nil
}

// GetRole finds a role by name in the acting account, or by ARN in any account.
func (a *Account) GetRole(ctx context.Context, nameOrARN string) (*backend.Role, error) {
	return a.c.roleByARN(ctx, a.c.reader, a.roleARNOf(nameOrARN))
}

// UpdateRole replaces the trust policy and the inline policies of a role of the acting account.
func (a *Account) UpdateRole(ctx context.Context, r backend.Role) (*backend.Role, error) {
	if err := a.ownAccount(r.AccountID, "role"); err != nil {
		return nil, err
	}
	if err := checkRole(r); err != nil {
		return nil, err
	}
	arn := a.partition().Role(a.id.AccountID, r.Name)
	var out *backend.Role
	err := a.c.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE roles SET trust_policy = ?, updated_at = ? WHERE arn = ?`, r.TrustPolicy, a.c.timestamp(), arn)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backend.NotFoundError(backend.KindRole, arn)
		}
		if err := putRolePolicies(ctx, tx, arn, r.Policies); err != nil {
			return err
		}
		out, err = a.c.roleByARN(ctx, tx, arn)
		return err
	})
	return out, err
}

// PutRolePolicy adds or replaces one inline policy of a role of the acting account, in one
// transaction: the role's other inline policies stay as they are.
func (a *Account) PutRolePolicy(ctx context.Context, roleName, policyName, doc string) error {
	if err := checkRole(backend.Role{Name: roleName, Policies: map[string]string{policyName: doc}}); err != nil {
		return err
	}
	arn := a.partition().Role(a.id.AccountID, roleName)
	return a.c.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE roles SET updated_at = ? WHERE arn = ?`, a.c.timestamp(), arn)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backend.NotFoundError(backend.KindRole, arn)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO role_policies (role_arn, policy_name, document) VALUES (?, ?, ?)
			ON CONFLICT (role_arn, policy_name) DO UPDATE SET document = excluded.document`, arn, policyName, doc)
		return err
	})
}

// UpdateAssumeRolePolicy replaces the trust policy of a role of the acting account.
func (a *Account) UpdateAssumeRolePolicy(ctx context.Context, roleName, trustPolicy string) error {
	if err := checkRole(backend.Role{Name: roleName, TrustPolicy: trustPolicy}); err != nil {
		return err
	}
	arn := a.partition().Role(a.id.AccountID, roleName)
	return a.c.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE roles SET trust_policy = ?, updated_at = ? WHERE arn = ?`, trustPolicy, a.c.timestamp(), arn)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backend.NotFoundError(backend.KindRole, arn)
		}
		return nil
	})
}

// DeleteRole deletes a role of the acting account and its inline policies.
func (a *Account) DeleteRole(ctx context.Context, name string) error {
	arn := a.roleARNOf(name)
	if policy.AccountOf(arn) != a.id.AccountID {
		return fmt.Errorf("role %s belongs to account %s, not %s: %w", arn, policy.AccountOf(arn), a.id.AccountID, backend.ErrAccessDenied)
	}
	return a.c.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM roles WHERE arn = ?`, arn)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backend.NotFoundError(backend.KindRole, arn)
		}
		return deleteTags(ctx, tx, arn)
	})
}

// ownAccount refuses a request naming another account than the acting one.
func (a *Account) ownAccount(accountID, kind string) error {
	if accountID != "" && accountID != a.id.AccountID {
		return fmt.Errorf("%s for account %s requested through account %s: create it through that account's provider configuration: %w",
			kind, accountID, a.id.AccountID, backend.ErrInvalid)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
