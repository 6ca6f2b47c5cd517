package backend

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func noEnv(string) string { return "" }

// TestWorkdirRecordKeepsOneTerraformCommand: the provider processes of one Terraform command
// (one per provider block) add their configurations; the next command's first process drops
// the earlier command's.
func TestWorkdirRecordKeepsOneTerraformCommand(t *testing.T) {
	wd := t.TempDir()
	path := WorkdirRecordPath(wd, noEnv)
	if want := filepath.Join(wd, ".terraform", WorkdirRecordFile); path != want {
		t.Fatalf("path = %s, want %s", path, want)
	}
	a := WorkdirConfigured{Kind: KindLocal, StateDir: "/s", AccountID: "111111111111", Region: "us-east-1", TerraformPID: 10}
	b := a
	b.AccountID = "222222222222"
	for _, c := range []WorkdirConfigured{a, b, a} {
		if err := AddToWorkdirRecord(path, c); err != nil {
			t.Fatal(err)
		}
	}
	rec, found, err := FindWorkdirRecord(filepath.Join(wd, "sub", "dir"), noEnv)
	if err != nil || found != path {
		t.Fatalf("FindWorkdirRecord = %s, %v", found, err)
	}
	if diff := cmp.Diff([]WorkdirConfigured{b, a}, rec.Configurations); diff != "" {
		t.Errorf("one command's record (-want +got):\n%s", diff)
	}
	next := a
	next.TerraformPID, next.StateDir = 11, "/other"
	if err := AddToWorkdirRecord(path, next); err != nil {
		t.Fatal(err)
	}
	if rec, _ := ReadWorkdirRecord(path); !cmp.Equal([]WorkdirConfigured{next}, rec.Configurations) {
		t.Errorf("the next command's record = %+v", rec.Configurations)
	}
}

func TestWorkdirRecordHonoursTFDataDir(t *testing.T) {
	wd := t.TempDir()
	env := func(k string) string {
		if k == DataDirEnv {
			return "tfdata"
		}
		return ""
	}
	path := WorkdirRecordPath(wd, env)
	if want := filepath.Join(wd, "tfdata", WorkdirRecordFile); path != want {
		t.Fatalf("path = %s, want %s", path, want)
	}
	if err := WriteWorkdirRecord(path, []WorkdirConfigured{{Kind: KindLocal, StateDir: "/s"}}); err != nil {
		t.Fatal(err)
	}
	if _, found, err := FindWorkdirRecord(wd, env); err != nil || found != path {
		t.Errorf("FindWorkdirRecord = %s, %v", found, err)
	}
	if _, _, err := FindWorkdirRecord(t.TempDir(), noEnv); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no record anywhere: %v, want fs.ErrNotExist", err)
	}
}

// TestWorkdirRecordOfANewerSchemaIsRefused: never a guess at a format this build does not know.
func TestWorkdirRecordOfANewerSchemaIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), WorkdirRecordFile)
	if err := os.WriteFile(path, []byte(`{"schema_version": 2, "configurations": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadWorkdirRecord(path); err == nil {
		t.Error("a record of schema 2 was read")
	}
}
