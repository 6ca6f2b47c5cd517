package pipeline

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Trigger provider types and pull request events, as CodePipeline names them. The provider's
// schema validators and docs use these lists too, so the three cannot drift.
const (
	TriggerProviderCodeStarSourceConnection = "CodeStarSourceConnection"

	PullRequestEventOpen    = "OPEN"
	PullRequestEventUpdated = "UPDATED"
	PullRequestEventClosed  = "CLOSED"
)

// TriggerProviderTypes and PullRequestEvents list the accepted values, in the order the docs
// list them.
var (
	TriggerProviderTypes = []string{TriggerProviderCodeStarSourceConnection}
	PullRequestEvents    = []string{PullRequestEventOpen, PullRequestEventUpdated, PullRequestEventClosed}
)

// Limits of V2 pipeline variables and trigger filters (CodePipeline API model).
const (
	MaxVariables              = 50
	MaxVariableDefaultLength  = 1000
	MaxVariableDescriptionLen = 200
	MaxGitFilters             = 3 // push or pull_request filters per git_configuration
	MaxGlobPatterns           = 8 // patterns per includes or excludes list
	MaxGlobPatternLength      = 255
)

var _ = register(&Rule{
	ID: "v2-only", Severity: SeverityError, Where: AtPlan,
	Title: "Feature Needs A V2 Pipeline",
	Doc:   "Triggers, pipeline variables, the QUEUED and PARALLEL execution modes, stage conditions, on_failure results and Commands actions need pipeline_type V2.",
	Check: func(p *Pass) {
		pl := p.Pipeline
		if pl == nil || !IsKnown(pl.PipelineType) || pl.Type() == PipelineTypeV2 {
			return
		}
		fix := `Set pipeline_type = "V2" (the default), or remove the feature.`
		for i := range pl.Stages {
			st := &pl.Stages[i]
			for _, block := range []struct {
				name    string
				present bool
			}{{"before_entry", st.BeforeEntry != nil}, {"on_success", st.OnSuccess != nil}, {"on_failure", st.OnFailure != nil}} {
				if block.present {
					p.Reportf(StagePath(i).Attr(block.name), fix,
						"Stage %q has an %s block but pipeline_type is %q; stage conditions, automatic retries and rollbacks exist only on V2 pipelines.",
						st.Name, block.name, pl.Type())
				}
			}
			for j := range st.Actions {
				if a := &st.Actions[j]; isCommandsAction(a) {
					p.Reportf(ActionPath(i, j), fix,
						"Action %q is a Commands action but pipeline_type is %q; CodePipeline runs Commands actions only in V2 pipelines.",
						a.Name, pl.Type())
				}
			}
		}
		if len(pl.Triggers) > 0 {
			p.Reportf(Root("trigger"), fix,
				"The pipeline has %d trigger(s) but pipeline_type is %q; triggers exist only on V2 pipelines.",
				len(pl.Triggers), pl.Type())
		}
		if len(pl.Variables) > 0 {
			p.Reportf(Root("variable"), fix,
				"The pipeline has %d variable(s) but pipeline_type is %q; pipeline variables exist only on V2 pipelines.",
				len(pl.Variables), pl.Type())
		}
		if IsKnown(pl.ExecutionMode) {
			if m := pl.Mode(); m == ExecutionModeQueued || m == ExecutionModeParallel {
				p.Reportf(Root("execution_mode"), `Set pipeline_type = "V2", or use execution_mode "SUPERSEDED".`,
					"execution_mode %q needs a V2 pipeline, but pipeline_type is %q; V1 pipelines run in SUPERSEDED mode only.",
					m, pl.Type())
			}
		}
	},
})

