package buildspec

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// SecretResolver reads the values of secret environment variables: env.parameter-store and
// env.secrets-manager, and the action's PARAMETER_STORE and SECRETS_MANAGER environment
// variables. It is the one place a parameter or secret store plugs into builds; without one
// (Env.Secrets nil) a build that needs a secret fails before its first phase, naming it.
type SecretResolver interface {
	// Parameter returns the value of a Systems Manager parameter (decrypted when it is a
	// SecureString). name is the parameter's name or ARN.
	Parameter(ctx context.Context, name string) (string, error)
	// Secret returns the secret string of a Secrets Manager secret (id: name or ARN) in the
	// version with that stage or id; neither means the AWSCURRENT version.
	Secret(ctx context.Context, id, versionStage, versionID string) (string, error)
}

// SecretKind is where a secret environment variable's value comes from, in CodeBuild's
// EnvironmentVariable type names.
type SecretKind string

const (
	ParameterStore SecretKind = "PARAMETER_STORE"
	SecretsManager SecretKind = "SECRETS_MANAGER"
)

// SecretVar is an environment variable whose value a SecretResolver provides.
type SecretVar struct {
	Name string
	Kind SecretKind
	// Ref is the parameter name, or the secrets-manager reference
	// (secret-id:json-key:version-stage:version-id).
	Ref string
	// Origin says where the variable was declared, for messages: "env.parameter-store.X",
	// "the action's EnvironmentVariables".
	Origin string
}

// secretVars lists the secret variables a build resolves: the buildspec's, then the action's
// (which win), leaving out those a plain action variable overrides.
func secretVars(spec *Spec, env Env) []SecretVar {
	byName := map[string]SecretVar{}
	for name, param := range spec.ParameterStore {
		byName[name] = SecretVar{Name: name, Kind: ParameterStore, Ref: param, Origin: "env.parameter-store." + name}
	}
	for name, ref := range spec.SecretsManager {
		byName[name] = SecretVar{Name: name, Kind: SecretsManager, Ref: ref.String(), Origin: "env.secrets-manager." + name}
	}
	for name := range env.Vars {
		delete(byName, name)
	}
	for _, v := range env.SecretVars {
		if v.Origin == "" {
			v.Origin = "environment variable " + v.Name
		}
		byName[v.Name] = v
	}
	out := make([]SecretVar, 0, len(byName))
	for _, v := range byName {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// resolveSecrets reads every secret variable; all problems are reported together.
func resolveSecrets(ctx context.Context, r SecretResolver, vars []SecretVar) (map[string]string, error) {
	values := map[string]string{}
	var problems []string
	for _, v := range vars {
		if r == nil {
			what := "parameter " + v.Ref
			store := "parameter store (Systems Manager Parameter Store)"
			if v.Kind == SecretsManager {
				what, store = "secret "+v.Ref, "secret store (Secrets Manager)"
			}
			problems = append(problems, fmt.Sprintf("%s (%s): the local backend has no %s to read it from", v.Origin, what, store))
			continue
		}
		value, err := resolveSecret(ctx, r, v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", v.Origin, err))
			continue
		}
		values[v.Name] = value
	}
	if len(problems) > 0 {
		msg := strings.Join(problems, "; ")
		if r == nil {
			msg += ". Until it has one, pass such values as PLAINTEXT variables (env.variables, or the action's EnvironmentVariables)"
		}
		return nil, fmt.Errorf("buildspec: %s", msg)
	}
	return values, nil
}

func resolveSecret(ctx context.Context, r SecretResolver, v SecretVar) (string, error) {
	if v.Kind == ParameterStore {
		return r.Parameter(ctx, v.Ref)
	}
	ref, err := ParseSecretRef(v.Ref)
	if err != nil {
		return "", err
	}
	s, err := r.Secret(ctx, ref.SecretID, ref.VersionStage, ref.VersionID)
	if err != nil || ref.JSONKey == "" {
		return s, err
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		return "", fmt.Errorf("secret %s is not a JSON object, so it has no key %q", ref.SecretID, ref.JSONKey)
	}
	val, ok := doc[ref.JSONKey]
	if !ok {
		return "", fmt.Errorf("secret %s has no key %q", ref.SecretID, ref.JSONKey)
	}
	if str, ok := val.(string); ok {
		return str, nil
	}
	b, _ := json.Marshal(val)
	return string(b), nil
}

// mask is the text CodeBuild prints in place of a secret's value.
const mask = "***"

// masker writes through to w with every occurrence of a secret replaced by ***. It holds back
// the tail of what it was given that could be the start of a secret, until more output shows
// whether it is; Flush writes what is held back.
type masker struct {
	mu      sync.Mutex
	w       io.Writer
	secrets [][]byte // longest first, so that a secret containing another is masked whole
	pending []byte
}

func newMasker(w io.Writer, secrets []string) *masker {
	m := &masker{w: w}
	for _, s := range secrets {
		if s != "" {
			m.secrets = append(m.secrets, []byte(s))
		}
	}
	sort.Slice(m.secrets, func(i, j int) bool { return len(m.secrets[i]) > len(m.secrets[j]) })
	return m
}

func (m *masker) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending = append(m.pending, p...)
	var out []byte
	for len(m.pending) > 0 {
		at, secret := m.first()
		if secret == nil {
			keep := m.heldBack()
			out = append(out, m.pending[:len(m.pending)-keep]...)
			m.pending = append(m.pending[:0], m.pending[len(m.pending)-keep:]...)
			break
		}
		out = append(out, m.pending[:at]...)
		out = append(out, mask...)
		m.pending = m.pending[at+len(secret):]
	}
	if len(out) > 0 {
		if _, err := m.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// first finds the earliest secret in pending (the longest one at that place).
func (m *masker) first() (int, []byte) {
	at, found := -1, []byte(nil)
	for _, s := range m.secrets {
		if i := bytes.Index(m.pending, s); i >= 0 && (at < 0 || i < at) {
			at, found = i, s
		}
	}
	return at, found
}

// heldBack is the length of the longest tail of pending that begins some secret.
func (m *masker) heldBack() int {
	best := 0
	for _, s := range m.secrets {
		for n := min(len(s)-1, len(m.pending)); n > best; n-- {
			if bytes.HasSuffix(m.pending, s[:n]) {
				best = n
				break
			}
		}
	}
	return best
}

// Flush writes what is held back.
func (m *masker) Flush() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.pending) > 0 {
		_, _ = m.w.Write(m.pending)
		m.pending = m.pending[:0]
	}
}
