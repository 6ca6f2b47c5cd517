package tftest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Options say what a Workdir is a copy of and which providers it uses.
type Options struct {
	// Root is copied whole (without .terraform directories), so that module sources such as
	// "../modules/x" resolve in the copy as they do in the original.
	Root string
	// Dir is the configuration to run terraform in, relative to Root ("" for Root itself).
	Dir string
	// AWS installs hashicorp/aws from the filesystem mirror and configures every provider
	// "aws" block of the configuration to work offline (see Workdir).
	AWS bool
	// DevOverrides maps provider source addresses to directories holding their binaries, as
	// a CLI configuration's dev_overrides do (this provider, built by the test).
	DevOverrides map[string]string
	// Env is added to the environment of terraform.
	Env []string
}

// Workdir is a copy of a configuration that terraform runs in, offline. With Options.AWS, an
// override file (zz_tftest_override.tf) gives every provider "aws" block of the root module
// static credentials of the account it acts as (its only allowed_account_ids entry, else
// 111111111111), the endpoint of an IdentityService for STS, and skip_metadata_api_check and
// skip_credentials_validation, so that plans of aws_* resources need no AWS account while the
// configuration's own region, allowed_account_ids and assume_role settings keep working.
type Workdir struct {
	t         testing.TB
	terraform string
	// Dir is the directory terraform runs in.
	Dir  string
	env  []string
	opts Options
	init sync.Once
}

// NewWorkdir copies opts.Root into a temporary directory and prepares the CLI configuration.
func NewWorkdir(t testing.TB, opts Options) *Workdir {
	t.Helper()
	w := &Workdir{t: t, terraform: Terraform(t), opts: opts}
	copyRoot := t.TempDir()
	if err := copyTree(opts.Root, copyRoot); err != nil {
		t.Fatalf("copy %s: %v", opts.Root, err)
	}
	w.Dir = filepath.Join(copyRoot, filepath.FromSlash(opts.Dir))
	rc := CLIConfig{DevOverrides: opts.DevOverrides}
	if opts.AWS {
		rc.Mirror = AWSMirror(t)
		ids := StartIdentityService(t)
		if err := writeAWSOverrides(w.Dir, ids.URL); err != nil {
			t.Fatalf("offline AWS provider configuration for %s: %v", w.Dir, err)
		}
	}
	rcPath := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(rcPath, []byte(rc.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	w.env = append(cleanEnv(), "TF_CLI_CONFIG_FILE="+rcPath, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "AWS_EC2_METADATA_DISABLED=true")
	w.env = append(w.env, opts.Env...)
	return w
}

// cleanEnv is the environment without the settings that would make the AWS provider look
// for real credentials or endpoints.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") || name == "TF_CLI_CONFIG_FILE" || name == "TF_DATA_DIR" || strings.HasPrefix(name, "TF_VAR_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// CLIConfig is a terraform CLI configuration: provider installation from a filesystem mirror
// (the AWS provider only) and development overrides.
type CLIConfig struct {
	Mirror       string            // a filesystem mirror holding hashicorp/aws, "" for none
	DevOverrides map[string]string // provider source → directory of its binary
}

func (c CLIConfig) String() string {
	var b strings.Builder
	b.WriteString("provider_installation {\n")
	if len(c.DevOverrides) > 0 {
		b.WriteString("  dev_overrides {\n")
		keys := make([]string, 0, len(c.DevOverrides))
		for k := range c.DevOverrides {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "    %q = %q\n", k, c.DevOverrides[k])
		}
		b.WriteString("  }\n")
	}
	if c.Mirror != "" {
		fmt.Fprintf(&b, "  filesystem_mirror {\n    path    = %q\n    include = [%q]\n  }\n", c.Mirror, awsProviderPath)
	}
	b.WriteString("}\n")
	return b.String()
}

// Run runs terraform with args in the working directory and returns its standard output and
// error; err is not nil when it fails.
func (w *Workdir) Run(args ...string) (stdout, stderr []byte, err error) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(w.t.Context(), w.terraform, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = w.Dir, w.env, &out, &errOut
	err = cmd.Run()
	return out.Bytes(), errOut.Bytes(), err
}

// MustRun is Run that fails the test when terraform fails.
func (w *Workdir) MustRun(args ...string) []byte {
	w.t.Helper()
	out, errOut, err := w.Run(args...)
	if err != nil {
		w.t.Fatalf("terraform %s in %s: %v\n%s%s", strings.Join(args, " "), w.Dir, err, out, errOut)
	}
	return out
}

// Init installs the providers and modules: the AWS provider from the mirror (hashed once per
// process, then linked into each working directory) and the configuration's modules.
func (w *Workdir) Init() {
	w.t.Helper()
	w.init.Do(func() {
		if w.opts.AWS {
			inst := awsInstallation(w.t, w.terraform, w.env)
			lock := filepath.Join(w.Dir, ".terraform.lock.hcl")
			if _, err := os.Stat(lock); errors.Is(err, fs.ErrNotExist) {
				if err := os.WriteFile(lock, inst.lock, 0o600); err != nil {
					w.t.Fatal(err)
				}
			}
			link := filepath.Join(w.Dir, ".terraform", "providers", filepath.FromSlash(awsProviderPath), inst.version, platform())
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				w.t.Fatal(err)
			}
			if err := os.Symlink(inst.dir, link); err != nil {
				w.t.Fatal(err)
			}
		}
		w.MustRun("get")
	})
}

// PlanJSON initializes the directory, runs terraform plan -out and returns terraform show
// -json of the plan.
func (w *Workdir) PlanJSON(planArgs ...string) []byte {
	w.t.Helper()
	w.Init()
	w.MustRun(append([]string{"plan", "-input=false", "-lock=false", "-out=tftest.tfplan"}, planArgs...)...)
	return w.MustRun("show", "-json", "tftest.tfplan")
}

