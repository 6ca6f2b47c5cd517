package endpoint

import (
	"context"
	"crypto/md5" //nolint:gosec // S3's ETag
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

func registerS3Objects(e *Endpoint) {
	for op, h := range map[string]awsapi.Handler{
		"PutObject":          e.putObject,
		"GetObject":          e.getObject,
		"HeadObject":         e.headObject,
		"DeleteObject":       e.deleteObject,
		"DeleteObjects":      e.deleteObjects,
		"ListObjectsV2":      e.listObjectsV2,
		"ListObjects":        e.listObjects,
		"ListObjectVersions": e.listObjectVersions,
		"CopyObject":         e.copyObject,
		"GetObjectTagging":   e.getObjectTagging,
	} {
		e.Register("s3", op, h)
	}
}

// objectError is s3Error, with what S3 says of a key's encryption key that cannot be used.
func (e *Endpoint) objectError(req *awsapi.Request, err error) error {
	if errors.Is(err, backend.ErrKeyState) {
		return wire.NewError(400, "KMS.KMSInvalidStateException", "%s", err.Error())
	}
	return e.s3Error(req, err)
}

// ---- headers in, headers out ----

// objectInput reads what a PUT (or CreateMultipartUpload, or a CopyObject that replaces
// metadata) says of the object: its headers, user metadata, tags and SSE-KMS key.
func objectInput(req *awsapi.Request) (backend.PutObjectInput, error) {
	h := req.HTTP.Header
	in := backend.PutObjectInput{
		Principal: principal(req), Bucket: req.Bucket, Key: req.Key,
		Meta: backend.ObjectMeta{
			ContentType: h.Get("Content-Type"), ContentEncoding: req.ContentEncoding(),
			ContentDisposition: h.Get("Content-Disposition"), ContentLanguage: h.Get("Content-Language"),
			CacheControl: h.Get("Cache-Control"), Expires: h.Get("Expires"),
		},
		KMSKeyID: h.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"),
	}
	switch sse := h.Get("X-Amz-Server-Side-Encryption"); sse {
	case "", "AES256", "aws:kms", "aws:kms:dsse":
	default:
		return in, wire.NewError(400, "InvalidArgument", "Server Side Encryption with %s is not supported", sse).With("ArgumentName", "x-amz-server-side-encryption")
	}
	for name, vs := range h {
		if meta, ok := strings.CutPrefix(strings.ToLower(name), "x-amz-meta-"); ok && len(vs) > 0 {
			if in.Meta.Metadata == nil {
				in.Meta.Metadata = map[string]string{}
			}
			in.Meta.Metadata[meta] = strings.Join(vs, ",")
		}
	}
	if t := h.Get("X-Amz-Tagging"); t != "" {
		q, err := url.ParseQuery(t)
		if err != nil {
			return in, wire.NewError(400, "InvalidArgument", "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
		}
		in.Tags = map[string]string{}
		for k, vs := range q {
			if len(vs) != 1 {
				return in, wire.NewError(400, "InvalidTag", "Cannot provide multiple Tags with the same key").With("TagKey", k)
			}
			in.Tags[k] = vs[0]
		}
	}
	return in, nil
}

// quoted is an ETag as S3 sends it.
func quoted(etag string) string { return `"` + etag + `"` }

// checksumHeaders are the x-amz-checksum-* headers of checksums.
func checksumHeaders(h http.Header, checksums map[string]string) {
	for alg, v := range checksums {
		h.Set("X-Amz-Checksum-"+alg, v)
		if strings.Contains(v, "-") {
			h.Set("X-Amz-Checksum-Type", "COMPOSITE")
		} else {
			h.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
		}
	}
}

// requestChecksums are the checksums a client sent with a body (not the MD5 the endpoint
// computes for the ETag), once the body is read.
func requestChecksums(req *awsapi.Request) map[string]string {
	out := map[string]string{}
	for alg, v := range req.Checksums() {
		if alg != "md5" {
			out[alg] = v
		}
	}
	return out
}

// versionHeader sets x-amz-version-id, which S3 sends for versions of versioned buckets.
func versionHeader(h http.Header, versionID string) {
	if versionID != "" && versionID != backend.NullVersion {
		h.Set("X-Amz-Version-Id", versionID)
	}
}

// objectHeaders are the headers GET and HEAD send for a version.
func objectHeaders(req *awsapi.Request, info backend.ObjectInfo) http.Header {
	h := http.Header{
		"Etag":                         {quoted(info.ETag)},
		"Last-Modified":                {wire.HTTPDate(info.LastModified)},
		"Accept-Ranges":                {"bytes"},
		"Content-Type":                 {"binary/octet-stream"},
		"X-Amz-Server-Side-Encryption": {"aws:kms"},
		"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": {info.KMSKeyARN},
	}
	m := info.Meta
	for name, v := range map[string]string{"Content-Type": m.ContentType, "Content-Encoding": m.ContentEncoding,
		"Content-Disposition": m.ContentDisposition, "Content-Language": m.ContentLanguage, "Cache-Control": m.CacheControl, "Expires": m.Expires} {
		if v != "" {
			h.Set(name, v)
		}
	}
	for k, v := range m.Metadata {
		h.Set("X-Amz-Meta-"+k, v)
	}
	q := req.Query()
	for param, name := range map[string]string{"response-content-type": "Content-Type", "response-content-language": "Content-Language",
		"response-expires": "Expires", "response-cache-control": "Cache-Control", "response-content-disposition": "Content-Disposition",
		"response-content-encoding": "Content-Encoding"} {
		if v := q.Get(param); v != "" {
			h.Set(name, v)
		}
	}
	if len(info.Tags) > 0 {
		h.Set("X-Amz-Tagging-Count", strconv.Itoa(len(info.Tags)))
	}
	if info.Parts > 0 {
		h.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(info.Parts))
	}
	versionHeader(h, info.VersionID)
	return h
}

// precondition applies If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since:
// a status to answer with (304 or 412), or 0 to go on.
func precondition(r *http.Request, info backend.ObjectInfo) int {
	etagMatches := func(list string) bool {
		for t := range strings.SplitSeq(list, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == "*" || strings.Trim(t, `"`) == info.ETag {
				return true
			}
		}
		return false
	}
	modified := info.LastModified.Truncate(time.Second)
	if v := r.Header.Get("If-Match"); v != "" && !etagMatches(v) {
		return http.StatusPreconditionFailed
	}
	if v := r.Header.Get("If-Unmodified-Since"); v != "" && r.Header.Get("If-Match") == "" {
		if t, err := http.ParseTime(v); err == nil && modified.After(t) {
			return http.StatusPreconditionFailed
		}
	}
	if v := r.Header.Get("If-None-Match"); v != "" && etagMatches(v) {
		return http.StatusNotModified
	}
	if v := r.Header.Get("If-Modified-Since"); v != "" && r.Header.Get("If-None-Match") == "" {
		if t, err := http.ParseTime(v); err == nil && !modified.After(t) {
			return http.StatusNotModified
		}
	}
	return 0
}

func preconditionFailed() *wire.Error {
	return wire.NewError(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold").With("Condition", "If-Match")
}

// byteRange reads a Range header against an object of size bytes: the first and last byte,
// and ok when a range applies. A header S3 ignores (malformed, or several ranges) means the
// whole object; a range beyond the object is InvalidRange.
func byteRange(header string, size int64) (first, last int64, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(header), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false, nil
	}
	invalid := wire.NewError(416, "InvalidRange", "The requested range is not satisfiable").
		With("RangeRequested", header).With("ActualObjectSize", strconv.FormatInt(size, 10))
	switch {
	case a == "" && b == "":
		return 0, 0, false, nil
	case a == "": // the last b bytes
		n, perr := strconv.ParseInt(b, 10, 64)
		if perr != nil || n < 0 {
			return 0, 0, false, nil
		}
		if n == 0 || size == 0 {
			return 0, 0, false, invalid
		}
		return max(size-n, 0), size - 1, true, nil
	}
	first, perr := strconv.ParseInt(a, 10, 64)
	if perr != nil || first < 0 {
		return 0, 0, false, nil
	}
	last = size - 1
	if b != "" {
		if last, perr = strconv.ParseInt(b, 10, 64); perr != nil || last < first {
			return 0, 0, false, nil
		}
		last = min(last, size-1)
	}
	if first >= size {
		return 0, 0, false, invalid
	}
	return first, last, true, nil
}

// ---- PutObject, GetObject, HeadObject ----

func (e *Endpoint) putObject(ctx context.Context, req *awsapi.Request) (any, error) {
	in, err := objectInput(req)
	if err != nil {
		return nil, err
	}
	in.Body = req.Body()
	in.Digests = req.Checksums
	info, err := e.account(req).WriteObject(ctx, in)
	if err != nil {
		return nil, e.objectError(req, err)
	}
	h := http.Header{"Etag": {quoted(info.ETag)}, "X-Amz-Server-Side-Encryption": {"aws:kms"},
		"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": {info.KMSKeyARN}}
	versionHeader(h, info.VersionID)
	checksumHeaders(h, requestChecksums(req))
	return &awsapi.Response{Header: h}, nil
}

// readCloser streams an object's body and closes it once written.
type readCloser struct {
	io.Reader
	io.Closer
}

func (e *Endpoint) getObject(ctx context.Context, req *awsapi.Request) (any, error) {
	if req.Query().Get("partNumber") != "" {
		return nil, wire.UnknownOperation(req.Service, "GetObject with partNumber")
	}
	versionID := req.Query().Get("versionId")
	body, info, err := e.account(req).OpenObject(ctx, principal(req), req.Bucket, req.Key, versionID)
	if err != nil {
		return nil, e.missingObject(req, info, err)
	}
	h := objectHeaders(req, info)
	if status := precondition(req.HTTP, info); status != 0 {
		body.Close()
		if status == http.StatusPreconditionFailed {
			return nil, preconditionFailed()
		}
		return &awsapi.Response{Status: status, Header: h}, nil
	}
	size := body.Size()
	first, last, ranged, rerr := byteRange(req.HTTP.Header.Get("Range"), size)
	if rerr != nil {
		body.Close()
		return nil, rerr
	}
	status := http.StatusOK
	if ranged {
		status = http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last, size))
	} else {
		first, last = 0, size-1
		if strings.EqualFold(req.HTTP.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
			checksumHeaders(h, info.Checksums)
		}
	}
	h.Set("Content-Length", strconv.FormatInt(last-first+1, 10))
	if wt, ok := body.(io.WriterTo); ok && !ranged {
		// The whole body, a stored chunk at a time (no small reads through a section reader).
		return &awsapi.Response{Status: status, Header: h, Body: writerToCloser{wt, body}}, nil
	}
	return &awsapi.Response{Status: status, Header: h, Body: readCloser{io.NewSectionReader(body, first, last-first+1), body}}, nil
}

