package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/artifact"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/proc"
)

// defaultActionTimeout bounds an action that sets no timeout of its own: long enough for real
// builds, short enough that a hung command does not hold a stage forever. A variable only so
// that tests can shorten it (timeout_in_minutes cannot go below a minute).
var defaultActionTimeout = time.Hour

// defaultApprovalTimeout is how long a manual approval waits, as in CodePipeline (7 days).
const defaultApprovalTimeout = 7 * 24 * time.Hour

// timeoutMinute is the unit of timeout_in_minutes; tests shorten it to see a timeout happen.
var timeoutMinute = time.Minute

// actionJob is what an action provider gets: the action with its configuration resolved, a
// fresh workspace with the input artifacts unpacked, and where to write its log.
type actionJob struct {
	x         *executor
	stage     string
	action    pipeline.Action // configuration with variables resolved
	principal string          // the role the action acts as
	workDir   string
	// inputs maps each input artifact name to the directory it was unpacked into, and
	// inputRefs to the artifact version itself (Deploy/S3 with Extract=false copies it as is).
	inputs    map[string]string
	inputRefs map[string]backend.ArtifactRef
	log       io.Writer
	// isolate is how the action's commands run: in a sandbox, or as they are (isolation.go).
	isolate func(proc.Command) proc.Command
	// atEnd runs once the action ended and its outputs are stored: the removal of what the
	// provider put outside the workspace.
	atEnd []func()
}

// trackProcess records the process group the action runs in now (a build runs one shell per
// phase), for recovery to kill should this process die; the record goes when the action ends.
func (job *actionJob) trackProcess(pgid int) { job.trackProcessOf("")(pgid) }

// trackProcessOf is trackProcess for one of several processes an action runs side by side
// (the builds of a batch), each recorded under the action's name and its part's.
func (job *actionJob) trackProcessOf(part string) func(pgid int) {
	name := job.action.Name
	if part != "" {
		name += "/" + part // "/" is in no action name
	}
	return func(pgid int) {
		x := job.x
		started := startTime(pgid)
		_ = x.a.c.write(context.Background(), func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO action_processes (execution_id, stage, action, pgid, started) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (execution_id, stage, action) DO UPDATE SET pgid = excluded.pgid, started = excluded.started`, x.run.ID, job.stage, name, pgid, started)
			return err
		})
	}
}

// untrackProcesses forgets the action's process groups: they ended with the action.
func (job *actionJob) untrackProcesses() {
	x := job.x
	name := job.action.Name
	_ = x.a.c.write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM action_processes WHERE execution_id = ? AND stage = ? AND (action = ? OR substr(action, 1, ?) = ?)`,
			x.run.ID, job.stage, name, len(name)+1, name+"/")
		return err
	})
}

// actionOutput is one output artifact: files of a directory to zip (entries nil: the whole
// tree), a zip file ready to store, or an object version to store as it is (a source zip).
type actionOutput struct {
	dir     string
	entries []artifact.Entry
	zip     string
	object  *sealedBody
}

// actionResult is what an action produced.
type actionResult struct {
	outputs   []backend.ArtifactRef
	variables map[string]string
	summary   string
}

// providerResult is what a provider returns: its outputs by artifact name, its output
// variables and a one-line summary.
type providerResult struct {
	outputs   map[string]actionOutput
	variables map[string]string
	summary   string
}

// close releases what the outputs hold open (object versions to copy).
func (r *providerResult) close() {
	for _, o := range r.outputs {
		if o.object != nil {
			o.object.Close()
		}
	}
}

// actionProvider executes one action type locally.
type actionProvider func(ctx context.Context, job *actionJob) (*providerResult, error)

// localProviders are the action types the local backend executes. Every other type fails its
// run at that action, clearly: no pretend successes.
var localProviders = map[pipeline.ActionTypeID]actionProvider{}

// registerProvider adds a local action provider; called from the provider files' init.
func registerProvider(category, owner, provider string, run actionProvider) {
	localProviders[pipeline.ActionTypeID{Category: category, Owner: owner, Provider: provider}] = run
}

