package local

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// Tags of buckets, keys, roles and managed policies live in resource_tags by the resource's
// ARN (a pipeline's stay in its stored definition, with the rest of what CreatePipeline took).

// maxTags is the most tags a resource has, as in AWS.
const maxTags = 50

// checkTags applies AWS's limits: keys of 1–128 characters that do not start with "aws:",
// values of at most 256, at most 50 tags.
func checkTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return fmt.Errorf("%d tags: at most %d: %w", len(tags), maxTags, backend.ErrInvalid)
	}
	for k, v := range tags {
		switch n := utf8.RuneCountInString(k); {
		case n < 1 || n > 128:
			return fmt.Errorf("tag key %q: 1–128 characters: %w", k, backend.ErrInvalid)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return fmt.Errorf("tag key %q: the aws: prefix is reserved: %w", k, backend.ErrInvalid)
		case utf8.RuneCountInString(v) > 256:
			return fmt.Errorf("tag %q: a value of at most 256 characters: %w", k, backend.ErrInvalid)
		}
	}
	return nil
}

// loadTags returns the tags of the resource arn (nil when it has none).
func loadTags(ctx context.Context, q querier, arn string) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT tag_key, tag_value FROM resource_tags WHERE arn = ?`, arn)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out map[string]string
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out, rows.Err()
}

// setTags makes tags the resource's tags (replace), or adds them to its tags; the result is
// held to maxTags.
func setTags(ctx context.Context, tx *sql.Tx, arn string, tags map[string]string, replace bool) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	if replace {
		if err := deleteTags(ctx, tx, arn); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(tags) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO resource_tags (arn, tag_key, tag_value) VALUES (?, ?, ?)
			ON CONFLICT (arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value`, arn, k, tags[k]); err != nil {
			return err
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM resource_tags WHERE arn = ?`, arn).Scan(&n); err != nil {
		return err
	}
	if n > maxTags {
		return fmt.Errorf("%s would have %d tags: at most %d: %w", arn, n, maxTags, backend.ErrInvalid)
	}
	return nil
}

// removeTags removes the named tags of a resource (absent ones are ignored, as in AWS).
func removeTags(ctx context.Context, tx *sql.Tx, arn string, keys []string) error {
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `DELETE FROM resource_tags WHERE arn = ? AND tag_key = ?`, arn, k); err != nil {
			return err
		}
	}
	return nil
}

// deleteTags removes every tag of a resource that is gone.
func deleteTags(ctx context.Context, tx *sql.Tx, arn string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM resource_tags WHERE arn = ?`, arn)
	return err
}
