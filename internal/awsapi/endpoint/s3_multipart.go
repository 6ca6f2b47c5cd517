package endpoint

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

func registerS3Multipart(e *Endpoint) {
	for op, h := range map[string]awsapi.Handler{
		"CreateMultipartUpload":   e.createMultipartUpload,
		"UploadPart":              e.uploadPart,
		"CompleteMultipartUpload": e.completeMultipartUpload,
		"AbortMultipartUpload":    e.abortMultipartUpload,
		"ListParts":               e.listParts,
		"ListMultipartUploads":    e.listMultipartUploads,
	} {
		e.Register("s3", op, h)
	}
}

type initiateMultipartUploadResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Bucket   string
	Key      string
	UploadId string //nolint:revive // the API's member name
}

func (e *Endpoint) createMultipartUpload(ctx context.Context, req *awsapi.Request) (any, error) {
	in, err := objectInput(req)
	if err != nil {
		return nil, err
	}
	u, err := e.account(req).CreateMultipartUpload(ctx, in)
	if err != nil {
		return nil, e.objectError(req, err)
	}
	h := http.Header{"X-Amz-Server-Side-Encryption": {"aws:kms"}}
	if alg := req.HTTP.Header.Get("X-Amz-Checksum-Algorithm"); alg != "" {
		h.Set("X-Amz-Checksum-Algorithm", alg)
	}
	return &awsapi.Response{Header: h, XML: &initiateMultipartUploadResult{Bucket: u.Bucket, Key: u.Key, UploadId: u.ID}}, nil
}

