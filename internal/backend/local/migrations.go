package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migration is one step of the schema. Steps are append-only: a shipped step never changes,
// because state directories in the wild were built by it.
type migration struct {
	version int
	name    string
	stmts   []string
	// run, when set, runs after stmts in the same transaction: a step that converts data.
	run func(ctx context.Context, tx *sql.Tx) error
}

// migrations, in order. Every object row carries account_id and region (IAM is global, so a
// role's region is the region of the configuration that created it, for information).
var migrations = []migration{{
	version: 1,
	name:    "initial schema",
	stmts: []string{
		`CREATE TABLE meta (
			name  TEXT PRIMARY KEY,
			value BLOB NOT NULL
		)`,
		// Bucket names are global, as in S3.
		`CREATE TABLE buckets (
			name               TEXT PRIMARY KEY,
			account_id         TEXT NOT NULL,
			region             TEXT NOT NULL,
			versioning         INTEGER NOT NULL,
			encryption_key_arn TEXT NOT NULL DEFAULT '',
			policy             TEXT NOT NULL DEFAULT '',
			created_at         TEXT NOT NULL
		)`,
		`CREATE INDEX buckets_by_account ON buckets(account_id, region)`,
		// seq orders the versions of a key (newest highest). blob_sha256 is the address of
		// the encrypted body under objects/; sealed_data_key is the object's data key sealed
		// with material_version of kms_key_arn.
		`CREATE TABLE object_versions (
			seq              INTEGER PRIMARY KEY AUTOINCREMENT,
			bucket           TEXT NOT NULL REFERENCES buckets(name) ON DELETE CASCADE,
			account_id       TEXT NOT NULL,
			region           TEXT NOT NULL,
			object_key       TEXT NOT NULL,
			version_id       TEXT NOT NULL,
			is_latest        INTEGER NOT NULL,
			delete_marker    INTEGER NOT NULL DEFAULT 0,
			size             INTEGER NOT NULL DEFAULT 0,
			checksum_sha256  TEXT NOT NULL DEFAULT '',
			blob_sha256      TEXT NOT NULL DEFAULT '',
			kms_key_arn      TEXT NOT NULL DEFAULT '',
			material_version INTEGER NOT NULL DEFAULT 0,
			sealed_data_key  BLOB,
			created_by       TEXT NOT NULL DEFAULT '',
			created_at       TEXT NOT NULL,
			UNIQUE (bucket, object_key, version_id)
		)`,
		`CREATE INDEX object_versions_by_key ON object_versions(bucket, object_key, seq)`,
		`CREATE INDEX object_versions_by_blob ON object_versions(blob_sha256)`,
		`CREATE TABLE kms_keys (
			key_id           TEXT PRIMARY KEY,
			arn              TEXT NOT NULL UNIQUE,
			account_id       TEXT NOT NULL,
			region           TEXT NOT NULL,
			description      TEXT NOT NULL DEFAULT '',
			customer_managed INTEGER NOT NULL,
			rotation_enabled INTEGER NOT NULL,
			policy           TEXT NOT NULL,
			state            TEXT NOT NULL,
			deletion_date    TEXT NOT NULL DEFAULT '',
			current_material INTEGER NOT NULL,
			created_at       TEXT NOT NULL
		)`,
		// Key material, sealed with the master key; never stored in plaintext.
		`CREATE TABLE kms_key_material (
			key_id     TEXT NOT NULL REFERENCES kms_keys(key_id) ON DELETE CASCADE,
			version    INTEGER NOT NULL,
			sealed     BLOB NOT NULL,
			created_at TEXT NOT NULL,
			PRIMARY KEY (key_id, version)
		)`,
		`CREATE TABLE kms_aliases (
			account_id TEXT NOT NULL,
			region     TEXT NOT NULL,
			alias_name TEXT NOT NULL,
			key_id     TEXT NOT NULL REFERENCES kms_keys(key_id) ON DELETE CASCADE,
			created_at TEXT NOT NULL,
			PRIMARY KEY (account_id, region, alias_name)
		)`,
		`CREATE INDEX kms_aliases_by_key ON kms_aliases(key_id)`,
		`CREATE TABLE roles (
			arn          TEXT PRIMARY KEY,
			account_id   TEXT NOT NULL,
			region       TEXT NOT NULL,
			name         TEXT NOT NULL,
			trust_policy TEXT NOT NULL DEFAULT '',
			created_at   TEXT NOT NULL,
			updated_at   TEXT NOT NULL,
			UNIQUE (account_id, name)
		)`,
		`CREATE TABLE role_policies (
			role_arn    TEXT NOT NULL REFERENCES roles(arn) ON DELETE CASCADE,
			policy_name TEXT NOT NULL,
			document    TEXT NOT NULL,
			PRIMARY KEY (role_arn, policy_name)
		)`,
		`CREATE TABLE pipelines (
			account_id TEXT NOT NULL,
			region     TEXT NOT NULL,
			name       TEXT NOT NULL,
			arn        TEXT NOT NULL UNIQUE,
			version    INTEGER NOT NULL,
			definition TEXT NOT NULL,
			created_at TEXT NOT NULL,
			updated_at TEXT NOT NULL,
			PRIMARY KEY (account_id, region, name)
		)`,
	},
}, {
	version: 2,
	name:    "pipeline executions",
	stmts: []string{
		// The owner (the process driving the run) is the only writer of state, the JSON of
		// the whole backend.Run; other processes write only the control columns (stop) and
		// the approvals table, so they never overwrite each other's updates.
		`CREATE TABLE executions (
			seq              INTEGER PRIMARY KEY AUTOINCREMENT,
			id               TEXT NOT NULL UNIQUE,
			account_id       TEXT NOT NULL,
			region           TEXT NOT NULL,
			pipeline         TEXT NOT NULL,
			pipeline_version INTEGER NOT NULL,
			definition       TEXT NOT NULL,
			status           TEXT NOT NULL,
			state            TEXT NOT NULL,
			owner            TEXT NOT NULL DEFAULT '',
			heartbeat_at     TEXT NOT NULL,
			waiting_stage    TEXT NOT NULL DEFAULT '',
			stop_requested   INTEGER NOT NULL DEFAULT 0,
			stop_abandon     INTEGER NOT NULL DEFAULT 0,
			stop_reason      TEXT NOT NULL DEFAULT '',
			superseded_by    TEXT NOT NULL DEFAULT '',
			created_at       TEXT NOT NULL
		)`,
		`CREATE INDEX executions_by_pipeline ON executions(account_id, region, pipeline, seq)`,
		`CREATE INDEX executions_by_status ON executions(status)`,
		// A stage holds one execution at a time in the SUPERSEDED and QUEUED modes.
		`CREATE TABLE stage_locks (
			account_id   TEXT NOT NULL,
			region       TEXT NOT NULL,
			pipeline     TEXT NOT NULL,
			stage        TEXT NOT NULL,
			execution_id TEXT NOT NULL,
			PRIMARY KEY (account_id, region, pipeline, stage)
		)`,
		`CREATE TABLE approvals (
			execution_id TEXT NOT NULL,
			stage        TEXT NOT NULL,
			action       TEXT NOT NULL,
			approved     INTEGER NOT NULL,
			summary      TEXT NOT NULL DEFAULT '',
			decided_at   TEXT NOT NULL,
			PRIMARY KEY (execution_id, stage, action)
		)`,
		`CREATE TABLE action_logs (
			execution_id TEXT NOT NULL,
			stage        TEXT NOT NULL,
			action       TEXT NOT NULL,
			log          BLOB NOT NULL,
			PRIMARY KEY (execution_id, stage, action)
		)`,
	},
}, {
	version: 3,
	name:    "triggers and webhooks",
	stmts: []string{
		// What the trigger daemon last acted on, per source action of a pipeline: the JSON of
		// the source's identity and revision (object seq, branch and tag commits).
		`CREATE TABLE trigger_cursors (
			account_id TEXT NOT NULL,
			region     TEXT NOT NULL,
			pipeline   TEXT NOT NULL,
			action     TEXT NOT NULL,
			state      TEXT NOT NULL,
			updated_at TEXT NOT NULL,
			PRIMARY KEY (account_id, region, pipeline, action)
		)`,
		// One row per revision a run was started for: the primary key makes "start a run for
		// revision X of source S" happen once, whichever daemon gets there first.
		`CREATE TABLE trigger_starts (
			account_id   TEXT NOT NULL,
			region       TEXT NOT NULL,
			pipeline     TEXT NOT NULL,
			source       TEXT NOT NULL,
			revision     TEXT NOT NULL,
			execution_id TEXT NOT NULL DEFAULT '',
			created_at   TEXT NOT NULL,
			PRIMARY KEY (account_id, region, pipeline, source, revision)
		)`,
		// A lease names the one daemon that watches sources and starts runs; its holder renews
		// it before it expires.
		`CREATE TABLE leases (
			name       TEXT PRIMARY KEY,
			owner      TEXT NOT NULL,
			expires_at TEXT NOT NULL
		)`,
		// The secret token is sealed with the master key, bound to the webhook's identity.
		`CREATE TABLE webhooks (
			account_id       TEXT NOT NULL,
			region           TEXT NOT NULL,
			name             TEXT NOT NULL,
			arn              TEXT NOT NULL UNIQUE,
			authentication   TEXT NOT NULL,
			secret_sealed    BLOB,
			allowed_ip_range TEXT NOT NULL DEFAULT '',
			filters          TEXT NOT NULL,
			target_pipeline  TEXT NOT NULL,
			target_action    TEXT NOT NULL,
			tags             TEXT NOT NULL DEFAULT '{}',
			created_at       TEXT NOT NULL,
			updated_at       TEXT NOT NULL,
			PRIMARY KEY (account_id, region, name)
		)`,
	},
}, {
	version: 4,
	name:    "action processes",
	stmts: []string{
		// The process group an action is running in, so that when its driver dies the process
		// that recovers the run can kill what the action left running.
		`CREATE TABLE action_processes (
			execution_id TEXT NOT NULL,
			stage        TEXT NOT NULL,
			action       TEXT NOT NULL,
			pgid         INTEGER NOT NULL,
			PRIMARY KEY (execution_id, stage, action)
		)`,
	},
}, {
	version: 5,
	name:    "inline object bodies",
	stmts: []string{
		// A small body's stored bytes live in its row (blob_sha256 is then ''): one commit
		// makes them durable, without a file and two fsyncs.
		`ALTER TABLE object_versions ADD COLUMN body BLOB`,
	},
}, {
	version: 6,
	name:    "execution stages",
	stmts: []string{
		// Each stage of a run in its own row (see runstate.go): a save rewrites the stages
		// that changed, not the whole run.
		`CREATE TABLE execution_stages (
			execution_id TEXT NOT NULL,
			stage_index  INTEGER NOT NULL,
			state        TEXT NOT NULL,
			PRIMARY KEY (execution_id, stage_index)
		)`,
	},
}, {
	version: 7,
	name:    "codebuild build numbers",
	stmts: []string{
		// The last CODEBUILD_BUILD_NUMBER given to a build of each CodeBuild project (a
		// CodeBuild action's ProjectName) of an account and region: it only goes up.
		`CREATE TABLE codebuild_build_numbers (
			account_id  TEXT NOT NULL,
			region      TEXT NOT NULL,
			project     TEXT NOT NULL,
			last_number INTEGER NOT NULL,
			PRIMARY KEY (account_id, region, project)
		)`,
	},
}, {
	version: 8,
	name:    "pipeline definitions in CodePipeline's JSON",
	// Definitions were the domain model by Go field names; they become storedDefinition
	// (pipelines.go), CodePipeline's own JSON under a schema version.
	run: migrateDefinitions,
}, {
	version: 9,
	name:    "pipeline run directories",
	stmts: []string{
		// Where the configuration that wrote a pipeline keeps local git sources and Invoke
		// handlers ('' = under the state directory), so that any process runs it alike.
		`ALTER TABLE pipelines ADD COLUMN repositories_dir TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE pipelines ADD COLUMN functions_dir TEXT NOT NULL DEFAULT ''`,
	},
}, {
	version: 10,
	name:    "the AWS endpoint: access keys, tags, managed policies, object metadata, multipart uploads",
	stmts: []string{
		// Set once versioning, enabled before, is turned off (S3's "Suspended").
		`ALTER TABLE buckets ADD COLUMN versioning_suspended INTEGER NOT NULL DEFAULT 0`,
		// S3's ETag (unquoted; '' for versions written before it was kept, which get a derived
		// one) and the JSON of objectMetaRecord (records.go): headers, user metadata, tags,
		// checksums, part count.
		`ALTER TABLE object_versions ADD COLUMN etag TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE object_versions ADD COLUMN meta TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE roles ADD COLUMN path TEXT NOT NULL DEFAULT '/'`,
		`ALTER TABLE roles ADD COLUMN description TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE roles ADD COLUMN max_session_duration INTEGER NOT NULL DEFAULT 3600`,
		// Tags of buckets, keys, roles and managed policies, by the resource's ARN (a
		// pipeline's tags stay in its stored definition).
		`CREATE TABLE resource_tags (
			arn       TEXT NOT NULL,
			tag_key   TEXT NOT NULL,
			tag_value TEXT NOT NULL,
			PRIMARY KEY (arn, tag_key)
		)`,
		`CREATE TABLE managed_policies (
			arn         TEXT PRIMARY KEY,
			account_id  TEXT NOT NULL,
			name        TEXT NOT NULL,
			path        TEXT NOT NULL,
			description TEXT NOT NULL DEFAULT '',
			document    TEXT NOT NULL,
			created_at  TEXT NOT NULL,
			updated_at  TEXT NOT NULL,
			UNIQUE (account_id, name)
		)`,
		`CREATE TABLE role_policy_attachments (
			role_arn   TEXT NOT NULL REFERENCES roles(arn) ON DELETE CASCADE,
			policy_arn TEXT NOT NULL,
			PRIMARY KEY (role_arn, policy_arn)
		)`,
		`CREATE INDEX role_policy_attachments_by_policy ON role_policy_attachments(policy_arn)`,
		// Access keys of account roots (role_arn '') and of role sessions. The secret and the
		// session token are sealed with the master key, bound to the key id.
		`CREATE TABLE access_keys (
			id            TEXT PRIMARY KEY,
			account_id    TEXT NOT NULL,
			principal     TEXT NOT NULL,
			role_arn      TEXT NOT NULL DEFAULT '',
			role_id       TEXT NOT NULL DEFAULT '',
			session_name  TEXT NOT NULL DEFAULT '',
			secret_sealed BLOB NOT NULL,
			token_sealed  BLOB,
			expires_at    TEXT NOT NULL DEFAULT '',
			created_at    TEXT NOT NULL
		)`,
		`CREATE UNIQUE INDEX access_keys_one_root ON access_keys(account_id) WHERE role_arn = ''`,
		// Multipart uploads in progress; each part's body is sealed under its own data key
		// (sealed with the master key) in a file under uploads/ID/.
		`CREATE TABLE multipart_uploads (
			id         TEXT PRIMARY KEY,
			bucket     TEXT NOT NULL REFERENCES buckets(name) ON DELETE CASCADE,
			object_key TEXT NOT NULL,
			initiator  TEXT NOT NULL,
			kms_key_id TEXT NOT NULL DEFAULT '',
			meta       TEXT NOT NULL DEFAULT '',
			created_at TEXT NOT NULL
		)`,
		`CREATE TABLE multipart_parts (
			upload_id   TEXT NOT NULL REFERENCES multipart_uploads(id) ON DELETE CASCADE,
			part_number INTEGER NOT NULL,
			size        INTEGER NOT NULL,
			etag        TEXT NOT NULL,
			checksums   TEXT NOT NULL DEFAULT '',
			file        TEXT NOT NULL,
			sealed_key  BLOB NOT NULL,
			created_at  TEXT NOT NULL,
			PRIMARY KEY (upload_id, part_number)
		)`,
	},
}, {
	version: 11,
	name:    "stage condition overrides",
	stmts: []string{
		// OverrideStageCondition, asked from any process, read by the run's driver while the
		// condition is being evaluated (conditions.go).
		`CREATE TABLE condition_overrides (
			execution_id   TEXT NOT NULL,
			stage          TEXT NOT NULL,
			condition_type TEXT NOT NULL,
			created_at     TEXT NOT NULL,
			PRIMARY KEY (execution_id, stage, condition_type)
		)`,
	},
}, {
	version: 12,
	name:    "blob intents, action process start times",
	stmts: []string{
		// A blob file about to be linked by a put, or about to be removed after a delete: the
		// database names it before the file changes, so that what a killed writer left can be
		// cleaned up, and a file the database never named is never removed (sweep.go).
		`CREATE TABLE blob_intents (
			name       TEXT PRIMARY KEY,
			writer     TEXT NOT NULL,
			created_at TEXT NOT NULL
		)`,
		// The start time of an action's process group leader: a recovery kills the group only
		// while its leader is that process (pids are reused, sometimes within minutes).
		`ALTER TABLE action_processes ADD COLUMN started TEXT NOT NULL DEFAULT ''`,
	},
}, {
	// 13 is taken by work landing on another branch.
	version: 14,
	name:    "parameter and secret store",
	stmts: []string{
		// Every version of a parameter (GetParameter NAME:VERSION reads old ones); values sealed
		// with the master key, bound to account, region, name and version (secrets.go).
		`CREATE TABLE parameters (
			account_id   TEXT NOT NULL,
			region       TEXT NOT NULL,
			name         TEXT NOT NULL,
			version      INTEGER NOT NULL,
			type         TEXT NOT NULL,
			description  TEXT NOT NULL DEFAULT '',
			value_sealed BLOB NOT NULL,
			modified_at  TEXT NOT NULL,
			PRIMARY KEY (account_id, region, name, version)
		)`,
		`CREATE TABLE secrets (
			account_id TEXT NOT NULL,
			region     TEXT NOT NULL,
			name       TEXT NOT NULL,
			arn        TEXT NOT NULL UNIQUE,
			created_at TEXT NOT NULL,
			PRIMARY KEY (account_id, region, name)
		)`,
		// stages: a JSON array of the version's stage labels (a version without one is kept, as
		// Secrets Manager keeps it until it deprecates it).
		`CREATE TABLE secret_versions (
			account_id   TEXT NOT NULL,
			region       TEXT NOT NULL,
			name         TEXT NOT NULL,
			version_id   TEXT NOT NULL,
			stages       TEXT NOT NULL,
			value_sealed BLOB NOT NULL,
			created_at   TEXT NOT NULL,
			PRIMARY KEY (account_id, region, name, version_id)
		)`,
	},
}}

