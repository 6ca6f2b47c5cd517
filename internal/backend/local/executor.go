package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/proc"
)

// Heartbeat timing of run owners (see liveness.go). A run whose owner is a dead process of
// this machine is recovered as soon as anyone opens the state directory or waits for a stage
// it holds, and a live one never, however old its heartbeat (a paused process is alive); one
// whose owner is elsewhere, once its heartbeat is older than staleAfter.
const (
	defaultHeartbeat  = time.Second
	defaultStaleAfter = 30 * time.Second
	controlPoll       = 100 * time.Millisecond // how often a driver looks for stop, approval and stage locks
)

// ExecuteRun drives an execution in this process until it ends. It claims the run first: a
// run driven by another live process is refused.
func (a *Account) ExecuteRun(ctx context.Context, pipelineName, id string) (*backend.Run, error) {
	// The pipeline as stored now gives the directories its configuration set; a pipeline
	// deleted since the run started leaves the defaults.
	rec, err := a.GetPipeline(ctx, pipelineName)
	if err != nil && !errors.Is(err, backend.ErrNotFound) {
		return nil, err
	}
	e, err := a.claim(ctx, pipelineName, id)
	if err != nil {
		return nil, err
	}
	x := &executor{a: a, e: e, run: &e.run, def: e.definition, dirs: a.dirsFor(rec), allDirty: true, rollbackStage: -1}
	hbCtx, stopHeartbeat := context.WithCancel(context.Background())
	defer stopHeartbeat()
	go x.heartbeat(hbCtx)

	err = x.drive(ctx)
	x.releaseLocks(context.WithoutCancel(ctx))
	a.c.removeRunWorkspaces(e.run.ID)
	stopHeartbeat()
	if err != nil {
		return nil, err
	}
	out := x.snapshot()
	if x.followUp != "" && ctx.Err() == nil {
		// The rollback a failure started: driven here, so that whoever waits for this run
		// sees the stage rolled back when it returns. Its own outcome is its own run's.
		_, _ = a.ExecuteRun(ctx, pipelineName, x.followUp)
	}
	return out, nil
}

// claim makes this process the owner of the run, unless a live process owns it.
func (a *Account) claim(ctx context.Context, pipelineName, id string) (*execution, error) {
	var out *execution
	err := a.c.write(ctx, func(tx *sql.Tx) error {
		e, err := a.loadExecution(ctx, tx, pipelineName, id)
		if err != nil {
			return err
		}
		if backend.RunEnded(e.run.Status) {
			return fmt.Errorf("execution %s already ended (%s): %w", e.run.ID, e.run.Status, backend.ErrInvalid)
		}
		var heartbeat string
		if err := tx.QueryRowContext(ctx, `SELECT heartbeat_at FROM executions WHERE id = ?`, e.run.ID).Scan(&heartbeat); err != nil {
			return err
		}
		if e.owner != "" && e.owner != a.c.owner && !a.c.ownerGone(e.owner, parseTime(heartbeat)) {
			return fmt.Errorf("execution %s is being run by another process (%s): %w", e.run.ID, e.owner, backend.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE executions SET owner = ?, heartbeat_at = ? WHERE id = ?`, a.c.owner, a.c.timestamp(), e.run.ID); err != nil {
			return err
		}
		e.owner = a.c.owner
		out = e
		return nil
	})
	return out, err
}

// executor drives one run. The run's state is written only by it, under mu.
type executor struct {
	a    *Account
	e    *execution
	def  *pipeline.Pipeline
	dirs runDirs // where its local sources and Invoke handlers are

	// inherited is the execution a rollback takes its artifacts and variables from (nil for
	// a standard execution); rollbackStage is the stage a failure rolls back (-1: none), and
	// followUp the rollback execution started for it, driven once this run has ended.
	inherited     *backend.Run
	rollbackStage int
	followUp      string

	mu          sync.Mutex
	run         *backend.Run
	pendingLogs []actionLog // written by the next save
	// live are the logs of the running actions: a save writes what each printed since the
	// last one, so that a log can be read (and followed) while its action runs.
	live     map[[2]int]*liveLog
	heldLock string // the stage this run holds the lock of, "" for none
	// dirty lists the stages changed since the last write (see touch); allDirty asks for
	// every stage, as the first write does (a run stored before stage rows has none yet) and
	// the last (so that the final state is whole even if a change was not marked).
	dirty    map[int]bool
	allDirty bool

	// Coalescing of saves (see save).
	saveMu            sync.Mutex
	saveCond          *sync.Cond
	saving            bool
	saveGen, savedGen int64
	saveErr           error
}

func (x *executor) snapshot() *backend.Run {
	x.mu.Lock()
	defer x.mu.Unlock()
	b, _ := json.Marshal(x.run)
	var out backend.Run
	_ = json.Unmarshal(b, &out)
	return &out
}

func (x *executor) heartbeat(ctx context.Context) {
	t := time.NewTicker(x.a.c.heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = x.a.c.write(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE executions SET heartbeat_at = ? WHERE id = ? AND owner = ?`, x.a.c.timestamp(), x.run.ID, x.a.c.owner)
				return err
			})
			if x.liveLogsGrew() {
				_ = x.save(ctx)
			}
		}
	}
}

