package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Runs on AWS are CodePipeline's: it executes them by itself, and this backend starts,
// follows (GetPipelineExecution polled with a growing pause), stops, retries and approves
// them through CodePipeline's APIs. A run is read as CodePipeline tells it: the execution,
// its action executions (one per attempt), the stage states of the latest execution
// (conditions, retries) and its rule executions.

var (
	_ backend.Runner     = (*Backend)(nil)
	_ backend.RemoteRuns = (*Backend)(nil)
)

// RunsExecuteRemotely: CodePipeline runs the pipeline; ExecuteRun only follows it.
func (b *Backend) RunsExecuteRemotely() bool { return true }

// ActionTypes: CodePipeline executes every type of the domain's table.
func (b *Backend) ActionTypes() []pipeline.ActionTypeID {
	out := make([]pipeline.ActionTypeID, 0, len(pipeline.ActionTypes))
	for _, t := range pipeline.ActionTypes {
		out = append(out, t.ID)
	}
	return out
}

// ListRuleTypes: CodePipeline evaluates every rule type of the domain's table.
func (b *Backend) ListRuleTypes(context.Context) ([]backend.RuleType, error) {
	out := make([]backend.RuleType, 0, len(pipeline.RuleTypes))
	for _, t := range pipeline.RuleTypes {
		out = append(out, backend.RuleType{ID: pipeline.RuleTypeID{Category: pipeline.RuleCategoryRule, Owner: pipeline.RuleOwnerAWS, Provider: t.Provider, Version: "1"},
			Doc: t.Doc, Config: t.Config, Commands: t.Provider == pipeline.RuleCommands, Evaluated: true})
	}
	return out, nil
}

// pollSchedule is the pause between two reads of a run being followed: from first, growing
// by half, up to most. Tests shorten it.
var pollSchedule = struct{ first, most time.Duration }{first: 250 * time.Millisecond, most: 10 * time.Second}

// firstRunWait bounds how long CreatePipeline waits for the run CodePipeline starts by itself.
var firstRunWait = 20 * time.Second

