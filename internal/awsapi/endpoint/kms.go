package endpoint

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// KMS (JSON 1.1, TrentService): keys, aliases, tags, rotation, deletion, and KMS's own
// encryption, over backend.Keys.

func registerKMS(e *Endpoint) {
	for op, h := range map[string]awsapi.Handler{
		"CreateKey":                       awsapi.Handle(e.createKey),
		"DescribeKey":                     awsapi.Handle(e.describeKey),
		"ListKeys":                        awsapi.Handle(e.listKeys),
		"GetKeyPolicy":                    awsapi.Handle(e.getKeyPolicy),
		"PutKeyPolicy":                    awsapi.Handle(e.putKeyPolicy),
		"ListKeyPolicies":                 awsapi.Handle(e.listKeyPolicies),
		"EnableKeyRotation":               awsapi.Handle(e.enableKeyRotation),
		"DisableKeyRotation":              awsapi.Handle(e.disableKeyRotation),
		"GetKeyRotationStatus":            awsapi.Handle(e.getKeyRotationStatus),
		"UpdateKeyDescription":            awsapi.Handle(e.updateKeyDescription),
		"ScheduleKeyDeletion":             awsapi.Handle(e.scheduleKeyDeletion),
		"CancelKeyDeletion":               awsapi.Handle(e.cancelKeyDeletion),
		"CreateAlias":                     awsapi.Handle(e.createAlias),
		"UpdateAlias":                     awsapi.Handle(e.updateAlias),
		"DeleteAlias":                     awsapi.Handle(e.deleteAlias),
		"ListAliases":                     awsapi.Handle(e.listAliases),
		"TagResource":                     awsapi.Handle(e.tagKey),
		"UntagResource":                   awsapi.Handle(e.untagKey),
		"ListResourceTags":                awsapi.Handle(e.listResourceTags),
		"Encrypt":                         awsapi.Handle(e.encrypt),
		"Decrypt":                         awsapi.Handle(e.decrypt),
		"GenerateDataKey":                 awsapi.Handle(e.generateDataKey),
		"GenerateDataKeyWithoutPlaintext": awsapi.Handle(e.generateDataKeyWithoutPlaintext),
	} {
		e.Register("kms", op, h)
	}
}

// kmsError answers a backend error in KMS's words.
func (e *Endpoint) kmsError(req *awsapi.Request, err error) error {
	switch {
	case errors.Is(err, backend.ErrKeyState):
		return wire.NewError(400, "KMSInvalidStateException", "%s", err.Error())
	case errors.Is(err, backend.ErrInvalidCiphertext):
		return wire.NewError(400, "InvalidCiphertextException", "")
	case errors.Is(err, backend.ErrIncorrectKey):
		return wire.NewError(400, "IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
	case errors.Is(err, backend.ErrAlreadyExists):
		return wire.NewError(400, "AlreadyExistsException", "%s", err.Error())
	}
	return e.serviceError(req, err, func(nf *backend.NotFound) *wire.Error {
		switch nf.Kind {
		case backend.KindKey:
			if strings.Contains(nf.Name, "alias/") {
				return wire.NewError(400, "NotFoundException", "Alias %s is not found.", nf.Name)
			}
			return wire.NewError(400, "NotFoundException", "Key '%s' does not exist", nf.Name)
		case backend.KindAlias:
			return wire.NewError(400, "NotFoundException", "Alias %s is not found.", nf.Name)
		}
		return nil
	})
}

// key resolves the request's key id (a key id, key ARN, alias name or alias ARN) and decides
// action on it.
func (e *Endpoint) key(ctx context.Context, req *awsapi.Request, keyID, action string) (*backend.Key, error) {
	if keyID == "" {
		return nil, wire.MissingParameter(req.Service, "keyId")
	}
	k, err := e.account(req).GetKey(ctx, keyID)
	if err != nil {
		if errors.Is(err, backend.ErrNotFound) && strings.HasPrefix(keyID, "arn:") && !strings.Contains(keyID, ":kms:") {
			return nil, wire.NewError(400, "InvalidArnException", "Invalid arn %s", keyID)
		}
		return nil, e.kmsError(req, err)
	}
	if err := e.authorize(ctx, req, action, k.ARN); err != nil {
		return nil, err
	}
	return k, nil
}

// ownKey is key for a change only the key's account makes.
func (e *Endpoint) ownKey(ctx context.Context, req *awsapi.Request, keyID, action string) (*backend.Key, error) {
	k, err := e.key(ctx, req, keyID, action)
	if err != nil {
		return nil, err
	}
	if k.AccountID != req.Principal.Account || k.Region != req.Region {
		return nil, wire.NewError(400, "NotFoundException", "Key '%s' does not exist", keyID)
	}
	if !k.CustomerManaged {
		return nil, wire.NewError(400, "UnsupportedOperationException", "%s is an AWS managed key, which cannot be changed", k.ARN)
	}
	return k, nil
}

type kmsTag struct {
	TagKey, TagValue string
}

func kmsTags(m map[string]string) []kmsTag {
	out := make([]kmsTag, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, kmsTag{k, m[k]})
	}
	return out
}