// save writes the run's state; it fails when this process no longer owns the run. Saves
// coalesce: while one is being written, the changes of every action of the group that asks
// meanwhile go into the next write, one transaction for all of them (each commit is an fsync).
// A save returns once a write that began after the call has committed. It writes even when ctx
// has ended, so that a run interrupted by its context is recorded as stopped.
func (x *executor) save(ctx context.Context) error {
	x.saveMu.Lock()
	defer x.saveMu.Unlock()
	if x.saveCond == nil {
		x.saveCond = sync.NewCond(&x.saveMu)
	}
	x.saveGen++
	mine := x.saveGen
	for x.savedGen < mine {
		if x.saving {
			x.saveCond.Wait()
			continue
		}
		x.saving = true
		gen := x.saveGen
		x.saveMu.Unlock()
		err := x.writeState(context.WithoutCancel(ctx))
		x.saveMu.Lock()
		x.saving = false
		x.savedGen, x.saveErr = gen, err
		x.saveCond.Broadcast()
	}
	return x.saveErr
}

// touch marks stage si changed, for the next write; x.mu is held.
func (x *executor) touch(si int) {
	if x.dirty == nil {
		x.dirty = map[int]bool{}
	}
	x.dirty[si] = true
}

// writeState writes the run's state (the run and the stages that changed) and the logs of the
// actions that ended since the last write.
func (x *executor) writeState(ctx context.Context) error {
	x.mu.Lock()
	header, err := encodeRunHeader(x.run)
	status := x.run.Status
	var which []int
	if !x.allDirty {
		which = make([]int, 0, len(x.dirty))
		for si := range x.dirty {
			which = append(which, si)
		}
	}
	var stages []stageState
	if err == nil {
		stages, err = encodeStages(x.run, which)
	}
	dirty, allDirty := x.dirty, x.allDirty
	x.dirty, x.allDirty = nil, false
	// The logs of running actions first, then those of actions that ended: one snapshot under
	// mu, so a log that ended is never overwritten by an older live copy (saves are serial).
	logs := x.liveLogsToWrite()
	logs = append(logs, x.pendingLogs...)
	x.pendingLogs = nil
	x.mu.Unlock()
	if err == nil {
		err = x.a.c.write(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE executions SET state = ?, status = ? WHERE id = ? AND owner = ?`, header, status, x.run.ID, x.a.c.owner)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return fmt.Errorf("execution %s was taken over by another process: %w", x.run.ID, backend.ErrConflict)
			}
			if err := writeStages(ctx, tx, x.run.ID, stages); err != nil {
				return err
			}
			return writeLogs(ctx, tx, x.run.ID, logs)
		})
	}
	if err != nil {
		// Kept for the next write: the stages to write again, and the logs ahead of any that
		// came meanwhile (the newest still wins).
		x.mu.Lock()
		for si := range dirty {
			x.touch(si)
		}
		x.allDirty = x.allDirty || allDirty
		x.pendingLogs = append(logs, x.pendingLogs...)
		x.mu.Unlock()
	}
	return err
}

// writeLogs stores the logs of actions that ended.
func writeLogs(ctx context.Context, tx *sql.Tx, runID string, logs []actionLog) error {
	for _, l := range logs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO action_logs (execution_id, stage, action, log) VALUES (?, ?, ?, ?)
			ON CONFLICT (execution_id, stage, action) DO UPDATE SET log = excluded.log`, runID, l.stage, l.action, l.log); err != nil {
			return err
		}
	}
	return nil
}

