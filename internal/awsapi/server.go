// Package awsapi serves the local cloud over the AWS wire protocols: one HTTP handler that
// authenticates every request with SigV4 (internal/awsapi/sigv4), finds its service and
// operation (internal/awsapi/wire), and calls the handler registered for it with a decoded
// request and the authenticated principal, answering in the service's own format.
//
// Handlers are adapters over the backend's capabilities, one per operation:
//
//	srv := awsapi.New(awsapi.Config{Credentials: keys})
//	srv.Register("kms", "DescribeKey", awsapi.Handle(func(ctx context.Context, req *awsapi.Request, in *describeKeyInput) (*describeKeyOutput, error) {
//		k, err := backendKeys.Describe(ctx, req.Principal, req.Region, in.KeyId)
//		if errors.Is(err, backend.ErrNotFound) {
//			return nil, wire.NewError(400, "NotFoundException", "Key '%s' does not exist", in.KeyId)
//		}
//		…
//	}))
//	http.ListenAndServe("127.0.0.1:4566", srv)
package awsapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/sigv4"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
)

// Handler answers one operation. It returns the operation's output — a value the protocol's
// encoder writes (JSON: encoding/json with the API's member names as json tags; query:
// encoding/xml of the fields inside <OpResult>; S3: an S3 XML document, or a *Response) — or an
// error: a *wire.Error (or one wrapping it) is sent as it is; a body failure from
// Request.Body is sent as the matching S3 error; anything else is logged and sent as the
// service's internal error.
type Handler func(ctx context.Context, req *Request) (any, error)

// Handle adapts a typed function to a Handler: the request is decoded into a new In
// (Request.Decode) before fn is called.
func Handle[In, Out any](fn func(ctx context.Context, req *Request, in *In) (Out, error)) Handler {
	return func(ctx context.Context, req *Request) (any, error) {
		in := new(In)
		if err := req.Decode(in); err != nil {
			return nil, err
		}
		return fn(ctx, req, in)
	}
}

// Config configures a Server.
type Config struct {
	// Credentials resolves access key ids. Required unless NoAuth is set.
	Credentials CredentialResolver
	// NoAuth, when set, is the principal of every request, and signatures are not checked
	// (codepipeline serve -auth none, for tools that cannot sign).
	NoAuth *Principal
	// Domains are the host names under which S3 virtual-host-style requests name their bucket
	// (default: localhost).
	Domains []string
	// DefaultRegion is the region of an unsigned request whose host names none (default us-east-1).
	DefaultRegion string
	// Authorize, when set, is called after authentication and before the handler; an error
	// from it is the answer. (Per-resource decisions belong in the handlers, which know the
	// resource; this hook is for decisions that do not need it.)
	Authorize func(ctx context.Context, req *Request) error
	// ComputeDigests are digests of S3 request bodies computed as they stream, for handlers
	// that need them ("md5" for an ETag, or a sigv4.ChecksumAlgorithms name): Request.Checksums.
	ComputeDigests []string
	// Logf receives internal failures (never request contents or secrets). Default: discard.
	Logf func(format string, args ...any)
	// Now is the clock (default time.Now). Responses carry it in their Date header, from
	// which the SDKs correct their own clock after a skew error.
	Now func() time.Time
	// Observe, when set, receives every exchange once answered: tests run each response
	// through shapes.Validate or shapes.ValidateError. Bodies are kept up to 1 MiB.
	Observe func(Exchange)
}

// Exchange is one answered request, for Config.Observe.
type Exchange struct {
	Service, Operation string // Operation is "" when the request was refused before routing
	Status             int
	Header             http.Header
	Body               []byte
	Truncated          bool // Body holds the first 1 MiB only
}

// Server is the AWS endpoint: an http.Handler with a registry of operation handlers.
type Server struct {
	cfg      Config
	router   *wire.Router
	mu       sync.RWMutex
	handlers map[string]map[string]Handler // service → operation → handler
}

// New returns a Server with no operations registered.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.DefaultRegion == "" {
		cfg.DefaultRegion = "us-east-1"
	}
	if cfg.Credentials == nil && cfg.NoAuth == nil {
		panic("awsapi.New: a Config needs Credentials, or NoAuth")
	}
	for _, d := range cfg.ComputeDigests {
		if d != "md5" && sigv4.ChecksumAlgorithms[d] == nil {
			panic(fmt.Sprintf("awsapi.New: unknown digest %q", d))
		}
	}
	return &Server{cfg: cfg, router: &wire.Router{Domains: cfg.Domains}, handlers: map[string]map[string]Handler{}}
}

