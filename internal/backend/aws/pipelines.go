package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/codepipelinejson"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Pipelines. A definition goes to CodePipeline as internal/codepipelinejson writes it — the
// one source of truth for CodePipeline's JSON, stage conditions, retries and rollbacks
// included — and comes back through it: the SDK's types are the same shapes under Go names,
// which encoding/json matches to the API's names (case-insensitively), so a field the domain
// does not hold is refused by ToDomain by its path, never dropped.

// declarationOf is p as the SDK's PipelineDeclaration.
func declarationOf(p *pipeline.Pipeline, version int) (*cptypes.PipelineDeclaration, error) {
	d, err := codepipelinejson.FromDomain(p)
	if err != nil {
		return nil, fmt.Errorf("pipeline %s: %w: %w", p.Name, err, backend.ErrInvalid)
	}
	d.Version = version
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var out cptypes.PipelineDeclaration
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("pipeline %s as the SDK's declaration: %w", p.Name, err)
	}
	return &out, nil
}

// definitionOf is the domain pipeline of a declaration CodePipeline returned.
func definitionOf(d *cptypes.PipelineDeclaration) (*pipeline.Pipeline, int, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, 0, err
	}
	var decl codepipelinejson.PipelineDeclaration
	if err := json.Unmarshal(raw, &decl); err != nil {
		return nil, 0, fmt.Errorf("pipeline %s from CodePipeline: %w", awssdk.ToString(d.Name), err)
	}
	p, err := decl.ToDomain()
	if err != nil {
		return nil, 0, fmt.Errorf("pipeline %s from CodePipeline: %w", decl.Name, err)
	}
	return p, decl.Version, nil
}

func cpTags(m map[string]string) []cptypes.Tag {
	var out []cptypes.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, cptypes.Tag{Key: awssdk.String(k), Value: awssdk.String(m[k])})
	}
	return out
}

// CreatePipeline creates the pipeline, retrying while CodePipeline cannot assume a role IAM
// has only just made (InvalidStructureException about the role). CodePipeline starts a run of
// every new pipeline by itself; see runs.go for what becomes of it.
func (b *Backend) CreatePipeline(ctx context.Context, p *pipeline.Pipeline) (*backend.PipelineRecord, error) {
	d, err := declarationOf(p, 0)
	if err != nil {
		return nil, err
	}
	err = retryIAM(ctx, roleNotAssumable, func() error {
		_, err := b.clients.cp.CreatePipeline(ctx, &codepipeline.CreatePipelineInput{Pipeline: d, Tags: cpTags(p.Tags)})
		return err
	})
	if err != nil {
		return nil, wrap("codepipeline:CreatePipeline", backend.KindPipeline, p.Name, err)
	}
	if err := b.afterCreate(ctx, p.Name); err != nil {
		return nil, err
	}
	return b.GetPipeline(ctx, p.Name)
}

// GetPipeline reads the current definition, its metadata and tags.
func (b *Backend) GetPipeline(ctx context.Context, name string) (*backend.PipelineRecord, error) {
	got, err := b.clients.cp.GetPipeline(ctx, &codepipeline.GetPipelineInput{Name: awssdk.String(name)})
	if err != nil {
		return nil, wrap("codepipeline:GetPipeline", backend.KindPipeline, name, err)
	}
	def, version, err := definitionOf(got.Pipeline)
	if err != nil {
		return nil, err
	}
	rec := &backend.PipelineRecord{Name: name, AccountID: b.id.AccountID, Region: b.id.Region, Version: version, Definition: def,
		ARN: arn.Pipeline(b.id.Region, b.id.AccountID, name)}
	if m := got.Metadata; m != nil {
		rec.ARN = orDefault(awssdk.ToString(m.PipelineArn), rec.ARN)
		rec.Created = awssdk.ToTime(m.Created).UTC()
		rec.Updated = awssdk.ToTime(m.Updated).UTC()
	}
	tags, err := b.clients.cp.ListTagsForResource(ctx, &codepipeline.ListTagsForResourceInput{ResourceArn: awssdk.String(rec.ARN)})
	if err != nil {
		return nil, wrap("codepipeline:ListTagsForResource", backend.KindPipeline, name, err)
	}
	for _, t := range tags.Tags {
		if def.Tags == nil {
			def.Tags = map[string]string{}
		}
		def.Tags[awssdk.ToString(t.Key)] = awssdk.ToString(t.Value)
	}
	return rec, nil
}