// actionLog is an action's output waiting to be written with the run's state.
type actionLog struct {
	stage, action string
	log           []byte
}

// liveLog is the log of a running action, and how much of it the last save wrote.
type liveLog struct {
	stage, action string
	log           *proc.Log
	written       int64
}

// liveLogsGrew reports whether a running action printed something since the last save.
func (x *executor) liveLogsGrew() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, l := range x.live {
		if l.log.Len() != l.written {
			return true
		}
	}
	return false
}

// liveLogsToWrite returns the logs of running actions that grew since the last save; x.mu is
// held.
func (x *executor) liveLogsToWrite() []actionLog {
	var out []actionLog
	for _, l := range x.live {
		if n := l.log.Len(); n != l.written {
			l.written = n
			out = append(out, actionLog{stage: l.stage, action: l.action, log: l.log.Bytes()})
		}
	}
	return out
}

// control is what other processes asked of the run.
type control struct {
	stop, abandon bool
	reason        string
	supersededBy  string
}

func (x *executor) readControl(ctx context.Context) (control, error) {
	var c control
	var stop, abandon int
	err := x.a.c.reader.QueryRowContext(ctx, `SELECT stop_requested, stop_abandon, stop_reason, superseded_by FROM executions WHERE id = ?`, x.run.ID).
		Scan(&stop, &abandon, &c.reason, &c.supersededBy)
	c.stop, c.abandon = stop != 0, abandon != 0
	return c, err
}

// drive runs the stages in order from the first one not yet succeeded (or skipped). A
// rollback execution runs its one stage (driveRollback).
func (x *executor) drive(ctx context.Context) error {
	if x.run.ExecutionType == backend.ExecutionRollback {
		return x.driveRollback(ctx)
	}
	for si := range x.def.Stages {
		if st := x.run.Stages[si].Status; st == backend.StatusSucceeded || st == backend.StatusSkipped {
			continue
		}
		outcome, err := x.runStage(ctx, si)
		if err != nil {
			return err
		}
		if outcome == backend.StatusSkipped {
			continue
		}
		if outcome != backend.StatusSucceeded {
			if x.rollbackStage >= 0 {
				x.startAutoRollback(ctx, x.rollbackStage)
			}
			return x.finish(ctx, outcome, si)
		}
	}
	return x.finish(ctx, backend.StatusSucceeded, len(x.def.Stages))
}

// finish ends the run with status; stages after the last one reached are cancelled.
func (x *executor) finish(ctx context.Context, status string, lastStage int) error {
	x.mu.Lock()
	if x.run.Status == backend.StatusInProgress || x.run.Status == backend.StatusStopping {
		x.run.Status = status
	}
	for k := lastStage + 1; k < len(x.run.Stages); k++ {
		if x.run.Stages[k].Status == "" {
			x.run.Stages[k].Status = backend.StatusCancelled
		}
	}
	x.run.Ended = x.a.c.now().UTC()
	x.allDirty = true
	x.mu.Unlock()
	return x.save(ctx)
}

