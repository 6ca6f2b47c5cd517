package pipeline

import (
	"strings"
	"testing"
)

const webhookTestSecret = "s3cr3t-t0ken-value"

// webhookWith returns a mutation that sets a webhook with the given authentication settings.
func webhookWith(auth, token, ipRange string) func(*Input) {
	return func(in *Input) {
		in.Webhook = &Webhook{
			Name: "app", Authentication: auth, SecretToken: token, AllowedIPRange: ipRange,
			Filters:        []WebhookFilter{{JSONPath: "$.ref", MatchEquals: "refs/heads/main"}},
			TargetPipeline: "app", TargetAction: "Checkout",
		}
	}
}

func TestRuleWebhookAuth(t *testing.T) {
	const (
		token   = "authentication_configuration[0].secret_token"
		ipRange = "authentication_configuration[0].allowed_ip_range"
	)
	runRuleCases(t, "webhook-auth", []ruleCase{
		{name: "no webhook passes"},
		{name: "GITHUB_HMAC with a token passes", mutate: webhookWith(WebhookAuthGitHubHMAC, webhookTestSecret, "")},
		{name: "GITHUB_HMAC without a token fails", mutate: webhookWith(WebhookAuthGitHubHMAC, "", ""),
			want: []got{errAt("webhook-auth", token)}},
		{name: "GITHUB_HMAC with a blank token fails", mutate: webhookWith(WebhookAuthGitHubHMAC, "  \t", ""),
			want: []got{errAt("webhook-auth", token)}},
		{name: "GITHUB_HMAC with an unknown token is skipped", mutate: webhookWith(WebhookAuthGitHubHMAC, Unknown, "")},
		{name: "IP with an IPv4 range passes", mutate: webhookWith(WebhookAuthIP, "", "192.0.2.0/24")},
		{name: "IP with an IPv6 range passes", mutate: webhookWith(WebhookAuthIP, "", "2001:db8::/32")},
		{name: "IP without a range fails", mutate: webhookWith(WebhookAuthIP, "", ""),
			want: []got{errAt("webhook-auth", ipRange)}},
		{name: "IP with a bare address fails", mutate: webhookWith(WebhookAuthIP, "", "192.0.2.1"),
			want: []got{errAt("webhook-auth", ipRange)}},
		{name: "IP with a bad prefix fails", mutate: webhookWith(WebhookAuthIP, "", "192.0.2.0/33"),
			want: []got{errAt("webhook-auth", ipRange)}},
		{name: "IP with an unknown range is skipped", mutate: webhookWith(WebhookAuthIP, "", Unknown)},
		{name: "explicit UNAUTHENTICATED passes", mutate: webhookWith(WebhookAuthUnauthenticated, "", "")},
		{name: "empty authentication fails", mutate: webhookWith("", "", ""),
			want: []got{errAt("webhook-auth", "authentication")}},
		{name: "other authentication fails", mutate: webhookWith("github_hmac", webhookTestSecret, ""),
			want: []got{errAt("webhook-auth", "authentication")}},
		{name: "unknown authentication is skipped", mutate: webhookWith(Unknown, "", "")},
	})
}

// TestRuleWebhookAuthNeverShowsSecret: whatever else is wrong, the token's value stays out of
// every message and fix, since diagnostics end up in CI logs.
func TestRuleWebhookAuthNeverShowsSecret(t *testing.T) {
	for _, auth := range []string{WebhookAuthGitHubHMAC, WebhookAuthIP, WebhookAuthUnauthenticated, "", "BASIC"} {
		in := Input{}
		webhookWith(auth, webhookTestSecret, "not-a-cidr")(&in)
		for _, f := range ValidateWith(in, Options{Only: []string{"webhook-auth"}}) {
			if strings.Contains(f.Detail(), webhookTestSecret) {
				t.Errorf("auth %q: finding shows the secret token: %s", auth, f.Detail())
			}
		}
	}
}
