package newcomer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// pages are the documents the session reads, in the order a newcomer meets them: the README,
// then the guides as the README lists them, then the examples' READMEs. Each has the place the
// reader is in when they reach its commands.
var pages = []page{
	{file: "README.md"},
	{file: "docs/guides/cross-account-deployments.md"},
	{file: "docs/guides/local-backend.md", dir: "examples/quickstart", quickstart: true},
	{file: "docs/guides/rules.md"},
	{file: "docs/guides/triggers.md", dir: "examples/quickstart", quickstart: true},
	{file: "docs/guides/policy-checks.md", dir: "examples/quickstart", quickstart: true},
	{file: "docs/guides/migrating-from-aws_codepipeline.md"},
	{file: "examples/cross-account/README.md"},
}

type page struct {
	file string
	// dir is where the page's commands run, relative to the repository ("" = where the reader
	// is: the repository's root for the README, wherever it left them after).
	dir string
	// quickstart: the page's commands act on the quickstart: it is applied first if the
	// session removed it.
	quickstart bool
}

// step is what the session expects of one documented command.
type step struct {
	exit int
	// want must match the command's output (stdout and stderr together).
	want string
	// run, when set, replaces the command as run: the documented one with its placeholders
	// filled (RUN_ID is the quickstart's run).
	run string
	// stdin is what the command reads (terraform's approval prompts).
	stdin string
	// skip says why the session shows the command without running it.
	skip string
	// serve: the command is the daemon: the session waits until it serves, then stops it.
	serve bool
}

