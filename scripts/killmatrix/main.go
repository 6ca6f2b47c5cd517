// Command killmatrix kills the processes that drive runs of the local backend with SIGKILL at
// random moments, and checks after each kill what the next process to open the state directory
// finds. Run it with scripts/kill-matrix.sh.
//
// Scenarios (each -trials times, over one state directory per scenario, so that damage would
// accumulate):
//
//   - cli: `codepipeline start` drives a run; it is killed at a random moment of the run.
//   - provider: `terraform apply` of a codepipeline_run; the provider process driving the run is
//     killed at a random moment of the run.
//   - store: `codepipeline start` drives a run whose build writes an artifact of -size MB;
//     the driver is killed while that artifact is being stored.
//
// After each kill the state directory is opened (which recovers the dead run) and checked:
//
//   - state errors: the directory does not open, or its database fails an integrity check;
//   - unreadable artifacts: an artifact version of any run (or the source object) does not read
//     back as a whole zip;
//   - stuck runs: a run still in progress after the recovery, or a new run that does not end
//     (Succeeded) within a minute;
//   - files left behind: workspaces, temporary object files, object files no version names,
//     blob intents, and processes of the killed run still alive.
//
// Every count must be 0; the command exits 1 otherwise. It is bounded by -timeout.
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "modernc.org/sqlite"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	_ "github.com/pipelinekit/terraform-provider-codepipeline/internal/backend/backends"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

const pipelineName = "crash"

var (
	cliBin      = flag.String("codepipeline", "bin/codepipeline", "the codepipeline CLI binary")
	providerDir = flag.String("provider-dir", "bin", "the directory of terraform-provider-codepipeline (for dev_overrides)")
	tfBin       = flag.String("terraform", "terraform", "the terraform binary")
	trials      = flag.Int("trials", 20, "kills per scenario")
	sizeMB      = flag.Int("size", 200, "store scenario: the artifact's size in MB")
	scenarios   = flag.String("scenarios", "cli,provider,store", "scenarios to run")
	timeout     = flag.Duration("timeout", 30*time.Minute, "bound on the whole matrix")
	keep        = flag.Bool("keep", false, "keep the state directories")
)

// counts are what a scenario found.
type counts struct {
	trials, midRun                                       int
	stateErrors, unreadable, stuck, filesLeft, procsLeft int
	leftBytes                                            int64
	notes                                                []string
}

func (c *counts) note(format string, args ...any) {
	if len(c.notes) < 10 {
		c.notes = append(c.notes, fmt.Sprintf(format, args...))
	}
}

func main() {
	flag.Parse()
	log.SetFlags(0)
	deadline := time.Now().Add(*timeout)
	for _, p := range []*string{cliBin, providerDir, tfBin} {
		if p == tfBin && !strings.Contains(*p, "/") {
			continue // looked up in PATH
		}
		if abs, err := filepath.Abs(*p); err == nil {
			*p = abs
		}
	}
	root, err := os.MkdirTemp("", "killmatrix-")
	if err != nil {
		log.Fatal(err)
	}
	if !*keep {
		defer os.RemoveAll(root)
	}
	results := map[string]*counts{}
	var order []string
	for _, sc := range strings.Split(*scenarios, ",") {
		sc = strings.TrimSpace(sc)
		dir := filepath.Join(root, sc, "state")
		m, err := newMatrix(sc, dir)
		if err != nil {
			log.Fatalf("%s: setting up: %v", sc, err)
		}
		c := &counts{}
		results[sc], order = c, append(order, sc)
		for i := range *trials {
			if time.Now().After(deadline) {
				c.note("stopped at trial %d: -timeout reached", i)
				break
			}
			if err := m.trial(i, c); err != nil {
				log.Fatalf("%s trial %d: %v", sc, i, err)
			}
			fmt.Fprintf(os.Stderr, "%s trial %d/%d done\n", sc, i+1, *trials)
		}
	}

	bad := false
	fmt.Printf("\n%-9s %6s %7s %12s %10s %6s %11s %12s %10s\n", "scenario", "trials", "mid-run", "state errors", "unreadable", "stuck", "files left", "bytes left", "procs left")
	for _, sc := range order {
		c := results[sc]
		fmt.Printf("%-9s %6d %7d %12d %10d %6d %11d %12d %10d\n", sc, c.trials, c.midRun, c.stateErrors, c.unreadable, c.stuck, c.filesLeft, c.leftBytes, c.procsLeft)
		for _, n := range c.notes {
			fmt.Printf("  %s: %s\n", sc, n)
		}
		if c.stateErrors+c.unreadable+c.stuck+c.filesLeft+c.procsLeft > 0 || c.trials < *trials {
			bad = true
		}
	}
	if bad {
		os.Exit(1)
	}
}