// afterCreate stops the run CodePipeline starts when it creates a pipeline: on every backend a
// pipeline runs when codepipeline_run, a trigger or the CLI starts it (backend.TriggerCreate;
// the Real AWS guide). AWS records that run a moment after CreatePipeline returns, so it is
// waited for, briefly.
func (b *Backend) afterCreate(ctx context.Context, name string) error {
	deadline := time.Now().Add(firstRunWait)
	pause := pollSchedule.first
	for {
		out, err := b.clients.cp.ListPipelineExecutions(ctx, &codepipeline.ListPipelineExecutionsInput{PipelineName: awssdk.String(name), MaxResults: awssdk.Int32(5)})
		if err != nil {
			return wrap("codepipeline:ListPipelineExecutions", backend.KindPipeline, name, err)
		}
		for _, s := range out.PipelineExecutionSummaries {
			if s.Trigger == nil || string(s.Trigger.TriggerType) != backend.TriggerCreate {
				continue
			}
			if s.Status == cptypes.PipelineExecutionStatusInProgress {
				_, err := b.clients.cp.StopPipelineExecution(ctx, &codepipeline.StopPipelineExecutionInput{PipelineName: awssdk.String(name),
					PipelineExecutionId: s.PipelineExecutionId, Abandon: true,
					Reason: awssdk.String("terraform-provider-codepipeline: a pipeline runs when codepipeline_run, a trigger or the CLI starts it")})
				if err != nil && codeOf(err) != "PipelineExecutionNotStoppableException" && codeOf(err) != "DuplicatedStopRequestException" {
					return wrap("codepipeline:StopPipelineExecution", backend.KindExecution, awssdk.ToString(s.PipelineExecutionId), err)
				}
			}
			return nil
		}
		if time.Now().Add(pause).After(deadline) {
			return nil // no run appeared: nothing to stop
		}
		if err := sleep(ctx, pause); err != nil {
			return err
		}
		pause = min(pause*3/2, pollSchedule.most)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// revisionType is the kind of revision a source action of def pins.
func revisionType(def *pipeline.Pipeline, action string) cptypes.SourceRevisionType {
	for _, st := range def.Stages {
		for _, a := range st.Actions {
			if a.Name == action {
				switch a.Provider {
				case "S3":
					return cptypes.SourceRevisionTypeS3ObjectVersionId
				case "ECR":
					return cptypes.SourceRevisionTypeImageDigest
				}
			}
		}
	}
	return cptypes.SourceRevisionTypeCommitId
}

// StartRun starts an execution (CodePipeline runs it at once) with the variables and source
// revisions of req.
func (b *Backend) StartRun(ctx context.Context, req backend.RunRequest) (*backend.Run, error) {
	rec, err := b.GetPipeline(ctx, req.Pipeline)
	if err != nil {
		return nil, err
	}
	in := &codepipeline.StartPipelineExecutionInput{Name: awssdk.String(req.Pipeline)}
	for _, k := range sortedKeys(req.Variables) {
		in.Variables = append(in.Variables, cptypes.PipelineVariable{Name: awssdk.String(k), Value: awssdk.String(req.Variables[k])})
	}
	for _, k := range sortedKeys(req.SourceRevisions) {
		in.SourceRevisions = append(in.SourceRevisions, cptypes.SourceRevisionOverride{ActionName: awssdk.String(k),
			RevisionType: revisionType(rec.Definition, k), RevisionValue: awssdk.String(req.SourceRevisions[k])})
	}
	out, err := b.clients.cp.StartPipelineExecution(ctx, in)
	if err != nil {
		return nil, wrap("codepipeline:StartPipelineExecution", backend.KindPipeline, req.Pipeline, err)
	}
	return b.GetRun(ctx, req.Pipeline, awssdk.ToString(out.PipelineExecutionId))
}

// ExecuteRun follows an execution until it ends. When ctx ends first the execution is asked
// to stop (its running actions finish), as a run driven here would be.
func (b *Backend) ExecuteRun(ctx context.Context, name, id string) (*backend.Run, error) {
	pause := pollSchedule.first
	for {
		run, err := b.GetRun(ctx, name, id)
		if err != nil {
			if ctx.Err() != nil {
				return nil, b.stopFollowed(ctx, name, id)
			}
			return nil, err
		}
		if backend.RunEnded(run.Status) {
			return run, nil
		}
		if err := sleep(ctx, pause); err != nil {
			return run, b.stopFollowed(ctx, name, id)
		}
		pause = min(pause*3/2, pollSchedule.most)
	}
}

func (b *Backend) stopFollowed(ctx context.Context, name, id string) error {
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := b.StopRun(stopCtx, name, id, false, "the process following the run ended"); err != nil && !errors.Is(err, backend.ErrInvalid) {
		return fmt.Errorf("%w; stopping run %s: %w", ctx.Err(), id, err)
	}
	return ctx.Err()
}

// summaryOf finds the execution's summary (its start and end times, source revisions, stop
// trigger), which only ListPipelineExecutions gives, among the newest executions.
func (b *Backend) summaryOf(ctx context.Context, name, id string) (*cptypes.PipelineExecutionSummary, error) {
	p := codepipeline.NewListPipelineExecutionsPaginator(b.clients.cp, &codepipeline.ListPipelineExecutionsInput{PipelineName: awssdk.String(name)})
	for page := 0; p.HasMorePages() && page < 10; page++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("codepipeline:ListPipelineExecutions", backend.KindPipeline, name, err)
		}
		for i := range out.PipelineExecutionSummaries {
			if awssdk.ToString(out.PipelineExecutionSummaries[i].PipelineExecutionId) == id {
				return &out.PipelineExecutionSummaries[i], nil
			}
		}
	}
	return nil, nil
}