// session maps each documented command (as written, without its comment) to its step. The
// one change the session makes to a command it runs is the webhook address of serve: a free
// port, since other tests may hold the default one.
var session = map[string]step{
	// README.md
	"make quickstart": {want: `(?s)Provider development overrides are in effect": expected.*` +
		`==> The run, live, its stages in pipeline order.*Source\s+Succeeded.*Build\s+Succeeded.*Test\s+Succeeded.*Deploy\s+Succeeded.*run\s+Succeeded.*` +
		`==> The deployed page.*Built from commit [0-9a-f]{40}\..*==> Try next.*codepipeline runs logs quickstart [0-9a-f-]{36} Test Html`},
	"make test":                                           {skip: "the session runs inside make test"},
	`export PATH="$PWD/bin:$PATH"`:                        {},
	"cd examples/quickstart":                              {},
	"codepipeline runs list quickstart":                   {want: `(?m)^EXECUTION\s+STATUS.*\n[0-9a-f-]{36}\s+Succeeded`},
	"codepipeline runs show quickstart":                   {want: `(?s)^quickstart  [0-9a-f-]{36}  Succeeded.*\n  Source .*\n  Build .*\n  Test .*\n  Deploy `},
	"codepipeline s3 cat s3://quickstart-site/index.html": {want: `Built from commit [0-9a-f]{40}`},
	"cd ../..":                      {},
	"scripts/quickstart.sh destroy": {want: `Removed the quickstart's resources, its local cloud`},

	// docs/guides/local-backend.md (after make quickstart, in examples/quickstart)
	"codepipeline pipelines list":                        {want: `(?m)^quickstart\s+111111111111\s+us-east-1\s+\d+\s+Source → Build → Test → Deploy`},
	"codepipeline start quickstart":                      {want: `(?s)^run [0-9a-f-]{36} of quickstart\n.*quickstart  [0-9a-f-]{36}  Succeeded`},
	"codepipeline runs show quickstart -watch":           {want: `(?m)^\S+ run\s+Succeeded`},
	"codepipeline runs logs quickstart RUN_ID Test Html": {run: "codepipeline runs logs quickstart $RUN_ID Test Html", want: `(?i)html`},
	"codepipeline runs retry quickstart RUN_ID Test":     {run: "codepipeline runs retry quickstart $RUN_ID Test", exit: 1, want: `did not fail`},
	"codepipeline runs stop quickstart RUN_ID":           {run: "codepipeline runs stop quickstart $RUN_ID", exit: 1, want: `already ended \(Succeeded\): there is nothing to stop`},
	"codepipeline s3 ls s3://quickstart-site":            {want: `(?m)\s\d+\s+index\.html$`},
	"codepipeline serve -listen 127.0.0.1:8348":          {serve: true, want: `webhooks on http://127\.0\.0\.1:\d+`},
	"codepipeline check .":                               {want: `in \d+ resources? checked`},
	"codepipeline graph quickstart -o quickstart.svg":    {run: "codepipeline graph quickstart -o quickstart.svg && cat quickstart.svg", want: `(?s)^<\?xml.*<svg .*>Checkout<.*>Html<.*>Content<.*</svg>`},

	// docs/guides/triggers.md
	"codepipeline serve": {serve: true, want: `state directory \S+/examples/quickstart/\.work/state \(recorded by terraform in \S+/examples/quickstart/\.terraform/codepipeline-state\.json\)`},
	"codepipeline serve -state-dir .codepipeline -listen 127.0.0.1:8348": {serve: true, want: `state directory \S+/examples/quickstart/\.codepipeline \(-state-dir\)`},

	// docs/guides/policy-checks.md (a plan of the quickstart)
	"terraform plan -out plan.out":              {want: `Saved the plan to: plan.out`},
	"terraform show -json plan.out > plan.json": {},
	"codepipeline check plan.json":              {want: `in \d+ resources? checked`},
	"codepipeline check ./infra":                {run: "codepipeline check .", want: `in \d+ resources? checked`},
	"set -eu":                                   {skip: "a shell option of the CI step, not a command"},
	"terraform plan -input=false -out plan.out": {want: `Saved the plan to: plan.out`},
	"codepipeline check -strict plan.json":      {want: `in \d+ resources? checked`},
	"codepipeline check -format json plan.json > codepipeline-findings.json || true": {},

	// examples/cross-account/README.md
	"make install": {want: `export TF_CLI_CONFIG_FILE=`},
	"export TF_CLI_CONFIG_FILE=$PWD/.tools/terraformrc":   {},
	"cd examples/cross-account":                           {},
	"terraform get":                                       {},
	"terraform apply":                                     {stdin: "yes\n", want: `Apply complete! Resources: \d+ added`},
	"terraform output stages":                             {want: `(?s)"Source: Succeeded",\s+"Build: Succeeded",\s+"DeployProd: Succeeded"`},
	"codepipeline runs show cross-account-app":            {want: `(?s)^cross-account-app  [0-9a-f-]{36}  Succeeded.*DeployProd\s+Succeeded`},
	"codepipeline s3 ls s3://cross-account-app-prod-site": {want: `index\.html`},
	"terraform destroy":                                   {stdin: "yes\n", want: `Destroy complete!`},
}

// documented is a command as a page shows it.
type documented struct{ file, command string }

var (
	fence   = regexp.MustCompile("^\\s*```\\s*([a-z]*)")
	comment = regexp.MustCompile(`\s+#.*$`)
)

// documentedCommands lists the commands of the pages' shell blocks, in order.
func documentedCommands(t *testing.T, root string) []documented {
	t.Helper()
	var out []documented
	for _, p := range pages {
		data, err := os.ReadFile(filepath.Join(root, p.file))
		if err != nil {
			t.Fatal(err)
		}
		inBlock, lang := false, ""
		for _, line := range strings.Split(string(data), "\n") {
			if m := fence.FindStringSubmatch(line); m != nil {
				inBlock, lang = !inBlock, m[1]
				continue
			}
			if !inBlock || (lang != "sh" && lang != "shell" && lang != "bash" && lang != "console") {
				continue
			}
			cmd := strings.TrimSpace(comment.ReplaceAllString(strings.TrimPrefix(strings.TrimSpace(line), "$ "), ""))
			if cmd != "" && !strings.HasPrefix(cmd, "#") {
				out = append(out, documented{p.file, cmd})
			}
		}
	}
	return out
}

