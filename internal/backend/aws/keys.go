package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// Keys. A key of another account is read as far as KMS lets a caller of this account read it:
// DescribeKey and the rotation status when its key policy allows; its aliases, policy and
// tags only its own account reads.

// CreateKey creates a symmetric customer-managed key with its policy (retried while IAM has
// not made its principals known yet), tags, alias and rotation. A taken alias is refused
// before the key is made; a later failure schedules the new key's deletion (7 days).
func (b *Backend) CreateKey(ctx context.Context, spec backend.KeySpec) (*backend.Key, error) {
	if spec.Alias != "" {
		if _, err := b.clients.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: awssdk.String(spec.Alias)}); err == nil {
			return nil, fmt.Errorf("kms:CreateAlias %s: the alias is taken in %s %s: %w", spec.Alias, b.id.AccountID, b.id.Region, backend.ErrAlreadyExists)
		}
	}
	input := &kms.CreateKeyInput{Description: awssdk.String(spec.Description)}
	if spec.Policy != "" {
		input.Policy = awssdk.String(spec.Policy)
	}
	for _, k := range sortedKeys(spec.Tags) {
		input.Tags = append(input.Tags, kmstypes.Tag{TagKey: awssdk.String(k), TagValue: awssdk.String(spec.Tags[k])})
	}
	var out *kms.CreateKeyOutput
	err := retryIAM(ctx, keyPolicyPrincipal, func() (err error) {
		out, err = b.clients.kms.CreateKey(ctx, input)
		return err
	})
	if err != nil {
		return nil, wrap("kms:CreateKey", backend.KindKey, spec.Description, err)
	}
	id := awssdk.ToString(out.KeyMetadata.KeyId)
	undo := func(err error) (*backend.Key, error) {
		_, _ = b.clients.kms.ScheduleKeyDeletion(context.WithoutCancel(ctx), &kms.ScheduleKeyDeletionInput{KeyId: awssdk.String(id), PendingWindowInDays: awssdk.Int32(7)})
		return nil, err
	}
	if spec.Alias != "" {
		if err := b.CreateAlias(ctx, spec.Alias, id); err != nil {
			return undo(err)
		}
	}
	if spec.RotationEnabled {
		if _, err := b.SetKeyRotation(ctx, id, true); err != nil {
			return undo(err)
		}
	}
	return b.GetKey(ctx, id)
}

// GetKey describes a key by key id, key ARN, alias name or alias ARN.
func (b *Backend) GetKey(ctx context.Context, id string) (*backend.Key, error) {
	k := b.clients.kms
	d, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: awssdk.String(id)})
	if err != nil {
		return nil, wrap("kms:DescribeKey", backend.KindKey, id, err)
	}
	m := d.KeyMetadata
	out := &backend.Key{KeyID: awssdk.ToString(m.KeyId), ARN: awssdk.ToString(m.Arn), AccountID: awssdk.ToString(m.AWSAccountId),
		Region: b.id.Region, Description: awssdk.ToString(m.Description), CustomerManaged: m.KeyManager == kmstypes.KeyManagerTypeCustomer,
		State: string(m.KeyState), Created: awssdk.ToTime(m.CreationDate).UTC()}
	if a, err := arn.Parse(out.ARN); err == nil {
		out.Region = a.Region
	}
	if m.DeletionDate != nil {
		out.DeletionDate = m.DeletionDate.UTC()
	}
	if out.State != backend.KeyStatePendingDeletion {
		rot, err := k.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: awssdk.String(out.ARN)})
		switch {
		case err == nil:
			out.RotationEnabled = rot.KeyRotationEnabled
		case !errors.Is(wrap("", "", "", err), backend.ErrAccessDenied) && out.CustomerManaged:
			return nil, wrap("kms:GetKeyRotationStatus", backend.KindKey, id, err)
		}
	}
	if out.AccountID != b.id.AccountID || out.Region != b.id.Region {
		return out, nil // aliases, policy and tags: only the key's own account reads them
	}
	pol, err := k.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: awssdk.String(out.KeyID), PolicyName: awssdk.String("default")})
	if err != nil {
		return nil, wrap("kms:GetKeyPolicy", backend.KindKey, id, err)
	}
	out.Policy = awssdk.ToString(pol.Policy)
	aliases, err := b.aliasesOf(ctx, out.KeyID)
	if err != nil {
		return nil, err
	}
	for _, a := range aliases {
		out.Aliases = append(out.Aliases, a.Name)
	}
	if out.CustomerManaged {
		tags, err := k.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: awssdk.String(out.KeyID)})
		if err != nil {
			return nil, wrap("kms:ListResourceTags", backend.KindKey, id, err)
		}
		for _, t := range tags.Tags {
			if out.Tags == nil {
				out.Tags = map[string]string{}
			}
			out.Tags[awssdk.ToString(t.TagKey)] = awssdk.ToString(t.TagValue)
		}
	}
	return out, nil
}

