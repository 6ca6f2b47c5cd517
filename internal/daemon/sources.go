package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/gitcmd"
)

// Kinds of watched sources.
const (
	kindS3  = "s3"
	kindGit = "git"
)

// source is one source action the daemon watches for changes.
type source struct {
	key     backend.CursorKey
	kind    string
	polling bool              // PollForSourceChanges = "true": checked on the poll timer only
	trigger *pipeline.Trigger // the V2 git trigger naming this action, nil for a plain source

	bucket, objectKey string // S3
	repoPath, gitDir  string // git
	branch            string // git, without trigger: the branch watched
}

// identity changes when what the source watches changes; a cursor of another identity is
// a new baseline, not a change.
func (s *source) identity() string {
	switch s.kind {
	case kindS3:
		return "s3://" + s.bucket + "/" + s.objectKey
	case kindGit:
		if s.trigger != nil {
			return "git:" + s.repoPath + "#trigger"
		}
		return "git:" + s.repoPath + "#" + s.branch
	}
	return ""
}

// triggerType is what the run records as its trigger.
func (s *source) triggerType() string {
	switch {
	case s.polling:
		return backend.TriggerPoll
	case s.trigger != nil:
		return backend.TriggerWebhookV2
	default:
		return backend.TriggerEvent
	}
}

// cursor is the stored state of a source: what the daemon last acted on.
type cursor struct {
	Identity string            `json:"identity"`
	Seq      int64             `json:"seq,omitempty"`     // S3: object log position of the version
	Version  string            `json:"version,omitempty"` // S3: version id
	Refs     map[string]string `json:"refs,omitempty"`    // git: ref → object
}

// sourcesOf returns the watched sources of a pipeline. A pipeline with V2 triggers is started
// only by them, as in CodePipeline; otherwise S3 and CodeCommit sources react to changes
// unless PollForSourceChanges is "true" (then they poll), and CodeStarSourceConnection sources
// react unless DetectChanges is "false".
func sourcesOf(rec *backend.PipelineRecord, repoPath func(string) (string, error)) ([]*source, []error) {
	p := rec.Definition
	triggers := map[string]*pipeline.Trigger{}
	for i := range p.Triggers {
		triggers[p.Triggers[i].SourceActionName] = &p.Triggers[i]
	}
	var out []*source
	var problems []error
	for _, st := range p.Stages {
		for _, a := range st.Actions {
			if a.Category != pipeline.CategorySource || a.Owner != pipeline.OwnerAWS {
				continue
			}
			cfg := a.Configuration
			s := &source{key: backend.CursorKey{AccountID: rec.AccountID, Region: rec.Region, Pipeline: rec.Name, Action: a.Name}}
			s.polling = strings.EqualFold(cfg["PollForSourceChanges"], "true")
			repoKey := ""
			switch a.Provider {
			case "S3":
				s.kind, s.bucket, s.objectKey = kindS3, cfg["S3Bucket"], cfg["S3ObjectKey"]
			case "CodeCommit":
				s.kind, repoKey = kindGit, "RepositoryName"
			case "CodeStarSourceConnection":
				s.kind, repoKey, s.polling = kindGit, "FullRepositoryId", false
				if strings.EqualFold(cfg["DetectChanges"], "false") && triggers[a.Name] == nil {
					continue
				}
			default:
				continue
			}
			if len(p.Triggers) > 0 {
				if s.trigger = triggers[a.Name]; s.trigger == nil {
					continue
				}
				s.polling = false
			}
			if s.kind == kindGit {
				s.branch = cfg["BranchName"]
				path, err := repoPath(cfg[repoKey])
				if err != nil {
					problems = append(problems, fmt.Errorf("pipeline %s source %s: %w", rec.Name, a.Name, err))
					continue
				}
				s.repoPath, s.gitDir = path, gitDirOf(path)
			}
			out = append(out, s)
		}
	}
	return out, problems
}

// gitDirOf is the git directory of a repository: .git of a work tree, or the bare repository.
func gitDirOf(repo string) string {
	if fi, err := os.Stat(filepath.Join(repo, ".git")); err == nil && fi.IsDir() {
		return filepath.Join(repo, ".git")
	}
	return repo
}