// runStage runs stage si once it may enter it and its entry condition lets it, retries it
// automatically and checks its on-success and on-failure conditions (conditions.go), and
// returns how it ended: Succeeded, Skipped, Failed or Stopped.
func (x *executor) runStage(ctx context.Context, si int) (string, error) {
	stage := &x.def.Stages[si]
	if entered, outcome, err := x.enterStage(ctx, si); err != nil || !entered {
		return outcome, err
	}
	// A rollback re-runs the stage's actions as they ran then: no conditions, no rollback.
	conditions := x.run.ExecutionType != backend.ExecutionRollback
	if conditions && stage.BeforeEntry != nil {
		if outcome, entered, err := x.checkEntry(ctx, si); err != nil || !entered {
			if x.heldLock != "" {
				x.releaseLocks(context.WithoutCancel(ctx))
			}
			return outcome, err
		}
	}
	x.mu.Lock()
	x.run.Stages[si].Status = backend.StatusInProgress
	x.run.Stages[si].Entered = x.a.c.now().UTC()
	x.touch(si)
	x.mu.Unlock()
	if err := x.save(ctx); err != nil {
		return "", err
	}
	outcome := x.runActions(ctx, si)
	for outcome == backend.StatusFailed && x.autoRetry(si) {
		if err := x.save(ctx); err != nil {
			return "", err
		}
		outcome = x.runActions(ctx, si)
	}
	reason := ""
	if outcome == backend.StatusFailed {
		x.mu.Lock()
		if _, act := x.run.Failed(); act != nil {
			reason = fmt.Sprintf("action %s of stage %s failed: %s", act.Name, stage.Name, act.Error)
		}
		x.mu.Unlock()
	}
	if conditions {
		var err error
		switch {
		case outcome == backend.StatusSucceeded && stage.OnSuccess != nil:
			outcome, reason, err = x.checkSuccess(ctx, si)
		case outcome == backend.StatusFailed && stage.OnFailure != nil:
			reason, err = x.checkFailure(ctx, si, reason)
		}
		if err != nil {
			return "", err
		}
	}
	x.mu.Lock()
	x.run.Stages[si].Status = outcome
	x.touch(si)
	if outcome == backend.StatusFailed && reason != "" {
		x.run.StatusReason = reason
	}
	x.mu.Unlock()
	if x.heldLock != "" {
		x.releaseLocks(context.WithoutCancel(ctx))
	}
	return outcome, x.save(ctx)
}

// runActions runs stage si's action groups in order, and returns how the stage's actions
// ended: Succeeded, Failed or Stopped.
func (x *executor) runActions(ctx context.Context, si int) string {
	for _, group := range actionGroups(x.def.Stages[si].Actions) {
		if c, err := x.readControl(ctx); err == nil && c.stop {
			return x.stopped(c)
		}
		if ctx.Err() != nil {
			x.setReason(reasonCtxEnded)
			return backend.StatusStopped
		}
		if outcome := x.runGroup(ctx, si, group); outcome != backend.StatusSucceeded {
			return outcome
		}
	}
	return backend.StatusSucceeded
}

func (x *executor) setReason(reason string) {
	x.mu.Lock()
	x.run.StatusReason = reason
	x.mu.Unlock()
}

// stopped records a requested stop and returns the stage outcome.
func (x *executor) stopped(c control) string {
	if c.supersededBy != "" {
		x.setReason("superseded by execution " + c.supersededBy)
		x.mu.Lock()
		x.run.Status = backend.StatusSuperseded
		x.mu.Unlock()
		return backend.StatusStopped
	}
	x.setReason(c.reason)
	return backend.StatusStopped
}

// runGroup runs one action group (same run_order) concurrently: every action starts, and the
// group fails when any action fails. Actions that already succeeded (a retry) are kept.
func (x *executor) runGroup(ctx context.Context, si int, group []int) string {
	actCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go x.watchAbandon(actCtx, cancel)

	// The group's actions are marked started together, in one save.
	var started []int
	x.mu.Lock()
	now := x.a.c.now().UTC()
	for _, j := range group {
		act := &x.run.Stages[si].Actions[j]
		if act.Status == backend.StatusSucceeded {
			continue
		}
		act.Status, act.Attempt, act.Started, act.Ended = backend.StatusInProgress, act.Attempt+1, now, time.Time{}
		act.Error, act.Summary, act.Outputs, act.OutputVariables = "", "", nil, nil
		started = append(started, j)
	}
	x.touch(si)
	x.mu.Unlock()
	saveErr := x.save(ctx)

	var wg sync.WaitGroup
	for _, j := range started {
		wg.Add(1)
		go func(j int) {
			defer wg.Done()
			if saveErr != nil {
				x.recordAction(actCtx, si, j, nil, saveErr)
				return
			}
			res, err := x.perform(actCtx, si, j)
			x.recordAction(actCtx, si, j, res, err)
		}(j)
	}
	wg.Wait()

	x.mu.Lock()
	defer x.mu.Unlock()
	outcome := backend.StatusSucceeded
	for _, j := range group {
		switch x.run.Stages[si].Actions[j].Status {
		case backend.StatusSucceeded:
		case backend.StatusAbandoned:
			outcome = backend.StatusStopped
		default:
			if outcome == backend.StatusSucceeded {
				outcome = backend.StatusFailed
			}
		}
	}
	return outcome
}