// customerKey is GetKey of a key this account manages: an AWS-managed key is refused.
func (b *Backend) customerKey(ctx context.Context, id string) (*backend.Key, error) {
	k, err := b.GetKey(ctx, id)
	if err != nil {
		return nil, err
	}
	if !k.CustomerManaged {
		return nil, fmt.Errorf("key %s is managed by AWS: it cannot be changed: %w", id, backend.ErrInvalid)
	}
	return k, nil
}

// UpdateKey sets the description, rotation and, when set, the policy; the alias moves to
// spec.Alias (the key's other aliases are removed).
func (b *Backend) UpdateKey(ctx context.Context, keyID string, spec backend.KeySpec) (*backend.Key, error) {
	cur, err := b.customerKey(ctx, keyID)
	if err != nil {
		return nil, err
	}
	if cur.Description != spec.Description {
		if _, err := b.clients.kms.UpdateKeyDescription(ctx, &kms.UpdateKeyDescriptionInput{KeyId: awssdk.String(cur.KeyID), Description: awssdk.String(spec.Description)}); err != nil {
			return nil, wrap("kms:UpdateKeyDescription", backend.KindKey, keyID, err)
		}
	}
	if spec.Policy != "" && !samePolicy(spec.Policy, cur.Policy) {
		if err := b.putKeyPolicy(ctx, cur.KeyID, spec.Policy); err != nil {
			return nil, err
		}
	}
	if cur.RotationEnabled != spec.RotationEnabled {
		if _, err := b.SetKeyRotation(ctx, cur.KeyID, spec.RotationEnabled); err != nil {
			return nil, err
		}
	}
	has := false
	for _, a := range cur.Aliases {
		if a == spec.Alias {
			has = true
			continue
		}
		if err := b.DeleteAlias(ctx, a); err != nil {
			return nil, err
		}
	}
	if spec.Alias != "" && !has {
		if err := b.CreateAlias(ctx, spec.Alias, cur.KeyID); err != nil {
			return nil, err
		}
	}
	return b.GetKey(ctx, cur.KeyID)
}

func (b *Backend) putKeyPolicy(ctx context.Context, keyID, doc string) error {
	err := retryIAM(ctx, keyPolicyPrincipal, func() error {
		_, err := b.clients.kms.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: awssdk.String(keyID), PolicyName: awssdk.String("default"), Policy: awssdk.String(doc)})
		return err
	})
	return wrap("kms:PutKeyPolicy", backend.KindKey, keyID, err)
}

// PutKeyPolicy replaces the key policy.
func (b *Backend) PutKeyPolicy(ctx context.Context, keyID, doc string) (*backend.Key, error) {
	if err := b.putKeyPolicy(ctx, keyID, doc); err != nil {
		return nil, err
	}
	return b.GetKey(ctx, keyID)
}

// ScheduleKeyDeletion puts the key in PendingDeletion for windowDays (KMS checks 7–30).
func (b *Backend) ScheduleKeyDeletion(ctx context.Context, keyID string, windowDays int) (*backend.Key, error) {
	if windowDays < 7 || windowDays > 30 {
		return nil, fmt.Errorf("kms:ScheduleKeyDeletion %s: a window of %d days is not 7–30: %w", keyID, windowDays, backend.ErrInvalid)
	}
	if _, err := b.clients.kms.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: awssdk.String(keyID), PendingWindowInDays: awssdk.Int32(int32(windowDays))}); err != nil { //nolint:gosec // 7–30
		return nil, wrap("kms:ScheduleKeyDeletion", backend.KindKey, keyID, err)
	}
	return b.GetKey(ctx, keyID)
}

