package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Rollbacks, as CodePipeline does them: a new execution of type ROLLBACK that runs one stage
// again with the artifacts and variables of a target, an earlier execution of the same
// pipeline version in which the stage succeeded. A stage whose failure engages ROLLBACK (its
// on_failure result, or a failed on-success or on-failure condition) is rolled back to the
// latest such execution; RollbackStage rolls back to a chosen one.

// RollbackStage records a ROLLBACK execution of stage with the artifacts of execution target;
// the caller drives it with ExecuteRun.
func (a *Account) RollbackStage(ctx context.Context, pipelineName, stage, target string) (*backend.Run, error) {
	var out *backend.Run
	err := a.c.write(ctx, func(tx *sql.Tx) error {
		rec, err := a.pipelineRecord(ctx, tx, pipelineName)
		if err != nil {
			return err
		}
		if target == "" {
			return fmt.Errorf("no target execution: name the earlier execution to roll stage %q back to: %w", stage, backend.ErrInvalid)
		}
		t, err := a.loadExecution(ctx, tx, pipelineName, target)
		if err != nil {
			return err
		}
		if err := a.rollbackAllowed(ctx, tx, rec, stage, &t.run); err != nil {
			return err
		}
		out, err = a.startRollback(ctx, tx, rec, stage, &t.run, backend.TriggerManualRollback, "")
		return err
	})
	return out, err
}

// unableToRollback is the error of a refused rollback.
func unableToRollback(format string, args ...any) error {
	return fmt.Errorf("%s: %w: %w", fmt.Sprintf(format, args...), backend.ErrUnableToRollbackStage, backend.ErrInvalid)
}

// rollbackAllowed checks that stage can be rolled back to target now.
func (a *Account) rollbackAllowed(ctx context.Context, q querier, rec *backend.PipelineRecord, stage string, target *backend.Run) error {
	def := rec.Definition
	si := -1
	for i := range def.Stages {
		if def.Stages[i].Name == stage {
			si = i
		}
	}
	if si < 0 {
		return backend.NotFoundError(backend.KindStage, stage)
	}
	if def.Mode() == pipeline.ExecutionModeParallel {
		return unableToRollback("pipeline %s runs in PARALLEL mode, where executions run side by side and there is no stage to roll back", rec.Name)
	}
	if target.PipelineVersion != rec.Version {
		return unableToRollback("execution %s ran version %d of pipeline %s, which is at version %d now: a rollback re-runs the stage as it is defined, with the artifacts of an execution of the same version",
			target.ID, target.PipelineVersion, rec.Name, rec.Version)
	}
	ti := target.StageIndex(stage)
	if ti < 0 || target.Stages[ti].Status != backend.StatusSucceeded {
		status := "never reached it"
		if ti >= 0 && target.Stages[ti].Status != "" {
			status = "ended it " + target.Stages[ti].Status
		}
		return unableToRollback("execution %s did not succeed in stage %q (it %s); roll back to an execution that did", target.ID, stage, status)
	}
	var holder string
	err := q.QueryRowContext(ctx, `SELECT execution_id FROM stage_locks WHERE account_id = ? AND region = ? AND pipeline = ? AND stage = ?`,
		a.id.AccountID, a.id.Region, rec.Name, stage).Scan(&holder)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	default:
		return unableToRollback("stage %q is running execution %s; roll it back once it ended", stage, holder)
	}
	return nil
}

