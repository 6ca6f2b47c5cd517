package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/codepipelinejson"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

var pipelineNamePattern = regexp.MustCompile(`^[A-Za-z0-9.@_-]{1,100}$`)

// definitionSchemaVersion is the version of the stored pipeline definition this code writes.
// Version 1 is CodePipeline's own JSON; before it (state directories of schema 7 and older) the
// definition was the domain model by Go field names, which the migration "pipeline
// definitions in CodePipeline's JSON" (migrations.go) converts.
const definitionSchemaVersion = 1

// storedDefinition is a pipeline definition as pipelines.definition and executions.definition
// hold it: CreatePipeline's input (the declaration, in CodePipeline's JSON field names, and
// its tags) under a schema version. Renaming a field of the domain model changes nothing
// here.
type storedDefinition struct {
	SchemaVersion int                                  `json:"schemaVersion"`
	Pipeline      codepipelinejson.PipelineDeclaration `json:"pipeline"`
	Tags          []codepipelinejson.Tag               `json:"tags,omitempty"`
}

// encodeDefinition is the stored form of p.
func encodeDefinition(p *pipeline.Pipeline) (string, error) {
	d, err := codepipelinejson.FromDomain(p)
	if err != nil {
		return "", fmt.Errorf("pipeline %s: %w: %w", p.Name, err, backend.ErrInvalid)
	}
	b, err := json.Marshal(storedDefinition{SchemaVersion: definitionSchemaVersion, Pipeline: d, Tags: codepipelinejson.TagsFromMap(p.Tags)})
	return string(b), err
}

// decodeDefinition reads a stored definition; a version this code does not know is refused.
func decodeDefinition(s string) (*pipeline.Pipeline, error) {
	var d storedDefinition
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return nil, fmt.Errorf("stored definition: %w: %w", err, ErrCorrupt)
	}
	if d.SchemaVersion != definitionSchemaVersion {
		return nil, fmt.Errorf("stored definition has schema version %d; this provider reads version %d: %w",
			d.SchemaVersion, definitionSchemaVersion, ErrCorrupt)
	}
	p, err := d.Pipeline.ToDomain()
	if err != nil {
		return nil, fmt.Errorf("stored definition: %w", err)
	}
	if p.Tags, err = codepipelinejson.TagsToMap(d.Tags); err != nil {
		return nil, fmt.Errorf("stored definition: %w", err)
	}
	return p, nil
}

const pipelineColumns = `account_id, region, name, arn, version, definition, created_at, updated_at, repositories_dir, functions_dir`

func scanPipeline(row interface{ Scan(...any) error }) (*backend.PipelineRecord, error) {
	r := &backend.PipelineRecord{}
	var def, created, updated string
	if err := row.Scan(&r.AccountID, &r.Region, &r.Name, &r.ARN, &r.Version, &def, &created, &updated, &r.RepositoriesDir, &r.FunctionsDir); err != nil {
		return nil, err
	}
	var err error
	if r.Definition, err = decodeDefinition(def); err != nil {
		return nil, fmt.Errorf("pipeline %s: %w", r.ARN, err)
	}
	r.Created, r.Updated = parseTime(created), parseTime(updated)
	return r, nil
}

