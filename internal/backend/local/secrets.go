package local

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

var _ backend.Secrets = (*Account)(nil)

// Limits of Systems Manager (advanced tier) and Secrets Manager.
const (
	maxParameterName  = 1011
	maxParameterValue = 8 << 10
	maxSecretName     = 512
	maxSecretValue    = 64 << 10
)

var (
	parameterNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.\-/]+$`)
	secretNamePattern    = regexp.MustCompile(`^[A-Za-z0-9/_+=.@\-]+$`)
)

func parameterAAD(account, region, name string, version int64) []byte {
	return []byte("parameter\x00" + account + "\x00" + region + "\x00" + name + "\x00" + strconv.FormatInt(version, 10))
}

func secretValueAAD(account, region, name, versionID string) []byte {
	return []byte("secret\x00" + account + "\x00" + region + "\x00" + name + "\x00" + versionID)
}

// PutParameter stores a new version of a parameter, its value sealed.
func (a *Account) PutParameter(ctx context.Context, p *backend.Parameter, overwrite bool) (*backend.Parameter, error) {
	name := p.Name
	switch {
	case name == "" || len(name) > maxParameterName || !parameterNamePattern.MatchString(name):
		return nil, fmt.Errorf("parameter name %q: 1 to %d characters of A-Za-z0-9 _ . - /: %w", name, maxParameterName, backend.ErrInvalid)
	case strings.Contains(name, "//") || (strings.Contains(name[1:], "/") && !strings.HasPrefix(name, "/")):
		return nil, fmt.Errorf("parameter name %q: a hierarchical name starts with / and has no empty level: %w", name, backend.ErrInvalid)
	case !slices.Contains(backend.ParameterTypes, p.Type):
		return nil, fmt.Errorf("parameter %s: type %q is not one of %s: %w", name, p.Type, strings.Join(backend.ParameterTypes, ", "), backend.ErrInvalid)
	case p.Value == "" || len(p.Value) > maxParameterValue:
		return nil, fmt.Errorf("parameter %s: a value of 1 to %d bytes is needed: %w", name, maxParameterValue, backend.ErrInvalid)
	}
	out := &backend.Parameter{Name: name, ARN: arn.Parameter(a.id.Region, a.id.AccountID, name), Type: p.Type, Description: p.Description}
	err := a.c.write(ctx, func(tx *sql.Tx) error {
		var latest sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM parameters WHERE account_id = ? AND region = ? AND name = ?`,
			a.id.AccountID, a.id.Region, name).Scan(&latest); err != nil {
			return err
		}
		if latest.Valid && !overwrite {
			return fmt.Errorf("parameter %s exists (version %d); overwrite it to store a new version: %w", name, latest.Int64, backend.ErrAlreadyExists)
		}
		out.Version = latest.Int64 + 1
		sealed, err := seal(a.c.master, []byte(p.Value), parameterAAD(a.id.AccountID, a.id.Region, name, out.Version))
		if err != nil {
			return err
		}
		now := a.c.timestamp()
		out.LastModified = parseTime(now)
		_, err = tx.ExecContext(ctx, `INSERT INTO parameters (account_id, region, name, version, type, description, value_sealed, modified_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, a.id.AccountID, a.id.Region, name, out.Version, p.Type, p.Description, sealed, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// parameterRef splits a parameter reference (name or ARN, optionally ":VERSION") into the
// name and version (0 = latest), refusing an ARN of another account, region or service.
func (a *Account) parameterRef(ref string) (string, int64, error) {
	name, version := ref, int64(0)
	if i := strings.LastIndexByte(ref, ':'); i > 0 {
		if v, err := strconv.ParseInt(ref[i+1:], 10, 64); err == nil && v > 0 {
			name, version = ref[:i], v
		}
	}
	if !strings.HasPrefix(name, "arn:") {
		return name, version, nil
	}
	parsed, err := arn.Parse(name)
	rest, ok := strings.CutPrefix(parsed.Resource, "parameter/")
	if err != nil || parsed.Service != "ssm" || !ok || rest == "" {
		return "", 0, fmt.Errorf("%q is not a parameter ARN (arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME): %w", ref, backend.ErrInvalid)
	}
	if parsed.AccountID != a.id.AccountID || parsed.Region != a.id.Region {
		return "", 0, backend.NotFoundError(backend.KindParameter, name+" (parameters of other accounts and regions cannot be read)")
	}
	if strings.Contains(rest, "/") {
		rest = "/" + rest
	}
	return rest, version, nil
}

// GetParameter returns a parameter's latest (or named) version with its value unsealed.
func (a *Account) GetParameter(ctx context.Context, ref string) (*backend.Parameter, error) {
	name, version, err := a.parameterRef(ref)
	if err != nil {
		return nil, err
	}
	q := `SELECT version, type, description, value_sealed, modified_at FROM parameters WHERE account_id = ? AND region = ? AND name = ?`
	args := []any{a.id.AccountID, a.id.Region, name}
	if version > 0 {
		q += ` AND version = ?`
		args = append(args, version)
	}
	q += ` ORDER BY version DESC LIMIT 1`
	p := &backend.Parameter{Name: name, ARN: arn.Parameter(a.id.Region, a.id.AccountID, name)}
	var sealed []byte
	var modified string
	err = a.c.reader.QueryRowContext(ctx, q, args...).Scan(&p.Version, &p.Type, &p.Description, &sealed, &modified)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, backend.NotFoundError(backend.KindParameter, ref)
	}
	if err != nil {
		return nil, err
	}
	value, err := unseal(a.c.master, sealed, parameterAAD(a.id.AccountID, a.id.Region, name, p.Version))
	if err != nil {
		return nil, fmt.Errorf("parameter %s version %d: the stored value does not unseal: %w", name, p.Version, ErrCorrupt)
	}
	p.Value, p.LastModified = string(value), parseTime(modified)
	return p, nil
}

// ListParameters returns the latest version of each parameter, without values.
func (a *Account) ListParameters(ctx context.Context) ([]*backend.Parameter, error) {
	rows, err := a.c.reader.QueryContext(ctx, `SELECT p.name, p.version, p.type, p.description, p.modified_at FROM parameters p
		WHERE p.account_id = ? AND p.region = ? AND p.version = (SELECT MAX(version) FROM parameters q
			WHERE q.account_id = p.account_id AND q.region = p.region AND q.name = p.name)
		ORDER BY p.name`, a.id.AccountID, a.id.Region)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*backend.Parameter
	for rows.Next() {
		p := &backend.Parameter{}
		var modified string
		if err := rows.Scan(&p.Name, &p.Version, &p.Type, &p.Description, &modified); err != nil {
			return nil, err
		}
		p.ARN, p.LastModified = arn.Parameter(a.id.Region, a.id.AccountID, p.Name), parseTime(modified)
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeleteParameter deletes every version of a parameter.
func (a *Account) DeleteParameter(ctx context.Context, ref string) error {
	name, _, err := a.parameterRef(ref)
	if err != nil {
		return err
	}
	return a.c.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM parameters WHERE account_id = ? AND region = ? AND name = ?`, a.id.AccountID, a.id.Region, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backend.NotFoundError(backend.KindParameter, name)
		}
		return nil
	})
}

