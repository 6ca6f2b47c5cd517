package wire

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
)

// Error is an AWS error response: a code the SDKs map to their typed exceptions, a message, and
// the HTTP status AWS sends it with. Handlers return one (or wrap one) to answer with it.
type Error struct {
	Code    string
	Message string
	Status  int
	// Receiver marks a server-side fault (query's <Type>Receiver</Type>); by default a status
	// of 500 or more is a Receiver fault and anything else a Sender fault.
	Receiver bool
	// Fields are what AWS adds to some errors: S3's <BucketName>, <Key>, <Resource>, <Region>,
	// …; members of a JSON exception shape (KMS's none, CodePipeline's none, …). In order.
	Fields []Field
	// Header is added to the response (e.g. x-amz-bucket-region on S3's redirects).
	Header http.Header
}

// Field is one extra element or member of an error.
type Field struct{ Name, Value string }

// NewError returns an error with a formatted message.
func NewError(status int, code, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Message: msg, Status: status}
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// With adds a field and returns e.
func (e *Error) With(name, value string) *Error {
	e.Fields = append(e.Fields, Field{name, value})
	return e
}

// WithHeader adds a response header and returns e.
func (e *Error) WithHeader(name, value string) *Error {
	if e.Header == nil {
		e.Header = http.Header{}
	}
	e.Header.Add(name, value)
	return e
}

// Field returns the value of the named field, or "".
func (e *Error) Field(name string) string {
	for _, f := range e.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func (e *Error) status() int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

// coralNamespace prefixes __type of the errors AWS's front end raises before a service sees the
// request (authentication, unknown operation, serialization), in JSON 1.0.
const coralNamespace = "com.amazon.coral.service"

// frameworkCodes are those front-end errors.
var frameworkCodes = map[string]bool{
	"UnknownOperationException": true, "SerializationException": true, "UnrecognizedClientException": true,
	"InvalidSignatureException": true, "IncompleteSignatureException": true, "MissingAuthenticationTokenException": true,
	"ExpiredTokenException": true, "AccessDeniedException": true, "InternalFailure": true, "ValidationException": true,
	"RequestEntityTooLargeException": true, "ThrottlingException": true,
}

// WriteError writes e in svc's error format. head is true for a HEAD request, whose errors S3
// sends without a body.
func WriteError(w http.ResponseWriter, svc *Service, e *Error, requestID string, head bool) {
	h := w.Header()
	for k, vs := range e.Header {
		h[k] = append(h[k], vs...)
	}
	switch svc.Protocol {
	case JSON:
		typ := e.Code
		if svc.JSONVersion == "1.0" {
			ns := svc.ErrorNamespace
			if frameworkCodes[e.Code] || ns == "" {
				ns = coralNamespace
			}
			typ = ns + "#" + e.Code
		}
		body := map[string]string{"__type": typ, "message": e.Message}
		for _, f := range e.Fields {
			if f.Name != "__type" && f.Name != "message" {
				body[f.Name] = f.Value
			}
		}
		b, _ := json.Marshal(body)
		h.Set("Content-Type", svc.ContentType())
		h.Set("X-Amzn-Errortype", e.Code)
		h.Set("X-Amzn-Requestid", requestID)
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(e.status())
		w.Write(b) //nolint:errcheck // the client went away
	case Query:
		fault := "Sender"
		if e.Receiver || e.status() >= 500 {
			fault = "Receiver"
		}
		var b bytes.Buffer
		b.WriteString(`<ErrorResponse xmlns="` + svc.XMLNamespace + `"><Error><Type>` + fault + `</Type><Code>`)
		xml.EscapeText(&b, []byte(e.Code)) //nolint:errcheck // a bytes.Buffer does not fail
		b.WriteString(`</Code><Message>`)
		xml.EscapeText(&b, []byte(e.Message)) //nolint:errcheck // a bytes.Buffer does not fail
		b.WriteString(`</Message>`)
		writeFields(&b, e.Fields)
		b.WriteString(`</Error><RequestId>` + requestID + `</RequestId></ErrorResponse>`)
		h.Set("Content-Type", "text/xml")
		h.Set("X-Amzn-Requestid", requestID)
		h.Set("Content-Length", strconv.Itoa(b.Len()))
		w.WriteHeader(e.status())
		w.Write(b.Bytes()) //nolint:errcheck // the client went away
	default:
		SetS3RequestID(h, requestID)
		if head {
			w.WriteHeader(e.status())
			return
		}
		var b bytes.Buffer
		b.WriteString(xml.Header)
		b.WriteString(`<Error><Code>`)
		xml.EscapeText(&b, []byte(e.Code)) //nolint:errcheck // a bytes.Buffer does not fail
		b.WriteString(`</Code><Message>`)
		xml.EscapeText(&b, []byte(e.Message)) //nolint:errcheck // a bytes.Buffer does not fail
		b.WriteString(`</Message>`)
		writeFields(&b, e.Fields)
		b.WriteString(`<RequestId>` + s3RequestID(requestID) + `</RequestId><HostId>` + hostID(requestID) + `</HostId></Error>`)
		h.Set("Content-Type", "application/xml")
		h.Set("Content-Length", strconv.Itoa(b.Len()))
		w.WriteHeader(e.status())
		w.Write(b.Bytes()) //nolint:errcheck // the client went away
	}
}

func writeFields(b *bytes.Buffer, fields []Field) {
	for _, f := range fields {
		if !validXMLName(f.Name) {
			continue
		}
		b.WriteString("<" + f.Name + ">")
		xml.EscapeText(b, []byte(f.Value)) //nolint:errcheck // a bytes.Buffer does not fail
		b.WriteString("</" + f.Name + ">")
	}
}

func validXMLName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.')
		if !ok {
			return false
		}
	}
	return true
}

