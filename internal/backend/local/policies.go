package local

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// IAM beyond a role's trust and inline policies: deleting one inline policy, role tags, and
// customer-managed policies that roles attach.

var managedPolicyNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)

// uniqueID is an IAM unique id ("AROA…" for a role, "ANPA…" for a policy): prefix and 17
// characters derived from the entity's ARN and creation time, so that an entity deleted and
// created again under its name gets a new one, as in IAM.
func uniqueID(prefix, arn, created string) string {
	sum := sha256.Sum256([]byte(arn + "\x00" + created))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

func orDefaultInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// DeleteRolePolicy deletes one inline policy of a role of the acting account.
func (a *Account) DeleteRolePolicy(ctx context.Context, roleName, policyName string) error {
	arn := a.partition().Role(a.id.AccountID, roleName)
	return a.c.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM role_policies WHERE role_arn = ? AND policy_name = ?`, arn, policyName)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := a.c.roleByARN(ctx, tx, arn); err != nil {
				return err
			}
			return backend.NotFoundError(backend.KindPolicy, roleName+"/"+policyName)
		}
		_, err = tx.ExecContext(ctx, `UPDATE roles SET updated_at = ? WHERE arn = ?`, a.c.timestamp(), arn)
		return err
	})
}

// TagRole adds or replaces tags of a role of the acting account.
func (a *Account) TagRole(ctx context.Context, roleName string, tags map[string]string) error {
	return a.changeRoleTags(ctx, roleName, func(tx *sql.Tx, arn string) error { return setTags(ctx, tx, arn, tags, false) })
}

// UntagRole removes the named tags of a role of the acting account.
func (a *Account) UntagRole(ctx context.Context, roleName string, tagKeys []string) error {
	return a.changeRoleTags(ctx, roleName, func(tx *sql.Tx, arn string) error { return removeTags(ctx, tx, arn, tagKeys) })
}

func (a *Account) changeRoleTags(ctx context.Context, roleName string, change func(*sql.Tx, string) error) error {
	arn := a.partition().Role(a.id.AccountID, roleName)
	return a.c.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM roles WHERE arn = ?`, arn).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return backend.NotFoundError(backend.KindRole, arn)
		}
		return change(tx, arn)
	})
}

// ---- managed policies ----

const managedPolicyColumns = `arn, account_id, name, path, description, document, created_at, updated_at`

func (c *Cloud) managedPolicy(ctx context.Context, q querier, arn string) (*backend.ManagedPolicy, error) {
	p := &backend.ManagedPolicy{}
	var created, updated string
	err := q.QueryRowContext(ctx, `SELECT `+managedPolicyColumns+` FROM managed_policies WHERE arn = ?`, arn).
		Scan(&p.ARN, &p.AccountID, &p.Name, &p.Path, &p.Description, &p.Document, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, backend.NotFoundError(backend.KindPolicy, arn)
	}
	if err != nil {
		return nil, err
	}
	p.Created, p.Updated, p.ID = parseTime(created), parseTime(updated), uniqueID("ANPA", arn, created)
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM role_policy_attachments WHERE policy_arn = ?`, arn).Scan(&p.AttachmentCount); err != nil {
		return nil, err
	}
	if p.Tags, err = loadTags(ctx, q, arn); err != nil {
		return nil, err
	}
	return p, nil
}

// managedPolicyARN is arn:PARTITION:iam::ACCOUNT:policy/PATH/NAME.
func (a *Account) managedPolicyARN(path, name string) string {
	return "arn:" + string(a.partition()) + ":iam::" + a.id.AccountID + ":policy" + orDefault(path, "/") + name
}

// CreatePolicy creates a customer-managed policy in the acting account.
func (a *Account) CreatePolicy(ctx context.Context, p backend.ManagedPolicy) (*backend.ManagedPolicy, error) {
	switch {
	case !managedPolicyNamePattern.MatchString(p.Name):
		return nil, fmt.Errorf("policy name %q: 1–128 characters of A-Za-z0-9+=,.@_-: %w", p.Name, backend.ErrInvalid)
	case p.Path != "" && !iamPathPattern.MatchString(p.Path):
		return nil, fmt.Errorf("policy path %q: \"/\" or a path that starts and ends with \"/\": %w", p.Path, backend.ErrInvalid)
	case len(p.Description) > 1000:
		return nil, fmt.Errorf("policy %s: a description of at most 1000 characters: %w", p.Name, backend.ErrInvalid)
	case p.AccountID != "" && p.AccountID != a.id.AccountID:
		return nil, a.ownAccount(p.AccountID, "policy")
	}
	if _, err := policy.Parse(p.Document); err != nil {
		return nil, fmt.Errorf("policy %s: %w: %w", p.Name, err, backend.ErrInvalid)
	}
	if err := checkTags(p.Tags); err != nil {
		return nil, err
	}
	arn := a.managedPolicyARN(p.Path, p.Name)
	var out *backend.ManagedPolicy
	err := a.c.write(ctx, func(tx *sql.Tx) error {
		now := a.c.timestamp()
		_, err := tx.ExecContext(ctx, `INSERT INTO managed_policies (`+managedPolicyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			arn, a.id.AccountID, p.Name, orDefault(p.Path, "/"), p.Description, p.Document, now, now)
		if isUniqueViolation(err) {
			return fmt.Errorf("policy %s in account %s: %w", p.Name, a.id.AccountID, backend.ErrAlreadyExists)
		}
		if err != nil {
			return err
		}
		if err := setTags(ctx, tx, arn, p.Tags, true); err != nil {
			return err
		}
		out, err = a.c.managedPolicy(ctx, tx, arn)
		return err
	})
	return out, err
}

// GetPolicy finds a managed policy by ARN, in any account.
func (a *Account) GetPolicy(ctx context.Context, policyARN string) (*backend.ManagedPolicy, error) {
	return a.c.managedPolicy(ctx, a.c.reader, policyARN)
}

// DeletePolicy deletes a managed policy of the acting account that no role attaches.
func (a *Account) DeletePolicy(ctx context.Context, policyARN string) error {
	if policy.AccountOf(policyARN) != a.id.AccountID {
		return fmt.Errorf("policy %s belongs to account %s, not %s: %w", policyARN, policy.AccountOf(policyARN), a.id.AccountID, backend.ErrAccessDenied)
	}
	return a.c.write(ctx, func(tx *sql.Tx) error {
		p, err := a.c.managedPolicy(ctx, tx, policyARN)
		if err != nil {
			return err
		}
		if p.AttachmentCount > 0 {
			return fmt.Errorf("policy %s is attached to %d roles; detach it first (DeleteConflict): %w", policyARN, p.AttachmentCount, backend.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM managed_policies WHERE arn = ?`, policyARN); err != nil {
			return err
		}
		return deleteTags(ctx, tx, policyARN)
	})
}