// GetRun reads an execution ("" = the latest) with its stages and actions.
func (b *Backend) GetRun(ctx context.Context, name, id string) (*backend.Run, error) {
	if id == "" {
		out, err := b.clients.cp.ListPipelineExecutions(ctx, &codepipeline.ListPipelineExecutionsInput{PipelineName: awssdk.String(name), MaxResults: awssdk.Int32(1)})
		if err != nil {
			return nil, wrap("codepipeline:ListPipelineExecutions", backend.KindPipeline, name, err)
		}
		if len(out.PipelineExecutionSummaries) == 0 {
			return nil, backend.NotFoundError(backend.KindExecution, name+" (no execution yet)")
		}
		id = awssdk.ToString(out.PipelineExecutionSummaries[0].PipelineExecutionId)
	}
	got, err := b.clients.cp.GetPipelineExecution(ctx, &codepipeline.GetPipelineExecutionInput{PipelineName: awssdk.String(name), PipelineExecutionId: awssdk.String(id)})
	if err != nil {
		return nil, wrap("codepipeline:GetPipelineExecution", backend.KindExecution, id, err)
	}
	pe := got.PipelineExecution
	run := &backend.Run{ID: id, Pipeline: name, PipelineVersion: int(awssdk.ToInt32(pe.PipelineVersion)), ExecutionMode: string(pe.ExecutionMode),
		ExecutionType: string(pe.ExecutionType), Status: string(pe.Status), StatusReason: awssdk.ToString(pe.StatusSummary)}
	if pe.Trigger != nil {
		run.Trigger, run.TriggerDetail = string(pe.Trigger.TriggerType), awssdk.ToString(pe.Trigger.TriggerDetail)
	}
	if pe.RollbackMetadata != nil {
		run.RollbackTarget = awssdk.ToString(pe.RollbackMetadata.RollbackTargetPipelineExecutionId)
	}
	for _, v := range pe.Variables {
		if run.Variables == nil {
			run.Variables = map[string]string{}
		}
		run.Variables[awssdk.ToString(v.Name)] = awssdk.ToString(v.ResolvedValue)
	}
	sum, err := b.summaryOf(ctx, name, id)
	if err != nil {
		return nil, err
	}
	if sum != nil {
		run.Started = awssdk.ToTime(sum.StartTime).UTC()
		if backend.RunEnded(run.Status) {
			run.Ended = awssdk.ToTime(sum.LastUpdateTime).UTC()
		}
		for _, s := range sum.SourceRevisions {
			if run.SourceRevisions == nil {
				run.SourceRevisions = map[string]string{}
			}
			run.SourceRevisions[awssdk.ToString(s.ActionName)] = awssdk.ToString(s.RevisionId)
		}
	}
	def, err := b.definitionAt(ctx, name, run.PipelineVersion)
	if err != nil {
		return nil, err
	}
	if err := b.readStages(ctx, run, def); err != nil {
		return nil, err
	}
	if run.Ended.IsZero() && backend.RunEnded(run.Status) {
		run.Ended = lastChange(run)
	}
	return run, nil
}

// lastChange is the latest time an action of the run changed.
func lastChange(run *backend.Run) time.Time {
	var t time.Time
	for _, st := range run.Stages {
		for _, a := range st.Actions {
			if a.Ended.After(t) {
				t = a.Ended
			}
		}
	}
	return t
}

// definitionAt is the pipeline's definition at version (GetPipeline of that version).
func (b *Backend) definitionAt(ctx context.Context, name string, version int) (*pipeline.Pipeline, error) {
	in := &codepipeline.GetPipelineInput{Name: awssdk.String(name)}
	if version > 0 {
		in.Version = awssdk.Int32(int32(version)) //nolint:gosec // a pipeline version
	}
	got, err := b.clients.cp.GetPipeline(ctx, in)
	if err != nil {
		return nil, wrap("codepipeline:GetPipeline", backend.KindPipeline, name, err)
	}
	def, _, err := definitionOf(got.Pipeline)
	return def, err
}

// RunDefinition is the definition an execution ran: its pipeline version's.
func (b *Backend) RunDefinition(ctx context.Context, name, id string) (*pipeline.Pipeline, error) {
	got, err := b.clients.cp.GetPipelineExecution(ctx, &codepipeline.GetPipelineExecutionInput{PipelineName: awssdk.String(name), PipelineExecutionId: awssdk.String(id)})
	if err != nil {
		return nil, wrap("codepipeline:GetPipelineExecution", backend.KindExecution, id, err)
	}
	return b.definitionAt(ctx, name, int(awssdk.ToInt32(got.PipelineExecution.PipelineVersion)))
}