// writerToCloser writes a whole object body with its WriteTo, and closes it once written.
type writerToCloser struct {
	io.WriterTo
	io.Closer
}

func (w writerToCloser) Read([]byte) (int, error) { return 0, errors.New("read the body with WriteTo") }

func (e *Endpoint) headObject(ctx context.Context, req *awsapi.Request) (any, error) {
	info, err := e.account(req).HeadObject(ctx, principal(req), req.Bucket, req.Key, req.Query().Get("versionId"))
	if err != nil {
		return nil, e.missingObject(req, info, err)
	}
	h := objectHeaders(req, info)
	if status := precondition(req.HTTP, info); status != 0 {
		if status == http.StatusPreconditionFailed {
			return nil, preconditionFailed()
		}
		return &awsapi.Response{Status: status, Header: h}, nil
	}
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	if first, last, ranged, rerr := byteRange(req.HTTP.Header.Get("Range"), info.Size); rerr != nil {
		return nil, rerr
	} else if ranged {
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last, info.Size))
		h.Set("Content-Length", strconv.FormatInt(last-first+1, 10))
		return &awsapi.Response{Status: http.StatusPartialContent, Header: h}, nil
	}
	if strings.EqualFold(req.HTTP.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		checksumHeaders(h, info.Checksums)
	}
	return &awsapi.Response{Header: h}, nil
}