// AttachRolePolicy attaches a managed policy of the acting account to one of its roles.
func (a *Account) AttachRolePolicy(ctx context.Context, roleName, policyARN string) error {
	roleARN := a.partition().Role(a.id.AccountID, roleName)
	return a.c.write(ctx, func(tx *sql.Tx) error {
		if _, err := a.c.roleByARN(ctx, tx, roleARN); err != nil {
			return err
		}
		if _, err := a.c.managedPolicy(ctx, tx, policyARN); err != nil {
			return err
		}
		if policy.AccountOf(policyARN) != a.id.AccountID {
			return fmt.Errorf("policy %s belongs to account %s: a role attaches its own account's policies: %w", policyARN, policy.AccountOf(policyARN), backend.ErrInvalid)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO role_policy_attachments (role_arn, policy_arn) VALUES (?, ?) ON CONFLICT DO NOTHING`, roleARN, policyARN)
		return err
	})
}

// DetachRolePolicy detaches a managed policy from a role of the acting account.
func (a *Account) DetachRolePolicy(ctx context.Context, roleName, policyARN string) error {
	roleARN := a.partition().Role(a.id.AccountID, roleName)
	return a.c.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM role_policy_attachments WHERE role_arn = ? AND policy_arn = ?`, roleARN, policyARN)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := a.c.roleByARN(ctx, tx, roleARN); err != nil {
				return err
			}
			return backend.NotFoundError(backend.KindPolicy, policyARN+" attached to "+roleARN)
		}
		return nil
	})
}

// attachedPolicies lists the ARNs of the policies attached to a role, sorted.
func attachedPolicies(ctx context.Context, q querier, roleARN string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT policy_arn FROM role_policy_attachments WHERE role_arn = ? ORDER BY policy_arn`, roleARN)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// attachedDocuments parses the documents of the policies attached to a role.
func (c *Cloud) attachedDocuments(ctx context.Context, q querier, roleARN string) ([]*policy.Document, error) {
	rows, err := q.QueryContext(ctx, `SELECT p.arn, p.document FROM role_policy_attachments a JOIN managed_policies p ON p.arn = a.policy_arn
		WHERE a.role_arn = ? ORDER BY p.arn`, roleARN)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*policy.Document
	for rows.Next() {
		var arn, doc string
		if err := rows.Scan(&arn, &doc); err != nil {
			return nil, err
		}
		d, err := policy.Parse(doc)
		if err != nil {
			return nil, fmt.Errorf("role %s: attached policy %s: %w", roleARN, arn, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// timeText formats a timestamp as the database keeps it.
func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
