package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/policy"
)

// KMS beyond what the provider's resources need: listing keys, changing one setting, tags,
// several aliases per key, and KMS's own encryption (Encrypt, Decrypt, GenerateDataKey) acting
// as a principal — what the AWS endpoint serves.

// ListKeys lists the keys of the acting account and region that are not deleted, by key id.
func (a *Account) ListKeys(ctx context.Context) ([]*backend.Key, error) {
	rows, err := a.c.reader.QueryContext(ctx, `SELECT `+keyColumns+` FROM kms_keys WHERE account_id = ? AND region = ? ORDER BY key_id`, a.id.AccountID, a.id.Region)
	if err != nil {
		return nil, err
	}
	var ks []*keyRow
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if !a.c.deleted(k) {
			ks = append(ks, k)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*backend.Key, 0, len(ks))
	for _, k := range ks {
		key, err := a.c.toKey(ctx, a.c.reader, k)
		if err != nil {
			return nil, err
		}
		out = append(out, key)
	}
	return out, nil
}

// UpdateKeyDescription sets the description of a customer-managed key of the acting account.
func (a *Account) UpdateKeyDescription(ctx context.Context, keyID, description string) (*backend.Key, error) {
	if len(description) > 8192 {
		return nil, fmt.Errorf("a key description of at most 8192 characters: %w", backend.ErrInvalid)
	}
	return a.modifyKey(ctx, keyID, func(tx *sql.Tx, k *keyRow) error {
		_, err := tx.ExecContext(ctx, `UPDATE kms_keys SET description = ? WHERE key_id = ?`, description, k.keyID)
		return err
	})
}

// SetKeyRotation turns automatic rotation of a customer-managed key on or off.
func (a *Account) SetKeyRotation(ctx context.Context, keyID string, enabled bool) (*backend.Key, error) {
	return a.modifyKey(ctx, keyID, func(tx *sql.Tx, k *keyRow) error {
		if k.state != backend.KeyStateEnabled {
			return fmt.Errorf("KMS key %s is %s: %w: %w", k.arn, k.state, ErrKeyState, backend.ErrInvalid)
		}
		_, err := tx.ExecContext(ctx, `UPDATE kms_keys SET rotation_enabled = ? WHERE key_id = ?`, boolInt(enabled), k.keyID)
		return err
	})
}

// TagKey adds or replaces tags of a customer-managed key.
func (a *Account) TagKey(ctx context.Context, keyID string, tags map[string]string) (*backend.Key, error) {
	return a.modifyKey(ctx, keyID, func(tx *sql.Tx, k *keyRow) error { return setTags(ctx, tx, k.arn, tags, false) })
}

// UntagKey removes the named tags of a customer-managed key.
func (a *Account) UntagKey(ctx context.Context, keyID string, tagKeys []string) (*backend.Key, error) {
	return a.modifyKey(ctx, keyID, func(tx *sql.Tx, k *keyRow) error { return removeTags(ctx, tx, k.arn, tagKeys) })
}

// ---- aliases ----

// CreateAlias names a customer-managed key of the acting account and region; a key may have
// several aliases. A name left behind by a key past its deletion date is reclaimed.
func (a *Account) CreateAlias(ctx context.Context, alias, keyID string) error {
	if err := checkAlias(alias); err != nil {
		return err
	}
	return a.c.write(ctx, func(tx *sql.Tx) error {
		k, err := a.ownKey(ctx, tx, keyID)
		if err != nil {
			return err
		}
		if err := a.freeAlias(ctx, tx, alias); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO kms_aliases (account_id, region, alias_name, key_id, created_at) VALUES (?, ?, ?, ?, ?)`,
			a.id.AccountID, a.id.Region, alias, k.keyID, a.c.timestamp())
		if isUniqueViolation(err) {
			return fmt.Errorf("alias %s: %w", alias, backend.ErrAlreadyExists)
		}
		return err
	})
}

// UpdateAlias points an alias of the acting account and region at another of its keys.
func (a *Account) UpdateAlias(ctx context.Context, alias, keyID string) error {
	if err := checkAlias(alias); err != nil {
		return err
	}
	return a.c.write(ctx, func(tx *sql.Tx) error {
		k, err := a.ownKey(ctx, tx, keyID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE kms_aliases SET key_id = ? WHERE account_id = ? AND region = ? AND alias_name = ?`,
			k.keyID, a.id.AccountID, a.id.Region, alias)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backend.NotFoundError(backend.KindAlias, arn.Alias(a.id.Region, a.id.AccountID, alias))
		}
		return nil
	})
}