// readStages fills the run's stages from its action executions (the latest attempt of each
// action, and how many there were) and, for the pipeline's latest execution, the stage
// states (conditions, retries).
func (b *Backend) readStages(ctx context.Context, run *backend.Run, def *pipeline.Pipeline) error {
	type key struct{ stage, action string }
	latest := map[key]cptypes.ActionExecutionDetail{}
	attempts := map[key]int{}
	p := codepipeline.NewListActionExecutionsPaginator(b.clients.cp, &codepipeline.ListActionExecutionsInput{PipelineName: awssdk.String(run.Pipeline),
		Filter: &cptypes.ActionExecutionFilter{PipelineExecutionId: awssdk.String(run.ID)}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return wrap("codepipeline:ListActionExecutions", backend.KindExecution, run.ID, err)
		}
		for _, d := range page.ActionExecutionDetails {
			k := key{awssdk.ToString(d.StageName), awssdk.ToString(d.ActionName)}
			attempts[k]++
			if cur, ok := latest[k]; !ok || awssdk.ToTime(d.StartTime).After(awssdk.ToTime(cur.StartTime)) {
				latest[k] = d
			}
		}
	}
	states, err := b.stageStates(ctx, run)
	if err != nil {
		return err
	}
	for _, st := range def.Stages {
		sr := backend.StageRun{Name: st.Name}
		for _, a := range st.Actions {
			ar := backend.ActionRun{Name: a.Name}
			if d, ok := latest[key{st.Name, a.Name}]; ok {
				ar.Status, ar.Attempt = string(d.Status), attempts[key{st.Name, a.Name}]
				ar.Started, ar.Ended = awssdk.ToTime(d.StartTime).UTC(), time.Time{}
				if d.Status != cptypes.ActionExecutionStatusInProgress {
					ar.Ended = awssdk.ToTime(d.LastUpdateTime).UTC()
				}
				if out := d.Output; out != nil {
					for _, o := range out.OutputArtifacts {
						ref := backend.ArtifactRef{Name: awssdk.ToString(o.Name)}
						if o.S3location != nil {
							ref.Bucket, ref.Key = awssdk.ToString(o.S3location.Bucket), awssdk.ToString(o.S3location.Key)
							ref.VersionID = b.artifactVersion(ctx, ref.Bucket, ref.Key)
						}
						ar.Outputs = append(ar.Outputs, ref)
					}
					if len(out.OutputVariables) > 0 {
						ar.OutputVariables = out.OutputVariables
					}
					if r := out.ExecutionResult; r != nil {
						ar.Summary, ar.ExternalID, ar.ExternalURL = awssdk.ToString(r.ExternalExecutionSummary), awssdk.ToString(r.ExternalExecutionId), awssdk.ToString(r.ExternalExecutionUrl)
						if r.ErrorDetails != nil {
							ar.Error = awssdk.ToString(r.ErrorDetails.Message)
						}
					}
				}
			}
			sr.Actions = append(sr.Actions, ar)
		}
		state := states[st.Name]
		sr.Status = stageStatus(run, &sr, state)
		if state != nil {
			sr.Conditions = conditionsOf(state)
			if m := state.RetryStageMetadata; m != nil {
				sr.Retry = &backend.StageRetry{AutoAttempts: int(awssdk.ToInt32(m.AutoStageRetryAttempt)), ManualAttempts: int(awssdk.ToInt32(m.ManualStageRetryAttempt)),
					LatestTrigger: string(m.LatestRetryTrigger)}
			}
		}
		if len(sr.Conditions) > 0 {
			if err := b.conditionRules(ctx, run, st, sr.Conditions); err != nil {
				return err
			}
		}
		run.Stages = append(run.Stages, sr)
	}
	return nil
}

// stageStates are the pipeline's stage states whose latest execution is run, by stage name.
func (b *Backend) stageStates(ctx context.Context, run *backend.Run) (map[string]*cptypes.StageState, error) {
	got, err := b.clients.cp.GetPipelineState(ctx, &codepipeline.GetPipelineStateInput{Name: awssdk.String(run.Pipeline)})
	if err != nil {
		return nil, wrap("codepipeline:GetPipelineState", backend.KindPipeline, run.Pipeline, err)
	}
	out := map[string]*cptypes.StageState{}
	for i := range got.StageStates {
		s := &got.StageStates[i]
		if s.LatestExecution != nil && awssdk.ToString(s.LatestExecution.PipelineExecutionId) == run.ID {
			out[awssdk.ToString(s.StageName)] = s
		}
	}
	return out, nil
}

