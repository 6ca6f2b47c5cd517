package wire

import (
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// QueryRequest reads a query-protocol request: the parameters of the URL and, for a POST, of
// the form-encoded body. It returns the Action, checked against the service's model and API
// version, and the other parameters. A name given twice, a body that is not a form, a missing
// Action or Version, or an action of another version are errors in the query format.
func QueryRequest(svc *Service, r *http.Request, body []byte) (string, url.Values, *Error) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "", nil, Serialization(svc, "the query string cannot be parsed: %v", err)
	}
	if len(body) > 0 {
		ct := r.Header.Get("Content-Type")
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != "application/x-www-form-urlencoded" {
			return "", nil, Serialization(svc, "a %s request body must be application/x-www-form-urlencoded, not %q", svc.Name, ct)
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return "", nil, Serialization(svc, "the request body cannot be parsed as a form: %v", err)
		}
		for k, vs := range form {
			params[k] = append(params[k], vs...)
		}
	}
	for k, vs := range params {
		if len(vs) > 1 {
			return "", nil, Serialization(svc, "the parameter %s is given %d times", k, len(vs))
		}
	}
	action := params.Get("Action")
	if action == "" {
		return "", nil, NewError(400, "MissingAction", "the request names no Action")
	}
	version := params.Get("Version")
	if version == "" {
		version = "NO_VERSION_SPECIFIED"
	}
	if version != svc.APIVersion || !svc.HasOperation(action) {
		return "", nil, NewError(400, "InvalidAction", "Could not find operation %s for version %s", action, version)
	}
	params.Del("Action")
	params.Del("Version")
	return action, params, nil
}

// DecodeQuery fills v (a pointer to a struct) from query parameters, as the query protocol
// serializes input: a member by its name (the field's `query` tag, or the field name), nested
// structures as Name.Member, lists as Name.member.N (1-based), maps as Name.entry.N.key and
// Name.entry.N.value, booleans as true/false, timestamps in ISO 8601, blobs in base64.
// Parameters that no field names are ignored, as AWS does.
func DecodeQuery(svc *Service, params url.Values, v any) *Error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("wire.DecodeQuery: %T is not a pointer to a struct", v))
	}
	flat := make(map[string]string, len(params))
	for k, vs := range params {
		if len(vs) > 0 {
			flat[k] = vs[0]
		}
	}
	if err := decodeQueryValue(rv.Elem(), "", flat); err != nil {
		return Validation(svc, "%s", err.Error())
	}
	return nil
}

var timeType = reflect.TypeFor[time.Time]()

func decodeQueryValue(v reflect.Value, prefix string, params map[string]string) error {
	if v.Kind() == reflect.Pointer {
		if !hasPrefix(params, prefix) {
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return decodeQueryValue(v.Elem(), prefix, params)
	}
	if v.Type() == timeType {
		s, ok := params[prefix]
		if !ok {
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("%s: %q is not an ISO 8601 timestamp", prefix, s)
		}
		v.Set(reflect.ValueOf(t))
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Name == "XMLName" {
				continue
			}
			name := f.Tag.Get("query")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			p := name
			if prefix != "" {
				p = prefix + "." + name
			}
			if err := decodeQueryValue(v.Field(i), p, params); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			s, ok := params[prefix]
			if !ok {
				return nil
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return fmt.Errorf("%s: not base64: %w", prefix, err)
			}
			v.SetBytes(b)
			return nil
		}
		n := indexCount(params, prefix+".member.")
		if n == 0 {
			if _, empty := params[prefix]; empty { // "Name=" is an empty list
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			}
			return nil
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			if err := decodeQueryValue(s.Index(i), fmt.Sprintf("%s.member.%d", prefix, i+1), params); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		n := indexCount(params, prefix+".entry.")
		if n == 0 {
			return nil
		}
		m := reflect.MakeMapWithSize(v.Type(), n)
		for i := 1; i <= n; i++ {
			k := reflect.New(v.Type().Key()).Elem()
			e := reflect.New(v.Type().Elem()).Elem()
			kp := fmt.Sprintf("%s.entry.%d.key", prefix, i)
			if _, ok := params[kp]; !ok {
				return fmt.Errorf("%s is missing", kp)
			}
			if err := decodeQueryValue(k, kp, params); err != nil {
				return err
			}
			if err := decodeQueryValue(e, fmt.Sprintf("%s.entry.%d.value", prefix, i), params); err != nil {
				return err
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
		return nil
	}
	s, ok := params[prefix]
	if !ok {
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		switch s {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			return fmt.Errorf("%s: %q is not a boolean (true or false)", prefix, s)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%s: %q is not an integer", prefix, s)
		}
		v.SetInt(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%s: %q is not a number", prefix, s)
		}
		v.SetFloat(f)
	default:
		panic(fmt.Sprintf("wire.DecodeQuery: field %s of kind %s is not supported", prefix, v.Kind()))
	}
	return nil
}

func hasPrefix(params map[string]string, prefix string) bool {
	for k := range params {
		if k == prefix || strings.HasPrefix(k, prefix+".") {
			return true
		}
	}
	return false
}

// indexCount is the number of consecutive 1-based indexes N with parameters prefix+N[.…]; a gap
// ends the list, as it does on AWS.
func indexCount(params map[string]string, prefix string) int {
	seen := map[int]bool{}
	for k := range params {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		if n, err := strconv.Atoi(num); err == nil && n > 0 && n <= 100000 {
			seen[n] = true
		}
	}
	idx := make([]int, 0, len(seen))
	for n := range seen {
		idx = append(idx, n)
	}
	sort.Ints(idx)
	n := 0
	for i, x := range idx {
		if x != i+1 {
			break
		}
		n++
	}
	return n
}
