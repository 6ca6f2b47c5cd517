package local

import (
	"context"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Facts gathers what the local cloud knows about the stores, keys and roles p names: the
// buckets of its artifact_store blocks, their keys (the key id as written in the block, and the
// bucket's own default key), the pipeline's role_arn and its actions' role_arns. Unknown values
// and things that do not exist are left out. A key id is recorded under the id as written and
// under its key ARN; relative ids (alias names, bare key ids) resolve in the acting account and
// the store's region.
func (a *Account) Facts(ctx context.Context, p *pipeline.Pipeline) (pipeline.Facts, error) {
	f := pipeline.Facts{
		AccountID: a.id.AccountID,
		Region:    a.id.Region,
		Stores:    map[string]*pipeline.ArtifactStore{},
		Keys:      map[string]*pipeline.Key{},
		Roles:     map[string]*pipeline.Role{},
	}
	if p == nil {
		return f, nil
	}
	addKey := func(id, region string) error {
		if id == "" || !pipeline.IsKnown(id) || f.Keys[id] != nil {
			return nil
		}
		k, err := a.c.resolveKey(ctx, a.c.reader, a.id.AccountID, region, id)
		if isNotFound(err) && region == a.id.Region && a.isOwnManagedAlias(id) {
			k, err = a.c.ensureManagedKey(ctx, a.id.AccountID, a.id.Region)
		}
		switch {
		case isNotFound(err):
			return nil
		case err != nil:
			return err
		}
		fact := &pipeline.Key{
			ARN: k.arn, AccountID: k.account, CustomerManaged: k.customerManaged,
			RotationEnabled: k.rotation, Policy: k.policy,
		}
		f.Keys[id] = fact
		f.Keys[k.arn] = fact
		return nil
	}
	for _, s := range p.ArtifactStores {
		region := orDefault(s.Region, a.id.Region)
		if pipeline.IsKnown(s.Location) && s.Location != "" {
			b, err := a.c.bucketRow(ctx, a.c.reader, s.Location)
			switch {
			case err == nil:
				f.Stores[b.name] = &pipeline.ArtifactStore{
					Bucket: b.name, AccountID: b.account, Region: b.region, Versioning: b.versioning,
					EncryptionKeyARN: b.keyARN, Policy: b.policy,
				}
				if b.keyARN != "" {
					if err := addKey(b.keyARN, b.region); err != nil {
						return pipeline.Facts{}, err
					}
				}
			case !isNotFound(err):
				return pipeline.Facts{}, err
			}
		}
		if s.EncryptionKey != nil {
			if err := addKey(s.EncryptionKey.ID, region); err != nil {
				return pipeline.Facts{}, err
			}
		}
	}
	addRole := func(arn string) error {
		if arn == "" || !pipeline.IsKnown(arn) || f.Roles[arn] != nil {
			return nil
		}
		r, err := a.c.roleByARN(ctx, a.c.reader, arn)
		switch {
		case isNotFound(err):
			return nil
		case err != nil:
			return err
		}
		f.Roles[arn] = roleFact(r)
		return nil
	}
	if err := addRole(p.RoleARN); err != nil {
		return pipeline.Facts{}, err
	}
	for _, st := range p.Stages {
		for _, act := range st.Actions {
			if err := addRole(act.RoleARN); err != nil {
				return pipeline.Facts{}, err
			}
		}
	}
	return f, nil
}

// roleFact lists the inline policies in the order of their names, so facts are stable.
func roleFact(r *backend.Role) *pipeline.Role {
	docs := make([]string, 0, len(r.Policies))
	for _, name := range sortedKeys(r.Policies) {
		docs = append(docs, r.Policies[name])
	}
	return &pipeline.Role{ARN: r.ARN, AccountID: r.AccountID, IdentityPolicies: docs, TrustPolicy: r.TrustPolicy}
}
