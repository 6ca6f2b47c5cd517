package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

func init() {
	register("", newS3Cmd)
	register("s3", newS3LsCmd)
	register("s3", newS3CatCmd)
}

// newS3Cmd is the group of the commands on the local cloud's buckets, named as the AWS CLI's.
func newS3Cmd(*cli) *cobra.Command {
	return &cobra.Command{
		Use:     "s3",
		Short:   "Read the local cloud's buckets: list objects, print one",
		GroupID: groupCloud,
		Long: `Reads the buckets of the local backend: list the objects under a prefix, print an object. It
acts as the account that owns the bucket, or as -account, with the policies evaluated as for any
other caller.`,
		Example: "  codepipeline s3 ls s3://quickstart-site\n  codepipeline s3 cat s3://quickstart-site/index.html",
	}
}

// s3URL splits s3://BUCKET/KEY.
func s3URL(cmd *cobra.Command, u string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok || rest == "" {
		return "", "", usagef(cmd, "%q is not an s3://BUCKET/KEY address", u)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	return bucket, key, nil
}

func newS3LsCmd(c *cli) *cobra.Command {
	var versions bool
	cmd := &cobra.Command{
		Use:     "ls S3URL",
		Short:   "List the objects of a bucket under a prefix (s3://BUCKET[/PREFIX])",
		Example: "  codepipeline s3 ls s3://quickstart-site\n  codepipeline s3 ls s3://quickstart-artifacts/quickstart/ -versions",
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.Flags().BoolVar(&versions, "versions", false, "list every version and delete marker, not only the current objects")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		bucket, prefix, err := s3URL(cmd, args[0])
		if err != nil {
			return err
		}
		s, err := cf.open(cmd.Context(), openOptions{})
		if err != nil {
			return err
		}
		if s, err = cf.asOwner(cmd.Context(), s, bucket); err != nil {
			return err
		}
		defer s.Close()
		var objs []backend.ObjectInfo
		if versions {
			objs, err = s.b.ListObjectVersions(cmd.Context(), "", bucket, prefix)
		} else {
			objs, err = s.b.ListObjects(cmd.Context(), "", bucket, prefix)
		}
		if err != nil {
			return err
		}
		if len(objs) == 0 {
			fmt.Fprintf(c.stderr, "no object under s3://%s/%s\n", bucket, prefix)
		}
		for _, o := range objs {
			line := fmt.Sprintf("%s  %10d  %s", o.LastModified.Local().Format("2006-01-02 15:04:05"), o.Size, o.Key)
			if versions {
				line += "  " + o.VersionID
				if o.DeleteMarker {
					line += "  (delete marker)"
				} else if o.IsLatest {
					line += "  (latest)"
				}
			}
			fmt.Fprintln(c.stdout, line)
		}
		return nil
	}
	return cmd
}

func newS3CatCmd(c *cli) *cobra.Command {
	var versionID string
	cmd := &cobra.Command{
		Use:   "cat S3URL",
		Short: "Print an object (s3://BUCKET/KEY), as aws s3 cp s3://BUCKET/KEY - does",
		Example: `  codepipeline s3 cat s3://quickstart-site/index.html
  codepipeline s3 cat s3://quickstart-site/index.html -version-id 3f2a...`,
	}
	cf := c.addCloudFlags(cmd, true)
	cmd.Flags().StringVar(&versionID, "version-id", "", "the object version to print (default: the latest)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		bucket, key, err := s3URL(cmd, args[0])
		if err != nil {
			return err
		}
		if key == "" {
			return usagef(cmd, "%q names a bucket, not an object: s3://BUCKET/KEY (codepipeline s3 ls %s lists its objects)", args[0], args[0])
		}
		s, err := cf.open(cmd.Context(), openOptions{})
		if err != nil {
			return err
		}
		if s, err = cf.asOwner(cmd.Context(), s, bucket); err != nil {
			return err
		}
		defer s.Close()
		body, _, err := s.b.GetObject(cmd.Context(), "", bucket, key, versionID)
		if errors.Is(err, backend.ErrNotFound) {
			return s.missingObject(cmd.Context(), bucket, key, versionID)
		}
		if err != nil {
			return err
		}
		_, err = c.stdout.Write(body)
		return err
	}
	return cmd
}

// asOwner opens the state as the account that owns bucket (without -account, the CLI reads a
// bucket as its owner, as the owner's console would), or says that there is no such bucket.
func (f *cloudFlags) asOwner(ctx context.Context, s *session, bucket string) (*session, error) {
	b, err := s.b.GetBucket(ctx, bucket)
	if errors.Is(err, backend.ErrNotFound) {
		s.Close()
		return nil, fmt.Errorf("no bucket %q in state directory %s (%s)", bucket, s.loc.dir, s.loc.how)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	if f.account != "" || b.AccountID == s.cfg.AccountID {
		return s, nil
	}
	cfg := s.cfg
	cfg.AccountID, cfg.Region = b.AccountID, b.Region
	s.Close()
	return f.openAs(ctx, s.loc, []backend.Config{cfg}, 0, openOptions{})
}

// missingObject names an object that is not there, with the keys that are, nearest first.
func (s *session) missingObject(ctx context.Context, bucket, key, versionID string) error {
	what := fmt.Sprintf("s3://%s/%s", bucket, key)
	if versionID != "" {
		what += " version " + versionID
	}
	objs, err := s.b.ListObjects(ctx, "", bucket, "")
	if err != nil {
		return fmt.Errorf("no object %s", what)
	}
	keys := make([]string, 0, len(objs))
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return fmt.Errorf("no object %s: the bucket is empty", what)
	}
	const show = 10
	msg := fmt.Sprintf("no object %s. The bucket holds %d object(s)", what, len(keys))
	if m := closest(key, keys); m != "" {
		msg += fmt.Sprintf("; did you mean %q?", m)
	}
	if len(keys) > show {
		keys = append(keys[:show], "…")
	}
	return errors.New(msg + "\n  " + strings.Join(keys, "\n  "))
}
