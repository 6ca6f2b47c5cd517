package console

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// driver executes the runs the console starts: a run started with "Release change" and a stage
// retried from a run's page are driven here, as the CLI's `start` and `runs retry` drive them,
// until they end or the console closes (then they are stopped and abandoned, and end Stopped).
type driver struct {
	log    *slog.Logger
	mu     sync.Mutex
	wg     sync.WaitGroup
	active map[string]drivenRun
	ctx    context.Context
	cancel context.CancelFunc
	closed bool
}

type drivenRun struct {
	acct     backend.Runner
	pipeline string
}

const stopReason = "stopped: the console shut down"

func newDriver(log *slog.Logger) *driver {
	ctx, cancel := context.WithCancel(context.Background())
	return &driver{log: log, active: map[string]drivenRun{}, ctx: ctx, cancel: cancel}
}

// drive executes a run in the background; it reports false when the console is closing.
func (d *driver) drive(acct backend.Runner, pipelineName, id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.active[id] = drivenRun{acct: acct, pipeline: pipelineName}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		ended, err := acct.ExecuteRun(d.ctx, pipelineName, id)
		d.mu.Lock()
		delete(d.active, id)
		d.mu.Unlock()
		if err != nil {
			d.log.Warn("console: run not driven to its end", "pipeline", pipelineName, "execution", id, "err", err)
			return
		}
		d.log.Info("console: run ended", "pipeline", pipelineName, "execution", id, "status", ended.Status)
	}()
	return true
}

// shutdown stops the runs being driven and waits up to grace for them to record it.
func (d *driver) shutdown(grace time.Duration) {
	d.mu.Lock()
	d.closed = true
	active := make(map[string]drivenRun, len(d.active))
	for id, r := range d.active {
		active[id] = r
	}
	d.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	for id, r := range active {
		if err := r.acct.StopRun(ctx, r.pipeline, id, true, stopReason); err != nil {
			d.log.Warn("console: stopping run", "pipeline", r.pipeline, "execution", id, "err", err)
		}
	}
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		d.cancel()
		<-done
	}
	d.cancel()
}
