// Command codepipeline is the project's CLI for what is not Terraform's job: runs, the trigger
// daemon, the local cloud's objects, and policy checks.
//
// Adding a command is adding one file: it declares a constructor returning a *cobra.Command
// and registers it from an init function, on the root (register("", newFooCmd)) or under a
// group (register("runs", newRunsFooCmd)). Nothing else lists the commands: help, shell
// completion and the documentation test (docs_test.go) read the tree built from these.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	// The backend kinds this build includes, opened through backend.Open.
	_ "github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/backends"
)

// version is set by the release build (-ldflags "-X main.version=...").
var version = "dev"

// Exit codes shared by the commands.
const (
	exitOK       = 0
	exitFindings = 1 // the command ran and the answer is no: findings, a failed run, something missing
	exitUsage    = 2 // the command line is wrong: unknown command or flag, wrong arguments
	// exitNothingChecked: check found no resource to check (see check's help).
	exitNothingChecked = 3
)

// Groups of the root's help, in this order; a command sets GroupID to one of them.
const (
	groupRuns   = "runs"
	groupCloud  = "cloud"
	groupChecks = "checks"
)

// cli is what every command's constructor gets: where to write, and the process's view of its
// environment (tests pass their own).
type cli struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// workdir is where the state directory's discovery starts (the current directory).
	workdir string
}

// registration is one command: its parent's path below the root ("" for a top-level command,
// "runs" for `codepipeline runs X`) and its constructor.
type registration struct {
	parent string
	build  func(*cli) *cobra.Command
}

var registry []registration

// register adds a command; each command's file calls it from init.
func register(parent string, build func(*cli) *cobra.Command) {
	registry = append(registry, registration{parent, build})
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// newRoot builds the command tree from the registry: a fresh tree per call, so no flag value
// outlives one invocation.
func newRoot(c *cli) *cobra.Command {
	root := &cobra.Command{
		Use:   "codepipeline",
		Short: "Runs, triggers, objects and policy checks for the CodePipeline provider",
		Long: `codepipeline is the CLI of the CodePipeline Terraform provider, for what is not Terraform's job:
following and steering runs on the local backend, the trigger daemon, reading the local cloud's
objects, and policy-checking plans in CI.

Commands that read the local backend find its state directory as the provider does, in this
order: -state-dir, then CODEPIPELINE_STATE_DIR, then the record terraform left in the nearest
.terraform/ directory at or above the current one (the configuration you applied), then
./.codepipeline. Only serve creates a state directory; the others say where they looked.

Flags take one dash or two: -state-dir and --state-dir are the same flag.`,
		Version:       version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.SetVersionTemplate("codepipeline {{.Version}}\n")
	root.AddGroup(
		&cobra.Group{ID: groupRuns, Title: "Pipelines and runs:"},
		&cobra.Group{ID: groupCloud, Title: "The local cloud:"},
		&cobra.Group{ID: groupChecks, Title: "Checks:"},
	)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return &usageError{cmd: cmd, err: err} })

	regs := slices.Clone(registry)
	// Parents before children: a parent's path has fewer words.
	sort.SliceStable(regs, func(i, j int) bool { return depth(regs[i].parent) < depth(regs[j].parent) })
	for _, r := range regs {
		parent := root
		if r.parent != "" {
			p, rest, err := root.Find(strings.Fields(r.parent))
			if err != nil || len(rest) != 0 || p == root {
				panic(fmt.Sprintf("codepipeline: command registered under %q, which is not a command", r.parent))
			}
			parent = p
		}
		parent.AddCommand(r.build(c))
	}
	finish(root)
	return root
}

func depth(path string) int { return len(strings.Fields(path)) }

// finish gives every command of the tree what they all share: errors of the command line are
// usage errors (exit 2), errors of a run exit 1 unless they say otherwise, positional
// arguments are checked against the names in Use, and a group without an action prints its help.
func finish(cmd *cobra.Command) {
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SuggestionsMinimumDistance = 2
	if cmd.Args == nil && !cmd.HasSubCommands() {
		cmd.Args = positionalFromUse
	}
	if cmd.RunE == nil && cmd.Run == nil && cmd.HasSubCommands() {
		cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		cmd.Args = unknownSubcommand
	}
	if args := cmd.Args; args != nil {
		cmd.Args = func(c *cobra.Command, a []string) error {
			if err := args(c, a); err != nil {
				return &usageError{cmd: c, err: err}
			}
			return nil
		}
	}
	if runE := cmd.RunE; runE != nil {
		cmd.RunE = func(c *cobra.Command, a []string) error {
			err := runE(c, a)
			var ee *exitError
			var ue *usageError
			if err != nil && !errors.As(err, &ee) && !errors.As(err, &ue) {
				err = &exitError{code: exitFindings, err: err}
			}
			return err
		}
	}
	for _, sub := range cmd.Commands() {
		finish(sub)
	}
}