// matrix is one scenario over its state directory.
type matrix struct {
	scenario, dir, tfDir, tmp string
	cfg                       backend.Config
	runTime                   time.Duration // how long an undisturbed run takes, measured
}

func newMatrix(scenario, dir string) (*matrix, error) {
	base := filepath.Dir(dir)
	m := &matrix{scenario: scenario, dir: dir, tfDir: filepath.Join(base, "tf"), tmp: filepath.Join(base, "tmp"),
		cfg: backend.Config{Kind: backend.KindLocal, AccountID: backend.DefaultAccountID, Region: backend.DefaultRegion, StateDir: dir}}
	for _, d := range []string{m.tfDir, m.tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	if err := m.setup(); err != nil {
		return nil, err
	}
	// One undisturbed run measures the span in which kills land.
	start := time.Now()
	run, err := m.checkRun(m.size())
	if err != nil {
		return nil, err
	}
	if run.Status != backend.StatusSucceeded {
		return nil, fmt.Errorf("the calibration run %s: %s", run.Status, run.StatusReason)
	}
	m.runTime = time.Since(start)
	fmt.Fprintf(os.Stderr, "%s: an undisturbed run takes %s\n", scenario, m.runTime.Round(time.Millisecond))
	return m, nil
}

func (m *matrix) size() string {
	if m.scenario == "store" {
		return strconv.Itoa(*sizeMB) + "M"
	}
	return "4M"
}

// open opens the state directory as a new process would (no connection shared with an earlier
// open): the next process after a kill, whose open recovers what the dead one left.
func (m *matrix) open() (backend.Backend, backend.Runner, error) {
	b, err := backend.Open(context.Background(), m.cfg, backend.Unshared())
	if err != nil {
		return nil, nil, err
	}
	r, err := backend.RunsOf(b)
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	return b, r, nil
}

// setup makes the pipeline: an S3 source, a build writing an artifact of #{variables.size}, a
// test reading it, and a deploy.
func (m *matrix) setup() error {
	ctx := context.Background()
	a, _, err := m.open()
	if err != nil {
		return err
	}
	defer a.Close()
	for _, b := range []string{"crash-artifacts", "crash-source", "crash-deploy"} {
		if _, err := a.CreateBucket(ctx, backend.Bucket{Name: b, Versioning: true}); err != nil {
			return err
		}
	}
	var src bytes.Buffer
	zw := zip.NewWriter(&src)
	w, _ := zw.Create("index.html")
	_, _ = w.Write([]byte("hello"))
	if err := zw.Close(); err != nil {
		return err
	}
	if _, err := a.PutObject(ctx, "", "crash-source", "app.zip", bytes.NewReader(src.Bytes())); err != nil {
		return err
	}
	cmd := func(name string, lines ...string) pipeline.Action {
		return pipeline.Action{Name: name, Category: "Build", Owner: "AWS", Provider: "Commands", Version: "1",
			Configuration: map[string]string{"Commands": strings.Join(lines, "\n")}, InputArtifacts: []string{"src"}}
	}
	build := cmd("Make", "mkdir -p out", "head -c #{variables.size} /dev/urandom > out/blob.bin", "sleep 0.3")
	build.Configuration["OutputPaths"] = "out/**/*"
	build.OutputArtifacts = []string{"built"}
	test := cmd("Check", "ls -l out/blob.bin", "sleep 0.3")
	test.InputArtifacts = []string{"built"}
	p := &pipeline.Pipeline{
		Name: pipelineName, RoleARN: "arn:aws:iam::" + m.cfg.AccountID + ":role/pipeline", PipelineType: pipeline.PipelineTypeV2,
		ExecutionMode:  pipeline.ExecutionModeQueued,
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "crash-artifacts", Type: "S3"}},
		Variables:      []pipeline.Variable{{Name: "size", DefaultValue: "4M"}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{{Name: "Fetch", Category: "Source", Owner: "AWS", Provider: "S3", Version: "1",
				Configuration: map[string]string{"S3Bucket": "crash-source", "S3ObjectKey": "app.zip"}, OutputArtifacts: []string{"src"}}}},
			{Name: "Build", Actions: []pipeline.Action{build}},
			{Name: "Test", Actions: []pipeline.Action{test}},
			{Name: "Deploy", Actions: []pipeline.Action{{Name: "Ship", Category: "Deploy", Owner: "AWS", Provider: "S3", Version: "1",
				Configuration: map[string]string{"BucketName": "crash-deploy", "Extract": "true"}, InputArtifacts: []string{"built"}}}},
		},
	}
	_, err = a.CreatePipeline(ctx, p)
	return err
}