func partNumber(req *awsapi.Request) (int, error) {
	n, err := strconv.Atoi(req.Query().Get("partNumber"))
	if err != nil || n < 1 || n > 10000 {
		return 0, wire.NewError(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive").
			With("ArgumentName", "partNumber").With("ArgumentValue", req.Query().Get("partNumber"))
	}
	return n, nil
}

func (e *Endpoint) uploadPart(ctx context.Context, req *awsapi.Request) (any, error) {
	n, err := partNumber(req)
	if err != nil {
		return nil, err
	}
	p, err := e.account(req).UploadPart(ctx, backend.UploadPartInput{
		Principal: principal(req), Bucket: req.Bucket, Key: req.Key, UploadID: req.Query().Get("uploadId"),
		Number: n, Body: req.Body(), Digests: req.Checksums,
	})
	if err != nil {
		return nil, e.objectError(req, err)
	}
	h := http.Header{"Etag": {quoted(p.ETag)}, "X-Amz-Server-Side-Encryption": {"aws:kms"}}
	for alg, v := range p.Checksums {
		h.Set("X-Amz-Checksum-"+alg, v)
	}
	return &awsapi.Response{Header: h}, nil
}

type completeMultipartUpload struct {
	Parts []struct {
		PartNumber     int
		ETag           string
		ChecksumCRC32  string
		ChecksumCRC32C string
		ChecksumSHA1   string
		ChecksumSHA256 string
	} `xml:"Part"`
}

type completeMultipartUploadResult struct {
	XMLName        xml.Name `xml:"CompleteMultipartUploadResult"`
	Location       string
	Bucket         string
	Key            string
	ETag           string
	ChecksumCRC32  string `xml:",omitempty"`
	ChecksumCRC32C string `xml:",omitempty"`
	ChecksumSHA1   string `xml:",omitempty"`
	ChecksumSHA256 string `xml:",omitempty"`
	ChecksumType   string `xml:",omitempty"`
}

func (e *Endpoint) completeMultipartUpload(ctx context.Context, req *awsapi.Request) (any, error) {
	var in completeMultipartUpload
	if err := req.Decode(&in); err != nil {
		return nil, err
	}
	if len(in.Parts) == 0 {
		return nil, wire.Serialization(req.Service, "a CompleteMultipartUpload lists at least one Part")
	}
	uploadID := req.Query().Get("uploadId")
	acct := e.account(req)
	_, stored, err := acct.ListParts(ctx, principal(req), req.Bucket, req.Key, uploadID)
	if err != nil {
		return nil, e.objectError(req, err)
	}
	// S3's own errors for a bad list, before anything is written.
	byNumber := map[int]backend.Part{}
	for _, p := range stored {
		byNumber[p.Number] = p
	}
	parts := make([]backend.CompletedPart, 0, len(in.Parts))
	for i, p := range in.Parts {
		if i > 0 && p.PartNumber <= in.Parts[i-1].PartNumber {
			return nil, wire.NewError(400, "InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
		}
	}
	for i, p := range in.Parts {
		got, ok := byNumber[p.PartNumber]
		if !ok || strings.Trim(p.ETag, `"`) != got.ETag {
			return nil, wire.NewError(400, "InvalidPart", "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.").
				With("UploadId", uploadID).With("PartNumber", strconv.Itoa(p.PartNumber)).With("ETag", p.ETag)
		}
		if i < len(in.Parts)-1 && got.Size < backend.MinPartSize {
			return nil, wire.NewError(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size").
				With("ProposedSize", strconv.FormatInt(got.Size, 10)).With("MinSizeAllowed", strconv.Itoa(backend.MinPartSize)).
				With("PartNumber", strconv.Itoa(p.PartNumber)).With("ETag", p.ETag)
		}
		parts = append(parts, backend.CompletedPart{Number: p.PartNumber, ETag: p.ETag})
	}
	info, err := acct.CompleteMultipartUpload(ctx, principal(req), req.Bucket, req.Key, uploadID, parts)
	if err != nil {
		return nil, e.objectError(req, err)
	}
	h := http.Header{"X-Amz-Server-Side-Encryption": {"aws:kms"}, "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": {info.KMSKeyARN}}
	versionHeader(h, info.VersionID)
	out := &completeMultipartUploadResult{Location: "/" + req.Bucket + "/" + req.Key, Bucket: req.Bucket, Key: req.Key, ETag: quoted(info.ETag),
		ChecksumCRC32: info.Checksums["crc32"], ChecksumCRC32C: info.Checksums["crc32c"], ChecksumSHA1: info.Checksums["sha1"], ChecksumSHA256: info.Checksums["sha256"]}
	if len(info.Checksums) > 0 {
		out.ChecksumType = "COMPOSITE"
	}
	return &awsapi.Response{Header: h, XML: out}, nil
}

func (e *Endpoint) abortMultipartUpload(ctx context.Context, req *awsapi.Request) (any, error) {
	err := e.account(req).AbortMultipartUpload(ctx, principal(req), req.Bucket, req.Key, req.Query().Get("uploadId"))
	if err != nil {
		return nil, e.objectError(req, err)
	}
	return &awsapi.Response{Status: http.StatusNoContent}, nil
}

type partEntry struct {
	PartNumber     int
	LastModified   wire.ISO8601
	ETag           string
	Size           int64
	ChecksumCRC32  string `xml:",omitempty"`
	ChecksumCRC32C string `xml:",omitempty"`
	ChecksumSHA1   string `xml:",omitempty"`
	ChecksumSHA256 string `xml:",omitempty"`
}

type initiator struct {
	ID          string
	DisplayName string
}

type listPartsResult struct {
	XMLName              xml.Name `xml:"ListPartsResult"`
	Bucket               string
	Key                  string
	UploadId             string //nolint:revive // the API's member name
	PartNumberMarker     int
	NextPartNumberMarker int
	MaxParts             int
	IsTruncated          bool
	Parts                []partEntry `xml:"Part"`
	Initiator            initiator
	Owner                *s3Owner
	StorageClass         string
}

func (e *Endpoint) listParts(ctx context.Context, req *awsapi.Request) (any, error) {
	q := req.Query()
	maxParts, marker := 1000, 0
	if v := q.Get("max-parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, wire.NewError(400, "InvalidArgument", "Provided max-parts not an integer or within integer range").With("ArgumentName", "max-parts")
		}
		maxParts = min(n, 1000)
	}
	if v := q.Get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, wire.NewError(400, "InvalidArgument", "Provided part-number-marker not an integer or within integer range").With("ArgumentName", "part-number-marker")
		}
		marker = n
	}
	u, parts, err := e.account(req).ListParts(ctx, principal(req), req.Bucket, req.Key, q.Get("uploadId"))
	if err != nil {
		return nil, e.objectError(req, err)
	}
	out := &listPartsResult{Bucket: req.Bucket, Key: req.Key, UploadId: u.ID, PartNumberMarker: marker, MaxParts: maxParts,
		Initiator: initiator{ID: u.Initiator, DisplayName: u.Initiator}, Owner: ownerOf(req.Principal.Account), StorageClass: "STANDARD"}
	for _, p := range parts {
		if p.Number <= marker {
			continue
		}
		if len(out.Parts) == maxParts {
			out.IsTruncated = true
			break
		}
		out.Parts = append(out.Parts, partEntry{PartNumber: p.Number, LastModified: wire.ISO8601(p.LastModified), ETag: quoted(p.ETag), Size: p.Size,
			ChecksumCRC32: p.Checksums["crc32"], ChecksumCRC32C: p.Checksums["crc32c"], ChecksumSHA1: p.Checksums["sha1"], ChecksumSHA256: p.Checksums["sha256"]})
		out.NextPartNumberMarker = p.Number
	}
	return out, nil
}