func tagMap(req *awsapi.Request, tags []kmsTag) (map[string]string, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, t := range tags {
		if _, dup := out[t.TagKey]; dup {
			return nil, wire.NewError(400, "TagException", "Duplicate tag keys: %s", t.TagKey)
		}
		out[t.TagKey] = t.TagValue
	}
	return out, nil
}

type keyMetadata struct {
	AWSAccountId                string             //nolint:revive // the API's member names
	KeyId                       string             //nolint:revive
	Arn                         string             //nolint:revive
	CreationDate                *wire.EpochSeconds `json:",omitempty"`
	Enabled                     bool
	Description                 string
	KeyUsage                    string
	KeyState                    string
	DeletionDate                *wire.EpochSeconds `json:",omitempty"`
	PendingDeletionWindowInDays *int               `json:",omitempty"`
	Origin                      string
	KeyManager                  string
	CustomerMasterKeySpec       string
	KeySpec                     string
	EncryptionAlgorithms        []string
	MultiRegion                 bool
}

func metadataOf(k *backend.Key) *keyMetadata {
	m := &keyMetadata{
		AWSAccountId: k.AccountID, KeyId: k.KeyID, Arn: k.ARN, Enabled: k.State == backend.KeyStateEnabled,
		Description: k.Description, KeyUsage: "ENCRYPT_DECRYPT", KeyState: k.State, Origin: "AWS_KMS", KeyManager: "CUSTOMER",
		CustomerMasterKeySpec: "SYMMETRIC_DEFAULT", KeySpec: "SYMMETRIC_DEFAULT", EncryptionAlgorithms: []string{"SYMMETRIC_DEFAULT"},
	}
	if !k.Created.IsZero() {
		m.CreationDate = wire.Epoch(k.Created)
	}
	if !k.CustomerManaged {
		m.KeyManager = "AWS"
	}
	if k.State == backend.KeyStatePendingDeletion {
		m.DeletionDate = wire.Epoch(k.DeletionDate)
	}
	return m
}

// ---- keys ----

type createKeyInput struct {
	Policy, Description, KeyUsage, KeySpec, CustomerMasterKeySpec, Origin string
	MultiRegion                                                           bool
	Tags                                                                  []kmsTag
}

type keyMetadataOutput struct {
	KeyMetadata *keyMetadata
}

func (e *Endpoint) createKey(ctx context.Context, req *awsapi.Request, in *createKeyInput) (*keyMetadataOutput, error) {
	switch {
	case in.KeyUsage != "" && in.KeyUsage != "ENCRYPT_DECRYPT":
		return nil, wire.NewError(400, "UnsupportedOperationException", "KeyUsage %s is not supported by the local cloud: ENCRYPT_DECRYPT only", in.KeyUsage)
	case in.KeySpec != "" && in.KeySpec != "SYMMETRIC_DEFAULT", in.CustomerMasterKeySpec != "" && in.CustomerMasterKeySpec != "SYMMETRIC_DEFAULT":
		return nil, wire.NewError(400, "UnsupportedOperationException", "only SYMMETRIC_DEFAULT keys are supported by the local cloud")
	case in.Origin != "" && in.Origin != "AWS_KMS":
		return nil, wire.NewError(400, "UnsupportedOperationException", "Origin %s is not supported by the local cloud: AWS_KMS only", in.Origin)
	case in.MultiRegion:
		return nil, wire.NewError(400, "UnsupportedOperationException", "multi-Region keys are not supported by the local cloud")
	}
	tags, err := tagMap(req, in.Tags)
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, req, "kms:CreateKey", "*"); err != nil {
		return nil, err
	}
	k, err := e.account(req).CreateKey(ctx, backend.KeySpec{Description: in.Description, Policy: in.Policy, Tags: tags})
	if errors.Is(err, backend.ErrInvalid) && in.Policy != "" && strings.Contains(err.Error(), "key policy") {
		return nil, wire.NewError(400, "MalformedPolicyDocumentException", "%s", err.Error())
	}
	if err != nil {
		return nil, e.kmsError(req, err)
	}
	return &keyMetadataOutput{KeyMetadata: metadataOf(k)}, nil
}