var _ = register(&Rule{
	ID: "variables", Severity: SeverityError, Where: AtPlan,
	Title: "Pipeline Variables Must Fit CodePipeline's Limits",
	Doc:   "A pipeline has at most 50 variables with unique names, defaults of 1 to 1000 characters and descriptions of at most 200.",
	Check: func(p *Pass) {
		if p.Pipeline == nil {
			return
		}
		vars := p.Pipeline.Variables
		if len(vars) > MaxVariables {
			p.Reportf(Root("variable"), "Remove variables, or pass values through action namespaces instead.",
				"The pipeline declares %d variables; CodePipeline accepts at most %d.", len(vars), MaxVariables)
		}
		first := make(map[string]int, len(vars))
		for i, v := range vars {
			vp := Root("variable").Index(i)
			// Empty names are name-format's to report; counting them here would say it twice.
			if v.Name != "" && IsKnown(v.Name) {
				if prev, dup := first[v.Name]; dup {
					p.Reportf(vp.Attr("name"), "Rename or remove one of the two variables.",
						"Variable name %q is already declared by variable %d.", v.Name, prev)
				} else {
					first[v.Name] = i
				}
			}
			// "" is how an unset default reaches the model, so only the upper bound is checkable.
			if IsKnown(v.DefaultValue) {
				if n := utf8.RuneCountInString(v.DefaultValue); n > MaxVariableDefaultLength {
					p.Reportf(vp.Attr("default_value"), "Shorten the default value, or leave it unset and pass the value when the run starts.",
						"The default value of variable %q is %d characters long; CodePipeline accepts 1 to %d.",
						v.Name, n, MaxVariableDefaultLength)
				}
			}
			if IsKnown(v.Description) {
				if n := utf8.RuneCountInString(v.Description); n > MaxVariableDescriptionLen {
					p.Reportf(vp.Attr("description"), "Shorten the description.",
						"The description of variable %q is %d characters long; CodePipeline accepts at most %d.",
						v.Name, n, MaxVariableDescriptionLen)
				}
			}
		}
	},
})

// gitConfigPath is the path of trigger i's git_configuration block.
func gitConfigPath(i int) Path { return Root("trigger").Index(i).Attr("git_configuration").Index(0) }

var _ = register(&Rule{
	ID: "trigger-source", Severity: SeverityError, Where: AtPlan,
	Needs: PartStages,
	Title: "Trigger Must Name A Source Action That Supports Triggers",
	Doc:   "A git trigger has provider type CodeStarSourceConnection and names an existing source action of a provider that supports triggers, at most one trigger per source action.",
	Check: func(p *Pass) {
		if p.Pipeline == nil {
			return
		}
		first := map[string]int{}
		for i, t := range p.Pipeline.Triggers {
			if IsKnown(t.ProviderType) && t.ProviderType != TriggerProviderCodeStarSourceConnection {
				p.Reportf(Root("trigger").Index(i).Attr("provider_type"),
					fmt.Sprintf("Set provider_type = %q.", TriggerProviderCodeStarSourceConnection),
					"Trigger %d has provider_type %q; CodePipeline accepts only %s.",
					i, t.ProviderType, strings.Join(TriggerProviderTypes, ", "))
			}
			name := t.SourceActionName
			if !IsKnown(name) {
				continue
			}
			path := gitConfigPath(i).Attr("source_action_name")
			if name == "" {
				p.Reportf(path, "Set source_action_name to the name of a CodeStarSourceConnection source action of this pipeline.",
					"Trigger %d names no source action.", i)
				continue
			}
			ref, ok := p.Index.SourceActions[name]
			if !ok {
				p.Reportf(path, "Name one of the pipeline's source actions, or add a CodeStarSourceConnection source action with this name.",
					"Trigger %d names source action %q, but the pipeline has no Source action of that name%s.",
					i, name, sourceActionList(p.Index.SourceActions))
				continue
			}
			if prev, dup := first[name]; dup {
				p.Reportf(path, "Merge the two triggers' filters into one trigger, or remove one.",
					"Source action %q already has a trigger (trigger %d); CodePipeline accepts one trigger per source action.",
					name, prev)
				continue
			}
			first[name] = i
			a := &p.Pipeline.Stages[ref.Stage].Actions[ref.Action]
			if !IsKnown(a.Owner) || !IsKnown(a.Provider) {
				continue
			}
			if at, ok := LookupActionType(a.Type()); !ok || !at.SupportsTriggers {
				p.Reportf(path, "Point the trigger at a CodeStarSourceConnection source action, or drop the trigger and rely on the source's own change detection.",
					"Trigger %d names source action %q (at %s), whose provider %s/%s does not support triggers.",
					i, name, ref.Path(), a.Owner, a.Provider)
			}
		}
	},
})

