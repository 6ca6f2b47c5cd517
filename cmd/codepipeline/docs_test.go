package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// invocation is a codepipeline command line shown in the documentation.
type invocation struct {
	file, line string
	words      []string // after "codepipeline"
	whole      bool     // a line of a shell block: its positional arguments count too
}

// documentedFiles are the pages a user reads: the README, the generated docs and the examples'
// READMEs.
func documentedFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"../../README.md"}
	for _, pattern := range []string{"../../docs/*.md", "../../docs/*/*.md", "../../examples/*/README.md", "../../examples/*/*/README.md"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	return files
}

var (
	// a command in a shell line: at its start, after a pipe or a list operator, or after a
	// YAML step's "run:".
	shellCommand = regexp.MustCompile(`(?:^|[|;&]\s*|run:\s*)codepipeline\s+([^|;&>#]*)`)
	inlineCode   = regexp.MustCompile("`codepipeline ([a-z][^`]*)`")
	fence        = regexp.MustCompile("^\\s*```\\s*([a-z]*)")
)

// documentedInvocations finds every codepipeline command line of the documentation: in shell
// and YAML blocks whole, in inline code as a command and its flags.
func documentedInvocations(t *testing.T) []invocation {
	t.Helper()
	var out []invocation
	for _, file := range documentedFiles(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		inBlock, lang := false, ""
		for _, line := range strings.Split(string(data), "\n") {
			if m := fence.FindStringSubmatch(line); m != nil {
				inBlock, lang = !inBlock, m[1]
				continue
			}
			if inBlock {
				switch lang {
				case "sh", "shell", "bash", "console", "yaml", "":
				default:
					continue
				}
				for _, m := range shellCommand.FindAllStringSubmatch(strings.TrimPrefix(strings.TrimSpace(line), "$ "), -1) {
					out = append(out, invocation{file: file, line: line, words: shellWords(m[1]), whole: true})
				}
				continue
			}
			for _, m := range inlineCode.FindAllStringSubmatch(line, -1) {
				words := shellWords(m[1])
				for i, w := range words {
					words[i], _, _ = strings.Cut(w, "|") // `completion bash|zsh`: alternatives
				}
				out = append(out, invocation{file: file, line: line, words: words})
			}
		}
	}
	return out
}

// shellWords splits a command line as a shell would, for the quoting documentation uses.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord, quote := false, rune(0)
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestDocumentedCommandsExist: every codepipeline command the README, the guides and the
// examples show exists, with the flags shown, and a whole command line has the arguments its
// command takes. A command renamed or a flag dropped without its docs fails here.
func TestDocumentedCommandsExist(t *testing.T) {
	invs := documentedInvocations(t)
	if len(invs) < 20 {
		t.Fatalf("only %d documented invocations found: the extraction is broken", len(invs))
	}
	seen := map[string]bool{}
	for _, inv := range invs {
		root := newRoot(&cli{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }})
		root.InitDefaultHelpCmd()
		root.InitDefaultCompletionCmd()
		args := oneDashFlags(root, inv.words)
		cmd, rest, err := root.Find(args)
		where := inv.file + ": " + strings.TrimSpace(inv.line)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		seen[cmd.CommandPath()] = true
		err = cmd.ParseFlags(rest)
		if errors.Is(err, pflag.ErrHelp) || (!inv.whole && err != nil && strings.HasPrefix(err.Error(), "flag needs an argument")) {
			continue // `cmd -h`, and a flag named in prose without its value
		}
		if err != nil {
			t.Errorf("%s: %s: %v", where, cmd.CommandPath(), err)
			continue
		}
		if inv.whole && cmd.Args != nil {
			if err := cmd.Args(cmd, cmd.Flags().Args()); err != nil {
				t.Errorf("%s: %s: %v", where, cmd.CommandPath(), err)
			}
		}
	}
	// Every command the user can run is documented somewhere outside its own help.
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.HasSubCommands() && !seen[c.CommandPath()] && c.IsAvailableCommand() && c.Name() != "version" && !strings.HasPrefix(c.CommandPath(), "codepipeline completion") {
			t.Errorf("%s is not shown in README.md, docs/ or the examples", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot(&cli{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }}))
}

// TestDocumentationExtraction: the test above sees what it must.
func TestDocumentationExtraction(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"codepipeline runs show quickstart -watch   # live", "runs show quickstart -watch"},
		{"terraform show -json plan.out | codepipeline check -", "check -"},
		{`        run: codepipeline check -format sarif -o x.sarif infra/plan.json`, "check -format sarif -o x.sarif infra/plan.json"},
		{`codepipeline runs approve -summary "looks good" app ID S A`, "runs approve -summary looks good app ID S A"},
	} {
		m := shellCommand.FindStringSubmatch(strings.TrimSpace(c.line))
		if m == nil || strings.Join(shellWords(m[1]), " ") != c.want {
			t.Errorf("%q → %q, want %q", c.line, m, c.want)
		}
	}
}
