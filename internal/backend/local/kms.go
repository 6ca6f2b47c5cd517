package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// ErrKeyState is wrapped (besides backend.ErrInvalid) when a key's state forbids an
// operation: encrypting with a key pending deletion, decrypting after its deletion date.
var ErrKeyState = backend.ErrKeyState

// The AWS-managed key of S3, one per account and region, created on first use.
const managedS3Alias = "alias/aws/s3"

var (
	aliasPattern = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]{1,250}$`)
)

// keyRow is a kms_keys row.
type keyRow struct {
	keyID, arn, account, region, description string
	customerManaged, rotation                bool
	policy, state                            string
	deletionDate                             time.Time
	currentMaterial                          int
}

const keyColumns = `key_id, arn, account_id, region, description, customer_managed, rotation_enabled, policy, state, deletion_date, current_material`

func scanKey(row interface{ Scan(...any) error }) (*keyRow, error) {
	var k keyRow
	var cm, rot int
	var del string
	if err := row.Scan(&k.keyID, &k.arn, &k.account, &k.region, &k.description, &cm, &rot, &k.policy, &k.state, &del, &k.currentMaterial); err != nil {
		return nil, err
	}
	k.customerManaged, k.rotation, k.deletionDate = cm != 0, rot != 0, parseTime(del)
	return &k, nil
}

// deleted reports whether the key's deletion date has passed: it is gone for every purpose.
func (c *Cloud) deleted(k *keyRow) bool {
	return k.state == backend.KeyStatePendingDeletion && !c.now().Before(k.deletionDate)
}

// resolveKey finds a key by key ARN, alias ARN, alias name or bare key id; names and ids
// resolve in account and region (as AWS resolves them in the caller's account). A key past its
// deletion date is not found.
func (c *Cloud) resolveKey(ctx context.Context, q querier, account, region, id string) (*keyRow, error) {
	var row *sql.Row
	switch {
	case strings.HasPrefix(id, "arn:"):
		parts := strings.SplitN(id, ":", 6)
		if len(parts) != 6 || parts[2] != "kms" {
			return nil, fmt.Errorf("%q is not a KMS key or alias ARN: %w", id, backend.ErrInvalid)
		}
		if strings.HasPrefix(parts[5], "alias/") {
			row = q.QueryRowContext(ctx, `SELECT `+prefixed("k", keyColumns)+` FROM kms_keys k JOIN kms_aliases a ON a.key_id = k.key_id
				WHERE a.account_id = ? AND a.region = ? AND a.alias_name = ?`, parts[4], parts[3], parts[5])
		} else {
			row = q.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM kms_keys WHERE arn = ?`, id)
		}
	case strings.HasPrefix(id, "alias/"):
		row = q.QueryRowContext(ctx, `SELECT `+prefixed("k", keyColumns)+` FROM kms_keys k JOIN kms_aliases a ON a.key_id = k.key_id
			WHERE a.account_id = ? AND a.region = ? AND a.alias_name = ?`, account, region, id)
	default:
		row = q.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM kms_keys WHERE key_id = ? AND account_id = ? AND region = ?`, id, account, region)
	}
	k, err := scanKey(row)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && c.deleted(k)) {
		return nil, backend.NotFoundError(backend.KindKey, id)
	}
	return k, err
}

func prefixed(alias, columns string) string {
	cols := strings.Split(columns, ", ")
	for i, col := range cols {
		cols[i] = alias + "." + col
	}
	return strings.Join(cols, ", ")
}

func (c *Cloud) keyAliases(ctx context.Context, q querier, keyID string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT alias_name FROM kms_aliases WHERE key_id = ? ORDER BY alias_name`, keyID)
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

func (c *Cloud) toKey(ctx context.Context, q querier, k *keyRow) (*backend.Key, error) {
	aliases, err := c.keyAliases(ctx, q, k.keyID)
	if err != nil {
		return nil, err
	}
	out := &backend.Key{
		KeyID: k.keyID, ARN: k.arn, AccountID: k.account, Region: k.region, Description: k.description,
		Aliases: aliases, CustomerManaged: k.customerManaged, RotationEnabled: k.rotation,
		Policy: k.policy, State: k.state,
	}
	var created string
	if err := q.QueryRowContext(ctx, `SELECT created_at FROM kms_keys WHERE key_id = ?`, k.keyID).Scan(&created); err != nil {
		return nil, err
	}
	out.Created = parseTime(created)
	if out.Tags, err = loadTags(ctx, q, k.arn); err != nil {
		return nil, err
	}
	if k.state == backend.KeyStatePendingDeletion {
		out.DeletionDate = k.deletionDate
	}
	return out, nil
}

