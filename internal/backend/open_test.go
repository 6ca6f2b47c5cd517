package backend

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stubBackend offers the core capabilities only (their methods are not called here).
type stubBackend struct {
	Backend
	id Identity
}

func (s stubBackend) Identity() Identity { return s.id }

// runnerBackend offers runs besides.
type runnerBackend struct {
	stubBackend
	Runner
}

// withRegistry runs the test with only the given openers registered.
func withRegistry(t *testing.T, openers map[string]Opener) {
	t.Helper()
	registry.Lock()
	saved := registry.openers
	registry.openers = openers
	registry.Unlock()
	t.Cleanup(func() {
		registry.Lock()
		registry.openers = saved
		registry.Unlock()
	})
}

func TestOpenRefusesWhatThisBuildLacksInOnePlace(t *testing.T) {
	var opened []Config
	var gotOpts OpenOptions
	withRegistry(t, map[string]Opener{KindLocal: func(_ context.Context, cfg Config, o OpenOptions) (Backend, error) {
		opened, gotOpts = append(opened, cfg), o
		return stubBackend{id: Identity{Kind: cfg.Kind, AccountID: cfg.AccountID, Region: cfg.Region}}, nil
	}})
	ctx := context.Background()

	b, err := Open(ctx, Config{Kind: KindLocal, AccountID: "111111111111", Region: "us-east-1"}, Unshared())
	if err != nil || b.Identity().AccountID != "111111111111" || len(opened) != 1 || !gotOpts.Unshared {
		t.Fatalf("Open(local) = %v, %v; opener saw %v %+v", b, err, opened, gotOpts)
	}

	cases := map[string]string{KindAWS: "AWS Backend Not Available Yet", "gcp": "Unknown Backend"}
	for kind, summary := range cases {
		_, err := Open(ctx, Config{Kind: kind})
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Attribute != "backend" || ce.Summary != summary {
			t.Errorf("Open(%s) = %v, want a ConfigError %q on backend", kind, err, summary)
		}
		if avail := Available(kind); avail == nil || avail.Error() != err.Error() {
			t.Errorf("Available(%s) = %v, want what Open says: %v", kind, avail, err)
		}
	}
	if len(opened) != 1 {
		t.Errorf("an unavailable kind reached an opener: %v", opened)
	}
	if err := Available(KindLocal); err != nil {
		t.Errorf("Available(local) = %v", err)
	}
	if diff := cmp.Diff([]string{KindLocal}, Registered()); diff != "" {
		t.Errorf("Registered (-want +got):\n%s", diff)
	}
}

func TestRegisterRefusesDuplicatesAndUnknownKinds(t *testing.T) {
	withRegistry(t, map[string]Opener{})
	open := func(context.Context, Config, OpenOptions) (Backend, error) { return nil, nil }
	Register(KindLocal, open)
	for _, kind := range []string{KindLocal, "gcp"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%s) did not panic", kind)
				}
			}()
			Register(kind, open)
		}()
	}
}

func TestCapabilitiesAreFoundInOnePlaceAndTheirAbsenceNamed(t *testing.T) {
	core := stubBackend{id: Identity{Kind: KindAWS}}
	if got := Capabilities(core); len(got) != 0 {
		t.Errorf("Capabilities of a core-only backend = %v", got)
	}
	for _, c := range []struct {
		cap Capability
		get func(Backend) error
	}{
		{CapabilityRuns, func(b Backend) error { _, err := RunsOf(b); return err }},
		{CapabilityWebhooks, func(b Backend) error { _, err := WebhooksOf(b); return err }},
		{CapabilityTriggers, func(b Backend) error { _, err := TriggersOf(b); return err }},
	} {
		err := c.get(core)
		var ue *UnsupportedError
		if !errors.As(err, &ue) || !errors.Is(err, ErrUnsupported) || ue.Capability != c.cap || ue.Kind != KindAWS {
			t.Errorf("%s of a backend without it = %v, want an UnsupportedError", c.cap, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "the aws backend does not offer") || !strings.Contains(msg, `backend = "local"`) && c.cap != CapabilityTriggers {
			t.Errorf("%s: message %q does not name the backend and what to do", c.cap, msg)
		}
	}
	withRuns := runnerBackend{stubBackend: core}
	if _, err := RunsOf(withRuns); err != nil {
		t.Errorf("RunsOf a backend with runs: %v", err)
	}
	if diff := cmp.Diff([]Capability{CapabilityRuns}, Capabilities(withRuns)); diff != "" {
		t.Errorf("Capabilities (-want +got):\n%s", diff)
	}
}