// ---- errors every service has, in each protocol's words ----

// UnknownOperation is the answer to an operation the endpoint does not serve: AWS's code for an
// unknown operation in each protocol, naming it.
func UnknownOperation(svc *Service, op string) *Error {
	switch svc.Protocol {
	case JSON:
		return NewError(400, "UnknownOperationException", "the local cloud does not implement %s %s", svc.Name, op)
	case Query:
		return NewError(400, "InvalidAction", "the local cloud does not implement %s %s (Could not find operation %s for version %s)", svc.Name, op, op, svc.APIVersion)
	}
	return NewError(501, "NotImplemented", "the local cloud does not implement S3 %s (A header you provided implies functionality that is not implemented)", op)
}

// Serialization is a request body that cannot be decoded.
func Serialization(svc *Service, format string, args ...any) *Error {
	switch svc.Protocol {
	case JSON:
		return NewError(400, "SerializationException", format, args...)
	case Query:
		return NewError(400, "MalformedQueryString", format, args...)
	}
	e := NewError(400, "MalformedXML", format, args...)
	e.Message = "The XML you provided was not well-formed or did not validate against our published schema: " + e.Message
	return e
}

// Validation is a request whose values break the operation's constraints.
func Validation(svc *Service, format string, args ...any) *Error {
	switch svc.Protocol {
	case JSON:
		return NewError(400, "ValidationException", format, args...)
	case Query:
		return NewError(400, "ValidationError", format, args...)
	}
	return NewError(400, "InvalidArgument", format, args...)
}

// MissingParameter is a required input member that is absent.
func MissingParameter(svc *Service, name string) *Error {
	switch svc.Protocol {
	case JSON:
		return NewError(400, "ValidationException", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", name)
	case Query:
		return NewError(400, "MissingParameter", "The request must contain the parameter %s", name)
	}
	return NewError(400, "InvalidRequest", "the request must contain %s", name)
}

// AccessDenied is a request the policies do not allow.
func AccessDenied(svc *Service, format string, args ...any) *Error {
	switch svc.Protocol {
	case JSON:
		return NewError(400, "AccessDeniedException", format, args...)
	}
	return NewError(403, "AccessDenied", format, args...)
}

// Internal is a failure of the endpoint itself; the message says nothing of its cause (which is
// logged, not sent).
func Internal(svc *Service) *Error {
	if svc.Protocol == RESTXML {
		return &Error{Code: "InternalError", Message: "We encountered an internal error. Please try again.", Status: 500, Receiver: true}
	}
	return &Error{Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure.", Status: 500, Receiver: true}
}

// TooLarge is a request body over the service's limit.
func TooLarge(svc *Service, limit int64) *Error {
	switch svc.Protocol {
	case JSON:
		return NewError(413, "RequestEntityTooLargeException", "the request body is larger than %d bytes", limit)
	case Query:
		return NewError(413, "RequestEntityTooLarge", "the request body is larger than %d bytes", limit)
	}
	return NewError(400, "MaxMessageLengthExceeded", "Your request was too big: the request body is larger than %d bytes", limit)
}
