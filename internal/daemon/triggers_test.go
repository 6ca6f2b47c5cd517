package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

func TestPushMatches(t *testing.T) {
	branches := func(in, ex []string) *pipeline.GlobFilter { return &pipeline.GlobFilter{Includes: in, Excludes: ex} }
	files := func(fs ...string) func() ([]string, error) { return func() ([]string, error) { return fs, nil } }
	cases := []struct {
		name    string
		filters []pipeline.GitFilter
		push    refPush
		want    bool
	}{
		{"branch included", []pipeline.GitFilter{{Branches: branches([]string{"main"}, nil)}}, refPush{ref: "refs/heads/main"}, true},
		{"branch not included", []pipeline.GitFilter{{Branches: branches([]string{"main"}, nil)}}, refPush{ref: "refs/heads/dev"}, false},
		{"branch glob", []pipeline.GitFilter{{Branches: branches([]string{"feature/**"}, nil)}}, refPush{ref: "refs/heads/feature/a/b"}, true},
		{"branch excluded wins", []pipeline.GitFilter{{Branches: branches([]string{"release/*"}, []string{"release/old*"})}}, refPush{ref: "refs/heads/release/old-1"}, false},
		{"branch filter ignores tags", []pipeline.GitFilter{{Branches: branches([]string{"**"}, nil)}}, refPush{ref: "refs/tags/v1"}, false},
		{"tag included", []pipeline.GitFilter{{Tags: branches([]string{"v*"}, nil)}}, refPush{ref: "refs/tags/v1.2"}, true},
		{"tag excluded", []pipeline.GitFilter{{Tags: branches([]string{"v*"}, []string{"*-rc*"})}}, refPush{ref: "refs/tags/v1-rc1"}, false},
		{"tag filter ignores branches", []pipeline.GitFilter{{Tags: branches([]string{"**"}, nil)}}, refPush{ref: "refs/heads/main"}, false},
		{"path included", []pipeline.GitFilter{{Branches: branches([]string{"main"}, nil), FilePaths: branches([]string{"src/**"}, nil)}},
			refPush{ref: "refs/heads/main", files: files("README.md", "src/a/b.go")}, true},
		{"no path included", []pipeline.GitFilter{{Branches: branches([]string{"main"}, nil), FilePaths: branches([]string{"src/**"}, nil)}},
			refPush{ref: "refs/heads/main", files: files("docs/a.md")}, false},
		{"every path excluded", []pipeline.GitFilter{{Branches: branches([]string{"main"}, nil), FilePaths: branches(nil, []string{"**/*.md", "*.md"})}},
			refPush{ref: "refs/heads/main", files: files("README.md", "docs/a.md")}, false},
		{"one path not excluded", []pipeline.GitFilter{{Branches: branches([]string{"main"}, nil), FilePaths: branches(nil, []string{"**/*.md", "*.md"})}},
			refPush{ref: "refs/heads/main", files: files("README.md", "main.go")}, true},
		{"paths on another branch", []pipeline.GitFilter{{Branches: branches([]string{"main"}, nil), FilePaths: branches([]string{"**"}, nil)}},
			refPush{ref: "refs/heads/dev", files: files("a.go")}, false},
		{"second filter matches", []pipeline.GitFilter{{Branches: branches([]string{"main"}, nil)}, {Tags: branches([]string{"release-*"}, nil)}},
			refPush{ref: "refs/tags/release-1"}, true},
		{"pull request filters never match a push", nil, refPush{ref: "refs/heads/main"}, false},
	}
	for _, c := range cases {
		tr := &pipeline.Trigger{Push: c.filters}
		if c.filters == nil {
			tr.PullRequest = []pipeline.GitFilter{{Branches: branches([]string{"**"}, nil)}}
		}
		if c.push.files == nil {
			c.push.files = func() ([]string, error) { return nil, errors.New("files read without a file_paths filter") }
		}
		got, err := pushMatches(tr, c.push)
		if err != nil || got != c.want {
			t.Errorf("%s: %v (%v), want %v", c.name, got, err, c.want)
		}
	}
}

func TestJSONPath(t *testing.T) {
	var doc any
	dec := json.NewDecoder(stringsReader(`{"ref":"refs/heads/main","n":3,"ok":true,"repository":{"name":"app","owner":{"login":"octo"}},"commits":[{"id":"a"},{"id":"b"}],"x.y":"dot"}`))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"$.ref": "refs/heads/main", "$.n": "3", "$.ok": "true", "$.repository.name": "app",
		"$['repository']['owner']['login']": "octo", `$["repository"].owner.login`: "octo",
		"$.commits[1].id": "b", "$['x.y']": "dot", "$.repository.owner": `{"login":"octo"}`,
	} {
		jp, err := compileJSONPath(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		v, ok := jp.eval(doc)
		if got := scalarString(v); !ok || got != want {
			t.Errorf("%s = %q (found %v), want %q", path, got, ok, want)
		}
	}
	for _, path := range []string{"$.missing", "$.commits[5]", "$.ref.x", "$.commits.id"} {
		jp, err := compileJSONPath(path)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := jp.eval(doc); ok {
			t.Errorf("%s found %v, want nothing", path, v)
		}
	}
	for _, path := range []string{"ref", "$..ref", "$.*", "$[*]", "$.commits[-1]", "$['a'"} {
		if _, err := compileJSONPath(path); err == nil {
			t.Errorf("%s compiled; unsupported JSONPath must be refused", path)
		}
	}
}