// startRollback records a ROLLBACK execution of stage with target's artifacts and variables.
func (a *Account) startRollback(ctx context.Context, tx *sql.Tx, rec *backend.PipelineRecord, stage string, target *backend.Run, trigger, detail string) (*backend.Run, error) {
	run := backend.Run{
		ID: newUUID(), Pipeline: rec.Name, PipelineVersion: rec.Version, ExecutionMode: rec.Definition.Mode(),
		ExecutionType: backend.ExecutionRollback, RollbackTarget: target.ID, RollbackStage: stage,
		Status: backend.StatusInProgress, Trigger: trigger, TriggerDetail: detail,
		Variables: target.Variables, SourceRevisions: target.SourceRevisions, Started: a.c.now().UTC(),
	}
	for _, s := range rec.Definition.Stages {
		sr := backend.StageRun{Name: s.Name}
		for _, act := range s.Actions {
			sr.Actions = append(sr.Actions, backend.ActionRun{Name: act.Name})
		}
		run.Stages = append(run.Stages, sr)
	}
	def, err := encodeDefinition(rec.Definition)
	if err != nil {
		return nil, err
	}
	now := a.c.timestamp()
	if _, err := putRun(ctx, tx, &run, `INSERT INTO executions (state, id, account_id, region, pipeline, pipeline_version, definition, status, heartbeat_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		run.ID, a.id.AccountID, a.id.Region, rec.Name, rec.Version, def, run.Status, now, now); err != nil {
		return nil, err
	}
	return &run, nil
}

// rollbackTarget returns the latest execution of the pipeline, other than except, that ran
// version and succeeded in stage; nil when there is none.
func (a *Account) rollbackTarget(ctx context.Context, q querier, pipelineName, stage string, version int, except string) (*backend.Run, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, state FROM executions WHERE account_id = ? AND region = ? AND pipeline = ? AND pipeline_version = ? AND id != ? ORDER BY seq DESC`,
		a.id.AccountID, a.id.Region, pipelineName, version, except)
	if err != nil {
		return nil, err
	}
	type row struct{ id, state string }
	var cands []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.state); err != nil {
			rows.Close()
			return nil, err
		}
		cands = append(cands, r)
	}
	rows.Close()
	for _, r := range cands {
		var run backend.Run
		if err := decodeRun(ctx, q, r.state, &run); err != nil {
			return nil, fmt.Errorf("execution %s: %w", r.id, err)
		}
		if i := run.StageIndex(stage); i >= 0 && run.Stages[i].Status == backend.StatusSucceeded {
			return &run, nil
		}
	}
	return nil, nil
}

// startAutoRollback starts the rollback a failure of stage si engaged, and says so in the
// run's reason; the rollback is driven once this run has ended (ExecuteRun).
func (x *executor) startAutoRollback(ctx context.Context, si int) {
	stage := x.def.Stages[si].Name
	var note string
	err := x.a.c.write(ctx, func(tx *sql.Tx) error {
		rec, err := x.a.pipelineRecord(ctx, tx, x.run.Pipeline)
		if err != nil {
			return err
		}
		target, err := x.a.rollbackTarget(ctx, tx, x.run.Pipeline, stage, x.run.PipelineVersion, x.run.ID)
		if err != nil {
			return err
		}
		if target == nil {
			note = fmt.Sprintf("no earlier execution of version %d succeeded in stage %s: there is nothing to roll back to", x.run.PipelineVersion, stage)
			return nil
		}
		if rec.Version != x.run.PipelineVersion {
			note = fmt.Sprintf("pipeline %s was updated to version %d since this execution started: not rolled back", rec.Name, rec.Version)
			return nil
		}
		rb, err := x.a.startRollback(ctx, tx, rec, stage, target, backend.TriggerAutomatedRollback, "execution "+x.run.ID+" failed in stage "+stage)
		if err != nil {
			return err
		}
		x.followUp = rb.ID
		note = fmt.Sprintf("stage %s is rolled back to execution %s by execution %s", stage, target.ID, rb.ID)
		return nil
	})
	if err != nil {
		note = fmt.Sprintf("the rollback of stage %s could not start: %v", stage, err)
	}
	x.mu.Lock()
	if x.run.StatusReason != "" {
		x.run.StatusReason += "; "
	}
	x.run.StatusReason += note
	x.mu.Unlock()
}

// driveRollback runs a rollback execution's stage with its target's artifacts; the stages
// before it are not part of it, those after it are cancelled.
func (x *executor) driveRollback(ctx context.Context) error {
	target, err := x.a.loadExecution(ctx, x.a.c.reader, x.run.Pipeline, x.run.RollbackTarget)
	if err != nil {
		return fmt.Errorf("rollback %s: its target: %w", x.run.ID, err)
	}
	x.inherited = &target.run
	si := x.run.StageIndex(x.run.RollbackStage)
	if si < 0 || si >= len(x.def.Stages) {
		return fmt.Errorf("rollback %s: stage %q is not in its definition: %w", x.run.ID, x.run.RollbackStage, ErrCorrupt)
	}
	if x.run.Stages[si].Status == backend.StatusSucceeded {
		return x.finish(ctx, backend.StatusSucceeded, si)
	}
	outcome, err := x.runStage(ctx, si)
	if err != nil {
		return err
	}
	return x.finish(ctx, outcome, si)
}