// watchAbandon cancels the running actions when a "stop and abandon" is requested.
func (x *executor) watchAbandon(ctx context.Context, cancel context.CancelFunc) {
	t := time.NewTicker(controlPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if c, err := x.readControl(ctx); err == nil && c.stop && c.abandon {
				x.setReason(c.reason)
				cancel()
				return
			}
		}
	}
}

// recordAction writes an action's outcome. An action interrupted by a stop-and-abandon is
// Abandoned; any other error fails it.
func (x *executor) recordAction(ctx context.Context, si, j int, res *actionResult, err error) {
	x.mu.Lock()
	act := &x.run.Stages[si].Actions[j]
	act.Ended = x.a.c.now().UTC()
	switch {
	case err != nil && ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled):
		act.Status, act.Error = backend.StatusAbandoned, "abandoned: "+err.Error()
	case err != nil:
		act.Status, act.Error = backend.StatusFailed, err.Error()
	default:
		act.Status = backend.StatusSucceeded
	}
	if res != nil {
		act.Outputs, act.OutputVariables, act.Summary = res.outputs, res.variables, res.summary
	}
	x.touch(si)
	x.mu.Unlock()
	_ = x.save(context.WithoutCancel(ctx))
}

// actionGroups returns the indexes of a stage's actions grouped by run_order, ascending.
func actionGroups(actions []pipeline.Action) [][]int {
	byOrder := map[int][]int{}
	var orders []int
	for j := range actions {
		o := actions[j].Order()
		if _, seen := byOrder[o]; !seen {
			orders = append(orders, o)
		}
		byOrder[o] = append(byOrder[o], j)
	}
	sort.Ints(orders)
	out := make([][]int, len(orders))
	for i, o := range orders {
		out[i] = byOrder[o]
	}
	return out
}

// enterStage waits until the run may enter the stage, according to the execution mode:
// PARALLEL never waits; QUEUED waits for the stage to be free and for older waiting runs to go
// first; SUPERSEDED waits for the stage to be free, and a newer run waiting for the same stage
// supersedes this one. It returns entered=false with the run's outcome when the run stops or
// is superseded while waiting.
func (x *executor) enterStage(ctx context.Context, si int) (entered bool, outcome string, err error) {
	mode := x.def.Mode()
	if mode == pipeline.ExecutionModeParallel {
		return true, "", nil
	}
	stage := x.def.Stages[si].Name
	for {
		acquired, err := x.tryLock(ctx, stage, mode)
		if err != nil {
			return false, "", err
		}
		if acquired {
			return true, "", nil
		}
		x.mu.Lock()
		firstWait := x.run.Stages[si].WaitingSince.IsZero()
		if firstWait {
			// Recorded once: when the run began to wait for another run to leave the stage.
			x.run.Stages[si].WaitingSince = x.a.c.now().UTC()
			x.touch(si)
		}
		x.mu.Unlock()
		if firstWait {
			if err := x.save(ctx); err != nil {
				return false, "", err
			}
		}
		c, err := x.readControl(ctx)
		if err != nil {
			return false, "", err
		}
		if c.stop || c.supersededBy != "" {
			return false, x.stopped(c), nil
		}
		select {
		case <-ctx.Done():
			x.setReason(reasonCtxEnded)
			return false, backend.StatusStopped, nil
		case <-time.After(controlPoll):
		}
	}
}