// TestSessionCoversTheDocumentation: every command shown has a step, every step a command
// shown. It needs nothing but the files, so it runs without TF_ACC.
func TestSessionCoversTheDocumentation(t *testing.T) {
	shown := map[string]bool{}
	for _, d := range documentedCommands(t, "../..") {
		shown[d.command] = true
		if _, ok := session[d.command]; !ok {
			t.Errorf("%s shows `%s`, which the newcomer's session does not run: add its step to session", d.file, d.command)
		}
	}
	for cmd := range session {
		if !shown[cmd] {
			t.Errorf("the session has a step for `%s`, which no page shows any more", cmd)
		}
	}
}

// TestNewcomerSession runs the documentation's commands in order on a fresh copy of the
// repository, as a newcomer would, and checks each exit status and key line.
func TestNewcomerSession(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make test does)")
	}
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		var err error
		if tf, err = exec.LookPath("terraform"); err != nil {
			t.Fatal("no terraform: set TF_ACC_TERRAFORM_PATH (make test does) or put terraform on PATH")
		}
	}
	repo := freshCopy(t)
	s := &shell{t: t, repo: repo, dir: repo, env: newcomerEnv(filepath.Dir(tf))}
	applied := false
	for _, d := range documentedCommands(t, repo) {
		st := session[d.command]
		page := pageOf(d.file)
		if st.skip != "" {
			t.Logf("%s: `%s` not run: %s", d.file, d.command, st.skip)
			continue
		}
		if page.dir == "" && s.page != d.file {
			s.page, s.dir = d.file, repo
		}
		if page.dir != "" && s.page != d.file {
			// A guide's commands run where its reader is: after the quickstart, in its directory,
			// with the CLI on PATH and make install's terraform configuration.
			s.page = d.file
			if page.quickstart && !fileExists(filepath.Join(repo, "examples/quickstart/terraform.tfstate")) {
				s.dir = repo
				s.run(t, documented{d.file, "make quickstart"}, session["make quickstart"])
			}
			s.dir = filepath.Join(repo, page.dir)
			s.env["PATH"] = filepath.Join(repo, "bin") + ":" + s.env["PATH"]
			s.env["TF_CLI_CONFIG_FILE"] = filepath.Join(repo, ".tools", "terraformrc")
		}
		out := s.run(t, d, st)
		if d.command == "make quickstart" {
			applied = true
		}
		if m := regexp.MustCompile(`codepipeline runs logs quickstart ([0-9a-f-]{36}) `).FindStringSubmatch(out); m != nil {
			s.env["RUN_ID"] = m[1]
		}
		if m := regexp.MustCompile(`(?m)^run ([0-9a-f-]{36}) of quickstart$`).FindStringSubmatch(out); m != nil {
			s.env["RUN_ID"] = m[1]
		}
	}
	if !applied {
		t.Error("the session never ran make quickstart: the README's first command")
	}
}

func pageOf(file string) page {
	for _, p := range pages {
		if p.file == file {
			return p
		}
	}
	return page{file: file}
}

// shell is the newcomer's terminal: a directory and an environment that cd and export change.
type shell struct {
	t    *testing.T
	repo string
	dir  string
	env  map[string]string
	page string
}

// newcomerEnv is this process's environment without what would point the commands elsewhere,
// with terraform's directory on PATH.
func newcomerEnv(tfDir string) map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "CODEPIPELINE_STATE_DIR", "TF_DATA_DIR", "TF_CLI_CONFIG_FILE", "TF_ACC", "TF_LOG", "TF_REATTACH_PROVIDERS":
			continue
		}
		env[k] = v
	}
	env["PATH"] = tfDir + ":" + env["PATH"]
	env["CHECKPOINT_DISABLE"] = "1"
	return env
}

func (s *shell) environ() []string {
	out := make([]string, 0, len(s.env))
	for k, v := range s.env {
		out = append(out, k+"="+v)
	}
	return out
}

var exportLine = regexp.MustCompile(`^export ([A-Z_][A-Z0-9_]*)=(.*)$`)

