package local

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/buildspec"
)

// runBatch runs the buildspec's batch as CodeBuild runs a batch build for CodePipeline
// (BatchEnabled): every build of the batch with its own copy of the inputs, build-list and
// build-matrix builds side by side, build-graph builds once the builds they depend on ended.
// fast-fail stops the others at the first failure that is not ignored. The batch fails when
// a build fails without ignore-failure, or a build-graph build cannot run because a build it
// depends on failed.
//
// Outputs (CodeBuild's "CodePipeline integration with batch builds" sample): with
// CombineArtifacts, the one output artifact holds every build's primary artifact, each under a
// directory named by its build identifier; otherwise an output named IDENTIFIER is that build's
// primary artifact, and IDENTIFIER_ARTIFACT its secondary artifact ARTIFACT.
func (cb *codeBuild) runBatch(ctx context.Context, spec *buildspec.Spec, combine bool) (*providerResult, error) {
	job := cb.job
	if spec.Batch == nil {
		return nil, fmt.Errorf("BatchEnabled is \"true\" but the buildspec has no batch section: add batch (build-list, build-graph or build-matrix), or drop BatchEnabled")
	}
	batch := spec.Batch
	for _, w := range spec.Warnings {
		fmt.Fprintf(job.log, "[Container] Warning: %s\n", w)
	}
	fmt.Fprintf(job.log, "[Container] Batch %s of %d builds%s\n", batch.Kind, len(batch.Builds), map[bool]string{true: ", fast-fail", false: ""}[batch.FastFail])

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type state struct {
		done    chan struct{}
		build   *builtBuild
		err     error
		skipped string // why the build did not run
	}
	states := map[string]*state{}
	for _, b := range batch.Builds {
		states[b.Identifier] = &state{done: make(chan struct{})}
	}
	var mu sync.Mutex
	stoppedBy := "" // the build whose failure made fast-fail stop the others
	sem := make(chan struct{}, max(2, runtime.NumCPU()))
	var wg sync.WaitGroup
	for _, bb := range batch.Builds {
		wg.Add(1)
		go func(bb buildspec.BatchBuild) {
			defer wg.Done()
			st := states[bb.Identifier]
			defer close(st.done)
			for _, dep := range bb.DependOn {
				d := states[dep]
				<-d.done
				if d.skipped != "" || ((d.err != nil || !d.build.res.Succeeded) && !ignores(batch, dep)) {
					st.skipped = fmt.Sprintf("build %s, which it depends on, did not succeed", dep)
					return
				}
			}
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				st.skipped = "the batch stopped"
				return
			}
			if ctx.Err() != nil {
				st.skipped = "the batch stopped"
				return
			}
			st.build, st.err = cb.batchBuild(ctx, spec, bb)
			if (st.err != nil || !st.build.res.Succeeded) && !bb.IgnoreFailure && batch.FastFail {
				mu.Lock()
				if stoppedBy == "" && ctx.Err() == nil {
					stoppedBy = bb.Identifier
					cancel()
				}
				mu.Unlock()
			}
		}(bb)
	}
	wg.Wait()

	var builds []*builtBuild
	var problems []string
	for _, bb := range batch.Builds {
		st := states[bb.Identifier]
		outcome := "succeeded"
		switch {
		case st.skipped != "":
			outcome = "did not run: " + st.skipped
			problems = append(problems, bb.Identifier+" "+outcome)
		case st.err != nil && stoppedBy != "" && stoppedBy != bb.Identifier && ctx.Err() != nil:
			outcome = "failed: stopped by fast-fail after build " + stoppedBy + " failed"
		case st.err != nil:
			outcome = "failed: " + st.err.Error()
		case !st.build.res.Succeeded:
			outcome = "failed: " + st.build.res.Failure()
		}
		if st.build != nil {
			builds = append(builds, st.build)
		}
		if strings.HasPrefix(outcome, "failed") {
			if bb.IgnoreFailure {
				outcome += " (ignore-failure)"
			} else {
				problems = append(problems, bb.Identifier+" "+outcome)
			}
		}
		fmt.Fprintf(job.log, "[Container] Batch build %s %s\n", bb.Identifier, outcome)
	}
	head := fmt.Sprintf("batch of %d builds succeeded", len(batch.Builds))
	if len(problems) > 0 {
		err := fmt.Errorf("batch build failed: %s", strings.Join(problems, "; "))
		return &providerResult{summary: cb.failedSummary(fmt.Sprintf("batch of %d builds failed", len(batch.Builds)), builds...)}, err
	}
	out, err := cb.batchOutputs(batch, states2builds(builds), combine)
	if err != nil {
		return &providerResult{summary: cb.failedSummary("batch build failed", builds...)}, err
	}
	return &providerResult{outputs: out, summary: cb.summary(head, builds...)}, nil
}

func ignores(batch *buildspec.Batch, id string) bool {
	for _, b := range batch.Builds {
		if b.Identifier == id {
			return b.IgnoreFailure
		}
	}
	return false
}

func states2builds(builds []*builtBuild) map[string]*builtBuild {
	m := map[string]*builtBuild{}
	for _, b := range builds {
		m[b.id] = b
	}
	return m
}