// tryLock takes the stage lock when the mode allows this run to, and records that the run
// waits for the stage otherwise. In SUPERSEDED mode, waiting supersedes older waiting runs, and
// a run that a newer one is already waiting ahead of is superseded itself. In QUEUED mode a
// run also waits while an older run, still driven, has not entered the stage yet.
func (x *executor) tryLock(ctx context.Context, stage, mode string) (bool, error) {
	acquired, recoveredRun := false, ""
	err := x.a.c.write(ctx, func(tx *sql.Tx) error {
		acquired, recoveredRun = false, ""
		id := x.a.id
		// A run superseded while it waited must not take a lock that has just been freed.
		var supersededBy string
		if err := tx.QueryRowContext(ctx, `SELECT superseded_by FROM executions WHERE id = ?`, x.run.ID).Scan(&supersededBy); err != nil {
			return err
		}
		if supersededBy != "" {
			return nil
		}
		var holder string
		err := tx.QueryRowContext(ctx, `SELECT execution_id FROM stage_locks WHERE account_id = ? AND region = ? AND pipeline = ? AND stage = ?`,
			id.AccountID, id.Region, x.run.Pipeline, stage).Scan(&holder)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case holder == x.run.ID:
			acquired = true
			return nil
		}
		if holder != "" {
			// A holder whose driver died holds the stage forever unless a waiter frees it: the
			// waiter itself recovers the dead run, without waiting for another Open.
			freed, err := x.freeDeadHolder(ctx, tx, holder)
			if err != nil {
				return err
			}
			if freed {
				recoveredRun = holder
				holder = ""
			}
		}
		if mode == pipeline.ExecutionModeSuperseded {
			// A newer run already waiting for this stage goes next: this one is replaced.
			newer, err := x.newerRunWaiting(ctx, tx, stage)
			if err != nil || newer != "" {
				if newer != "" {
					_, err = tx.ExecContext(ctx, `UPDATE executions SET superseded_by = ? WHERE id = ?`, newer, x.run.ID)
				}
				return err
			}
		}
		if holder == "" && mode == pipeline.ExecutionModeQueued {
			// Runs enter each stage in the order they were started: an older run that has
			// not entered this stage yet (waiting for it, or still before it) goes first.
			older, err := x.olderRunBefore(ctx, tx, stage)
			if err != nil {
				return err
			}
			if older != "" {
				holder = older
			}
		}
		if holder != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE executions SET waiting_stage = ? WHERE id = ?`, stage, x.run.ID); err != nil {
				return err
			}
			if mode == pipeline.ExecutionModeSuperseded {
				_, err := tx.ExecContext(ctx, `UPDATE executions SET superseded_by = ? WHERE account_id = ? AND region = ? AND pipeline = ?
					AND waiting_stage = ? AND seq < ? AND status = ? AND superseded_by = ''`,
					x.run.ID, id.AccountID, id.Region, x.run.Pipeline, stage, x.e.seq, backend.StatusInProgress)
				return err
			}
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO stage_locks (account_id, region, pipeline, stage, execution_id) VALUES (?, ?, ?, ?, ?)`,
			id.AccountID, id.Region, x.run.Pipeline, stage, x.run.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE executions SET waiting_stage = '' WHERE id = ?`, x.run.ID); err != nil {
			return err
		}
		acquired = true
		return nil
	})
	if err == nil && recoveredRun != "" {
		x.a.c.removeRunWorkspaces(recoveredRun)
	}
	if acquired {
		x.heldLock = stage
	}
	return acquired, err
}

// freeDeadHolder recovers run holder, which holds a stage lock this run waits for, when it
// cannot go on: its driver is gone (abandoned, as recoverAbandonedRuns does), it ended without
// releasing the lock, or it no longer exists. It reports whether the lock is free now.
func (x *executor) freeDeadHolder(ctx context.Context, tx *sql.Tx, holder string) (bool, error) {
	var owner, heartbeat, status, state string
	err := tx.QueryRowContext(ctx, `SELECT owner, heartbeat_at, status, state FROM executions WHERE id = ?`, holder).
		Scan(&owner, &heartbeat, &status, &state)
	switch {
	case errors.Is(err, sql.ErrNoRows) || err == nil && backend.RunEnded(status):
		_, err = tx.ExecContext(ctx, `DELETE FROM stage_locks WHERE execution_id = ?`, holder)
		return err == nil, err
	case err != nil:
		return false, err
	}
	c := x.a.c
	if owner == "" && c.now().Sub(parseTime(heartbeat)) <= c.staleAfter || owner != "" && !c.ownerGone(owner, parseTime(heartbeat)) {
		return false, nil
	}
	return c.abandonDead(ctx, tx, holder, owner, heartbeat, state)
}

// otherRun is another live execution of the pipeline, as the stage-entry rules see it.
type otherRun struct {
	id, owner, heartbeat, waitingStage, state string
}

// otherRuns returns the pipeline's executions in progress, older (seq below this run's) or
// newer, whose driver is alive or which were started recently and are not driven yet: a run
// nobody drives any more must not hold the others back.
func (x *executor) otherRuns(ctx context.Context, q querier, older bool) ([]otherRun, error) {
	cmp := ">"
	if older {
		cmp = "<"
	}
	rows, err := q.QueryContext(ctx, `SELECT id, owner, heartbeat_at, waiting_stage, state FROM executions
		WHERE account_id = ? AND region = ? AND pipeline = ? AND seq `+cmp+` ? AND status IN (?, ?) AND superseded_by = '' ORDER BY seq`,
		x.a.id.AccountID, x.a.id.Region, x.run.Pipeline, x.e.seq, backend.StatusInProgress, backend.StatusStopping)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []otherRun
	for rows.Next() {
		var r otherRun
		if err := rows.Scan(&r.id, &r.owner, &r.heartbeat, &r.waitingStage, &r.state); err != nil {
			return nil, err
		}
		hb := parseTime(r.heartbeat)
		if r.owner == "" && x.a.c.now().Sub(hb) > x.a.c.staleAfter || r.owner != "" && x.a.c.ownerGone(r.owner, hb) {
			continue
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// olderRunBefore returns an older live run that has not entered stage yet, "" for none.
func (x *executor) olderRunBefore(ctx context.Context, q querier, stage string) (string, error) {
	runs, err := x.otherRuns(ctx, q, true)
	if err != nil {
		return "", err
	}
	for _, r := range runs {
		var run backend.Run
		if err := decodeRun(ctx, q, r.state, &run); err != nil {
			return "", fmt.Errorf("execution %s: %w", r.id, err)
		}
		if i := run.StageIndex(stage); i >= 0 && run.Stages[i].Status == "" {
			return r.id, nil
		}
	}
	return "", nil
}

// newerRunWaiting returns the newest live run waiting for stage, "" for none.
func (x *executor) newerRunWaiting(ctx context.Context, q querier, stage string) (string, error) {
	runs, err := x.otherRuns(ctx, q, false)
	if err != nil {
		return "", err
	}
	newest := ""
	for _, r := range runs {
		if r.waitingStage == stage {
			newest = r.id
		}
	}
	return newest, nil
}

// releaseLocks gives up any stage lock the run holds.
func (x *executor) releaseLocks(ctx context.Context) {
	_ = x.a.c.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM stage_locks WHERE execution_id = ?`, x.run.ID)
		return err
	})
	x.heldLock = ""
}

