package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/check"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

func init() { register("", newCheckCmd) }

func newCheckCmd(c *cli) *cobra.Command {
	var (
		format, colour, output string
		strict, allowEmpty     bool
		only, skip             []string
	)
	cmd := &cobra.Command{
		Use:     "check INPUT",
		Short:   "Policy-check a plan JSON or a directory of .tf files",
		GroupID: groupChecks,
		Long: `Runs the provider's rules over a saved plan (terraform show -json plan.out > plan.json; "-"
reads it from stdin) or over the .tf files of a directory, for this provider's resources and the
AWS provider's aws_codepipeline, S3, KMS and IAM resources.

Exit status: 0 no findings (or warnings only), 1 errors (or warnings with -strict), 2 bad input,
3 nothing checked: no pipeline, webhook or store, key or role of this provider in the input (or
only in modules that could not be followed); -allow-empty makes that 0. A gate that looked at
nothing never passes as if it had looked.`,
		Example: `  codepipeline check plan.json
  terraform show -json plan.out | codepipeline check -
  codepipeline check ./infra -format sarif -o codepipeline.sarif
  codepipeline check -strict -skip polling-deprecated plan.json`,
	}
	fs := cmd.Flags()
	fs.StringVar(&format, "format", "text", "output format: "+strings.Join(check.Formats, ", "))
	fs.BoolVar(&strict, "strict", false, "exit 1 on warnings too")
	fs.StringVar(&colour, "color", "auto", "colour the text output: auto (on a terminal), always, never")
	fs.StringVarP(&output, "output", "o", "", "write the report to this file instead of stdout")
	fs.BoolVar(&allowEmpty, "allow-empty", false, "exit 0 when the input holds nothing to check (instead of 3)")
	fs.StringSliceVar(&only, "rule", nil, "run only this rule ID (repeatable, or comma-separated)")
	fs.StringSliceVar(&skip, "skip", nil, "do not run this rule ID (repeatable, or comma-separated)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(check.Formats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
	ruleIDs := func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var ids []string
		for _, r := range pipeline.Rules() {
			ids = append(ids, r.ID+"\t"+r.Title)
		}
		return ids, cobra.ShellCompDirectiveNoFileComp
	}
	_ = cmd.RegisterFlagCompletionFunc("rule", ruleIDs)
	_ = cmd.RegisterFlagCompletionFunc("skip", ruleIDs)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		fail := func(err error) error { return &exitError{code: exitUsage, err: fmt.Errorf("check: %w", err)} }
		switch format {
		case "text", "json", "sarif":
		default:
			return fail(fmt.Errorf("unknown -format %q: use one of %s", format, strings.Join(check.Formats, ", ")))
		}
		opts := check.Options{Only: only, Skip: skip}
		if err := opts.Validate(); err != nil {
			return fail(err)
		}
		inv, err := check.Load(args[0])
		if err != nil {
			return fail(err)
		}
		rep, err := check.Check(inv, opts)
		if err != nil {
			return fail(err)
		}
		out, useColour := c.stdout, false
		if output != "" {
			f, err := os.Create(output)
			if err != nil {
				return fail(err)
			}
			defer f.Close()
			out = f
		}
		switch colour {
		case "always":
			useColour = true
		case "auto":
			f, isFile := out.(*os.File)
			useColour = isFile && check.IsTerminal(f)
		}
		if err := check.Write(out, rep, format, useColour, version); err != nil {
			return fail(err)
		}
		switch {
		case rep.Errors() > 0 || (strict && rep.Warnings() > 0):
			return exitCode(exitFindings)
		case rep.NothingChecked() && !allowEmpty:
			// The report's notices say why (modules not followed, files not read).
			return &exitError{code: exitNothingChecked, err: fmt.Errorf("check: nothing was checked in %s (exit %d; -allow-empty accepts it)", args[0], exitNothingChecked)}
		}
		return nil
	}
	return cmd
}