// insertKey creates a key with its first material version.
func (c *Cloud) insertKey(ctx context.Context, tx *sql.Tx, account, region, description, keyPolicy string, customerManaged, rotation bool) (*keyRow, error) {
	k := &keyRow{
		keyID: newUUID(), account: account, region: region, description: description,
		customerManaged: customerManaged, rotation: rotation, policy: keyPolicy,
		state: backend.KeyStateEnabled, currentMaterial: 1,
	}
	k.arn = arn.Key(region, account, k.keyID)
	_, err := tx.ExecContext(ctx, `INSERT INTO kms_keys (`+keyColumns+`, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', 1, ?)`,
		k.keyID, k.arn, account, region, description, boolInt(customerManaged), boolInt(rotation), keyPolicy, k.state, c.timestamp())
	if err != nil {
		return nil, err
	}
	return k, c.addMaterial(ctx, tx, k, 1)
}

// addMaterial generates material version v of k, sealed with the master key. The AAD binds
// the sealed material to its key and version, so rows cannot be swapped.
func (c *Cloud) addMaterial(ctx context.Context, tx *sql.Tx, k *keyRow, v int) error {
	material, err := randomKey()
	if err != nil {
		return err
	}
	sealed, err := seal(c.master, material, materialAAD(k.arn, v))
	clear(material)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO kms_key_material (key_id, version, sealed, created_at) VALUES (?, ?, ?, ?)`,
		k.keyID, v, sealed, c.timestamp())
	return err
}

func materialAAD(arn string, v int) []byte {
	return []byte("kms-material\x00" + arn + "\x00" + strconv.Itoa(v))
}

// material unseals material version v of k.
func (c *Cloud) material(ctx context.Context, q querier, k *keyRow, v int) ([]byte, error) {
	var sealed []byte
	err := q.QueryRowContext(ctx, `SELECT sealed FROM kms_key_material WHERE key_id = ? AND version = ?`, k.keyID, v).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("KMS key %s has no material version %d: %w", k.arn, v, backend.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	m, err := unseal(c.master, sealed, materialAAD(k.arn, v))
	if err != nil {
		return nil, fmt.Errorf("KMS key %s material version %d cannot be unsealed with the master key: %w", k.arn, v, err)
	}
	return m, nil
}

// ensureManagedKey returns the AWS-managed aws/s3 key of account and region, creating it on
// first use as AWS does.
func (c *Cloud) ensureManagedKey(ctx context.Context, account, region string) (*keyRow, error) {
	if k, err := c.resolveKey(ctx, c.reader, account, region, managedS3Alias); err == nil || !isNotFound(err) {
		return k, err
	}
	var k *keyRow
	err := c.write(ctx, func(tx *sql.Tx) error {
		var err error
		if k, err = c.resolveKey(ctx, tx, account, region, managedS3Alias); err == nil || !isNotFound(err) {
			return err
		}
		if k, err = c.insertKey(ctx, tx, account, region, "Default key that protects my S3 objects when no other key is defined",
			managedKeyPolicy(account, region), false, true); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO kms_aliases (account_id, region, alias_name, key_id, created_at) VALUES (?, ?, ?, ?, ?)`,
			account, region, managedS3Alias, k.keyID, c.timestamp())
		return err
	})
	return k, err
}

// managedKeyPolicy is the policy AWS gives aws/s3: any principal of the account may use the
// key through S3; the account may read its metadata.
func managedKeyPolicy(account, region string) string {
	return (&policy.Document{Version: policy.Version2012, ID: "auto-s3-2", Statement: []policy.Statement{
		{
			Sid: "Allow access through S3 for all principals in the account that are authorized to use S3", Effect: policy.EffectAllow,
			Principal: policy.AWSPrincipals("*"),
			Action:    []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"},
			Resource:  []string{"*"},
			Condition: map[string]map[string][]string{"StringEquals": {
				"kms:CallerAccount": {account}, "kms:ViaService": {"s3." + region + ".amazonaws.com"},
			}},
		},
		{
			Sid: "Allow direct access to key metadata to the account", Effect: policy.EffectAllow,
			Principal: policy.AWSPrincipals(arn.PartitionOf(region).Root(account)),
			Action:    []string{"kms:Describe*", "kms:Get*", "kms:List*"},
			Resource:  []string{"*"},
		},
	}}).JSON()
}