// SchemaVersion is the schema version this code writes.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// ErrSchemaTooNew is returned by Open for a state directory written by a newer provider.
var ErrSchemaTooNew = errors.New("state directory was written by a newer version of the provider")

// migrate brings the schema up to date in one transaction: either every pending step applies
// or none does, and concurrent Opens serialize on the write lock so each step runs once.
func (c *Cloud) migrate(ctx context.Context) error {
	return c.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
			return fmt.Errorf("local backend: schema_version: %w", err)
		}
		var current int
		err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&current)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
				return err
			}
		case err != nil:
			return fmt.Errorf("local backend: reading schema version: %w", err)
		}
		if latest := SchemaVersion(); current > latest {
			return fmt.Errorf("local backend: %s has schema version %d but this provider knows versions up to %d; upgrade the provider (or use another state_dir): %w",
				c.dir, current, latest, ErrSchemaTooNew)
		}
		for _, m := range migrations {
			if m.version <= current {
				continue
			}
			for _, stmt := range m.stmts {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("local backend: migration %d (%s): %w", m.version, m.name, err)
				}
			}
			if m.run != nil {
				if err := m.run(ctx, tx); err != nil {
					return fmt.Errorf("local backend: migration %d (%s): %w", m.version, m.name, err)
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, m.version); err != nil {
				return err
			}
		}
		return nil
	})
}
