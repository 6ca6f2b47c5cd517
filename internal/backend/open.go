package backend

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Opener opens a backend of one kind acting as cfg's account and region.
type Opener func(ctx context.Context, cfg Config, opts OpenOptions) (Backend, error)

// OpenOptions tune Open for the rare caller that needs more than a configuration.
type OpenOptions struct {
	// Unshared asks for a backend value that shares no connection with others of this
	// process, as another process would have (tests of concurrent processes). By default a
	// kind may share one connection per state between the values it opens.
	Unshared bool
	// ExistingOnly refuses to create what the configuration names when it does not exist yet
	// (the local backend's state directory) with a NoStateError: a caller that only reads, or
	// acts on what must be there already, never leaves an empty state behind.
	ExistingOnly bool
}

// OpenOption sets an OpenOptions field.
type OpenOption func(*OpenOptions)

// Unshared is OpenOptions.Unshared.
func Unshared() OpenOption { return func(o *OpenOptions) { o.Unshared = true } }

// ExistingOnly is OpenOptions.ExistingOnly.
func ExistingOnly() OpenOption { return func(o *OpenOptions) { o.ExistingOnly = true } }

// NoStateError says that the state a configuration names does not exist, for a caller that
// opened it with ExistingOnly. errors.Is(err, ErrNotFound) holds.
type NoStateError struct {
	Kind string
	Dir  string // the local backend's state directory
}

func (e *NoStateError) Error() string {
	return fmt.Sprintf("no %s state directory at %s", e.Kind, e.Dir)
}

func (e *NoStateError) Unwrap() error { return ErrNotFound }

var registry = struct {
	sync.RWMutex
	openers map[string]Opener
}{openers: map[string]Opener{}}

// Register makes a backend kind available to Open; the kind's wiring calls it from an init
// function. Registering a kind twice, or a kind not in Kinds, is a programming error.
func Register(kind string, open Opener) {
	registry.Lock()
	defer registry.Unlock()
	if !knownKind(kind) {
		panic("backend: Register of unknown kind " + kind)
	}
	if _, dup := registry.openers[kind]; dup {
		panic("backend: kind " + kind + " registered twice")
	}
	registry.openers[kind] = open
}

// Registered lists the kinds Open can open, sorted.
func Registered() []string {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]string, 0, len(registry.openers))
	for k := range registry.openers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Available reports, as the ConfigError a provider shows on its backend attribute, why kind
// cannot be opened; nil when it can. It is the one place a kind is refused: Open calls it,
// and the provider calls it at plan time.
func Available(kind string) error {
	registry.RLock()
	_, ok := registry.openers[kind]
	registry.RUnlock()
	switch {
	case ok:
		return nil
	case kind == KindAWS:
		return &ConfigError{
			Attribute: "backend",
			Summary:   "AWS Backend Not Available Yet",
			Detail: `backend = "aws" is reserved for the AWS backend, which this version of the provider does not include. ` +
				`Nothing falls back to the local backend silently.` + "\n\nFix: remove the backend argument (or set it to \"local\") to use the embedded local backend.",
		}
	case knownKind(kind):
		return &ConfigError{Attribute: "backend", Summary: "Backend Not Available",
			Detail: fmt.Sprintf("backend %q is not part of this build (it has %q).\n\nFix: set backend to one of those.", kind, Registered())}
	}
	return &ConfigError{Attribute: "backend", Summary: "Unknown Backend",
		Detail: fmt.Sprintf("backend %q is not one of %q.\n\nFix: set backend to \"local\" (the default) or \"aws\".", kind, Kinds)}
}

// Open opens the backend cfg names, acting as cfg's account and region. Close the result
// when done with it.
func Open(ctx context.Context, cfg Config, opts ...OpenOption) (Backend, error) {
	if err := Available(cfg.Kind); err != nil {
		return nil, err
	}
	registry.RLock()
	open := registry.openers[cfg.Kind]
	registry.RUnlock()
	var o OpenOptions
	for _, opt := range opts {
		opt(&o)
	}
	return open(ctx, cfg, o)
}

func knownKind(kind string) bool {
	for _, k := range Kinds {
		if k == kind {
			return true
		}
	}
	return false
}