type keyIDInput struct {
	KeyId string //nolint:revive // the API's member name
}

func (e *Endpoint) describeKey(ctx context.Context, req *awsapi.Request, in *keyIDInput) (*keyMetadataOutput, error) {
	k, err := e.key(ctx, req, in.KeyId, "kms:DescribeKey")
	if err != nil {
		return nil, err
	}
	return &keyMetadataOutput{KeyMetadata: metadataOf(k)}, nil
}

type pageInput struct {
	Limit  int
	Marker string
}

// pageOf returns the n items after the marker, and the next marker when more follow.
func pageOf(req *awsapi.Request, in pageInput, n int) (from, to int, next string, err error) {
	if in.Limit < 0 || in.Limit > 1000 {
		return 0, 0, "", wire.Validation(req.Service, "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000", in.Limit)
	}
	limit := in.Limit
	if limit == 0 {
		limit = 100
	}
	if in.Marker != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(in.Marker)
		i, perr := strconv.Atoi(string(raw))
		if derr != nil || perr != nil || i < 0 || i > n {
			return 0, 0, "", wire.NewError(400, "InvalidMarkerException", "Invalid marker %s", in.Marker)
		}
		from = i
	}
	to = min(from+limit, n)
	if to < n {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(to)))
	}
	return from, to, next, nil
}

type keyListEntry struct {
	KeyId, KeyArn string //nolint:revive // the API's member names
}

type listKeysOutput struct {
	Keys       []keyListEntry
	NextMarker string `json:",omitempty"`
	Truncated  bool
}

func (e *Endpoint) listKeys(ctx context.Context, req *awsapi.Request, in *pageInput) (*listKeysOutput, error) {
	if err := e.authorize(ctx, req, "kms:ListKeys", "*"); err != nil {
		return nil, err
	}
	keys, err := e.account(req).ListKeys(ctx)
	if err != nil {
		return nil, e.kmsError(req, err)
	}
	from, to, next, err := pageOf(req, *in, len(keys))
	if err != nil {
		return nil, err
	}
	out := &listKeysOutput{Keys: []keyListEntry{}, NextMarker: next, Truncated: next != ""}
	for _, k := range keys[from:to] {
		out.Keys = append(out.Keys, keyListEntry{KeyId: k.KeyID, KeyArn: k.ARN})
	}
	return out, nil
}

type keyPolicyInput struct {
	KeyId, PolicyName, Policy string //nolint:revive // the API's member names
}

func checkPolicyName(req *awsapi.Request, name string) error {
	if name != "" && name != "default" {
		return wire.NewError(400, "NotFoundException", "No such policy exists: %s (a key has one policy, \"default\")", name)
	}
	return nil
}

type keyPolicyOutput struct {
	Policy, PolicyName string
}

func (e *Endpoint) getKeyPolicy(ctx context.Context, req *awsapi.Request, in *keyPolicyInput) (*keyPolicyOutput, error) {
	if err := checkPolicyName(req, in.PolicyName); err != nil {
		return nil, err
	}
	k, err := e.key(ctx, req, in.KeyId, "kms:GetKeyPolicy")
	if err != nil {
		return nil, err
	}
	return &keyPolicyOutput{Policy: k.Policy, PolicyName: "default"}, nil
}

func (e *Endpoint) putKeyPolicy(ctx context.Context, req *awsapi.Request, in *keyPolicyInput) (*struct{}, error) {
	if err := checkPolicyName(req, in.PolicyName); err != nil {
		return nil, err
	}
	if in.Policy == "" {
		return nil, wire.MissingParameter(req.Service, "policy")
	}
	k, err := e.ownKey(ctx, req, in.KeyId, "kms:PutKeyPolicy")
	if err != nil {
		return nil, err
	}
	_, err = e.account(req).PutKeyPolicy(ctx, k.KeyID, in.Policy)
	if errors.Is(err, backend.ErrInvalid) {
		return nil, wire.NewError(400, "MalformedPolicyDocumentException", "%s", err.Error())
	}
	if err != nil {
		return nil, e.kmsError(req, err)
	}
	return &struct{}{}, nil
}