type uploadEntry struct {
	Key          string
	UploadId     string //nolint:revive // the API's member name
	Initiator    initiator
	Owner        *s3Owner
	StorageClass string
	Initiated    wire.ISO8601
}

type listMultipartUploadsResult struct {
	XMLName            xml.Name `xml:"ListMultipartUploadsResult"`
	Bucket             string
	KeyMarker          string
	UploadIdMarker     string //nolint:revive // the API's member name
	NextKeyMarker      string `xml:",omitempty"`
	NextUploadIdMarker string `xml:",omitempty"` //nolint:revive // the API's member name
	Prefix             string `xml:",omitempty"`
	MaxUploads         int
	IsTruncated        bool
	Uploads            []uploadEntry `xml:"Upload"`
}

func (e *Endpoint) listMultipartUploads(ctx context.Context, req *awsapi.Request) (any, error) {
	p, err := readListParams(req, "max-uploads")
	if err != nil {
		return nil, err
	}
	q := req.Query()
	keyMarker, idMarker := q.Get("key-marker"), q.Get("upload-id-marker")
	uploads, err := e.account(req).ListMultipartUploads(ctx, principal(req), req.Bucket, p.prefix)
	var nf *backend.NotFound
	if errors.As(err, &nf) && nf.Kind == backend.KindObject {
		err = nil
	}
	if err != nil {
		return nil, e.s3Error(req, err)
	}
	out := &listMultipartUploadsResult{Bucket: req.Bucket, KeyMarker: keyMarker, UploadIdMarker: idMarker, Prefix: p.prefix, MaxUploads: p.maxKeys}
	skipping := keyMarker != ""
	for _, u := range uploads {
		if skipping {
			if u.Key < keyMarker || (u.Key == keyMarker && (idMarker == "" || u.ID != idMarker)) {
				continue
			}
			skipping = false
			if u.Key == keyMarker {
				continue
			}
		}
		if len(out.Uploads) == p.maxKeys {
			out.IsTruncated = true
			break
		}
		out.Uploads = append(out.Uploads, uploadEntry{Key: u.Key, UploadId: u.ID, Initiator: initiator{ID: u.Initiator, DisplayName: u.Initiator},
			Owner: ownerOf(req.Principal.Account), StorageClass: "STANDARD", Initiated: wire.ISO8601(u.Initiated)})
		out.NextKeyMarker, out.NextUploadIdMarker = u.Key, u.ID
	}
	return out, nil
}