// recoverAbandonedRuns marks Failed the runs whose owner process is gone, releases their stage
// locks and abandons their running actions. Every artifact version they finished stays as it
// is. Called when a state directory is opened.
func (c *Cloud) recoverAbandonedRuns(ctx context.Context) error {
	type candidate struct {
		id, owner, heartbeat, state string
	}
	rows, err := c.reader.QueryContext(ctx, `SELECT id, owner, heartbeat_at, state FROM executions WHERE status IN (?, ?)`,
		backend.StatusInProgress, backend.StatusStopping)
	if err != nil {
		return err
	}
	var cands []candidate
	for rows.Next() {
		var cd candidate
		if err := rows.Scan(&cd.id, &cd.owner, &cd.heartbeat, &cd.state); err != nil {
			rows.Close()
			return err
		}
		if c.ownerGone(cd.owner, parseTime(cd.heartbeat)) {
			cands = append(cands, cd)
		}
	}
	rows.Close()
	for _, cd := range cands {
		if cd.owner == "" && c.now().Sub(parseTime(cd.heartbeat)) <= c.staleAfter {
			continue // started but not picked up yet
		}
		recovered := false
		err = c.write(ctx, func(tx *sql.Tx) (err error) {
			recovered, err = c.abandonDead(ctx, tx, cd.id, cd.owner, cd.heartbeat, cd.state)
			return err
		})
		if err != nil {
			return err
		}
		if recovered {
			c.removeRunWorkspaces(cd.id)
		}
	}
	return nil
}