// checkKeyUse decides whether principal may perform action ("kms:GenerateDataKey" or
// "kms:Decrypt") with k through S3 in viaRegion. The AWS-managed key is refused to every other
// account before any policy is read: AWS offers no way to grant it.
func (c *Cloud) checkKeyUse(ctx context.Context, q querier, principal, action string, k *keyRow, viaRegion string) error {
	caller := policy.AccountOf(principal)
	if principal == backend.AnonymousPrincipal {
		return &AccessDeniedError{Principal: principal, Action: action, Resource: k.arn, Reason: fmt.Sprintf(
			"AccessDenied: %s is not allowed %s on %s: KMS does not serve anonymous requests", principal, action, k.arn)}
	}
	if !k.customerManaged && caller != k.account {
		return &AccessDeniedError{Principal: principal, Action: action, Resource: k.arn, Reason: fmt.Sprintf(
			"AccessDenied: %s is not allowed %s on %s: it is the AWS-managed key %s of account %s, which no other account can use; encrypt the artifact store with a customer-managed key whose key policy grants the role",
			principal, action, k.arn, managedS3Alias, k.account)}
	}
	switch {
	case action == "kms:GenerateDataKey" && k.state != backend.KeyStateEnabled:
		return fmt.Errorf("KMS key %s is %s (deletion date %s): it cannot encrypt: %w: %w",
			k.arn, k.state, k.deletionDate.UTC().Format(time.RFC3339), ErrKeyState, backend.ErrInvalid)
	case c.deleted(k):
		// Until the deletion date a key pending deletion still decrypts, so what was written
		// before can be read back while the deletion may still be cancelled.
		return fmt.Errorf("KMS key %s was deleted on %s: data encrypted under it cannot be decrypted: %w: %w",
			k.arn, k.deletionDate.UTC().Format(time.RFC3339), ErrKeyState, backend.ErrInvalid)
	}
	return c.authorize(ctx, q, accessRequest{
		principal: principal, action: action, resource: k.arn,
		resourceKind: keyPolicyKind, resourcePolicy: k.policy, resourceAccount: k.account,
		context: map[string]string{"kms:CallerAccount": caller, "kms:ViaService": "s3." + viaRegion + ".amazonaws.com"},
	})
}

// dataKeyAAD binds a sealed data key to its key, material version and object (the
// encryption context S3 passes to KMS is the object's ARN).
func dataKeyAAD(keyARN string, v int, objectARN string) []byte {
	return []byte("data-key\x00" + keyARN + "\x00" + strconv.Itoa(v) + "\x00" + objectARN)
}

// generateDataKey makes a fresh data key and seals it with k's current material.
func (c *Cloud) generateDataKey(ctx context.Context, q querier, k *keyRow, objectARN string) (plain, sealed []byte, version int, err error) {
	material, err := c.material(ctx, q, k, k.currentMaterial)
	if err != nil {
		return nil, nil, 0, err
	}
	defer clear(material)
	if plain, err = randomKey(); err != nil {
		return nil, nil, 0, err
	}
	if sealed, err = seal(material, plain, dataKeyAAD(k.arn, k.currentMaterial, objectARN)); err != nil {
		return nil, nil, 0, err
	}
	return plain, sealed, k.currentMaterial, nil
}

// decryptDataKey unseals a data key sealed with material version v of k.
func (c *Cloud) decryptDataKey(ctx context.Context, q querier, k *keyRow, v int, sealed []byte, objectARN string) ([]byte, error) {
	material, err := c.material(ctx, q, k, v)
	if err != nil {
		return nil, err
	}
	defer clear(material)
	plain, err := unseal(material, sealed, dataKeyAAD(k.arn, v, objectARN))
	if err != nil {
		return nil, fmt.Errorf("data key of %s does not open under %s material version %d: %w", objectARN, k.arn, v, err)
	}
	return plain, nil
}

// ---- backend.Backend: keys ----

// CreateKey creates a customer-managed key in the acting account and region. An empty policy
// gets the default: the account root may do everything (kms:*).
func (a *Account) CreateKey(ctx context.Context, spec backend.KeySpec) (*backend.Key, error) {
	keyPolicy, err := a.keyPolicyOrDefault(spec.Policy)
	if err != nil {
		return nil, err
	}
	if err := checkAlias(spec.Alias); err != nil {
		return nil, err
	}
	if err := checkTags(spec.Tags); err != nil {
		return nil, err
	}
	var out *backend.Key
	err = a.c.write(ctx, func(tx *sql.Tx) error {
		k, err := a.c.insertKey(ctx, tx, a.id.AccountID, a.id.Region, spec.Description, keyPolicy, true, spec.RotationEnabled)
		if err != nil {
			return err
		}
		if err := setTags(ctx, tx, k.arn, spec.Tags, true); err != nil {
			return err
		}
		if err := a.setAlias(ctx, tx, k, spec.Alias); err != nil {
			return err
		}
		out, err = a.c.toKey(ctx, tx, k)
		return err
	})
	return out, err
}

