package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

var pipelineNamePattern = regexp.MustCompile(`^[A-Za-z0-9.@_-]{1,100}$`)

func pipelineARN(region, account, name string) string {
	return "arn:aws:codepipeline:" + region + ":" + account + ":" + name
}

func (a *Account) pipelineRecord(ctx context.Context, q querier, name string) (*backend.PipelineRecord, error) {
	r := &backend.PipelineRecord{Name: name, AccountID: a.id.AccountID, Region: a.id.Region}
	var def, created, updated string
	err := q.QueryRowContext(ctx, `SELECT arn, version, definition, created_at, updated_at FROM pipelines WHERE account_id = ? AND region = ? AND name = ?`,
		a.id.AccountID, a.id.Region, name).Scan(&r.ARN, &r.Version, &def, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, backend.NotFoundError("pipeline", pipelineARN(a.id.Region, a.id.AccountID, name))
	}
	if err != nil {
		return nil, err
	}
	r.Definition = &pipeline.Pipeline{}
	if err := json.Unmarshal([]byte(def), r.Definition); err != nil {
		return nil, fmt.Errorf("pipeline %s: stored definition: %w", r.ARN, err)
	}
	r.Created, r.Updated = parseTime(created), parseTime(updated)
	return r, nil
}

func encodePipeline(p *pipeline.Pipeline) (string, error) {
	if p == nil {
		return "", fmt.Errorf("no pipeline definition: %w", backend.ErrInvalid)
	}
	if !pipelineNamePattern.MatchString(p.Name) {
		return "", fmt.Errorf("pipeline name %q: 1–100 characters of A-Za-z0-9.@_-: %w", p.Name, backend.ErrInvalid)
	}
	b, err := json.Marshal(p)
	return string(b), err
}

// CreatePipeline stores p at version 1 in the acting account and region; names are unique
// per account and region.
func (a *Account) CreatePipeline(ctx context.Context, p *pipeline.Pipeline) (*backend.PipelineRecord, error) {
	def, err := encodePipeline(p)
	if err != nil {
		return nil, err
	}
	var out *backend.PipelineRecord
	err = a.c.write(ctx, func(tx *sql.Tx) error {
		now := a.c.timestamp()
		arn := pipelineARN(a.id.Region, a.id.AccountID, p.Name)
		_, err := tx.ExecContext(ctx, `INSERT INTO pipelines (account_id, region, name, arn, version, definition, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?)`,
			a.id.AccountID, a.id.Region, p.Name, arn, def, now, now)
		if isUniqueViolation(err) {
			return fmt.Errorf("pipeline %s: %w", arn, backend.ErrAlreadyExists)
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

// UpdatePipeline stores a new definition and increments the version, as CodePipeline does.
func (a *Account) UpdatePipeline(ctx context.Context, p *pipeline.Pipeline) (*backend.PipelineRecord, error) {
	def, err := encodePipeline(p)
	if err != nil {
		return nil, err
	}
	var out *backend.PipelineRecord
	err = a.c.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE pipelines SET version = version + 1, definition = ?, updated_at = ? WHERE account_id = ? AND region = ? AND name = ?`,
			def, a.c.timestamp(), a.id.AccountID, a.id.Region, p.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backend.NotFoundError("pipeline", pipelineARN(a.id.Region, a.id.AccountID, p.Name))
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
			return backend.NotFoundError("pipeline", pipelineARN(a.id.Region, a.id.AccountID, name))
		}
		return nil
	})
}
