package daemon

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// Handler serves the webhooks (POST /webhooks/{account}/{region}/{name}) and a health check.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/{account}/{region}/{name}", d.serveWebhook)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		stateDir, _ := d.cfg.Backend.WatchedFiles()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(Health{Status: "ok", Lease: d.holdsLease.Load(), Service: HealthService, StateDir: stateDir, PID: os.Getpid()})
	})
	if d.cfg.Console != nil {
		mux.Handle("/console/", d.cfg.Console)
	}
	return mux
}

// Health is the body of GET /healthz: it also says who serves, so that a second daemon
// refused the address can tell the user which process holds it.
type Health struct {
	Status   string `json:"status"`
	Lease    bool   `json:"lease"` // this daemon acts on changes (see the lease in daemon.go)
	Service  string `json:"service"`
	StateDir string `json:"state_dir"`
	PID      int    `json:"pid"`
}

// HealthService is Health.Service of this daemon.
const HealthService = "codepipeline serve"

// webhookResponse is the JSON body of every webhook answer.
type webhookResponse struct {
	Result      string `json:"result"` // started, no match, duplicate delivery, or the error
	ExecutionID string `json:"pipelineExecutionId,omitempty"`
}

// serveWebhook authenticates a request, applies the webhook's filters and starts its target
// pipeline. The order matters: the IP check needs no body, the signature check needs the body
// but no parsing, and nothing of an unauthenticated body is parsed.
func (d *Daemon) serveWebhook(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	account, region, name := r.PathValue("account"), r.PathValue("region"), r.PathValue("name")
	log := d.log.With("webhook", name, "account", account, "region", region, "remote", r.RemoteAddr)
	reply := func(status int, result, executionID string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(webhookResponse{Result: result, ExecutionID: executionID})
		level := log.Info
		if status >= 400 {
			level = log.Warn
		}
		level("webhook request", "status", status, "result", result, "execution", executionID)
	}

	hook, err := d.cfg.Backend.LookupWebhook(ctx, account, region, name)
	unknown := errors.Is(err, backend.ErrNotFound)
	if unknown {
		// Answered as a GitHub HMAC webhook answers a bad signature (the same checks, in the same
		// order, against a secret nobody has), so that webhook names cannot be found by trying.
		log.Warn("webhook request for an unknown webhook")
		hook = &backend.Webhook{Name: name, Authentication: pipeline.WebhookAuthGitHubHMAC, SecretToken: d.decoy}
		err = nil
	}
	if err != nil {
		reply(http.StatusInternalServerError, "internal error", "")
		log.Error("reading the webhook", "err", err)
		return
	}
	if hook.Authentication == pipeline.WebhookAuthIP && !peerAllowed(r.RemoteAddr, hook.AllowedIPRange) {
		reply(http.StatusForbidden, "source address not allowed", "")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, d.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			reply(http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", d.cfg.MaxBodyBytes), "")
			return
		}
		reply(http.StatusBadRequest, "unreadable body", "")
		return
	}
	if hook.Authentication == pipeline.WebhookAuthGitHubHMAC {
		if status, msg := verifySignature(r.Header.Get("X-Hub-Signature-256"), hook.SecretToken, body); status != 0 {
			reply(status, msg, "")
			return
		}
	}
	if unknown { // reached only by a signature made with the decoy
		reply(http.StatusUnauthorized, "signature does not match", "")
		return
	}
	payload, err := deliveryPayload(r.Header.Get("Content-Type"), body)
	if err != nil {
		reply(http.StatusBadRequest, err.Error(), "")
		return
	}
	doc, err := oneJSONDocument(payload)
	if err != nil {
		reply(http.StatusBadRequest, "body is not one JSON document", "")
		log.Debug("webhook body", "err", err)
		return
	}

	acct := d.account(account, region)
	rec, err := acct.GetPipeline(ctx, hook.TargetPipeline)
	if err != nil {
		reply(http.StatusNotFound, "target pipeline not found", "")
		return
	}
	target := targetAction(rec.Definition, hook.TargetAction)
	if target == nil {
		reply(http.StatusNotFound, "target action not found in the target pipeline", "")
		return
	}
	if ok, why := filtersMatch(hook.Filters, target.Configuration, doc); !ok {
		log.Debug("webhook filters do not match", "why", why)
		reply(http.StatusOK, "no match", "")
		return
	}

	req := backend.RunRequest{Pipeline: hook.TargetPipeline, Trigger: backend.TriggerWebhook,
		TriggerDetail: "webhook " + hook.Name + " (target action " + hook.TargetAction + ")"}
	// As on AWS, the run builds the commit the delivery names (a push's `after`), not whatever
	// the branch holds when the source action runs.
	if commit := deliveryCommit(doc); commit != "" && pinsCommits(target) {
		req.SourceRevisions = map[string]string{hook.TargetAction: commit}
		req.TriggerDetail += ", commit " + commit
	}
	// A Git host names each delivery; a redelivery of one starts nothing new. A signed body is
	// also remembered by its content for ReplayWindow: re-sending a captured body with its
	// signature, without a delivery id or with a new one, starts nothing either.
	var seen []backend.ReplayKey
	if delivery := r.Header.Get("X-GitHub-Delivery"); delivery != "" {
		req.TriggerDetail += ", delivery " + delivery
		seen = append(seen, backend.ReplayKey{Value: delivery})
	}
	if hook.Authentication == pipeline.WebhookAuthGitHubHMAC {
		seen = append(seen, backend.ReplayKey{Value: deliveryDigest(account, region, hook.Name, r.Header.Get("X-Hub-Signature-256"), body), Window: d.cfg.ReplayWindow})
	}
	var run *backend.Run
	if len(seen) > 0 {
		run, err = acct.StartTriggeredRunOnce(ctx, req, "webhook:"+hook.Name, seen...)
		if err == nil && run == nil {
			reply(http.StatusOK, "duplicate delivery", "")
			return
		}
	} else {
		run, err = acct.StartRun(ctx, req)
	}
	if err != nil {
		reply(http.StatusInternalServerError, "the run could not start", "")
		log.Error("starting the run", "err", err)
		return
	}
	d.Drive(acct, run.Pipeline, run.ID)
	reply(http.StatusOK, "started", run.ID)
}

