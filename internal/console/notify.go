package console

import (
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// notifier tells live pages that the state directory changed. Every write to the state
// database (a run's progress, a decision, a log growing) touches its files; a filesystem
// notification wakes the notifier, which waits coalesce for the burst to settle and then
// wakes every page at once. The pages then read what they show and send what changed. A slow
// rescan backs the notifications up. The notifier reads nothing itself: one change costs one
// read per open page, however many writes made it.
type notifier struct {
	mu      sync.Mutex
	changed chan struct{} // closed at the next change, then replaced
	done    chan struct{}
	closed  sync.Once
	stopped sync.WaitGroup
}

func newNotifier(dir string, files []string, coalesce, rescan time.Duration, log *slog.Logger) *notifier {
	n := &notifier{changed: make(chan struct{}), done: make(chan struct{})}
	w, err := fsnotify.NewWatcher()
	if err == nil {
		if err = w.Add(dir); err != nil {
			w.Close()
		}
	}
	if err != nil {
		log.Warn("console: no file notifications; live pages follow the rescan only", "err", err)
		w = nil
	}
	n.stopped.Add(1)
	go n.loop(w, files, coalesce, rescan)
	return n
}

// wait returns a channel that is closed at the next change.
func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.changed
}

// poke wakes the live pages now (after a change this process made).
func (n *notifier) poke() {
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.changed)
	n.changed = make(chan struct{})
}

func (n *notifier) close() {
	n.closed.Do(func() { close(n.done) })
	n.stopped.Wait()
}

func (n *notifier) loop(w *fsnotify.Watcher, files []string, coalesce, rescan time.Duration) {
	defer n.stopped.Done()
	var events <-chan fsnotify.Event
	var errs <-chan error
	if w != nil {
		defer w.Close()
		events, errs = w.Events, w.Errors
	}
	tick := time.NewTicker(rescan)
	defer tick.Stop()
	var settle <-chan time.Time
	for {
		select {
		case <-n.done:
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if slices.Contains(files, filepath.Base(ev.Name)) && settle == nil {
				settle = time.After(coalesce)
			}
		case _, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			n.poke() // notifications were lost: read again now
		case <-settle:
			settle = nil
			n.poke()
		case <-tick.C:
			n.poke()
		}
	}
}