// DeleteAlias deletes an alias of the acting account and region (not an AWS-managed one).
func (a *Account) DeleteAlias(ctx context.Context, alias string) error {
	if err := checkAlias(alias); err != nil {
		return err
	}
	return a.c.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM kms_aliases WHERE account_id = ? AND region = ? AND alias_name = ?`, a.id.AccountID, a.id.Region, alias)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backend.NotFoundError(backend.KindAlias, arn.Alias(a.id.Region, a.id.AccountID, alias))
		}
		return nil
	})
}

// ListAliases lists the aliases of the acting account and region whose key is not deleted.
func (a *Account) ListAliases(ctx context.Context) ([]backend.Alias, error) {
	rows, err := a.c.reader.QueryContext(ctx, `SELECT a.alias_name, a.created_at, `+prefixed("k", keyColumns)+` FROM kms_aliases a
		JOIN kms_keys k ON k.key_id = a.key_id WHERE a.account_id = ? AND a.region = ? ORDER BY a.alias_name`, a.id.AccountID, a.id.Region)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []backend.Alias
	for rows.Next() {
		var name, created string
		var k keyRow
		var cm, rot int
		var del string
		if err := rows.Scan(&name, &created, &k.keyID, &k.arn, &k.account, &k.region, &k.description, &cm, &rot, &k.policy, &k.state, &del, &k.currentMaterial); err != nil {
			return nil, err
		}
		k.deletionDate = parseTime(del)
		if a.c.deleted(&k) {
			continue
		}
		out = append(out, backend.Alias{Name: name, ARN: arn.Alias(a.id.Region, a.id.AccountID, name), TargetKeyID: k.keyID, Created: parseTime(created)})
	}
	return out, rows.Err()
}

// ownKey resolves a customer-managed key of the acting account and region.
func (a *Account) ownKey(ctx context.Context, q querier, keyID string) (*keyRow, error) {
	k, err := a.c.resolveKey(ctx, q, a.id.AccountID, a.id.Region, keyID)
	if err != nil {
		return nil, err
	}
	switch {
	case k.account != a.id.AccountID || k.region != a.id.Region:
		return nil, fmt.Errorf("KMS key %s is not a key of account %s in %s: %w", k.arn, a.id.AccountID, a.id.Region, backend.ErrInvalid)
	case !k.customerManaged:
		return nil, fmt.Errorf("KMS key %s is AWS-managed: %w", k.arn, backend.ErrInvalid)
	}
	return k, nil
}

// freeAlias makes sure the name is free, removing it when its key is past its deletion date.
func (a *Account) freeAlias(ctx context.Context, tx *sql.Tx, alias string) error {
	var owner string
	err := tx.QueryRowContext(ctx, `SELECT key_id FROM kms_aliases WHERE account_id = ? AND region = ? AND alias_name = ?`,
		a.id.AccountID, a.id.Region, alias).Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	if other, err := a.c.resolveKey(ctx, tx, a.id.AccountID, a.id.Region, owner); err == nil || !isNotFound(err) {
		if err != nil {
			return err
		}
		return fmt.Errorf("alias %s in account %s region %s already names key %s: %w", alias, a.id.AccountID, a.id.Region, other.arn, backend.ErrAlreadyExists)
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM kms_aliases WHERE account_id = ? AND region = ? AND alias_name = ?`, a.id.AccountID, a.id.Region, alias)
	return err
}

// ---- KMS's own encryption ----

// A ciphertext of Encrypt and GenerateDataKey:
//
//	"pkkms" 0x01 | key ARN length (uint16) | key ARN | material version (uint32) | seal(material, plaintext, aad)
//
// where aad binds the key ARN, the material version and the encryption context, so that a
// ciphertext opens only under its key and with the context it was made with.
const ciphertextMagic = "pkkms\x01"

