package pipeline

import (
	"net"
	"strings"
)

var _ = register(&Rule{
	ID: "webhook-auth", Severity: SeverityError, Where: AtPlan | AtApply,
	Title: "Webhook Authentication Must Be Complete",
	Doc:   "A webhook chooses its authentication explicitly: GITHUB_HMAC with a secret token, IP with an allowed CIDR range, or UNAUTHENTICATED.",
	Check: func(p *Pass) {
		w := p.Webhook
		if w == nil || !IsKnown(w.Authentication) {
			return
		}
		cfg := Root("authentication_configuration").Index(0)
		switch w.Authentication {
		case WebhookAuthGitHubHMAC:
			// The token is a secret: the message says only that it is missing, never what it is.
			if IsKnown(w.SecretToken) && strings.TrimSpace(w.SecretToken) == "" {
				p.Report(cfg.Attr("secret_token"),
					"Webhook authentication GITHUB_HMAC needs a secret token to verify the X-Hub-Signature-256 of each request, and none is set.",
					"Set authentication_configuration { secret_token } to the secret configured on the GitHub webhook (from a sensitive variable or a secret store).")
			}
		case WebhookAuthIP:
			r := w.AllowedIPRange
			if !IsKnown(r) {
				return
			}
			if strings.TrimSpace(r) == "" {
				p.Report(cfg.Attr("allowed_ip_range"),
					"Webhook authentication IP needs an allowed IP range, and none is set.",
					`Set authentication_configuration { allowed_ip_range } to the CIDR range requests come from, for example "192.0.2.0/24".`)
				return
			}
			if _, _, err := net.ParseCIDR(r); err != nil {
				p.Reportf(cfg.Attr("allowed_ip_range"),
					`Write the range in CIDR notation, for example "192.0.2.0/24" or "192.0.2.10/32" for one address.`,
					"allowed_ip_range %q is not a CIDR range.", r)
			}
		case WebhookAuthUnauthenticated:
			// Chosen explicitly: accepted as is.
		case "":
			p.Report(Root("authentication"),
				"The webhook sets no authentication; an open endpoint is accepted only when chosen explicitly.",
				`Set authentication to "GITHUB_HMAC" (with a secret token), "IP" (with an allowed range), or "UNAUTHENTICATED" if anyone may start the pipeline.`)
		default:
			p.Reportf(Root("authentication"),
				"Set authentication to one of "+strings.Join(WebhookAuthentications, ", ")+".",
				"Webhook authentication %q is not one of %s.", w.Authentication, strings.Join(WebhookAuthentications, ", "))
		}
	},
})
