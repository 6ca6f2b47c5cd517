package local

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// fixtureExpectation is what the code that wrote a state directory fixture read back from it
// (testdata/state-vN.expected.json, see testdata/README.md).
type fixtureExpectation struct {
	SchemaVersion int
	Accounts      map[string]*fixtureAccount
}

type fixtureAccount struct {
	Buckets   []*backend.Bucket
	Keys      []*backend.Key
	Roles     []*backend.Role
	Pipelines []*backend.PipelineRecord
	Objects   map[string][]fixtureObject
	Runs      map[string][]*backend.Run
	Logs      map[string]string
	Webhooks  []*backend.Webhook
}

type fixtureObject struct {
	Info       backend.ObjectInfo
	BodySHA256 string
}

// copyFixture copies a committed state directory into a fresh one (opening migrates it in
// place), with the permissions a state directory has.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("testdata", name)
	dst := filepath.Join(t.TempDir(), "state")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestStateDirectoryOfSchemaV6 opens a state directory written by the provider of schema
// version 6 (stored definitions by Go field names) and reads back what that provider read:
// buckets, object versions and bodies, keys, roles, pipelines, the run and its logs, webhooks
// with their secrets. The migration rewrites every stored definition in CodePipeline's JSON;
// the pipelines still run afterwards.
func TestStateDirectoryOfSchemaV6(t *testing.T) {
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join("testdata", "state-v6.expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want fixtureExpectation
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if want.SchemaVersion != 6 {
		t.Fatalf("fixture of schema %d, want 6", want.SchemaVersion)
	}
	legacyOnFailure(t, raw, &want)
	dir := copyFixture(t, "state-v6")
	c := openCloud(t, dir)

	for reopen := 0; reopen < 2; reopen++ { // migrated, then as migrated
		if reopen == 1 {
			c.Close()
			c = openCloud(t, dir)
		}
		for acct, av := range want.Accounts {
			got := readFixtureAccount(t, ctx, c.As(acct, region), av)
			opts := cmp.Options{cmpopts.EquateEmpty(), cmpopts.EquateApproxTime(0), fieldsAfterSchema6}
			if diff := cmp.Diff(av, got, opts); diff != "" {
				t.Errorf("account %s (open %d) read back differently (-schema 6 read +read now):\n%s", acct, reopen+1, diff)
			}
		}
	}

	var version int
	if err := c.reader.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version); err != nil || version != SchemaVersion() {
		t.Fatalf("schema version after open = %d (%v), want %d", version, err, SchemaVersion())
	}
	for _, table := range []string{"pipelines", "executions"} {
		rows, err := c.reader.QueryContext(ctx, `SELECT definition FROM `+table)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var def string
			if err := rows.Scan(&def); err != nil {
				t.Fatal(err)
			}
			n++
			if !strings.HasPrefix(def, `{"schemaVersion":1,"pipeline":{"name":`) || strings.Contains(def, `"RoleARN"`) {
				t.Errorf("%s definition not migrated: %.120s", table, def)
			}
		}
		rows.Close()
		if n == 0 {
			t.Errorf("no %s in the fixture", table)
		}
	}

	// The migrated pipeline still runs, reading the artifacts and keys of the old state.
	a := c.As(acctA, region)
	defer a.Close()
	run := must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "fixture-run"}))
	ended := must[*backend.Run](t)(a.ExecuteRun(ctx, "fixture-run", run.ID))
	if ended.Status != backend.StatusSucceeded {
		t.Fatalf("run of the migrated pipeline: %s (%s)", ended.Status, ended.StatusReason)
	}
	if ended.PipelineVersion != 2 || ended.Variables["greeting"] != "hello again" {
		t.Errorf("run of version %d with variables %v, want version 2 with greeting=hello again", ended.PipelineVersion, ended.Variables)
	}
}

