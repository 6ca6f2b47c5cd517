package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// DatabasePath is the state database file: the daemon watches it (and its -wal) for writes.
func (c *Cloud) DatabasePath() string { return filepath.Join(c.dir, dbFile) }

// RepositoryPath is the directory of a local git source's repository, as a run of p finds it.
func (a *Account) RepositoryPath(p *backend.PipelineRecord, name string) (string, error) {
	return repositoryPath(a.dirsFor(p).repositories, name)
}

// ---- pipelines and objects as the trigger daemon sees them ----

// AllPipelines returns every pipeline of every account and region of the state directory.
func (c *Cloud) AllPipelines(ctx context.Context) ([]*backend.PipelineRecord, error) {
	return scanPipelines(c.reader.QueryContext(ctx, `SELECT `+pipelineColumns+` FROM pipelines ORDER BY account_id, region, name`))
}

// ChangeMarks summarizes what the daemon reacts to in the database: the newest object version
// (object_versions.seq is the ordered log of object writes) and a fingerprint of the pipelines.
// Equal marks mean nothing it watches changed.
func (c *Cloud) ChangeMarks(ctx context.Context) (objectSeq int64, pipelines string, err error) {
	var n int
	var maxUpdated string
	err = c.reader.QueryRowContext(ctx, `SELECT (SELECT coalesce(max(seq), 0) FROM object_versions),
		(SELECT count(*) FROM pipelines), (SELECT coalesce(max(updated_at), '') FROM pipelines)`).Scan(&objectSeq, &n, &maxUpdated)
	return objectSeq, fmt.Sprintf("%d/%s", n, maxUpdated), err
}

// LatestObjectVersion returns the latest version of bucket/key that is not a delete marker,
// with its position in the object log; found is false when there is none.
func (c *Cloud) LatestObjectVersion(ctx context.Context, bucket, key string) (seq int64, versionID string, found bool, err error) {
	err = c.reader.QueryRowContext(ctx, `SELECT seq, version_id FROM object_versions WHERE bucket = ? AND object_key = ? AND is_latest = 1 AND delete_marker = 0`,
		bucket, key).Scan(&seq, &versionID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", false, nil
	}
	return seq, versionID, err == nil, err
}

// ---- trigger cursors, starts and the lease ----

// TriggerCursor returns the state the daemon stored for a source ("" when none).
func (c *Cloud) TriggerCursor(ctx context.Context, k backend.CursorKey) (string, error) {
	var state string
	err := c.reader.QueryRowContext(ctx, `SELECT state FROM trigger_cursors WHERE account_id = ? AND region = ? AND pipeline = ? AND action = ?`,
		k.AccountID, k.Region, k.Pipeline, k.Action).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return state, err
}

// SaveTriggerCursor stores the state of a source.
func (c *Cloud) SaveTriggerCursor(ctx context.Context, k backend.CursorKey, state string) error {
	return c.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO trigger_cursors (account_id, region, pipeline, action, state, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (account_id, region, pipeline, action) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
			k.AccountID, k.Region, k.Pipeline, k.Action, state, c.timestamp())
		return err
	})
}

// AcquireLease makes owner the holder of the named lease until ttl from now, when the lease is
// free, expired or already owner's; it reports whether owner holds it.
func (c *Cloud) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	held := false
	err := c.write(ctx, func(tx *sql.Tx) error {
		held = false
		now := c.now().UTC()
		var holder, expires string
		err := tx.QueryRowContext(ctx, `SELECT owner, expires_at FROM leases WHERE name = ?`, name).Scan(&holder, &expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case holder != owner && now.Before(parseTime(expires)):
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at`,
			name, owner, now.Add(ttl).Format(time.RFC3339Nano)); err != nil {
			return err
		}
		held = true
		return nil
	})
	return held, err
}

// ReleaseLease gives the lease up if owner holds it, so another daemon takes over at once.
func (c *Cloud) ReleaseLease(ctx context.Context, name, owner string) error {
	return c.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND owner = ?`, name, owner)
		return err
	})
}

// StartTriggeredRun starts a run for revision of source (a source action or a webhook),
// unless a run was already started for it: then it returns nil, nil. The revision is reserved
// first under a unique key, so two daemons reacting to one change start one run; a reservation
// whose run could not be started is released so the change is tried again.
func (a *Account) StartTriggeredRun(ctx context.Context, req backend.RunRequest, source, revision string) (*backend.Run, error) {
	return a.StartTriggeredRunOnce(ctx, req, source, backend.ReplayKey{Value: revision})
}

