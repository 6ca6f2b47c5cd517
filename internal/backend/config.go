package backend

// The resolved configuration of one provider block (which backend, which account and region it
// acts as, where local state lives), independent of Terraform. Resolve checks what can be
// checked without a backend; whether the kind is available is Open's to say (Available).

import (
	"fmt"
	"path/filepath"
	"regexp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
)

// Kinds of backend.
const (
	KindLocal = "local"
	KindAWS   = "aws"
)

// Kinds lists the accepted backend kinds; it drives the schema validator and its docs.
var Kinds = []string{KindLocal, KindAWS}

// Defaults applied when the provider configuration leaves a value unset.
const (
	DefaultAccountID = "111111111111"
	DefaultRegion    = "us-east-1"
	DefaultStateDir  = ".codepipeline"
	// StateDirEnv names the environment variable that sets the state directory when the
	// provider configuration does not.
	StateDirEnv = "CODEPIPELINE_STATE_DIR"
)

var (
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$`)
)

// AccountIDPattern and RegionPattern are exported for the schema validators.
func AccountIDPattern() *regexp.Regexp { return accountIDPattern }

// RegionPattern matches an AWS region name such as us-east-1.
func RegionPattern() *regexp.Regexp { return regionPattern }

// Config is one provider configuration, resolved: defaults applied, paths absolute.
type Config struct {
	Kind      string
	AccountID string
	Region    string
	StateDir  string // local backend only; absolute
	// RepositoriesDir holds the git repositories local git sources read, FunctionsDir the
	// handler commands of local Invoke/Lambda actions; absolute ("" = under StateDir).
	RepositoriesDir string
	FunctionsDir    string
	AWS             AWSConfig
}

// Partition is the partition of the configuration's region.
func (c Config) Partition() arn.Partition { return arn.PartitionOf(c.Region) }

// AWSConfig is the `aws` block, reserved for the AWS backend.
type AWSConfig struct {
	Profile    string
	AssumeRole *AssumeRole
	Endpoints  map[string]string // service name (s3, kms, iam, sts, codepipeline) → URL
}

// AssumeRole is the role the AWS backend assumes before acting.
type AssumeRole struct {
	RoleARN     string
	SessionName string
	ExternalID  string
}

// Setting is a configured value: Set is false when the user left it out.
type Setting struct {
	Value string
	Set   bool
}

// Settings are the raw values of a provider block.
type Settings struct {
	Backend, AccountID, Region, StateDir Setting
	RepositoriesDir, FunctionsDir        Setting
	AWS                                  AWSConfig
}

// ConfigError is a configuration problem tied to one attribute of the provider block.
type ConfigError struct {
	Attribute string
	Summary   string
	Detail    string
	Err       error // the cause, when there is one
}

func (e *ConfigError) Error() string { return e.Attribute + ": " + e.Summary + ": " + e.Detail }

func (e *ConfigError) Unwrap() error { return e.Err }

// Resolve applies defaults and the environment to s (getenv is os.Getenv outside tests) and
// checks what can be checked without touching any backend. A known kind that this build does
// not include is refused by Open (see Available), not here.
func Resolve(s Settings, getenv func(string) string) (Config, error) {
	cfg := Config{
		Kind:      orDefault(s.Backend, KindLocal),
		AccountID: orDefault(s.AccountID, DefaultAccountID),
		Region:    orDefault(s.Region, DefaultRegion),
		AWS:       s.AWS,
	}
	if !knownKind(cfg.Kind) {
		return Config{}, &ConfigError{
			Attribute: "backend",
			Summary:   "Unknown Backend",
			Detail:    fmt.Sprintf("backend %q is not one of %q.\n\nFix: set backend to \"local\" (the default) or \"aws\".", cfg.Kind, Kinds),
		}
	}
	if !accountIDPattern.MatchString(cfg.AccountID) {
		return Config{}, &ConfigError{Attribute: "account_id", Summary: "Invalid Account ID",
			Detail: fmt.Sprintf("account_id %q is not a 12-digit AWS account id.\n\nFix: use 12 digits, for example %q.", cfg.AccountID, DefaultAccountID)}
	}
	if !regionPattern.MatchString(cfg.Region) {
		return Config{}, &ConfigError{Attribute: "region", Summary: "Invalid Region",
			Detail: fmt.Sprintf("region %q is not an AWS region name.\n\nFix: use a region such as %q.", cfg.Region, DefaultRegion)}
	}
	dir := s.StateDir.Value
	if !s.StateDir.Set || dir == "" {
		dir = getenv(StateDirEnv)
	}
	if dir == "" {
		dir = DefaultStateDir
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Config{}, &ConfigError{Attribute: "state_dir", Summary: "Invalid State Directory",
			Detail: fmt.Sprintf("state_dir %q cannot be made absolute: %v.\n\nFix: give an absolute path.", dir, err)}
	}
	cfg.StateDir = abs
	for _, d := range []struct {
		attr string
		in   Setting
		out  *string
	}{{"repositories_dir", s.RepositoriesDir, &cfg.RepositoriesDir}, {"functions_dir", s.FunctionsDir, &cfg.FunctionsDir}} {
		if !d.in.Set || d.in.Value == "" {
			continue
		}
		abs, err := filepath.Abs(d.in.Value)
		if err != nil {
			return Config{}, &ConfigError{Attribute: d.attr, Summary: "Invalid Directory",
				Detail: fmt.Sprintf("%s %q cannot be made absolute: %v.\n\nFix: give an absolute path.", d.attr, d.in.Value, err)}
		}
		*d.out = abs
	}
	return cfg, nil
}

func orDefault(s Setting, def string) string {
	if !s.Set || s.Value == "" {
		return def
	}
	return s.Value
}