// batchBuild runs one build of a batch, its output lines prefixed with its identifier.
func (cb *codeBuild) batchBuild(ctx context.Context, top *buildspec.Spec, bb buildspec.BatchBuild) (*builtBuild, error) {
	log := &prefixWriter{w: cb.job.log, prefix: "[" + bb.Identifier + "] "}
	defer log.Flush()
	spec := top
	var warnings []string
	if bb.Buildspec != "" {
		// The build's own buildspec, read from the action's copy of the primary source (each
		// build's copy is the same).
		primary, _, err := buildSources(cb.job)
		if err != nil {
			return &builtBuild{id: bb.Identifier}, err
		}
		if spec, err = loadBuildspec(bb.Buildspec, primary); err != nil {
			return &builtBuild{id: bb.Identifier}, err
		}
		if spec.Batch != nil {
			warnings = append(warnings, fmt.Sprintf("%s: batch: ignored: a build of a batch does not start another batch", bb.Buildspec))
		}
	}
	dirs, err := cb.stageInputs(ctx, spec, filepath.Join("batch", bb.Identifier))
	if err != nil {
		return &builtBuild{id: bb.Identifier}, err
	}
	return cb.build(ctx, spec, buildOpts{batchID: bb.Identifier, vars: bb.Variables, log: log, dirs: &dirs, warnings: warnings})
}

// batchOutputs maps the builds' artifacts to the action's output artifacts.
func (cb *codeBuild) batchOutputs(batch *buildspec.Batch, builds map[string]*builtBuild, combine bool) (map[string]actionOutput, error) {
	names := cb.job.action.OutputArtifacts
	out := map[string]actionOutput{}
	if len(names) == 0 {
		return out, nil
	}
	if combine {
		if len(names) != 1 {
			return nil, fmt.Errorf("CombineArtifacts allows one output artifact, the action has %d", len(names))
		}
		dir := filepath.Join(cb.job.workDir, "combined")
		for _, bb := range batch.Builds {
			b := builds[bb.Identifier]
			if b == nil || b.artifacts == nil || b.artifacts.Primary == nil {
				continue
			}
			if err := copySelection(b.artifacts.Primary, filepath.Join(dir, bb.Identifier)); err != nil {
				return nil, fmt.Errorf("combining the artifacts of build %s: %w", bb.Identifier, err)
			}
		}
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("output artifact %q: no build of the batch has an artifacts section to combine", names[0])
		}
		out[names[0]] = actionOutput{dir: dir}
		return out, nil
	}
	for _, name := range names {
		sel, err := batchArtifact(batch, builds, name)
		if err != nil {
			return nil, err
		}
		out[name] = actionOutput{dir: sel.Dir, entries: sel.Entries}
	}
	return out, nil
}

// batchArtifact finds the artifact an output name designates: IDENTIFIER (a build's primary
// artifact) or IDENTIFIER_ARTIFACT (its secondary artifact ARTIFACT).
func batchArtifact(batch *buildspec.Batch, builds map[string]*builtBuild, name string) (*buildspec.Output, error) {
	var ids []string
	for _, bb := range batch.Builds {
		ids = append(ids, bb.Identifier)
		b := builds[bb.Identifier]
		switch {
		case name == bb.Identifier:
			if b == nil || b.artifacts == nil || b.artifacts.Primary == nil {
				return nil, fmt.Errorf("output artifact %q: build %s produced no primary artifact (its buildspec's artifacts section)", name, bb.Identifier)
			}
			return b.artifacts.Primary, nil
		case strings.HasPrefix(name, bb.Identifier+"_") && b != nil && b.artifacts != nil:
			if sel := b.artifacts.Secondary[strings.TrimPrefix(name, bb.Identifier+"_")]; sel != nil {
				return sel, nil
			}
		}
	}
	return nil, fmt.Errorf("output artifact %q names no artifact of the batch: with BatchEnabled and without CombineArtifacts, an output is named BUILD (a build's primary artifact) or BUILD_ARTIFACT (its secondary artifact ARTIFACT); the builds are %s",
		name, strings.Join(ids, ", "))
}

// copySelection copies the selected files of an output into dir under their archive names
// (symlinks as symlinks), for an artifact made of several builds' outputs.
func copySelection(o *buildspec.Output, dir string) error {
	for _, e := range o.Entries {
		name := e.Name
		if name == "" {
			name = e.Path
		}
		src := filepath.Join(o.Dir, filepath.FromSlash(e.Path))
		dst := filepath.Join(dir, filepath.FromSlash(path.Clean(name)))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		fi, err := os.Lstat(src)
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(src)
			if err == nil {
				err = os.Symlink(target, dst)
			}
			if err != nil {
				return err
			}
			continue
		}
		if err := copyFile(src, dst, fi.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// prefixWriter writes whole lines to w, each with prefix: the builds of a batch share the
// action's log, and each line says which build printed it.
type prefixWriter struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  string
	pending []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = append(p.pending, b...)
	var out []byte
	for {
		i := bytes.IndexByte(p.pending, '\n')
		if i < 0 {
			break
		}
		out = append(out, p.prefix...)
		out = append(out, p.pending[:i+1]...)
		p.pending = p.pending[i+1:]
	}
	if len(out) > 0 {
		if _, err := p.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// Flush writes a last line without its newline.
func (p *prefixWriter) Flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pending) > 0 {
		_, _ = p.w.Write(append(append([]byte(p.prefix), p.pending...), '\n'))
		p.pending = nil
	}
}