type listKeyPoliciesOutput struct {
	PolicyNames []string
	Truncated   bool
}

func (e *Endpoint) listKeyPolicies(ctx context.Context, req *awsapi.Request, in *keyIDInput) (*listKeyPoliciesOutput, error) {
	if _, err := e.key(ctx, req, in.KeyId, "kms:ListKeyPolicies"); err != nil {
		return nil, err
	}
	return &listKeyPoliciesOutput{PolicyNames: []string{"default"}}, nil
}

type rotationInput struct {
	KeyId                string //nolint:revive // the API's member name
	RotationPeriodInDays int
}

func (e *Endpoint) enableKeyRotation(ctx context.Context, req *awsapi.Request, in *rotationInput) (*struct{}, error) {
	return e.setRotation(ctx, req, in, true)
}

func (e *Endpoint) disableKeyRotation(ctx context.Context, req *awsapi.Request, in *rotationInput) (*struct{}, error) {
	return e.setRotation(ctx, req, in, false)
}

func (e *Endpoint) setRotation(ctx context.Context, req *awsapi.Request, in *rotationInput, on bool) (*struct{}, error) {
	if in.RotationPeriodInDays != 0 && in.RotationPeriodInDays != defaultRotationDays {
		return nil, wire.NewError(400, "UnsupportedOperationException", "the local cloud rotates keys every %d days: RotationPeriodInDays %d is not supported", defaultRotationDays, in.RotationPeriodInDays)
	}
	action := "kms:DisableKeyRotation"
	if on {
		action = "kms:EnableKeyRotation"
	}
	k, err := e.ownKey(ctx, req, in.KeyId, action)
	if err != nil {
		return nil, err
	}
	if _, err := e.account(req).SetKeyRotation(ctx, k.KeyID, on); err != nil {
		return nil, e.kmsError(req, err)
	}
	return &struct{}{}, nil
}

// defaultRotationDays is KMS's rotation period.
const defaultRotationDays = 365

type rotationStatusOutput struct {
	KeyRotationEnabled   bool
	KeyId                string //nolint:revive // the API's member name
	RotationPeriodInDays *int   `json:",omitempty"`
}

func (e *Endpoint) getKeyRotationStatus(ctx context.Context, req *awsapi.Request, in *keyIDInput) (*rotationStatusOutput, error) {
	k, err := e.key(ctx, req, in.KeyId, "kms:GetKeyRotationStatus")
	if err != nil {
		return nil, err
	}
	out := &rotationStatusOutput{KeyRotationEnabled: k.RotationEnabled, KeyId: k.ARN}
	if k.RotationEnabled {
		days := defaultRotationDays
		out.RotationPeriodInDays = &days
	}
	return out, nil
}

type updateKeyDescriptionInput struct {
	KeyId, Description string //nolint:revive // the API's member names
}

func (e *Endpoint) updateKeyDescription(ctx context.Context, req *awsapi.Request, in *updateKeyDescriptionInput) (*struct{}, error) {
	k, err := e.ownKey(ctx, req, in.KeyId, "kms:UpdateKeyDescription")
	if err != nil {
		return nil, err
	}
	if _, err := e.account(req).UpdateKeyDescription(ctx, k.KeyID, in.Description); err != nil {
		return nil, e.kmsError(req, err)
	}
	return &struct{}{}, nil
}

type scheduleKeyDeletionInput struct {
	KeyId               string //nolint:revive // the API's member name
	PendingWindowInDays int
}

type scheduleKeyDeletionOutput struct {
	KeyId               string //nolint:revive // the API's member name
	DeletionDate        *wire.EpochSeconds
	KeyState            string
	PendingWindowInDays int
}