// checkRun starts a run and drives it here, bounded by a minute.
func (m *matrix) checkRun(size string) (*backend.Run, error) {
	b, a, err := m.open()
	if err != nil {
		return nil, err
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := a.StartRun(ctx, backend.RunRequest{Pipeline: pipelineName, Variables: map[string]string{"size": size}})
	if err != nil {
		return nil, err
	}
	return a.ExecuteRun(ctx, pipelineName, run.ID)
}

// trial starts a driver, kills it, and checks the state directory.
func (m *matrix) trial(i int, c *counts) error {
	c.trials++
	driver, err := m.startDriver(i)
	if err != nil {
		return err
	}
	defer func() { _ = driver.Process.Kill(); _, _ = driver.Process.Wait() }()
	pid, err := m.waitDriving(driver)
	if err != nil {
		return err
	}
	if m.scenario == "store" {
		if err := m.waitStoring(pid, driver); err != nil {
			return err
		}
	} else {
		// Within the first three quarters of an undisturbed run's time, which counts the
		// process's start too: later, the run may have ended (a kill then is not mid-run).
		time.Sleep(time.Duration(rand.Int64N(int64(m.runTime) * 3 / 4)))
	}
	if processAlive(pid) && m.inProgress() {
		c.midRun++
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	_ = driver.Process.Kill() // terraform, in the provider scenario
	_, _ = driver.Process.Wait()
	for deadline := time.Now().Add(10 * time.Second); processAlive(pid) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	m.check(c)
	return nil
}

// startDriver starts the process that drives a run for this trial.
func (m *matrix) startDriver(i int) (*exec.Cmd, error) {
	var cmd *exec.Cmd
	switch m.scenario {
	case "cli", "store":
		cmd = exec.Command(*cliBin, "start", "-state-dir", m.dir, "-var", "size="+m.size(), pipelineName)
		cmd.Env = append(os.Environ(), "TMPDIR="+m.tmp)
	case "provider":
		config := fmt.Sprintf(`terraform {
  required_providers {
    codepipeline = { source = "pipelinekit/codepipeline" }
  }
}

provider "codepipeline" {
  state_dir = %q
}

resource "codepipeline_run" "r" {
  pipeline  = %q
  triggers  = { trial = "%d" }
  variables = { size = "4M" }
}
`, m.dir, pipelineName, i)
		if err := os.WriteFile(filepath.Join(m.tfDir, "main.tf"), []byte(config), 0o600); err != nil {
			return nil, err
		}
		rc := filepath.Join(m.tfDir, "terraformrc")
		if err := os.WriteFile(rc, fmt.Appendf(nil, "provider_installation {\n  dev_overrides {\n    \"pipelinekit/codepipeline\" = %q\n  }\n  direct {}\n}\n", *providerDir), 0o600); err != nil {
			return nil, err
		}
		cmd = exec.Command(*tfBin, "apply", "-auto-approve", "-input=false", "-no-color")
		cmd.Dir = m.tfDir
		cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TMPDIR="+m.tmp)
	default:
		return nil, fmt.Errorf("unknown scenario %q", m.scenario)
	}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	// Its own process group: nothing aimed at the driver's processes reaches this one.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd, cmd.Start()
}

// db opens the state database read-only, for looking only.
func (m *matrix) db() (*sql.DB, error) {
	return sql.Open("sqlite", "file:"+filepath.Join(m.dir, "state.db")+"?mode=ro&_pragma=busy_timeout(10000)")
}

// waitDriving waits until a run is in progress with a live owner, and returns the owner's pid.
func (m *matrix) waitDriving(driver *exec.Cmd) (int, error) {
	db, err := m.db()
	if err != nil {
		return 0, err
	}
	defer db.Close()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		var owner string
		err := db.QueryRow(`SELECT owner FROM executions WHERE status = ? AND owner != '' ORDER BY seq DESC LIMIT 1`, backend.StatusInProgress).Scan(&owner)
		if err == nil {
			if parts := strings.Split(owner, ":"); len(parts) == 3 {
				if pid, err := strconv.Atoi(parts[1]); err == nil && pid > 1 && pid != os.Getpid() && processAlive(pid) {
					return pid, nil
				}
			}
		}
	}
	return 0, errors.New("no driver took a run within 2 minutes")
}

// waitStoring waits until a temporary object file holds at least a quarter of the artifact
// (only the driver pid stores one now): the store is under way.
func (m *matrix) waitStoring(pid int, driver *exec.Cmd) error {
	objects := filepath.Join(m.dir, "objects")
	want := int64(*sizeMB) << 20 / 4
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		entries, _ := os.ReadDir(objects)
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".tmp-") {
				continue
			}
			if fi, err := e.Info(); err == nil && fi.Size() >= want {
				return nil
			}
		}
		if !processAlive(pid) {
			return errors.New("the driver ended before storing")
		}
	}
	return errors.New("the driver did not store the artifact within 2 minutes")
}