// stageStatus is the stage's status: CodePipeline's for the latest execution, otherwise what
// its actions say; a stage an ended run never entered is Cancelled.
func stageStatus(run *backend.Run, sr *backend.StageRun, state *cptypes.StageState) string {
	if state != nil && state.LatestExecution != nil && state.LatestExecution.Status != "" {
		return string(state.LatestExecution.Status)
	}
	n := map[string]int{}
	for _, a := range sr.Actions {
		n[a.Status]++
	}
	switch {
	case n[backend.StatusFailed] > 0:
		return backend.StatusFailed
	case n[backend.StatusInProgress] > 0:
		return backend.StatusInProgress
	case n[backend.StatusAbandoned] > 0:
		return backend.StatusStopped
	case n[backend.StatusSucceeded] == len(sr.Actions) && len(sr.Actions) > 0:
		return backend.StatusSucceeded
	case n[""] == len(sr.Actions):
		if backend.RunEnded(run.Status) {
			return backend.StatusCancelled
		}
		return ""
	case backend.RunEnded(run.Status):
		return run.Status
	}
	return backend.StatusInProgress
}

// conditionsOf are the stage's conditions as GetPipelineState tells them.
func conditionsOf(s *cptypes.StageState) []backend.ConditionRun {
	var out []backend.ConditionRun
	for _, c := range []struct {
		kind  string
		state *cptypes.StageConditionState
	}{{pipeline.ConditionBeforeEntry, s.BeforeEntryConditionState}, {pipeline.ConditionOnSuccess, s.OnSuccessConditionState}, {pipeline.ConditionOnFailure, s.OnFailureConditionState}} {
		if c.state == nil || c.state.LatestExecution == nil {
			continue
		}
		out = append(out, backend.ConditionRun{Type: c.kind, Status: string(c.state.LatestExecution.Status), Summary: awssdk.ToString(c.state.LatestExecution.Summary)})
	}
	return out
}

// conditionRules fills the rules of the stage's conditions from the execution's rule
// executions, and the result a failed condition engaged from the definition.
func (b *Backend) conditionRules(ctx context.Context, run *backend.Run, st pipeline.Stage, conds []backend.ConditionRun) error {
	execs, err := b.ListRuleExecutions(ctx, run.Pipeline, run.ID)
	if err != nil {
		return err
	}
	for i := range conds {
		c := &conds[i]
		var def *pipeline.Condition
		switch c.Type {
		case pipeline.ConditionBeforeEntry:
			def = st.BeforeEntry
		case pipeline.ConditionOnSuccess:
			def = st.OnSuccess
		case pipeline.ConditionOnFailure:
			if st.OnFailure != nil {
				def = st.OnFailure.Condition
			}
		}
		if def == nil {
			continue
		}
		if c.Status == backend.StatusFailed {
			c.Result = def.Result
		}
		for _, r := range def.Rules {
			for _, x := range execs {
				if x.Stage == st.Name && x.Rule == r.Name {
					c.Rules = append(c.Rules, backend.RuleRun{Name: r.Name, ExecutionID: x.RuleExecutionID, Status: x.Status, Started: x.Started,
						Ended: x.Updated, ResolvedConfiguration: x.ResolvedConfiguration, Inputs: x.Inputs, Summary: x.Summary, Error: x.Error})
					break // the newest
				}
			}
		}
	}
	return nil
}

// artifactVersion is the version id of an output artifact's object ("" when it cannot be read).
func (b *Backend) artifactVersion(ctx context.Context, bucket, key string) string {
	k := bucket + "/" + key
	if v, ok := b.artifactVersions.Load(k); ok {
		return v.(string)
	}
	out, err := b.clients.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: awssdk.String(bucket), Key: awssdk.String(key)})
	if err != nil {
		return ""
	}
	v := orDefault(awssdk.ToString(out.VersionId), backend.NullVersion)
	b.artifactVersions.Store(k, v)
	return v
}

// ListRuns lists the pipeline's executions, newest first, at most limit (0 = all), as
// ListPipelineExecutions summarizes them (no stages).
func (b *Backend) ListRuns(ctx context.Context, name string, limit int) ([]*backend.Run, error) {
	var out []*backend.Run
	p := codepipeline.NewListPipelineExecutionsPaginator(b.clients.cp, &codepipeline.ListPipelineExecutionsInput{PipelineName: awssdk.String(name)})
	for p.HasMorePages() && (limit == 0 || len(out) < limit) {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("codepipeline:ListPipelineExecutions", backend.KindPipeline, name, err)
		}
		for _, s := range page.PipelineExecutionSummaries {
			r := &backend.Run{ID: awssdk.ToString(s.PipelineExecutionId), Pipeline: name, Status: string(s.Status), StatusReason: awssdk.ToString(s.StatusSummary),
				ExecutionMode: string(s.ExecutionMode), ExecutionType: string(s.ExecutionType), Started: awssdk.ToTime(s.StartTime).UTC()}
			if backend.RunEnded(r.Status) {
				r.Ended = awssdk.ToTime(s.LastUpdateTime).UTC()
			}
			if s.Trigger != nil {
				r.Trigger, r.TriggerDetail = string(s.Trigger.TriggerType), awssdk.ToString(s.Trigger.TriggerDetail)
			}
			if s.RollbackMetadata != nil {
				r.RollbackTarget = awssdk.ToString(s.RollbackMetadata.RollbackTargetPipelineExecutionId)
			}
			for _, sr := range s.SourceRevisions {
				if r.SourceRevisions == nil {
					r.SourceRevisions = map[string]string{}
				}
				r.SourceRevisions[awssdk.ToString(sr.ActionName)] = awssdk.ToString(sr.RevisionId)
			}
			out = append(out, r)
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Started.After(out[j].Started) })
	return out, nil
}

