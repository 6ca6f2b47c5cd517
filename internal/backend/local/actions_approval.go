package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

func init() {
	registerProvider(pipeline.CategoryApproval, pipeline.OwnerAWS, "Manual", runManualApproval)
}

// runManualApproval waits until someone approves or rejects (PutApprovalResult, the CLI), or
// the action's timeout passes.
func runManualApproval(ctx context.Context, job *actionJob) (*providerResult, error) {
	cfg := job.action.Configuration
	fmt.Fprintf(job.log, "waiting for approval of %s/%s", job.stage, job.action.Name)
	if cfg["CustomData"] != "" {
		fmt.Fprintf(job.log, ": %s", cfg["CustomData"])
	}
	fmt.Fprintln(job.log)
	t := time.NewTicker(controlPoll)
	defer t.Stop()
	for {
		var approved int
		var summary string
		err := job.x.a.c.reader.QueryRowContext(ctx, `SELECT approved, summary FROM approvals WHERE execution_id = ? AND stage = ? AND action = ?`,
			job.x.run.ID, job.stage, job.action.Name).Scan(&approved, &summary)
		switch {
		case err == nil && approved != 0:
			fmt.Fprintf(job.log, "approved: %s\n", summary)
			return &providerResult{summary: "approved: " + summary}, nil
		case err == nil:
			return nil, fmt.Errorf("rejected: %s", summary)
		case !errors.Is(err, sql.ErrNoRows) && ctx.Err() == nil:
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no approval before the action ended: %w", ctx.Err())
		case <-t.C:
		}
	}
}