// maxPlaintext is KMS's limit on Encrypt's plaintext.
const maxPlaintext = 4096

func ciphertextAAD(keyARN string, v int, encCtx map[string]string) []byte {
	keys := make([]string, 0, len(encCtx))
	for k := range encCtx {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([][2]string, 0, len(keys))
	for _, k := range keys {
		pairs = append(pairs, [2]string{k, encCtx[k]})
	}
	ctxJSON, _ := json.Marshal(pairs) // strings only: cannot fail
	return []byte(fmt.Sprintf("kms-ciphertext\x00%s\x00%d\x00%s", keyARN, v, ctxJSON))
}

// Encrypt seals plaintext (at most 4096 bytes) with the key's current material, acting as
// principal: kms:Encrypt on the key.
func (a *Account) Encrypt(ctx context.Context, principal, keyID string, plaintext []byte, encCtx map[string]string) ([]byte, string, error) {
	if len(plaintext) == 0 || len(plaintext) > maxPlaintext {
		return nil, "", fmt.Errorf("a plaintext of %d bytes: KMS encrypts 1 to %d: %w", len(plaintext), maxPlaintext, backend.ErrInvalid)
	}
	k, err := a.keyForUse(ctx, principal, "kms:Encrypt", keyID, encCtx)
	if err != nil {
		return nil, "", err
	}
	ct, err := a.c.sealCiphertext(ctx, k, plaintext, encCtx)
	return ct, k.arn, err
}

// GenerateDataKey returns a random data key of size bytes (1–1024) and the same sealed with
// the key, acting as principal: kms:GenerateDataKey on the key.
func (a *Account) GenerateDataKey(ctx context.Context, principal, keyID string, size int, encCtx map[string]string) ([]byte, []byte, string, error) {
	if size < 1 || size > 1024 {
		return nil, nil, "", fmt.Errorf("a data key of %d bytes: KMS makes 1 to 1024: %w", size, backend.ErrInvalid)
	}
	k, err := a.keyForUse(ctx, principal, "kms:GenerateDataKey", keyID, encCtx)
	if err != nil {
		return nil, nil, "", err
	}
	plain := make([]byte, size)
	if _, err := rand.Read(plain); err != nil {
		return nil, nil, "", err
	}
	ct, err := a.c.sealCiphertext(ctx, k, plain, encCtx)
	if err != nil {
		return nil, nil, "", err
	}
	return plain, ct, k.arn, nil
}

// Decrypt opens a ciphertext of Encrypt or GenerateDataKey, acting as principal: kms:Decrypt
// on the key the ciphertext names, which keyID (when set) must also name.
func (a *Account) Decrypt(ctx context.Context, principal string, ciphertext []byte, keyID string, encCtx map[string]string) ([]byte, string, error) {
	keyARN, v, sealed, ok := parseCiphertext(ciphertext)
	if !ok {
		return nil, "", backend.ErrInvalidCiphertext
	}
	k, err := scanKey(a.c.reader.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM kms_keys WHERE arn = ?`, keyARN))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", backend.ErrInvalidCiphertext
	}
	if err != nil {
		return nil, "", err
	}
	if keyID != "" {
		named, err := a.c.resolveKey(ctx, a.c.reader, a.id.AccountID, a.id.Region, keyID)
		if err != nil {
			return nil, "", err
		}
		if named.arn != k.arn {
			return nil, "", fmt.Errorf("the ciphertext was made with %s, not %s: %w", k.arn, named.arn, backend.ErrIncorrectKey)
		}
	}
	if err := a.c.checkDirectKeyUse(ctx, a.normalizePrincipal(principal), "kms:Decrypt", k, encCtx); err != nil {
		return nil, "", err
	}
	material, err := a.c.material(ctx, a.c.reader, k, v)
	if err != nil {
		return nil, "", backend.ErrInvalidCiphertext
	}
	defer clear(material)
	plain, err := unseal(material, sealed, ciphertextAAD(k.arn, v, encCtx))
	if err != nil {
		return nil, "", backend.ErrInvalidCiphertext
	}
	return plain, k.arn, nil
}

// keyForUse resolves keyID (in the acting account and region, or by ARN in any) and decides
// action on it for principal.
func (a *Account) keyForUse(ctx context.Context, principal, action, keyID string, encCtx map[string]string) (*keyRow, error) {
	k, err := a.c.resolveKey(ctx, a.c.reader, a.id.AccountID, a.id.Region, keyID)
	if isNotFound(err) && a.isOwnManagedAlias(keyID) {
		k, err = a.c.ensureManagedKey(ctx, a.id.AccountID, a.id.Region)
	}
	if err != nil {
		return nil, err
	}
	if k.state != backend.KeyStateEnabled {
		return nil, fmt.Errorf("KMS key %s is %s: %w: %w", k.arn, k.state, ErrKeyState, backend.ErrInvalid)
	}
	return k, a.c.checkDirectKeyUse(ctx, a.normalizePrincipal(principal), action, k, encCtx)
}

// checkDirectKeyUse decides a direct call of KMS (not through S3): the key policy and the
// principal's identity policies, with the request's encryption context as condition keys.
// The AWS-managed aws/s3 key's policy allows its use through S3 only, so direct use of it is
// refused by its own policy, as in AWS.
func (c *Cloud) checkDirectKeyUse(ctx context.Context, principal, action string, k *keyRow, encCtx map[string]string) error {
	caller := policy.AccountOf(principal)
	switch {
	case principal == backend.AnonymousPrincipal:
		return &AccessDeniedError{Principal: principal, Action: action, Resource: k.arn, Reason: fmt.Sprintf(
			"AccessDenied: %s is not allowed %s on %s: KMS does not serve anonymous requests", principal, action, k.arn)}
	case !k.customerManaged && caller != k.account:
		return &AccessDeniedError{Principal: principal, Action: action, Resource: k.arn, Reason: fmt.Sprintf(
			"AccessDenied: %s is not allowed %s on %s: it is an AWS-managed key of account %s, which no other account can use", principal, action, k.arn, k.account)}
	case action == "kms:Decrypt" && c.deleted(k):
		return fmt.Errorf("KMS key %s was deleted on %s: %w: %w", k.arn, k.deletionDate.UTC().Format(time.RFC3339), ErrKeyState, backend.ErrInvalid)
	}
	cond := map[string]string{"kms:CallerAccount": caller}
	for key, v := range encCtx {
		cond["kms:EncryptionContext:"+key] = v
	}
	return c.authorize(ctx, c.reader, accessRequest{
		principal: principal, action: action, resource: k.arn,
		resourceKind: keyPolicyKind, resourcePolicy: k.policy, resourceAccount: k.account, context: cond,
	})
}

func (c *Cloud) sealCiphertext(ctx context.Context, k *keyRow, plaintext []byte, encCtx map[string]string) ([]byte, error) {
	material, err := c.material(ctx, c.reader, k, k.currentMaterial)
	if err != nil {
		return nil, err
	}
	defer clear(material)
	sealed, err := seal(material, plaintext, ciphertextAAD(k.arn, k.currentMaterial, encCtx))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(ciphertextMagic)
	_ = binary.Write(&b, binary.BigEndian, uint16(len(k.arn)))
	b.WriteString(k.arn)
	_ = binary.Write(&b, binary.BigEndian, uint32(k.currentMaterial))
	b.Write(sealed)
	return b.Bytes(), nil
}

func parseCiphertext(ct []byte) (keyARN string, version int, sealed []byte, ok bool) {
	rest, found := bytes.CutPrefix(ct, []byte(ciphertextMagic))
	if !found || len(rest) < 2 {
		return "", 0, nil, false
	}
	n := int(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	if len(rest) < n+4 {
		return "", 0, nil, false
	}
	keyARN, rest = string(rest[:n]), rest[n:]
	version = int(binary.BigEndian.Uint32(rest))
	if !strings.HasPrefix(keyARN, "arn:") || version < 1 {
		return "", 0, nil, false
	}
	return keyARN, version, rest[4:], true
}