func (e *Endpoint) scheduleKeyDeletion(ctx context.Context, req *awsapi.Request, in *scheduleKeyDeletionInput) (*scheduleKeyDeletionOutput, error) {
	days := in.PendingWindowInDays
	if days == 0 {
		days = 30
	}
	if days < 7 || days > 30 {
		return nil, wire.Validation(req.Service, "1 validation error detected: Value '%d' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30", days)
	}
	k, err := e.ownKey(ctx, req, in.KeyId, "kms:ScheduleKeyDeletion")
	if err != nil {
		return nil, err
	}
	if k.State == backend.KeyStatePendingDeletion {
		return nil, wire.NewError(400, "KMSInvalidStateException", "%s is pending deletion.", k.ARN)
	}
	if k, err = e.account(req).ScheduleKeyDeletion(ctx, k.KeyID, days); err != nil {
		return nil, e.kmsError(req, err)
	}
	return &scheduleKeyDeletionOutput{KeyId: k.ARN, DeletionDate: wire.Epoch(k.DeletionDate), KeyState: k.State, PendingWindowInDays: days}, nil
}

type keyIDOutput struct {
	KeyId string //nolint:revive // the API's member name
}

func (e *Endpoint) cancelKeyDeletion(ctx context.Context, req *awsapi.Request, in *keyIDInput) (*keyIDOutput, error) {
	k, err := e.ownKey(ctx, req, in.KeyId, "kms:CancelKeyDeletion")
	if err != nil {
		return nil, err
	}
	if k.State != backend.KeyStatePendingDeletion {
		return nil, wire.NewError(400, "KMSInvalidStateException", "%s is not pending deletion.", k.ARN)
	}
	if _, err := e.account(req).CancelKeyDeletion(ctx, k.KeyID); err != nil {
		return nil, e.kmsError(req, err)
	}
	return &keyIDOutput{KeyId: k.ARN}, nil
}

// ---- aliases ----

type aliasInput struct {
	AliasName, TargetKeyId string //nolint:revive // the API's member names
}

func (e *Endpoint) aliasCheck(ctx context.Context, req *awsapi.Request, in *aliasInput, action string, needKey bool) (*backend.Key, error) {
	if !strings.HasPrefix(in.AliasName, "alias/") {
		return nil, wire.Validation(req.Service, "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")
	}
	if strings.HasPrefix(in.AliasName, "alias/aws/") {
		return nil, wire.NewError(400, "NotAuthorizedException", "Cannot create, update or delete an alias with the reserved prefix alias/aws/")
	}
	if err := e.authorize(ctx, req, action, arn.Alias(req.Region, req.Principal.Account, in.AliasName)); err != nil {
		return nil, err
	}
	if !needKey {
		return nil, nil
	}
	return e.ownKey(ctx, req, in.TargetKeyId, action)
}

func (e *Endpoint) createAlias(ctx context.Context, req *awsapi.Request, in *aliasInput) (*struct{}, error) {
	k, err := e.aliasCheck(ctx, req, in, "kms:CreateAlias", true)
	if err != nil {
		return nil, err
	}
	if err := e.account(req).CreateAlias(ctx, in.AliasName, k.KeyID); err != nil {
		if errors.Is(err, backend.ErrAlreadyExists) {
			return nil, wire.NewError(400, "AlreadyExistsException", "An alias with the name %s already exists",
				arn.Alias(req.Region, req.Principal.Account, in.AliasName))
		}
		return nil, e.kmsError(req, err)
	}
	return &struct{}{}, nil
}

func (e *Endpoint) updateAlias(ctx context.Context, req *awsapi.Request, in *aliasInput) (*struct{}, error) {
	k, err := e.aliasCheck(ctx, req, in, "kms:UpdateAlias", true)
	if err != nil {
		return nil, err
	}
	if err := e.account(req).UpdateAlias(ctx, in.AliasName, k.KeyID); err != nil {
		return nil, e.kmsError(req, err)
	}
	return &struct{}{}, nil
}

func (e *Endpoint) deleteAlias(ctx context.Context, req *awsapi.Request, in *aliasInput) (*struct{}, error) {
	if _, err := e.aliasCheck(ctx, req, in, "kms:DeleteAlias", false); err != nil {
		return nil, err
	}
	if err := e.account(req).DeleteAlias(ctx, in.AliasName); err != nil {
		return nil, e.kmsError(req, err)
	}
	return &struct{}{}, nil
}

type listAliasesInput struct {
	KeyId  string //nolint:revive // the API's member name
	Limit  int
	Marker string
}

