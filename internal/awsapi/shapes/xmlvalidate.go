package shapes

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// S3Namespace is the namespace of S3's response documents.
const S3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// node is an XML element: its name, attributes, child elements and text.
type node struct {
	name     xml.Name
	attrs    []xml.Attr
	children []*node
	text     string
}

func parseXML(b []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name, attrs: t.Copy().Attr}
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("more than one root element")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, errors.New("text outside the root element")
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

func (n *node) child(local string) []*node {
	var out []*node
	for _, c := range n.children {
		if c.name.Local == local {
			out = append(out, c)
		}
	}
	return out
}

func (n *node) attr(local string) (string, bool) {
	// A prefixed name ("xsi:type") is matched by its local part: the decoder has resolved
	// the prefix into the attribute's namespace.
	if i := strings.IndexByte(local, ':'); i >= 0 {
		local = local[i+1:]
	}
	for _, a := range n.attrs {
		if a.Name.Local == local && a.Name.Space != "xmlns" {
			return a.Value, true
		}
	}
	return "", false
}

// ---- query (IAM, STS) ----

func (v *validator) queryResponse(op *Operation, resp Captured) {
	if resp.Status != http.StatusOK {
		v.addf("", "status %d, want 200", resp.Status)
	}
	root, err := parseXML(resp.Body)
	if err != nil {
		v.addf("", "body is not XML: %v", err)
		return
	}
	if want := op.Name + "Response"; root.name.Local != want {
		v.addf("", "root element <%s>, want <%s>", root.name.Local, want)
	}
	if root.name.Space != v.m.Metadata.XMLNamespace {
		v.addf("", "root namespace %q, want %q", root.name.Space, v.m.Metadata.XMLNamespace)
	}
	wrapper := ""
	if op.Output != nil {
		wrapper = op.Output.ResultWrapper
		if wrapper == "" {
			wrapper = op.Name + "Result"
		}
	}
	sawMeta := false
	for _, c := range root.children {
		switch c.name.Local {
		case "ResponseMetadata":
			sawMeta = true
			if ids := c.child("RequestId"); len(ids) != 1 || strings.TrimSpace(ids[0].text) == "" {
				v.addf("ResponseMetadata", "needs exactly one non-empty RequestId")
			}
		case wrapper:
			if wrapper != "" {
				v.xmlStructure("", v.m.Shapes[op.Output.Shape], c, false)
			}
		default:
			v.addf(c.name.Local, "unexpected element in <%s> (want %s and ResponseMetadata)", root.name.Local, orNone(wrapper))
		}
	}
	if !sawMeta {
		v.addf("ResponseMetadata", "missing")
	}
	if wrapper != "" && len(root.child(wrapper)) == 0 {
		// AWS always sends the result element of an operation with output, even if empty.
		v.addf(wrapper, "missing")
	}
}

func orNone(s string) string {
	if s == "" {
		return "no result element"
	}
	return "<" + s + ">"
}

func (v *validator) queryError(resp Captured) string {
	root, err := parseXML(resp.Body)
	if err != nil {
		v.addf("", "error body is not XML: %v", err)
		return ""
	}
	if root.name.Local != "ErrorResponse" {
		v.addf("", "root element <%s>, want <ErrorResponse>", root.name.Local)
	}
	errs := root.child("Error")
	if len(errs) != 1 {
		v.addf("Error", "want exactly one <Error>, got %d", len(errs))
		return ""
	}
	e := errs[0]
	if t := e.child("Type"); len(t) != 1 || (t[0].text != "Sender" && t[0].text != "Receiver") {
		v.addf("Error.Type", "want Sender or Receiver")
	}
	code := ""
	if c := e.child("Code"); len(c) == 1 && c[0].text != "" {
		code = c[0].text
	} else {
		v.addf("Error.Code", "missing")
	}
	if len(e.child("Message")) != 1 {
		v.addf("Error.Message", "missing")
	}
	if ids := root.child("RequestId"); len(ids) != 1 || ids[0].text == "" {
		v.addf("RequestId", "missing")
	}
	return code
}

// ---- rest-xml (S3) ----