// abandonDead fails run id as abandoned in tx, its owner being gone: its running actions and
// stages fail, its stage locks are released and the processes its actions left are killed.
// It does nothing, and returns false, when the run was claimed meanwhile (owner or heartbeat
// changed). A run whose state cannot be read is left for a person to look at, but its stage
// locks are released all the same: it must not hold other runs back. The caller removes the
// run's workspaces once tx committed.
func (c *Cloud) abandonDead(ctx context.Context, tx *sql.Tx, id, owner, heartbeat, state string) (bool, error) {
	var run backend.Run
	if err := decodeRun(ctx, tx, state, &run); err != nil {
		_, err = tx.ExecContext(ctx, `DELETE FROM stage_locks WHERE execution_id = ? AND
			EXISTS (SELECT 1 FROM executions WHERE id = ? AND owner = ? AND heartbeat_at = ?)`, id, id, owner, heartbeat)
		return false, err
	}
	abandonRun(&run, c.now().UTC())
	header, err := encodeRunHeader(&run)
	if err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE executions SET status = ?, state = ?, owner = '' WHERE id = ? AND owner = ? AND heartbeat_at = ?`,
		run.Status, header, id, owner, heartbeat)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false, nil
	}
	if err := putStages(ctx, tx, &run, nil); err != nil {
		return false, err
	}
	if _, err = tx.ExecContext(ctx, `DELETE FROM stage_locks WHERE execution_id = ?`, id); err != nil {
		return false, err
	}
	return true, killLeftProcesses(ctx, tx, id, owner)
}

// abandonRun marks a run whose driver died: running actions and stages failed, the run Failed
// with reason abandoned.
func abandonRun(run *backend.Run, now time.Time) {
	for i := range run.Stages {
		st := &run.Stages[i]
		for j := range st.Actions {
			if st.Actions[j].Status == backend.StatusInProgress {
				st.Actions[j].Status, st.Actions[j].Error, st.Actions[j].Ended = backend.StatusFailed, reasonAbandon, now
			}
		}
		endConditions(st, backend.StatusAbandoned, reasonAbandon, now)
		switch st.Status {
		case backend.StatusInProgress, backend.StatusStopping:
			st.Status = backend.StatusFailed
		case "":
			st.Status = backend.StatusCancelled
		}
	}
	run.Status, run.StatusReason, run.Ended = backend.StatusFailed, reasonAbandon, now
}

// workspace returns a fresh directory for this attempt of action j of stage si (see
// workspaces.go: named by ids, never by the stage's or the action's name).
func (x *executor) workspace(si, j int) (string, error) {
	return x.a.c.newWorkspace(x.run.ID, fmt.Sprintf("%d.%d.%d", si, j, x.run.Stages[si].Actions[j].Attempt))
}

// killLeftProcesses kills the process groups a dead driver's actions left running, when that
// driver ran on this machine (a group id means nothing elsewhere), and forgets them. A group
// is killed only while its leader is the process that was recorded (same start time): a
// group id whose process ended may belong to someone else's processes by now.
func killLeftProcesses(ctx context.Context, tx *sql.Tx, executionID, owner string) error {
	if host, _, _, ok := parseOwner(owner); ok && host == hostname() {
		rows, err := tx.QueryContext(ctx, `SELECT pgid, started FROM action_processes WHERE execution_id = ?`, executionID)
		if err != nil {
			return err
		}
		type group struct {
			pgid    int
			started string
		}
		var groups []group
		for rows.Next() {
			var g group
			if err := rows.Scan(&g.pgid, &g.started); err != nil {
				rows.Close()
				return err
			}
			groups = append(groups, g)
		}
		rows.Close()
		for _, g := range groups {
			if g.pgid > 1 && g.started != "" && processAlive(g.pgid, g.started) {
				_ = syscall.Kill(-g.pgid, syscall.SIGKILL)
			}
		}
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM action_processes WHERE execution_id = ?`, executionID)
	return err
}