// CancelKeyDeletion takes a scheduled deletion back; KMS leaves the key disabled, and it is
// enabled again as it was before.
func (b *Backend) CancelKeyDeletion(ctx context.Context, keyID string) (*backend.Key, error) {
	if _, err := b.clients.kms.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: awssdk.String(keyID)}); err != nil {
		return nil, wrap("kms:CancelKeyDeletion", backend.KindKey, keyID, err)
	}
	if k, err := b.GetKey(ctx, keyID); err == nil && k.State == string(kmstypes.KeyStateDisabled) {
		if _, err := b.clients.kms.EnableKey(ctx, &kms.EnableKeyInput{KeyId: awssdk.String(keyID)}); err != nil {
			return nil, wrap("kms:EnableKey", backend.KindKey, keyID, err)
		}
	}
	return b.GetKey(ctx, keyID)
}

// RotateKey rotates the key material now (KMS's on-demand rotation).
func (b *Backend) RotateKey(ctx context.Context, keyID string) (*backend.Key, error) {
	if _, err := b.clients.kms.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: awssdk.String(keyID)}); err != nil {
		return nil, wrap("kms:RotateKeyOnDemand", backend.KindKey, keyID, err)
	}
	return b.GetKey(ctx, keyID)
}

// ListKeys lists the keys of the account and region, by key id.
func (b *Backend) ListKeys(ctx context.Context) ([]*backend.Key, error) {
	var out []*backend.Key
	p := kms.NewListKeysPaginator(b.clients.kms, &kms.ListKeysInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("kms:ListKeys", backend.KindKey, "*", err)
		}
		for _, e := range page.Keys {
			k, err := b.GetKey(ctx, awssdk.ToString(e.KeyId))
			if err != nil {
				return nil, err
			}
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].KeyID < out[j].KeyID })
	return out, nil
}

// UpdateKeyDescription sets the description.
func (b *Backend) UpdateKeyDescription(ctx context.Context, keyID, description string) (*backend.Key, error) {
	if _, err := b.clients.kms.UpdateKeyDescription(ctx, &kms.UpdateKeyDescriptionInput{KeyId: awssdk.String(keyID), Description: awssdk.String(description)}); err != nil {
		return nil, wrap("kms:UpdateKeyDescription", backend.KindKey, keyID, err)
	}
	return b.GetKey(ctx, keyID)
}

// SetKeyRotation turns yearly rotation on or off.
func (b *Backend) SetKeyRotation(ctx context.Context, keyID string, enabled bool) (*backend.Key, error) {
	var err error
	if enabled {
		_, err = b.clients.kms.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: awssdk.String(keyID)})
		err = wrap("kms:EnableKeyRotation", backend.KindKey, keyID, err)
	} else {
		_, err = b.clients.kms.DisableKeyRotation(ctx, &kms.DisableKeyRotationInput{KeyId: awssdk.String(keyID)})
		err = wrap("kms:DisableKeyRotation", backend.KindKey, keyID, err)
	}
	if err != nil {
		return nil, err
	}
	return b.GetKey(ctx, keyID)
}

// TagKey adds or replaces tags.
func (b *Backend) TagKey(ctx context.Context, keyID string, tags map[string]string) (*backend.Key, error) {
	input := &kms.TagResourceInput{KeyId: awssdk.String(keyID)}
	for _, k := range sortedKeys(tags) {
		input.Tags = append(input.Tags, kmstypes.Tag{TagKey: awssdk.String(k), TagValue: awssdk.String(tags[k])})
	}
	if _, err := b.clients.kms.TagResource(ctx, input); err != nil {
		return nil, wrap("kms:TagResource", backend.KindKey, keyID, err)
	}
	return b.GetKey(ctx, keyID)
}

// UntagKey removes the named tags.
func (b *Backend) UntagKey(ctx context.Context, keyID string, tagKeys []string) (*backend.Key, error) {
	if _, err := b.clients.kms.UntagResource(ctx, &kms.UntagResourceInput{KeyId: awssdk.String(keyID), TagKeys: tagKeys}); err != nil {
		return nil, wrap("kms:UntagResource", backend.KindKey, keyID, err)
	}
	return b.GetKey(ctx, keyID)
}

