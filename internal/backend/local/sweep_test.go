package local

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// deadProcess returns the pid and start time of a process of this machine that has exited.
func deadProcess(t *testing.T) (int, string) {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	start := startTime(pid)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	return pid, start
}

// TestLeftoversOfDeadWritersAreSweptAtOnce: a put killed while writing leaves a temporary file,
// and one killed between linking its file and committing its version leaves a file no version
// names. Once their writer is gone they go at the next Open, not an hour later; what a live
// writer is writing, and files the database never named, stay.
func TestLeftoversOfDeadWritersAreSweptAtOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := openCloud(t, dir)
	c.inlineMax = 0
	a := c.As(acctA, region)
	defer a.Close()
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "kept", Versioning: true}))
	v := must[string](t)(a.PutObject(ctx, "", "kept", "k", bytes.NewReader([]byte("a body"))))
	kept := blobFiles(t, c)

	pid, start := deadProcess(t)
	deadTag := hostTag() + "-" + strconv.Itoa(pid) + "-" + start + "-"
	objects := filepath.Join(dir, objectsDir)
	deadTemp := filepath.Join(objects, blobTempPrefix+deadTag+"123")
	liveTemp := filepath.Join(objects, writerPrefix(blobTempPrefix)+"456")
	deadMaster := filepath.Join(dir, masterTempPrefix+deadTag+"789")
	// A part of a multipart upload being sealed when its writer died.
	deadPart := filepath.Join(c.uploadDir(newVersionID()[:blobIDLen]), blobTempPrefix+deadTag+"000")
	// A file linked by a put whose process died before its version committed: named by an
	// intent of that process.
	linked := newVersionID()
	// A file nobody named (another copy of the database's, say).
	unknown := newVersionID()
	for _, f := range []string{deadTemp, liveTemp, deadMaster, deadPart, c.blobPath(linked), c.blobPath(unknown)} {
		if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("left over"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	deadOwner := hostname() + ":" + strconv.Itoa(pid) + ":dead0000." + start
	if err := c.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO blob_intents (name, writer, created_at) VALUES (?, ?, ?)`, linked, deadOwner, c.timestamp())
		return err
	}); err != nil {
		t.Fatal(err)
	}

	openCloud(t, dir).Close() // Open sweeps: everything is a second old
	var left []string
	for _, f := range []string{deadTemp, liveTemp, deadMaster, deadPart, c.blobPath(linked), c.blobPath(unknown)} {
		if _, err := os.Stat(f); err == nil {
			left = append(left, filepath.Base(f))
		}
	}
	if diff := cmp.Diff([]string{filepath.Base(liveTemp), unknown}, left); diff != "" {
		t.Errorf("files left after the sweep (-want +got):\n%s", diff)
	}
	var intents int
	if err := c.reader.QueryRow(`SELECT count(*) FROM blob_intents`).Scan(&intents); err != nil {
		t.Fatal(err)
	}
	if intents != 0 {
		t.Errorf("%d intents left after the sweep", intents)
	}
	for _, f := range kept {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("a version's file was removed: %v", err)
		}
	}
	if body, _ := must2(t)(a.GetObject(ctx, "", "kept", "k", v)); string(body) != "a body" {
		t.Errorf("a version's body after the sweep: %q", body)
	}
}

// TestTemporaryFilesOfUnknownWritersGoByAge: a temporary file whose name does not say its
// writer (another machine, an older version) is removed only once it is an hour old.
func TestTemporaryFilesOfUnknownWritersGoByAge(t *testing.T) {
	clk := &clock{t: time.Now()}
	dir := t.TempDir()
	openCloud(t, dir, WithNow(clk.Now)).Close()
	objects := filepath.Join(dir, objectsDir)
	old, recent := filepath.Join(objects, ".tmp-123"), filepath.Join(objects, ".tmp-othermachine-1-2-3")
	for _, f := range []string{old, recent} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	two := clk.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(old, two, two); err != nil {
		t.Fatal(err)
	}
	openCloud(t, dir, WithNow(clk.Now)).Close()
	if _, err := os.Stat(old); err == nil {
		t.Error("an old temporary file of an unknown writer was kept")
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("a recent temporary file of an unknown writer was removed: %v", err)
	}
}