var commitID = regexp.MustCompile(`^(?:[0-9a-f]{40}|[0-9a-f]{64})$`)

// deliveryCommit is the commit a push delivery names as the branch's new head (`after`, SHA-1 or
// SHA-256), or "" when it names none: another event, or a deleted branch (all zeros).
func deliveryCommit(doc any) string {
	obj, _ := doc.(map[string]any)
	after, _ := obj["after"].(string)
	if !commitID.MatchString(after) || strings.Trim(after, "0") == "" {
		return ""
	}
	return after
}

// pinsCommits reports whether a source action reads a git commit that a run can pin: the git
// sources the local backend runs (S3 sources are pinned by object version, which no delivery
// names).
func pinsCommits(a *pipeline.Action) bool {
	return a.Category == pipeline.CategorySource && (a.Provider == "CodeCommit" || a.Provider == "CodeStarSourceConnection")
}

// deliveryPayload is the JSON of a delivery. GitHub sends it as the body (content type
// application/json) or, with content type application/x-www-form-urlencoded, as the form's one
// field `payload`; the signature covers the raw body either way, so this runs after it.
func deliveryPayload(contentType string, body []byte) ([]byte, error) {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "application/x-www-form-urlencoded" {
		return body, nil // JSON, whatever the header says: oneJSONDocument decides
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errors.New("form body is not URL-encoded")
	}
	payload, ok := form["payload"]
	if !ok || len(payload) != 1 {
		return nil, errors.New("form body needs exactly one payload field")
	}
	return []byte(payload[0]), nil
}

// oneJSONDocument decodes body as exactly one JSON value: anything but white space after it
// (a second document, a stray `]` or `}`) is refused. json.Decoder.More cannot tell: at the top
// level it reports a closing bracket as "no more".
func oneJSONDocument(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, fmt.Errorf("%d bytes after the JSON document", len(rest))
	}
	return doc, nil
}

// deliveryDigest identifies a signed delivery by what was sent: the webhook, the signature and
// the body.
func deliveryDigest(account, region, webhook, signature string, body []byte) string {
	h := sha256.New()
	for _, part := range []string{account, region, webhook, signature} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(body)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// verifySignature checks GitHub's X-Hub-Signature-256 ("sha256=" + hex HMAC-SHA256 of the
// body under the secret) in constant time; status 0 means valid.
func verifySignature(header, secret string, body []byte) (int, string) {
	if header == "" {
		return http.StatusUnauthorized, "missing X-Hub-Signature-256"
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(got) != sha256.Size {
		return http.StatusUnauthorized, "malformed X-Hub-Signature-256"
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return http.StatusUnauthorized, "signature does not match"
	}
	return 0, ""
}

// peerAllowed reports whether the TCP peer is in cidr. Forwarding headers are not trusted: the
// daemon is reached directly, or through a proxy whose own address is then what counts.
func peerAllowed(remoteAddr, cidr string) bool {
	_, network, err := net.ParseCIDR(cidr)
	if err != nil {
		return false
	}
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && network.Contains(ip)
}

var placeholder = regexp.MustCompile(`\{([A-Za-z0-9_]+)\}`)

// filtersMatch applies every filter (all must match, as in CodePipeline). A `{Name}` in
// match_equals is the target action's configuration value Name; `{Branch}` falls back to
// BranchName, the key of the local git sources.
func filtersMatch(filters []pipeline.WebhookFilter, config map[string]string, doc any) (bool, string) {
	for _, f := range filters {
		jp, err := compileJSONPath(f.JSONPath)
		if err != nil {
			return false, err.Error()
		}
		v, found := jp.eval(doc)
		if !found {
			return false, f.JSONPath + " is not in the payload"
		}
		unresolved := ""
		want := placeholder.ReplaceAllStringFunc(f.MatchEquals, func(m string) string {
			key := m[1 : len(m)-1]
			if val, ok := config[key]; ok {
				return val
			}
			if key == "Branch" {
				if val, ok := config["BranchName"]; ok {
					return val
				}
			}
			unresolved = key
			return m
		})
		if unresolved != "" {
			return false, "match_equals names {" + unresolved + "}, which the target action's configuration does not set"
		}
		if got := scalarString(v); got != want {
			return false, fmt.Sprintf("%s is %q, not %q", f.JSONPath, got, want)
		}
	}
	return true, ""
}
