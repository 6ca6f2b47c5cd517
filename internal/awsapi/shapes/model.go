// Package shapes reads the AWS service models that botocore ships (service-2.json: the same
// models the AWS CLI v1 and v2 and the SDKs are generated from) and checks captured responses
// against an operation's output shape: members known, types right per protocol, required
// members present, enum values valid.
//
// The models are committed copies under models/ (Apache-2.0 data files from botocore; see
// models/README.md for the version and the refresh command), embedded so that any test in the
// module can validate a response without depending on a Python install.
package shapes

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
)

//go:embed models
var modelFS embed.FS

// Model is one service's botocore model, the parts a server and a validator need.
type Model struct {
	Metadata   Metadata              `json:"metadata"`
	Operations map[string]*Operation `json:"operations"`
	Shapes     map[string]*Shape     `json:"shapes"`
}

// Metadata is the model's service metadata.
type Metadata struct {
	APIVersion     string `json:"apiVersion"`
	EndpointPrefix string `json:"endpointPrefix"`
	JSONVersion    string `json:"jsonVersion"`
	Protocol       string `json:"protocol"`
	ServiceID      string `json:"serviceId"`
	SigningName    string `json:"signingName"`
	TargetPrefix   string `json:"targetPrefix"`
	XMLNamespace   string `json:"xmlNamespace"`
	GlobalEndpoint string `json:"globalEndpoint"`
	UID            string `json:"uid"`
}

// Signing is the name SigV4 scopes use for the service.
func (m Metadata) Signing() string {
	if m.SigningName != "" {
		return m.SigningName
	}
	return m.EndpointPrefix
}

// Operation is one API operation.
type Operation struct {
	Name       string      `json:"name"`
	HTTP       HTTPBinding `json:"http"`
	Input      *Ref        `json:"input"`
	Output     *Ref        `json:"output"`
	Errors     []*Ref      `json:"errors"`
	Deprecated bool        `json:"deprecated"`
}

// HTTPBinding is where a REST operation lives.
type HTTPBinding struct {
	Method       string `json:"method"`
	RequestURI   string `json:"requestUri"`
	ResponseCode int    `json:"responseCode"`
}

// Ref is a reference to a shape from an operation or a member, with the member's own traits.
type Ref struct {
	Shape           string `json:"shape"`
	Location        string `json:"location"` // "", uri, querystring, header, headers, statusCode
	LocationName    string `json:"locationName"`
	Flattened       bool   `json:"flattened"`
	XMLAttribute    bool   `json:"xmlAttribute"`
	XMLNamespace    *XMLNS `json:"xmlNamespace"`
	Streaming       bool   `json:"streaming"`
	TimestampFormat string `json:"timestampFormat"`
	JSONValue       bool   `json:"jsonvalue"`
	Deprecated      bool   `json:"deprecated"`
	ResultWrapper   string `json:"resultWrapper"`
	HostLabel       bool   `json:"hostLabel"`
	EventPayload    bool   `json:"eventpayload"`
}

// XMLNS is an xmlNamespace trait.
type XMLNS struct {
	URI    string `json:"uri"`
	Prefix string `json:"prefix"`
}

// Shape is a named type of the model.
type Shape struct {
	Name            string          `json:"-"`
	Type            string          `json:"type"` // structure list map string integer long float double boolean timestamp blob
	Members         map[string]*Ref `json:"members"`
	Required        []string        `json:"required"`
	Member          *Ref            `json:"member"`
	Key             *Ref            `json:"key"`
	Value           *Ref            `json:"value"`
	Enum            []string        `json:"enum"`
	Flattened       bool            `json:"flattened"`
	LocationName    string          `json:"locationName"`
	TimestampFormat string          `json:"timestampFormat"`
	Payload         string          `json:"payload"`
	Streaming       bool            `json:"streaming"`
	Exception       bool            `json:"exception"`
	Fault           bool            `json:"fault"`
	Error           *ErrorTrait     `json:"error"`
	Min             *float64        `json:"min"`
	Max             *float64        `json:"max"`
	Pattern         string          `json:"pattern"`
	Document        bool            `json:"document"`
	Union           bool            `json:"union"`
	Sensitive       bool            `json:"sensitive"`
	XMLNamespace    *XMLNS          `json:"xmlNamespace"`
	EventStream     bool            `json:"eventstream"`
}

// ErrorTrait is the error trait of an exception shape.
type ErrorTrait struct {
	Code           string `json:"code"`
	HTTPStatusCode int    `json:"httpStatusCode"`
	SenderFault    bool   `json:"senderFault"`
}

// IsRequired reports whether member is required in s.
func (s *Shape) IsRequired(member string) bool {
	for _, r := range s.Required {
		if r == member {
			return true
		}
	}
	return false
}

// MemberNames are s's members, sorted.
func (s *Shape) MemberNames() []string {
	names := make([]string, 0, len(s.Members))
	for n := range s.Members {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var (
	loadMu sync.Mutex
	loaded = map[string]*Model{}
)

// Services are the services whose models are embedded, sorted (botocore's directory names:
// codepipeline, codestar-connections, iam, kms, s3, secretsmanager, ssm, sts).
func Services() []string {
	entries, _ := fs.ReadDir(modelFS, "models")
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// Load returns the embedded model of service (a botocore directory name), parsed once.
func Load(service string) (*Model, error) {
	loadMu.Lock()
	defer loadMu.Unlock()
	if m, ok := loaded[service]; ok {
		return m, nil
	}
	versions, err := fs.ReadDir(modelFS, path.Join("models", service))
	if err != nil || len(versions) == 0 {
		return nil, fmt.Errorf("shapes: no model for service %q (have %s)", service, strings.Join(Services(), ", "))
	}
	// The newest API version, as botocore picks it.
	p := path.Join("models", service, versions[len(versions)-1].Name(), "service-2.json.gz")
	raw, err := modelFS.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("shapes: %w", err)
	}
	m, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("shapes: %s: %w", p, err)
	}
	loaded[service] = m
	return m, nil
}

// MustLoad is Load for models that are embedded in this package and so cannot be missing.
func MustLoad(service string) *Model {
	m, err := Load(service)
	if err != nil {
		panic(err)
	}
	return m
}

// Parse reads a service-2.json, gzipped or not.
func Parse(raw []byte) (*Model, error) {
	if bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		if raw, err = io.ReadAll(zr); err != nil {
			return nil, err
		}
	}
	var m Model
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	for name, s := range m.Shapes {
		s.Name = name
	}
	for name, op := range m.Operations {
		if op.Name == "" {
			op.Name = name
		}
	}
	for name, s := range m.Shapes {
		for _, r := range refsOf(s) {
			if _, ok := m.Shapes[r.Shape]; !ok {
				return nil, fmt.Errorf("shape %s refers to unknown shape %q", name, r.Shape)
			}
		}
	}
	return &m, nil
}

func refsOf(s *Shape) []*Ref {
	var out []*Ref
	for _, r := range s.Members {
		out = append(out, r)
	}
	for _, r := range []*Ref{s.Member, s.Key, s.Value} {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// Shape returns the named shape, or nil.
func (m *Model) Shape(name string) *Shape { return m.Shapes[name] }

// OperationNames are the model's operations, sorted.
func (m *Model) OperationNames() []string {
	names := make([]string, 0, len(m.Operations))
	for n := range m.Operations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