// perform runs action j of stage si: resolve its configuration, unpack its inputs as its role,
// run its provider with a timeout, and store its outputs as new object versions as its role.
func (x *executor) perform(ctx context.Context, si, j int) (*actionResult, error) {
	act := x.def.Stages[si].Actions[j]
	provider, ok := localProviders[act.Type()]
	if !ok {
		return nil, fmt.Errorf("action type %s is not executed by the local backend (it executes %s); use the AWS backend for it",
			act.Type(), localProviderList())
	}
	values := x.variableValues()
	cfg, err := resolveWith(act.Configuration, values)
	if err != nil {
		return nil, err
	}
	act.Configuration = cfg
	if act.Commands, err = expandAll(act.Commands, values); err != nil {
		return nil, err
	}
	dir, err := x.workspace(si, j)
	if err != nil {
		return nil, err
	}
	defer func() { _ = removeAllWritable(dir) }()
	logw := proc.NewLog(maxLogBytes)
	x.followLog(si, j, logw)
	defer func() { x.storeLog(si, j, logw.Bytes()) }()

	job := &actionJob{x: x, stage: x.def.Stages[si].Name, action: act, principal: x.principalOf(&act),
		workDir: dir, inputs: map[string]string{}, inputRefs: map[string]backend.ArtifactRef{}, log: logw}
	if job.isolate, err = x.isolation(dir, logw); err != nil {
		return nil, err
	}
	defer func() {
		for _, f := range job.atEnd {
			f()
		}
	}()
	if err := x.fetchInputs(ctx, job); err != nil {
		return nil, err
	}
	timeout := defaultActionTimeout
	if act.Category == pipeline.CategoryApproval {
		timeout = defaultApprovalTimeout
	}
	if act.TimeoutInMinutes > 0 {
		timeout = time.Duration(act.TimeoutInMinutes) * timeoutMinute
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := provider(runCtx, job)
	job.untrackProcesses()
	if res != nil {
		defer res.close()
	}
	if err != nil {
		// A failed provider may still say something about the run (a build's warnings and
		// reports): its summary is kept with the error.
		var partial *actionResult
		if res != nil && res.summary != "" {
			partial = &actionResult{summary: res.summary}
		}
		if errors.Is(runCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			return partial, fmt.Errorf("timed out after %s: %w", timeout, err)
		}
		return partial, err
	}
	out := &actionResult{variables: res.variables, summary: res.summary}
	for _, name := range act.OutputArtifacts {
		o, ok := res.outputs[name]
		if !ok {
			return nil, fmt.Errorf("the action did not produce its output artifact %q", name)
		}
		ref, err := x.storeOutput(ctx, job, name, o)
		if err != nil {
			return nil, err
		}
		out.outputs = append(out.outputs, ref)
	}
	return out, nil
}

func localProviderList() string {
	var names []string
	for _, id := range executedActionTypes() {
		names = append(names, id.String())
	}
	return strings.Join(names, ", ")
}

// executedActionTypes are the types of localProviders: those of pipeline.ActionTypes in its
// order, then any other (a Custom-owned type) by name.
func executedActionTypes() []pipeline.ActionTypeID {
	var out, others []pipeline.ActionTypeID
	listed := map[pipeline.ActionTypeID]bool{}
	for _, t := range pipeline.ActionTypes {
		listed[t.ID] = true
		if _, ok := localProviders[t.ID]; ok {
			out = append(out, t.ID)
		}
	}
	for id := range localProviders {
		if !listed[id] {
			others = append(others, id)
		}
	}
	sort.Slice(others, func(i, j int) bool { return others[i].String() < others[j].String() })
	return append(out, others...)
}

// ActionTypes are the action types the local backend executes: those with a local provider.
func (a *Account) ActionTypes() []pipeline.ActionTypeID { return executedActionTypes() }

// principalOf is the role an action acts as: its own role_arn, else the pipeline's role.
func (x *executor) principalOf(a *pipeline.Action) string {
	if a.RoleARN != "" {
		return a.RoleARN
	}
	return x.def.RoleARN
}

// storeFor returns the artifact store block serving an action (its region's, or the only one).
func (x *executor) storeFor(a *pipeline.Action) (*pipeline.ArtifactStoreRef, error) {
	region := a.Region
	if region == "" {
		region = x.a.id.Region
	}
	stores := x.def.ArtifactStores
	if len(stores) == 1 && (stores[0].Region == "" || stores[0].Region == region) {
		return &stores[0], nil
	}
	for i := range stores {
		if stores[i].Region == region {
			return &stores[i], nil
		}
	}
	return nil, fmt.Errorf("no artifact store for region %s", region)
}

// artifactKey is where an output artifact goes in the store: PIPELINE/ARTIFACT/RANDOM, with
// the names cut as CodePipeline cuts them.
func (x *executor) artifactKey(name string) string {
	return cut(x.def.Name, 20) + "/" + cut(name, 10) + "/" + newVersionID()[:7]
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// producedArtifact finds the output artifact of this run with the given name (for a rollback,
// of its target when this run has not produced it).
func (x *executor) producedArtifact(name string) (backend.ArtifactRef, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, run := range []*backend.Run{x.run, x.inherited} {
		if run == nil {
			continue
		}
		for _, st := range run.Stages {
			for _, act := range st.Actions {
				for _, o := range act.Outputs {
					if o.Name == name {
						return o, true
					}
				}
			}
		}
	}
	return backend.ArtifactRef{}, false
}

// fetchInputs reads each input artifact as the action's role and unpacks it in the workspace.
func (x *executor) fetchInputs(ctx context.Context, job *actionJob) error {
	for _, name := range job.action.InputArtifacts {
		ref, ok := x.producedArtifact(name)
		if !ok {
			return fmt.Errorf("input artifact %q was not produced by an earlier action of this run", name)
		}
		dir := filepath.Join(job.workDir, "inputs", name)
		if err := x.a.unpackArtifact(ctx, job.principal, ref, dir); err != nil {
			return err
		}
		job.inputs[name], job.inputRefs[name] = dir, ref
	}
	return nil
}

// storeOutput zips an output (unless it is a zip already) and stores it as a new object
// version in the action's artifact store, as the action's role and with the pipeline's key.
func (x *executor) storeOutput(ctx context.Context, job *actionJob, name string, o actionOutput) (backend.ArtifactRef, error) {
	store, err := x.storeFor(&job.action)
	if err != nil {
		return backend.ArtifactRef{}, err
	}
	key := x.artifactKey(name)
	// Without an encryption_key, CodePipeline encrypts artifacts with the pipeline account's
	// AWS-managed aws/s3 key, whatever the bucket's default: no other account can read them.
	opts := putOptions{kmsKeyID: managedS3Alias}
	if store.EncryptionKey != nil {
		opts.kmsKeyID = store.EncryptionKey.ID
	}
	var version string
	put := func(r io.Reader) (err error) {
		version, err = x.a.putObject(ctx, job.principal, store.Location, key, r, opts)
		return err
	}
	switch {
	case o.object != nil:
		err = put(o.object.Reader())
	case o.zip != "":
		f, ferr := os.Open(o.zip)
		if ferr != nil {
			return backend.ArtifactRef{}, ferr
		}
		defer f.Close()
		err = put(f)
	default:
		err = x.a.c.packArtifact(o, put)
	}
	if err != nil {
		return backend.ArtifactRef{}, fmt.Errorf("storing output artifact %q: %w", name, err)
	}
	return backend.ArtifactRef{Name: name, Bucket: store.Location, Key: key, VersionID: version}, nil
}

// storeLog keeps what the action printed for this execution: it is written with the run's
// state by the save that records the action's end.
func (x *executor) storeLog(si, j int, log []byte) {
	x.mu.Lock()
	delete(x.live, [2]int{si, j})
	x.pendingLogs = append(x.pendingLogs, actionLog{stage: x.def.Stages[si].Name, action: x.def.Stages[si].Actions[j].Name, log: log})
	x.mu.Unlock()
}

// followLog makes the saves of the run write the log of a running action as it grows.
func (x *executor) followLog(si, j int, log *proc.Log) {
	x.mu.Lock()
	if x.live == nil {
		x.live = map[[2]int]*liveLog{}
	}
	x.live[[2]int{si, j}] = &liveLog{stage: x.def.Stages[si].Name, action: x.def.Stages[si].Actions[j].Name, log: log}
	x.mu.Unlock()
}
