package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// page is what every page's layout shows: the title, the account switcher, the breadcrumbs,
// a message after a change, and the CSRF token its forms carry.
type page struct {
	Title    string
	CSRF     string
	Accounts []accountLink
	Crumbs   []crumb
	Flash    string
	// Live is the URL of the page's event stream, "" for a page that does not follow anything.
	Live string
}

type accountLink struct {
	accountRef
	URL     string
	Current bool
}

type crumb struct{ Name, URL string }

// newPage fills the layout's data for a page in account ac (nil for none).
func (s *Server) newPage(r *http.Request, title string, ac *accountCtx, known []accountRef) page {
	p := page{Title: title, CSRF: s.auth.csrf, Flash: flashText(r.URL.Query().Get("done"))}
	if ac != nil {
		known = ac.known
	}
	for _, k := range known {
		p.Accounts = append(p.Accounts, accountLink{accountRef: k, URL: accountURL(k.AccountID, k.Region),
			Current: ac != nil && k.AccountID == ac.id.AccountID && k.Region == ac.id.Region})
	}
	if ac != nil {
		p.Crumbs = append(p.Crumbs, crumb{"Account " + ac.id.AccountID + " (" + ac.id.Region + ")", accountURL(ac.id.AccountID, ac.id.Region)})
	}
	return p
}

// flashes are the messages shown after a change redirected back to a page (?done=...).
var flashes = map[string]string{
	"approved": "Approved: the run goes on.",
	"rejected": "Rejected: the approval's stage fails.",
	"stopping": "Stop requested: running actions finish first.",
	"stopped":  "Stop requested: running actions are abandoned.",
	"retried":  "Retrying the stage.",
	"started":  "Run started.",
}

func flashText(key string) string { return flashes[key] }

// Paths of the console's pages. Every part is escaped, though the names that reach them are
// restricted to [A-Za-z0-9.@_-] by the rules and run ids are UUIDs.
func accountURL(accountID, region string) string {
	return Prefix + "a/" + url.PathEscape(accountID) + "/" + url.PathEscape(region) + "/"
}

func pipelineURL(accountID, region, name string) string {
	return accountURL(accountID, region) + "p/" + url.PathEscape(name) + "/"
}

func runURL(accountID, region, name, id string) string {
	return pipelineURL(accountID, region, name) + "r/" + url.PathEscape(id) + "/"
}

func parseTemplates() (map[string]*template.Template, error) {
	pages, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimPrefix(p, "templates/")
		if name == "layout.html" || name == "parts.html" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", p)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

var funcs = template.FuncMap{
	"when":       when,
	"datetime":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"lower":      strings.ToLower,
	"statusText": statusText,
}

// when is a time as the pages show it: local time of the machine serving the console.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// statusText is a status for people: "" is "Not reached".
func statusText(s string) string {
	if s == "" {
		return "Not reached"
	}
	return s
}

// duration is how long from start to end, "" before a start and while running.
func duration(start, end time.Time) string {
	if start.IsZero() || end.IsZero() {
		return ""
	}
	d := end.Sub(start)
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// render writes a whole page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.tmpl[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fragment renders one named part of a page (a region a live page replaces).
func (s *Server) fragment(name, part string, data any) (string, error) {
	var buf bytes.Buffer
	err := s.tmpl[name].ExecuteTemplate(&buf, part, data)
	return buf.String(), err
}

type failPage struct {
	page
	Status  int
	Message string
}

// fail shows an error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	known, _ := s.knownAccounts(r.Context())
	p := s.newPage(r, http.StatusText(status), nil, known)
	s.render(w, r, status, "error.html", failPage{page: p, Status: status, Message: msg})
}

// internal reports an unexpected error: logged in full, shown in general.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("console", "path", r.URL.Path, "err", err)
	http.Error(w, "internal error: see the codepipeline serve log", http.StatusInternalServerError)
}

type loginPage struct{ page }

// loginHint is all a request without the token gets: how to open the console.
func (s *Server) loginHint(w http.ResponseWriter, r *http.Request) {
	status := http.StatusUnauthorized
	if r.URL.Path == Prefix+"login" {
		status = http.StatusOK
	}
	s.render(w, r, status, "login.html", loginPage{page: page{Title: "Open the console"}})
}
