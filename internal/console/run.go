package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline/graph"
)

// runView is a run as its page shows it. Its parts are the page's regions: a live page gets
// each region again, rendered on the server, when it changed (see runEvents). A new part of
// a run (a stage's conditions, say) is a field here and a region in run.html.
type runView struct {
	page
	Account     accountRef
	Pipeline    string
	Run         *backend.Run
	URL         string
	Graph       template.HTML
	GraphFits   bool
	VersionNote string
	Stages      []stageView
	Approvals   []approvalView
	CanStop     bool
	Retries     []string // the failed stages that can be retried
	Timeline    timeline
	Variables   []kv
	Revisions   []kv
	Duration    string
	// Rollback says what a ROLLBACK execution rolled back: its stage and the run it went back to.
	Rollback      *rollbackView
	HasConditions bool              // the picture marks conditions: the page explains the marks
	statusByElem  map[string]string // graph element id → status
}

type rollbackView struct{ Stage, Target, TargetURL string }

type kv struct{ Key, Value string }

type stageView struct {
	Index        int
	Name, Status string
	WaitingSince time.Time
	Entered      time.Time
	Actions      []actionView
	// Retry counts the stage's automatic and manual retries in this run (nil: never retried).
	Retry *backend.StageRetry
	// Conditions are the stage's conditions: those of the definition, with what the run made
	// of each (run_conditions.go).
	Conditions []conditionView
}

type actionView struct {
	ID, Name, Type, Status string
	Attempt                int
	Started, Ended         time.Time
	Duration               string
	Error, Summary         string
	Outputs                []artifactLink
	Variables              []kv
	LogURL                 string
}

type artifactLink struct{ Name, VersionID, URL string }

type approvalView struct {
	Stage, Action, Since, CustomData string
}

