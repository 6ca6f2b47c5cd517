package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Before schema version 7 a stored pipeline definition was the domain model encoded by its Go
// field names. These types freeze that encoding as schemas 6 and 7 wrote it, so that the
// migration "pipeline definitions in CodePipeline's JSON" reads
// it whatever becomes of the domain model. They are read once, by the migration, and never
// written.

type legacyPipeline struct {
	Name           string
	RoleARN        string
	PipelineType   string
	ExecutionMode  string
	ArtifactStores []legacyStoreRef
	Stages         []legacyStage
	Triggers       []legacyTrigger
	Variables      []legacyVariable
	Tags           map[string]string
}

type legacyStoreRef struct {
	Location      string
	Type          string
	Region        string
	EncryptionKey *legacyEncryptionKey
}

type legacyEncryptionKey struct{ ID, Type string }

type legacyStage struct {
	Name            string
	Actions         []legacyAction
	OnFailureResult string
}

type legacyAction struct {
	Name             string
	Category         string
	Owner            string
	Provider         string
	Version          string
	RunOrder         int
	Configuration    map[string]string
	InputArtifacts   []string
	OutputArtifacts  []string
	RoleARN          string
	Region           string
	Namespace        string
	TimeoutInMinutes int
	UnknownAttrs     []string // a plan's, never set on a stored definition; dropped
}

type legacyVariable struct{ Name, DefaultValue, Description string }

type legacyTrigger struct {
	ProviderType     string
	SourceActionName string
	Push             []legacyGitFilter
	PullRequest      []legacyGitFilter
}

type legacyGitFilter struct {
	Branches, Tags, FilePaths *legacyGlobFilter
	Events                    []string
}

type legacyGlobFilter struct{ Includes, Excludes []string }

// decodeLegacyDefinition reads a definition as schema 6 stored it.
func decodeLegacyDefinition(s string) (*pipeline.Pipeline, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var l legacyPipeline
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("legacy stored definition: %w: %w", err, ErrCorrupt)
	}
	p := &pipeline.Pipeline{Name: l.Name, RoleARN: l.RoleARN, PipelineType: l.PipelineType, ExecutionMode: l.ExecutionMode, Tags: l.Tags}
	for _, s := range l.ArtifactStores {
		ref := pipeline.ArtifactStoreRef{Location: s.Location, Type: s.Type, Region: s.Region}
		if s.EncryptionKey != nil {
			ref.EncryptionKey = &pipeline.EncryptionKey{ID: s.EncryptionKey.ID, Type: s.EncryptionKey.Type}
		}
		p.ArtifactStores = append(p.ArtifactStores, ref)
	}
	for _, st := range l.Stages {
		ds := pipeline.Stage{Name: st.Name}
		if st.OnFailureResult != "" {
			ds.OnFailure = &pipeline.FailureConditions{Result: st.OnFailureResult}
		}
		for _, a := range st.Actions {
			ds.Actions = append(ds.Actions, pipeline.Action{
				Name: a.Name, Category: a.Category, Owner: a.Owner, Provider: a.Provider, Version: a.Version,
				RunOrder: a.RunOrder, Configuration: a.Configuration, InputArtifacts: a.InputArtifacts,
				OutputArtifacts: a.OutputArtifacts, RoleARN: a.RoleARN, Region: a.Region, Namespace: a.Namespace,
				TimeoutInMinutes: a.TimeoutInMinutes,
			})
		}
		p.Stages = append(p.Stages, ds)
	}
	for _, t := range l.Triggers {
		dt := pipeline.Trigger{ProviderType: t.ProviderType, SourceActionName: t.SourceActionName}
		for _, f := range t.Push {
			dt.Push = append(dt.Push, f.toDomain())
		}
		for _, f := range t.PullRequest {
			dt.PullRequest = append(dt.PullRequest, f.toDomain())
		}
		p.Triggers = append(p.Triggers, dt)
	}
	for _, v := range l.Variables {
		p.Variables = append(p.Variables, pipeline.Variable{Name: v.Name, DefaultValue: v.DefaultValue, Description: v.Description})
	}
	return p, nil
}

func (f legacyGitFilter) toDomain() pipeline.GitFilter {
	glob := func(g *legacyGlobFilter) *pipeline.GlobFilter {
		if g == nil {
			return nil
		}
		return &pipeline.GlobFilter{Includes: g.Includes, Excludes: g.Excludes}
	}
	return pipeline.GitFilter{Branches: glob(f.Branches), Tags: glob(f.Tags), FilePaths: glob(f.FilePaths), Events: f.Events}
}

// migrateDefinitions is that migration (8): every stored definition, of pipelines and of executions,
// rewritten from the legacy encoding to storedDefinition. A definition that does not read is
// an error, and the whole migration (so the Open) fails: nothing is half converted or guessed.
func migrateDefinitions(ctx context.Context, tx *sql.Tx) error {
	for _, t := range []struct{ table, key string }{{"pipelines", "arn"}, {"executions", "id"}} {
		rows, err := tx.QueryContext(ctx, `SELECT `+t.key+`, definition FROM `+t.table)
		if err != nil {
			return err
		}
		type row struct{ key, def string }
		var all []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.key, &r.def); err != nil {
				rows.Close()
				return err
			}
			all = append(all, r)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		for _, r := range all {
			p, err := decodeLegacyDefinition(r.def)
			if err != nil {
				return fmt.Errorf("%s %s: %w", t.table, r.key, err)
			}
			def, err := encodeDefinition(p)
			if err != nil {
				return fmt.Errorf("%s %s: %w", t.table, r.key, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE `+t.table+` SET definition = ? WHERE `+t.key+` = ?`, def, r.key); err != nil {
				return err
			}
		}
	}
	return nil
}
