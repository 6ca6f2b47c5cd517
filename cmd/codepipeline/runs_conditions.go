package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Stage conditions in the runs command: overriding one, and showing each condition's rules
// and results under its stage.

// conditionTypeArg reads a condition type as the command line writes it: before-entry,
// before_entry or BEFORE_ENTRY.
func conditionTypeArg(s string) (string, error) {
	t := strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
	for _, ok := range pipeline.OverridableConditions {
		if t == ok {
			return t, nil
		}
	}
	return "", fmt.Errorf("condition %q: give before-entry or on-success (the conditions a run can be let past)", s)
}

// overrideCondition lets run id past the stage's condition of type t.
func overrideCondition(ctx context.Context, a backend.Runner, pipelineName, id, stage, t string, w io.Writer) error {
	if err := a.OverrideStageCondition(ctx, pipelineName, stage, id, t); err != nil {
		return err
	}
	fmt.Fprintf(w, "overridden: run %s goes past the %s condition of stage %s\n", id, pipeline.ConditionBlock(t), stage)
	return nil
}

// stageDetailLines are a stage's retries and condition evaluations for printRun: how often it
// was retried, then each condition, the result it engaged, and its rules.
func stageDetailLines(st backend.StageRun) []string {
	var out []string
	if r := st.Retry; r != nil {
		out = append(out, fmt.Sprintf("    %-22s %d automatic, %d manual (latest: %s)", "[retries]", r.AutoAttempts, r.ManualAttempts, r.LatestTrigger))
	}
	for _, c := range st.Conditions {
		head := fmt.Sprintf("    %-22s %-12s %-8s", "["+pipeline.ConditionBlock(c.Type)+"]", statusBadge(c.Status), duration(c.Started, c.Ended))
		if c.Result != "" {
			head += " result " + c.Result + ":"
		}
		out = append(out, strings.TrimRight(head+" "+firstLine(c.Summary), " "))
		for _, r := range c.Rules {
			detail := r.Summary
			if r.Error != "" {
				detail = r.Error
			}
			out = append(out, strings.TrimRight(fmt.Sprintf("      %-20s %-12s %-8s %s", r.Name, statusBadge(r.Status), duration(r.Started, r.Ended), firstLine(detail)), " "))
		}
	}
	return out
}

// noteConditions reports changes of a stage's conditions and rules to printChanges.
func noteConditions(st backend.StageRun, note func(key, status, detail string)) {
	for _, c := range st.Conditions {
		key := st.Name + "/" + pipeline.ConditionBlock(c.Type)
		detail := firstLine(c.Summary)
		if c.Result != "" {
			detail = "result " + c.Result + ": " + detail
		}
		note(key, c.Status, detail)
		for _, r := range c.Rules {
			d := r.Summary
			if r.Error != "" {
				d = r.Error
			}
			note(key+"/"+r.Name, r.Status, firstLine(d))
		}
	}
}