// installation is the AWS provider as terraform init installs it from the mirror: the lock
// file entry (with the package hash, which takes seconds to compute for a binary of hundreds
// of megabytes) and the version directory a working directory links to.
type installation struct {
	lock    []byte
	version string
	dir     string
}

var awsInstall struct {
	once sync.Once
	inst installation
	err  error
}

func awsInstallation(t testing.TB, terraform string, env []string) installation {
	t.Helper()
	awsInstall.once.Do(func() { awsInstall.inst, awsInstall.err = installAWS(terraform, env) })
	if awsInstall.err != nil {
		t.Fatalf("terraform init with the AWS provider from the filesystem mirror: %v", awsInstall.err)
	}
	return awsInstall.inst
}

var lockVersion = regexp.MustCompile(`(?m)^\s*version\s*=\s*"([^"]+)"`)

func installAWS(terraform string, env []string) (installation, error) {
	dir, err := os.MkdirTemp("", "tftest-aws-")
	if err != nil {
		return installation{}, err
	}
	defer os.RemoveAll(dir)
	cfg := "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\" }\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(cfg), 0o600); err != nil {
		return installation{}, err
	}
	cmd := exec.Command(terraform, "init", "-input=false", "-backend=false")
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		return installation{}, fmt.Errorf("%w\n%s", err, out)
	}
	lock, err := os.ReadFile(filepath.Join(dir, ".terraform.lock.hcl"))
	if err != nil {
		return installation{}, err
	}
	m := lockVersion.FindSubmatch(lock)
	if m == nil {
		return installation{}, fmt.Errorf("no version in the lock file:\n%s", lock)
	}
	version := string(m[1])
	target, err := filepath.EvalSymlinks(filepath.Join(dir, ".terraform", "providers", filepath.FromSlash(awsProviderPath), version, platform()))
	if err != nil {
		return installation{}, err
	}
	return installation{lock: lock, version: version, dir: target}, nil
}

// copyTree copies the regular files and directories of src into dst, leaving out terraform's
// working data.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir() && (d.Name() == ".terraform"):
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o600)
	})
}

// defaultAccount is the account of a provider "aws" block that does not name one.
const defaultAccount = "111111111111"

// awsBlock is what the override needs to know of one provider "aws" block of the root module.
type awsBlock struct {
	alias   string
	account string
}

// writeAWSOverrides writes zz_tftest_override.tf for the provider "aws" blocks of the root
// module in dir, and a default provider "aws" block when there is none.
func writeAWSOverrides(dir, stsURL string) error {
	blocks, hasDefault, err := awsProviderBlocks(dir)
	if err != nil {
		return err
	}
	settings := func(b awsBlock) string {
		var s strings.Builder
		if b.alias != "" {
			fmt.Fprintf(&s, "  alias                       = %q\n", b.alias)
		}
		fmt.Fprintf(&s, "  access_key                  = %q\n", AccessKeyFor(b.account))
		s.WriteString("  secret_key                  = \"tftest-secret\"\n")
		s.WriteString("  skip_credentials_validation = true\n")
		s.WriteString("  skip_metadata_api_check     = true\n")
		fmt.Fprintf(&s, "  endpoints {\n    sts = %q\n  }\n", stsURL)
		return s.String()
	}
	var override strings.Builder
	override.WriteString("# Written by internal/tftest: the offline settings of the AWS provider.\n")
	for _, b := range blocks {
		fmt.Fprintf(&override, "provider \"aws\" {\n%s}\n", settings(b))
	}
	if len(blocks) > 0 {
		if err := os.WriteFile(filepath.Join(dir, "zz_tftest_override.tf"), []byte(override.String()), 0o600); err != nil {
			return err
		}
	}
	if !hasDefault {
		def := fmt.Sprintf("# Written by internal/tftest: the configuration has no default provider \"aws\" block.\nprovider \"aws\" {\n  region                      = \"us-east-1\"\n%s}\n", settings(awsBlock{account: defaultAccount}))
		return os.WriteFile(filepath.Join(dir, "zz_tftest_provider.tf"), []byte(def), 0o600)
	}
	return nil
}

// awsProviderBlocks reads the provider "aws" blocks of the .tf files of dir.
func awsProviderBlocks(dir string) ([]awsBlock, bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, false, err
	}
	parser := hclparse.NewParser()
	var out []awsBlock
	hasDefault := false
	for _, f := range files {
		if strings.HasSuffix(f, "_override.tf") {
			continue
		}
		file, diags := parser.ParseHCLFile(f)
		if diags.HasErrors() {
			return nil, false, diags
		}
		body, ok := file.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, blk := range body.Blocks {
			if blk.Type != "provider" || len(blk.Labels) != 1 || blk.Labels[0] != "aws" {
				continue
			}
			b := awsBlock{alias: constString(blk.Body.Attributes["alias"]), account: defaultAccount}
			if a := blk.Body.Attributes["allowed_account_ids"]; a != nil {
				if v, d := a.Expr.Value(nil); !d.HasErrors() && v.IsWhollyKnown() && v.CanIterateElements() && v.LengthInt() > 0 {
					first := v.AsValueSlice()[0]
					if first.Type() == cty.String {
						b.account = first.AsString()
					}
				}
			}
			hasDefault = hasDefault || b.alias == ""
			out = append(out, b)
		}
	}
	return out, hasDefault, nil
}

func constString(a *hclsyntax.Attribute) string {
	if a == nil {
		return ""
	}
	v, d := a.Expr.Value(&hcl.EvalContext{})
	if d.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}