// TestTwoDaemonsStartOneRunPerEvent runs two daemons over one state directory, each with its
// own database connection as two processes would have: each commit starts one run, and when
// the lease holder stops the other takes over.
func TestTwoDaemonsStartOneRunPerEvent(t *testing.T) {
	e := newEnv(t)
	repo := e.initRepo("shared")
	e.createPipeline(gitPipeline("shared", "shared", "PARALLEL", "true"))
	first := e.startDaemon(e.cloud, nil)
	second := e.startDaemon(e.reopen(), nil)
	e.waitCursor("shared", "Source", nil)

	var last string
	for i := 1; i <= 3; i++ {
		last = e.commit(repo, "f.txt", fmt.Sprint(i))
		e.waitRuns("shared", i)
	}
	e.waitCursor("shared", "Source", func(c *cursor) bool { return c.Refs["refs/heads/main"] == last })
	if n := e.runCount("shared"); n != 3 {
		t.Fatalf("%d runs for 3 commits with two daemons, want 3", n)
	}
	holders := 0
	for _, d := range []*running{first, second} {
		if leaseOf(t, d) {
			holders++
		}
	}
	if holders != 1 {
		t.Fatalf("%d daemons hold the lease, want 1", holders)
	}
	holder, other := first, second
	if !leaseOf(t, first) {
		holder, other = second, first
	}
	holder.stop(t)
	for deadline := timeNow().Add(waitFor); !leaseOf(t, other); sleep() {
		if timeNow().After(deadline) {
			t.Fatal("the remaining daemon did not take the lease over")
		}
	}
	e.commit(repo, "f.txt", "after takeover")
	e.waitRuns("shared", 4)
	e.waitEnded("shared")
}

func leaseOf(t *testing.T, d *running) bool {
	t.Helper()
	resp, err := http.Get("http://" + d.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct{ Lease bool }
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h.Lease
}

// TestBurstOfCommits pushes ten commits while the build is held at a gate, so every run is
// waiting before any finishes: then each execution mode shows its documented behaviour.
func TestBurstOfCommits(t *testing.T) {
	for _, mode := range pipeline.ExecutionModes {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t)
			repo := e.initRepo("burst")
			gate := filepath.Join(t.TempDir(), "open")
			e.createPipeline(gitPipeline("burst", "burst", mode, fmt.Sprintf("while [ ! -f %q ]; do sleep 0.25; done", gate)))
			e.startDaemon(e.cloud, nil)
			e.waitCursor("burst", "Source", nil)
			for i := 1; i <= 10; i++ {
				e.commit(repo, "f.txt", fmt.Sprint(i))
				e.waitRuns("burst", i)
			}
			if mode == pipeline.ExecutionModeParallel {
				// All ten builds run at once, before the gate opens.
				for _, r := range e.waitRuns("burst", 10) {
					e.waitAction("burst", r.ID, "Build", "Build", backend.StatusInProgress)
				}
			}
			if err := os.WriteFile(gate, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			runs := e.waitEnded("burst")
			count := map[string]int{}
			for _, r := range runs {
				count[r.Status]++
			}
			switch mode {
			case pipeline.ExecutionModeSuperseded:
				// The first run holds the build; of the runs waiting behind it, each newer
				// one supersedes the older: the first and the last succeed.
				if runs[0].Status != backend.StatusSucceeded || runs[9].Status != backend.StatusSucceeded ||
					count[backend.StatusSucceeded]+count[backend.StatusSuperseded] != 10 || count[backend.StatusSuperseded] == 0 {
					t.Fatalf("SUPERSEDED: %v (first %s, last %s)", count, runs[0].Status, runs[9].Status)
				}
			case pipeline.ExecutionModeQueued:
				if count[backend.StatusSucceeded] != 10 {
					t.Fatalf("QUEUED: %v, want 10 Succeeded", count)
				}
				// In order: each build starts after the previous one ended.
				for i := 1; i < 10; i++ {
					prev, cur := runs[i-1].Action("Build", "Build"), runs[i].Action("Build", "Build")
					if cur.Started.Before(prev.Ended) {
						t.Fatalf("QUEUED: build of run %d started before the build of run %d ended", i+1, i)
					}
				}
			case pipeline.ExecutionModeParallel:
				if count[backend.StatusSucceeded] != 10 {
					t.Fatalf("PARALLEL: %v, want 10 Succeeded", count)
				}
			}
		})
	}
}
