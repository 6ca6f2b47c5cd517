package console

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"sort"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline/graph"
)

type indexPage struct{ page }

// index sends the visitor to the first account with pipelines, or says there is none yet.
func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	known, err := s.knownAccounts(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if len(known) > 0 {
		http.Redirect(w, r, accountURL(known[0].AccountID, known[0].Region), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "index.html", indexPage{page: s.newPage(r, "Pipelines", nil, nil)})
}

type accountPage struct {
	page
	Account   accountRef
	StoresURL string
	Pipelines []pipelineRow
}

type pipelineRow struct {
	Name, URL, Type, Mode string
	Version               int
	Updated               string
	LastStatus, LastWhen  string
	LastURL               string
}

// accountPage lists the account's pipelines with their last run.
func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, ac *accountCtx) {
	ctx := r.Context()
	recs, err := ac.acct.ListPipelines(ctx)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	data := accountPage{page: s.newPage(r, "Pipelines of "+ac.id.AccountID, ac, nil), Account: ac.id,
		StoresURL: accountURL(ac.id.AccountID, ac.id.Region) + "stores"}
	for _, rec := range recs {
		row := pipelineRow{Name: rec.Name, URL: pipelineURL(ac.id.AccountID, ac.id.Region, rec.Name),
			Type: rec.Definition.Type(), Mode: rec.Definition.Mode(), Version: rec.Version, Updated: when(rec.Updated)}
		if runs, err := ac.acct.ListRuns(ctx, rec.Name, 1); err == nil && len(runs) > 0 {
			row.LastStatus, row.LastWhen = runs[0].Status, when(runs[0].Started)
			row.LastURL = runURL(ac.id.AccountID, ac.id.Region, rec.Name, runs[0].ID)
		}
		data.Pipelines = append(data.Pipelines, row)
	}
	s.render(w, r, http.StatusOK, "account.html", data)
}

type pipelinePage struct {
	page
	Pipeline  *backend.PipelineRecord
	Graph     template.HTML
	GraphFits bool
	SVGURL    string
	DOTURL    string
	StartURL  string
	StoresURL string
	Runs      []runRow
	Variables []pipeline.Variable
	Triggers  []string
	// Conditions are the stages' conditions, as the picture's diamonds show them.
	Conditions []kv
}

type runRow struct {
	ID, URL, Status, Started, Duration, Trigger, Type string
}

// pipelinePage draws the pipeline and lists its runs.
func (s *Server) pipelinePage(w http.ResponseWriter, r *http.Request, ac *accountCtx) {
	ctx := r.Context()
	rec, ok := s.pipelineOf(w, r, ac)
	if !ok {
		return
	}
	svg, fits, err := drawSVG(rec.Definition, nil)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	base := pipelineURL(ac.id.AccountID, ac.id.Region, rec.Name)
	data := pipelinePage{page: s.newPage(r, "Pipeline "+rec.Name, ac, nil), Pipeline: rec, Graph: svg, GraphFits: fits,
		SVGURL: base + "graph.svg", DOTURL: base + "graph.dot", StartURL: base + "start",
		StoresURL: accountURL(ac.id.AccountID, ac.id.Region) + "stores", Variables: rec.Definition.Variables}
	data.Crumbs = append(data.Crumbs, crumb{rec.Name, base})
	for _, t := range rec.Definition.Triggers {
		data.Triggers = append(data.Triggers, t.ProviderType+" on source action "+t.SourceActionName)
	}
	data.Conditions = conditionsOf(rec.Definition)
	runs, err := ac.acct.ListRuns(ctx, rec.Name, 25)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	for _, run := range runs {
		data.Runs = append(data.Runs, runRow{ID: run.ID, URL: runURL(ac.id.AccountID, ac.id.Region, rec.Name, run.ID),
			Status: run.Status, Started: when(run.Started), Duration: duration(run.Started, run.Ended), Trigger: run.Trigger, Type: run.ExecutionType})
	}
	s.render(w, r, http.StatusOK, "pipeline.html", data)
}

