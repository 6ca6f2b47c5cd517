package local

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// TestOrphanedObjectFilesAreSwept: files a dead put left (a linked file no version names, a
// temporary file) are removed when the directory is opened, once old enough; files of
// versions, and recent files that may belong to a put in flight, stay; and the sweep runs at
// most once a day.
func TestOrphanedObjectFilesAreSwept(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	dir := t.TempDir()
	c := openCloud(t, dir, WithNow(clk.Now))
	c.inlineMax = 0
	a := c.As(acctA, region)
	defer a.Close()
	must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: "kept", Versioning: true}))
	v := must[string](t)(a.PutObject(ctx, "", "kept", "k", bytes.NewReader([]byte("a body"))))
	kept := blobFiles(t, c)

	objects := filepath.Join(dir, objectsDir)
	orphan := filepath.Join(objects, "ab", "ab"+newVersionID()[2:])
	if err := os.MkdirAll(filepath.Dir(orphan), 0o700); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(objects, ".tmp-123")
	recent := filepath.Join(objects, "cd", "cd"+newVersionID()[2:])
	if err := os.MkdirAll(filepath.Dir(recent), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{orphan, tmp, recent} {
		if err := os.WriteFile(f, []byte("left over"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Everything but recent is two hours old by the clock the sweep uses.
	old := clk.Now().Add(-2 * time.Hour)
	for _, f := range append([]string{orphan, tmp}, kept...) {
		if err := os.Chtimes(f, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(recent, clk.Now(), clk.Now()); err != nil {
		t.Fatal(err)
	}

	// The first Open of this directory swept before the files existed; a day later it sweeps.
	if n := must[int](t)(c.sweepObjects(ctx)); n != 0 {
		t.Errorf("a second sweep the same day removed %d files", n)
	}
	clk.Advance(25 * time.Hour)
	if err := os.Chtimes(recent, clk.Now(), clk.Now()); err != nil {
		t.Fatal(err)
	}
	openCloud(t, dir, WithNow(clk.Now)) // Open sweeps
	var left []string
	for _, f := range []string{orphan, tmp, recent} {
		if _, err := os.Stat(f); err == nil {
			left = append(left, filepath.Base(f))
		}
	}
	if diff := cmp.Diff([]string{filepath.Base(recent)}, left); diff != "" {
		t.Errorf("files left after the sweep (-want +got):\n%s", diff)
	}
	if body, _ := must2(t)(a.GetObject(ctx, "", "kept", "k", v)); string(body) != "a body" {
		t.Errorf("a version's body after the sweep: %q", body)
	}
}