// secretName resolves a secret reference (name, ARN, or ARN without its random suffix) in tx
// or the reader; it returns the name and ARN of an existing secret.
func (a *Account) secretName(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id string) (string, string, error) {
	name := id
	if strings.HasPrefix(id, "arn:") {
		parsed, err := arn.Parse(id)
		rest, ok := strings.CutPrefix(parsed.Resource, "secret:")
		if err != nil || parsed.Service != "secretsmanager" || !ok || rest == "" {
			return "", "", fmt.Errorf("%q is not a secret ARN (arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME): %w", id, backend.ErrInvalid)
		}
		if parsed.AccountID != a.id.AccountID || parsed.Region != a.id.Region {
			return "", "", backend.NotFoundError(backend.KindSecret, id+" (secrets of other accounts and regions cannot be read)")
		}
		name = rest
	}
	var found, foundARN string
	err := q.QueryRowContext(ctx, `SELECT name, arn FROM secrets WHERE account_id = ? AND region = ? AND (name = ? OR arn = ?)
		ORDER BY arn = ? DESC LIMIT 1`, a.id.AccountID, a.id.Region, name, id, id).Scan(&found, &foundARN)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", backend.NotFoundError(backend.KindSecret, id)
	}
	return found, foundARN, err
}

// secretVersion is a stored version's id and stages.
type secretVersion struct {
	id     string
	stages []string
}

