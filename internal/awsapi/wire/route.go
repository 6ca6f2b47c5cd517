package wire

import (
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Router finds the service and operation of a request on an endpoint that serves every service
// on one address, as a local cloud does.
type Router struct {
	// Domains are the host names under which a virtual-host-style S3 request names its bucket:
	// <bucket>.<domain>, <bucket>.s3.<domain>, <bucket>.s3.<region>.<domain>. A host that is one
	// of them, s3.<domain> or s3.<region>.<domain>, or an IP address, is path-style.
	// Default: localhost.
	Domains []string
}

func (rt *Router) domains() []string {
	if len(rt.Domains) == 0 {
		return []string{"localhost"}
	}
	return rt.Domains
}

// regionPattern is the form of an AWS region name (us-east-1, us-gov-west-1, eu-central-2).
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)

// ValidRegion reports whether name has the form of an AWS region.
func ValidRegion(name string) bool { return regionPattern.MatchString(name) }

// Target is where a request goes: a service, an operation of it, and for S3 the bucket and key.
type Target struct {
	Service   *Service
	Operation string
	// HostRegion is the region the host names (kms.eu-west-1.localhost, s3.eu-west-1.localhost,
	// bucket.s3.eu-west-1.localhost), or "".
	HostRegion string
	// S3: the bucket and key, and whether the bucket came from the host.
	Bucket, Key string
	VirtualHost bool
}

// Service finds the service of r. scopeService is the service of r's SigV4 credential scope
// ("" for an unsigned request). The order: X-Amz-Target names a JSON service; else the scope's
// service; else (unsigned) a service-named host (sts.localhost), a form Action (query), and
// S3 for anything else. The *Error comes with the service whose format it must be written in.
func (rt *Router) Service(r *http.Request, scopeService string) (*Service, *Error) {
	targets := r.Header.Values("X-Amz-Target")
	scoped := Services[scopeService]
	if len(targets) > 1 {
		svc := scoped
		if svc == nil || svc.Protocol != JSON {
			svc = CodePipeline
		}
		return svc, Serialization(svc, "the request has %d X-Amz-Target headers; send exactly one", len(targets))
	}
	if len(targets) == 1 {
		prefix, _, _ := strings.Cut(targets[0], ".")
		if i := strings.LastIndexByte(targets[0], '.'); i >= 0 {
			prefix = targets[0][:i]
		}
		if svc := serviceByTarget(prefix); svc != nil {
			return svc, nil
		}
		svc := scoped
		if svc == nil || svc.Protocol != JSON {
			svc = &Service{Name: "unknown", Protocol: JSON, JSONVersion: "1.1"}
		}
		return svc, NewError(400, "UnknownOperationException", "the local cloud serves no operation %q (X-Amz-Target)", truncate(targets[0], 200))
	}
	if scopeService != "" {
		if scoped == nil {
			svc := guessService(r)
			return svc, NewError(400, unknownServiceCode(svc), "the request is signed for service %q, which the local cloud does not serve (it serves %s)",
				truncate(scopeService, 64), strings.Join(ServiceNames(), ", "))
		}
		return scoped, nil
	}
	if svc, _ := rt.serviceFromHost(r.Host); svc != nil {
		return svc, nil
	}
	if action := r.URL.Query().Get("Action"); action != "" {
		if svc := queryServiceOf(action); svc != nil {
			return svc, nil
		}
		return STS, NewError(400, "InvalidAction", "Could not find operation %s for version %s", truncate(action, 128), r.URL.Query().Get("Version"))
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); r.Method == http.MethodPost && mt == "application/x-www-form-urlencoded" {
		// An unsigned form: STS (AssumeRoleWithWebIdentity and AssumeRoleWithSAML are the
		// unsigned query actions; IAM has none). QueryRequest reads and checks the Action.
		return STS, nil
	}
	return S3, nil
}

func unknownServiceCode(svc *Service) string {
	switch svc.Protocol {
	case JSON:
		return "UnknownOperationException"
	case Query:
		return "InvalidAction"
	}
	return "NotImplemented"
}

// guessService picks the protocol an unknown service's request looks like, to answer in it.
func guessService(r *http.Request) *Service {
	if r.Header.Get("X-Amz-Target") != "" {
		return &Service{Name: "unknown", Protocol: JSON, JSONVersion: "1.1"}
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" || r.URL.Query().Get("Action") != "" {
		return &Service{Name: "unknown", Protocol: Query}
	}
	return S3
}