// missingObject answers a read of a version that is a delete marker as S3 does: the latest
// version a marker is NoSuchKey with x-amz-delete-marker; a named marker is MethodNotAllowed.
func (e *Endpoint) missingObject(req *awsapi.Request, info backend.ObjectInfo, err error) error {
	if !info.DeleteMarker {
		return e.objectError(req, err)
	}
	if req.Query().Get("versionId") != "" {
		return wire.NewError(405, "MethodNotAllowed", "The specified method is not allowed against this resource.").
			With("Method", req.HTTP.Method).With("ResourceType", "DeleteMarker").
			WithHeader("X-Amz-Delete-Marker", "true").WithHeader("X-Amz-Version-Id", info.VersionID)
	}
	return wire.NewError(404, "NoSuchKey", "The specified key does not exist.").With("Key", req.Key).
		WithHeader("X-Amz-Delete-Marker", "true").WithHeader("X-Amz-Version-Id", info.VersionID)
}

// ---- DeleteObject, DeleteObjects ----

func (e *Endpoint) deleteObject(ctx context.Context, req *awsapi.Request) (any, error) {
	versionID := req.Query().Get("versionId")
	info, err := e.account(req).DeleteObject(ctx, principal(req), req.Bucket, req.Key, versionID)
	var nf *backend.NotFound
	if errors.As(err, &nf) && nf.Kind == backend.KindObject {
		return &awsapi.Response{Status: http.StatusNoContent}, nil // deleting what is not there succeeds
	}
	if err != nil {
		return nil, e.objectError(req, err)
	}
	h := http.Header{}
	if info.DeleteMarker {
		h.Set("X-Amz-Delete-Marker", "true")
	}
	versionHeader(h, info.VersionID)
	return &awsapi.Response{Status: http.StatusNoContent, Header: h}, nil
}

