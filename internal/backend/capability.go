package backend

import "fmt"

// Capability is something a backend may lack. Every Backend offers stores, objects, keys,
// roles, pipelines and facts; these are the optional rest, found with RunsOf, WebhooksOf,
// TriggersOf and CloudOf, the one place a capability is looked for.
type Capability string

// The optional capabilities.
const (
	CapabilityRuns     Capability = "runs"
	CapabilityWebhooks Capability = "webhooks"
	CapabilityTriggers Capability = "triggers"
	CapabilityCloud    Capability = "cloud"
	// CapabilityActionLogs is reading what an action printed (ActionLogs).
	CapabilityActionLogs Capability = "action-logs"
	CapabilitySecrets    Capability = "secrets"
)

// capabilityHelp says what a capability is and what to do where a backend lacks it.
var capabilityHelp = map[Capability]struct{ what, instead string }{
	CapabilityRuns: {"running pipelines (codepipeline_run, `codepipeline start` and `runs`)",
		"start runs with the tools of that backend, or use backend = \"local\""},
	CapabilityWebhooks: {"webhooks, which the local backend's daemon (`codepipeline serve`) serves",
		"define the webhook with the tools of that backend (for AWS, the AWS provider's aws_codepipeline_webhook), or use backend = \"local\""},
	CapabilityTriggers: {"the trigger daemon's view of every account of a state directory (`codepipeline serve`)",
		"on AWS, CodePipeline itself watches sources and serves webhooks: no daemon is needed"},
	CapabilityActionLogs: {"the output of actions (`codepipeline runs logs`)",
		"read it where the action ran: the action's external execution URL (a CodeBuild build's logs in CloudWatch Logs) is in `codepipeline runs show` and the run's results"},
	CapabilityCloud: {"serving the AWS APIs (`codepipeline serve -aws-listen`, `codepipeline credentials`): acting as any account, with its access keys and policies",
		"point AWS tools at AWS itself, or serve a local state directory"},
	CapabilitySecrets: {"a parameter and secret store for builds (`codepipeline parameters`, `codepipeline secrets`)",
		"store parameters and secrets with that backend's own tools (on AWS, Systems Manager Parameter Store and Secrets Manager)"},
}

// UnsupportedError says that a backend kind lacks a capability, and what to do instead.
type UnsupportedError struct {
	Kind       string
	Capability Capability
}

func (e *UnsupportedError) Error() string {
	h := capabilityHelp[e.Capability]
	return fmt.Sprintf("the %s backend does not offer %s; %s", e.Kind, h.what, h.instead)
}

func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

// Capabilities lists the optional capabilities b offers.
func Capabilities(b Backend) []Capability {
	var out []Capability
	if _, ok := b.(Runner); ok {
		out = append(out, CapabilityRuns)
	}
	if _, ok := b.(Webhooks); ok {
		out = append(out, CapabilityWebhooks)
	}
	if _, ok := b.(Triggers); ok {
		out = append(out, CapabilityTriggers)
	}
	if _, ok := b.(Cloud); ok {
		out = append(out, CapabilityCloud)
	}
	if _, ok := b.(ActionLogs); ok {
		out = append(out, CapabilityActionLogs)
	}
	if _, ok := b.(Secrets); ok {
		out = append(out, CapabilitySecrets)
	}
	return out
}

// Has reports whether b offers capability c.
func Has(b Backend, c Capability) bool {
	for _, got := range Capabilities(b) {
		if got == c {
			return true
		}
	}
	return false
}

// ActionLogsOf returns b's action logs, or an UnsupportedError when b keeps none.
func ActionLogsOf(b Backend) (ActionLogs, error) {
	if l, ok := b.(ActionLogs); ok {
		return l, nil
	}
	return nil, &UnsupportedError{Kind: b.Identity().Kind, Capability: CapabilityActionLogs}
}

// RunsOf returns b's runs, or an UnsupportedError when b cannot run pipelines.
func RunsOf(b Backend) (Runner, error) {
	if r, ok := b.(Runner); ok {
		return r, nil
	}
	return nil, &UnsupportedError{Kind: b.Identity().Kind, Capability: CapabilityRuns}
}

// WebhooksOf returns b's webhooks, or an UnsupportedError when b has none.
func WebhooksOf(b Backend) (Webhooks, error) {
	if w, ok := b.(Webhooks); ok {
		return w, nil
	}
	return nil, &UnsupportedError{Kind: b.Identity().Kind, Capability: CapabilityWebhooks}
}

// TriggersOf returns b's partition-wide view for the trigger daemon, or an UnsupportedError.
func TriggersOf(b Backend) (Triggers, error) {
	if t, ok := b.(Triggers); ok {
		return t, nil
	}
	return nil, &UnsupportedError{Kind: b.Identity().Kind, Capability: CapabilityTriggers}
}

// Warnings lists what opening b changed that its user should know (the local backend making a
// state directory private); nil for a backend that has nothing to say.
func Warnings(b Backend) []string {
	if w, ok := b.(interface{ Warnings() []string }); ok {
		return w.Warnings()
	}
	return nil
}

// CloudOf returns b as a cloud the AWS endpoint can serve, or an UnsupportedError.
func CloudOf(b Backend) (Cloud, error) {
	if c, ok := b.(Cloud); ok {
		return c, nil
	}
	return nil, &UnsupportedError{Kind: b.Identity().Kind, Capability: CapabilityCloud}
}

// SecretsOf returns b's parameter and secret store, or an UnsupportedError.
func SecretsOf(b Backend) (Secrets, error) {
	if s, ok := b.(Secrets); ok {
		return s, nil
	}
	return nil, &UnsupportedError{Kind: b.Identity().Kind, Capability: CapabilitySecrets}
}