// serviceFromHost reads <service>[.<region>].<domain>.
func (rt *Router) serviceFromHost(host string) (*Service, string) {
	h := strings.ToLower(trimPort(host))
	for _, d := range rt.domains() {
		rest, ok := strings.CutSuffix(h, "."+d)
		if !ok {
			continue
		}
		name, region, _ := strings.Cut(rest, ".")
		if svc := Services[name]; svc != nil && svc != S3 && (region == "" || ValidRegion(region)) {
			return svc, region
		}
	}
	return nil, ""
}

// HostRegion is the region r's host names for svc, or "".
func (rt *Router) HostRegion(r *http.Request, svc *Service) string {
	if svc == S3 {
		_, region := rt.s3Host(r.Host)
		return region
	}
	if s, region := rt.serviceFromHost(r.Host); s == svc {
		return region
	}
	return ""
}

// JSONOperation reads the operation of a JSON request from X-Amz-Target.
func JSONOperation(svc *Service, r *http.Request) (string, *Error) {
	t := r.Header.Get("X-Amz-Target")
	if t == "" {
		return "", NewError(400, "UnknownOperationException", "the request has no X-Amz-Target header naming a %s operation", svc.Name)
	}
	i := strings.LastIndexByte(t, '.')
	if i < 0 || !svc.acceptsTarget(t[:i]) || t[i+1:] == "" || !identifier(t[i+1:]) {
		return "", NewError(400, "UnknownOperationException", "X-Amz-Target %q names no %s operation (expected %s.<Operation>)", truncate(t, 200), svc.Name, svc.TargetPrefix)
	}
	return t[i+1:], nil
}