// Register makes h the handler of service's operation. service is a signing name (codepipeline,
// kms, codestar-connections, iam, sts, s3) and operation a name in that service's model; a typo
// in either, or registering an operation twice, panics.
func (s *Server) Register(service, operation string, h Handler) {
	svc := wire.Services[service]
	if svc == nil {
		panic(fmt.Sprintf("awsapi.Register: unknown service %q (known: %s)", service, strings.Join(wire.ServiceNames(), ", ")))
	}
	if !svc.HasOperation(operation) {
		panic(fmt.Sprintf("awsapi.Register: %s has no operation %q in its model", service, operation))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handlers[service] == nil {
		s.handlers[service] = map[string]Handler{}
	}
	if s.handlers[service][operation] != nil {
		panic(fmt.Sprintf("awsapi.Register: %s %s registered twice", service, operation))
	}
	s.handlers[service][operation] = h
}

// Operation names one served operation.
type Operation struct {
	Service, Name string
}

// Operations are the registered operations, sorted by service and name: the source of the
// generated list of supported operations.
func (s *Server) Operations() []Operation {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ops []Operation
	for svc, m := range s.handlers {
		for op := range m {
			ops = append(ops, Operation{svc, op})
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Service != ops[j].Service {
			return ops[i].Service < ops[j].Service
		}
		return ops[i].Name < ops[j].Name
	})
	return ops
}

// OperationsMarkdown is a Markdown list of ops by service, for a documentation page.
func OperationsMarkdown(ops []Operation) string {
	var b strings.Builder
	last := ""
	for _, op := range ops {
		if op.Service != last {
			if last != "" {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "### %s (%s)\n\n", op.Service, wire.Services[op.Service].Protocol)
			last = op.Service
		}
		fmt.Fprintf(&b, "- `%s`\n", op.Name)
	}
	return b.String()
}

func (s *Server) handler(service, op string) Handler {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.handlers[service][op]
}

// ServeHTTP authenticates, routes and answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := wire.NewRequestID()
	rw := &statusWriter{ResponseWriter: w, capture: s.cfg.Observe != nil}
	w.Header().Set("Date", s.cfg.Now().UTC().Format(http.TimeFormat))
	svc := wire.S3
	var req *Request
	if s.cfg.Observe != nil {
		defer func() {
			op := ""
			if req != nil {
				op = req.Operation
			}
			s.cfg.Observe(Exchange{Service: svc.Name, Operation: op, Status: rw.status, Header: w.Header().Clone(), Body: rw.body.Bytes(), Truncated: rw.truncated})
		}()
	}
	defer func() {
		if p := recover(); p != nil {
			s.cfg.Logf("awsapi: panic serving %s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
			if !rw.wrote {
				wire.WriteError(rw, svc, wire.Internal(svc), requestID, r.Method == http.MethodHead)
			}
		}
	}()
	req, werr := s.prepare(r, &svc, requestID)
	if werr != nil {
		s.drain(r)
		wire.WriteError(rw, svc, werr, requestID, r.Method == http.MethodHead)
		return
	}
	ctx := r.Context()
	if s.cfg.Authorize != nil {
		if err := s.cfg.Authorize(ctx, req); err != nil {
			s.writeHandlerError(rw, req, err)
			return
		}
	}
	h := s.handler(svc.Name, req.Operation)
	if h == nil {
		s.drain(r)
		wire.WriteError(rw, svc, wire.UnknownOperation(svc, req.Operation), requestID, r.Method == http.MethodHead)
		return
	}
	out, err := h(ctx, req)
	if err != nil {
		s.writeHandlerError(rw, req, err)
		return
	}
	if err := s.writeOutput(rw, req, out); err != nil {
		s.cfg.Logf("awsapi: %s %s: writing the response: %v", svc.Name, req.Operation, err)
		if !rw.wrote {
			wire.WriteError(rw, svc, wire.Internal(svc), requestID, r.Method == http.MethodHead)
		}
	}
}

// prepare routes and authenticates r; *svc is set to the service whose format an error must be
// written in.
func (s *Server) prepare(r *http.Request, svc **wire.Service, requestID string) (*Request, *wire.Error) {
	now := s.cfg.Now().UTC()
	sig, sigErr := sigv4.Parse(r)
	scope := ""
	if sig != nil {
		scope = sig.Scope.Service
	}
	found, werr := s.router.Service(r, scope)
	*svc = found
	if werr != nil {
		return nil, werr
	}
	req := &Request{Service: found, RequestID: requestID, HTTP: r}
	// The operation: JSON from X-Amz-Target, S3 from the route; query needs the body first.
	switch found.Protocol {
	case wire.JSON:
		if req.Operation, werr = wire.JSONOperation(found, r); werr != nil {
			return req, werr
		}
	case wire.RESTXML:
		t, terr := s.router.S3Target(r)
		if terr != nil {
			return req, terr
		}
		req.Operation, req.Bucket, req.Key, req.VirtualHost = t.Operation, t.Bucket, t.Key, t.VirtualHost
	}
	if sigErr != nil && s.cfg.NoAuth == nil {
		var e *sigv4.Error
		errors.As(sigErr, &e)
		return req, authError(found, e, r.URL.Query().Get(sigv4.QueryAlgorithm) != "")
	}
	if found.Protocol != wire.RESTXML {
		body, werr := readBody(r, found)
		if werr != nil {
			return req, werr
		}
		req.body = body
		if found.Protocol == wire.Query {
			if req.Operation, req.params, werr = wire.QueryRequest(found, r, body); werr != nil {
				return req, werr
			}
		}
	}
	if werr := s.authenticate(r, req, sig, now); werr != nil {
		return req, werr
	}
	return req, nil
}

// readBody reads a JSON or query body, up to the service's limit.
func readBody(r *http.Request, svc *wire.Service) ([]byte, *wire.Error) {
	if r.ContentLength > svc.MaxBody {
		return nil, wire.TooLarge(svc, svc.MaxBody)
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, svc.MaxBody+1))
	if err != nil {
		return nil, wire.Serialization(svc, "the request body could not be read: %v", err)
	}
	if int64(len(b)) > svc.MaxBody {
		return nil, wire.TooLarge(svc, svc.MaxBody)
	}
	return b, nil
}

