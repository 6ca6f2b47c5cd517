package backend

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolve(t *testing.T) {
	cwd, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	set := func(v string) Setting { return Setting{Value: v, Set: true} }
	noEnv := func(string) string { return "" }
	envDir := func(k string) string {
		if k == StateDirEnv {
			return "/var/lib/cloud"
		}
		return ""
	}
	cases := []struct {
		name    string
		in      Settings
		getenv  func(string) string
		want    Config
		wantErr string // attribute of the ConfigError
	}{
		{name: "defaults", getenv: noEnv, want: Config{Kind: KindLocal, AccountID: DefaultAccountID, Region: DefaultRegion, StateDir: filepath.Join(cwd, DefaultStateDir)}},
		{name: "environment sets the state dir", getenv: envDir, want: Config{Kind: KindLocal, AccountID: DefaultAccountID, Region: DefaultRegion, StateDir: "/var/lib/cloud"}},
		{name: "configuration wins over the environment", getenv: envDir, in: Settings{StateDir: set("/srv/x"), AccountID: set("222222222222"), Region: set("eu-west-1")},
			want: Config{Kind: KindLocal, AccountID: "222222222222", Region: "eu-west-1", StateDir: "/srv/x"}},
		{name: "relative state dir made absolute", getenv: noEnv, in: Settings{StateDir: set("state")},
			want: Config{Kind: KindLocal, AccountID: DefaultAccountID, Region: DefaultRegion, StateDir: filepath.Join(cwd, "state")}},
		// A known kind resolves; whether this build includes it is Open's to say (open_test.go).
		{name: "aws backend resolves", getenv: noEnv, in: Settings{Backend: set(KindAWS)},
			want: Config{Kind: KindAWS, AccountID: DefaultAccountID, Region: DefaultRegion, StateDir: filepath.Join(cwd, DefaultStateDir)}},
		{name: "unknown backend", getenv: noEnv, in: Settings{Backend: set("gcp")}, wantErr: "backend"},
		{name: "bad account", getenv: noEnv, in: Settings{AccountID: set("12345678901")}, wantErr: "account_id"},
		{name: "bad region", getenv: noEnv, in: Settings{Region: set("useast1")}, wantErr: "region"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve(tc.in, tc.getenv)
			if tc.wantErr != "" {
				var ce *ConfigError
				if !errors.As(err, &ce) || ce.Attribute != tc.wantErr {
					t.Fatalf("Resolve error = %v, want a ConfigError on %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Resolve (-want +got):\n%s", diff)
			}
		})
	}
}
