package sigv4

import (
	"crypto/md5" //nolint:gosec // Content-MD5 is S3's integrity check, not a security measure
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strings"
)

// ChecksumAlgorithms are the x-amz-checksum-* algorithms S3 accepts, by their lower-case header
// suffix. The values on the wire are the base64 of the big-endian digest.
var ChecksumAlgorithms = map[string]func() hash.Hash{
	"crc32":     func() hash.Hash { return crc32.NewIEEE() },
	"crc32c":    func() hash.Hash { return crc32.New(crc32cTable) },
	"crc64nvme": func() hash.Hash { return crc64.New(crc64NVMETable) },
	"sha1":      sha1.New,
	"sha256":    sha256.New,
}

var (
	crc32cTable = crc32.MakeTable(crc32.Castagnoli)
	// CRC-64/NVME: polynomial 0xAD93D23594C93659, reflected; init and xorout all ones (which
	// hash/crc64 applies).
	crc64NVMETable = crc64.MakeTable(0x9A6C9329AC4BC9B5)
)

const checksumHeaderPrefix = "x-amz-checksum-"

// digestLen is the byte length of each algorithm's digest.
var digestLen = map[string]int{"crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32}

// checker computes the digests a body declares (Content-MD5, x-amz-checksum-*) as it flows,
// and compares them at the end.
type checker struct {
	want   map[string]string // algorithm ("md5" or a ChecksumAlgorithms name) → base64 digest
	hashes map[string]hash.Hash
	got    map[string]string
}

// addDeclared records a declared digest, refusing one that cannot be a digest of the algorithm.
func (c *checker) addDeclared(alg, b64 string) error {
	raw, err := base64.StdEncoding.DecodeString(b64)
	n := digestLen[alg]
	if alg == "md5" {
		n = md5.Size
	}
	if err != nil || len(raw) != n {
		if alg == "md5" {
			return &Error{Kind: KindInvalidChecksum, Algorithm: alg, Declared: b64, Message: "the Content-MD5 you specified was invalid"}
		}
		return &Error{Kind: KindInvalidChecksum, Algorithm: alg, Declared: b64,
			Message: "value for " + checksumHeaderPrefix + alg + " header is invalid"}
	}
	if c.want == nil {
		c.want = map[string]string{}
	}
	c.want[alg] = b64
	c.track(alg)
	return nil
}

func (c *checker) track(alg string) {
	if c.hashes == nil {
		c.hashes = map[string]hash.Hash{}
	}
	if _, ok := c.hashes[alg]; ok {
		return
	}
	if alg == "md5" {
		c.hashes[alg] = md5.New() //nolint:gosec // see import
		return
	}
	c.hashes[alg] = ChecksumAlgorithms[alg]()
}

func (c *checker) write(p []byte) {
	for _, h := range c.hashes {
		h.Write(p)
	}
}

// finish compares every declared digest with the computed one.
func (c *checker) finish() error {
	c.got = make(map[string]string, len(c.hashes))
	for alg, h := range c.hashes {
		c.got[alg] = base64.StdEncoding.EncodeToString(h.Sum(nil))
	}
	for alg, want := range c.want {
		if c.got[alg] != want {
			name := strings.ToUpper(alg)
			if alg == "md5" {
				return &Error{Kind: KindChecksumMismatch, Algorithm: alg, Declared: want, Computed: c.got[alg],
					Message: "the Content-MD5 you specified did not match what we received"}
			}
			return &Error{Kind: KindChecksumMismatch, Algorithm: alg, Declared: want, Computed: c.got[alg],
				Message: "the " + name + " you specified did not match the calculated checksum"}
		}
	}
	return nil
}
