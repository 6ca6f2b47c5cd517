package backend

// The record a provider leaves in the Terraform working directory, so that the CLI run from
// there (or below) finds the state directory and the accounts the configuration used without
// being told. It lives in Terraform's data directory (.terraform/, or TF_DATA_DIR), which holds
// a working directory's local data and which every Terraform project already keeps out of
// version control.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// WorkdirRecordFile is the record's file name inside Terraform's data directory.
const WorkdirRecordFile = "codepipeline-state.json"

// DataDirEnv is Terraform's variable for its data directory; DefaultDataDir is its default.
const (
	DataDirEnv     = "TF_DATA_DIR"
	DefaultDataDir = ".terraform"
)

// WorkdirRecord is what the provider processes of the last Terraform command of a working
// directory recorded: the configurations (provider blocks) it used. Terraform starts a
// provider process per provider block, each adds its own; an entry of an earlier command
// (another Terraform process) is dropped by the first process of the next one.
type WorkdirRecord struct {
	SchemaVersion  int                 `json:"schema_version"`
	Configurations []WorkdirConfigured `json:"configurations"`
}

// WorkdirConfigured is one provider configuration of a working directory.
type WorkdirConfigured struct {
	Kind            string `json:"backend"`
	StateDir        string `json:"state_dir,omitempty"`
	AccountID       string `json:"account_id"`
	Region          string `json:"region"`
	RepositoriesDir string `json:"repositories_dir,omitempty"`
	FunctionsDir    string `json:"functions_dir,omitempty"`
	// TerraformPID is the process id of the Terraform command that configured the provider:
	// the provider process's parent.
	TerraformPID int `json:"terraform_pid"`
}

const workdirRecordVersion = 1

// Configured is the part of cfg the record keeps (never credentials or the aws block), for
// the Terraform command of process id terraformPID.
func Configured(cfg Config, terraformPID int) WorkdirConfigured {
	return WorkdirConfigured{Kind: cfg.Kind, StateDir: cfg.StateDir, AccountID: cfg.AccountID, Region: cfg.Region,
		RepositoriesDir: cfg.RepositoriesDir, FunctionsDir: cfg.FunctionsDir, TerraformPID: terraformPID}
}

// AddToWorkdirRecord adds c to the record at path: the entries of the same Terraform command
// stay, those of earlier commands go. Provider processes of one command add theirs at the
// same time, so the read and the write happen under a lock on path+".lock".
func AddToWorkdirRecord(path string, c WorkdirConfigured) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	var keep []WorkdirConfigured
	if rec, err := ReadWorkdirRecord(path); err == nil {
		for _, old := range rec.Configurations {
			if old.TerraformPID == c.TerraformPID && old != c {
				keep = append(keep, old)
			}
		}
	}
	return WriteWorkdirRecord(path, append(keep, c))
}

// WorkdirRecordPath is where the record of the working directory wd goes: in $TF_DATA_DIR
// (relative to wd) when getenv has it, else in wd/.terraform.
func WorkdirRecordPath(wd string, getenv func(string) string) string {
	data := getenv(DataDirEnv)
	if data == "" {
		data = DefaultDataDir
	}
	if !filepath.IsAbs(data) {
		data = filepath.Join(wd, data)
	}
	return filepath.Join(data, WorkdirRecordFile)
}

// WriteWorkdirRecord writes the record of configs to path, replacing what was there, unless it
// holds exactly that already. The file is written whole (temporary file, rename), private.
func WriteWorkdirRecord(path string, configs []WorkdirConfigured) error {
	rec := WorkdirRecord{SchemaVersion: workdirRecordVersion, Configurations: configs}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if old, err := os.ReadFile(path); err == nil && slices.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), WorkdirRecordFile+".*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return nil
}

// ReadWorkdirRecord reads a record; a file of a newer schema is refused, not guessed at.
func ReadWorkdirRecord(path string) (*WorkdirRecord, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rec WorkdirRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if rec.SchemaVersion != workdirRecordVersion {
		return nil, fmt.Errorf("%s: schema version %d, this build reads %d (a newer provider wrote it)", path, rec.SchemaVersion, workdirRecordVersion)
	}
	return &rec, nil
}

// FindWorkdirRecord looks for the record in start's Terraform data directory, then in each
// parent directory's .terraform/, nearest first. It returns the record and its path, or
// fs.ErrNotExist when no directory up to the root has one.
func FindWorkdirRecord(start string, getenv func(string) string) (*WorkdirRecord, string, error) {
	dir, err := filepath.Abs(start)
	if err != nil {
		return nil, "", err
	}
	if p := WorkdirRecordPath(dir, getenv); fileExists(p) {
		rec, err := ReadWorkdirRecord(p)
		return rec, p, err
	}
	for {
		p := filepath.Join(dir, DefaultDataDir, WorkdirRecordFile)
		if fileExists(p) {
			rec, err := ReadWorkdirRecord(p)
			return rec, p, err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, "", fs.ErrNotExist
		}
		dir = parent
	}
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