// buildRunView puts together what a run's page shows. def is the pipeline's definition now;
// the run keeps its own stage and action names, which match it unless the pipeline changed.
// The picture is drawn only when draw is set: a live page's updates change its statuses only.
func buildRunView(p page, ac accountRef, rec *backend.PipelineRecord, run *backend.Run, latest, draw bool, now time.Time) (*runView, error) {
	def := rec.Definition
	base := runURL(ac.AccountID, ac.Region, rec.Name, run.ID)
	v := &runView{page: p, Account: ac, Pipeline: rec.Name, Run: run, URL: base, Duration: duration(run.Started, run.Ended),
		statusByElem: map[string]string{}}
	if run.PipelineVersion != rec.Version {
		v.VersionNote = fmt.Sprintf("This run used version %d of the pipeline; the picture shows version %d.", run.PipelineVersion, rec.Version)
	}
	if draw {
		svg, fits, err := drawSVG(def, run)
		if err != nil {
			return nil, err
		}
		v.Graph, v.GraphFits = svg, fits
	}
	for i := range def.Stages {
		v.statusByElem[graph.StageID(i)] = stageStatus(def, run, i)
		for _, pc := range def.Stages[i].Conditions() {
			v.statusByElem[graph.ConditionID(i, pc.Type)] = conditionStatus(def, run, i, pc.Type)
			v.HasConditions = true
		}
		if f := def.Stages[i].OnFailure; f != nil && f.Condition == nil && f.Result != "" {
			v.statusByElem[graph.ConditionID(i, pipeline.ConditionOnFailure)] = conditionStatus(def, run, i, pipeline.ConditionOnFailure)
			v.HasConditions = true
		}
		for j := range def.Stages[i].Actions {
			ref := pipeline.ActionRef{Stage: i, Action: j}
			v.statusByElem[graph.ActionID(ref)] = actionStatus(def, run, ref)
		}
	}
	for si, st := range run.Stages {
		sv := stageView{Index: si, Name: st.Name, Status: st.Status, WaitingSince: st.WaitingSince, Entered: st.Entered, Retry: st.Retry}
		defStage := stageOf(def, st.Name)
		sv.Conditions = conditionViews(defStage, &st, base)
		for _, a := range st.Actions {
			av := actionView{ID: fmt.Sprintf("act-%d-%s", si, a.Name), Name: a.Name, Status: a.Status, Attempt: a.Attempt,
				Started: a.Started, Ended: a.Ended, Duration: duration(a.Started, a.Ended), Error: a.Error, Summary: a.Summary,
				LogURL: base + "log/" + url.PathEscape(st.Name) + "/" + url.PathEscape(a.Name)}
			var defAction *pipeline.Action
			if defStage != nil {
				defAction = actionOf(defStage, a.Name)
			}
			if defAction != nil {
				av.Type = defAction.Type().String()
			}
			for _, o := range a.Outputs {
				av.Outputs = append(av.Outputs, artifactLink{Name: o.Name, VersionID: o.VersionID,
					URL: base + "artifact/" + url.PathEscape(st.Name) + "/" + url.PathEscape(a.Name) + "/" + url.PathEscape(o.Name)})
			}
			av.Variables = sortedKV(a.OutputVariables)
			if a.Status == backend.StatusInProgress && defAction != nil && defAction.Category == pipeline.CategoryApproval && run.Status == backend.StatusInProgress {
				v.Approvals = append(v.Approvals, approvalView{Stage: st.Name, Action: a.Name, Since: when(a.Started),
					CustomData: defAction.Configuration["CustomData"]})
			}
			sv.Actions = append(sv.Actions, av)
		}
		v.Stages = append(v.Stages, sv)
		if latest && run.Status == backend.StatusFailed && st.Status == backend.StatusFailed {
			v.Retries = append(v.Retries, st.Name)
		}
	}
	if run.ExecutionType == backend.ExecutionRollback {
		v.Rollback = &rollbackView{Stage: run.RollbackStage, Target: run.RollbackTarget}
		if run.RollbackTarget != "" {
			v.Rollback.TargetURL = runURL(ac.AccountID, ac.Region, rec.Name, run.RollbackTarget)
		}
	}
	v.CanStop = run.Status == backend.StatusInProgress
	v.Timeline = buildTimeline(def, run, now)
	v.Variables = sortedKV(run.Variables)
	v.Revisions = sortedKV(run.SourceRevisions)
	return v, nil
}

func sortedKV(m map[string]string) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func stageOf(p *pipeline.Pipeline, name string) *pipeline.Stage {
	for i := range p.Stages {
		if p.Stages[i].Name == name {
			return &p.Stages[i]
		}
	}
	return nil
}

func actionOf(s *pipeline.Stage, name string) *pipeline.Action {
	for j := range s.Actions {
		if s.Actions[j].Name == name {
			return &s.Actions[j]
		}
	}
	return nil
}

// actionStatus is the run's status of the definition's action ref ("" when the run has none).
func actionStatus(p *pipeline.Pipeline, run *backend.Run, ref pipeline.ActionRef) string {
	if a := run.Action(p.Stages[ref.Stage].Name, p.Stages[ref.Stage].Actions[ref.Action].Name); a != nil {
		return a.Status
	}
	return ""
}

func stageStatus(p *pipeline.Pipeline, run *backend.Run, i int) string {
	if k := run.StageIndex(p.Stages[i].Name); k >= 0 {
		return run.Stages[k].Status
	}
	return ""
}

// runOf reads the pipeline and the run of the path, as the account.
func (s *Server) runOf(w http.ResponseWriter, r *http.Request, ac *accountCtx) (*backend.PipelineRecord, *backend.Run, bool) {
	rec, ok := s.pipelineOf(w, r, ac)
	if !ok {
		return nil, nil, false
	}
	run, err := ac.acct.GetRun(r.Context(), rec.Name, r.PathValue("run"))
	if errors.Is(err, backend.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "Pipeline "+rec.Name+" has no run with that id.")
		return nil, nil, false
	}
	if err != nil {
		s.internal(w, r, err)
		return nil, nil, false
	}
	return rec, run, true
}

