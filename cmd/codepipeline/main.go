// Command codepipeline is the project's CLI for what is not Terraform's job. Each subcommand
// lives in its own file and registers itself in commands; main only dispatches.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"

	// The backend kinds this build includes, opened through backend.Open.
	_ "github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/backends"
)

// version is set by the release build (-ldflags "-X main.version=...").
var version = "dev"

// command is one subcommand: run gets the arguments after its name and returns the exit code.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands is filled by the subcommand files (check.go, …) from init functions, so adding a
// subcommand is adding one file.
var commands = map[string]command{}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit codes shared by the subcommands.
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
	// exitNothingChecked: check found no resource to check (see checkUsage).
	exitNothingChecked = 3
)

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return c.run([]string{"-h"}, stdout, stderr)
			}
		}
		usage(stdout)
		return exitOK
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "codepipeline %s (%s %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "codepipeline: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: codepipeline <command> [flags] [arguments]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "  %-10s %s\n  %-10s %s\n\nRun `codepipeline help <command>` for a command's flags.\n",
		"help", "show this help", "version", "print the version")
}
