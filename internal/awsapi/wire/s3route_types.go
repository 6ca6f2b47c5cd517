package wire

// s3Target is the path form of an S3 route.
type s3Target int

const (
	s3Service s3Target = iota // "/": the service (ListBuckets)
	s3Bucket                  // "/{Bucket}"
	s3Object                  // "/{Bucket}/{Key+}"
)

// queryLiteral is a subresource in an S3 route's request URI: "?versioning", "?list-type=2".
type queryLiteral struct {
	Key, Value string
	HasValue   bool
}

// s3Route is one S3 operation's REST binding.
type s3Route struct {
	Operation string
	Method    string
	Target    s3Target
	Literals  []queryLiteral
	Query     []string // required query parameters (uploadId, partNumber, …)
	Headers   []string // required headers, canonical (X-Amz-Copy-Source, …)
}