// PutSecretValue stores a new version of a secret (creating the secret), moving stage labels.
func (a *Account) PutSecretValue(ctx context.Context, name, value string, stages []string) (*backend.Secret, error) {
	switch {
	case name == "" || len(name) > maxSecretName || !secretNamePattern.MatchString(name):
		return nil, fmt.Errorf("secret name %q: 1 to %d characters of A-Za-z0-9 / _ + = . @ -: %w", name, maxSecretName, backend.ErrInvalid)
	case value == "" || len(value) > maxSecretValue:
		return nil, fmt.Errorf("secret %s: a value of 1 to %d bytes is needed: %w", name, maxSecretValue, backend.ErrInvalid)
	}
	if len(stages) == 0 {
		stages = []string{backend.StageCurrent}
	}
	out := &backend.Secret{Name: name, VersionID: newUUID(), Stages: slices.Clone(stages)}
	err := a.c.write(ctx, func(tx *sql.Tx) error {
		now := a.c.timestamp()
		out.Created = parseTime(now)
		err := tx.QueryRowContext(ctx, `SELECT arn FROM secrets WHERE account_id = ? AND region = ? AND name = ?`, a.id.AccountID, a.id.Region, name).Scan(&out.ARN)
		if errors.Is(err, sql.ErrNoRows) {
			out.ARN = arn.Secret(a.id.Region, a.id.AccountID, name, arnSuffix())
			_, err = tx.ExecContext(ctx, `INSERT INTO secrets (account_id, region, name, arn, created_at) VALUES (?, ?, ?, ?, ?)`,
				a.id.AccountID, a.id.Region, name, out.ARN, now)
		}
		if err != nil {
			return err
		}
		versions, err := a.secretVersions(ctx, tx, name)
		if err != nil {
			return err
		}
		moved := slices.Clone(stages)
		if slices.Contains(stages, backend.StageCurrent) && !slices.Contains(stages, backend.StagePrevious) {
			moved = append(moved, backend.StagePrevious)
		}
		for _, v := range versions {
			had := slices.Contains(v.stages, backend.StageCurrent)
			kept := slices.DeleteFunc(slices.Clone(v.stages), func(s string) bool { return slices.Contains(moved, s) })
			if had && slices.Contains(stages, backend.StageCurrent) {
				kept = append(kept, backend.StagePrevious)
			}
			if slices.Equal(kept, v.stages) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE secret_versions SET stages = ? WHERE account_id = ? AND region = ? AND name = ? AND version_id = ?`,
				stagesJSON(kept), a.id.AccountID, a.id.Region, name, v.id); err != nil {
				return err
			}
		}
		sealed, err := seal(a.c.master, []byte(value), secretValueAAD(a.id.AccountID, a.id.Region, name, out.VersionID))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO secret_versions (account_id, region, name, version_id, stages, value_sealed, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, a.id.AccountID, a.id.Region, name, out.VersionID, stagesJSON(stages), sealed, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (a *Account) secretVersions(ctx context.Context, tx *sql.Tx, name string) ([]secretVersion, error) {
	rows, err := tx.QueryContext(ctx, `SELECT version_id, stages FROM secret_versions WHERE account_id = ? AND region = ? AND name = ?`,
		a.id.AccountID, a.id.Region, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []secretVersion
	for rows.Next() {
		var v secretVersion
		var stages string
		if err := rows.Scan(&v.id, &stages); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(stages), &v.stages); err != nil {
			return nil, fmt.Errorf("secret %s version %s: stored stages: %w", name, v.id, ErrCorrupt)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func stagesJSON(stages []string) string {
	if stages == nil {
		stages = []string{}
	}
	b, _ := json.Marshal(stages)
	return string(b)
}

// arnSuffix is the six random characters Secrets Manager appends to a secret's ARN.
func arnSuffix() string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b [6]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b[:])
}

// GetSecretValue returns the chosen version of a secret with its value unsealed.
func (a *Account) GetSecretValue(ctx context.Context, id, versionStage, versionID string) (*backend.Secret, error) {
	name, secretARN, err := a.secretName(ctx, a.c.reader, id)
	if err != nil {
		return nil, err
	}
	if versionStage == "" && versionID == "" {
		versionStage = backend.StageCurrent
	}
	rows, err := a.c.reader.QueryContext(ctx, `SELECT version_id, stages, value_sealed, created_at FROM secret_versions
		WHERE account_id = ? AND region = ? AND name = ?`, a.id.AccountID, a.id.Region, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		s := &backend.Secret{Name: name, ARN: secretARN}
		var stages, created string
		var sealed []byte
		if err := rows.Scan(&s.VersionID, &stages, &sealed, &created); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(stages), &s.Stages); err != nil {
			return nil, fmt.Errorf("secret %s version %s: stored stages: %w", name, s.VersionID, ErrCorrupt)
		}
		if (versionID != "" && s.VersionID != versionID) || (versionStage != "" && !slices.Contains(s.Stages, versionStage)) {
			continue
		}
		value, err := unseal(a.c.master, sealed, secretValueAAD(a.id.AccountID, a.id.Region, name, s.VersionID))
		if err != nil {
			return nil, fmt.Errorf("secret %s version %s: the stored value does not unseal: %w", name, s.VersionID, ErrCorrupt)
		}
		s.Value, s.Created = string(value), parseTime(created)
		return s, nil
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	what := "version " + versionID
	if versionID == "" {
		what = "stage " + versionStage
	} else if versionStage != "" {
		what += " with stage " + versionStage
	}
	return nil, backend.NotFoundError(backend.KindSecretVersion, secretARN+" "+what)
}

// ListSecrets returns every secret with its current version, without values.
func (a *Account) ListSecrets(ctx context.Context) ([]*backend.Secret, error) {
	rows, err := a.c.reader.QueryContext(ctx, `SELECT s.name, s.arn, s.created_at, COALESCE(v.version_id, ''), COALESCE(v.stages, '[]')
		FROM secrets s LEFT JOIN secret_versions v ON v.account_id = s.account_id AND v.region = s.region AND v.name = s.name
			AND EXISTS (SELECT 1 FROM json_each(v.stages) WHERE value = 'AWSCURRENT')
		WHERE s.account_id = ? AND s.region = ? ORDER BY s.name`, a.id.AccountID, a.id.Region)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*backend.Secret
	for rows.Next() {
		s := &backend.Secret{}
		var created, stages string
		if err := rows.Scan(&s.Name, &s.ARN, &created, &s.VersionID, &stages); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(stages), &s.Stages); err != nil {
			return nil, fmt.Errorf("secret %s: stored stages: %w", s.Name, ErrCorrupt)
		}
		s.Created = parseTime(created)
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteSecret deletes a secret and its versions.
func (a *Account) DeleteSecret(ctx context.Context, id string) error {
	return a.c.write(ctx, func(tx *sql.Tx) error {
		name, _, err := a.secretName(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, table := range []string{"secret_versions", "secrets"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE account_id = ? AND region = ? AND name = ?`, a.id.AccountID, a.id.Region, name); err != nil {
				return err
			}
		}
		return nil
	})
}
