package daemon

import (
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// refPush is one ref update seen in a watched repository: old is "" for a new ref.
type refPush struct {
	ref, old, new string
	// files lists the paths the push changed (git diff --name-only old new); it is called
	// only when a filter needs file paths.
	files func() ([]string, error)
}

// pushMatches reports whether a V2 git trigger starts the pipeline for a push: some push
// filter matches it. A branch push needs the filter's branches (and, when set, one changed
// file path kept by its file_paths); a tag push needs the filter's tags. Within each
// includes/excludes pair excludes win. Pull request filters never match a push.
func pushMatches(t *pipeline.Trigger, p refPush) (bool, error) {
	branch, isBranch := strings.CutPrefix(p.ref, "refs/heads/")
	tag, isTag := strings.CutPrefix(p.ref, "refs/tags/")
	var files []string
	filesRead := false
	for _, f := range t.Push {
		switch {
		case isTag:
			if f.Tags != nil && f.Tags.Matches(tag) {
				return true, nil
			}
		case isBranch:
			if f.Branches == nil || !f.Branches.Matches(branch) {
				continue
			}
			if f.FilePaths == nil {
				return true, nil
			}
			if !filesRead {
				var err error
				if files, err = p.files(); err != nil {
					return false, err
				}
				filesRead = true
			}
			for _, path := range files {
				if f.FilePaths.Matches(path) {
					return true, nil
				}
			}
		}
	}
	return false, nil
}