type deleteRequest struct {
	Quiet   bool
	Objects []struct {
		Key       string
		VersionId string //nolint:revive // the API's member name
	} `xml:"Object"`
}

type deletedEntry struct {
	Key                   string
	VersionId             string `xml:",omitempty"` //nolint:revive // the API's member name
	DeleteMarker          bool   `xml:",omitempty"`
	DeleteMarkerVersionId string `xml:",omitempty"` //nolint:revive // the API's member name
}

type deleteErrorEntry struct {
	Key       string
	VersionId string `xml:",omitempty"` //nolint:revive // the API's member name
	Code      string
	Message   string
}

type deleteResult struct {
	XMLName xml.Name           `xml:"DeleteResult"`
	Deleted []deletedEntry     `xml:"Deleted"`
	Errors  []deleteErrorEntry `xml:"Error"`
}

func (e *Endpoint) deleteObjects(ctx context.Context, req *awsapi.Request) (any, error) {
	var in deleteRequest
	if err := req.Decode(&in); err != nil {
		return nil, err
	}
	if len(in.Objects) == 0 || len(in.Objects) > 1000 {
		return nil, wire.Serialization(req.Service, "a Delete names 1 to 1000 objects")
	}
	acct := e.account(req)
	if _, err := acct.GetBucket(ctx, req.Bucket); err != nil {
		return nil, e.s3Error(req, err)
	}
	out := &deleteResult{}
	for _, o := range in.Objects {
		info, err := acct.DeleteObject(ctx, principal(req), req.Bucket, o.Key, o.VersionId)
		var nf *backend.NotFound
		switch {
		case err == nil:
			d := deletedEntry{Key: o.Key, VersionId: o.VersionId}
			if info.DeleteMarker {
				d.DeleteMarker = true
				if o.VersionId == "" {
					d.DeleteMarkerVersionId = info.VersionID
				}
			}
			if !in.Quiet {
				out.Deleted = append(out.Deleted, d)
			}
		case errors.As(err, &nf) && nf.Kind == backend.KindObject:
			if !in.Quiet {
				out.Deleted = append(out.Deleted, deletedEntry{Key: o.Key, VersionId: o.VersionId})
			}
		default:
			var we *wire.Error
			if !errors.As(e.objectError(req, err), &we) {
				return nil, err
			}
			out.Errors = append(out.Errors, deleteErrorEntry{Key: o.Key, VersionId: o.VersionId, Code: we.Code, Message: we.Message})
		}
	}
	return out, nil
}