// StopRun stops an execution; abandon stops its running actions at once.
func (b *Backend) StopRun(ctx context.Context, name, id string, abandon bool, reason string) error {
	_, err := b.clients.cp.StopPipelineExecution(ctx, &codepipeline.StopPipelineExecutionInput{PipelineName: awssdk.String(name),
		PipelineExecutionId: awssdk.String(id), Abandon: abandon, Reason: optional(reason)})
	return wrap("codepipeline:StopPipelineExecution", backend.KindExecution, id, err)
}

// RetryStage retries a failed stage of the latest execution: its failed actions, or all.
func (b *Backend) RetryStage(ctx context.Context, name, id, stage string, allActions bool) (*backend.Run, error) {
	mode := cptypes.StageRetryModeFailedActions
	if allActions {
		mode = cptypes.StageRetryModeAllActions
	}
	if _, err := b.clients.cp.RetryStageExecution(ctx, &codepipeline.RetryStageExecutionInput{PipelineName: awssdk.String(name),
		PipelineExecutionId: awssdk.String(id), StageName: awssdk.String(stage), RetryMode: mode}); err != nil {
		return nil, wrap("codepipeline:RetryStageExecution", backend.KindExecution, id, err)
	}
	return b.GetRun(ctx, name, id)
}

// PutApprovalResult approves or rejects a waiting Manual approval of execution id, with the
// token GetPipelineState gives for it.
func (b *Backend) PutApprovalResult(ctx context.Context, name, id, stage, action string, approved bool, summary string) error {
	got, err := b.clients.cp.GetPipelineState(ctx, &codepipeline.GetPipelineStateInput{Name: awssdk.String(name)})
	if err != nil {
		return wrap("codepipeline:GetPipelineState", backend.KindPipeline, name, err)
	}
	for _, s := range got.StageStates {
		if awssdk.ToString(s.StageName) != stage {
			continue
		}
		for _, a := range s.ActionStates {
			if awssdk.ToString(a.ActionName) != action {
				continue
			}
			e := a.LatestExecution
			if s.LatestExecution == nil || awssdk.ToString(s.LatestExecution.PipelineExecutionId) != id || e == nil ||
				e.Status != cptypes.ActionExecutionStatusInProgress || awssdk.ToString(e.Token) == "" {
				return fmt.Errorf("approval %s/%s of run %s is not waiting for a decision: %w", stage, action, id, backend.ErrInvalid)
			}
			status := cptypes.ApprovalStatusRejected
			if approved {
				status = cptypes.ApprovalStatusApproved
			}
			_, err := b.clients.cp.PutApprovalResult(ctx, &codepipeline.PutApprovalResultInput{PipelineName: awssdk.String(name), StageName: awssdk.String(stage),
				ActionName: awssdk.String(action), Token: e.Token, Result: &cptypes.ApprovalResult{Status: status, Summary: awssdk.String(orDefault(summary, string(status)))}})
			return wrap("codepipeline:PutApprovalResult", backend.KindAction, stage+"/"+action, err)
		}
		return backend.NotFoundError(backend.KindAction, stage+"/"+action)
	}
	return backend.NotFoundError(backend.KindAction, stage+"/"+action)
}