// gitRefs reads the branches and tags of a repository.
func gitRefs(ctx context.Context, repo string) (map[string]string, error) {
	out, err := gitcmd.Run(ctx, repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags")
	if err != nil {
		return nil, err
	}
	refs := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if obj, ref, ok := strings.Cut(line, " "); ok {
			refs[ref] = obj
		}
	}
	return refs, nil
}

// changedFiles lists the paths that differ between two commits; old "" is a new ref, whose
// files are those of its commit.
func changedFiles(ctx context.Context, repo, old, new string) ([]string, error) {
	var out string
	var err error
	if old == "" {
		out, err = gitcmd.Run(ctx, repo, "diff-tree", "-r", "--root", "--no-commit-id", "--name-only", "-z", new)
	} else {
		out, err = gitcmd.Run(ctx, repo, "diff", "--name-only", "-z", old, new)
	}
	if err != nil {
		return nil, err
	}
	var files []string
	for _, f := range strings.Split(out, "\x00") {
		if f != "" {
			files = append(files, f)
		}
	}
	return files, nil
}

// change is one revision of a source that starts a run.
type change struct {
	revision string // the unique key of the start: bucket/key@version, ref@commit
	detail   string
}

// detect compares a source with its cursor and returns the changes that start runs and the
// new cursor. With no cursor (or one of another identity) the current state is the baseline:
// nothing starts. refs is the repository's refs, read once per scan.
func (d *Daemon) detect(ctx context.Context, s *source, prev *cursor, refs map[string]string) ([]change, *cursor, error) {
	next := &cursor{Identity: s.identity()}
	baseline := prev == nil || prev.Identity != next.Identity
	switch s.kind {
	case kindS3:
		seq, version, found, err := d.cfg.Backend.LatestObjectVersion(ctx, s.bucket, s.objectKey)
		if err != nil {
			return nil, nil, err
		}
		next.Seq, next.Version = seq, version
		if baseline || !found || seq == prev.Seq {
			if !found && prev != nil && !baseline {
				next.Seq, next.Version = prev.Seq, prev.Version // a delete is not a change to start on
			}
			return nil, next, nil
		}
		return []change{{
			revision: fmt.Sprintf("s3://%s/%s@%s", s.bucket, s.objectKey, version),
			detail:   fmt.Sprintf("new version %s of s3://%s/%s", version, s.bucket, s.objectKey),
		}}, next, nil
	case kindGit:
		next.Refs = map[string]string{}
		if s.trigger == nil {
			ref := "refs/heads/" + s.branch
			if obj, ok := refs[ref]; ok {
				next.Refs[ref] = obj
			}
		} else {
			for ref, obj := range refs {
				next.Refs[ref] = obj
			}
		}
		if baseline {
			return nil, next, nil
		}
		var out []change
		for _, ref := range sortedKeys(next.Refs) {
			obj, old := next.Refs[ref], prev.Refs[ref]
			if obj == old {
				continue
			}
			if s.trigger != nil {
				ok, err := pushMatches(s.trigger, refPush{ref: ref, old: old, new: obj, files: func() ([]string, error) {
					return changedFiles(ctx, s.repoPath, old, obj)
				}})
				if err != nil {
					return nil, nil, err
				}
				if !ok {
					d.log.Debug("push does not match the trigger's filters", "pipeline", s.key.Pipeline, "action", s.key.Action, "ref", ref, "commit", obj)
					continue
				}
			}
			out = append(out, change{revision: ref + "@" + obj, detail: fmt.Sprintf("push of %s at %s", ref, shortID(obj))})
		}
		return out, next, nil
	}
	return nil, next, nil
}

func shortID(s string) string { return s[:min(12, len(s))] }

func encodeCursor(c *cursor) string {
	b, _ := json.Marshal(c)
	return string(b)
}

func decodeCursor(s string) *cursor {
	if s == "" {
		return nil
	}
	var c cursor
	if json.Unmarshal([]byte(s), &c) != nil {
		return nil
	}
	return &c
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // a stable order of starts within one scan
	return keys
}
