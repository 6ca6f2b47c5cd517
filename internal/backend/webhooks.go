package backend

import (
	"context"
	"net/url"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Webhooks are codepipeline_webhook endpoints: stored per account and region, served by the
// local backend's daemon.
type Webhooks interface {
	// PutWebhook creates the webhook, or replaces it when update is true (CodePipeline's
	// PutWebhook does both; the provider keeps create and update apart).
	PutWebhook(ctx context.Context, w *Webhook, update bool) (*Webhook, error)
	// GetWebhook returns a webhook with its secret token.
	GetWebhook(ctx context.Context, name string) (*Webhook, error)
	DeleteWebhook(ctx context.Context, name string) error
}

// Webhook is a stored codepipeline_webhook. SecretToken is the plaintext token, only in
// memory: a backend keeps it sealed, and it is never part of an error or log line.
type Webhook struct {
	Name           string
	ARN            string
	AccountID      string
	Region         string
	Authentication string
	SecretToken    string
	AllowedIPRange string
	Filters        []pipeline.WebhookFilter
	TargetPipeline string
	TargetAction   string
	Tags           map[string]string
	Created        time.Time
	Updated        time.Time
}

// Limits of a webhook, as in the CodePipeline API.
const (
	MaxWebhookFilters      = 5
	MaxWebhookSecretLength = 100
)

// What starts a run, as CodePipeline names the trigger types.
const (
	TriggerManual    = "StartPipelineExecution"
	TriggerRetry     = "RetryStageExecution"
	TriggerWebhook   = "Webhook"              // a codepipeline_webhook was called
	TriggerWebhookV2 = "WebhookV2"            // a push that a V2 git trigger (or a connection source) reacts to
	TriggerEvent     = "CloudWatchEvent"      // a change event of an S3 or CodeCommit source
	TriggerPoll      = "PollForSourceChanges" // polling found a change
)

// DefaultServeAddr is where `codepipeline serve` listens unless told otherwise, and so the
// address in every webhook URL: a fixed default, independent of any provider configuration,
// so a URL computed at plan time is the URL the daemon serves.
const DefaultServeAddr = "127.0.0.1:8477"

// WebhookPath is the path the daemon serves a webhook at.
func WebhookPath(accountID, region, name string) string {
	return "/webhooks/" + url.PathEscape(accountID) + "/" + url.PathEscape(region) + "/" + url.PathEscape(name)
}

// WebhookURL is the URL of a webhook on the daemon listening at addr ("" = DefaultServeAddr).
func WebhookURL(addr, accountID, region, name string) string {
	if addr == "" {
		addr = DefaultServeAddr
	}
	return "http://" + addr + WebhookPath(accountID, region, name)
}
