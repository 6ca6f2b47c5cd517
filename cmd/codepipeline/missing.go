package main

// What a command says when the pipeline, run, stage or action it was given does not exist: the
// name it looked for, where it looked, and what exists nearby, so that the next command is
// right. Each is an error of the command (exit 1).

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// openPipeline opens the state for a command on the pipeline name. Without -account, when
// terraform configured several accounts over the state directory, it acts as the one that has
// the pipeline. A pipeline that is nowhere is an error listing the pipelines that are.
func (f *cloudFlags) openPipeline(ctx context.Context, name string, o openOptions) (*session, error) {
	loc, err := f.locate()
	if err != nil {
		return nil, err
	}
	configs, err := f.configs(loc)
	if err != nil {
		return nil, err
	}
	for i := range configs {
		s, err := f.openAs(ctx, loc, configs, i, o)
		if err != nil {
			return nil, err
		}
		_, err = s.b.GetPipeline(ctx, name)
		switch {
		case err == nil:
			return s, nil
		case !errors.Is(err, backend.ErrNotFound):
			s.Close()
			return nil, err
		case i == len(configs)-1:
			err = s.missingPipeline(ctx, name)
			s.Close()
			return nil, err
		}
		s.Close()
	}
	panic("unreachable: configs is never empty")
}

// where names the accounts and the state directory a session looked in.
func (s *session) where() string {
	var accts []string
	for _, c := range s.configs {
		accts = append(accts, c.AccountID+" "+c.Region)
	}
	return fmt.Sprintf("account %s; state directory %s, %s", strings.Join(accts, ", account "), s.loc.dir, s.loc.how)
}

func (s *session) missingPipeline(ctx context.Context, name string) error {
	var msg strings.Builder
	fmt.Fprintf(&msg, "no pipeline %q in %s.", name, s.where())
	var here, names []string
	var elsewhere []string
	if t, err := backend.TriggersOf(s.b); err == nil {
		all, err := t.AllPipelines(ctx)
		if err != nil {
			return err
		}
		for _, p := range all {
			if s.looksIn(p.AccountID, p.Region) {
				here = append(here, p.Name)
			} else if p.Name == name {
				elsewhere = append(elsewhere, fmt.Sprintf("-account %s -region %s", p.AccountID, p.Region))
			}
			names = append(names, p.Name)
		}
	} else {
		recs, err := s.b.ListPipelines(ctx)
		if err != nil {
			return err
		}
		for _, p := range recs {
			here = append(here, p.Name)
		}
		names = here
	}
	switch {
	case len(elsewhere) > 0:
		fmt.Fprintf(&msg, "\n\nA pipeline %q is in another account or region of this state directory: add %s.", name, strings.Join(elsewhere, ", or "))
	case len(here) == 0 && len(names) == 0:
		msg.WriteString("\n\nThis state directory has no pipeline at all: terraform apply creates them, or the configuration\n" +
			"you applied used another state directory (-state-dir, or run this where you ran terraform).")
	case len(here) == 0:
		msg.WriteString("\n\nThis account and region have no pipeline; other accounts of the state directory have: " + strings.Join(names, ", ") + " (use -account and -region).")
	default:
		fmt.Fprintf(&msg, "\n\nPipelines there: %s.", strings.Join(here, ", "))
		if m := closest(name, here); m != "" {
			fmt.Fprintf(&msg, " Did you mean %q?", m)
		}
	}
	return errors.New(msg.String())
}

func (s *session) looksIn(account, region string) bool {
	for _, c := range s.configs {
		if c.AccountID == account && c.Region == region {
			return true
		}
	}
	return false
}

// latestRuns is how many of a pipeline's runs a message about a missing run lists.
const latestRuns = 5

// run returns the pipeline's run id ("" = the latest); a run that does not exist is an error
// listing the latest runs, or saying how to start one.
func (s *session) run(ctx context.Context, pipelineName, id string) (*backend.Run, error) {
	run, err := s.runs.GetRun(ctx, pipelineName, id)
	if err == nil || !errors.Is(err, backend.ErrNotFound) {
		return run, err
	}
	list, lerr := s.runs.ListRuns(ctx, pipelineName, latestRuns)
	if lerr != nil {
		return nil, lerr
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("pipeline %q has no run yet: start one with `codepipeline start %s`, or apply a codepipeline_run", pipelineName, pipelineName)
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "pipeline %q has no run %q. Its latest runs:\n", pipelineName, id)
	for _, r := range list {
		fmt.Fprintf(&msg, "  %s  %-10s  %s\n", r.ID, r.Status, r.Started.Local().Format("2006-01-02 15:04:05"))
	}
	if m := closest(id, runIDs(list)); m != "" {
		fmt.Fprintf(&msg, "Did you mean %s?", m)
	}
	return nil, errors.New(strings.TrimSuffix(msg.String(), "\n"))
}

func runIDs(runs []*backend.Run) []string {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	return ids
}

// stage returns the run's stage; a stage the run does not have is an error listing its stages.
func stageOf(run *backend.Run, name string) (*backend.StageRun, error) {
	if i := run.StageIndex(name); i >= 0 {
		return &run.Stages[i], nil
	}
	names := make([]string, len(run.Stages))
	for i, st := range run.Stages {
		names[i] = st.Name
	}
	msg := fmt.Sprintf("run %s of %q has no stage %q. Its stages, in order: %s.", run.ID, run.Pipeline, name, strings.Join(names, ", "))
	if m := closest(name, names); m != "" {
		msg += fmt.Sprintf(" Did you mean %q?", m)
	}
	return nil, errors.New(msg)
}

// actionOf returns the stage's action; an action the stage does not have is an error listing
// its actions.
func actionOf(run *backend.Run, stageName, name string) (*backend.ActionRun, error) {
	st, err := stageOf(run, stageName)
	if err != nil {
		return nil, err
	}
	for i := range st.Actions {
		if st.Actions[i].Name == name {
			return &st.Actions[i], nil
		}
	}
	names := make([]string, len(st.Actions))
	for i, a := range st.Actions {
		names[i] = a.Name
	}
	msg := fmt.Sprintf("stage %q of run %s has no action %q. Its actions: %s.", stageName, run.ID, name, strings.Join(names, ", "))
	if m := closest(name, names); m != "" {
		msg += fmt.Sprintf(" Did you mean %q?", m)
	}
	return nil, errors.New(msg)
}

// closest is the candidate that name most likely misspells: the same but for case, a prefix
// of it, or one at most two edits away; "" when none is.
func closest(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		switch {
		case strings.EqualFold(c, name):
			return c
		case len(name) >= 4 && strings.HasPrefix(c, name):
			return c
		}
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}