func identifier(s string) bool {
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// ---- S3 ----

// S3Target finds the bucket, key and operation of an S3 request: the bucket from the host
// (virtual-host style) or the first path segment (path style), the key from the rest of the
// path, and the operation from the method, whether there is a bucket and a key, the
// subresource query parameters (?versioning, ?uploads, ?list-type=2, …), the required query
// parameters (uploadId, partNumber) and headers (x-amz-copy-source) — by the routes of S3's
// model. A bucket or key that cannot exist (a bad bucket name, a key with a "." or ".." path
// segment, a key over 1024 bytes) is an error, as is a request no S3 operation matches.
func (rt *Router) S3Target(r *http.Request) (*Target, *Error) {
	t := &Target{Service: S3}
	hostBucket, region := rt.s3Host(r.Host)
	t.HostRegion = region
	raw := rawPath(r)
	if hostBucket != "" {
		t.Bucket, t.VirtualHost = hostBucket, true
		key := strings.TrimPrefix(raw, "/")
		if key != "" {
			k, err := url.PathUnescape(key)
			if err != nil {
				return nil, NewError(400, "InvalidURI", "Couldn't parse the specified URI.").With("URI", truncate(raw, 1024))
			}
			t.Key = k
		}
	} else {
		rest := strings.TrimPrefix(raw, "/")
		if rest != "" {
			b, k, _ := strings.Cut(rest, "/")
			bucket, err1 := url.PathUnescape(b)
			key, err2 := url.PathUnescape(k)
			if err1 != nil || err2 != nil {
				return nil, NewError(400, "InvalidURI", "Couldn't parse the specified URI.").With("URI", truncate(raw, 1024))
			}
			t.Bucket, t.Key = bucket, key
		}
	}
	if t.Bucket != "" {
		if err := CheckBucketName(t.Bucket); err != nil {
			return nil, err
		}
	}
	if t.Key != "" {
		if err := CheckObjectKey(t.Key); err != nil {
			return nil, err
		}
	}
	target := s3Service
	switch {
	case t.Key != "":
		target = s3Object
	case t.Bucket != "":
		target = s3Bucket
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, NewError(400, "InvalidURI", "Couldn't parse the specified URI.").With("URI", truncate(r.URL.RawQuery, 1024))
	}
	op := matchS3(r.Method, target, query, r.Header)
	if op == "" {
		resource := map[s3Target]string{s3Service: "SERVICE", s3Bucket: "BUCKET", s3Object: "OBJECT"}[target]
		return nil, NewError(405, "MethodNotAllowed", "The specified method is not allowed against this resource.").
			With("Method", r.Method).With("ResourceType", resource)
	}
	t.Operation = op
	return t, nil
}

// matchS3 picks the most specific route whose every literal, required query parameter and
// required header the request has. x-id, which the SDKs add, settles a tie.
func matchS3(method string, target s3Target, query url.Values, h http.Header) string {
	best, bestScore := "", -1
	xid := query.Get("x-id")
	for i := range s3Routes {
		rt := &s3Routes[i]
		if rt.Method != method || rt.Target != target {
			continue
		}
		ok := true
		for _, l := range rt.Literals {
			vs, present := query[l.Key]
			if !present || (l.HasValue && (len(vs) == 0 || vs[0] != l.Value)) {
				ok = false
				break
			}
		}
		for _, q := range rt.Query {
			if _, present := query[q]; !present {
				ok = false
			}
		}
		for _, hn := range rt.Headers {
			if len(h.Values(hn)) == 0 {
				ok = false
			}
		}
		if !ok {
			continue
		}
		score := len(rt.Literals) + len(rt.Query) + len(rt.Headers)
		switch {
		case xid != "" && rt.Operation == xid:
			return rt.Operation
		case score > bestScore:
			best, bestScore = rt.Operation, score
		}
	}
	return best
}

// s3Host reads a virtual-host-style bucket and a region from host.
func (rt *Router) s3Host(host string) (bucket, region string) {
	h := strings.ToLower(trimPort(host))
	if net.ParseIP(strings.Trim(h, "[]")) != nil {
		return "", ""
	}
	for _, d := range rt.domains() {
		if h == d {
			return "", ""
		}
		rest, ok := strings.CutSuffix(h, "."+d)
		if !ok {
			continue
		}
		labels := strings.Split(rest, ".")
		// s3[.region] or s3-region: path-style on the S3 host.
		if labels[0] == "s3" && (len(labels) == 1 || len(labels) == 2 && ValidRegion(labels[1])) {
			if len(labels) == 2 {
				return "", labels[1]
			}
			return "", ""
		}
		// <bucket>.s3[.region]
		n := len(labels)
		if n >= 3 && labels[n-2] == "s3" && ValidRegion(labels[n-1]) {
			return strings.Join(labels[:n-2], "."), labels[n-1]
		}
		if n >= 2 && labels[n-1] == "s3" {
			return strings.Join(labels[:n-1], "."), ""
		}
		return rest, ""
	}
	return "", ""
}

// CheckBucketName refuses a bucket name S3 would refuse to create (InvalidBucketName): 3 to 63
// lower-case letters, digits, dots and hyphens, beginning and ending with a letter or digit, no
// two adjacent dots, not an IP address, none of the reserved prefixes and suffixes.
func CheckBucketName(name string) *Error {
	bad := func(why string) *Error {
		return NewError(400, "InvalidBucketName", "The specified bucket is not valid: %s.", why).With("BucketName", truncate(name, 255))
	}
	if len(name) < 3 || len(name) > 63 {
		return bad("a bucket name has 3 to 63 characters")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !alnum(c) && c != '.' && c != '-' {
			return bad("a bucket name has only lower-case letters, digits, '.' and '-'")
		}
	}
	if !alnum(name[0]) || !alnum(name[len(name)-1]) {
		return bad("a bucket name begins and ends with a letter or a digit")
	}
	if strings.Contains(name, "..") {
		return bad("a bucket name has no two adjacent periods")
	}
	if net.ParseIP(name) != nil {
		return bad("a bucket name is not an IP address")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return bad("a bucket name does not begin with " + p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return bad("a bucket name does not end with " + s)
		}
	}
	return nil
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// MaxKeyLength is S3's limit on an object key, in UTF-8 bytes.
const MaxKeyLength = 1024

// CheckObjectKey refuses a key S3 refuses (longer than 1024 bytes: KeyTooLongError; not UTF-8)
// and one this endpoint refuses although S3 stores it: a key with a "." or ".." path segment, or
// a NUL byte — so that no key can ever be read as a path.
func CheckObjectKey(key string) *Error {
	if len(key) > MaxKeyLength {
		return NewError(400, "KeyTooLongError", "Your key is too long").
			With("Size", strconv.Itoa(len(key))).With("MaxSizeAllowed", strconv.Itoa(MaxKeyLength))
	}
	if !utf8.ValidString(key) || strings.ContainsRune(key, 0) {
		return NewError(400, "InvalidArgument", "the object key is not valid UTF-8 text").
			With("ArgumentName", "key")
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "." || seg == ".." {
			return NewError(400, "InvalidArgument", "the object key %q has a %q path segment, which the local cloud refuses so that no key can be read as a path", truncate(key, 256), seg).
				With("ArgumentName", "key").With("ArgumentValue", truncate(key, 256))
		}
	}
	return nil
}

// rawPath is r's path as sent, still percent-encoded.
func rawPath(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" {
		return r.URL.EscapedPath()
	}
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://") {
		rest := uri[strings.Index(uri, "//")+2:]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return rest[i:]
		}
		return "/"
	}
	return uri
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