// GetKey finds a key by key id, key ARN, alias name or alias ARN. The acting account's
// aws/s3 key is created on first lookup, as AWS creates it on first use.
func (a *Account) GetKey(ctx context.Context, id string) (*backend.Key, error) {
	k, err := a.c.resolveKey(ctx, a.c.reader, a.id.AccountID, a.id.Region, id)
	if isNotFound(err) && a.isOwnManagedAlias(id) {
		k, err = a.c.ensureManagedKey(ctx, a.id.AccountID, a.id.Region)
	}
	if err != nil {
		return nil, err
	}
	return a.c.toKey(ctx, a.c.reader, k)
}

func (a *Account) isOwnManagedAlias(id string) bool {
	return id == managedS3Alias || id == arn.Alias(a.id.Region, a.id.AccountID, managedS3Alias)
}

// UpdateKey sets description, alias, policy and rotation of a customer-managed key of the
// acting account. An empty alias removes the key's alias; an empty policy restores the default.
func (a *Account) UpdateKey(ctx context.Context, keyID string, spec backend.KeySpec) (*backend.Key, error) {
	keyPolicy, err := a.keyPolicyOrDefault(spec.Policy)
	if err != nil {
		return nil, err
	}
	if err := checkAlias(spec.Alias); err != nil {
		return nil, err
	}
	return a.modifyKey(ctx, keyID, func(tx *sql.Tx, k *keyRow) error {
		if _, err := tx.ExecContext(ctx, `UPDATE kms_keys SET description = ?, policy = ?, rotation_enabled = ? WHERE key_id = ?`,
			spec.Description, keyPolicy, boolInt(spec.RotationEnabled), k.keyID); err != nil {
			return err
		}
		return a.setAlias(ctx, tx, k, spec.Alias)
	})
}

// PutKeyPolicy replaces a key's policy (a change "outside Terraform" for drift tests).
func (a *Account) PutKeyPolicy(ctx context.Context, keyID, keyPolicy string) (*backend.Key, error) {
	if _, err := policy.Parse(keyPolicy); err != nil {
		return nil, fmt.Errorf("key policy: %w: %w", err, backend.ErrInvalid)
	}
	return a.modifyKey(ctx, keyID, func(tx *sql.Tx, k *keyRow) error {
		_, err := tx.ExecContext(ctx, `UPDATE kms_keys SET policy = ? WHERE key_id = ?`, keyPolicy, k.keyID)
		return err
	})
}

// ScheduleKeyDeletion puts a customer-managed key in PendingDeletion for windowDays (7–30):
// it stops encrypting at once and stops decrypting at the deletion date. Scheduling a key
// already pending deletion returns it unchanged.
func (a *Account) ScheduleKeyDeletion(ctx context.Context, keyID string, windowDays int) (*backend.Key, error) {
	if windowDays < 7 || windowDays > 30 {
		return nil, fmt.Errorf("deletion window of %d days: it must be 7 to 30 days: %w", windowDays, backend.ErrInvalid)
	}
	return a.modifyKey(ctx, keyID, func(tx *sql.Tx, k *keyRow) error {
		if k.state == backend.KeyStatePendingDeletion {
			return nil
		}
		date := a.c.now().UTC().Add(time.Duration(windowDays) * 24 * time.Hour)
		_, err := tx.ExecContext(ctx, `UPDATE kms_keys SET state = ?, deletion_date = ? WHERE key_id = ?`,
			backend.KeyStatePendingDeletion, date.Format(time.RFC3339Nano), k.keyID)
		return err
	})
}

// CancelKeyDeletion returns a key pending deletion to service before its deletion date. (AWS
// leaves it Disabled; this backend has no Disabled state, so it is Enabled again.)
func (a *Account) CancelKeyDeletion(ctx context.Context, keyID string) (*backend.Key, error) {
	return a.modifyKey(ctx, keyID, func(tx *sql.Tx, k *keyRow) error {
		_, err := tx.ExecContext(ctx, `UPDATE kms_keys SET state = ?, deletion_date = '' WHERE key_id = ?`, backend.KeyStateEnabled, k.keyID)
		return err
	})
}