// CreateAlias names a key of the account and region. KMS reserves alias/aws/.
func (b *Backend) CreateAlias(ctx context.Context, alias, keyID string) error {
	if strings.HasPrefix(alias, "alias/aws/") {
		return fmt.Errorf("kms:CreateAlias %s: alias/aws/ is reserved for AWS-managed keys: %w", alias, backend.ErrInvalid)
	}
	_, err := b.clients.kms.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: awssdk.String(alias), TargetKeyId: awssdk.String(keyIDOf(keyID))})
	return wrap("kms:CreateAlias", backend.KindAlias, alias, err)
}

// keyIDOf is the key id of a key ARN (CreateAlias and UpdateAlias take an id or an ARN; an
// id is what every KMS takes).
func keyIDOf(s string) string {
	if a, err := arn.Parse(s); err == nil && strings.HasPrefix(a.Resource, "key/") {
		return strings.TrimPrefix(a.Resource, "key/")
	}
	return s
}

// UpdateAlias points an alias at another key.
func (b *Backend) UpdateAlias(ctx context.Context, alias, keyID string) error {
	_, err := b.clients.kms.UpdateAlias(ctx, &kms.UpdateAliasInput{AliasName: awssdk.String(alias), TargetKeyId: awssdk.String(keyIDOf(keyID))})
	return wrap("kms:UpdateAlias", backend.KindAlias, alias, err)
}

// DeleteAlias deletes an alias.
func (b *Backend) DeleteAlias(ctx context.Context, alias string) error {
	_, err := b.clients.kms.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: awssdk.String(alias)})
	return wrap("kms:DeleteAlias", backend.KindAlias, alias, err)
}

// ListAliases lists the aliases of the account and region that name a key, by name.
func (b *Backend) ListAliases(ctx context.Context) ([]backend.Alias, error) {
	return b.aliasesOf(ctx, "")
}

func (b *Backend) aliasesOf(ctx context.Context, keyID string) ([]backend.Alias, error) {
	var out []backend.Alias
	p := kms.NewListAliasesPaginator(b.clients.kms, &kms.ListAliasesInput{KeyId: optional(keyID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("kms:ListAliases", backend.KindAlias, "*", err)
		}
		for _, a := range page.Aliases {
			if a.TargetKeyId == nil {
				continue // an AWS-managed alias whose key AWS has not made yet
			}
			out = append(out, backend.Alias{Name: awssdk.ToString(a.AliasName), ARN: awssdk.ToString(a.AliasArn), TargetKeyID: awssdk.ToString(a.TargetKeyId),
				Created: awssdk.ToTime(a.CreationDate).UTC()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Encrypt encrypts with the key, acting as principal.
func (b *Backend) Encrypt(ctx context.Context, principal, keyID string, plaintext []byte, encryptionContext map[string]string) ([]byte, string, error) {
	c, err := b.as.of(principal)
	if err != nil {
		return nil, "", err
	}
	out, err := c.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: awssdk.String(keyID), Plaintext: plaintext, EncryptionContext: encryptionContext})
	if err != nil {
		return nil, "", wrap("kms:Encrypt", backend.KindKey, keyID, err)
	}
	return out.CiphertextBlob, awssdk.ToString(out.KeyId), nil
}

// Decrypt opens a ciphertext, acting as principal.
func (b *Backend) Decrypt(ctx context.Context, principal string, ciphertext []byte, keyID string, encryptionContext map[string]string) ([]byte, string, error) {
	c, err := b.as.of(principal)
	if err != nil {
		return nil, "", err
	}
	out, err := c.kms.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: ciphertext, KeyId: optional(keyID), EncryptionContext: encryptionContext})
	if err != nil {
		return nil, "", wrap("kms:Decrypt", backend.KindKey, keyID, err)
	}
	return out.Plaintext, awssdk.ToString(out.KeyId), nil
}

// GenerateDataKey returns a data key of size bytes, in the clear and sealed.
func (b *Backend) GenerateDataKey(ctx context.Context, principal, keyID string, size int, encryptionContext map[string]string) ([]byte, []byte, string, error) {
	c, err := b.as.of(principal)
	if err != nil {
		return nil, nil, "", err
	}
	out, err := c.kms.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: awssdk.String(keyID), NumberOfBytes: awssdk.Int32(int32(size)), EncryptionContext: encryptionContext}) //nolint:gosec // KMS checks 1–1024
	if err != nil {
		return nil, nil, "", wrap("kms:GenerateDataKey", backend.KindKey, keyID, err)
	}
	return out.Plaintext, out.CiphertextBlob, awssdk.ToString(out.KeyId), nil
}