// run runs one documented command and checks it; it returns what the command printed.
func (s *shell) run(t *testing.T, d documented, st step) string {
	t.Helper()
	label := fmt.Sprintf("%s: `%s` (in %s)", d.file, d.command, strings.TrimPrefix(s.dir, s.repo+"/"))
	command := d.command
	if st.run != "" {
		command = st.run
	}
	if dir, ok := strings.CutPrefix(command, "cd "); ok {
		next := filepath.Join(s.dir, dir)
		if !fileExists(next) {
			t.Fatalf("%s: no directory %s", label, next)
		}
		s.dir = next
		return ""
	}
	if m := exportLine.FindStringSubmatch(command); m != nil {
		out, err := s.bash(context.Background(), `printf %s "`+strings.Trim(m[2], `"`)+`"`, "", nil)
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		s.env[m[1]] = out
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	var out string
	var err error
	if st.serve {
		out, err = s.serve(ctx, command)
	} else {
		out, err = s.bash(ctx, command, st.stdin, nil)
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v\n%s", label, err, out)
	}
	if code != st.exit {
		t.Fatalf("%s: exit %d, want %d\n%s", label, code, st.exit, out)
	}
	if st.want != "" && !regexp.MustCompile(st.want).MatchString(out) {
		t.Fatalf("%s: the output does not match %s:\n%s", label, st.want, out)
	}
	t.Logf("%s: exit %d, as documented", label, code)
	return out
}

// bash runs command with bash in the shell's directory and environment.
func (s *shell) bash(ctx context.Context, command, stdin string, started func(*exec.Cmd)) (string, error) {
	cmd := exec.CommandContext(ctx, "bash", "-c", command)
	cmd.Dir, cmd.Env = s.dir, s.environ()
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// serve runs a serve command until it says where it serves, then stops it as Ctrl-C would;
// it must stop cleanly. Its webhook address becomes a free port.
func (s *shell) serve(ctx context.Context, command string) (string, error) {
	listen := regexp.MustCompile(`-listen \S+`)
	if listen.MatchString(command) {
		command = listen.ReplaceAllString(command, "-listen 127.0.0.1:0")
	} else {
		command += " -listen 127.0.0.1:0"
	}
	cmd := exec.CommandContext(ctx, "bash", "-c", "exec "+command)
	cmd.Dir, cmd.Env = s.dir, s.environ()
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return "", err
	}
	var mu sync.Mutex
	var out strings.Builder
	serving := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			mu.Lock()
			out.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.Contains(sc.Text(), "webhooks on http://") {
				once.Do(func() { close(serving) })
			}
		}
	}()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait(); pw.Close() }()
	select {
	case <-serving:
		_ = cmd.Process.Signal(syscall.SIGINT)
		err := <-waited
		mu.Lock()
		defer mu.Unlock()
		if !strings.Contains(out.String(), "codepipeline serve: stopped after") {
			return out.String(), fmt.Errorf("serve did not say it stopped: %w", err)
		}
		return out.String(), err
	case err := <-waited:
		mu.Lock()
		defer mu.Unlock()
		return out.String(), err
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		killed := <-waited
		mu.Lock()
		defer mu.Unlock()
		return out.String(), errors.Join(errors.New("serve never said where it serves"), killed)
	}
}

// freshCopy copies the repository's files — tracked, and new ones not ignored — into a
// temporary directory: what a clone of this commit holds, with nothing a developer built or
// applied in their checkout.
func freshCopy(t *testing.T) string {
	t.Helper()
	src, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "terraform-provider-codepipeline")
	list, err := exec.Command("git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("listing the repository's files: %v", err)
	}
	for _, rel := range strings.Split(strings.TrimSuffix(string(list), "\x00"), "\x00") {
		from, to := filepath.Join(src, rel), filepath.Join(dst, rel)
		info, err := os.Lstat(from)
		if err != nil {
			continue // deleted in the working tree
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if info.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(from)
			if err == nil {
				err = os.Symlink(target, to)
			}
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