// ---- listings ----

// listParams are what the list operations share.
type listParams struct {
	prefix, delimiter, encoding string
	maxKeys                     int
}

func readListParams(req *awsapi.Request, maxName string) (listParams, error) {
	q := req.Query()
	p := listParams{prefix: q.Get("prefix"), delimiter: q.Get("delimiter"), encoding: q.Get("encoding-type"), maxKeys: 1000}
	if v := q.Get(maxName); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, wire.NewError(400, "InvalidArgument", "Provided %s not an integer or within integer range", maxName).With("ArgumentName", maxName).With("ArgumentValue", v)
		}
		p.maxKeys = min(n, 1000)
	}
	if p.encoding != "" && p.encoding != "url" {
		return p, wire.NewError(400, "InvalidArgument", "Invalid Encoding Method specified in Request").With("ArgumentName", "encoding-type")
	}
	return p, nil
}

// enc encodes a key or prefix as the request's encoding-type asks.
func (p listParams) enc(s string) string {
	if p.encoding == "url" {
		return strings.ReplaceAll(url.QueryEscape(s), "%2F", "/")
	}
	return s
}

// commonPrefix is the common prefix key falls under, or "" when the delimiter does not apply.
func (p listParams) commonPrefix(key string) string {
	if p.delimiter == "" {
		return ""
	}
	rest := strings.TrimPrefix(key, p.prefix)
	if i := strings.Index(rest, p.delimiter); i >= 0 {
		return p.prefix + rest[:i+len(p.delimiter)]
	}
	return ""
}

type listEntry struct {
	Key               string
	LastModified      wire.ISO8601
	ETag              string
	ChecksumAlgorithm []string `xml:",omitempty"`
	Size              int64
	StorageClass      string
	Owner             *s3Owner `xml:",omitempty"`
}

type commonPrefix struct{ Prefix string }

type listBucketV2Result struct {
	XMLName               xml.Name `xml:"ListBucketResult"`
	Name                  string
	Prefix                string
	Delimiter             string `xml:",omitempty"`
	MaxKeys               int
	KeyCount              int
	IsTruncated           bool
	ContinuationToken     string `xml:",omitempty"`
	NextContinuationToken string `xml:",omitempty"`
	StartAfter            string `xml:",omitempty"`
	EncodingType          string `xml:",omitempty"`
	Contents              []listEntry
	CommonPrefixes        []commonPrefix
}

func checksumAlgorithmsOf(info backend.ObjectInfo) []string {
	var out []string
	for alg := range info.Checksums {
		out = append(out, strings.ToUpper(alg))
	}
	sort.Strings(out)
	return out
}

