package local

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

func init() {
	registerProvider(pipeline.CategoryDeploy, pipeline.OwnerAWS, "S3", runS3Deploy)
}

// runS3Deploy writes the input artifact into BucketName as the action's role: extracted (each
// file under the ObjectKey prefix) when Extract is "true", else the artifact zip as ObjectKey.
func runS3Deploy(ctx context.Context, job *actionJob) (*providerResult, error) {
	cfg := job.action.Configuration
	bucket, prefix := cfg["BucketName"], strings.Trim(cfg["ObjectKey"], "/")
	input := job.action.InputArtifacts[0]
	kmsKey := cfg["KMSEncryptionKeyARN"]
	if !strings.EqualFold(cfg["Extract"], "true") {
		// The artifact's zip, read and written as the action's role: a copy between buckets.
		ref := job.inputRefs[input]
		zipped, _, err := job.x.a.openObject(ctx, job.principal, ref.Bucket, ref.Key, ref.VersionID)
		if err != nil {
			return nil, fmt.Errorf("input artifact %q: %w", input, err)
		}
		defer zipped.Close()
		version, err := job.x.a.putObject(ctx, job.principal, bucket, prefix, zipped.Reader(), putOptions{kmsKeyID: kmsKey, checksum: true})
		if err != nil {
			return nil, fmt.Errorf("deploying to s3://%s/%s: %w", bucket, prefix, err)
		}
		fmt.Fprintf(job.log, "put s3://%s/%s version %s\n", bucket, prefix, version)
		return &providerResult{summary: fmt.Sprintf("deployed s3://%s/%s version %s", bucket, prefix, version)}, nil
	}
	root := job.inputs[input]
	count := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return nil // symlinks were checked on unpacking; only regular files are deployed
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		key := path.Join(prefix, filepath.ToSlash(rel))
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		version, err := job.x.a.putObject(ctx, job.principal, bucket, key, f, putOptions{kmsKeyID: kmsKey, checksum: true})
		if err != nil {
			return fmt.Errorf("deploying to s3://%s/%s: %w", bucket, key, err)
		}
		fmt.Fprintf(job.log, "put s3://%s/%s version %s\n", bucket, key, version)
		count++
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &providerResult{summary: fmt.Sprintf("deployed %d file(s) to s3://%s/%s", count, bucket, prefix)}, nil
}