type aliasEntry struct {
	AliasName       string
	AliasArn        string
	TargetKeyId     string             `json:",omitempty"` //nolint:revive // the API's member name
	CreationDate    *wire.EpochSeconds `json:",omitempty"`
	LastUpdatedDate *wire.EpochSeconds `json:",omitempty"`
}

type listAliasesOutput struct {
	Aliases    []aliasEntry
	NextMarker string `json:",omitempty"`
	Truncated  bool
}

func (e *Endpoint) listAliases(ctx context.Context, req *awsapi.Request, in *listAliasesInput) (*listAliasesOutput, error) {
	if err := e.authorize(ctx, req, "kms:ListAliases", "*"); err != nil {
		return nil, err
	}
	acct := e.account(req)
	aliases, err := acct.ListAliases(ctx)
	if err != nil {
		return nil, e.kmsError(req, err)
	}
	if in.KeyId != "" {
		k, err := acct.GetKey(ctx, in.KeyId)
		if err != nil {
			return nil, e.kmsError(req, err)
		}
		var mine []backend.Alias
		for _, a := range aliases {
			if a.TargetKeyID == k.KeyID {
				mine = append(mine, a)
			}
		}
		aliases = mine
	}
	from, to, next, err := pageOf(req, pageInput{Limit: in.Limit, Marker: in.Marker}, len(aliases))
	if err != nil {
		return nil, err
	}
	out := &listAliasesOutput{Aliases: []aliasEntry{}, NextMarker: next, Truncated: next != ""}
	for _, a := range aliases[from:to] {
		out.Aliases = append(out.Aliases, aliasEntry{AliasName: a.Name, AliasArn: a.ARN, TargetKeyId: a.TargetKeyID,
			CreationDate: wire.Epoch(a.Created), LastUpdatedDate: wire.Epoch(a.Created)})
	}
	return out, nil
}

// ---- tags ----

type tagResourceInput struct {
	KeyId   string //nolint:revive // the API's member name
	Tags    []kmsTag
	TagKeys []string
}

func (e *Endpoint) tagKey(ctx context.Context, req *awsapi.Request, in *tagResourceInput) (*struct{}, error) {
	tags, err := tagMap(req, in.Tags)
	if err != nil {
		return nil, err
	}
	k, err := e.ownKey(ctx, req, in.KeyId, "kms:TagResource")
	if err != nil {
		return nil, err
	}
	if _, err := e.account(req).TagKey(ctx, k.KeyID, tags); err != nil {
		if errors.Is(err, backend.ErrInvalid) {
			return nil, wire.NewError(400, "TagException", "%s", err.Error())
		}
		return nil, e.kmsError(req, err)
	}
	return &struct{}{}, nil
}

func (e *Endpoint) untagKey(ctx context.Context, req *awsapi.Request, in *tagResourceInput) (*struct{}, error) {
	k, err := e.ownKey(ctx, req, in.KeyId, "kms:UntagResource")
	if err != nil {
		return nil, err
	}
	if _, err := e.account(req).UntagKey(ctx, k.KeyID, in.TagKeys); err != nil {
		return nil, e.kmsError(req, err)
	}
	return &struct{}{}, nil
}

type listResourceTagsInput struct {
	KeyId  string //nolint:revive // the API's member name
	Limit  int
	Marker string
}

type listResourceTagsOutput struct {
	Tags       []kmsTag
	NextMarker string `json:",omitempty"`
	Truncated  bool
}

func (e *Endpoint) listResourceTags(ctx context.Context, req *awsapi.Request, in *listResourceTagsInput) (*listResourceTagsOutput, error) {
	k, err := e.key(ctx, req, in.KeyId, "kms:ListResourceTags")
	if err != nil {
		return nil, err
	}
	tags := kmsTags(k.Tags)
	from, to, next, err := pageOf(req, pageInput{Limit: in.Limit, Marker: in.Marker}, len(tags))
	if err != nil {
		return nil, err
	}
	return &listResourceTagsOutput{Tags: tags[from:to], NextMarker: next, Truncated: next != ""}, nil
}

// ---- encryption ----

type encryptInput struct {
	KeyId               string //nolint:revive // the API's member name
	Plaintext           []byte
	EncryptionContext   map[string]string
	EncryptionAlgorithm string
}

type encryptOutput struct {
	CiphertextBlob      []byte
	KeyId               string //nolint:revive // the API's member name
	EncryptionAlgorithm string
}