// unknownSubcommand refuses an argument to a group of commands: it names no subcommand.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	return errors.New(msg)
}

// positionalFromUse checks the positional arguments against the command's Use line: each
// UPPERCASE word is required, each [BRACKETED] one optional, and a word ending in "..." takes
// any number. The error names the arguments that are missing or too many.
func positionalFromUse(cmd *cobra.Command, args []string) error {
	var required, optional []string
	variadic := false
	for _, w := range strings.Fields(cmd.Use)[1:] {
		name := strings.Trim(w, "[]")
		switch {
		case strings.HasSuffix(name, "..."):
			variadic = true
		case strings.HasPrefix(w, "["):
			optional = append(optional, name)
		case name == strings.ToUpper(name) && !strings.HasPrefix(name, "-"):
			required = append(required, name)
		}
	}
	switch {
	case len(args) < len(required):
		return fmt.Errorf("missing %s (want %s)", strings.Join(required[len(args):], " "), strings.Join(strings.Fields(cmd.Use)[1:], " "))
	case !variadic && len(args) > len(required)+len(optional):
		return fmt.Errorf("too many arguments: %q (want %s)", args[len(required)+len(optional):], strings.Join(strings.Fields(cmd.Use)[1:], " "))
	}
	return nil
}

// exitError ends a command with an exit code; err, when not nil, is printed as
// "codepipeline: err".
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exitCode ends a command with code without printing anything more (the command said why).
func exitCode(code int) error { return &exitError{code: code} }

// usageError is a wrong command line: printed with the command's usage line, exit 2.
type usageError struct {
	cmd *cobra.Command
	err error
}

func (e *usageError) Error() string { return e.err.Error() }

func (e *usageError) Unwrap() error { return e.err }

// usagef is a usageError of cmd.
func usagef(cmd *cobra.Command, format string, args ...any) error {
	return &usageError{cmd: cmd, err: fmt.Errorf(format, args...)}
}

// run runs the CLI on args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline: the current directory:", err)
		return exitFindings
	}
	return runIn(ctx, &cli{stdout: stdout, stderr: stderr, getenv: os.Getenv, workdir: wd}, args)
}

func runIn(ctx context.Context, c *cli, args []string) int {
	root := newRoot(c)
	root.SetArgs(oneDashFlags(root, args))
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(c.stderr, "codepipeline:", ee.err)
		}
		return ee.code
	}
	// Anything else is cobra's or pflag's complaint about the command line.
	var ue *usageError
	if errors.As(err, &ue) {
		cmd = ue.cmd
	}
	if strings.HasPrefix(err.Error(), "unknown command") {
		var names []string
		for _, sub := range cmd.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		fmt.Fprintf(c.stderr, "codepipeline: %v\n\nCommands of %s: %s.\nRun `%s -h` for what each does.\n", err, cmd.CommandPath(), strings.Join(names, ", "), cmd.CommandPath())
		return exitUsage
	}
	fmt.Fprintf(c.stderr, "codepipeline: %v\n\nUsage:\n  %s\n\nRun `%s -h` for its flags and examples.\n", err, cmd.UseLine(), cmd.CommandPath())
	return exitUsage
}

// oneDashFlags lets every long flag be written with one dash, as Terraform's and Go's tools
// take them (-state-dir), as well as two (--state-dir): a word of one dash and more than one
// letter gets its second dash (so an unknown -nope is reported as such, never read as -n ope).
// One-letter flags (-n, -o, -v) are pflag's shorthands already.
func oneDashFlags(root *cobra.Command, args []string) []string {
	takesValue := longFlags(root)
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, hasValue := strings.Cut(a[1:], "=")
			out = append(out, "-"+a)
			if takesValue[name] && !hasValue && i+1 < len(args) {
				out = append(out, args[i+1]) // the flag's value, whatever it looks like
				i++
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

// longFlags maps every long flag name of the tree to whether it takes a value.
func longFlags(root *cobra.Command) map[string]bool {
	names := map[string]bool{"help": false, "version": false}
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		visit := func(f *pflag.Flag) { names[f.Name] = f.NoOptDefVal == "" }
		cmd.LocalFlags().VisitAll(visit)
		cmd.PersistentFlags().VisitAll(visit)
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return names
}
