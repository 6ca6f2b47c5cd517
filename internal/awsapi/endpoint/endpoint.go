// Package endpoint is the local cloud over the AWS wire: the operations of STS, S3, KMS, IAM,
// CodePipeline, SSM and Secrets Manager, each an adapter from the wire (internal/awsapi) to a backend's
// capabilities (internal/backend) — never a second implementation of the cloud. It
// authenticates with the access keys the backend keeps, acts as the signer's account (or role
// session), and leaves every access decision to the backend's policy evaluation: the data
// plane's (objects, KMS encryption) inside the backend's own calls, the control plane's
// through backend.Cloud.Authorize.
//
//	ep := endpoint.New(endpoint.Config{Cloud: cloud})
//	defer ep.Close()
//	http.ListenAndServe("127.0.0.1:4566", ep)
//
// Adding an operation: a handler in the service's file, registered in its register function
// (the operation's name must exist in the service's botocore model); its tests validate the
// responses against the model (see endpoint_test.go). The supported-operations list of the
// docs is generated from the registry (Operations).
package endpoint

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// Config configures an Endpoint.
type Config struct {
	// Cloud is the backend served.
	Cloud backend.Cloud
	// AuthNone serves unsigned requests, every one acting as the root of DefaultAccount
	// (codepipeline serve -auth none, for tools that cannot sign).
	AuthNone bool
	// DefaultAccount is the account of AuthNone (default backend.DefaultAccountID) and
	// DefaultRegion the region of a request that names none (default backend.DefaultRegion).
	DefaultAccount, DefaultRegion string
	// Drive, when set, drives a run started through the endpoint (the serve daemon's driver,
	// which stops them on shutdown). When nil the endpoint drives its runs itself until Close.
	Drive func(acct backend.Runner, pipeline, runID string)
	// Domains are the host names of virtual-host-style S3 requests (default: localhost).
	Domains []string
	// Logf receives internal failures (never secrets). Now is the clock. Observe receives
	// every exchange (tests validate them against the models).
	Logf    func(format string, args ...any)
	Now     func() time.Time
	Observe func(awsapi.Exchange)
}

// Endpoint is the AWS wire over a backend.Cloud: an http.Handler.
type Endpoint struct {
	*awsapi.Server
	cfg Config

	mu       sync.Mutex
	accounts map[[2]string]backend.CloudAccount
	keys     map[string]cachedKey // access key id → what it resolved to, for keyTTL

	runCtx    context.Context
	cancel    context.CancelFunc
	runs      sync.WaitGroup
	closeOnce sync.Once
}

// New returns the endpoint with every supported operation registered.
func New(cfg Config) *Endpoint {
	if cfg.DefaultAccount == "" {
		cfg.DefaultAccount = backend.DefaultAccountID
	}
	if cfg.DefaultRegion == "" {
		cfg.DefaultRegion = backend.DefaultRegion
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	e := &Endpoint{cfg: cfg, accounts: map[[2]string]backend.CloudAccount{}, keys: map[string]cachedKey{}}
	e.runCtx, e.cancel = context.WithCancel(context.Background())
	sc := awsapi.Config{
		Credentials: awsapi.CredentialResolverFunc(e.resolveAccessKey),
		Domains:     cfg.Domains, DefaultRegion: cfg.DefaultRegion,
		ComputeDigests: []string{"md5"},
		Logf:           cfg.Logf, Now: cfg.Now, Observe: cfg.Observe,
	}
	if cfg.AuthNone {
		root := arn.PartitionOf(cfg.DefaultRegion).Root(cfg.DefaultAccount)
		sc.NoAuth = &awsapi.Principal{Account: cfg.DefaultAccount, ARN: root, UserID: cfg.DefaultAccount}
		sc.Credentials = nil
	}
	e.Server = awsapi.New(sc)
	registerSTS(e)
	registerS3(e)
	registerKMS(e)
	registerIAM(e)
	registerCodePipeline(e)
	registerCodePipelineConditions(e)
	registerSSM(e)
	registerSecretsManager(e)
	return e
}

// Close stops the runs the endpoint drives itself and releases its account views.
func (e *Endpoint) Close() error {
	e.closeOnce.Do(func() {
		e.cancel()
		e.runs.Wait()
		e.mu.Lock()
		defer e.mu.Unlock()
		for k, a := range e.accounts {
			a.Close()
			delete(e.accounts, k)
		}
	})
	return nil
}

// keyTTL is how long a resolved access key is kept in memory: keys never change, and a
// session's expiry is checked on every request anyway; this spares each request a database
// read and an unsealing.
const keyTTL = 30 * time.Second

type cachedKey struct {
	cred  awsapi.Credential
	until time.Time
}

// resolveAccessKey finds a key's secret and what it acts as, for the server's SigV4 checks.
func (e *Endpoint) resolveAccessKey(ctx context.Context, id string) (awsapi.Credential, error) {
	now := time.Now()
	e.mu.Lock()
	c, ok := e.keys[id]
	e.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.cred, nil
	}
	cred, err := e.lookupAccessKey(ctx, id)
	if err == nil {
		e.mu.Lock()
		if len(e.keys) > 10000 {
			clear(e.keys)
		}
		e.keys[id] = cachedKey{cred, now.Add(keyTTL)}
		e.mu.Unlock()
	}
	return cred, err
}

