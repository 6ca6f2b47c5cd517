package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// commandPaths lists every command of the tree, as the words after "codepipeline".
func commandPaths(t *testing.T) [][]string {
	t.Helper()
	root := newRoot(&cli{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }, workdir: t.TempDir()})
	var out [][]string
	var walk func(cmd *cobra.Command, path []string)
	walk = func(cmd *cobra.Command, path []string) {
		out = append(out, path)
		for _, sub := range cmd.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			walk(sub, append(append([]string{}, path...), sub.Name()))
		}
	}
	walk(root, nil)
	return out
}

// TestEveryCommandAnswersHelp: every command and subcommand answers -h, --help, -help and
// `help X` with its usage, its flags and an example, on stdout, exit 0.
func TestEveryCommandAnswersHelp(t *testing.T) {
	paths := commandPaths(t)
	if len(paths) < 10 {
		t.Fatalf("only %d commands in the tree: %v", len(paths), paths)
	}
	for _, path := range paths {
		name := strings.Join(append([]string{"codepipeline"}, path...), " ")
		t.Run(name, func(t *testing.T) {
			variants := [][]string{
				append(append([]string{}, path...), "-h"),
				append(append([]string{}, path...), "--help"),
				append(append([]string{}, path...), "-help"),
				append([]string{"help"}, path...),
			}
			var first string
			for _, args := range variants {
				code, out, errOut := runCLI(args...)
				if code != exitOK || errOut != "" {
					t.Errorf("%v: exit %d, stderr %q; want exit 0 and nothing on stderr", args, code, errOut)
					continue
				}
				if first == "" {
					first = out
				} else if out != first {
					t.Errorf("%v prints another help than %v", args, variants[0])
				}
			}
			want := []string{"Usage:\n  " + name, "Flags:\n"}
			if len(path) > 0 && path[0] != "completion" {
				want = append(want, "Examples:\n  ")
			}
			for _, w := range want {
				if !strings.Contains(first, w) {
					t.Errorf("help lacks %q:\n%s", w, first)
				}
			}
		})
	}
}

// TestGroupsWithoutSubcommandPrintHelp: `codepipeline runs` alone is a request for help.
func TestGroupsWithoutSubcommandPrintHelp(t *testing.T) {
	for _, args := range [][]string{{}, {"runs"}} {
		code, out, errOut := runCLI(args...)
		if code != exitOK || !strings.Contains(out, "Available Commands:") && !strings.Contains(out, "Pipelines and runs:") {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out, errOut)
		}
	}
}

// TestUnknownCommandsAndFlagsExitTwo: a wrong command line names what is wrong and how to get
// help, exit 2.
func TestUnknownCommandsAndFlagsExitTwo(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"nope"}, `unknown command "nope" for "codepipeline"`},
		{[]string{"runs", "nope"}, `unknown command "nope" for "codepipeline runs"`},
		{[]string{"runs", "lst"}, `did you mean "list"?`},
		{[]string{"runs", "list", "-nope", "web"}, "unknown flag: --nope"},
		{[]string{"runs", "logs", "web", "id"}, "missing STAGE ACTION"},
		{[]string{"runs", "list", "web", "extra"}, `too many arguments: ["extra"]`},
		{[]string{"check"}, "missing INPUT"},
	}
	for _, c := range cases {
		code, _, errOut := runCLI(c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, " -h` for ") {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant exit 2 saying %q and how to get help", c.args, code, errOut, c.want)
		}
	}
}

// TestOneDashFlags: long flags take one dash (as Terraform's and Go's tools do) or two.
func TestOneDashFlags(t *testing.T) {
	root := newRoot(&cli{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }})
	got := oneDashFlags(root, []string{"runs", "show", "-state-dir", "-odd-dir", "-watch", "web", "-n", "3", "-account=222222222222", "--", "-watch"})
	want := []string{"runs", "show", "--state-dir", "-odd-dir", "--watch", "web", "-n", "3", "--account=222222222222", "--", "-watch"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("oneDashFlags = %q, want %q", got, want)
	}
}

// TestFlagsMeanOneThingEverywhere: a flag name takes a value in every command or in none, and
// has one shorthand at most, so that one dash works for all (oneDashFlags) and a flag learnt
// in one command means the same in the next. A new command that breaks this fails here.
func TestFlagsMeanOneThingEverywhere(t *testing.T) {
	root := newRoot(&cli{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }})
	type seen struct {
		value     bool
		shorthand string
		where     string
	}
	flags := map[string]seen{}
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
			s := seen{f.NoOptDefVal == "", f.Shorthand, cmd.CommandPath()}
			if prev, ok := flags[f.Name]; ok && (prev.value != s.value || prev.shorthand != s.shorthand) && f.Name != "version" {
				t.Errorf("-%s: in %s %+v, in %s %+v", f.Name, prev.where, prev, s.where, s)
			}
			flags[f.Name] = s
			if f.Usage == "" {
				t.Errorf("%s -%s has no description", cmd.CommandPath(), f.Name)
			}
		})
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		code, out, _ := runCLI(args...)
		if code != exitOK || !strings.HasPrefix(out, "codepipeline "+version) {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
	_ = context.Background
}
