package backends_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	_ "github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/backends"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/backendtest"
)

// TestLocalBackendConforms runs the conformance suite against the local backend, opened as
// every caller opens it (backend.Open), in the aws partition and in aws-us-gov (ARNs follow
// the region).
func TestLocalBackendConforms(t *testing.T) {
	for _, region := range []string{"us-east-1", "us-gov-west-1"} {
		t.Run(region, func(t *testing.T) {
			backendtest.Run(t, func(t *testing.T) backendtest.Partition {
				dir := t.TempDir()
				return func(t *testing.T, accountID, region string) backend.Backend {
					t.Helper()
					b, err := backend.Open(context.Background(), backend.Config{Kind: backend.KindLocal, AccountID: accountID, Region: region, StateDir: dir})
					if err != nil {
						t.Fatal(err)
					}
					return b
				}
			}, backendtest.Options{Region: region})
		})
	}
}

// TestLocalBackendOffersEveryCapability: the local backend runs pipelines, serves webhooks,
// gives the trigger daemon its view and is a cloud the AWS endpoint serves, so none of the
// suite's cases is skipped for it.
func TestLocalBackendOffersEveryCapability(t *testing.T) {
	b, err := backend.Open(context.Background(), backend.Config{Kind: backend.KindLocal, AccountID: backend.DefaultAccountID,
		Region: backend.DefaultRegion, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got := backend.Capabilities(b)
	want := []backend.Capability{backend.CapabilityRuns, backend.CapabilityWebhooks, backend.CapabilityTriggers, backend.CapabilityCloud, backend.CapabilityActionLogs, backend.CapabilitySecrets}
	if len(got) != len(want) {
		t.Fatalf("Capabilities = %v, want %v", got, want)
	}
}

// TestExistingOnlyCreatesNothing: a caller that only reads never leaves an empty state
// directory behind; once the state exists, it opens.
func TestExistingOnlyCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	cfg := backend.Config{Kind: backend.KindLocal, AccountID: backend.DefaultAccountID, Region: backend.DefaultRegion, StateDir: dir}
	_, err := backend.Open(context.Background(), cfg, backend.ExistingOnly())
	var none *backend.NoStateError
	if !errors.As(err, &none) || !errors.Is(err, backend.ErrNotFound) || none.Dir != dir {
		t.Fatalf("Open(ExistingOnly) of a missing state = %v, want a NoStateError for %s", err, dir)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open(ExistingOnly) created %s", dir)
	}
	b, err := backend.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	b, err = backend.Open(context.Background(), cfg, backend.ExistingOnly())
	if err != nil {
		t.Fatalf("Open(ExistingOnly) of an existing state: %v", err)
	}
	b.Close()
}