func (m *matrix) inProgress() bool {
	db, err := m.db()
	if err != nil {
		return false
	}
	defer db.Close()
	var n int
	_ = db.QueryRow(`SELECT count(*) FROM executions WHERE status = ?`, backend.StatusInProgress).Scan(&n)
	return n > 0
}

// check opens the state directory as the next process would, and counts what is wrong.
func (m *matrix) check(c *counts) {
	ctx := context.Background()
	a, runner, err := m.open()
	if err != nil {
		c.stateErrors++
		c.note("open: %v", err)
		return
	}
	func() {
		defer a.Close()
		runs, err := runner.ListRuns(ctx, pipelineName, 0)
		if err != nil {
			c.stateErrors++
			c.note("list runs: %v", err)
			return
		}
		for _, r := range runs {
			if r.Status == backend.StatusInProgress || r.Status == backend.StatusStopping {
				c.stuck++
				c.note("run %s still %s after recovery", r.ID, r.Status)
			}
			for _, st := range r.Stages {
				for _, act := range st.Actions {
					for _, o := range act.Outputs {
						if err := readZip(ctx, a, o.Bucket, o.Key, o.VersionID); err != nil {
							c.unreadable++
							c.note("artifact %s of run %s: %v", o.Name, r.ID, err)
						}
					}
				}
			}
		}
		if err := readZip(ctx, a, "crash-source", "app.zip", ""); err != nil {
			c.unreadable++
			c.note("source object: %v", err)
		}
	}()
	if err := m.integrity(); err != nil {
		c.stateErrors++
		c.note("integrity: %v", err)
	}
	m.leftovers(c)
	// The stages are free: a new run goes through.
	run, err := m.checkRun("1K")
	switch {
	case err != nil:
		c.stuck++
		c.note("a new run: %v", err)
	case run.Status != backend.StatusSucceeded:
		c.stuck++
		c.note("a new run: %s (%s)", run.Status, run.StatusReason)
	}
}

func readZip(ctx context.Context, a backend.Backend, bucket, key, version string) error {
	body, _, err := a.GetObject(ctx, "", bucket, key, version)
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return err
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	return nil
}

func (m *matrix) integrity() error {
	db, err := m.db()
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return errors.New(res)
	}
	return nil
}

// leftovers counts what the killed run left: workspaces, temporary and unnamed object files,
// blob intents, and processes.
func (m *matrix) leftovers(c *counts) {
	left := func(what, path string, size int64) {
		c.filesLeft++
		c.leftBytes += size
		c.note("left: %s %s (%d bytes)", what, path, size)
	}
	// Workspaces: the work root (and work/ in the state directory, where versions before the
	// work root kept them) holds nothing once no run is in progress.
	for _, work := range []string{m.dir + ".work", filepath.Join(m.dir, "work")} {
		_ = filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
			if err == nil && p != work && !d.IsDir() {
				var size int64
				if fi, err := d.Info(); err == nil {
					size = fi.Size()
				}
				left("workspace file", p, size)
			}
			return nil
		})
	}
	db, err := m.db()
	if err != nil {
		c.stateErrors++
		return
	}
	defer db.Close()
	named := map[string]bool{}
	rows, err := db.Query(`SELECT blob_sha256 FROM object_versions WHERE blob_sha256 != ''`)
	if err == nil {
		for rows.Next() {
			var n string
			if rows.Scan(&n) == nil {
				named[n] = true
			}
		}
		rows.Close()
	}
	_ = filepath.WalkDir(filepath.Join(m.dir, "objects"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		fi, _ := d.Info()
		var size int64
		if fi != nil {
			size = fi.Size()
		}
		switch {
		case strings.HasPrefix(d.Name(), "."):
			left("temporary object file", p, size)
		case !named[d.Name()]:
			left("object file no version names", p, size)
		}
		return nil
	})
	var intents int
	if err := db.QueryRow(`SELECT count(*) FROM blob_intents`).Scan(&intents); err == nil && intents > 0 {
		c.filesLeft += intents
		c.note("left: %d blob intents", intents)
	}
	// The drivers' temporary directory: what this project's code puts there (go-plugin's
	// sockets of a killed provider are terraform's).
	for _, pattern := range []string{"buildspec-state-*", "sandbox-probe-*"} {
		if entries, err := filepath.Glob(filepath.Join(m.tmp, pattern)); err == nil && len(entries) > 0 {
			c.filesLeft += len(entries)
			c.note("left: %v", entries)
		}
	}
	// Processes of the run: their command lines name the state directory (a sandbox's first
	// process) or its work root.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		procs := processesNaming(m.dir)
		if len(procs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			c.procsLeft += len(procs)
			c.note("processes left: %v", procs)
			break
		}
	}
}

// processesNaming lists the live processes whose command line holds s.
func processesNaming(s string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(s)) && processAlive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// processAlive reports whether pid runs (a zombie does not).
func processAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}