// RotateKey adds a new material version and makes it current (AWS RotateKeyOnDemand): new
// objects are sealed with it, older objects still decrypt with the version they name.
func (a *Account) RotateKey(ctx context.Context, keyID string) (*backend.Key, error) {
	return a.modifyKey(ctx, keyID, func(tx *sql.Tx, k *keyRow) error {
		if k.state != backend.KeyStateEnabled {
			return fmt.Errorf("KMS key %s is %s: it cannot be rotated: %w: %w", k.arn, k.state, ErrKeyState, backend.ErrInvalid)
		}
		next := k.currentMaterial + 1
		if err := a.c.addMaterial(ctx, tx, k, next); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE kms_keys SET current_material = ? WHERE key_id = ?`, next, k.keyID)
		return err
	})
}

// modifyKey runs change on a customer-managed key of the acting account inside one write
// transaction and returns the key as it is afterwards.
func (a *Account) modifyKey(ctx context.Context, keyID string, change func(tx *sql.Tx, k *keyRow) error) (*backend.Key, error) {
	var out *backend.Key
	err := a.c.write(ctx, func(tx *sql.Tx) error {
		k, err := a.c.resolveKey(ctx, tx, a.id.AccountID, a.id.Region, keyID)
		if err != nil {
			return err
		}
		if k.account != a.id.AccountID {
			return &AccessDeniedError{Principal: a.partition().Root(a.id.AccountID), Action: "kms:UpdateKey", Resource: k.arn,
				Reason: fmt.Sprintf("AccessDenied: account %s cannot change key %s of account %s", a.id.AccountID, k.arn, k.account)}
		}
		if !k.customerManaged {
			return fmt.Errorf("KMS key %s is AWS-managed and cannot be changed: %w", k.arn, backend.ErrInvalid)
		}
		if err := change(tx, k); err != nil {
			return err
		}
		if k, err = a.c.resolveKey(ctx, tx, a.id.AccountID, a.id.Region, k.arn); err != nil {
			return err
		}
		out, err = a.c.toKey(ctx, tx, k)
		return err
	})
	return out, err
}

func (a *Account) keyPolicyOrDefault(doc string) (string, error) {
	if strings.TrimSpace(doc) == "" {
		return policy.KeyPolicy(a.partition(), a.id.AccountID, nil).JSON(), nil
	}
	if _, err := policy.Parse(doc); err != nil {
		return "", fmt.Errorf("key policy: %w: %w", err, backend.ErrInvalid)
	}
	return doc, nil
}

func checkAlias(alias string) error {
	switch {
	case alias == "":
		return nil
	case !aliasPattern.MatchString(alias):
		return fmt.Errorf("alias %q: an alias is \"alias/\" followed by 1–250 of A-Za-z0-9/_-: %w", alias, backend.ErrInvalid)
	case strings.HasPrefix(alias, "alias/aws/"):
		return fmt.Errorf("alias %q: the alias/aws/ prefix is reserved for AWS-managed keys: %w", alias, backend.ErrInvalid)
	}
	return nil
}

// setAlias makes alias (or none, for "") the key's only alias. Aliases are unique per account
// and region; one left behind by a key past its deletion date is reclaimed.
func (a *Account) setAlias(ctx context.Context, tx *sql.Tx, k *keyRow, alias string) error {
	if alias != "" {
		var owner string
		err := tx.QueryRowContext(ctx, `SELECT key_id FROM kms_aliases WHERE account_id = ? AND region = ? AND alias_name = ?`,
			k.account, k.region, alias).Scan(&owner)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case owner != k.keyID:
			if other, err := a.c.resolveKey(ctx, tx, k.account, k.region, owner); err == nil || !isNotFound(err) {
				if err != nil {
					return err
				}
				return fmt.Errorf("alias %s in account %s region %s already names key %s: %w", alias, k.account, k.region, other.arn, backend.ErrAlreadyExists)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM kms_aliases WHERE key_id = ? OR (account_id = ? AND region = ? AND alias_name = ?)`,
		k.keyID, k.account, k.region, alias); err != nil {
		return err
	}
	if alias == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO kms_aliases (account_id, region, alias_name, key_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		k.account, k.region, alias, k.keyID, a.c.timestamp())
	if isUniqueViolation(err) {
		return fmt.Errorf("alias %s: %w", alias, backend.ErrAlreadyExists)
	}
	return err
}

func isNotFound(err error) bool { return errors.Is(err, backend.ErrNotFound) }
