package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// executeRunArg is the hidden first argument with which the provider binary drives one run in
// the background (codepipeline_run with wait = false): Terraform ends the provider process when
// the apply ends, so the run needs a process of its own.
const executeRunArg = "__codepipeline_execute_run"

// detachedRun is what the background process needs, passed as one JSON argument.
type detachedRun struct {
	Config   backend.Config
	Pipeline string
	ID       string
}

// startDetachedRun starts this executable in a new session to drive the run.
func startDetachedRun(cfg backend.Config, pipeline, id string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	arg, err := json.Marshal(detachedRun{Config: cfg, Pipeline: pipeline, ID: id})
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, executeRunArg, string(arg))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", exe, err)
	}
	return cmd.Process.Release()
}

// ExecuteRunMain drives a run when args are those startDetachedRun passes, and reports whether
// they were. main (and the tests' TestMain) call it before anything else.
func ExecuteRunMain(args []string) bool {
	if len(args) != 2 || args[0] != executeRunArg {
		return false
	}
	var d detachedRun
	if err := json.Unmarshal([]byte(args[1]), &d); err != nil {
		fmt.Fprintln(os.Stderr, "codepipeline: bad run arguments:", err)
		os.Exit(2)
	}
	if err := executeDetached(d); err != nil {
		fmt.Fprintln(os.Stderr, "codepipeline:", err)
		os.Exit(1)
	}
	return true
}

// executeDetached opens the backend the run's provider configuration names and drives the run.
func executeDetached(d detachedRun) error {
	ctx := context.Background()
	b, err := backend.Open(ctx, d.Config)
	if err != nil {
		return err
	}
	defer b.Close()
	runs, err := backend.RunsOf(b)
	if err != nil {
		return err
	}
	_, err = runs.ExecuteRun(ctx, d.Pipeline, d.ID)
	return err
}