// TestDamagedLegacyDefinitionRefused: a schema 6 definition that does not read stops the
// migration, and so the Open; nothing is converted half way or replaced.
func TestDamagedLegacyDefinitionRefused(t *testing.T) {
	dir := copyFixture(t, "state-v6")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE pipelines SET definition = '{"Name":"fixture-run","Stages":"not a list"}' WHERE name = 'fixture-run'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(backend.Config{Kind: backend.KindLocal, AccountID: acctA, Region: region, StateDir: dir})
	if err == nil || !strings.Contains(err.Error(), "pipeline definitions in CodePipeline's JSON") || !strings.Contains(err.Error(), "fixture-run") {
		t.Fatalf("Open of a damaged definition = %v, want the definitions migration to fail naming the pipeline", err)
	}
	db, err = sql.Open("sqlite", "file:"+filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version int
	var def string
	if err := db.QueryRow(`SELECT version FROM schema_version`).Scan(&version); err != nil || version != 6 {
		t.Errorf("schema version after the failed migration = %d (%v), want 6", version, err)
	}
	if err := db.QueryRow(`SELECT definition FROM pipelines WHERE name = 'fixture-full'`).Scan(&def); err != nil || strings.Contains(def, "schemaVersion") {
		t.Errorf("another definition was converted by the failed migration: %.80s (%v)", def, err)
	}
}

// legacyOnFailure reads the stage field of schema 6's domain model that the model has since
// replaced: OnFailureResult, now the on_failure block's result.
func legacyOnFailure(t *testing.T, raw []byte, want *fixtureExpectation) {
	t.Helper()
	var legacy struct {
		Accounts map[string]struct {
			Pipelines []struct {
				Definition struct {
					Stages []struct{ OnFailureResult string }
				}
			}
		}
	}
	if err := json.Unmarshal(raw, &legacy); err != nil {
		t.Fatal(err)
	}
	for acct, a := range legacy.Accounts {
		for i, p := range a.Pipelines {
			for j, st := range p.Definition.Stages {
				if st.OnFailureResult != "" {
					want.Accounts[acct].Pipelines[i].Definition.Stages[j].OnFailure = &pipeline.FailureConditions{Result: st.OnFailureResult}
				}
			}
		}
	}
}

// fieldsAfterSchema6 are what backend values gained after schema 6, which its provider could
// not read: creation dates, role ids and settings, S3 ETags.
var fieldsAfterSchema6 = cmp.Options{
	cmpopts.IgnoreFields(backend.Bucket{}, "Created"),
	cmpopts.IgnoreFields(backend.Key{}, "Created"),
	cmpopts.IgnoreFields(backend.Role{}, "ID", "Path", "MaxSessionDuration", "Created"),
	cmpopts.IgnoreFields(backend.ObjectInfo{}, "ETag"),
}

func readFixtureAccount(t *testing.T, ctx context.Context, a *Account, want *fixtureAccount) *fixtureAccount {
	t.Helper()
	defer a.Close()
	got := &fixtureAccount{Objects: map[string][]fixtureObject{}, Runs: map[string][]*backend.Run{}, Logs: map[string]string{}}
	for _, wb := range want.Buckets {
		got.Buckets = append(got.Buckets, must[*backend.Bucket](t)(a.GetBucket(ctx, wb.Name)))
		for _, info := range must[[]backend.ObjectInfo](t)(a.ListObjectVersions(ctx, "", wb.Name, "")) {
			o := fixtureObject{Info: info}
			if !info.DeleteMarker {
				body, _, err := a.GetObject(ctx, "", wb.Name, info.Key, info.VersionID)
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(body)
				o.BodySHA256 = hex.EncodeToString(sum[:])
			}
			got.Objects[wb.Name] = append(got.Objects[wb.Name], o)
		}
	}
	for i, wk := range want.Keys {
		id := wk.ARN
		if i == len(want.Keys)-1 && len(wk.Aliases) > 0 {
			id = wk.Aliases[0] // the fixture read its last key by alias
		}
		got.Keys = append(got.Keys, must[*backend.Key](t)(a.GetKey(ctx, id)))
	}
	for _, wr := range want.Roles {
		got.Roles = append(got.Roles, must[*backend.Role](t)(a.GetRole(ctx, wr.Name)))
	}
	for _, wp := range want.Pipelines {
		got.Pipelines = append(got.Pipelines, must[*backend.PipelineRecord](t)(a.GetPipeline(ctx, wp.Name)))
		runs := must[[]*backend.Run](t)(a.ListRuns(ctx, wp.Name, 0))
		got.Runs[wp.Name] = runs
		for _, r := range runs {
			for _, st := range r.Stages {
				for _, ac := range st.Actions {
					got.Logs[r.ID+"/"+st.Name+"/"+ac.Name] = string(must[[]byte](t)(a.ActionLog(ctx, wp.Name, r.ID, st.Name, ac.Name)))
				}
			}
		}
	}
	for _, ww := range want.Webhooks {
		got.Webhooks = append(got.Webhooks, must[*backend.Webhook](t)(a.GetWebhook(ctx, ww.Name)))
	}
	return got
}
