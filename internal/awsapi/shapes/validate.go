package shapes

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Problem is one way a response departs from its shape. Path locates it: member names joined
// by dots, list indexes in brackets, map keys in braces, headers as "header:<name>".
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Captured is a response as a client received it.
type Captured struct {
	Status int
	Header http.Header
	Body   []byte
}

// Capture reads resp into a Captured (and closes its body).
func Capture(resp *http.Response) (Captured, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return Captured{Status: resp.StatusCode, Header: resp.Header, Body: b}, err
}

// Validate checks a successful response of service's operation against the operation's output
// shape, by the service's protocol (json, query or rest-xml): the status code, every member
// known and of the right type (timestamps in the protocol's format, blobs base64, enums among
// their values), required members present, and for query and S3 the XML envelope and namespace.
// An unknown service or operation is itself a problem.
func Validate(service, operation string, resp Captured) []Problem {
	m, op, probs := lookup(service, operation)
	if probs != nil {
		return probs
	}
	v := &validator{m: m}
	switch m.Metadata.Protocol {
	case "json":
		v.jsonResponse(op, resp)
	case "query":
		v.queryResponse(op, resp)
	case "rest-xml":
		v.restXMLResponse(op, resp)
	default:
		v.addf("", "protocol %q is not supported by the validator", m.Metadata.Protocol)
	}
	return v.sorted()
}