// sourceActionList renders the known source action names for a message, sorted and capped so
// that a large pipeline does not produce a huge diagnostic.
func sourceActionList(m map[string]ActionRef) string {
	if len(m) == 0 {
		return " (it has no Source actions)"
	}
	names := make([]string, 0, len(m))
	for n := range m {
		if IsKnown(n) {
			names = append(names, strconv.Quote(n))
		}
	}
	sort.Strings(names)
	const limit = 10
	if len(names) > limit {
		names = append(names[:limit], "…")
	}
	return " (its Source actions: " + strings.Join(names, ", ") + ")"
}

var _ = register(&Rule{
	ID: "trigger-filters", Severity: SeverityError, Where: AtPlan,
	Title: "Trigger Filters Must Be Well Formed",
	Doc:   "A git trigger has 1 to 3 push or pull_request filters; push filters name branches or tags, file paths need branches, pull request filters name branches and known events, and each pattern list has 1 to 8 patterns of 1 to 255 characters.",
	Check: func(p *Pass) {
		if p.Pipeline == nil {
			return
		}
		for i, t := range p.Pipeline.Triggers {
			gc := gitConfigPath(i)
			if len(t.Push) == 0 && len(t.PullRequest) == 0 {
				p.Reportf(gc, "Add a push block (branches or tags) or a pull_request block (branches) to the git_configuration.",
					"Trigger %d has no push or pull_request filter, so it would never start the pipeline.", i)
			}
			checkFilterCount(p, gc, "push", len(t.Push))
			checkFilterCount(p, gc, "pull_request", len(t.PullRequest))
			for k, f := range t.Push {
				fp := gc.Attr("push").Index(k)
				if f.Branches == nil && f.Tags == nil {
					p.Report(fp, fmt.Sprintf("Push filter %d of trigger %d names neither branches nor tags.", k, i),
						"Add a branches or a tags block to the push filter.")
				}
				if f.FilePaths != nil && f.Branches == nil {
					p.Report(fp.Attr("file_paths"), fmt.Sprintf("Push filter %d of trigger %d filters on file paths without branches; CodePipeline applies file paths only together with branches.", k, i),
						"Add a branches block to the push filter, or remove file_paths.")
				}
				checkGlobBlocks(p, fp, f)
			}
			for k, f := range t.PullRequest {
				fp := gc.Attr("pull_request").Index(k)
				if f.Branches == nil {
					p.Report(fp, fmt.Sprintf("Pull request filter %d of trigger %d names no branches.", k, i),
						"Add a branches block naming the target branches of the pull requests.")
				}
				checkPullRequestEvents(p, fp.Attr("events"), f.Events)
				checkGlobBlocks(p, fp, f)
			}
		}
	},
})

// checkFilterCount reports a push or pull_request list with more filters than CodePipeline
// accepts; the missing-filter case is reported once for the whole git_configuration.
func checkFilterCount(p *Pass, gc Path, kind string, n int) {
	if n > MaxGitFilters {
		p.Reportf(gc.Attr(kind), "Merge filters: each one takes up to 8 include and 8 exclude patterns.",
			"The git_configuration has %d %s filters; CodePipeline accepts at most %d.", n, kind, MaxGitFilters)
	}
}

// checkPullRequestEvents reports events that are not pull request events.
func checkPullRequestEvents(p *Pass, path Path, events []string) {
	var bad []string
	for _, e := range events {
		if IsKnown(e) && !slices.Contains(PullRequestEvents, e) {
			bad = append(bad, strconv.Quote(e))
		}
	}
	if len(bad) > 0 {
		p.Reportf(path, fmt.Sprintf("Use only %s (omit events for all three).", strings.Join(PullRequestEvents, ", ")),
			"The filter lists %s, which CodePipeline does not know as pull request event(s).", strings.Join(bad, ", "))
	}
}

// checkGlobBlocks checks the branches, tags and file_paths blocks of one filter.
func checkGlobBlocks(p *Pass, fp Path, f GitFilter) {
	checkGlob(p, fp, "branches", f.Branches)
	checkGlob(p, fp, "tags", f.Tags)
	checkGlob(p, fp, "file_paths", f.FilePaths)
}

