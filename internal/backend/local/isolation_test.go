package local

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// probeState is an action that tries to read the state directory and the other workspaces,
// and prints what it got.
func probeState(c *Cloud) pipeline.Action {
	return shell("Snoop", 1,
		"cat "+filepath.Join(c.Dir(), masterKeyFile)+" || true",
		"head -c 16 "+filepath.Join(c.Dir(), dbFile)+" || true",
		"ls -R "+c.workRoot+" || true",
		"echo snooped")
}

// TestActionsCannotReadTheStateDirectory: an action of account 222 printed master.key into its
// log by reading ../../../../master.key. Actions run in a sandbox that hides the state
// directory and every other workspace.
func TestActionsCannotReadTheStateDirectory(t *testing.T) {
	c, _, b := accounts(t)
	ctx := context.Background()
	p := shellPipeline("snoop", "", stage("Build", probeState(c)))
	p.RoleARN = "arn:aws:iam::" + acctB + ":role/pipeline"
	setupShellPipeline(t, b, p, nil)
	run := startAndRun(t, b, "snoop", nil)
	if run.Status != backend.StatusSucceeded {
		t.Fatalf("run = %s (%s)", run.Status, run.StatusReason)
	}
	log := string(must[[]byte](t)(b.ActionLog(ctx, "snoop", run.ID, "Build", "Snoop")))
	key, err := os.ReadFile(filepath.Join(c.Dir(), masterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log, strings.TrimSpace(string(key))) || strings.Contains(log, "SQLite format") {
		t.Errorf("the action read the state directory:\n%s", log)
	}
	if !strings.Contains(log, "snooped") || strings.Contains(log, "no sandbox") {
		t.Errorf("the action did not run in a sandbox:\n%s", log)
	}
	// Of the work root it sees its own workspace, nothing of other runs.
	if !strings.Contains(log, run.ID) {
		t.Errorf("the action did not see its own workspace:\n%s", log)
	}
}

// TestSandboxOffIsSaid: with the sandbox off an action reads what its user can, and its log
// says so first.
func TestSandboxOffIsSaid(t *testing.T) {
	c, a, _ := accounts(t, WithActionSandbox("off"))
	p := shellPipeline("open", "", stage("Build", probeState(c)))
	setupShellPipeline(t, a, p, nil)
	run := startAndRun(t, a, "open", nil)
	log := string(must[[]byte](t)(a.ActionLog(context.Background(), "open", run.ID, "Build", "Snoop")))
	if !strings.HasPrefix(log, "[local] no sandbox ("+ActionSandboxEnv+"=off)") || !strings.Contains(log, "SQLite format") {
		t.Errorf("log = %q, want it to say there is no sandbox (and show the state it could read)", log)
	}
	if err := openErr(t.TempDir(), WithActionSandbox("sometimes")); !errors.Is(err, backend.ErrInvalid) {
		t.Errorf("an unknown sandbox mode: %v, want ErrInvalid", err)
	}
}

// TestConditionRulesCannotReadTheStateDirectory: a stage condition's Commands rule runs the
// user's commands as a Commands action does: in a workspace of its own under the work root,
// named by ids (the stage is named ".."), inside the sandbox that hides the state directory.
func TestConditionRulesCannotReadTheStateDirectory(t *testing.T) {
	c, _, b := accounts(t)
	ctx := context.Background()
	p := conditionPipeline(t, b, "snoop-rule", func(p *pipeline.Pipeline) {
		p.RoleARN = "arn:aws:iam::" + acctB + ":role/pipeline"
		p.Stages[2].Name = ".."
		p.Stages[2].BeforeEntry = &pipeline.Condition{Result: pipeline.ResultFail, Rules: []pipeline.ConditionRule{
			commandsRule("Snoop", append(strings.Split(probeState(c).Configuration["Commands"], "\n"), "pwd")...),
		}}
	})
	if len(p.Stages[2].BeforeEntry.Rules[0].Commands) < 4 {
		t.Fatalf("probe commands: %q", p.Stages[2].BeforeEntry.Rules[0].Commands)
	}
	run := startAndRun(t, b, "snoop-rule", nil)
	if run.Status != backend.StatusSucceeded {
		t.Fatalf("run = %s (%s)", run.Status, run.StatusReason)
	}
	log := string(must[[]byte](t)(b.ActionLog(ctx, "snoop-rule", run.ID, "..", backend.RuleLogName(pipeline.ConditionBeforeEntry, "Snoop"))))
	key, err := os.ReadFile(filepath.Join(c.Dir(), masterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log, strings.TrimSpace(string(key))) || strings.Contains(log, "SQLite format") {
		t.Errorf("the rule read the state directory:\n%s", log)
	}
	if !strings.Contains(log, "snooped") || strings.Contains(log, "no sandbox") {
		t.Errorf("the rule did not run in a sandbox:\n%s", log)
	}
	if !strings.Contains(log, filepath.Join(c.workRoot, run.ID, "2.before_entry.0-")) {
		t.Errorf("the rule's workspace is not its own under the work root %s:\n%s", c.workRoot, log)
	}
	if _, err := os.Stat(filepath.Join(c.workRoot, run.ID)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the run's workspaces are left after it ended: %v", err)
	}
}