// sorted orders problems by path, so that a response's problems read the same every run
// (members are walked in map order).
func (v *validator) sorted() []Problem {
	slices.SortStableFunc(v.probs, func(a, b Problem) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	if v.probs == nil {
		return []Problem{}
	}
	return v.probs
}

// ValidateError checks an error response of service's operation: the protocol's error envelope
// (JSON __type and message; query ErrorResponse/Error/Type,Code,Message and RequestId; S3
// Error/Code,Message,RequestId), and, when the code is one the operation declares, the status
// the model gives it and the members of its shape.
func ValidateError(service, operation string, resp Captured) []Problem {
	m, op, probs := lookup(service, operation)
	if probs != nil {
		return probs
	}
	v := &validator{m: m}
	if resp.Status < 300 {
		v.addf("", "status %d is not an error status", resp.Status)
	}
	var code string
	switch m.Metadata.Protocol {
	case "json":
		code = v.jsonError(resp)
	case "query":
		code = v.queryError(resp)
	case "rest-xml":
		code = v.s3Error(resp)
	}
	for _, ref := range op.Errors {
		es := m.Shapes[ref.Shape]
		name := ref.Shape
		if es.Error != nil && es.Error.Code != "" {
			name = es.Error.Code
		}
		if name != code {
			continue
		}
		if es.Error != nil && es.Error.HTTPStatusCode != 0 && es.Error.HTTPStatusCode != resp.Status {
			v.addf("", "%s is declared with status %d, the response has %d", code, es.Error.HTTPStatusCode, resp.Status)
		}
	}
	return v.sorted()
}

func lookup(service, operation string) (*Model, *Operation, []Problem) {
	m, err := Load(service)
	if err != nil {
		return nil, nil, []Problem{{Message: err.Error()}}
	}
	op := m.Operations[operation]
	if op == nil {
		return nil, nil, []Problem{{Message: fmt.Sprintf("%s has no operation %q", service, operation)}}
	}
	return m, op, nil
}

type validator struct {
	m     *Model
	probs []Problem
}

func (v *validator) addf(path, format string, args ...any) {
	v.probs = append(v.probs, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func join(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}

// ---- JSON (awsJson 1.0/1.1) ----

func (v *validator) jsonResponse(op *Operation, resp Captured) {
	if resp.Status != http.StatusOK {
		v.addf("", "status %d, want 200", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-amz-json-") && !strings.HasPrefix(ct, "application/json") {
		v.addf("header:Content-Type", "%q is not a JSON content type", ct)
	}
	if op.Output == nil {
		if b := bytes.TrimSpace(resp.Body); len(b) != 0 && string(b) != "{}" {
			v.addf("", "the operation has no output, the body is %.80q", b)
		}
		return
	}
	val, err := decodeJSON(resp.Body)
	if err != nil {
		v.addf("", "body is not JSON: %v", err)
		return
	}
	v.jsonValue("", v.m.Shapes[op.Output.Shape], op.Output, val)
}

func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var val any
	if err := d.Decode(&val); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("data after the JSON value")
	}
	return val, nil
}

func (v *validator) jsonValue(path string, s *Shape, ref *Ref, val any) {
	if val == nil {
		v.addf(path, "null where a %s (%s) belongs: AWS omits absent members", s.Type, s.Name)
		return
	}
	switch s.Type {
	case "structure":
		if s.Document {
			return
		}
		obj, ok := val.(map[string]any)
		if !ok {
			v.addf(path, "%s is a structure (%s), got %s", path, s.Name, jsonKind(val))
			return
		}
		for k, mv := range obj {
			mref := s.Members[k]
			if mref == nil {
				v.addf(join(path, k), "not a member of %s (members: %s)", s.Name, strings.Join(s.MemberNames(), ", "))
				continue
			}
			v.jsonValue(join(path, k), v.m.Shapes[mref.Shape], mref, mv)
		}
		v.required(path, s, func(name string) bool { _, ok := obj[name]; return ok })
		if s.Union && len(obj) != 1 {
			v.addf(path, "%s is a union: exactly one member must be set, got %d", s.Name, len(obj))
		}
	case "list":
		arr, ok := val.([]any)
		if !ok {
			v.addf(path, "a list (%s), got %s", s.Name, jsonKind(val))
			return
		}
		v.length(path, s, len(arr))
		for i, e := range arr {
			v.jsonValue(fmt.Sprintf("%s[%d]", path, i), v.m.Shapes[s.Member.Shape], s.Member, e)
		}
	case "map":
		obj, ok := val.(map[string]any)
		if !ok {
			v.addf(path, "a map (%s), got %s", s.Name, jsonKind(val))
			return
		}
		for k, e := range obj {
			kp := fmt.Sprintf("%s{%s}", path, k)
			v.scalarString(kp, v.m.Shapes[s.Key.Shape], k)
			v.jsonValue(kp, v.m.Shapes[s.Value.Shape], s.Value, e)
		}
	case "string":
		str, ok := val.(string)
		if !ok {
			v.addf(path, "a string (%s), got %s", s.Name, jsonKind(val))
			return
		}
		v.scalarString(path, s, str)
	case "boolean":
		if _, ok := val.(bool); !ok {
			v.addf(path, "a boolean, got %s", jsonKind(val))
		}
	case "integer", "long", "short", "byte":
		n, ok := val.(json.Number)
		if !ok {
			v.addf(path, "an %s, got %s", s.Type, jsonKind(val))
			return
		}
		v.integer(path, s, n.String())
	case "float", "double":
		n, ok := val.(json.Number)
		if !ok {
			v.addf(path, "a %s, got %s", s.Type, jsonKind(val))
			return
		}
		if _, err := n.Float64(); err != nil {
			v.addf(path, "%s is not a %s", n, s.Type)
		}
	case "timestamp":
		switch format := timestampFormat(ref, s, "unixTimestamp"); format {
		case "unixTimestamp":
			n, ok := val.(json.Number)
			if !ok {
				v.addf(path, "a timestamp in epoch seconds (a JSON number), got %s", jsonKind(val))
				return
			}
			if f, err := n.Float64(); err != nil || f < 0 || math.IsInf(f, 0) {
				v.addf(path, "%s is not a timestamp in epoch seconds", n)
			}
		default:
			str, ok := val.(string)
			if !ok {
				v.addf(path, "a timestamp (%s, a string), got %s", format, jsonKind(val))
				return
			}
			v.timestamp(path, format, str)
		}
	case "blob":
		str, ok := val.(string)
		if !ok {
			v.addf(path, "a blob (base64 string), got %s", jsonKind(val))
			return
		}
		if _, err := base64.StdEncoding.DecodeString(str); err != nil {
			v.addf(path, "a blob must be base64: %v", err)
		}
	default:
		v.addf(path, "the validator does not know shape type %q", s.Type)
	}
}

func jsonKind(val any) string {
	switch val.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", val)
}

func (v *validator) jsonError(resp Captured) string {
	val, err := decodeJSON(resp.Body)
	obj, ok := val.(map[string]any)
	if err != nil || !ok {
		v.addf("", "an error body must be a JSON object: %v", err)
		return ""
	}
	typ, _ := obj["__type"].(string)
	if typ == "" {
		v.addf("__type", "missing: the SDKs read the error code from __type")
	}
	code := typ
	if i := strings.LastIndex(code, "#"); i >= 0 {
		code = code[i+1:]
	}
	if h := resp.Header.Get("X-Amzn-Errortype"); h != "" {
		hc, _, _ := strings.Cut(h, ":")
		if i := strings.LastIndex(hc, "#"); i >= 0 {
			hc = hc[i+1:]
		}
		if hc != code {
			v.addf("header:X-Amzn-ErrorType", "%q names another error than __type %q", h, typ)
		}
	}
	msg, hasMsg := obj["message"]
	if !hasMsg {
		msg, hasMsg = obj["Message"]
	}
	if _, isStr := msg.(string); !hasMsg || !isStr {
		v.addf("message", "an error needs a message string")
	}
	return code
}

// ---- shared scalar checks ----

func (v *validator) required(path string, s *Shape, present func(string) bool) {
	for _, r := range s.Required {
		if !present(r) {
			v.addf(join(path, r), "required member of %s is missing", s.Name)
		}
	}
}

func (v *validator) length(path string, s *Shape, n int) {
	if s.Min != nil && float64(n) < *s.Min {
		v.addf(path, "%d elements, fewer than the minimum %v of %s", n, *s.Min, s.Name)
	}
	if s.Max != nil && float64(n) > *s.Max {
		v.addf(path, "%d elements, more than the maximum %v of %s", n, *s.Max, s.Name)
	}
}

func (v *validator) scalarString(path string, s *Shape, str string) {
	if s.Type != "string" {
		return
	}
	if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
		v.addf(path, "%q is not a value of %s (%s)", str, s.Name, strings.Join(s.Enum, ", "))
	}
}

func (v *validator) integer(path string, s *Shape, text string) {
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		v.addf(path, "%q is not an %s", text, s.Type)
		return
	}
	if s.Type == "integer" && (n < math.MinInt32 || n > math.MaxInt32) {
		v.addf(path, "%d does not fit an integer (32 bits)", n)
	}
	if s.Min != nil && float64(n) < *s.Min {
		v.addf(path, "%d is below the minimum %v of %s", n, *s.Min, s.Name)
	}
	if s.Max != nil && float64(n) > *s.Max {
		v.addf(path, "%d is above the maximum %v of %s", n, *s.Max, s.Name)
	}
}