func checkAlgorithm(req *awsapi.Request, alg string) error {
	if alg != "" && alg != "SYMMETRIC_DEFAULT" {
		return wire.NewError(400, "InvalidKeyUsageException", "EncryptionAlgorithm %s is not supported by a SYMMETRIC_DEFAULT key", alg)
	}
	return nil
}

func (e *Endpoint) encrypt(ctx context.Context, req *awsapi.Request, in *encryptInput) (*encryptOutput, error) {
	if err := checkAlgorithm(req, in.EncryptionAlgorithm); err != nil {
		return nil, err
	}
	if in.KeyId == "" {
		return nil, wire.MissingParameter(req.Service, "keyId")
	}
	if len(in.Plaintext) == 0 || len(in.Plaintext) > 4096 {
		return nil, wire.Validation(req.Service, "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and 4096")
	}
	ct, keyARN, err := e.account(req).Encrypt(ctx, principal(req), in.KeyId, in.Plaintext, in.EncryptionContext)
	if err != nil {
		return nil, e.kmsError(req, err)
	}
	return &encryptOutput{CiphertextBlob: ct, KeyId: keyARN, EncryptionAlgorithm: "SYMMETRIC_DEFAULT"}, nil
}

type decryptInput struct {
	CiphertextBlob      []byte
	KeyId               string //nolint:revive // the API's member name
	EncryptionContext   map[string]string
	EncryptionAlgorithm string
}

type decryptOutput struct {
	KeyId               string //nolint:revive // the API's member name
	Plaintext           []byte
	EncryptionAlgorithm string
}

func (e *Endpoint) decrypt(ctx context.Context, req *awsapi.Request, in *decryptInput) (*decryptOutput, error) {
	if err := checkAlgorithm(req, in.EncryptionAlgorithm); err != nil {
		return nil, err
	}
	if len(in.CiphertextBlob) == 0 {
		return nil, wire.MissingParameter(req.Service, "ciphertextBlob")
	}
	plain, keyARN, err := e.account(req).Decrypt(ctx, principal(req), in.CiphertextBlob, in.KeyId, in.EncryptionContext)
	if err != nil {
		return nil, e.kmsError(req, err)
	}
	return &decryptOutput{KeyId: keyARN, Plaintext: plain, EncryptionAlgorithm: "SYMMETRIC_DEFAULT"}, nil
}

type generateDataKeyInput struct {
	KeyId             string //nolint:revive // the API's member name
	KeySpec           string
	NumberOfBytes     int
	EncryptionContext map[string]string
}

type generateDataKeyOutput struct {
	CiphertextBlob []byte
	Plaintext      []byte `json:",omitempty"`
	KeyId          string //nolint:revive // the API's member name
}

func (e *Endpoint) generateDataKey(ctx context.Context, req *awsapi.Request, in *generateDataKeyInput) (*generateDataKeyOutput, error) {
	size := in.NumberOfBytes
	switch {
	case in.KeySpec != "" && in.NumberOfBytes != 0:
		return nil, wire.Validation(req.Service, "Please specify either number of bytes or key spec.")
	case in.KeySpec == "AES_256":
		size = 32
	case in.KeySpec == "AES_128":
		size = 16
	case in.KeySpec != "":
		return nil, wire.Validation(req.Service, "1 validation error detected: Value '%s' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]", in.KeySpec)
	case size == 0:
		return nil, wire.Validation(req.Service, "Please specify either number of bytes or key spec.")
	}
	if in.KeyId == "" {
		return nil, wire.MissingParameter(req.Service, "keyId")
	}
	plain, ct, keyARN, err := e.account(req).GenerateDataKey(ctx, principal(req), in.KeyId, size, in.EncryptionContext)
	if err != nil {
		return nil, e.kmsError(req, err)
	}
	return &generateDataKeyOutput{CiphertextBlob: ct, Plaintext: plain, KeyId: keyARN}, nil
}

func (e *Endpoint) generateDataKeyWithoutPlaintext(ctx context.Context, req *awsapi.Request, in *generateDataKeyInput) (*generateDataKeyOutput, error) {
	out, err := e.generateDataKey(ctx, req, in)
	if out != nil {
		clear(out.Plaintext)
		out.Plaintext = nil
	}
	return out, err
}
