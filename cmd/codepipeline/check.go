package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/check"
)

func init() {
	commands["check"] = command{summary: "policy-check a plan JSON or a directory of .tf files", run: runCheck}
}

const checkUsage = `Usage: codepipeline check [flags] <plan.json | dir | ->

Runs the provider's rules over a saved plan (terraform show -json plan.out > plan.json; "-"
reads it from stdin) or over the .tf files of a directory, for this provider's resources and the
AWS provider's aws_codepipeline, S3, KMS and IAM resources.

Exit status: 0 no findings (or warnings only), 1 errors (or warnings with -strict), 2 bad input,
3 nothing checked: no pipeline, webhook or store, key or role of this provider in the input (or
only in modules that could not be followed); -allow-empty makes that 0.

Flags:
`

// listFlag collects comma-separated values from a repeatable flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: "+strings.Join(check.Formats, ", "))
	strict := fs.Bool("strict", false, "exit 1 on warnings too")
	colour := fs.String("color", "auto", "colour the text output: auto (on a terminal), always, never")
	output := fs.String("o", "", "write the report to this file instead of stdout")
	allowEmpty := fs.Bool("allow-empty", false, "exit 0 when the input holds nothing to check (instead of 3)")
	var only, skip listFlag
	fs.Var(&only, "rule", "run only this rule ID (repeatable, or comma-separated)")
	fs.Var(&skip, "skip", "do not run this rule ID (repeatable, or comma-separated)")
	fs.Usage = func() { fmt.Fprint(stderr, checkUsage); fs.PrintDefaults() }

	inputs, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if len(inputs) != 1 {
		fmt.Fprintln(stderr, "codepipeline check: want exactly one input: a plan JSON file, a directory of .tf files, or - for stdin")
		return exitUsage
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "codepipeline check: %v\n", err)
		return exitUsage
	}
	switch *format {
	case "text", "json", "sarif":
	default:
		return fail(fmt.Errorf("unknown -format %q: use one of %s", *format, strings.Join(check.Formats, ", ")))
	}
	opts := check.Options{Only: only, Skip: skip}
	if err := opts.Validate(); err != nil {
		return fail(err)
	}
	inv, err := check.Load(inputs[0])
	if err != nil {
		return fail(err)
	}
	rep, err := check.Check(inv, opts)
	if err != nil {
		return fail(err)
	}

	out, useColour := stdout, false
	if *output != "" {
		f, err := os.Create(*output)
		if err != nil {
			return fail(err)
		}
		defer f.Close()
		out = f
	}
	switch *colour {
	case "always":
		useColour = true
	case "auto":
		f, isFile := out.(*os.File)
		useColour = isFile && check.IsTerminal(f)
	}
	if err := check.Write(out, rep, *format, useColour, version); err != nil {
		return fail(err)
	}
	switch {
	case rep.Errors() > 0 || (*strict && rep.Warnings() > 0):
		return exitFindings
	case rep.NothingChecked() && !*allowEmpty:
		fmt.Fprintf(stderr, "codepipeline check: nothing was checked in %s (exit %d; -allow-empty accepts it)\n", inputs[0], exitNothingChecked)
		return exitNothingChecked
	}
	return exitOK
}

// parseInterspersed parses flags before and after the positional arguments, so that
// `check plan.json -format sarif` works as well as `check -format sarif plan.json`.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// flag stops at "--" and drops it: everything after it is positional.
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