// page walks sorted current versions after a marker, grouping common prefixes, up to maxKeys
// entries; it returns what to list and the last name listed when truncated.
func (p listParams) page(objs []backend.ObjectInfo, after string) (entries []backend.ObjectInfo, prefixes []string, next string, truncated bool) {
	for _, o := range objs {
		name := o.Key
		cp := p.commonPrefix(o.Key)
		if cp != "" {
			name = cp
		}
		if after != "" && name <= after {
			continue
		}
		if len(prefixes) > 0 && prefixes[len(prefixes)-1] == cp {
			continue
		}
		if len(entries)+len(prefixes) == p.maxKeys {
			return entries, prefixes, next, true
		}
		if cp != "" {
			prefixes = append(prefixes, cp)
		} else {
			entries = append(entries, o)
		}
		next = name
	}
	return entries, prefixes, next, false
}

func (e *Endpoint) listObjectsV2(ctx context.Context, req *awsapi.Request) (any, error) {
	p, err := readListParams(req, "max-keys")
	if err != nil {
		return nil, err
	}
	q := req.Query()
	after := q.Get("start-after")
	token := q.Get("continuation-token")
	if token != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(token)
		if derr != nil {
			return nil, wire.NewError(400, "InvalidArgument", "The continuation token provided is incorrect").With("ArgumentName", "continuation-token")
		}
		after = string(raw)
	}
	objs, err := e.account(req).ListObjects(ctx, principal(req), req.Bucket, p.prefix)
	if err != nil {
		return nil, e.s3Error(req, err)
	}
	entries, prefixes, next, truncated := p.page(objs, after)
	out := &listBucketV2Result{Name: req.Bucket, Prefix: p.enc(p.prefix), Delimiter: p.enc(p.delimiter), MaxKeys: p.maxKeys,
		IsTruncated: truncated, ContinuationToken: token, StartAfter: p.enc(q.Get("start-after")), EncodingType: p.encoding,
		KeyCount: len(entries) + len(prefixes)}
	if truncated {
		out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(next))
	}
	fetchOwner := q.Get("fetch-owner") == "true"
	for _, o := range entries {
		le := listEntry{Key: p.enc(o.Key), LastModified: wire.ISO8601(o.LastModified), ETag: quoted(o.ETag), Size: o.Size, StorageClass: "STANDARD",
			ChecksumAlgorithm: checksumAlgorithmsOf(o)}
		if fetchOwner {
			le.Owner = ownerOf(req.Principal.Account)
		}
		out.Contents = append(out.Contents, le)
	}
	for _, cp := range prefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{p.enc(cp)})
	}
	return out, nil
}

type listBucketV1Result struct {
	XMLName        xml.Name `xml:"ListBucketResult"`
	Name           string
	Prefix         string
	Marker         string
	NextMarker     string `xml:",omitempty"`
	Delimiter      string `xml:",omitempty"`
	MaxKeys        int
	IsTruncated    bool
	EncodingType   string `xml:",omitempty"`
	Contents       []listEntry
	CommonPrefixes []commonPrefix
}

func (e *Endpoint) listObjects(ctx context.Context, req *awsapi.Request) (any, error) {
	p, err := readListParams(req, "max-keys")
	if err != nil {
		return nil, err
	}
	marker := req.Query().Get("marker")
	objs, err := e.account(req).ListObjects(ctx, principal(req), req.Bucket, p.prefix)
	if err != nil {
		return nil, e.s3Error(req, err)
	}
	entries, prefixes, next, truncated := p.page(objs, marker)
	out := &listBucketV1Result{Name: req.Bucket, Prefix: p.enc(p.prefix), Marker: p.enc(marker), Delimiter: p.enc(p.delimiter),
		MaxKeys: p.maxKeys, IsTruncated: truncated, EncodingType: p.encoding}
	if truncated && p.delimiter != "" {
		out.NextMarker = p.enc(next)
	}
	for _, o := range entries {
		out.Contents = append(out.Contents, listEntry{Key: p.enc(o.Key), LastModified: wire.ISO8601(o.LastModified), ETag: quoted(o.ETag),
			Size: o.Size, StorageClass: "STANDARD", Owner: ownerOf(req.Principal.Account)})
	}
	for _, cp := range prefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{p.enc(cp)})
	}
	return out, nil
}