// scanPipelines reads the rows of a query of pipelineColumns.
func scanPipelines(rows *sql.Rows, err error) ([]*backend.PipelineRecord, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*backend.PipelineRecord
	for rows.Next() {
		r, err := scanPipeline(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (a *Account) pipelineRecord(ctx context.Context, q querier, name string) (*backend.PipelineRecord, error) {
	r, err := scanPipeline(q.QueryRowContext(ctx, `SELECT `+pipelineColumns+` FROM pipelines WHERE account_id = ? AND region = ? AND name = ?`,
		a.id.AccountID, a.id.Region, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, backend.NotFoundError(backend.KindPipeline, arn.Pipeline(a.id.Region, a.id.AccountID, name))
	}
	return r, err
}

func checkedDefinition(p *pipeline.Pipeline) (string, error) {
	if p == nil {
		return "", fmt.Errorf("no pipeline definition: %w", backend.ErrInvalid)
	}
	if !pipelineNamePattern.MatchString(p.Name) {
		return "", fmt.Errorf("pipeline name %q: 1–100 characters of A-Za-z0-9.@_-: %w", p.Name, backend.ErrInvalid)
	}
	return encodeDefinition(p)
}

// CreatePipeline stores p at version 1 in the acting account and region; names are unique
// per account and region.
func (a *Account) CreatePipeline(ctx context.Context, p *pipeline.Pipeline) (*backend.PipelineRecord, error) {
	def, err := checkedDefinition(p)
	if err != nil {
		return nil, err
	}
	var out *backend.PipelineRecord
	err = a.c.write(ctx, func(tx *sql.Tx) error {
		now := a.c.timestamp()
		pipelineARN := arn.Pipeline(a.id.Region, a.id.AccountID, p.Name)
		_, err := tx.ExecContext(ctx, `INSERT INTO pipelines (account_id, region, name, arn, version, definition, created_at, updated_at, repositories_dir, functions_dir)
			VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)`,
			a.id.AccountID, a.id.Region, p.Name, pipelineARN, def, now, now, a.repositoriesDir, a.functionsDir)
		if isUniqueViolation(err) {
			return fmt.Errorf("pipeline %s: %w", pipelineARN, backend.ErrAlreadyExists)
		}
		if err != nil {
			return err
		}
		out, err = a.pipelineRecord(ctx, tx, p.Name)
		return err
	})
	return out, err
}

// GetPipeline returns a pipeline of the acting account and region.
func (a *Account) GetPipeline(ctx context.Context, name string) (*backend.PipelineRecord, error) {
	return a.pipelineRecord(ctx, a.c.reader, name)
}

// ListPipelines returns the pipelines of the acting account and region, by name.
func (a *Account) ListPipelines(ctx context.Context) ([]*backend.PipelineRecord, error) {
	return scanPipelines(a.c.reader.QueryContext(ctx, `SELECT `+pipelineColumns+` FROM pipelines WHERE account_id = ? AND region = ? ORDER BY name`,
		a.id.AccountID, a.id.Region))
}

// UpdatePipeline stores a new definition and increments the version, as CodePipeline does.
func (a *Account) UpdatePipeline(ctx context.Context, p *pipeline.Pipeline) (*backend.PipelineRecord, error) {
	def, err := checkedDefinition(p)
	if err != nil {
		return nil, err
	}
	var out *backend.PipelineRecord
	err = a.c.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE pipelines SET version = version + 1, definition = ?, updated_at = ?, repositories_dir = ?, functions_dir = ?
			WHERE account_id = ? AND region = ? AND name = ?`,
			def, a.c.timestamp(), a.repositoriesDir, a.functionsDir, a.id.AccountID, a.id.Region, p.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backend.NotFoundError(backend.KindPipeline, arn.Pipeline(a.id.Region, a.id.AccountID, p.Name))
		}
		out, err = a.pipelineRecord(ctx, tx, p.Name)
		return err
	})
	return out, err
}

// DeletePipeline deletes a pipeline of the acting account and region.
func (a *Account) DeletePipeline(ctx context.Context, name string) error {
	return a.c.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM pipelines WHERE account_id = ? AND region = ? AND name = ?`, a.id.AccountID, a.id.Region, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backend.NotFoundError(backend.KindPipeline, arn.Pipeline(a.id.Region, a.id.AccountID, name))
		}
		return nil
	})
}

// SetPipelineTags replaces the tags of a pipeline of the acting account and region, keeping
// its version (tags are not part of the declaration CodePipeline versions).
func (a *Account) SetPipelineTags(ctx context.Context, name string, tags map[string]string) (*backend.PipelineRecord, error) {
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	var out *backend.PipelineRecord
	err := a.c.write(ctx, func(tx *sql.Tx) error {
		rec, err := a.pipelineRecord(ctx, tx, name)
		if err != nil {
			return err
		}
		rec.Definition.Tags = tags
		def, err := encodeDefinition(rec.Definition)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pipelines SET definition = ? WHERE account_id = ? AND region = ? AND name = ?`,
			def, a.id.AccountID, a.id.Region, name); err != nil {
			return err
		}
		out, err = a.pipelineRecord(ctx, tx, name)
		return err
	})
	return out, err
}
