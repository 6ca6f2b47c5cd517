package aws

import (
	"context"
	"errors"
	"fmt"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Facts reads, with the backend's own credentials, what the rules need about the stores, keys
// and roles p names: HeadBucket, GetBucketVersioning/Encryption/Policy; DescribeKey,
// GetKeyRotationStatus, GetKeyPolicy; GetRole, ListRolePolicies/GetRolePolicy and the attached
// managed policies. Unknown values and things that do not exist are left out. What AWS does
// not let this account read — another account's role, another account's key policy, a bucket
// of another account — is left out too and named in Unreadable with why, so that a rule that
// needs it says which check it could not make instead of guessing.
func (b *Backend) Facts(ctx context.Context, p *pipeline.Pipeline) (pipeline.Facts, error) {
	f := pipeline.Facts{
		AccountID: b.id.AccountID, Region: b.id.Region,
		Stores: map[string]*pipeline.ArtifactStore{}, Keys: map[string]*pipeline.Key{}, Roles: map[string]*pipeline.Role{},
		Unreadable: map[string]string{},
	}
	if p == nil {
		return f, nil
	}
	// skip sorts an error: nil to record, (true, nil) to leave out, or the error to return.
	skip := func(id string, err error) (bool, error) {
		var denied *backend.AccessDeniedError
		switch {
		case err == nil:
			return false, nil
		case errors.Is(err, backend.ErrNotFound):
			return true, nil
		case errors.As(err, &denied):
			f.Unreadable[id] = fmt.Sprintf("%s, acting as %s, may not read it: %s", b.id.Kind+" backend", b.caller, denied.Why())
			return true, nil
		}
		return true, err
	}
	addKey := func(id string) error {
		if id == "" || !pipeline.IsKnown(id) || f.Keys[id] != nil || f.Unreadable[id] != "" {
			return nil
		}
		k, err := b.GetKey(ctx, id)
		if left, err := skip(id, err); left {
			return err
		}
		if k.AccountID != b.id.AccountID {
			why := fmt.Sprintf("key %s is account %s's: KMS lets only that account read its key policy", k.ARN, k.AccountID)
			f.Unreadable[id], f.Unreadable[k.ARN] = why, why
			return nil
		}
		fact := &pipeline.Key{ARN: k.ARN, AccountID: k.AccountID, CustomerManaged: k.CustomerManaged, RotationEnabled: k.RotationEnabled, Policy: k.Policy}
		f.Keys[id], f.Keys[k.ARN] = fact, fact
		return nil
	}
	for _, s := range p.ArtifactStores {
		if pipeline.IsKnown(s.Location) && s.Location != "" && f.Stores[s.Location] == nil {
			bk, err := b.GetBucket(ctx, s.Location)
			left, err := skip(s.Location, err)
			if err != nil {
				return pipeline.Facts{}, err
			}
			if !left {
				f.Stores[bk.Name] = &pipeline.ArtifactStore{Bucket: bk.Name, AccountID: bk.AccountID, Region: bk.Region, Versioning: bk.Versioning,
					EncryptionKeyARN: bk.EncryptionKeyARN, Policy: bk.Policy}
				if err := addKey(bk.EncryptionKeyARN); err != nil {
					return pipeline.Facts{}, err
				}
			}
		}
		if s.EncryptionKey != nil {
			if err := addKey(s.EncryptionKey.ID); err != nil {
				return pipeline.Facts{}, err
			}
		}
	}
	addRole := func(arn string) error {
		if arn == "" || !pipeline.IsKnown(arn) || f.Roles[arn] != nil || f.Unreadable[arn] != "" {
			return nil
		}
		r, err := b.GetRole(ctx, arn)
		if left, err := skip(arn, err); left {
			return err
		}
		docs := make([]string, 0, len(r.Policies)+len(r.ManagedPolicies))
		for _, name := range sortedKeys(r.Policies) {
			docs = append(docs, r.Policies[name])
		}
		for _, m := range r.ManagedPolicies {
			mp, err := b.GetPolicy(ctx, m)
			if err != nil {
				return err
			}
			docs = append(docs, mp.Document)
		}
		f.Roles[arn] = &pipeline.Role{ARN: r.ARN, AccountID: r.AccountID, TrustPolicy: r.TrustPolicy, IdentityPolicies: docs}
		return nil
	}
	roles := []string{p.RoleARN}
	for _, st := range p.Stages {
		for _, a := range st.Actions {
			roles = append(roles, a.RoleARN)
		}
	}
	for _, r := range roles {
		if err := addRole(r); err != nil {
			return pipeline.Facts{}, err
		}
	}
	if len(f.Unreadable) == 0 {
		f.Unreadable = nil
	}
	return f, nil
}
