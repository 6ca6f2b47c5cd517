package daemon

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// jsonPath is a compiled JSONPath of the subset webhook filters use on Git host payloads:
// `$`, then member names as `.name`, `['name']` or `["name"]`, and array indexes `[0]`.
// Wildcards, slices, recursive descent and filter expressions are refused, not guessed at.
type jsonPath []pathStep

type pathStep struct {
	name  string
	index int
	isIdx bool
}

func compileJSONPath(p string) (jsonPath, error) {
	if !strings.HasPrefix(p, "$") {
		return nil, fmt.Errorf("JSONPath %q must start with $", p)
	}
	var out jsonPath
	i := 1
	for i < len(p) {
		switch p[i] {
		case '.':
			i++
			start := i
			for i < len(p) && p[i] != '.' && p[i] != '[' {
				i++
			}
			name := p[start:i]
			if name == "" || name == "*" || strings.HasPrefix(name, ".") {
				return nil, fmt.Errorf("JSONPath %q: only plain member names are supported after '.'", p)
			}
			out = append(out, pathStep{name: name})
		case '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("JSONPath %q: '[' is not closed", p)
			}
			inner := p[i+1 : i+end]
			i += end + 1
			if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0] {
				out = append(out, pathStep{name: inner[1 : len(inner)-1]})
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("JSONPath %q: [%s] is neither a quoted member name nor an array index", p, inner)
			}
			out = append(out, pathStep{index: n, isIdx: true})
		default:
			return nil, fmt.Errorf("JSONPath %q: unexpected %q at offset %d", p, p[i], i)
		}
	}
	return out, nil
}

// eval returns the value at the path in a document decoded with json.Decoder.UseNumber.
func (jp jsonPath) eval(doc any) (any, bool) {
	v := doc
	for _, s := range jp {
		if s.isIdx {
			arr, ok := v.([]any)
			if !ok || s.index >= len(arr) {
				return nil, false
			}
			v = arr[s.index]
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[s.name]; !ok {
			return nil, false
		}
	}
	return v, true
}

// scalarString renders a matched value the way MatchEquals compares it: strings as they are,
// numbers, booleans and null as their JSON text, objects and arrays as compact JSON.
func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}