func (v *validator) restXMLResponse(op *Operation, resp Captured) {
	want := op.HTTP.ResponseCode
	if want == 0 {
		want = http.StatusOK
	}
	if resp.Status != want {
		v.addf("", "status %d, want %d", resp.Status, want)
	}
	if op.Output == nil {
		if len(bytes.TrimSpace(resp.Body)) != 0 {
			v.addf("", "the operation has no output, the body is %.80q", resp.Body)
		}
		return
	}
	s := v.m.Shapes[op.Output.Shape]
	bodyMembers := false
	for _, name := range s.MemberNames() {
		ref := s.Members[name]
		ms := v.m.Shapes[ref.Shape]
		switch ref.Location {
		case "header":
			hv := resp.Header.Values(ref.LocationName)
			if len(hv) == 0 {
				if s.IsRequired(name) {
					v.addf("header:"+ref.LocationName, "required member %s is missing", name)
				}
				continue
			}
			if ms.Type == "list" {
				continue
			}
			if len(hv) > 1 {
				v.addf("header:"+ref.LocationName, "sent %d times", len(hv))
			}
			if ref.JSONValue {
				continue
			}
			v.scalarText("header:"+ref.LocationName, ms, ref, hv[0], "rfc822")
		case "headers", "statusCode", "uri", "querystring":
		default:
			if s.Payload == "" {
				bodyMembers = true
			}
		}
	}
	if s.Payload != "" {
		ref := s.Members[s.Payload]
		ps := v.m.Shapes[ref.Shape]
		if ps.Type != "structure" {
			return // a blob or string payload is the body itself
		}
		if len(bytes.TrimSpace(resp.Body)) == 0 {
			if s.IsRequired(s.Payload) {
				v.addf(s.Payload, "required payload is missing")
			}
			return
		}
		root, err := parseXML(resp.Body)
		if err != nil {
			v.addf("", "body is not XML: %v", err)
			return
		}
		wantRoot := ref.LocationName
		if wantRoot == "" {
			wantRoot = ps.LocationName
		}
		if wantRoot == "" {
			wantRoot = s.Payload
		}
		if root.name.Local != wantRoot {
			v.addf("", "root element <%s>, want <%s>", root.name.Local, wantRoot)
		}
		v.s3Namespace(root)
		v.xmlStructure("", ps, root, true)
		return
	}
	if len(bytes.TrimSpace(resp.Body)) == 0 {
		if bodyMembers {
			v.required("", s, func(name string) bool { return s.Members[name].Location != "" })
		}
		return
	}
	if !bodyMembers {
		v.addf("", "the output has no body members, the body is %.80q", resp.Body)
		return
	}
	root, err := parseXML(resp.Body)
	if err != nil {
		v.addf("", "body is not XML: %v", err)
		return
	}
	v.s3Namespace(root)
	v.xmlStructure("", s, root, true)
}

func (v *validator) s3Namespace(root *node) {
	if root.name.Space != S3Namespace {
		v.addf("", "root <%s> namespace %q, want %q", root.name.Local, root.name.Space, S3Namespace)
	}
}

func (v *validator) s3Error(resp Captured) string {
	if len(bytes.TrimSpace(resp.Body)) == 0 {
		return "" // HEAD errors have no body
	}
	root, err := parseXML(resp.Body)
	if err != nil {
		v.addf("", "error body is not XML: %v", err)
		return ""
	}
	if root.name.Local != "Error" {
		v.addf("", "root element <%s>, want <Error>", root.name.Local)
	}
	code := ""
	if c := root.child("Code"); len(c) == 1 && c[0].text != "" {
		code = c[0].text
	} else {
		v.addf("Code", "missing")
	}
	if len(root.child("Message")) != 1 {
		v.addf("Message", "missing")
	}
	if len(root.child("RequestId")) != 1 {
		v.addf("RequestId", "missing")
	}
	return code
}

// ---- XML values (query and rest-xml share them) ----

// xmlName is the element name a member is serialized under (botocore's _member_key_name).
func (v *validator) xmlName(memberName string, ref *Ref) string {
	ms := v.m.Shapes[ref.Shape]
	if ms.Type == "list" && (ms.Flattened || ref.Flattened) && ms.Member.LocationName != "" {
		return ms.Member.LocationName
	}
	if ref.LocationName != "" {
		return ref.LocationName
	}
	return memberName
}

