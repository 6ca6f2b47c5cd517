package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// The console's changes. Each is a POST from a form (the CSRF token checked before it gets
// here), made through the runs capability of the account the page shows, as the CLI's `runs`
// commands make them; then the browser is sent back to the page (303), which shows the result.

// maxComment bounds an approval's comment and a stop's reason, as CodePipeline bounds an
// approval's summary.
const maxComment = 512

func (s *Server) decideApproval(w http.ResponseWriter, r *http.Request, ac *accountCtx) {
	rec, run, ok := s.runOf(w, r, ac)
	if !ok {
		return
	}
	decision := r.PostFormValue("decision")
	if decision != "approve" && decision != "reject" {
		s.fail(w, r, http.StatusBadRequest, "An approval is decided with decision=approve or decision=reject.")
		return
	}
	comment, ok := s.comment(w, r, "comment")
	if !ok {
		return
	}
	err := ac.acct.PutApprovalResult(r.Context(), rec.Name, run.ID, r.PostFormValue("stage"), r.PostFormValue("action"), decision == "approve", comment)
	if s.refused(w, r, err) {
		return
	}
	s.changes.poke()
	s.backTo(w, r, runURL(ac.id.AccountID, ac.id.Region, rec.Name, run.ID), decision+"d")
}

func (s *Server) stopRun(w http.ResponseWriter, r *http.Request, ac *accountCtx) {
	rec, run, ok := s.runOf(w, r, ac)
	if !ok {
		return
	}
	mode := r.PostFormValue("mode")
	if mode != "wait" && mode != "abandon" {
		s.fail(w, r, http.StatusBadRequest, "A run is stopped with mode=wait (running actions finish) or mode=abandon.")
		return
	}
	reason, ok := s.comment(w, r, "reason")
	if !ok {
		return
	}
	if reason == "" {
		reason = "stopped from the console"
	}
	err := ac.acct.StopRun(r.Context(), rec.Name, run.ID, mode == "abandon", reason)
	if s.refused(w, r, err) {
		return
	}
	s.changes.poke()
	s.backTo(w, r, runURL(ac.id.AccountID, ac.id.Region, rec.Name, run.ID), map[string]string{"wait": "stopping", "abandon": "stopped"}[mode])
}

func (s *Server) retryStage(w http.ResponseWriter, r *http.Request, ac *accountCtx) {
	rec, run, ok := s.runOf(w, r, ac)
	if !ok {
		return
	}
	mode := r.PostFormValue("mode")
	if mode != "failed" && mode != "all" {
		s.fail(w, r, http.StatusBadRequest, "A stage is retried with mode=failed (its failed actions) or mode=all.")
		return
	}
	retried, err := ac.acct.RetryStage(r.Context(), rec.Name, run.ID, r.PostFormValue("stage"), mode == "all")
	if s.refused(w, r, err) {
		return
	}
	if !s.runs.drive(ac.acct, rec.Name, retried.ID) {
		s.fail(w, r, http.StatusServiceUnavailable, "The console is shutting down: the run was not driven.")
		return
	}
	s.changes.poke()
	s.backTo(w, r, runURL(ac.id.AccountID, ac.id.Region, rec.Name, retried.ID), "retried")
}

// startRun starts a run of the pipeline with its variables' defaults ("Release change").
func (s *Server) startRun(w http.ResponseWriter, r *http.Request, ac *accountCtx) {
	rec, ok := s.pipelineOf(w, r, ac)
	if !ok {
		return
	}
	run, err := ac.acct.StartRun(r.Context(), backend.RunRequest{Pipeline: rec.Name, Trigger: backend.TriggerManual, TriggerDetail: "codepipeline console"})
	if s.refused(w, r, err) {
		return
	}
	if !s.runs.drive(ac.acct, rec.Name, run.ID) {
		s.fail(w, r, http.StatusServiceUnavailable, "The console is shutting down: the run was not driven.")
		return
	}
	s.changes.poke()
	s.backTo(w, r, runURL(ac.id.AccountID, ac.id.Region, rec.Name, run.ID), "started")
}

// comment reads a free-text field, bounded.
func (s *Server) comment(w http.ResponseWriter, r *http.Request, field string) (string, bool) {
	c := strings.TrimSpace(r.PostFormValue(field))
	if len(c) > maxComment {
		s.fail(w, r, http.StatusBadRequest, "The "+field+" is longer than 512 characters.")
		return "", false
	}
	return c, true
}

// refused shows why the backend refused a change, and reports whether it did.
func (s *Server) refused(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, backend.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, err.Error())
	case errors.Is(err, backend.ErrAccessDenied):
		s.fail(w, r, http.StatusForbidden, err.Error())
	case errors.Is(err, backend.ErrInvalid), errors.Is(err, backend.ErrAlreadyExists), errors.Is(err, backend.ErrConflict):
		s.fail(w, r, http.StatusConflict, err.Error())
	default:
		s.internal(w, r, err)
	}
	return true
}

// backTo sends the browser to a page after a change, with a note of what was done.
func (s *Server) backTo(w http.ResponseWriter, r *http.Request, path, done string) {
	http.Redirect(w, r, path+"?done="+done, http.StatusSeeOther)
}