func timestampFormat(ref *Ref, s *Shape, def string) string {
	if ref != nil && ref.TimestampFormat != "" {
		return ref.TimestampFormat
	}
	if s.TimestampFormat != "" {
		return s.TimestampFormat
	}
	return def
}

func (v *validator) timestamp(path, format, text string) {
	var err error
	switch format {
	case "iso8601":
		_, err = time.Parse(time.RFC3339Nano, text)
	case "rfc822":
		_, err = http.ParseTime(text)
	case "unixTimestamp":
		_, err = strconv.ParseFloat(text, 64)
	default:
		err = fmt.Errorf("unknown timestamp format %q", format)
	}
	if err != nil {
		v.addf(path, "%q is not an %s timestamp", text, format)
	}
}

// scalarText checks the text of an XML element or a header as the shape's scalar type.
func (v *validator) scalarText(path string, s *Shape, ref *Ref, text, defaultTimestamp string) {
	switch s.Type {
	case "string":
		v.scalarString(path, s, text)
	case "boolean":
		if text != "true" && text != "false" {
			v.addf(path, "%q is not a boolean (true or false)", text)
		}
	case "integer", "long", "short", "byte":
		v.integer(path, s, text)
	case "float", "double":
		if _, err := strconv.ParseFloat(text, 64); err != nil {
			v.addf(path, "%q is not a %s", text, s.Type)
		}
	case "timestamp":
		v.timestamp(path, timestampFormat(ref, s, defaultTimestamp), text)
	case "blob":
		if _, err := base64.StdEncoding.DecodeString(text); err != nil {
			v.addf(path, "a blob must be base64: %v", err)
		}
	default:
		v.addf(path, "a %s (%s) where text was expected", s.Type, s.Name)
	}
}