func (v *validator) xmlStructure(path string, s *Shape, n *node, restXML bool) {
	if s.Type != "structure" {
		v.addf(path, "%s is a %s, not a structure", s.Name, s.Type)
		return
	}
	byName := map[string]string{} // element name → member
	attrs := map[string]string{}
	for name, ref := range s.Members {
		if ref.Location != "" {
			continue // header, uri, …: not in the body
		}
		if ref.XMLAttribute {
			attrs[ref.LocationName] = name
			continue
		}
		byName[v.xmlName(name, ref)] = name
	}
	present := map[string]bool{}
	for attrName, member := range attrs {
		if val, ok := n.attr(attrName); ok {
			present[member] = true
			ref := s.Members[member]
			v.scalarText(join(path, member), v.m.Shapes[ref.Shape], ref, val, "iso8601")
		}
	}
	counts := map[string]int{}
	for _, c := range n.children {
		member, ok := byName[c.name.Local]
		if !ok {
			v.addf(join(path, c.name.Local), "not a member of %s", s.Name)
			continue
		}
		present[member] = true
		counts[member]++
	}
	for member, cnt := range counts {
		ref := s.Members[member]
		ms := v.m.Shapes[ref.Shape]
		elems := n.child(v.xmlName(member, ref))
		mp := join(path, member)
		flat := ms.Flattened || ref.Flattened
		if ms.Type == "list" && flat {
			v.length(mp, ms, cnt)
			for i, e := range elems {
				v.xmlValue(fmt.Sprintf("%s[%d]", mp, i), ms.Member, e, restXML)
			}
			continue
		}
		if ms.Type == "map" && flat {
			for _, e := range elems {
				v.xmlMapEntry(mp, ms, e, restXML)
			}
			continue
		}
		if cnt > 1 {
			v.addf(mp, "appears %d times", cnt)
		}
		v.xmlValue(mp, ref, elems[0], restXML)
	}
	v.required(path, s, func(name string) bool { return present[name] || s.Members[name].Location != "" })
}

func (v *validator) xmlValue(path string, ref *Ref, n *node, restXML bool) {
	s := v.m.Shapes[ref.Shape]
	switch s.Type {
	case "structure":
		v.xmlStructure(path, s, n, restXML)
	case "list":
		memberName := s.Member.LocationName
		if memberName == "" {
			memberName = "member"
		}
		i := 0
		for _, c := range n.children {
			if c.name.Local != memberName {
				v.addf(path, "list element <%s>, want <%s>", c.name.Local, memberName)
				continue
			}
			v.xmlValue(fmt.Sprintf("%s[%d]", path, i), s.Member, c, restXML)
			i++
		}
		v.length(path, s, i)
	case "map":
		for _, c := range n.children {
			if c.name.Local != "entry" {
				v.addf(path, "map element <%s>, want <entry>", c.name.Local)
				continue
			}
			v.xmlMapEntry(path, s, c, restXML)
		}
	default:
		if len(n.children) > 0 {
			v.addf(path, "a %s (%s) has child elements", s.Type, s.Name)
			return
		}
		v.scalarText(path, s, ref, n.text, "iso8601")
	}
}

func (v *validator) xmlMapEntry(path string, s *Shape, e *node, restXML bool) {
	kn, vn := "key", "value"
	if s.Key.LocationName != "" {
		kn = s.Key.LocationName
	}
	if s.Value.LocationName != "" {
		vn = s.Value.LocationName
	}
	ks, vs := e.child(kn), e.child(vn)
	if len(ks) != 1 || len(vs) != 1 {
		v.addf(path, "a map entry needs one <%s> and one <%s>", kn, vn)
		return
	}
	kp := fmt.Sprintf("%s{%s}", path, ks[0].text)
	v.scalarText(kp, v.m.Shapes[s.Key.Shape], s.Key, ks[0].text, "iso8601")
	v.xmlValue(kp, s.Value, vs[0], restXML)
}