// authenticate verifies r's signature (or takes NoAuth), fills req's principal and region,
// and for S3 wraps the body in its checks.
func (s *Server) authenticate(r *http.Request, req *Request, sig *sigv4.Signature, now time.Time) *wire.Error {
	svc := req.Service
	declared, derr := sigv4.DeclaredPayload(r.Header)
	if derr != nil {
		var e *sigv4.Error
		errors.As(derr, &e)
		return authError(svc, e, sig != nil && sig.Presigned)
	}
	hostRegion := s.router.HostRegion(r, svc)
	if s.cfg.NoAuth != nil || sig == nil {
		if s.cfg.NoAuth != nil {
			req.Principal = *s.cfg.NoAuth
		} else if svc.Protocol != wire.RESTXML {
			return missingAuth(svc)
		} else {
			req.Principal = Principal{Anonymous: true}
		}
		req.Region = s.cfg.DefaultRegion
		switch {
		case svc.GlobalRegion != "":
			req.Region = svc.GlobalRegion
		case sig != nil:
			req.Region = sig.Scope.Region
		case hostRegion != "":
			req.Region = hostRegion
		}
		return s.s3Body(r, req, nil, "", declared)
	}
	// The scope: this service, a region it serves, the host's region if it names one.
	switch {
	case sig.Scope.Service != svc.Name:
		return wrongService(svc, sig.Scope.Service)
	case !wire.ValidRegion(sig.Scope.Region):
		return wrongRegion(svc, sig.Scope.Region, svc.GlobalRegion)
	case svc.GlobalRegion != "" && sig.Scope.Region != svc.GlobalRegion:
		return wrongRegion(svc, sig.Scope.Region, svc.GlobalRegion)
	case hostRegion != "" && sig.Scope.Region != hostRegion:
		return wrongRegion(svc, sig.Scope.Region, hostRegion)
	}
	if err := sig.CheckTime(now); err != nil {
		var e *sigv4.Error
		errors.As(err, &e)
		return authError(svc, e, sig.Presigned)
	}
	cred, err := s.cfg.Credentials.ResolveAccessKey(r.Context(), sig.AccessKeyID)
	if errors.Is(err, ErrUnknownAccessKey) {
		return unknownAccessKey(svc, sig.AccessKeyID)
	}
	if err != nil {
		s.cfg.Logf("awsapi: resolving an access key: %v", err)
		return wire.Internal(svc)
	}
	if werr := checkToken(svc, cred, sig.SecurityToken, now); werr != nil {
		return werr
	}
	payloadHash := declared
	if svc.Protocol == wire.RESTXML {
		if declared == "" {
			if !sig.Presigned {
				return authError(svc, &sigv4.Error{Kind: sigv4.KindMissingContentSHA256}, false)
			}
			payloadHash = sigv4.UnsignedPayload
		}
	} else {
		if sigv4.IsStreaming(declared) {
			return authError(svc, &sigv4.Error{Kind: sigv4.KindInvalidContentSHA256, Message: "an aws-chunked body is for S3 only"}, sig.Presigned)
		}
		sum := sha256.Sum256(req.body)
		computed := hex.EncodeToString(sum[:])
		if declared != "" && declared != sigv4.UnsignedPayload && declared != computed {
			return authError(svc, &sigv4.Error{Kind: sigv4.KindContentSHA256Mismatch, Declared: declared, Computed: computed}, sig.Presigned)
		}
		if declared == "" {
			payloadHash = computed
		}
	}
	if err := sig.Verify(r, cred.Secret, payloadHash, svc.Protocol != wire.RESTXML); err != nil {
		var e *sigv4.Error
		errors.As(err, &e)
		return authError(svc, e, sig.Presigned)
	}
	req.Principal, req.AccessKeyID, req.Region = cred.Principal, sig.AccessKeyID, sig.Scope.Region
	return s.s3Body(r, req, sig, cred.Secret, payloadHash)
}

