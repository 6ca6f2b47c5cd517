package local

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// TestApprovalTimesOut: a manual approval nobody decides fails its action and the run when its
// timeout_in_minutes passes (a minute is shortened to milliseconds for the test).
func TestApprovalTimesOut(t *testing.T) {
	defer func(unit time.Duration) { timeoutMinute = unit }(timeoutMinute)
	timeoutMinute = 20 * time.Millisecond
	_, a, _ := accounts(t)
	setupApprovalPipeline(t, a, "")
	ctx := context.Background()
	p := approvalPipeline("")
	p.Stages[1].Actions[0].TimeoutInMinutes = 5
	must[*backend.PipelineRecord](t)(a.UpdatePipeline(ctx, p))
	run := must[*backend.Run](t)(a.StartRun(ctx, backend.RunRequest{Pipeline: "gate"}))
	ended := must[*backend.Run](t)(a.ExecuteRun(ctx, "gate", run.ID))
	act := ended.Action("Approve", "Manual")
	if ended.Status != backend.StatusFailed || act.Status != backend.StatusFailed || !strings.Contains(act.Error, "timed out after 100ms") {
		t.Fatalf("run %s, approval %s (%q); want both Failed with a timeout", ended.Status, act.Status, act.Error)
	}
}