// errSeen rolls back a reservation when one of its keys was seen already.
var errSeen = errors.New("trigger seen before")

// StartTriggeredRunOnce starts a run for a trigger of source unless any of keys was seen
// before (within its window): then it returns nil, nil and reserves none of them. The keys
// and the run are one transaction, as in StartTriggeredRun.
func (a *Account) StartTriggeredRunOnce(ctx context.Context, req backend.RunRequest, source string, keys ...backend.ReplayKey) (*backend.Run, error) {
	var run *backend.Run
	err := a.c.write(ctx, func(tx *sql.Tx) error {
		run = nil
		now := a.c.now()
		for _, k := range keys {
			var created string
			err := tx.QueryRowContext(ctx, `SELECT created_at FROM trigger_starts WHERE account_id = ? AND region = ? AND pipeline = ? AND source = ? AND revision = ?`,
				a.id.AccountID, a.id.Region, req.Pipeline, source, k.Value).Scan(&created)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				_, err = tx.ExecContext(ctx, `INSERT INTO trigger_starts (account_id, region, pipeline, source, revision, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
					a.id.AccountID, a.id.Region, req.Pipeline, source, k.Value, a.c.timestamp())
				if isUniqueViolation(err) {
					return errSeen
				}
			case err != nil:
			case k.Window == 0 || now.Sub(parseTime(created)) < k.Window:
				return errSeen
			default: // seen, but longer ago than its window: forgotten
				_, err = tx.ExecContext(ctx, `UPDATE trigger_starts SET created_at = ?, execution_id = '' WHERE account_id = ? AND region = ? AND pipeline = ? AND source = ? AND revision = ?`,
					a.c.timestamp(), a.id.AccountID, a.id.Region, req.Pipeline, source, k.Value)
			}
			if err != nil {
				return err
			}
		}
		var err error
		if run, err = a.startRun(ctx, tx, req); err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `UPDATE trigger_starts SET execution_id = ? WHERE account_id = ? AND region = ? AND pipeline = ? AND source = ? AND revision = ?`,
				run.ID, a.id.AccountID, a.id.Region, req.Pipeline, source, k.Value); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errSeen) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return run, nil
}

// ---- webhooks ----

func (a *Account) checkWebhook(w *backend.Webhook) error {
	switch {
	case !pipelineNamePattern.MatchString(w.Name):
		return fmt.Errorf("webhook name %q: 1–100 characters of A-Za-z0-9.@_-: %w", w.Name, backend.ErrInvalid)
	case len(w.Filters) < 1 || len(w.Filters) > backend.MaxWebhookFilters:
		return fmt.Errorf("webhook %s has %d filters; 1 to %d are accepted: %w", w.Name, len(w.Filters), backend.MaxWebhookFilters, backend.ErrInvalid)
	case w.TargetPipeline == "" || w.TargetAction == "":
		return fmt.Errorf("webhook %s names no target pipeline or action: %w", w.Name, backend.ErrInvalid)
	case len(w.SecretToken) > backend.MaxWebhookSecretLength:
		return fmt.Errorf("webhook %s: the secret token is longer than %d characters: %w", w.Name, backend.MaxWebhookSecretLength, backend.ErrInvalid)
	}
	switch w.Authentication {
	case pipeline.WebhookAuthGitHubHMAC:
		if w.SecretToken == "" {
			return fmt.Errorf("webhook %s: GITHUB_HMAC needs a secret token: %w", w.Name, backend.ErrInvalid)
		}
	case pipeline.WebhookAuthIP:
		if _, _, err := net.ParseCIDR(w.AllowedIPRange); err != nil {
			return fmt.Errorf("webhook %s: allowed IP range %q is not a CIDR range: %w", w.Name, w.AllowedIPRange, backend.ErrInvalid)
		}
	case pipeline.WebhookAuthUnauthenticated:
	default:
		return fmt.Errorf("webhook %s: authentication %q is not one of %v: %w", w.Name, w.Authentication, pipeline.WebhookAuthentications, backend.ErrInvalid)
	}
	return nil
}

// secretAAD binds a sealed token to its webhook, so it cannot be moved to another row.
func secretAAD(account, region, name string) []byte {
	return []byte("webhook-secret\x00" + account + "\x00" + region + "\x00" + name)
}

// PutWebhook creates the webhook, or replaces it when update is true (CodePipeline's
// PutWebhook does both; the provider keeps create and update apart).
func (a *Account) PutWebhook(ctx context.Context, w *backend.Webhook, update bool) (*backend.Webhook, error) {
	if err := a.checkWebhook(w); err != nil {
		return nil, err
	}
	var sealed []byte
	if w.SecretToken != "" {
		var err error
		if sealed, err = seal(a.c.master, []byte(w.SecretToken), secretAAD(a.id.AccountID, a.id.Region, w.Name)); err != nil {
			return nil, err
		}
	}
	filters, err := json.Marshal(webhookFilterRecords(w.Filters))
	if err != nil {
		return nil, err
	}
	tags, err := json.Marshal(orEmpty(w.Tags))
	if err != nil {
		return nil, err
	}
	arn := arn.Webhook(a.id.Region, a.id.AccountID, w.Name)
	err = a.c.write(ctx, func(tx *sql.Tx) error {
		now := a.c.timestamp()
		if update {
			res, err := tx.ExecContext(ctx, `UPDATE webhooks SET authentication = ?, secret_sealed = ?, allowed_ip_range = ?, filters = ?, target_pipeline = ?,
				target_action = ?, tags = ?, updated_at = ? WHERE account_id = ? AND region = ? AND name = ?`,
				w.Authentication, sealed, w.AllowedIPRange, string(filters), w.TargetPipeline, w.TargetAction, string(tags), now,
				a.id.AccountID, a.id.Region, w.Name)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return backend.NotFoundError(backend.KindWebhook, arn)
			}
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO webhooks (account_id, region, name, arn, authentication, secret_sealed, allowed_ip_range, filters,
			target_pipeline, target_action, tags, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.id.AccountID, a.id.Region, w.Name, arn, w.Authentication, sealed, w.AllowedIPRange, string(filters),
			w.TargetPipeline, w.TargetAction, string(tags), now, now)
		if isUniqueViolation(err) {
			return fmt.Errorf("webhook %s: %w", arn, backend.ErrAlreadyExists)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return a.GetWebhook(ctx, w.Name)
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// GetWebhook returns a webhook of the acting account and region, its secret unsealed.
func (a *Account) GetWebhook(ctx context.Context, name string) (*backend.Webhook, error) {
	return a.c.LookupWebhook(ctx, a.id.AccountID, a.id.Region, name)
}

// LookupWebhook returns the webhook of any account and region: the daemon serves them all.
func (c *Cloud) LookupWebhook(ctx context.Context, accountID, region, name string) (*backend.Webhook, error) {
	w := &backend.Webhook{Name: name, AccountID: accountID, Region: region}
	var sealed []byte
	var filters, tags, created, updated string
	err := c.reader.QueryRowContext(ctx, `SELECT arn, authentication, secret_sealed, allowed_ip_range, filters, target_pipeline, target_action, tags, created_at, updated_at
		FROM webhooks WHERE account_id = ? AND region = ? AND name = ?`, accountID, region, name).
		Scan(&w.ARN, &w.Authentication, &sealed, &w.AllowedIPRange, &filters, &w.TargetPipeline, &w.TargetAction, &tags, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, backend.NotFoundError(backend.KindWebhook, arn.Webhook(region, accountID, name))
	}
	if err != nil {
		return nil, err
	}
	if len(sealed) > 0 {
		token, err := unseal(c.master, sealed, secretAAD(accountID, region, name))
		if err != nil {
			return nil, fmt.Errorf("webhook %s: the stored secret token does not unseal: %w", w.ARN, ErrCorrupt)
		}
		w.SecretToken = string(token)
	}
	var fs []webhookFilterRecord
	if err := json.Unmarshal([]byte(filters), &fs); err != nil {
		return nil, fmt.Errorf("webhook %s: stored filters: %w", w.ARN, err)
	}
	w.Filters = webhookFilters(fs)
	if err := json.Unmarshal([]byte(tags), &w.Tags); err != nil {
		return nil, fmt.Errorf("webhook %s: stored tags: %w", w.ARN, err)
	}
	w.Created, w.Updated = parseTime(created), parseTime(updated)
	w.URL = backend.WebhookURL("", accountID, region, name)
	return w, nil
}

// PlannedWebhookURL is where `codepipeline serve` (on its default address) serves the webhook:
// known before it exists.
func (a *Account) PlannedWebhookURL(name string) string {
	return backend.WebhookURL("", a.id.AccountID, a.id.Region, name)
}

// DeleteWebhook deletes a webhook of the acting account and region.
func (a *Account) DeleteWebhook(ctx context.Context, name string) error {
	return a.c.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE account_id = ? AND region = ? AND name = ?`, a.id.AccountID, a.id.Region, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backend.NotFoundError(backend.KindWebhook, arn.Webhook(a.id.Region, a.id.AccountID, name))
		}
		return nil
	})
}