// ListPipelines lists the pipelines of the account and region, by name, with their definitions.
func (b *Backend) ListPipelines(ctx context.Context) ([]*backend.PipelineRecord, error) {
	var out []*backend.PipelineRecord
	p := codepipeline.NewListPipelinesPaginator(b.clients.cp, &codepipeline.ListPipelinesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("codepipeline:ListPipelines", backend.KindPipeline, "*", err)
		}
		for _, s := range page.Pipelines {
			rec, err := b.GetPipeline(ctx, awssdk.ToString(s.Name))
			if err != nil {
				return nil, err
			}
			out = append(out, rec)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// UpdatePipeline stores a new definition (CodePipeline increments the version) and makes the
// tags p's.
func (b *Backend) UpdatePipeline(ctx context.Context, p *pipeline.Pipeline) (*backend.PipelineRecord, error) {
	cur, err := b.GetPipeline(ctx, p.Name)
	if err != nil {
		return nil, err
	}
	d, err := declarationOf(p, cur.Version)
	if err != nil {
		return nil, err
	}
	err = retryIAM(ctx, roleNotAssumable, func() error {
		_, err := b.clients.cp.UpdatePipeline(ctx, updateInput(d))
		return err
	})
	if err != nil {
		return nil, wrap("codepipeline:UpdatePipeline", backend.KindPipeline, p.Name, err)
	}
	if err := b.setTags(ctx, cur, p.Tags); err != nil {
		return nil, err
	}
	return b.GetPipeline(ctx, p.Name)
}

// DeletePipeline deletes the pipeline. CodePipeline answers a missing one with success; the
// door says not found, so it is read first.
func (b *Backend) DeletePipeline(ctx context.Context, name string) error {
	if _, err := b.clients.cp.GetPipeline(ctx, &codepipeline.GetPipelineInput{Name: awssdk.String(name)}); err != nil {
		return wrap("codepipeline:GetPipeline", backend.KindPipeline, name, err)
	}
	_, err := b.clients.cp.DeletePipeline(ctx, &codepipeline.DeletePipelineInput{Name: awssdk.String(name)})
	return wrap("codepipeline:DeletePipeline", backend.KindPipeline, name, err)
}

// SetPipelineTags makes the pipeline's tags tags, without a new version.
func (b *Backend) SetPipelineTags(ctx context.Context, name string, tags map[string]string) (*backend.PipelineRecord, error) {
	cur, err := b.GetPipeline(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := b.setTags(ctx, cur, tags); err != nil {
		return nil, err
	}
	return b.GetPipeline(ctx, name)
}

func (b *Backend) setTags(ctx context.Context, cur *backend.PipelineRecord, tags map[string]string) error {
	var gone []string
	for k := range cur.Definition.Tags {
		if _, keep := tags[k]; !keep {
			gone = append(gone, k)
		}
	}
	sort.Strings(gone)
	if len(gone) > 0 {
		if _, err := b.clients.cp.UntagResource(ctx, &codepipeline.UntagResourceInput{ResourceArn: awssdk.String(cur.ARN), TagKeys: gone}); err != nil {
			return wrap("codepipeline:UntagResource", backend.KindPipeline, cur.Name, err)
		}
	}
	changed := map[string]string{}
	for k, v := range tags {
		if old, ok := cur.Definition.Tags[k]; !ok || old != v {
			changed[k] = v
		}
	}
	if len(changed) > 0 {
		if _, err := b.clients.cp.TagResource(ctx, &codepipeline.TagResourceInput{ResourceArn: awssdk.String(cur.ARN), Tags: cpTags(changed)}); err != nil {
			return wrap("codepipeline:TagResource", backend.KindPipeline, cur.Name, err)
		}
	}
	return nil
}

func updateInput(d *cptypes.PipelineDeclaration) *codepipeline.UpdatePipelineInput {
	return &codepipeline.UpdatePipelineInput{Pipeline: d}
}
