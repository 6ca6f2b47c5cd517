// Package tftest runs the real terraform binary in tests, offline: the AWS provider
// (hashicorp/aws) installed from a filesystem mirror, this provider from the module's own build
// through dev_overrides, and an identity service standing in for AWS STS so that the AWS
// provider's configuration checks and account lookups work without an AWS account.
//
// Tests that use it run under TF_ACC, as the repository's other acceptance tests do. Whatever
// they need and cannot find (terraform, the mirror) fails them with how to fix it; they never
// skip.
//
//	w := tftest.NewWorkdir(t, tftest.Options{Root: "testdata", Dir: "corpus/case", AWS: true})
//	plan := w.PlanJSON() // terraform init, plan -out, show -json
package tftest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// MirrorEnv names the filesystem mirror that holds the AWS provider: a directory with the
// layout registry.terraform.io/hashicorp/aws/VERSION/OS_ARCH/ (terraform's unpacked
// filesystem_mirror layout). When unset, the mirror is looked for (FindAWSMirror).
const MirrorEnv = "CODEPIPELINE_TF_PLUGIN_MIRROR"

// awsProviderPath is where the AWS provider sits in a mirror.
const awsProviderPath = "registry.terraform.io/hashicorp/aws"

// wellKnownMirrors are checked before the file system is searched: the image's location and
// the directories terraform itself searches for plugins.
func wellKnownMirrors() []string {
	dirs := []string{"/opt/tf-plugins", "/usr/local/share/terraform/plugins", "/usr/share/terraform/plugins"}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".terraform.d", "plugins"), filepath.Join(home, ".local", "share", "terraform", "plugins"))
	}
	return dirs
}

var mirror struct {
	once sync.Once
	dir  string
	err  error
}

// FindAWSMirror returns the filesystem mirror of the AWS provider: $CODEPIPELINE_TF_PLUGIN_MIRROR
// when set (it must hold the provider), else the first of the well-known plugin directories
// that does, else the first directory found by searching the root file system (the equivalent
// of `find / -xdev -path '*registry.terraform.io/hashicorp/aws*'`). The search runs once per
// process.
func FindAWSMirror() (string, error) {
	mirror.once.Do(func() { mirror.dir, mirror.err = findAWSMirror() })
	return mirror.dir, mirror.err
}

func findAWSMirror() (string, error) {
	if dir := os.Getenv(MirrorEnv); dir != "" {
		if !holdsAWSProvider(dir) {
			return "", fmt.Errorf("%s=%s does not hold %s/VERSION/OS_ARCH/", MirrorEnv, dir, awsProviderPath)
		}
		return dir, nil
	}
	for _, dir := range wellKnownMirrors() {
		if holdsAWSProvider(dir) {
			return dir, nil
		}
	}
	if dir, ok := searchRoot("/"); ok {
		return dir, nil
	}
	return "", fmt.Errorf("no filesystem mirror of the AWS provider found: set %s to a directory holding %s/VERSION/OS_ARCH/terraform-provider-aws_* "+
		"(for example, on a machine with network access: terraform providers mirror -platform=linux_amd64 DIR, in a configuration requiring hashicorp/aws)",
		MirrorEnv, awsProviderPath)
}

// holdsAWSProvider reports whether dir has at least one version of the AWS provider for this
// platform.
func holdsAWSProvider(dir string) bool {
	matches, _ := filepath.Glob(filepath.Join(dir, filepath.FromSlash(awsProviderPath), "*", platform(), "terraform-provider-aws_*"))
	return len(matches) > 0
}

// searchRoot walks the file system under root, on root's device only, for a directory that
// holds the AWS provider. Pseudo file systems and the Go module cache are not searched.
func searchRoot(root string) (string, bool) {
	var rootStat *syscall.Stat_t
	if st, err := os.Stat(root); err == nil {
		rootStat, _ = st.Sys().(*syscall.Stat_t)
	}
	skip := map[string]bool{"/proc": true, "/sys": true, "/dev": true, "/run": true}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		skip[strings.TrimSpace(string(out))] = true
	}
	found := ""
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if skip[path] {
			return filepath.SkipDir
		}
		if info, err := d.Info(); err == nil {
			if s, ok := info.Sys().(*syscall.Stat_t); ok && rootStat != nil && s.Dev != rootStat.Dev {
				return filepath.SkipDir // another file system, as find -xdev
			}
		}
		if d.Name() == "registry.terraform.io" {
			if parent := filepath.Dir(path); holdsAWSProvider(parent) {
				found = parent
				return errFound
			}
			return filepath.SkipDir
		}
		return nil
	})
	return found, found != ""
}

var errFound = errors.New("found")

// AWSMirror is FindAWSMirror for tests: it fails the test, saying how to fix it, when there is
// no mirror.
func AWSMirror(t testing.TB) string {
	t.Helper()
	dir, err := FindAWSMirror()
	if err != nil {
		t.Fatalf("the AWS provider is needed offline for this test: %v", err)
	}
	return dir
}

// Terraform returns the terraform binary: TF_ACC_TERRAFORM_PATH, else terraform on PATH.
func Terraform(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatal("no terraform: set TF_ACC_TERRAFORM_PATH or put terraform on PATH (make test finds or builds one)")
	}
	return p
}
