package local

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

func samplePipeline(name string) *pipeline.Pipeline {
	return &pipeline.Pipeline{
		Name:           name,
		RoleARN:        "arn:aws:iam::111111111111:role/pipeline-service",
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "artifacts-a", Type: "S3"}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{{Name: "src", Category: "Source", Owner: "AWS", Provider: "S3", Version: "1",
				Configuration: map[string]string{"S3Bucket": "src", "S3ObjectKey": "app.zip"}, OutputArtifacts: []string{"src"}}}},
			{Name: "Build", Actions: []pipeline.Action{{Name: "build", Category: "Build", Owner: "AWS", Provider: "CodeBuild", Version: "1",
				Configuration: map[string]string{"ProjectName": "p"}, InputArtifacts: []string{"src"}, RunOrder: 2}}},
		},
	}
}

func TestPipelineVersions(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	_, a, b := accounts(t, WithNow(clk.Now))
	p := samplePipeline("app")
	rec := must[*backend.PipelineRecord](t)(a.CreatePipeline(ctx, p))
	want := &backend.PipelineRecord{
		Name: "app", ARN: "arn:aws:codepipeline:us-east-1:111111111111:app", AccountID: acctA, Region: region,
		Version: 1, Definition: p, Created: clk.Now(), Updated: clk.Now(),
	}
	if diff := cmp.Diff(want, rec); diff != "" {
		t.Errorf("CreatePipeline (-want +got):\n%s", diff)
	}
	if _, err := a.CreatePipeline(ctx, p); !errors.Is(err, backend.ErrAlreadyExists) {
		t.Errorf("duplicate pipeline: err = %v, want ErrAlreadyExists", err)
	}
	// Names are per account and region.
	if _, err := b.CreatePipeline(ctx, p); err != nil {
		t.Errorf("same name in account B: %v", err)
	}
	for i := 2; i <= 3; i++ {
		clk.Advance(time.Minute)
		p.Stages[1].Actions[0].Configuration["ProjectName"] = "p" + string(rune('0'+i))
		rec = must[*backend.PipelineRecord](t)(a.UpdatePipeline(ctx, p))
		if rec.Version != i || !rec.Updated.Equal(clk.Now()) || !rec.Created.Equal(want.Created) {
			t.Errorf("update %d: version %d updated %v created %v", i, rec.Version, rec.Updated, rec.Created)
		}
	}
	got := must[*backend.PipelineRecord](t)(a.GetPipeline(ctx, "app"))
	if diff := cmp.Diff(p, got.Definition); diff != "" || got.Version != 3 {
		t.Errorf("GetPipeline version %d, definition (-want +got):\n%s", got.Version, diff)
	}
	if _, err := a.UpdatePipeline(ctx, samplePipeline("missing")); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("UpdatePipeline of a missing pipeline: err = %v, want ErrNotFound", err)
	}
	if err := a.DeletePipeline(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetPipeline(ctx, "app"); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("GetPipeline after delete: err = %v, want ErrNotFound", err)
	}
	if _, err := b.GetPipeline(ctx, "app"); err != nil {
		t.Errorf("account B's pipeline affected: %v", err)
	}
	if _, err := a.CreatePipeline(ctx, &pipeline.Pipeline{Name: "bad name!"}); !errors.Is(err, backend.ErrInvalid) {
		t.Errorf("invalid name: err = %v, want ErrInvalid", err)
	}
}

// TestPipelineKeepsItsRunDirectories: the directories of the configuration that last wrote a
// pipeline are kept with it; a run uses its driver's own when set, else the pipeline's, else
// the state directory's.
func TestPipelineKeepsItsRunDirectories(t *testing.T) {
	ctx := context.Background()
	c, _, _ := accounts(t)
	withDirs := c.For(backend.Config{AccountID: acctA, Region: region, RepositoriesDir: "/repos", FunctionsDir: "/functions"})
	plain := c.For(backend.Config{AccountID: acctA, Region: region})
	own := c.For(backend.Config{AccountID: acctA, Region: region, RepositoriesDir: "/mine"})

	rec := must[*backend.PipelineRecord](t)(withDirs.CreatePipeline(ctx, samplePipeline("app")))
	if rec.RepositoriesDir != "/repos" || rec.FunctionsDir != "/functions" {
		t.Fatalf("created record dirs = %q, %q", rec.RepositoriesDir, rec.FunctionsDir)
	}
	rec = must[*backend.PipelineRecord](t)(plain.GetPipeline(ctx, "app"))
	for _, c := range []struct {
		name string
		a    *Account
		want runDirs
	}{
		{"a process without its own", plain, runDirs{"/repos", "/functions"}},
		{"a process with its own", own, runDirs{"/mine", "/functions"}},
	} {
		if got := c.a.dirsFor(rec); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	// A configuration without directories updates it: its runs use the defaults.
	rec = must[*backend.PipelineRecord](t)(plain.UpdatePipeline(ctx, samplePipeline("app")))
	if got := plain.dirsFor(rec); rec.RepositoriesDir != "" || got.repositories != filepath.Join(c.Dir(), "repositories") {
		t.Errorf("after an update without directories: record %q, dirs %+v", rec.RepositoriesDir, got)
	}
}