// RollbackStage starts a ROLLBACK execution of the stage to target's artifacts.
func (b *Backend) RollbackStage(ctx context.Context, name, stage, target string) (*backend.Run, error) {
	out, err := b.clients.cp.RollbackStage(ctx, &codepipeline.RollbackStageInput{PipelineName: awssdk.String(name), StageName: awssdk.String(stage),
		TargetPipelineExecutionId: awssdk.String(target)})
	if err != nil {
		if codeOf(err) == "UnableToRollbackStageException" {
			return nil, fmt.Errorf("codepipeline:RollbackStage %s/%s: %s: %w: %w", name, stage, messageOf(err), backend.ErrUnableToRollbackStage, backend.ErrInvalid)
		}
		return nil, wrap("codepipeline:RollbackStage", backend.KindExecution, stage, err)
	}
	return b.GetRun(ctx, name, awssdk.ToString(out.PipelineExecutionId))
}

// OverrideStageCondition lets execution id past a condition being evaluated.
func (b *Backend) OverrideStageCondition(ctx context.Context, name, stage, id, conditionType string) error {
	_, err := b.clients.cp.OverrideStageCondition(ctx, &codepipeline.OverrideStageConditionInput{PipelineName: awssdk.String(name), StageName: awssdk.String(stage),
		PipelineExecutionId: awssdk.String(id), ConditionType: cptypes.ConditionType(conditionType)})
	switch codeOf(err) {
	case "ConditionNotOverridableException":
		return fmt.Errorf("codepipeline:OverrideStageCondition %s/%s: %s: %w: %w", name, stage, messageOf(err), backend.ErrConditionNotOverridable, backend.ErrInvalid)
	case "NotLatestPipelineExecutionException":
		return fmt.Errorf("codepipeline:OverrideStageCondition %s/%s: %s: %w: %w", name, stage, messageOf(err), backend.ErrNotLatestExecution, backend.ErrInvalid)
	}
	return wrap("codepipeline:OverrideStageCondition", backend.KindExecution, id, err)
}

// ListRuleExecutions lists rule executions, newest first (id "" = every execution's).
func (b *Backend) ListRuleExecutions(ctx context.Context, name, id string) ([]backend.RuleExecution, error) {
	in := &codepipeline.ListRuleExecutionsInput{PipelineName: awssdk.String(name)}
	if id != "" {
		in.Filter = &cptypes.RuleExecutionFilter{PipelineExecutionId: awssdk.String(id)}
	}
	var out []backend.RuleExecution
	p := codepipeline.NewListRuleExecutionsPaginator(b.clients.cp, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("codepipeline:ListRuleExecutions", backend.KindPipeline, name, err)
		}
		for _, d := range page.RuleExecutionDetails {
			x := backend.RuleExecution{PipelineExecutionID: awssdk.ToString(d.PipelineExecutionId), RuleExecutionID: awssdk.ToString(d.RuleExecutionId),
				PipelineVersion: int(awssdk.ToInt32(d.PipelineVersion)), Stage: awssdk.ToString(d.StageName), Rule: awssdk.ToString(d.RuleName),
				Status: string(d.Status), Started: awssdk.ToTime(d.StartTime).UTC(), Updated: awssdk.ToTime(d.LastUpdateTime).UTC()}
			if in := d.Input; in != nil {
				if in.RuleTypeId != nil {
					x.RuleTypeID = pipeline.RuleTypeID{Category: string(in.RuleTypeId.Category), Owner: string(in.RuleTypeId.Owner), Provider: awssdk.ToString(in.RuleTypeId.Provider),
						Version: awssdk.ToString(in.RuleTypeId.Version)}
				}
				x.Configuration, x.ResolvedConfiguration, x.RoleARN, x.Region = in.Configuration, in.ResolvedConfiguration, awssdk.ToString(in.RoleArn), awssdk.ToString(in.Region)
				for _, a := range in.InputArtifacts {
					ref := backend.ArtifactRef{Name: awssdk.ToString(a.Name)}
					if a.S3location != nil {
						ref.Bucket, ref.Key = awssdk.ToString(a.S3location.Bucket), awssdk.ToString(a.S3location.Key)
					}
					x.Inputs = append(x.Inputs, ref)
				}
			}
			if o := d.Output; o != nil && o.ExecutionResult != nil {
				x.Summary = awssdk.ToString(o.ExecutionResult.ExternalExecutionSummary)
				if o.ExecutionResult.ErrorDetails != nil {
					x.Error = awssdk.ToString(o.ExecutionResult.ErrorDetails.Message)
				}
			}
			out = append(out, x)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Started.After(out[j].Started) })
	return out, nil
}