// s3Body wraps an S3 request's body in its checks (sigv4.Body), refusing an upload of unknown
// length.
func (s *Server) s3Body(r *http.Request, req *Request, sig *sigv4.Signature, secret, declared string) *wire.Error {
	if req.Service.Protocol != wire.RESTXML {
		return nil
	}
	if (r.Method == http.MethodPut || r.Method == http.MethodPost) && r.ContentLength < 0 && !sigv4.IsStreaming(declared) {
		return missingContentLength()
	}
	opts := sigv4.BodyOptions{Compute: s.cfg.ComputeDigests, IgnoreChunkSignatures: sig == nil}
	b, err := sigv4.NewBody(r, sig, secret, declared, opts)
	if err != nil {
		var e *sigv4.Error
		errors.As(err, &e)
		return authError(req.Service, e, sig != nil && sig.Presigned)
	}
	req.s3body = b
	return nil
}

// drain reads what is left of a refused request's body (bounded), so that the connection can
// serve the next request.
func (s *Server) drain(r *http.Request) {
	io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20)) //nolint:errcheck // best effort
}

func (s *Server) writeHandlerError(w *statusWriter, req *Request, err error) {
	head := req.HTTP.Method == http.MethodHead
	var we *wire.Error
	var se *sigv4.Error
	switch {
	case errors.As(err, &we):
		wire.WriteError(w, req.Service, we, req.RequestID, head)
	case errors.As(err, &se):
		wire.WriteError(w, req.Service, authError(req.Service, se, false), req.RequestID, head)
	default:
		s.cfg.Logf("awsapi: %s %s (request %s): %v", req.Service.Name, req.Operation, req.RequestID, err)
		wire.WriteError(w, req.Service, wire.Internal(req.Service), req.RequestID, head)
	}
}

// Response is an S3 handler's answer when a 200 with an XML document is not enough: another
// status (204 for deletes), headers (ETag, x-amz-version-id, Last-Modified), or a raw body
// (GetObject's object, GetBucketPolicy's JSON).
type Response struct {
	Status int // 0 is 200
	Header http.Header
	// XML is an S3 document (see wire.EncodeS3XML); Body a raw body (closed after writing
	// when it is an io.Closer). At most one of them.
	XML  any
	Body io.Reader
}

func (s *Server) writeOutput(w *statusWriter, req *Request, out any) error {
	switch req.Service.Protocol {
	case wire.JSON:
		return wire.WriteJSON(w, req.Service, req.RequestID, out)
	case wire.Query:
		return wire.WriteQuery(w, req.Service, req.Operation, req.RequestID, out)
	}
	resp, ok := out.(*Response)
	if !ok {
		resp = &Response{XML: out}
	}
	if c, ok := resp.Body.(io.Closer); ok {
		defer c.Close()
	}
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = vs
	}
	wire.SetS3RequestID(h, req.RequestID)
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	head := req.HTTP.Method == http.MethodHead
	switch {
	case resp.XML != nil && !isNil(resp.XML):
		b, err := wire.EncodeS3XML(resp.XML)
		if err != nil {
			return err
		}
		h.Set("Content-Type", "application/xml")
		h.Set("Content-Length", fmt.Sprint(len(b)))
		w.WriteHeader(status)
		if !head {
			_, err = w.Write(b)
		}
		return err
	case resp.Body != nil:
		w.WriteHeader(status)
		if head {
			return nil
		}
		_, err := io.Copy(w, resp.Body)
		return err
	}
	if h.Get("Content-Length") == "" && status != http.StatusNoContent && !head {
		h.Set("Content-Length", "0")
	}
	w.WriteHeader(status)
	return nil
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// statusWriter remembers whether a response was started, its status and (for Observe) its
// first MiB.
type statusWriter struct {
	http.ResponseWriter
	wrote     bool
	status    int
	capture   bool
	body      bytes.Buffer
	truncated bool
}

const maxObserved = 1 << 20

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status = code
	}
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status = http.StatusOK
	}
	w.wrote = true
	if w.capture {
		room := maxObserved - w.body.Len()
		if len(b) > room {
			w.body.Write(b[:room])
			w.truncated = true
		} else {
			w.body.Write(b)
		}
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streamed bodies reach the client as they are written.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