// versionEntry is a <Version> or a <DeleteMarker>, in the order S3 lists them.
type versionEntry struct {
	XMLName      xml.Name
	Key          string
	VersionId    string //nolint:revive // the API's member name
	IsLatest     bool
	LastModified wire.ISO8601
	ETag         string `xml:",omitempty"`
	Size         *int64 `xml:",omitempty"`
	StorageClass string `xml:",omitempty"`
	Owner        *s3Owner
}

type listVersionsResult struct {
	XMLName             xml.Name `xml:"ListVersionsResult"`
	Name                string
	Prefix              string
	KeyMarker           string
	VersionIdMarker     string //nolint:revive // the API's member name
	NextKeyMarker       string `xml:",omitempty"`
	NextVersionIdMarker string `xml:",omitempty"` //nolint:revive // the API's member name
	Delimiter           string `xml:",omitempty"`
	MaxKeys             int
	IsTruncated         bool
	EncodingType        string `xml:",omitempty"`
	Entries             []versionEntry
	CommonPrefixes      []commonPrefix
}

func (e *Endpoint) listObjectVersions(ctx context.Context, req *awsapi.Request) (any, error) {
	p, err := readListParams(req, "max-keys")
	if err != nil {
		return nil, err
	}
	q := req.Query()
	keyMarker, versionMarker := q.Get("key-marker"), q.Get("version-id-marker")
	all, err := e.account(req).ListObjectVersions(ctx, principal(req), req.Bucket, p.prefix)
	if err != nil {
		return nil, e.s3Error(req, err)
	}
	out := &listVersionsResult{Name: req.Bucket, Prefix: p.enc(p.prefix), KeyMarker: p.enc(keyMarker), VersionIdMarker: versionMarker,
		Delimiter: p.enc(p.delimiter), MaxKeys: p.maxKeys, EncodingType: p.encoding}
	owner := ownerOf(req.Principal.Account)
	skipping := keyMarker != "" && versionMarker != ""
	n := 0
	lastPrefix := ""
	for _, o := range all {
		switch {
		case skipping:
			if o.Key == keyMarker && o.VersionID == versionMarker {
				skipping = false
			}
			if o.Key <= keyMarker {
				continue
			}
			skipping = false
		case keyMarker != "" && o.Key <= keyMarker && versionMarker == "":
			continue
		}
		cp := p.commonPrefix(o.Key)
		if cp != "" && cp == lastPrefix {
			continue
		}
		if n == p.maxKeys {
			out.IsTruncated = true
			break
		}
		n++
		if cp != "" {
			lastPrefix = cp
			out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{p.enc(cp)})
			out.NextKeyMarker, out.NextVersionIdMarker = p.enc(cp), ""
			continue
		}
		ve := versionEntry{Key: p.enc(o.Key), VersionId: o.VersionID, IsLatest: o.IsLatest, LastModified: wire.ISO8601(o.LastModified), Owner: owner}
		if o.DeleteMarker {
			ve.XMLName.Local = "DeleteMarker"
		} else {
			size := o.Size
			ve.XMLName.Local, ve.ETag, ve.Size, ve.StorageClass = "Version", quoted(o.ETag), &size, "STANDARD"
		}
		out.Entries = append(out.Entries, ve)
		out.NextKeyMarker, out.NextVersionIdMarker = p.enc(o.Key), o.VersionID
	}
	if !out.IsTruncated {
		out.NextKeyMarker, out.NextVersionIdMarker = "", ""
	}
	return out, nil
}

// ---- CopyObject, GetObjectTagging ----

type copyObjectResult struct {
	XMLName        xml.Name `xml:"CopyObjectResult"`
	ETag           string
	LastModified   wire.ISO8601
	ChecksumCRC32  string `xml:",omitempty"`
	ChecksumCRC32C string `xml:",omitempty"`
	ChecksumSHA1   string `xml:",omitempty"`
	ChecksumSHA256 string `xml:",omitempty"`
}