// viewOf builds a run's view as of now, with its picture when draw is set.
func (s *Server) viewOf(ctx context.Context, p page, ac *accountCtx, rec *backend.PipelineRecord, run *backend.Run, draw bool) (*runView, error) {
	latest := false
	if run.Status == backend.StatusFailed {
		runs, err := ac.acct.ListRuns(ctx, rec.Name, 1)
		if err != nil {
			return nil, err
		}
		latest = len(runs) > 0 && runs[0].ID == run.ID
	}
	return buildRunView(p, ac.id, rec, run, latest, draw, time.Now())
}

// runPage shows a run; its script follows it through runEvents.
func (s *Server) runPage(w http.ResponseWriter, r *http.Request, ac *accountCtx) {
	rec, run, ok := s.runOf(w, r, ac)
	if !ok {
		return
	}
	p := s.newPage(r, "Run "+shortID(run.ID)+" of "+rec.Name, ac, nil)
	p.Crumbs = append(p.Crumbs, crumb{rec.Name, pipelineURL(ac.id.AccountID, ac.id.Region, rec.Name)},
		crumb{"Run " + shortID(run.ID), runURL(ac.id.AccountID, ac.id.Region, rec.Name, run.ID)})
	v, err := s.viewOf(r.Context(), p, ac, rec, run, true)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	// The stream is told what the page already shows, so that it sends only what changes
	// after: a region replaced for nothing would lose the focus and what a form holds.
	regions, err := s.runRegions(v, nil)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v.Live = v.URL + "events?have=" + url.QueryEscape(fingerprints(regions))
	s.render(w, r, http.StatusOK, "run.html", v)
}

// fingerprints lists each region's id and a hash of its HTML: "id:hash,id:hash".
func fingerprints(regions map[string]string) string {
	ids := make([]string, 0, len(regions))
	for id := range regions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id + ":" + fingerprint(regions[id])
	}
	return strings.Join(parts, ",")
}

func fingerprint(html string) string {
	sum := sha256.Sum256([]byte(html))
	return hex.EncodeToString(sum[:6])
}

// pageHas reads the fingerprints a page sent back: region id → hash.
func pageHas(have string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(have, ",") {
		if id, hash, ok := strings.Cut(part, ":"); ok {
			out[id] = hash
		}
	}
	return out
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// downloadArtifact sends an output artifact of the run: only an artifact the run recorded,
// read as the account from its artifact store (whose policies decide, as for any reader).
func (s *Server) downloadArtifact(w http.ResponseWriter, r *http.Request, ac *accountCtx) {
	_, run, ok := s.runOf(w, r, ac)
	if !ok {
		return
	}
	a := run.Action(r.PathValue("stage"), r.PathValue("action"))
	var ref *backend.ArtifactRef
	if a != nil {
		for i := range a.Outputs {
			if a.Outputs[i].Name == r.PathValue("artifact") {
				ref = &a.Outputs[i]
			}
		}
	}
	if ref == nil {
		s.fail(w, r, http.StatusNotFound, "The run recorded no such output artifact.")
		return
	}
	body, info, err := ac.acct.GetObject(r.Context(), "", ref.Bucket, ref.Key, ref.VersionID)
	switch {
	case errors.Is(err, backend.ErrAccessDenied):
		s.fail(w, r, http.StatusForbidden, "Account "+ac.id.AccountID+" may not read this artifact: "+err.Error())
		return
	case errors.Is(err, backend.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "The artifact's object version is gone: "+err.Error())
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFilename(ref.Name+"-"+shortID(info.VersionID))+`.zip"`)
	_, _ = w.Write(body)
}

// safeFilename keeps the characters a download's file name may safely have.
func safeFilename(s string) string {
	return strings.Map(func(c rune) rune {
		if strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", c) {
			return c
		}
		return '_'
	}, s)
}
