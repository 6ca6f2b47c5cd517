package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// A live page follows what it shows through server-sent events. On each change of the state
// directory (see notifier) the stream reads the run again and sends what differs from what it
// sent last: the status of each element of the picture, and each region of the page rendered
// again on the server. A page never falls behind: a stream always reads the newest state, so
// changes that come faster than a page takes them are merged into the next event, not queued.

// runUpdate is one event of a run's stream.
type runUpdate struct {
	Seq int `json:"seq"`
	// Sent is when the server sent it (Unix milliseconds): a page can tell how far behind it is.
	Sent    int64             `json:"sent"`
	Status  map[string]string `json:"status,omitempty"`  // picture element id → status
	Regions map[string]string `json:"regions,omitempty"` // page region id → its HTML
	Ended   bool              `json:"ended"`
}

// runRegions renders the parts of a run's page that a live page replaces, by element id. A
// stage equal to the one cache saw last is not rendered again (a run of many stages changes
// one or two at a time); cache may be nil.
func (s *Server) runRegions(v *runView, cache *stageCache) (map[string]string, error) {
	out := map[string]string{}
	for id, part := range map[string]string{
		"run-summary": "summary", "run-controls": "controls", "run-approvals": "approvals",
		"run-timeline": "timeline", "run-details": "details",
	} {
		html, err := s.fragment("run.html", part, v)
		if err != nil {
			return nil, err
		}
		out[id] = html
	}
	for i := range v.Stages {
		id := fmt.Sprintf("stage-%d", i)
		if html, ok := cache.get(id, v.Stages[i]); ok {
			out[id] = html
			continue
		}
		html, err := s.fragment("run.html", "stage", v.Stages[i])
		if err != nil {
			return nil, err
		}
		out[id] = html
		cache.put(id, v.Stages[i], html)
	}
	return out, nil
}

// stageCache keeps each stage's last view and HTML.
type stageCache struct {
	views map[string]stageView
	html  map[string]string
}

func newStageCache() *stageCache {
	return &stageCache{views: map[string]stageView{}, html: map[string]string{}}
}

func (c *stageCache) get(id string, v stageView) (string, bool) {
	if c == nil {
		return "", false
	}
	if old, ok := c.views[id]; ok && reflect.DeepEqual(old, v) {
		return c.html[id], true
	}
	return "", false
}

func (c *stageCache) put(id string, v stageView, html string) {
	if c != nil {
		c.views[id], c.html[id] = v, html
	}
}

// runEvents streams a run's changes until it ends (or the page goes away).
func (s *Server) runEvents(w http.ResponseWriter, r *http.Request, ac *accountCtx) {
	rec, run, ok := s.runOf(w, r, ac)
	if !ok {
		return
	}
	es := newEventStream(w, s.ending)
	ctx := r.Context()
	p := s.newPage(r, "", ac, nil)
	sentStatus := map[string]string{}
	sentRegions := map[string]string{}
	pageHas := pageHas(r.URL.Query().Get("have"))
	stages := newStageCache()
	for seq := 1; ; {
		changed := s.changes.wait()
		v, err := s.viewOf(ctx, p, ac, rec, run, false)
		if err != nil {
			s.log.Warn("console: run events", "err", err)
			return
		}
		regions, err := s.runRegions(v, stages)
		if err != nil {
			s.log.Warn("console: run events", "err", err)
			return
		}
		u := runUpdate{Seq: seq, Status: map[string]string{}, Regions: map[string]string{}, Ended: backend.RunEnded(run.Status)}
		for id, st := range v.statusByElem {
			if sentStatus[id] != st || seq == 1 {
				u.Status[id], sentStatus[id] = st, st
			}
		}
		for id, html := range regions {
			if seq == 1 && pageHas[id] == fingerprint(html) {
				sentRegions[id] = html // the page shows it already
			}
			if sentRegions[id] != html {
				u.Regions[id], sentRegions[id] = html, html
			}
		}
		if seq == 1 || len(u.Status) > 0 || len(u.Regions) > 0 {
			u.Sent = time.Now().UnixMilli()
			if err := es.send("update", strconv.Itoa(seq), u); err != nil {
				return
			}
			seq++
		}
		if u.Ended {
			_ = es.send("end", "", struct{}{})
			return
		}
		if !es.wait(ctx, changed) {
			return
		}
		if run, err = ac.acct.GetRun(ctx, rec.Name, run.ID); err != nil {
			s.log.Warn("console: run events", "err", err)
			return
		}
	}
}

// eventStream writes server-sent events.
type eventStream struct {
	w      http.ResponseWriter
	rc     *http.ResponseController
	ending <-chan struct{}
}

func newEventStream(w http.ResponseWriter, ending <-chan struct{}) *eventStream {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	// A stream outlives the server's timeouts for requests (serve reads a request within 30 s
	// and sets no write timeout; TestStreamsOutliveTheServersReadTimeout holds to that).
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.Flush()
	return &eventStream{w: w, rc: rc, ending: ending}
}

// send writes one event with a JSON body.
func (e *eventStream) send(event, id string, data any) error {
	body, err := json.Marshal(data)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if id != "" {
		fmt.Fprintf(&b, "id: %s\n", id)
	}
	fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", event, body)
	if _, err := e.w.Write(b.Bytes()); err != nil {
		return err
	}
	return e.rc.Flush()
}

// wait waits for the next change; it keeps the connection alive meanwhile and reports false
// when the page went away.
func (e *eventStream) wait(ctx context.Context, changed <-chan struct{}) bool {
	t := time.NewTimer(keepAlive)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-e.ending:
			return false
		case <-changed:
			return true
		case <-t.C:
			if _, err := e.w.Write([]byte(": keep-alive\n\n")); err != nil || e.rc.Flush() != nil {
				return false
			}
			t.Reset(keepAlive)
		}
	}
}
