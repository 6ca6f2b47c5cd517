package console

import (
	"bytes"
	"net/http"
	"unicode/utf8"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

type logView struct {
	page
	Pipeline, RunURL, Stage, Action, Status string
	Log                                     string
}

// logOf reads an action's log and status; ok is false when the page already answered.
func (s *Server) logOf(w http.ResponseWriter, r *http.Request, ac *accountCtx) (*backend.PipelineRecord, *backend.Run, *backend.ActionRun, []byte, bool) {
	rec, run, ok := s.runOf(w, r, ac)
	if !ok {
		return nil, nil, nil, nil, false
	}
	stage, action := r.PathValue("stage"), r.PathValue("action")
	a := run.Action(stage, action)
	if a == nil {
		a = ruleOf(run, stage, action) // a condition rule's log
	}
	if a == nil {
		s.fail(w, r, http.StatusNotFound, "The run has no action "+stage+"/"+action+".")
		return nil, nil, nil, nil, false
	}
	log, err := ac.acct.ActionLog(r.Context(), rec.Name, run.ID, stage, action)
	if err != nil {
		s.internal(w, r, err)
		return nil, nil, nil, nil, false
	}
	return rec, run, a, log, true
}

// logPage shows what an action printed; its script follows the log while the action runs.
func (s *Server) logPage(w http.ResponseWriter, r *http.Request, ac *accountCtx) {
	rec, run, a, log, ok := s.logOf(w, r, ac)
	if !ok {
		return
	}
	stage := r.PathValue("stage")
	p := s.newPage(r, "Log of "+stage+"/"+a.Name, ac, nil)
	ru := runURL(ac.id.AccountID, ac.id.Region, rec.Name, run.ID)
	p.Crumbs = append(p.Crumbs, crumb{rec.Name, pipelineURL(ac.id.AccountID, ac.id.Region, rec.Name)},
		crumb{"Run " + shortID(run.ID), ru}, crumb{stage + "/" + a.Name, r.URL.Path})
	if !actionEnded(run, a) {
		p.Live = r.URL.Path + "/events"
	}
	s.render(w, r, http.StatusOK, "log.html", logView{page: p, Pipeline: rec.Name, RunURL: ru, Stage: stage, Action: a.Name,
		Status: a.Status, Log: validText(log)})
}

// actionEnded reports whether an action's log is final.
func actionEnded(run *backend.Run, a *backend.ActionRun) bool {
	return a.Status != backend.StatusInProgress && a.Status != backend.StatusStopping && a.Status != "" || backend.RunEnded(run.Status)
}

// logUpdate is an event of a log's stream: text to append, or the whole log again when it
// changed otherwise (it outgrew its cap and its middle was cut).
type logUpdate struct {
	Append string  `json:"append,omitempty"`
	Reset  *string `json:"reset,omitempty"`
	Status string  `json:"status"`
	Ended  bool    `json:"ended"`
}

// logEvents streams an action's log until the action ends.
func (s *Server) logEvents(w http.ResponseWriter, r *http.Request, ac *accountCtx) {
	rec, run, a, log, ok := s.logOf(w, r, ac)
	if !ok {
		return
	}
	stage, action := r.PathValue("stage"), r.PathValue("action")
	es := newEventStream(w, s.ending)
	ctx := r.Context()
	var sent []byte
	first := true
	for {
		changed := s.changes.wait()
		u := logUpdate{Status: a.Status, Ended: actionEnded(run, a)}
		switch {
		case !first && bytes.HasPrefix(log, sent):
			// A character cut in two by a write goes out whole with the next one.
			chunk := completeRunes(log[len(sent):], u.Ended)
			u.Append = validText(chunk)
			log = log[:len(sent)+len(chunk)]
		default:
			log = completeRunes(log, u.Ended)
			all := validText(log)
			u.Reset = &all
		}
		if first || u.Append != "" || u.Reset != nil || u.Ended {
			if err := es.send("log", "", u); err != nil {
				return
			}
		}
		first = false
		sent = log
		if u.Ended {
			return
		}
		if !es.wait(ctx, changed) {
			return
		}
		var err error
		if run, err = ac.acct.GetRun(ctx, rec.Name, run.ID); err != nil {
			return
		}
		if a = run.Action(stage, action); a == nil {
			if a = ruleOf(run, stage, action); a == nil {
				return
			}
		}
		if log, err = ac.acct.ActionLog(ctx, rec.Name, run.ID, stage, action); err != nil {
			return
		}
	}
}

// completeRunes is b without a UTF-8 character cut short at its end (unless the log is final).
func completeRunes(b []byte, final bool) []byte {
	if final {
		return b
	}
	for k := 1; k <= utf8.UTFMax && k <= len(b); k++ {
		if utf8.RuneStart(b[len(b)-k]) {
			if !utf8.FullRune(b[len(b)-k:]) {
				return b[:len(b)-k]
			}
			break
		}
	}
	return b
}

// validText is a log as text: bytes that are not UTF-8 become U+FFFD.
func validText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}
