package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

var _ backend.Runner = (*Account)(nil)

// Triggers of a run, as CodePipeline names them.
const (
	maxLogBytes    = 256 << 10 // per action and attempt; the head and the tail are kept
	runsListLimit  = 1000
	reasonAbandon  = "abandoned: the process that ran it stopped without finishing it"
	reasonCtxEnded = "stopped: the process driving the run was interrupted"
)

// execution is a stored run and what the executor needs besides it.
type execution struct {
	seq        int64
	run        backend.Run
	definition *pipeline.Pipeline
	owner      string
	stop       bool
	abandon    bool
	stopReason string
}

// StartRun records a new execution of the pipeline's current definition, with every stage and
// action not yet reached. Variables must be declared by the pipeline; the defaults fill in the
// rest.
func (a *Account) StartRun(ctx context.Context, req backend.RunRequest) (*backend.Run, error) {
	var out *backend.Run
	err := a.c.write(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = a.startRun(ctx, tx, req)
		return err
	})
	return out, err
}

// startRun records a new execution in tx.
func (a *Account) startRun(ctx context.Context, tx *sql.Tx, req backend.RunRequest) (*backend.Run, error) {
	if req.Trigger == "" {
		req.Trigger = backend.TriggerManual
	}
	rec, err := a.pipelineRecord(ctx, tx, req.Pipeline)
	if err != nil {
		return nil, err
	}
	vars, err := runVariables(rec.Definition, req.Variables)
	if err != nil {
		return nil, err
	}
	run := backend.Run{
		ID: newUUID(), Pipeline: rec.Name, PipelineVersion: rec.Version, ExecutionMode: rec.Definition.Mode(), ExecutionType: backend.ExecutionStandard,
		Status: backend.StatusInProgress, Trigger: req.Trigger, TriggerDetail: req.TriggerDetail,
		Variables: vars, SourceRevisions: req.SourceRevisions, Started: a.c.now().UTC(),
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

// runVariables merges overrides into the pipeline's variable defaults.
func runVariables(p *pipeline.Pipeline, overrides map[string]string) (map[string]string, error) {
	vars := map[string]string{}
	declared := map[string]bool{}
	for _, v := range p.Variables {
		declared[v.Name] = true
		if v.DefaultValue != "" {
			vars[v.Name] = v.DefaultValue
		}
	}
	for name, value := range overrides {
		if !declared[name] {
			return nil, fmt.Errorf("variable %q is not declared by pipeline %q (declared: %v): %w", name, p.Name, sortedNames(declared), backend.ErrInvalid)
		}
		vars[name] = value
	}
	for name := range declared {
		if _, ok := vars[name]; !ok {
			return nil, fmt.Errorf("variable %q of pipeline %q has no default value and no value was given: %w", name, p.Name, backend.ErrInvalid)
		}
	}
	return vars, nil
}

func sortedNames(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// loadExecution reads an execution of a pipeline of this account; id "" is the latest.
func (a *Account) loadExecution(ctx context.Context, q querier, pipelineName, id string) (*execution, error) {
	query := `SELECT seq, state, definition, owner, stop_requested, stop_abandon, stop_reason FROM executions
		WHERE account_id = ? AND region = ? AND pipeline = ?`
	args := []any{a.id.AccountID, a.id.Region, pipelineName}
	if id != "" {
		query += ` AND id = ?`
		args = append(args, id)
	}
	query += ` ORDER BY seq DESC LIMIT 1`
	var e execution
	var state, def string
	var stop, abandon int
	err := q.QueryRowContext(ctx, query, args...).Scan(&e.seq, &state, &def, &e.owner, &stop, &abandon, &e.stopReason)
	if errors.Is(err, sql.ErrNoRows) {
		what := pipelineName
		if id != "" {
			what += " execution " + id
		}
		return nil, backend.NotFoundError(backend.KindExecution, what)
	}
	if err != nil {
		return nil, err
	}
	if err := decodeRun(ctx, q, state, &e.run); err != nil {
		return nil, fmt.Errorf("execution %s: %w", id, err)
	}
	if e.definition, err = decodeDefinition(def); err != nil {
		return nil, fmt.Errorf("execution %s: %w", e.run.ID, err)
	}
	e.stop, e.abandon = stop != 0, abandon != 0
	return &e, nil
}

// GetRun returns an execution; id "" is the pipeline's latest.
func (a *Account) GetRun(ctx context.Context, pipelineName, id string) (*backend.Run, error) {
	e, err := a.loadExecution(ctx, a.c.reader, pipelineName, id)
	if err != nil {
		return nil, err
	}
	return &e.run, nil
}

// RunDefinition is the definition an execution runs (its pipeline's version when it started).
func (a *Account) RunDefinition(ctx context.Context, pipelineName, id string) (*pipeline.Pipeline, error) {
	e, err := a.loadExecution(ctx, a.c.reader, pipelineName, id)
	if err != nil {
		return nil, err
	}
	return e.definition, nil
}

// ListRuns returns the pipeline's executions, newest first.
func (a *Account) ListRuns(ctx context.Context, pipelineName string, limit int) ([]*backend.Run, error) {
	if limit <= 0 || limit > runsListLimit {
		limit = runsListLimit
	}
	rows, err := a.c.reader.QueryContext(ctx, `SELECT state FROM executions WHERE account_id = ? AND region = ? AND pipeline = ? ORDER BY seq DESC LIMIT ?`,
		a.id.AccountID, a.id.Region, pipelineName, limit)
	if err != nil {
		return nil, err
	}
	var headers []string
	for rows.Next() {
		var state string
		if err := rows.Scan(&state); err != nil {
			rows.Close()
			return nil, err
		}
		headers = append(headers, state)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*backend.Run, 0, len(headers))
	for _, h := range headers {
		var r backend.Run
		if err := decodeRun(ctx, a.c.reader, h, &r); err != nil {
			return nil, err
		}
		out = append(out, &r)
	}
	return out, nil
}

// StopRun asks the execution's owner to stop it. A run nobody drives yet is stopped at once.
func (a *Account) StopRun(ctx context.Context, pipelineName, id string, abandon bool, reason string) error {
	return a.c.write(ctx, func(tx *sql.Tx) error {
		e, err := a.loadExecution(ctx, tx, pipelineName, id)
		if err != nil {
			return err
		}
		if backend.RunEnded(e.run.Status) {
			return fmt.Errorf("execution %s already ended (%s): %w", e.run.ID, e.run.Status, backend.ErrInvalid)
		}
		if reason == "" {
			reason = "stopped by request"
		}
		var heartbeat string
		if err := tx.QueryRowContext(ctx, `SELECT heartbeat_at FROM executions WHERE id = ?`, e.run.ID).Scan(&heartbeat); err != nil {
			return err
		}
		if e.owner == "" || a.c.ownerGone(e.owner, parseTime(heartbeat)) {
			// Nobody drives the run (not picked up yet, or its driver died): no one would
			// act on the request, so the run stops here.
			stopNow(&e.run, reason, a.c.now().UTC())
			if _, err := putRun(ctx, tx, &e.run, `UPDATE executions SET state = ?, status = ?, owner = '', stop_requested = 1, stop_abandon = ?, stop_reason = ? WHERE id = ?`,
				e.run.Status, boolInt(abandon), reason, e.run.ID); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `DELETE FROM stage_locks WHERE execution_id = ?`, e.run.ID)
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE executions SET stop_requested = 1, stop_abandon = ?, stop_reason = ? WHERE id = ?`,
			boolInt(abandon), reason, e.run.ID)
		return err
	})
}

// stopNow ends a run nobody drives as Stopped: its running actions abandoned, the stages it
// was in stopped, the others cancelled.
func stopNow(run *backend.Run, reason string, now time.Time) {
	for i := range run.Stages {
		st := &run.Stages[i]
		for j := range st.Actions {
			if st.Actions[j].Status == backend.StatusInProgress {
				st.Actions[j].Status, st.Actions[j].Error, st.Actions[j].Ended = backend.StatusAbandoned, "abandoned: "+reason, now
			}
		}
		endConditions(st, backend.StatusCancelled, "cancelled: "+reason, now)
		switch st.Status {
		case backend.StatusInProgress, backend.StatusStopping:
			st.Status = backend.StatusStopped
		case "":
			st.Status = backend.StatusCancelled
		}
	}
	run.Status, run.StatusReason, run.Ended = backend.StatusStopped, reason, now
}

// PutApprovalResult records the decision on a waiting manual approval.
func (a *Account) PutApprovalResult(ctx context.Context, pipelineName, id, stage, action string, approved bool, summary string) error {
	return a.c.write(ctx, func(tx *sql.Tx) error {
		e, err := a.loadExecution(ctx, tx, pipelineName, id)
		if err != nil {
			return err
		}
		act := e.run.Action(stage, action)
		if act == nil {
			return backend.NotFoundError(backend.KindAction, stage+"/"+action)
		}
		if act.Status != backend.StatusInProgress {
			return fmt.Errorf("action %s/%s of execution %s is not waiting for approval (status %q): %w", stage, action, e.run.ID, act.Status, backend.ErrInvalid)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO approvals (execution_id, stage, action, approved, summary, decided_at) VALUES (?, ?, ?, ?, ?, ?)`,
			e.run.ID, stage, action, boolInt(approved), summary, a.c.timestamp())
		if isUniqueViolation(err) {
			return fmt.Errorf("action %s/%s of execution %s was already decided: %w", stage, action, e.run.ID, backend.ErrAlreadyExists)
		}
		return err
	})
}

// ActionLog returns what an action printed (head and tail when it printed more than the cap).
func (a *Account) ActionLog(ctx context.Context, pipelineName, id, stage, action string) ([]byte, error) {
	e, err := a.loadExecution(ctx, a.c.reader, pipelineName, id)
	if err != nil {
		return nil, err
	}
	var log []byte
	err = a.c.reader.QueryRowContext(ctx, `SELECT log FROM action_logs WHERE execution_id = ? AND stage = ? AND action = ?`,
		e.run.ID, stage, action).Scan(&log)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return log, err
}

// RetryStage makes a failed stage of the pipeline's latest execution run again. Only the
// latest execution can be retried, and only at its failed stage, as in CodePipeline.
func (a *Account) RetryStage(ctx context.Context, pipelineName, id, stage string, allActions bool) (*backend.Run, error) {
	var out *backend.Run
	err := a.c.write(ctx, func(tx *sql.Tx) error {
		latest, err := a.loadExecution(ctx, tx, pipelineName, "")
		if err != nil {
			return err
		}
		if id != "" && latest.run.ID != id {
			return fmt.Errorf("only the latest execution (%s) of pipeline %s can be retried, not %s: %w", latest.run.ID, pipelineName, id, backend.ErrInvalid)
		}
		if latest.run.Status != backend.StatusFailed {
			return fmt.Errorf("execution %s is %s, not Failed: %w", latest.run.ID, latest.run.Status, backend.ErrInvalid)
		}
		run := latest.run
		si := run.StageIndex(stage)
		if si < 0 || run.Stages[si].Status != backend.StatusFailed {
			return fmt.Errorf("stage %q of execution %s did not fail: %w", stage, run.ID, backend.ErrInvalid)
		}
		st := &run.Stages[si]
		resetActions(st, allActions)
		retryConditions(st)
		if st.Retry == nil {
			st.Retry = &backend.StageRetry{}
		}
		st.Retry.ManualAttempts++
		st.Retry.LatestTrigger = backend.RetryManual
		for k := si; k < len(run.Stages); k++ {
			run.Stages[k].Status, run.Stages[k].WaitingSince, run.Stages[k].Entered = "", time.Time{}, time.Time{}
		}
		run.Status, run.StatusReason, run.Ended = backend.StatusInProgress, "", time.Time{}
		if _, err := putRun(ctx, tx, &run, `UPDATE executions SET state = ?, status = ?, owner = '', heartbeat_at = ?, stop_requested = 0, stop_abandon = 0, stop_reason = '' WHERE id = ?`,
			run.Status, a.c.timestamp(), run.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM approvals WHERE execution_id = ? AND stage = ?`, run.ID, stage); err != nil {
			return err
		}
		out = &run
		return nil
	})
	return out, err
}
