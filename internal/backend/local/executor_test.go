package local

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// zipOf builds a small zip of name → content.
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// approvalPipeline is an S3 source followed by a manual approval, in account A.
func approvalPipeline(mode string) *pipeline.Pipeline {
	return &pipeline.Pipeline{
		Name: "gate", RoleARN: "arn:aws:iam::" + acctA + ":role/pipeline", ExecutionMode: mode,
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "gate-artifacts", Type: "S3"}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{{
				Name: "Fetch", Category: "Source", Owner: "AWS", Provider: "S3", Version: "1",
				Configuration:   map[string]string{"S3Bucket": "gate-source", "S3ObjectKey": "app.zip"},
				OutputArtifacts: []string{"src"},
			}}},
			{Name: "Approve", Actions: []pipeline.Action{{
				Name: "Manual", Category: "Approval", Owner: "AWS", Provider: "Manual", Version: "1",
			}}},
		},
	}
}

// setupApprovalPipeline creates the stores, the source object and the pipeline.
func setupApprovalPipeline(t *testing.T, a *Account, mode string) {
	t.Helper()
	ctx := context.Background()
	for _, b := range []string{"gate-artifacts", "gate-source"} {
		must[*backend.Bucket](t)(a.CreateBucket(ctx, backend.Bucket{Name: b, Versioning: true}))
	}
	must[string](t)(a.PutObject(ctx, "", "gate-source", "app.zip", bytes.NewReader(zipOf(t, map[string]string{"index.html": "hello"}))))
	must[*backend.PipelineRecord](t)(a.CreatePipeline(ctx, approvalPipeline(mode)))
}

// waitForAction polls until the action reaches status.
func waitForAction(t *testing.T, a *Account, id, stage, action, status string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		run, err := a.GetRun(context.Background(), "gate", id)
		if err != nil {
			t.Fatal(err)
		}
		if act := run.Action(stage, action); act != nil && act.Status == status {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("action %s/%s of run %s never reached %s", stage, action, id, status)
}

func TestRunApprovedAndRejected(t *testing.T) {
	for _, tc := range []struct {
		name     string
		approved bool
		want     string
	}{{"approved", true, backend.StatusSucceeded}, {"rejected", false, backend.StatusFailed}} {
		t.Run(tc.name, func(t *testing.T) {
			_, a, _ := accounts(t)
			setupApprovalPipeline(t, a, "")
			ctx := context.Background()
			run := must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "gate"}))
			done := make(chan *backend.Run, 1)
			go func() {
				r, err := a.ExecuteRun(ctx, "gate", run.ID)
				if err != nil {
					t.Error(err)
				}
				done <- r
			}()
			waitForAction(t, a, run.ID, "Approve", "Manual", backend.StatusInProgress)
			if err := a.PutApprovalResult(ctx, "gate", run.ID, "Approve", "Manual", tc.approved, "looked at it"); err != nil {
				t.Fatal(err)
			}
			ended := <-done
			if ended.Status != tc.want {
				t.Fatalf("run status = %s (%s), want %s", ended.Status, ended.StatusReason, tc.want)
			}
			src := ended.Action("Source", "Fetch")
			if len(src.Outputs) != 1 || src.Outputs[0].Bucket != "gate-artifacts" || src.Outputs[0].VersionID == "" {
				t.Fatalf("source outputs = %+v, want one version in gate-artifacts", src.Outputs)
			}
			// The stored artifact is the source zip, encrypted with the account's aws/s3 key.
			body, info := must2(t)(a.GetObject(ctx, "", src.Outputs[0].Bucket, src.Outputs[0].Key, src.Outputs[0].VersionID))
			if !bytes.Equal(body, zipOf(t, map[string]string{"index.html": "hello"})) || !strings.Contains(info.KMSKeyARN, ":key/") {
				t.Fatalf("artifact = %d bytes under key %q", len(body), info.KMSKeyARN)
			}
			if !tc.approved && !strings.Contains(ended.Action("Approve", "Manual").Error, "rejected: looked at it") {
				t.Fatalf("rejection error = %q", ended.Action("Approve", "Manual").Error)
			}
		})
	}
}

func must2(t *testing.T) func([]byte, backend.ObjectInfo, error) ([]byte, backend.ObjectInfo) {
	return func(b []byte, i backend.ObjectInfo, err error) ([]byte, backend.ObjectInfo) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b, i
	}
}

func TestRunOfUnsupportedProviderFailsClearly(t *testing.T) {
	_, a, _ := accounts(t)
	setupApprovalPipeline(t, a, "")
	ctx := context.Background()
	p := approvalPipeline("")
	p.Stages[1].Actions[0] = pipeline.Action{Name: "Deploy", Category: "Deploy", Owner: "AWS", Provider: "ECS", Version: "1",
		Configuration: map[string]string{"ClusterName": "c", "ServiceName": "s"}, InputArtifacts: []string{"src"}}
	must[*backend.PipelineRecord](t)(a.UpdatePipeline(ctx, p))
	run := must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "gate"}))
	ended := must[*backend.Run](t)(a.ExecuteRun(ctx, "gate", run.ID))
	stage, act := ended.Failed()
	if ended.Status != backend.StatusFailed || stage == nil || stage.Name != "Approve" || !strings.Contains(act.Error, "Deploy/AWS/ECS is not executed by the local backend") {
		t.Fatalf("run = %s, failed at %v: %+v", ended.Status, stage, act)
	}
}

func TestStopAndAbandonAWaitingApproval(t *testing.T) {
	_, a, _ := accounts(t)
	setupApprovalPipeline(t, a, "")
	ctx := context.Background()
	run := must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "gate"}))
	done := make(chan *backend.Run, 1)
	go func() {
		r, _ := a.ExecuteRun(ctx, "gate", run.ID)
		done <- r
	}()
	waitForAction(t, a, run.ID, "Approve", "Manual", backend.StatusInProgress)
	if err := a.StopRun(ctx, "gate", run.ID, true, "not today"); err != nil {
		t.Fatal(err)
	}
	ended := <-done
	got := []string{ended.Status, ended.Stages[1].Status, ended.Action("Approve", "Manual").Status, ended.StatusReason}
	want := []string{backend.StatusStopped, backend.StatusStopped, backend.StatusAbandoned, "not today"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("stopped run (-want +got):\n%s", diff)
	}
}

func TestAbandonedRunIsRecoveredOnOpen(t *testing.T) {
	dir := t.TempDir()
	c := openCloud(t, dir)
	a := c.As(acctA, region)
	setupApprovalPipeline(t, a, "")
	ctx := context.Background()
	run := must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "gate"}))
	// A driver that died: a process of this machine that no longer exists.
	dead := processOwner()
	dead = strings.Replace(dead, ":"+strings.Split(dead, ":")[1]+":", ":999999999:", 1)
	if err := c.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE executions SET owner = ? WHERE id = ?`, dead, run.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c2 := openCloud(t, dir)
	got := must[*backend.Run](t)(c2.As(acctA, region).GetRun(ctx, "gate", run.ID))
	if got.Status != backend.StatusFailed || !strings.HasPrefix(got.StatusReason, "abandoned") {
		t.Fatalf("after reopening: %s (%s), want Failed (abandoned)", got.Status, got.StatusReason)
	}
	if _, err := c2.As(acctA, region).ExecuteRun(ctx, "gate", run.ID); !errors.Is(err, backend.ErrInvalid) {
		t.Fatalf("driving an abandoned run: %v, want ErrInvalid", err)
	}
}
