package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// How a run's state is stored: the run itself (status, reason, variables, times) as JSON in
// executions.state, and each stage (its status and its actions) as JSON in a row of
// execution_stages. The executor's saves write the run and only the stages that changed, so
// a save costs the same in the 50th stage of a pipeline as in the first. A run stored before
// stage rows existed keeps its stages inside executions.state, and is read as it is.

// encodeRunHeader is the run without its stages, for executions.state (records.go).
func encodeRunHeader(run *backend.Run) (string, error) {
	b, err := json.Marshal(runHeaderRecord(run))
	return string(b), err
}

// stageState is one stage of a run, encoded for its row.
type stageState struct {
	index int
	state string
}

// encodeStages encodes the stages of run listed in which (every stage when which is nil).
func encodeStages(run *backend.Run, which []int) ([]stageState, error) {
	if which == nil {
		which = make([]int, len(run.Stages))
		for i := range which {
			which[i] = i
		}
	}
	out := make([]stageState, 0, len(which))
	for _, i := range which {
		b, err := json.Marshal(stageRecordOf(run.Stages[i]))
		if err != nil {
			return nil, err
		}
		out = append(out, stageState{i, string(b)})
	}
	return out, nil
}

// writeStages writes encoded stage rows of the run runID.
func writeStages(ctx context.Context, tx *sql.Tx, runID string, stages []stageState) error {
	for _, st := range stages {
		if _, err := tx.ExecContext(ctx, `INSERT INTO execution_stages (execution_id, stage_index, state) VALUES (?, ?, ?)
			ON CONFLICT (execution_id, stage_index) DO UPDATE SET state = excluded.state`, runID, st.index, st.state); err != nil {
			return err
		}
	}
	return nil
}

// putStages writes the stage rows of run listed in which (every stage when which is nil).
func putStages(ctx context.Context, tx *sql.Tx, run *backend.Run, which []int) error {
	stages, err := encodeStages(run, which)
	if err != nil {
		return err
	}
	return writeStages(ctx, tx, run.ID, stages)
}

// putRun writes a whole run: status and header columns through update (an UPDATE or INSERT
// of executions taking the header as its first argument and args after it), then every stage.
func putRun(ctx context.Context, tx *sql.Tx, run *backend.Run, update string, args ...any) (sql.Result, error) {
	header, err := encodeRunHeader(run)
	if err != nil {
		return nil, err
	}
	res, err := tx.ExecContext(ctx, update, append([]any{header}, args...)...)
	if err != nil {
		return nil, err
	}
	return res, putStages(ctx, tx, run, nil)
}

// decodeRun reads a stored run: the header, then its stage rows (if it has any).
func decodeRun(ctx context.Context, q querier, header string, run *backend.Run) error {
	var rec runRecord
	if err := json.Unmarshal([]byte(header), &rec); err != nil {
		return fmt.Errorf("stored state: %w", err)
	}
	*run = rec.toRun()
	rows, err := q.QueryContext(ctx, `SELECT stage_index, state FROM execution_stages WHERE execution_id = ? ORDER BY stage_index`, run.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	var stages []backend.StageRun
	for rows.Next() {
		var i int
		var state string
		if err := rows.Scan(&i, &state); err != nil {
			return err
		}
		if i != len(stages) {
			return fmt.Errorf("stored state: stage %d missing", len(stages))
		}
		var st stageRecord
		if err := json.Unmarshal([]byte(state), &st); err != nil {
			return fmt.Errorf("stored state of stage %d: %w", i, err)
		}
		stages = append(stages, st.toStage())
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if stages != nil {
		run.Stages = stages
	}
	return nil
}