// pipelineOf reads the pipeline of the path, as the account; a missing one is a 404.
func (s *Server) pipelineOf(w http.ResponseWriter, r *http.Request, ac *accountCtx) (*backend.PipelineRecord, bool) {
	rec, err := ac.acct.GetPipeline(r.Context(), r.PathValue("pipeline"))
	if errors.Is(err, backend.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "Account "+ac.id.AccountID+" has no pipeline of that name in "+ac.id.Region+".")
		return nil, false
	}
	if err != nil {
		s.internal(w, r, err)
		return nil, false
	}
	return rec, true
}

// fitWidth is the widest picture a wide screen shrinks to its width; a wider one (a pipeline of
// many stages) keeps its size and scrolls, or its text would be too small to read.
const fitWidth = 1700

// drawSVG draws a pipeline for a page, coloured by a run's statuses when run is set; fits says
// whether a wide screen may shrink it to its width.
func drawSVG(p *pipeline.Pipeline, run *backend.Run) (template.HTML, bool, error) {
	var buf bytes.Buffer
	opts := graph.SVGOptions{}
	if run != nil {
		opts.ActionStatus = func(ref pipeline.ActionRef) string { return actionStatus(p, run, ref) }
		opts.StageStatus = func(i int) string { return stageStatus(p, run, i) }
		opts.ConditionStatus = func(i int, ct string) string { return conditionStatus(p, run, i, ct) }
	}
	d := graph.Layout(p)
	if err := d.SVG(&buf, opts); err != nil {
		return "", false, err
	}
	return template.HTML(buf.String()), d.Width <= fitWidth, nil // SVG written by internal/pipeline/graph, every text escaped
}

// graphFile serves the pipeline's picture as a file: SVG with its styles, or DOT.
func (s *Server) graphFile(format string) func(http.ResponseWriter, *http.Request, *accountCtx) {
	return func(w http.ResponseWriter, r *http.Request, ac *accountCtx) {
		rec, ok := s.pipelineOf(w, r, ac)
		if !ok {
			return
		}
		var buf bytes.Buffer
		d := graph.Layout(rec.Definition)
		var err error
		if format == "svg" {
			w.Header().Set("Content-Type", "image/svg+xml")
			err = d.SVG(&buf, graph.SVGOptions{Standalone: true})
		} else {
			w.Header().Set("Content-Type", "text/vnd.graphviz; charset=utf-8")
			err = d.DOT(&buf)
		}
		if err != nil {
			s.internal(w, r, err)
			return
		}
		w.Header().Set("Content-Disposition", `attachment; filename="`+safeFilename(rec.Name)+"."+format+`"`)
		_, _ = w.Write(buf.Bytes())
	}
}

type rulesPage struct {
	page
	Rules []ruleRow
}

type ruleRow struct {
	ID, Title, Doc, Severity, Where string
}

// rulesPage lists the rules catalogue: the target of every [rule-id] link of the console.
func (s *Server) rulesPage(w http.ResponseWriter, r *http.Request) {
	known, err := s.knownAccounts(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	data := rulesPage{page: s.newPage(r, "Rules", nil, known)}
	for _, rule := range pipeline.Rules() {
		data.Rules = append(data.Rules, ruleRow{ID: rule.ID, Title: rule.Title, Doc: rule.Doc,
			Severity: rule.Severity.String(), Where: rule.Where.String()})
	}
	sort.Slice(data.Rules, func(i, j int) bool { return data.Rules[i].ID < data.Rules[j].ID })
	s.render(w, r, http.StatusOK, "rules.html", data)
}

// ruleURL is the console's page of a rule.
func ruleURL(id string) string { return Prefix + "rules#" + strings.ToLower(id) }

// conditionsOf lists each stage's conditions in words: stage name → what the condition is.
func conditionsOf(p *pipeline.Pipeline) []kv {
	var out []kv
	for _, st := range graph.Layout(p).Stages {
		for _, c := range st.Conditions {
			out = append(out, kv{st.Name, c.Describe()})
		}
	}
	return out
}