func (e *Endpoint) lookupAccessKey(ctx context.Context, id string) (awsapi.Credential, error) {
	k, err := e.cfg.Cloud.LookupAccessKey(ctx, id)
	if errors.Is(err, backend.ErrNotFound) {
		return awsapi.Credential{}, fmt.Errorf("%w: %w", awsapi.ErrUnknownAccessKey, err)
	}
	if err != nil {
		return awsapi.Credential{}, err
	}
	p := awsapi.Principal{Account: k.AccountID, ARN: k.Principal, UserID: k.AccountID}
	if k.RoleARN != "" {
		p.UserID, p.RoleARN, p.SessionName = k.RoleID+":"+k.SessionName, k.RoleARN, k.SessionName
	}
	return awsapi.Credential{Secret: k.Secret, SessionToken: k.SessionToken, Expires: k.Expires, Principal: p}, nil
}

// as is the account view of account in region (kept for the endpoint's life).
func (e *Endpoint) as(account, region string) backend.CloudAccount {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := [2]string{account, region}
	if a, ok := e.accounts[k]; ok {
		return a
	}
	a := e.cfg.Cloud.As(account, region)
	e.accounts[k] = a
	return a
}

// account is the view of the request's account in its region. An anonymous request acts in
// the default account (it can only reach what resource policies open to anyone).
func (e *Endpoint) account(req *awsapi.Request) backend.CloudAccount {
	acct := req.Principal.Account
	if acct == "" {
		acct = e.cfg.DefaultAccount
	}
	return e.as(acct, req.Region)
}

// principal is the request's principal as the backend names it.
func principal(req *awsapi.Request) string {
	if req.Principal.Anonymous {
		return backend.AnonymousPrincipal
	}
	return req.Principal.ARN
}

// partition is the partition of the request's region.
func partition(req *awsapi.Request) arn.Partition { return arn.PartitionOf(req.Region) }

// conditionContext is the condition keys of a request. A request over TLS, or from this
// machine (loopback never leaves it), counts as secure transport.
func conditionContext(req *awsapi.Request) map[string]string {
	secure := req.HTTP.TLS != nil
	if host, _, err := net.SplitHostPort(req.HTTP.RemoteAddr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			secure = true
		}
	}
	ctx := map[string]string{"aws:SecureTransport": fmt.Sprint(secure), "aws:RequestedRegion": req.Region}
	if req.Principal.Account != "" {
		ctx["aws:PrincipalAccount"] = req.Principal.Account
	}
	return ctx
}

// authorize decides action on resource for the request's principal with the backend's policy
// evaluation; a refusal is the service's AccessDenied.
func (e *Endpoint) authorize(ctx context.Context, req *awsapi.Request, action, resource string) error {
	err := e.cfg.Cloud.Authorize(ctx, backend.AccessRequest{
		Principal: principal(req), Action: action, Resource: resource, Context: conditionContext(req),
	})
	if err != nil {
		return accessDenied(req, err)
	}
	return nil
}

// accessDenied is err (an *backend.AccessDeniedError) in the service's words: "User: P is not
// authorized to perform: A on resource: R because …", as AWS writes it.
func accessDenied(req *awsapi.Request, err error) error {
	var ad *backend.AccessDeniedError
	if !errors.As(err, &ad) {
		return err
	}
	who := ad.Principal
	if who == backend.AnonymousPrincipal {
		who = "anonymous"
	}
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because %s", who, ad.Action, ad.Resource, ad.Why())
	if req.Service == wire.KMS || req.Service == wire.CodePipeline {
		return wire.NewError(400, "AccessDeniedException", "%s", msg)
	}
	return wire.NewError(403, "AccessDenied", "%s", msg)
}

// serviceError answers the backend errors every service answers alike; notFound maps a
// missing thing to the service's error (nil: the generic one).
func (e *Endpoint) serviceError(req *awsapi.Request, err error, notFound func(*backend.NotFound) *wire.Error) error {
	var we *wire.Error
	var nf *backend.NotFound
	switch {
	case err == nil:
		return nil
	case errors.As(err, &we):
		return we
	case errors.Is(err, backend.ErrAccessDenied):
		return accessDenied(req, err)
	case errors.As(err, &nf) && notFound != nil:
		if w := notFound(nf); w != nil {
			return w
		}
	case errors.Is(err, context.Canceled):
		return wire.NewError(499, "RequestCanceled", "the request was canceled")
	}
	switch {
	case errors.Is(err, backend.ErrNotFound):
		return wire.Validation(req.Service, "%s", err.Error())
	case errors.Is(err, backend.ErrConflict):
		if req.Service.Protocol == wire.RESTXML {
			return wire.NewError(409, "OperationAborted", "A conflicting conditional operation is currently in progress against this resource. Please try again: %s", err)
		}
		return wire.NewError(409, "ConcurrentModificationException", "%s", err)
	case errors.Is(err, backend.ErrInvalid), errors.Is(err, backend.ErrAlreadyExists):
		return wire.Validation(req.Service, "%s", err.Error())
	case errors.Is(err, backend.ErrUnsupported):
		return wire.UnknownOperation(req.Service, req.Operation)
	}
	return err // logged by the server, answered as an internal error
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