// md5Reader hashes what is read through it.
type md5Reader struct {
	r io.Reader
	h hash.Hash
}

func (m *md5Reader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.h.Write(p[:n])
	return n, err
}

func (e *Endpoint) copyObject(ctx context.Context, req *awsapi.Request) (any, error) {
	h := req.HTTP.Header
	src := h.Get("X-Amz-Copy-Source")
	path, rawQuery, _ := strings.Cut(src, "?")
	path, err := url.PathUnescape(strings.TrimPrefix(path, "/"))
	srcBucket, srcKey, ok := strings.Cut(path, "/")
	if err != nil || !ok || srcBucket == "" || srcKey == "" {
		return nil, wire.NewError(400, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey").With("ArgumentName", "x-amz-copy-source")
	}
	srcQuery, _ := url.ParseQuery(rawQuery)
	srcVersion := srcQuery.Get("versionId")
	metaDirective := h.Get("X-Amz-Metadata-Directive")
	tagDirective := h.Get("X-Amz-Tagging-Directive")
	acct := e.account(req)
	body, info, err := acct.OpenObject(ctx, principal(req), srcBucket, srcKey, srcVersion)
	if err != nil {
		var nf *backend.NotFound
		if errors.As(err, &nf) && nf.Kind == backend.KindBucket {
			return nil, noSuchBucket(srcBucket)
		}
		if errors.As(err, &nf) && nf.Kind == backend.KindObject || info.DeleteMarker {
			return nil, wire.NewError(404, "NoSuchKey", "The specified key does not exist.").With("Key", srcKey)
		}
		return nil, e.objectError(req, err)
	}
	defer body.Close()
	in, err := objectInput(req)
	if err != nil {
		return nil, err
	}
	if metaDirective != "REPLACE" {
		in.Meta = info.Meta
		if srcBucket == req.Bucket && srcKey == req.Key && srcVersion == "" && tagDirective != "REPLACE" && in.KMSKeyID == "" {
			return nil, wire.NewError(400, "InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
		}
	}
	if tagDirective != "REPLACE" {
		in.Tags = info.Tags
	}
	hashed := &md5Reader{r: io.NewSectionReader(body, 0, body.Size()), h: md5.New()} //nolint:gosec // S3's ETag
	in.Body = hashed
	in.Digests = func() map[string]string {
		out := map[string]string{"md5": base64.StdEncoding.EncodeToString(hashed.h.Sum(nil))}
		if info.Parts == 0 {
			for alg, v := range info.Checksums {
				out[alg] = v
			}
		}
		return out
	}
	written, err := acct.WriteObject(ctx, in)
	if err != nil {
		return nil, e.objectError(req, err)
	}
	rh := http.Header{"X-Amz-Server-Side-Encryption": {"aws:kms"}, "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": {written.KMSKeyARN}}
	versionHeader(rh, written.VersionID)
	if info.VersionID != backend.NullVersion {
		rh.Set("X-Amz-Copy-Source-Version-Id", info.VersionID)
	}
	res := &copyObjectResult{ETag: quoted(written.ETag), LastModified: wire.ISO8601(written.LastModified),
		ChecksumCRC32: written.Checksums["crc32"], ChecksumCRC32C: written.Checksums["crc32c"],
		ChecksumSHA1: written.Checksums["sha1"], ChecksumSHA256: written.Checksums["sha256"]}
	return &awsapi.Response{Header: rh, XML: res}, nil
}

func (e *Endpoint) getObjectTagging(ctx context.Context, req *awsapi.Request) (any, error) {
	info, err := e.account(req).HeadObject(ctx, principal(req), req.Bucket, req.Key, req.Query().Get("versionId"))
	if err != nil {
		return nil, e.missingObject(req, info, err)
	}
	h := http.Header{}
	versionHeader(h, info.VersionID)
	return &awsapi.Response{Header: h, XML: &tagging{TagSet: tagsOf(info.Tags)}}, nil
}
