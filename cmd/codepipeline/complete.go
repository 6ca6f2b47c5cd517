package main

import (
	"github.com/spf13/cobra"
)

// completeRunArgs completes the positional arguments PIPELINE ID STAGE ACTION of a runs
// command from the state directory the command would act on (never creating one): pipeline
// names, then the pipeline's latest run ids, then the run's stages, then the stage's actions.
func completeRunArgs(cf *cloudFlags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		const none = cobra.ShellCompDirectiveNoFileComp
		ctx := cmd.Context()
		if len(args) == 0 {
			s, err := cf.open(ctx, openOptions{})
			if err != nil {
				return nil, cobra.ShellCompDirectiveError
			}
			defer s.Close()
			recs, err := s.b.ListPipelines(ctx)
			if err != nil {
				return nil, cobra.ShellCompDirectiveError
			}
			var names []string
			for _, p := range recs {
				names = append(names, p.Name)
			}
			return names, none
		}
		s, err := cf.openPipeline(ctx, args[0], openOptions{runs: true})
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		defer s.Close()
		if len(args) == 1 {
			runs, err := s.runs.ListRuns(ctx, args[0], 20)
			if err != nil {
				return nil, cobra.ShellCompDirectiveError
			}
			var ids []string
			for _, r := range runs {
				ids = append(ids, r.ID+"\t"+r.Status+" "+r.Started.Local().Format("2006-01-02 15:04"))
			}
			return ids, none | cobra.ShellCompDirectiveKeepOrder
		}
		run, err := s.runs.GetRun(ctx, args[0], args[1])
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var out []string
		switch len(args) {
		case 2:
			for _, st := range run.Stages {
				out = append(out, st.Name+"\t"+statusBadge(st.Status))
			}
		case 3:
			if i := run.StageIndex(args[2]); i >= 0 {
				for _, a := range run.Stages[i].Actions {
					out = append(out, a.Name+"\t"+statusBadge(a.Status))
				}
			}
		}
		return out, none | cobra.ShellCompDirectiveKeepOrder
	}
}