// checkGlob checks one includes/excludes block (nil when absent): the block needs at least one
// pattern, and each list fits CodePipeline's limits.
func checkGlob(p *Pass, fp Path, block string, g *GlobFilter) {
	if g == nil {
		return
	}
	path := fp.Attr(block).Index(0)
	if len(g.Includes) == 0 && len(g.Excludes) == 0 {
		p.Report(path, fmt.Sprintf("The %s block has neither includes nor excludes.", block),
			"Add includes or excludes patterns, or remove the block.")
		return
	}
	checkGlobList(p, path.Attr("includes"), g.Includes)
	checkGlobList(p, path.Attr("excludes"), g.Excludes)
}

// checkGlobList checks one includes or excludes list (empty when unset).
func checkGlobList(p *Pass, path Path, patterns []string) {
	if len(patterns) > MaxGlobPatterns {
		p.Reportf(path, "Combine patterns with glob wildcards, or split the filter in two.",
			"The %s list has %d patterns; CodePipeline accepts 1 to %d.", path[len(path)-1].Name, len(patterns), MaxGlobPatterns)
	}
	var bad []string
	for n, pat := range patterns {
		if !IsKnown(pat) {
			continue
		}
		if l := utf8.RuneCountInString(pat); l < 1 || l > MaxGlobPatternLength {
			bad = append(bad, fmt.Sprintf("pattern %d (%d characters)", n, l))
		}
	}
	if len(bad) > 0 {
		p.Reportf(path, fmt.Sprintf("Give each pattern 1 to %d characters.", MaxGlobPatternLength),
			"The %s list has patterns of the wrong length: %s.", path[len(path)-1].Name, strings.Join(bad, ", "))
	}
}

var _ = register(&Rule{
	ID: "parallel-no-rollback", Severity: SeverityError, Where: AtPlan,
	Title: "PARALLEL Mode Cannot Roll Back",
	Doc:   "A pipeline in PARALLEL execution mode has no stage that rolls back: no on_failure result ROLLBACK and no condition whose result is ROLLBACK.",
	Check: func(p *Pass) {
		pl := p.Pipeline
		if pl == nil || !IsKnown(pl.ExecutionMode) || pl.Mode() != ExecutionModeParallel {
			return
		}
		why := "in PARALLEL mode executions run side by side and there is no single earlier execution to roll back to"
		for i := range pl.Stages {
			s := &pl.Stages[i]
			if s.OnFailure != nil && s.OnFailure.Result == ResultRollback {
				p.Reportf(OnFailurePath(i).Attr("result"),
					`Use on_failure result "FAIL" or "RETRY", or an execution_mode other than PARALLEL.`,
					"Stage %q rolls back on failure, but %s.", s.Name, why)
			}
			for _, pc := range s.Conditions() {
				if IsKnown(pc.Condition.Result) && pc.Condition.EffectiveResult(pc.Type) == ResultRollback {
					fix := `Give the condition the result "FAIL", or use an execution_mode other than PARALLEL.`
					if pc.Type == ConditionOnFailure {
						fix = "Remove the on_failure condition (its only result is ROLLBACK), or use an execution_mode other than PARALLEL."
					}
					p.Reportf(pc.Path(i).Attr("result"), fix,
						"The %s condition of stage %q rolls the stage back when it fails, but %s.", ConditionBlock(pc.Type), s.Name, why)
				}
			}
		}
	},
})

var _ = register(&Rule{
	ID: "polling-deprecated", Severity: SeverityWarning, Where: AtPlan | AtApply,
	Title: "Source Polling Is Deprecated",
	Doc:   "A source action does not set PollForSourceChanges to true: polling is deprecated, costs more and reacts later than events.",
	Check: func(p *Pass) {
		eachActionOf(p, func(ref ActionRef, a *Action) {
			if a.Category != CategorySource || a.IsUnknown("configuration") {
				return
			}
			v, ok := a.Configuration["PollForSourceChanges"]
			if !ok || !IsKnown(v) || !strings.EqualFold(v, "true") {
				return
			}
			p.Reportf(ref.Path().Attr("configuration").Key("PollForSourceChanges"),
				`Set PollForSourceChanges = "false" and let change events start the pipeline (the default), or use a webhook or a V2 trigger.`,
				"Source action %q polls its source for changes; polling is deprecated, costs more and starts the pipeline later than change events do.",
				a.Name)
		})
	},
})
