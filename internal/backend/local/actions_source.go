package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/runner/gitcmd"
)

func init() {
	registerProvider(pipeline.CategorySource, pipeline.OwnerAWS, "S3", runS3Source)
	registerProvider(pipeline.CategorySource, pipeline.OwnerAWS, "CodeCommit", runGitSource("RepositoryName"))
	registerProvider(pipeline.CategorySource, pipeline.OwnerAWS, "CodeStarSourceConnection", runGitSource("FullRepositoryId"))
}

// runS3Source takes the version of S3Bucket/S3ObjectKey that triggered the run (the latest for
// a manual run), read as the action's role. The object is the source zip, copied into the
// artifact store unchanged (as CodePipeline does), object to object.
func runS3Source(ctx context.Context, job *actionJob) (*providerResult, error) {
	cfg := job.action.Configuration
	version := job.x.run.SourceRevisions[job.action.Name]
	body, info, err := job.x.a.openObject(ctx, job.principal, cfg["S3Bucket"], cfg["S3ObjectKey"], version)
	if err != nil {
		return nil, fmt.Errorf("reading the source object s3://%s/%s: %w", cfg["S3Bucket"], cfg["S3ObjectKey"], err)
	}
	fmt.Fprintf(job.log, "source: s3://%s/%s version %s (%d bytes)\n", info.Bucket, info.Key, info.VersionID, info.Size)
	return &providerResult{
		outputs:   map[string]actionOutput{job.action.OutputArtifacts[0]: {object: body}},
		variables: map[string]string{"VersionId": info.VersionID, "ETag": sourceETag(info), "BucketName": info.Bucket, "ObjectKey": info.Key},
		summary:   fmt.Sprintf("s3://%s/%s version %s", info.Bucket, info.Key, info.VersionID),
	}, nil
}

// runGitSource reads BranchName of a git repository on disk: the configuration key repoKey
// (RepositoryName or FullRepositoryId) names a directory under the backend's repositories
// directory, or is an absolute path. The output artifact is the commit's tree as a zip.
func runGitSource(repoKey string) actionProvider {
	return func(ctx context.Context, job *actionJob) (*providerResult, error) {
		cfg := job.action.Configuration
		repo, err := repositoryPath(job.x.dirs.repositories, cfg[repoKey])
		if err != nil {
			return nil, err
		}
		branch := cfg["BranchName"]
		// A triggered run builds the revision that triggered it; a manual one, the branch head.
		rev, what := "refs/heads/"+branch, "branch "+strconv.Quote(branch)
		if pinned := job.x.run.SourceRevisions[job.action.Name]; pinned != "" {
			rev, what = pinned, "revision "+pinned
		}
		commit, err := gitcmd.Run(ctx, repo, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
		if err != nil {
			return nil, fmt.Errorf("%s of repository %s: %w", what, repo, err)
		}
		meta, err := gitcmd.Run(ctx, repo, "log", "-1", "--format=%aI%n%B", commit)
		if err != nil {
			return nil, err
		}
		authorDate, message, _ := strings.Cut(meta, "\n")
		zipPath := filepath.Join(job.workDir, "source.zip")
		if _, err := gitcmd.Run(ctx, repo, "archive", "--format=zip", "-o", zipPath, commit); err != nil {
			return nil, err
		}
		fmt.Fprintf(job.log, "source: %s branch %s at %s\n", repo, branch, commit)
		return &providerResult{
			outputs: map[string]actionOutput{job.action.OutputArtifacts[0]: {zip: zipPath}},
			variables: map[string]string{
				"CommitId": commit, "BranchName": branch, "AuthorDate": authorDate,
				"CommitMessage": strings.TrimSpace(message), "RepositoryName": cfg[repoKey],
			},
			summary: fmt.Sprintf("%s@%s %s", branch, commit[:min(12, len(commit))], firstLine(message)),
		}, nil
	}
}

// repositoryPath maps a repository name to its directory: an absolute path as it is, else a
// directory under root, the repositories directory of the run (see runDirs).
func repositoryPath(root, name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("no repository named")
	}
	p := name
	if !filepath.IsAbs(p) {
		clean := filepath.Clean(name)
		if clean == ".." || strings.HasPrefix(clean, "../") {
			return "", fmt.Errorf("repository %q leaves the repositories directory", name)
		}
		p = filepath.Join(root, clean)
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("repository %q: no git repository at %s (put one there, or set the provider's repositories_dir, or the CLI's -repositories-dir)", name, p)
	}
	return p, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// sourceETag is the ETag variable of an S3 source: the body's SHA-256 where it was stored
// (objects written by the provider), else S3's ETag (objects written over the AWS wire).
func sourceETag(info backend.ObjectInfo) string {
	if info.ChecksumSHA256 != "" {
		return info.ChecksumSHA256
	}
	return info.ETag
}
