package wire

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// NewRequestID returns a fresh request id in AWS's UUID form.
func NewRequestID() string {
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read does not fail
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// SetS3RequestID sets S3's request id headers (x-amz-request-id and the x-amz-id-2 host id).
func SetS3RequestID(h http.Header, requestID string) {
	h.Set("X-Amz-Request-Id", s3RequestID(requestID))
	h.Set("X-Amz-Id-2", hostID(requestID))
}

// s3RequestID is the 16 upper-case hex digits S3 uses, taken from the UUID.
func s3RequestID(id string) string {
	s := strings.ToUpper(strings.ReplaceAll(id, "-", ""))
	if len(s) > 16 {
		s = s[:16]
	}
	return s
}

func hostID(requestID string) string {
	return base64.StdEncoding.EncodeToString([]byte(requestID))
}

// ---- JSON (awsJson 1.0 and 1.1) ----

// DecodeJSON decodes a JSON request body into v. An empty body is an empty object; anything
// that is not one JSON object of the right member types is a SerializationException naming
// where it went wrong. Unknown members are ignored, as AWS does.
func DecodeJSON(svc *Service, body []byte, v any) *Error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			where := te.Field
			if where == "" {
				where = "the request"
			}
			return Serialization(svc, "%s: a JSON %s cannot be read as %s", where, te.Value, jsonTypeName(te.Type))
		case errors.As(err, &se):
			return Serialization(svc, "the request body is not JSON: %s at byte %d", se.Error(), se.Offset)
		}
		return Serialization(svc, "the request body cannot be read as JSON: %v", err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return Serialization(svc, "the request body has data after its JSON object")
	}
	return nil
}

func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 blob"
		}
		return "a list"
	case reflect.Map:
		return "a map"
	case reflect.Struct:
		return "a structure"
	}
	return t.String()
}

// WriteJSON writes a successful JSON response: v marshalled (nil as {}), with the service's
// content type and request id.
func WriteJSON(w http.ResponseWriter, svc *Service, requestID string, v any) error {
	b := []byte("{}")
	if v != nil && !isNilPointer(v) {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return fmt.Errorf("wire: encoding a %s response: %w", svc.Name, err)
		}
	}
	h := w.Header()
	h.Set("Content-Type", svc.ContentType())
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}

func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// EpochSeconds is a timestamp as the JSON protocols send it by default: seconds since the
// epoch, a JSON number with up to millisecond precision. Use *EpochSeconds with omitempty.
type EpochSeconds time.Time

// Epoch returns t as an *EpochSeconds.
func Epoch(t time.Time) *EpochSeconds { e := EpochSeconds(t); return &e }

// MarshalJSON writes the number of seconds, with milliseconds when there are any.
func (e EpochSeconds) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON reads a number of seconds.
func (e *EpochSeconds) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return &json.UnmarshalTypeError{Value: "non-number", Type: reflect.TypeFor[float64]()}
	}
	sec := int64(f)
	*e = EpochSeconds(time.Unix(sec, int64((f-float64(sec))*1e9)).Round(time.Millisecond).UTC())
	return nil
}

// Time is e as a time.Time.
func (e EpochSeconds) Time() time.Time { return time.Time(e) }

// ---- XML (query and S3) ----

// ISO8601 is a timestamp as XML protocols send it: 2006-01-02T15:04:05.000Z.
type ISO8601 time.Time

// ISO returns t as an *ISO8601.
func ISO(t time.Time) *ISO8601 { i := ISO8601(t); return &i }

// ISO8601Format is the layout of ISO8601.
const ISO8601Format = "2006-01-02T15:04:05.000Z"

// MarshalText writes the timestamp in UTC with milliseconds.
func (i ISO8601) MarshalText() ([]byte, error) {
	return []byte(time.Time(i).UTC().Format(ISO8601Format)), nil
}

// UnmarshalText reads an RFC 3339 timestamp.
func (i *ISO8601) UnmarshalText(b []byte) error {
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return err
	}
	*i = ISO8601(t)
	return nil
}

// Time is i as a time.Time.
func (i ISO8601) Time() time.Time { return time.Time(i) }

// HTTPDate formats a timestamp for an HTTP header (Last-Modified, Expires): RFC 1123 in GMT.
func HTTPDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// DecodeXML decodes an S3 request document into v; a body that is not well-formed XML, or has
// data after its root element, is MalformedXML.
func DecodeXML(svc *Service, body []byte, v any) *Error {
	if len(bytes.TrimSpace(body)) == 0 {
		return NewError(400, "MissingRequestBodyError", "Request Body is empty")
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		return Serialization(svc, "%v", err)
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return Serialization(svc, "%v", err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return Serialization(svc, "text after the root element")
			}
		case xml.Comment, xml.ProcInst:
		default:
			return Serialization(svc, "more than one root element")
		}
	}
}

// WriteQuery writes a successful query-protocol response:
// <OpResponse xmlns=…><OpResult>v</OpResult><ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></OpResponse>.
// v's fields become the children of OpResult (with encoding/xml tags; lists as `xml:"Roles>member"`);
// a nil v (an operation without output) writes no result element.
func WriteQuery(w http.ResponseWriter, svc *Service, operation, requestID string, v any) error {
	var b bytes.Buffer
	b.WriteString(`<` + operation + `Response xmlns="` + svc.XMLNamespace + `">`)
	if v != nil && !isNilPointer(v) {
		enc := xml.NewEncoder(&b)
		if err := enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: operation + "Result"}}); err != nil {
			return fmt.Errorf("wire: encoding %s %s: %w", svc.Name, operation, err)
		}
		if err := enc.Flush(); err != nil {
			return err
		}
	}
	b.WriteString(`<ResponseMetadata><RequestId>` + requestID + `</RequestId></ResponseMetadata></` + operation + `Response>`)
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b.Bytes())
	return err
}

// EncodeS3XML encodes v as an S3 document: the XML declaration, and v's root element (its
// XMLName, or its type name) in S3's namespace.
func EncodeS3XML(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	root := xml.StartElement{Name: xml.Name{Local: rootName(v)}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: S3Namespace}}}
	if err := enc.EncodeElement(v, root); err != nil {
		return nil, fmt.Errorf("wire: encoding an S3 document: %w", err)
	}
	if err := enc.Flush(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// rootName is the local name of v's XMLName tag, or its type's name.
func rootName(v any) string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		if f, ok := t.FieldByName("XMLName"); ok {
			tag, _, _ := strings.Cut(f.Tag.Get("xml"), ",")
			if i := strings.LastIndexByte(tag, ' '); i >= 0 {
				tag = tag[i+1:]
			}
			if tag != "" {
				return tag
			}
		}
	}
	return t.Name()
}
