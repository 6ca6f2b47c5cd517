// Package wire is the AWS wire protocols as this project's endpoint speaks them: which service
// and operation a request is for (X-Amz-Target for JSON, Action= for query, method, path and
// subresources for S3, path-style and virtual-host style), how request bodies decode and
// responses encode (awsJson 1.0/1.1, query XML, S3 REST-XML), and how errors look in each
// (JSON __type/message with x-amzn-ErrorType, query <ErrorResponse>, S3 <Error>) with the HTTP
// status AWS uses.
//
// It knows nothing of signatures, credentials or the cloud behind the endpoint: internal/awsapi
// combines it with internal/awsapi/sigv4 and the handlers.
package wire

import (
	"slices"
	"sort"
	"strings"
)

// Protocol is a service's wire protocol, by botocore's name for it.
type Protocol string

// The protocols of the services served.
const (
	JSON    Protocol = "json"
	Query   Protocol = "query"
	RESTXML Protocol = "rest-xml"
)

// S3Namespace is the XML namespace of S3's documents.
const S3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// Service is one AWS service as it appears on the wire. The values are those of the service's
// botocore model (a test holds them to it).
type Service struct {
	// Name is the SigV4 signing name, also the endpoint prefix and botocore's directory name.
	Name       string
	Protocol   Protocol
	APIVersion string
	// TargetPrefix and JSONVersion: JSON services (X-Amz-Target is TargetPrefix.Operation).
	TargetPrefix string
	JSONVersion  string
	// XMLNamespace: query services' response namespace.
	XMLNamespace string
	// ErrorNamespace prefixes __type in JSON 1.0 errors ("namespace#Code").
	ErrorNamespace string
	// GlobalRegion is the only region a global service (IAM) accepts in a credential scope.
	GlobalRegion string
	// MaxBody is the largest request body read into memory for this service (S3 object bodies
	// are streamed and not bound by it; S3's XML documents are).
	MaxBody int64
}

// The services the endpoint speaks.
var (
	CodePipeline = &Service{Name: "codepipeline", Protocol: JSON, APIVersion: "2015-07-09",
		TargetPrefix: "CodePipeline_20150709", JSONVersion: "1.1", MaxBody: 2 << 20}
	KMS = &Service{Name: "kms", Protocol: JSON, APIVersion: "2014-11-01",
		TargetPrefix: "TrentService", JSONVersion: "1.1", MaxBody: 1 << 20}
	CodeStarConnections = &Service{Name: "codestar-connections", Protocol: JSON, APIVersion: "2019-12-01",
		TargetPrefix: "com.amazonaws.codestar.connections.CodeStar_connections_20191201", JSONVersion: "1.0",
		ErrorNamespace: "com.amazonaws.codestarconnections", MaxBody: 1 << 20}
	IAM = &Service{Name: "iam", Protocol: Query, APIVersion: "2010-05-08",
		XMLNamespace: "https://iam.amazonaws.com/doc/2010-05-08/", GlobalRegion: "us-east-1", MaxBody: 1 << 20}
	STS = &Service{Name: "sts", Protocol: Query, APIVersion: "2011-06-15",
		XMLNamespace: "https://sts.amazonaws.com/doc/2011-06-15/", MaxBody: 1 << 20}
	S3  = &Service{Name: "s3", Protocol: RESTXML, APIVersion: "2006-03-01", MaxBody: 4 << 20}
	SSM = &Service{Name: "ssm", Protocol: JSON, APIVersion: "2014-11-06",
		TargetPrefix: "AmazonSSM", JSONVersion: "1.1", MaxBody: 1 << 20}
	SecretsManager = &Service{Name: "secretsmanager", Protocol: JSON, APIVersion: "2017-10-17",
		TargetPrefix: "secretsmanager", JSONVersion: "1.1", MaxBody: 1 << 20}
)

// Services are the services the endpoint speaks, by signing name.
var Services = map[string]*Service{}

func init() {
	for _, s := range []*Service{CodePipeline, KMS, CodeStarConnections, IAM, STS, S3, SSM, SecretsManager} {
		Services[s.Name] = s
	}
}

// ServiceNames are the names of Services, sorted.
func ServiceNames() []string {
	names := make([]string, 0, len(Services))
	for n := range Services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// HasOperation reports whether op is an operation of the service's model.
func (s *Service) HasOperation(op string) bool {
	_, ok := slices.BinarySearch(modelOperations[s.Name], op)
	return ok
}

// Operations are every operation of the service's model, sorted.
func (s *Service) Operations() []string { return slices.Clone(modelOperations[s.Name]) }

// serviceByTarget finds the JSON service of an X-Amz-Target prefix.
func serviceByTarget(prefix string) *Service {
	for _, s := range Services {
		if s.Protocol == JSON && s.acceptsTarget(prefix) {
			return s
		}
	}
	return nil
}

// acceptsTarget reports whether prefix names s in X-Amz-Target: the model's target prefix, or
// its last dotted part, which the Smithy-generated SDKs send (aws-sdk-go-v2 sends
// CodeStar_connections_20191201.ListConnections where botocore sends
// com.amazonaws.codestar.connections.CodeStar_connections_20191201.ListConnections).
func (s *Service) acceptsTarget(prefix string) bool {
	if prefix == s.TargetPrefix {
		return true
	}
	i := strings.LastIndexByte(s.TargetPrefix, '.')
	return i >= 0 && prefix == s.TargetPrefix[i+1:]
}

// queryServiceOf finds the query service whose model has action (for unsigned requests, which
// name no service in a credential scope). STS is checked first: its actions are few and IAM
// has none of the same names.
func queryServiceOf(action string) *Service {
	for _, s := range []*Service{STS, IAM} {
		if s.HasOperation(action) {
			return s
		}
	}
	return nil
}

// ContentType is the Content-Type of the service's successful responses.
func (s *Service) ContentType() string {
	switch s.Protocol {
	case JSON:
		return "application/x-amz-json-" + s.JSONVersion
	case Query:
		return "text/xml"
	}
	return "application/xml"
}

func (s *Service) String() string { return s.Name }

// trimPort removes a port from a host.
func trimPort(host string) string {
	if strings.HasPrefix(host, "[") {
		if i := strings.Index(host, "]"); i >= 0 {
			return host[:i+1]
		}
		return host
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		return host[:i]
	}
	return host
}
